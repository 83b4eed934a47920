"""What the purchase kinds share: the supplier's vendor, the QBO accounts their items book to, the
connection's purchase accounts. Items are never created in QBO for a purchase (see mapping/purchase.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.customer import map_address

from ..store import ITEM

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig
	from .base import Kind

EXPENSE_ACCOUNT_KEY = "ExpenseAccountRef"  # kept in an item link's `pushed`: the QBO account it expenses to


def linked_items(
	engine: PushMixin, client: QBOClient, config: ConnectionConfig, kind: Kind, doc: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
	"""(item code -> QBO Item id, item code -> the QBO expense account it books to) for the document's items
	that are linked to QBO items; the account is read from QBO once and kept on the item's link."""
	refs: dict[str, str] = {}
	accounts: dict[str, str] = {}
	for code in kind.item_codes(doc):
		link = engine.store.get_link(config.realm_id, ITEM, code)
		if link is None or link.state != "synced" or not link.qbo_id:
			continue
		refs[code] = link.qbo_id
		account = link.pushed.get(EXPENSE_ACCOUNT_KEY)
		if account is None:
			obj = client.read(ITEM, link.qbo_id)
			account = str((obj.get(EXPENSE_ACCOUNT_KEY) or {}).get("value") or "")
			link.pushed[EXPENSE_ACCOUNT_KEY] = account
			engine.store.save_link(link)
		if account:
			accounts[code] = account
	return refs, accounts


def groundwork_items(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	kind: Kind,
) -> None:
	ctx.item_refs, ctx.item_expense_accounts = linked_items(engine, client, config, kind, doc)


def address(engine: PushMixin, name: Any) -> dict[str, str] | None:
	"""A QBO PhysicalAddress for an ERPNext Address (a purchase order's shipping address)."""
	record = engine.store.get_doc("Address", str(name)) if name else None
	return map_address(record) if record else None


def account_type(engine: PushMixin, client: QBOClient, account: str) -> str:
	"""The QBO AccountType of an account ("Bank", "Credit Card"...): how a supplier was paid."""
	return str(client.read("Account", account).get("AccountType") or "")
