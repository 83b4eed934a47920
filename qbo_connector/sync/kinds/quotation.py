"""Quotation (submitted, to a Customer) -> QBO Estimate.

Depends on its customer and items, like an invoice. Cancel rejects the estimate (TxnStatus Rejected: it
stays in QBO as the quotation stays in ERPNext, cancelled), or deletes it where QBO refuses the update.
An amended quotation is a new estimate. A quotation to a Lead or Prospect has no QBO customer yet and is
not sent. A Sales Invoice made from a pushed quotation (through its Sales Order) is linked to the estimate
(sales_invoice.py), and QBO closes the estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_dimensions
from qbo_connector.mapping.estimate import map_estimate
from qbo_connector.mapping.invoice import doc_number

from ..mapper import Mapped
from .base import Kind
from .parties import CUSTOMER

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Quotation"


def map_quotation(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	"""Estimate, tagged with classes and a location like an invoice (alternative items are not lines)."""
	estimate = map_estimate(doc, ctx)
	lines = [row for row in doc.get("items") or [] if not row.get("is_alternative")]
	apply_dimensions(estimate.body, {**doc, "items": lines}, ctx, DOCTYPE)
	return Mapped(
		entity="Estimate",
		body=estimate.body,
		expected_total=estimate.expected_total,
		warnings=list(estimate.warnings),
		difference_reasons=[d.reason for d in estimate.known_differences],
		source=estimate,
		tolerance=estimate.tolerance,
	)


def estimate_number(doc: Mapping[str, Any], config: Any) -> str:
	return doc_number(str(doc["name"]), getattr(config, "doc_number_prefix", "") or "")


def prepare(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	probe: Mapped,
) -> None:
	ctx.customer_ref = engine.ensure_party(client, config, ctx, KIND, doc)
	ctx.item_refs = engine.ensure_items(client, config, ctx, doc, skip=KIND.skip_rows)


KIND = Kind(
	key="quotation",
	doctype=DOCTYPE,
	title="quotation to a customer",
	plural="quotations",
	entity="Estimate",
	map=map_quotation,
	party=CUSTOMER,
	party_field="party_name",
	filters=(("quotation_to", "Customer"),),
	items="items",
	skip_rows=("is_alternative",),
	depends=("party", "items"),
	lookup=("DocNumber", "note"),
	number=estimate_number,
	date_field="transaction_date",
	cancel=("update", "delete"),
	cancel_fields={"TxnStatus": "Rejected"},
	cancel_word="Rejected",
	switch="push_quotations",
	prepare=prepare,
)
