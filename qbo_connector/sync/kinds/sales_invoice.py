"""Sales Invoice (submitted, not a return) -> QBO Invoice.

Depends on its customer and items (created or adopted first, one QBO record per ERPNext record) and on a
QBO item per income account for lines booked elsewhere than their item (see mapping/invoice.py). Cancel
voids the invoice (QBO keeps its number with zero amounts); a due date changed after submit is sent as a
sparse update; an amendment is a new invoice. An invoice made (through its Sales Order) from a quotation
whose estimate is in QBO names that estimate in LinkedTxn, and QBO closes the estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_dimensions
from qbo_connector.mapping.invoice import doc_number, map_invoice

from ..mapper import Mapped
from .base import Kind
from .parties import CUSTOMER

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Sales Invoice"


def map_sales_invoice(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	"""Invoice (CreditMemo for a return) with the totals QBO's answer is checked against, tagged with classes
	and a location as the QBO company tracks them."""
	invoice = map_invoice(doc, ctx)
	apply_dimensions(invoice.body, doc, ctx, DOCTYPE)
	return Mapped(
		entity=invoice.entity,
		body=invoice.body,
		expected_total=invoice.expected_total,
		warnings=list(invoice.warnings),
		difference_reasons=[d.reason for d in invoice.known_differences],
		source=invoice,
		tolerance=invoice.tolerance,
	)


def invoice_number(doc: Mapping[str, Any], config: Any) -> str:
	"""The DocNumber the invoice was sent with (the connection's prefix + its name, shortened to fit)."""
	return doc_number(str(doc["name"]), getattr(config, "doc_number_prefix", "") or "")


def groundwork(
	engine: PushMixin, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, doc: dict[str, Any]
) -> None:
	"""The QBO income account each item books to: the probe checks every line's account against it."""
	ctx.item_income_accounts = engine.item_income_accounts(client, config, ctx, doc)


def prepare(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	probe: Mapped,
) -> None:
	"""Customer, items, and an item per income account the probe found lines booked to."""
	ctx.customer_ref = engine.ensure_party(client, config, ctx, KIND, doc)  # credit notes: the same party
	ctx.item_refs = engine.ensure_items(client, config, ctx, doc)
	ctx.item_income_accounts = engine.item_income_accounts(client, config, ctx, doc)
	needed = getattr(probe.source, "account_items_needed", {})
	ctx.account_item_refs = engine.ensure_account_items(client, config, ctx, needed)


def estimates(engine: PushMixin, config: ConnectionConfig, doc: dict[str, Any]) -> dict[str, str]:
	"""Quotation -> QBO Estimate id, for the quotations the invoice was made from through its Sales Orders
	(Sales Order Item.prevdoc_docname), whose estimate is in QBO and is for the invoice's customer."""
	store = engine.store
	found: dict[str, str] = {}
	orders = dict.fromkeys(row.get("sales_order") for row in doc.get("items") or [] if row.get("sales_order"))
	for order in orders:
		for row in (store.get_doc("Sales Order", str(order)) or {}).get("items") or []:
			name = row.get("prevdoc_docname")
			if not name or name in found:
				continue
			link = store.get_link(config.realm_id, "Quotation", str(name))
			if link is None or link.state != "synced" or not link.qbo_id or link.qbo_entity != "Estimate":
				continue
			quotation = store.get_doc("Quotation", str(name)) or {}
			if quotation.get("party_name") != doc.get("customer"):
				continue  # QBO links an estimate only to an invoice of its customer
			found[str(name)] = link.qbo_id
	return found


def attach_pdf(engine: PushMixin, client: QBOClient, link: Any) -> str:
	"""The invoice as QBO renders it for the customer, attached to the ERPNext invoice (once)."""
	content = client.pdf("Invoice", link.qbo_id)
	filename = f"QuickBooks Invoice {link.qbo_id} - {link.name}.pdf"
	engine.store.attach_file(link.doctype, link.name, filename, content)
	link.pushed["after"] = filename
	engine.store.save_link(link)
	return f"Attached the QuickBooks invoice PDF ({filename})."


def finish(engine: PushMixin, config: ConnectionConfig, doc: dict[str, Any], mapped: Mapped) -> None:
	if mapped.entity != "Invoice":
		return
	if getattr(config, "attach_invoice_pdf", False):
		mapped.after = attach_pdf
	found = estimates(engine, config, doc)
	if found:
		mapped.body["LinkedTxn"] = [{"TxnId": qbo_id, "TxnType": "Estimate"} for qbo_id in found.values()]
		engine.note(
			"Linked to "
			+ ", ".join(f"QuickBooks Estimate {qbo_id} (Quotation {name})" for name, qbo_id in found.items())
			+ "."
		)


KIND = Kind(
	key="sales_invoice",
	doctype=DOCTYPE,
	title="Sales Invoice",
	plural="sales invoices",
	entity="Invoice",
	map=map_sales_invoice,
	party=CUSTOMER,
	party_field="customer",
	not_pulled="qbo_txn_ref",  # made from a QBO invoice/credit memo (sync/invoice_pull.py): never sent back
	filters=(("is_return", 0),),
	items="items",
	depends=("party", "items", "accounts"),
	lookup=("DocNumber", "note"),
	number=invoice_number,
	cancel=("void",),
	submit_switch="push_invoices_on_submit",
	events=("on_submit", "on_cancel", "on_update_after_submit"),
	update_fields=("due_date",),
	updatable=("DueDate",),
	groundwork=groundwork,
	prepare=prepare,
	finish=finish,
)
