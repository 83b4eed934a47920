"""Payment Entry (Pay, to a Supplier) -> QBO BillPayment applied to the bills it pays (partial, several).

A check when the QBO account the entry's paid_from account is mapped to is a Bank account, a card payment
when it is a Credit Card account (mapping/bill_payment.py). Depends on its supplier and on the Purchase
Invoices it pays: each not in QBO yet is pushed first (its own log row); one deleted in QBO refuses the
payment before anything is sent. Cancel voids the bill payment (QBO keeps it at zero and the bills are open
again), or deletes it where QBO refuses the void.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.bill_payment import map_bill_payment
from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_location

from ..mapper import Mapped
from . import purchasing
from .base import Kind, Needs
from .parties import SUPPLIER

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Payment Entry"
BILLS = Needs("Purchase Invoice", ctx_field="bill_refs")


def map_supplier_payment(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	"""BillPayment, with the entry's location where QBO tracks them (a bill payment has no class in QBO)."""
	payment = map_bill_payment(doc, ctx)
	apply_location(payment.body, doc, ctx, DOCTYPE)
	return Mapped(
		entity="BillPayment",
		body=payment.body,
		expected_total=payment.expected_total,
		warnings=list(payment.warnings),
		source=payment,
		left_unapplied=payment.left_unapplied,
	)


def groundwork(
	engine: PushMixin, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, doc: dict[str, Any]
) -> None:
	"""The type of the QBO account it is paid from (a check or a card payment), checked by the probe."""
	account = config.account_map.get(str(doc.get("paid_from") or ""))
	if account:
		ctx.payment_account_type = purchasing.account_type(engine, client, account)


def prepare(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	probe: Mapped,
) -> None:
	ctx.vendor_ref = engine.ensure_party(client, config, ctx, KIND, doc)
	ctx.bill_refs = engine.ensure_documents(config, doc, BILLS)
	ctx.bill_balances = engine.open_balances(client, config, ctx.bill_refs, doc, BILLS, "Bill")


KIND = Kind(
	key="supplier_payment",
	doctype=DOCTYPE,
	title="payment made to a supplier",
	plural="supplier payments",
	entity="BillPayment",
	map=map_supplier_payment,
	party=SUPPLIER,
	party_field="party",
	filters=(("payment_type", "Pay"), ("party_type", "Supplier")),
	not_pulled="qbo_payment_id",
	needs=(BILLS,),
	depends=("party", "documents", "accounts"),
	lookup=("note",),
	cancel=("void", "delete"),
	switch="push_supplier_payments",
	groundwork=groundwork,
	prepare=prepare,
)
