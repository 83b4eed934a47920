"""Pure translation between ERPNext documents (as_dict()) and QBO entity bodies.

No frappe, no I/O: the engine resolves every QBO reference into a MappingContext first, so these functions
are deterministic and testable from real ERPNext fixtures. Money is Decimal inside; bodies are JSON-ready.
"""

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.customer import (
	MappedCustomer,
	customer_sparse_changes,
	display_name_candidates,
	map_address,
	map_customer,
)
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.invoice import (
	KnownDifference,
	MappedInvoice,
	doc_number,
	explain_total_difference,
	fit_unit_price,
	invoice_sparse_changes,
	map_invoice,
)
from qbo_connector.mapping.item import (
	MappedItem,
	item_name,
	item_name_candidates,
	item_sparse_changes,
	item_type,
	map_item,
)
from qbo_connector.mapping.money import D, q2
from qbo_connector.mapping.payment import MappedPayment, map_payment
from qbo_connector.mapping.pull import (
	PaymentPlan,
	qbo_address_to_erpnext,
	qbo_customer_to_erpnext,
	qbo_item_to_erpnext,
	qbo_payment_to_plan,
)

__all__ = [
	"D",
	"KnownDifference",
	"MappedCustomer",
	"MappedInvoice",
	"MappedItem",
	"MappedPayment",
	"MappingContext",
	"MappingError",
	"PaymentPlan",
	"customer_sparse_changes",
	"display_name_candidates",
	"doc_number",
	"explain_total_difference",
	"fit_unit_price",
	"invoice_sparse_changes",
	"item_name",
	"item_name_candidates",
	"item_sparse_changes",
	"item_type",
	"map_address",
	"map_customer",
	"map_invoice",
	"map_item",
	"map_payment",
	"q2",
	"qbo_address_to_erpnext",
	"qbo_customer_to_erpnext",
	"qbo_item_to_erpnext",
	"qbo_payment_to_plan",
]
