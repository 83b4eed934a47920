"""Sales Invoice return (credit note) -> QBO CreditMemo with positive amounts.

Mapped like an invoice (mapping/invoice.py flips the signs); cancel voids it, or deletes it where QBO does
not void a credit memo (a refusal without a payment involved).
"""

from __future__ import annotations

from .base import Kind
from .parties import CUSTOMER
from .sales_invoice import DOCTYPE, groundwork, invoice_number, map_sales_invoice, prepare

KIND = Kind(
	key="credit_note",
	doctype=DOCTYPE,
	title="credit note",
	plural="credit notes",
	entity="CreditMemo",
	map=map_sales_invoice,
	party=CUSTOMER,
	party_field="customer",
	not_pulled="qbo_txn_ref",  # made from a QBO invoice/credit memo (sync/invoice_pull.py): never sent back
	filters=(("is_return", 1),),
	items="items",
	depends=("party", "items", "accounts"),
	lookup=("DocNumber", "note"),
	number=invoice_number,
	cancel=("void", "delete"),
	submit_switch="push_invoices_on_submit",
	events=("on_submit", "on_cancel", "on_update_after_submit"),
	groundwork=groundwork,
	prepare=prepare,
)
