"""Purchase Invoice (submitted, not a return) -> QBO Bill: item, account and (US) tax lines, the due date,
the supplier's invoice number (bill_no) as DocNumber when it is set.

Depends on its supplier and on the accounts its lines are mapped to. QBO cannot void a bill through its API,
so cancelling the purchase invoice deletes the bill, and the log row says so; a bill a payment is applied to
in QBO is not deleted until that payment is (QBO refuses, and the row says what to do). A due date changed
after submit is sent as a sparse update; an amendment is a new bill. A create whose answer was lost is
found again by supplier, date and the memo naming the ERPNext document, never by the supplier's number alone
(a bill typed into QBO may carry the same number).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_purchase_dimensions
from qbo_connector.mapping.purchase import map_bill

from ..mapper import Mapped
from . import purchasing
from .base import Kind
from .parties import SUPPLIER

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Purchase Invoice"
DELETED_NOTE = (
	"QuickBooks cannot void a bill through its API, so cancelling the ERPNext document deleted it there."
)
NUMBER_TAKEN = (
	"{label}: QuickBooks already has a {entity} numbered {number} from this vendor that is not this document "
	"(entered in QuickBooks?), so it was not sent. Check the supplier's invoice number (bill_no) in ERPNext, or "
	"that {entity} in QuickBooks, then retry this log (code {code})."
)


def map_purchase_invoice(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	"""Bill (VendorCredit for a return), its lines tagged with classes and the form with a location as the
	QBO company tracks them (QBO has no class on a bill's form: per transaction, every line takes it)."""
	bill = map_bill(doc, ctx)
	apply_purchase_dimensions(bill.body, doc, ctx, DOCTYPE, header_class=False)
	return Mapped(
		entity=bill.entity,
		body=bill.body,
		expected_total=bill.expected_total,
		warnings=list(bill.warnings),
		difference_reasons=list(bill.difference_reasons),
		source=bill,
	)


def groundwork(
	engine: PushMixin, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, doc: dict[str, Any]
) -> None:
	purchasing.groundwork_items(engine, client, config, ctx, doc, KIND)


def prepare(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	probe: Mapped,
) -> None:
	ctx.vendor_ref = engine.ensure_party(client, config, ctx, KIND, doc)


KIND = Kind(
	key="purchase_invoice",
	doctype=DOCTYPE,
	title="purchase invoice",
	plural="purchase invoices",
	entity="Bill",
	map=map_purchase_invoice,
	party=SUPPLIER,
	party_field="supplier",
	filters=(("is_return", 0),),
	items="items",
	depends=("party", "accounts"),
	lookup=("note",),
	number_taken=NUMBER_TAKEN,
	cancel=("delete",),
	cancel_note=DELETED_NOTE,
	switch="push_purchase_invoices",
	events=("on_submit", "on_cancel", "on_update_after_submit"),
	update_fields=("due_date",),
	updatable=("DueDate",),
	groundwork=groundwork,
	prepare=prepare,
)
