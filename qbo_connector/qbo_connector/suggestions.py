"""The maps' "Suggest" button: rows for the QBO Account Map and QBO Tax Map, with how sure each one is.

Nothing is saved here: the form shows the suggestions, the user ticks the ones to keep, they are added to the
unsaved form, and only the user's Save keeps them. The matching itself is mapping/suggest.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import frappe
from frappe import _

from qbo_connector.mapping.context import tax_codes_from_json
from qbo_connector.mapping.money import D
from qbo_connector.mapping.suggest import suggest_accounts, suggest_by_name, suggest_tax_codes
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import run_logged, throw_qbo_error
from qbo_connector.qbo_connector.lookups import FITTING_ACCOUNT_TYPES, get_list
from qbo_connector.qbo_connector.permissions import MAP_ROLES, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION

# Charge types whose rate is a percentage (as mapping/invoice.py counts them).
RATE_CHARGE_TYPES = ("On Net Total", "On Previous Row Amount", "On Previous Row Total", "On Item Quantity")


def _check(company: str) -> None:
	require_roles(MAP_ROLES)
	if not frappe.has_permission("Company", "read", company):
		frappe.throw(_("Not permitted to read company {0}").format(company), frappe.PermissionError)
	if not frappe.db.get_value(CONNECTION, company, "realm_id"):
		frappe.throw(_("{0} is not connected to QuickBooks yet.").format(company))


def account_rows(company: str) -> list[dict[str, Any]]:
	"""The ERPNext accounts an account map has rows for, each with its purpose and the QBO types it allows:
	income accounts, receivables, bank and cash (deposits), sales tax liabilities, round off, and the
	company's discount account."""
	accounts = frappe.get_all(
		"Account",
		filters={"company": company, "is_group": 0, "disabled": 0},
		fields=["name", "account_name", "account_number", "root_type", "account_type"],
		order_by="lft asc",
		limit_page_length=0,
	)
	discount = frappe.get_cached_value("Company", company, "default_discount_account")
	rows = []
	for account in accounts:
		purpose = None
		if account.root_type == "Income":
			purpose = "Income"
		elif account.account_type == "Receivable":
			purpose = "Receivable"
		elif account.account_type in ("Bank", "Cash"):
			purpose = "Deposit"
		elif account.account_type == "Tax" and account.root_type == "Liability":
			purpose = "Tax Liability"
		elif account.account_type == "Round Off":
			purpose = "Rounding"
		elif account.name == discount:
			purpose = "Discount"
		if purpose:
			rows.append({**account, "purpose": purpose, "allowed_types": FITTING_ACCOUNT_TYPES[purpose]})
	return rows


@frappe.whitelist()
def suggest_account_map(company: str) -> list[dict[str, Any]]:
	"""A suggested row per ERPNext account the company's QBO Account Map does not have yet."""
	_check(company)
	mapped = set()
	if frappe.db.exists("QBO Account Map", company):
		mapped = {
			(row.purpose, row.erpnext_account)
			for row in frappe.get_doc("QBO Account Map", company).accounts
			if row.erpnext_account
		}
	rows = [row for row in account_rows(company) if (row["purpose"], row["name"]) not in mapped]
	try:
		qbo_accounts = get_list(company, "accounts")
	except QBOError as exc:
		throw_qbo_error(exc)
	abbr = frappe.get_cached_value("Company", company, "abbr")
	out = []
	for row, suggestion in zip(rows, suggest_accounts(rows, qbo_accounts, abbr=abbr), strict=True):
		out.append(
			{
				"purpose": row["purpose"],
				"erpnext_account": row["name"],
				"qbo_account": suggestion.qbo_id,
				"qbo_account_name": suggestion.qbo_name,
				"qbo_account_type": suggestion.qbo_type,
				"confidence": suggestion.confidence,
				"match_reason": suggestion.reason,
			}
		)
	return out


def template_rate(template: str) -> Decimal:
	"""A Sales Taxes and Charges Template's percentage: its rate-based rows added up."""
	rows = frappe.get_all(
		"Sales Taxes and Charges",
		filters={"parent": template, "parenttype": "Sales Taxes and Charges Template"},
		fields=["charge_type", "rate"],
	)
	return sum((D(row.rate) for row in rows if row.charge_type in RATE_CHARGE_TYPES), D(0))


