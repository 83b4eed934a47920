"""Live lists from QuickBooks (accounts, tax codes, items) for the pickers on the connection and the maps.

Lists are cached in Redis for a few minutes per QBO company: a form with ten pickers must not cost ten
round trips to Intuit, and an admin who just added an account in QBO can press Refresh.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from qbo_connector.mapping.context import tax_codes_from_json
from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import run_logged, throw_qbo_error
from qbo_connector.qbo_connector.permissions import READ_ROLES, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION

CACHE_TTL = 300  # seconds
MAX_OPTIONS = 99  # what the Autocomplete control shows

# kind -> (QBO entity, query). Items: only the types the connector sends (Service, NonInventory).
LISTS: dict[str, tuple[str, str]] = {
	"accounts": ("Account", "select * from Account"),
	"tax_codes": ("TaxCode", "select * from TaxCode"),
	"items": ("Item", "select * from Item where Type in ('Service', 'NonInventory')"),
	"classes": ("Class", "select * from Class"),
	"locations": ("Department", "select * from Department"),
	"employees": ("Employee", "select * from Employee"),
}

# Which QBO AccountTypes fit each purpose of an account map row (and the connection's account pickers).
FITTING_ACCOUNT_TYPES: dict[str, tuple[str, ...]] = {
	"Income": ("Income", "Other Income"),
	"Receivable": ("Accounts Receivable",),
	"Discount": ("Income", "Other Income", "Expense", "Other Expense", "Cost of Goods Sold"),
	"Tax Liability": ("Other Current Liability",),
	"Deposit": ("Bank", "Other Current Asset"),
	"Rounding": ("Income", "Other Income", "Expense", "Other Expense"),
	"Bank": ("Bank",),
	"Expense": ("Expense", "Other Expense", "Cost of Goods Sold"),
	"Payable": ("Accounts Payable",),
}


def _cache_key(realm_id: str, kind: str) -> str:
	return f"qbo:list:{realm_id}:{kind}"


def _slim(kind: str, row: dict[str, Any]) -> dict[str, Any]:
	"""Only what pickers and checks need (cached rows stay small)."""
	out = {"Id": str(row.get("Id")), "Name": row.get("Name"), "Active": row.get("Active", True)}
	if kind == "accounts":
		out.update(
			FullyQualifiedName=row.get("FullyQualifiedName") or row.get("Name"),
			AccountType=row.get("AccountType"),
			AccountSubType=row.get("AccountSubType"),
			Classification=row.get("Classification"),
			AcctNum=row.get("AcctNum"),
			CurrencyRef=(row.get("CurrencyRef") or {}).get("value"),
		)
	elif kind == "tax_codes":
		rates = (row.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
		out.update(Taxable=row.get("Taxable"), TaxGroup=row.get("TaxGroup"), SalesRates=len(rates))
	elif kind == "items":
		out.update(Type=row.get("Type"), FullyQualifiedName=row.get("FullyQualifiedName") or row.get("Name"))
	elif kind in ("classes", "locations"):
		out.update(FullyQualifiedName=row.get("FullyQualifiedName") or row.get("Name"))
	elif kind == "employees":
		out.update(
			Name=row.get("DisplayName"),
			DisplayName=row.get("DisplayName"),
			GivenName=row.get("GivenName"),
			MiddleName=row.get("MiddleName"),
			FamilyName=row.get("FamilyName"),
			PrimaryEmailAddr={"Address": (row.get("PrimaryEmailAddr") or {}).get("Address")},
		)
	return out


def _realm(company: str) -> str:
	realm_id = frappe.db.get_value(CONNECTION, company, "realm_id")
	if not realm_id:
		frappe.throw(_("{0} is not connected to QuickBooks yet.").format(company))
	return realm_id


def get_list(company: str, kind: str, refresh: bool = False) -> list[dict[str, Any]]:
	"""The QBO list of `kind` for a company, from Redis when fresh, else read from QBO (and logged)."""
	if kind not in LISTS:
		frappe.throw(_("Unknown QuickBooks list {0}").format(kind))
	cache = frappe.cache()
	key = _cache_key(_realm(company), kind)
	if not refresh:
		rows = cache.get_value(key, expires=True)
		if rows is not None:
			return rows
	entity, query = LISTS[kind]
	raw = run_logged(company, f"list_{kind}", lambda client: list(client.query_all(query)), qbo_entity=entity)
	rows = [_slim(kind, row) for row in raw]
	cache.set_value(key, rows, expires_in_sec=CACHE_TTL)
	return rows


def cached_row(company: str, kind: str, qbo_id: str) -> dict[str, Any] | None:
	"""A QBO list row by id if the list is cached (never calls QBO: used while saving a form)."""
	realm_id = frappe.db.get_value(CONNECTION, company, "realm_id") if company else None
	if not realm_id or not qbo_id:
		return None
	rows = frappe.cache().get_value(_cache_key(realm_id, kind), expires=True) or []
	return next((row for row in rows if row["Id"] == str(qbo_id)), None)


def cached_name(company: str, kind: str, qbo_id: str) -> str | None:
	"""The display name of a QBO id if the list is cached."""
	row = cached_row(company, kind, qbo_id)
	return (row.get("FullyQualifiedName") or row.get("Name")) if row else None


def _options(rows: list[dict[str, Any]], txt: str, describe) -> list[dict[str, str]]:
	txt = (txt or "").strip().lower()
	out = []
	for row in rows:
		if row.get("Active") is False:
			continue
		label = row.get("FullyQualifiedName") or row.get("Name") or row["Id"]
		description = describe(row)
		if txt and txt not in f"{label} {description} {row['Id']}".lower():
			continue
		out.append({"value": row["Id"], "label": label, "description": description})
	return out[:MAX_OPTIONS]


def _get(company: str, kind: str, refresh: int | bool) -> list[dict[str, Any]]:
	require_roles(READ_ROLES)
	try:
		return get_list(company, kind, refresh=bool(int(refresh or 0)))
	except QBOError as exc:
		throw_qbo_error(exc, _("Could not read the QuickBooks list"))


@frappe.whitelist()
def search_accounts(
	company: str, txt: str | None = None, purpose: str | None = None, refresh: int = 0
) -> list[dict[str, str]]:
	"""Options for a QuickBooks account picker; with a purpose, only the account types that fit it."""
	rows = _get(company, "accounts", refresh)
	fitting = FITTING_ACCOUNT_TYPES.get(purpose or "")
	if fitting:
		rows = [row for row in rows if row.get("AccountType") in fitting]
	return _options(
		rows, txt, lambda row: " · ".join(v for v in (row.get("AccountType"), row.get("AcctNum")) if v)
	)


@frappe.whitelist()
def search_tax_codes(company: str, txt: str | None = None, refresh: int = 0) -> list[dict[str, str]]:
	"""Options for a QuickBooks tax code picker."""
	rows = _get(company, "tax_codes", refresh)
	rates = tax_codes_from_json(frappe.db.get_value(CONNECTION, company, "tax_code_rates")) or {}

	def describe(row: dict[str, Any]) -> str:
		# The rate is what a person matches against the ERPNext template: show it (known after a push or
		# Validate Mappings read the codes' rates).
		code = rates.get(row["Id"])
		kind = (
			_("Tax group")
			if row.get("TaxGroup")
			else (_("Taxable") if row.get("Taxable") else _("Not taxable"))
		)
		if code is not None and code.rates:
			return f"{code.total_rate.normalize():f} % · {kind}"
		return kind

	return _options(rows, txt, describe)


@frappe.whitelist()
def search_items(company: str, txt: str | None = None, refresh: int = 0) -> list[dict[str, str]]:
	"""Options for a QuickBooks item picker (Service and NonInventory items)."""
	rows = _get(company, "items", refresh)
	return _options(rows, txt, lambda row: row.get("Type") or "")


@frappe.whitelist()
def search_classes(company: str, txt: str | None = None, refresh: int = 0) -> list[dict[str, str]]:
	"""Options for a QuickBooks class picker."""
	return _options(_get(company, "classes", refresh), txt, lambda row: "")


@frappe.whitelist()
def search_locations(company: str, txt: str | None = None, refresh: int = 0) -> list[dict[str, str]]:
	"""Options for a QuickBooks location (Department) picker."""
	return _options(_get(company, "locations", refresh), txt, lambda row: "")
