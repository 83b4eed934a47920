"""Purchase Order (submitted) -> QBO PurchaseOrder: item and account lines (mapping/purchase.py), the terms as
the memo, the shipping address as ShipAddr, the required-by date as DueDate.

Depends on its supplier (created or adopted as a QBO Vendor, one per ERPNext supplier) and on the accounts its
lines are mapped to. Cancel closes it in QBO (POStatus Closed): a purchase order is never voided there, and
closing keeps what was ordered visible, as the cancelled order stays in ERPNext. An amendment is a new order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_purchase_dimensions
from qbo_connector.mapping.invoice import doc_number
from qbo_connector.mapping.purchase import map_purchase_order

from ..mapper import Mapped
from . import purchasing
from .base import Kind
from .parties import SUPPLIER

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Purchase Order"


def map_order(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	"""PurchaseOrder, tagged as the QBO company tracks classes (per line, or one on the form) and locations."""
	order = map_purchase_order(doc, ctx)
	apply_purchase_dimensions(order.body, doc, ctx, DOCTYPE, header_class=True)
	return Mapped(
		entity=order.entity,
		body=order.body,
		expected_total=order.expected_total,
		warnings=list(order.warnings),
		difference_reasons=list(order.difference_reasons),
		source=order,
	)


def order_number(doc: Mapping[str, Any], config: Any) -> str:
	return doc_number(str(doc["name"]), getattr(config, "doc_number_prefix", "") or "")


def groundwork(
	engine: PushMixin, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, doc: dict[str, Any]
) -> None:
	purchasing.groundwork_items(engine, client, config, ctx, doc, KIND)
	ctx.ship_address = purchasing.address(engine, doc.get("shipping_address"))


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
	key="purchase_order",
	doctype=DOCTYPE,
	title="purchase order",
	plural="purchase orders",
	entity="PurchaseOrder",
	map=map_order,
	party=SUPPLIER,
	party_field="supplier",
	items="items",
	depends=("party", "accounts"),
	lookup=("DocNumber", "note"),
	number=order_number,
	date_field="transaction_date",
	cancel=("update",),
	cancel_fields={"POStatus": "Closed"},
	cancel_word="Closed",
	switch="push_purchase_orders",
	groundwork=groundwork,
	prepare=prepare,
)