def tax_codes(company: str):
	"""QBO tax codes with their rates: kept on the connection (read with the company's settings), else read
	now (two paged queries, logged)."""
	from qbo_connector.sync.base import EngineBase

	cached = tax_codes_from_json(frappe.db.get_value(CONNECTION, company, "tax_code_rates"))
	if cached is not None:
		return cached

	def read(client: QBOClient):
		return EngineBase.read_tax_codes(client)

	try:
		return run_logged(company, "list_tax_rates", read, qbo_entity="TaxCode")
	except QBOError as exc:
		throw_qbo_error(exc)


@frappe.whitelist()
def suggest_tax_map(company: str) -> list[dict[str, Any]]:
	"""A suggested QBO tax code per Sales Taxes and Charges Template the QBO Tax Map does not map yet."""
	_check(company)
	mapped = set()
	if frappe.db.exists("QBO Tax Map", company):
		mapped = {row.sales_taxes_template for row in frappe.get_doc("QBO Tax Map", company).taxes}
	templates = [
		{"name": name, "rate": template_rate(name)}
		for name in frappe.get_all(
			"Sales Taxes and Charges Template",
			filters={"company": company, "disabled": 0},
			pluck="name",
			order_by="name asc",
		)
		if name not in mapped
	]
	out = []
	for template, suggestion in zip(templates, suggest_tax_codes(templates, tax_codes(company)), strict=True):
		out.append(
			{
				"sales_taxes_template": template["name"],
				"rate": str(template["rate"]),
				"qbo_tax_code": suggestion.qbo_id,
				"qbo_tax_code_name": suggestion.qbo_name,
				"confidence": suggestion.confidence,
				"match_reason": suggestion.reason,
			}
		)
	return out


def _class_map_rows(company: str, table: str) -> set[str]:
	map_doctype = "QBO Class and Location Map"
	if not frappe.db.exists(map_doctype, company):
		return set()
	doc = frappe.get_doc(map_doctype, company)
	field = "cost_center" if table == "classes" else "erpnext_value"
	return {row.get(field) for row in doc.get(table)}


@frappe.whitelist()
def suggest_classes(company: str) -> list[dict[str, Any]]:
	"""A QBO class per cost center of the company not in its QBO Class and Location Map yet, by name."""
	_check(company)
	mapped = _class_map_rows(company, "classes")
	centers = [
		{"name": row.name, "label": row.cost_center_name}
		for row in frappe.get_all(
			"Cost Center",
			filters={"company": company, "is_group": 0, "disabled": 0},
			fields=["name", "cost_center_name"],
			order_by="lft asc",
		)
		if row.name not in mapped
	]
	try:
		classes = get_list(company, "classes")
	except QBOError as exc:
		throw_qbo_error(exc)
	abbr = frappe.get_cached_value("Company", company, "abbr")
	return [
		{
			"cost_center": s.key,
			"qbo_class": s.qbo_id,
			"qbo_class_name": s.qbo_name,
			"confidence": s.confidence,
			"match_reason": s.reason,
		}
		for s in suggest_by_name(centers, classes, abbr=abbr)
	]


def location_values(company: str) -> list[str]:
	"""What the connection's Location Field holds: the Branch records when it is `branch`, and the values
	the company's invoices carry in it."""
	field = (frappe.db.get_value(CONNECTION, company, "location_field") or "branch").strip()
	values: list[str] = []
	if field == "branch" and frappe.db.exists("DocType", "Branch"):
		values += frappe.get_all("Branch", pluck="name", order_by="name asc")
	if frappe.get_meta("Sales Invoice").has_field(field):
		values += [
			value
			for value in frappe.get_all(
				"Sales Invoice",
				filters={"company": company, field: ("is", "set")},
				pluck=field,
				distinct=True,
				limit_page_length=1000,
			)
			if value
		]
	return list(dict.fromkeys(values))


@frappe.whitelist()
def suggest_locations(company: str) -> list[dict[str, Any]]:
	"""A QBO location (Department) per branch (Location Field value) not in the map yet, by name."""
	_check(company)
	mapped = _class_map_rows(company, "locations")
	records = [{"name": value} for value in location_values(company) if value not in mapped]
	try:
		locations = get_list(company, "locations")
	except QBOError as exc:
		throw_qbo_error(exc)
	return [
		{
			"erpnext_value": s.key,
			"qbo_location": s.qbo_id,
			"qbo_location_name": s.qbo_name,
			"confidence": s.confidence,
			"match_reason": s.reason,
		}
		for s in suggest_by_name(records, locations)
	]
