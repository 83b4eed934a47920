"""Payment Entry (Receive, from a Customer) -> QBO Payment applied to the invoices it pays.

Depends on its customer and on the Sales Invoices it pays (each not in QBO yet is pushed first). What
ERPNext allocated beyond an invoice's open balance in QBO stays unapplied there (a Warning). With Create
Deposits on, the payment lands in Undeposited Funds and a QBO Deposit moves it to the bank (deposit.py).
Cancel voids it (a deposit this connector made is deleted first). Entries the pull made from QBO payments
carry qbo_payment_id and are never pushed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.payment import map_payment

from ..mapper import Mapped
from ..outcome import SyncError
from .base import Kind, Needs
from .parties import CUSTOMER

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Payment Entry"
INVOICES = Needs("Sales Invoice", ctx_field="invoice_refs")


def map_received_payment(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	payment = map_payment(doc, ctx)
	return Mapped(
		entity="Payment",
		body=payment.body,
		expected_total=payment.expected_total,
		warnings=list(payment.warnings),
		source=payment,
		left_unapplied=payment.left_unapplied,
	)


def preflight(engine: PushMixin, config: ConnectionConfig, doc: dict[str, Any]) -> None:
	if config.create_deposits and not config.deposit_bank_account:
		raise SyncError(
			"DEPOSIT_ACCOUNT",
			f"{DOCTYPE} {doc['name']}: 'Create Deposits' is on for {config.company} but no Deposit "
			"Bank Account is chosen in its QuickBooks connection; choose one (or switch deposits off), "
			"then retry this log.",
		)


def prepare(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	probe: Mapped,
) -> None:
	ctx.customer_ref = engine.ensure_party(client, config, ctx, KIND, doc)
	ctx.invoice_refs = engine.ensure_documents(config, doc, INVOICES)
	ctx.invoice_balances = engine.open_balances(client, config, ctx.invoice_refs, doc, INVOICES, "Invoice")


def finish(engine: PushMixin, config: ConnectionConfig, doc: dict[str, Any], mapped: Mapped) -> None:
	if config.create_deposits:
		# Received into Undeposited Funds (QBO's default); the Deposit moves it to the bank afterwards.
		mapped.body.pop("DepositToAccountRef", None)
		mapped.deposit_to = config.deposit_bank_account


KIND = Kind(
	key="payment",
	doctype=DOCTYPE,
	title="payment received from a customer",
	plural="payments",
	entity="Payment",
	map=map_received_payment,
	party=CUSTOMER,
	party_field="party",
	filters=(("payment_type", "Receive"), ("party_type", "Customer")),
	not_pulled="qbo_payment_id",
	needs=(INVOICES,),
	depends=("party", "documents"),
	lookup=("note",),
	cancel=("void",),
	cancel_note="",
	switch="push_payments",
	preflight=preflight,
	prepare=prepare,
	finish=finish,
)
