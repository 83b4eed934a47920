"""ERPNext Item -> QBO Item (Service or NonInventory; we never push Inventory).

QBO would need quantities and an asset account for Inventory, and ERPNext keeps stock in its own ledger;
pushing stock items as NonInventory keeps QBO's books about sales only (DESIGN: "Service or NonInventory
from ERPNext's stock flag").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import D, json_number
from qbo_connector.mapping.text import clean_name, short_hash, shorten_head, strip_html, truncate

DOCTYPE = "Item"
NAME_MAX = 100
SKU_MAX = 100
DESCRIPTION_MAX = 4000


@dataclass
class MappedItem:
	"""A QBO Item body ready to create, and what was changed to fit QBO."""

	body: dict[str, Any]
	warnings: list[str] = field(default_factory=list)


def item_name(item: Mapping[str, Any]) -> str:
	"""QBO Item Name from the item code, which ERPNext keeps unique (item_name is not).

	':' becomes '-' (':' means sub-item in QBO); beyond 100 characters the code is cut with a short stable
	hash so two long codes sharing a prefix never collide.
	"""
	code = clean_name(item.get("item_code") or item.get("name"), "-")
	if not code:
		raise MappingError(DOCTYPE, item.get("name"), "item_code", "the item has no item code")
	return shorten_head(code, NAME_MAX)


def account_item_name(account: str) -> str:
	"""QBO Item Name of the item that books sales to one ERPNext income account (lines whose account differs
	from their item's): "Income - Consulting - QTC"."""
	return shorten_head(clean_name(f"Income - {account}", "-"), NAME_MAX)


def item_name_candidates(item: Mapping[str, Any]) -> list[str]:
	"""QBO Item Names to try in order: the plain name, then the collision names.

	A name is taken when QBO holds it (case-insensitively) for an item linked to another ERPNext item, or
	answers 6240. The Name already is the item code, and what tells two colliding codes apart (':' or
	case, or what lies past 100 characters) is exactly what QBO cannot show, so the collision rule appends
	a short stable hash of the item code within the 100 characters: "A:B" and "A-B" become "A-B" and
	"A-B ~HASH". The Sku keeps the item code as typed.
	"""
	plain = item_name(item)
	code = str(item.get("item_code") or item.get("name") or "")
	candidates = [plain]
	for length in (6, 12):
		marker = f" ~{short_hash(code, length)}"
		candidates.append(plain[: NAME_MAX - len(marker)].rstrip() + marker)
	return list(dict.fromkeys(candidates))


def item_type(item: Mapping[str, Any]) -> Literal["Service", "NonInventory"]:
	"""Stock items become NonInventory (never Inventory), everything else Service."""
	return "NonInventory" if item.get("is_stock_item") else "Service"


def item_description(value: Any, fallback: Any, label: str, warnings: list[str]) -> str:
	"""Plain text of an HTML description within QBO's 4000 characters, with a warning when cut."""
	text = strip_html(value) or strip_html(fallback)
	text, cut = truncate(text, DESCRIPTION_MAX)
	if cut:
		warnings.append(
			f"{label} cut to {DESCRIPTION_MAX} characters for QuickBooks (the text had {len(strip_html(value))})"
		)
	return text


def _income_account_ref(item: Mapping[str, Any], ctx: MappingContext) -> str:
	name = item.get("name") or item.get("item_code")
	rows = [row for row in item.get("item_defaults") or [] if row.get("income_account")]
	if ctx.company:
		rows = [row for row in rows if row.get("company") == ctx.company] or rows
	if rows:
		row = rows[0]
		account = row["income_account"]
		if account in ctx.account_map:
			return ctx.account_map[account]
		if ctx.income_account_ref:
			return ctx.income_account_ref
		raise MappingError(
			DOCTYPE,
			name,
			f"item_defaults[{row.get('idx') or 1}].income_account",
			f"income account '{account}' is not mapped to a QuickBooks account and no default income account is set",
		)
	if ctx.income_account_ref:
		return ctx.income_account_ref
	raise MappingError(
		DOCTYPE,
		name,
		"item_defaults",
		"no income account on the item and no default QuickBooks income account is set",
	)


def map_item(item: Mapping[str, Any], ctx: MappingContext) -> MappedItem:
	"""QBO Item body for a create; Sku carries the item code so a later pull finds the ERPNext item again."""
	warnings: list[str] = []
	sku = str(item.get("item_code") or item.get("name") or "")
	body: dict[str, Any] = {
		"Name": item_name(item),
		"Type": item_type(item),
		"Sku": sku[:SKU_MAX],
		"Active": not item.get("disabled"),
		"IncomeAccountRef": {"value": _income_account_ref(item, ctx)},
	}
	if len(sku) > SKU_MAX:
		warnings.append(f"Sku cut to {SKU_MAX} characters")
	if body["Name"] != clean_name(sku, "-"):
		warnings.append(f"Name shortened to '{body['Name']}' (QuickBooks allows {NAME_MAX} characters)")
	description = item_description(item.get("description"), item.get("item_name"), "Description", warnings)
	if description:
		body["Description"] = description
	if item.get("standard_rate") not in (None, ""):
		body["UnitPrice"] = json_number(D(item.get("standard_rate")))
	if body["Type"] == "NonInventory":
		body["TrackQtyOnHand"] = False
	return MappedItem(body=body, warnings=warnings)


def item_sparse_changes(
	erp_item: Mapping[str, Any], qbo_item: Mapping[str, Any], ctx: MappingContext
) -> dict[str, Any] | None:
	"""Sparse update for name, description, price and active flag changed in ERPNext; None when current.

	Type and income account are left alone: QBO does not allow changing an item's type, and the account
	may have been corrected by the accountant.
	"""
	desired = map_item(erp_item, ctx).body
	changes: dict[str, Any] = {}
	if qbo_item.get("Name") not in item_name_candidates(erp_item):  # a collision name is kept
		changes["Name"] = desired["Name"]
	for key in ("Sku", "Description", "Active"):
		if key in desired and desired[key] != qbo_item.get(key):
			changes[key] = desired[key]
	if "UnitPrice" in desired and D(desired["UnitPrice"]) != D(qbo_item.get("UnitPrice")):
		changes["UnitPrice"] = desired["UnitPrice"]
	if not changes:
		return None
	return {"Id": qbo_item.get("Id"), "SyncToken": qbo_item.get("SyncToken"), "sparse": True, **changes}
