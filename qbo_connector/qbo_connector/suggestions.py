"""The maps' "Suggest" button: rows for the QBO Account Map and QBO Tax Map, with how sure each one is.

Nothing is saved here: the form shows the suggestions, the user ticks the ones to keep, they are added to the
unsaved form, and only the user's Save keeps them. The matching itself is mapping/suggest.py.

The Employee map is QBO Link rows, not a form: its Suggest (on the QBO Connection, "Go to" group) proposes,
and confirm_employee_map writes only the rows the user ticked, as the employee pull writes them."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import frappe
from frappe import _

from qbo_connector.mapping.context import tax_codes_from_json
from qbo_connector.mapping.money import D
from qbo_connector.mapping.suggest import (
	suggest_accounts,
	suggest_by_name,
	suggest_employees,
	suggest_tax_codes,
)
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


EMPLOYEE = "Employee"
LINK = "QBO Link"
EMPLOYEE_EMAILS = ("company_email", "personal_email", "prefered_email", "user_id")  # as the employee pull


def _realm(company: str) -> str:
	return str(frappe.db.get_value(CONNECTION, company, "realm_id"))


def employee_links(realm_id: str) -> dict[str, str]:
	"""ERPNext employee -> QBO employee id of every Employee map row of the QBO company (inactive ones too)."""
	rows = frappe.get_all(
		LINK,
		filters={"realm_id": realm_id, "reference_doctype": EMPLOYEE, "qbo_id": ("is", "set")},
		fields=["reference_name", "qbo_id"],
		limit_page_length=0,
	)
	return {row.reference_name: str(row.qbo_id) for row in rows}


def unmapped_employees(company: str, mapped: dict[str, str]) -> list[dict[str, Any]]:
	rows = frappe.get_all(
		EMPLOYEE,
		filters={"company": company, "status": "Active"},
		fields=["name", "employee_name", *EMPLOYEE_EMAILS],
		order_by="employee_name asc, name asc",
		limit_page_length=0,
	)
	return [
		{
			"name": row.name,
			"employee_name": row.employee_name,
			"emails": [row.get(field) for field in EMPLOYEE_EMAILS if row.get(field)],
		}
		for row in rows
		if row.name not in mapped
	]


def _qbo_employees(company: str, refresh: bool) -> list[dict[str, Any]]:
	try:
		return get_list(company, "employees", refresh=refresh)
	except QBOError as exc:
		throw_qbo_error(exc)


@frappe.whitelist()
def suggest_employee_map(company: str) -> list[dict[str, Any]]:
	"""A QBO employee per active ERPNext employee of the company that is not in the Employee map yet (by
	e-mail, then by name; see mapping/suggest.py). Nothing is saved."""
	_check(company)
	mapped = employee_links(_realm(company))
	people = unmapped_employees(company, mapped)
	if not people:
		return []
	suggestions = suggest_employees(people, _qbo_employees(company, refresh=True), mapped.values())
	names = {person["name"]: person["employee_name"] for person in people}
	return [
		{
			"employee": s.key,
			"employee_name": names.get(s.key),
			"qbo_employee": s.qbo_id,
			"qbo_employee_name": s.qbo_name,
			"confidence": s.confidence,
			"match_reason": s.reason,
		}
		for s in suggestions
	]


@frappe.whitelist(methods=["POST"])
def confirm_employee_map(company: str, rows: str | list[dict[str, Any]]) -> dict[str, Any]:
	"""Write the Employee map rows the user kept ({employee, qbo_employee} each) as QBO Link rows, as the
	employee pull writes them. All or nothing: an employee of another company, inactive or mapped already, a
	QBO employee unknown, inactive or mapped already, or one used twice refuses the whole confirmation."""
	_check(company)
	picked = frappe.parse_json(rows) if isinstance(rows, str) else rows
	if not isinstance(picked, list) or not picked:
		frappe.throw(_("Tick at least one employee to map."))
	realm = _realm(company)
	mapped = employee_links(realm)
	qbo_rows = {row["Id"]: row for row in _qbo_employees(company, refresh=False)}
	taken = set(mapped.values())
	problems: list[str] = []
	seen_employees: set[str] = set()
	seen_qbo: set[str] = set()
	pairs: list[tuple[str, str]] = []
	for row in picked:
		employee = str((row or {}).get("employee") or "")
		qbo_id = str((row or {}).get("qbo_employee") or "")
		if not employee or not qbo_id:
			problems.append(_("A row names no employee or no QuickBooks employee."))
			continue
		facts = frappe.db.get_value(EMPLOYEE, employee, ["company", "status"], as_dict=True)
		qbo = qbo_rows.get(qbo_id)
		if not facts or facts.company != company or facts.status != "Active":
			problems.append(_("Employee {0} is not an active employee of {1}.").format(employee, company))
		elif employee in mapped:
			problems.append(_("Employee {0} is already mapped.").format(employee))
		elif qbo is None or qbo.get("Active") is False:
			problems.append(_("QuickBooks employee {0} does not exist or is inactive.").format(qbo_id))
		elif qbo_id in taken:
			problems.append(
				_("QuickBooks employee {0} is already mapped to another employee.").format(qbo_id)
			)
		elif employee in seen_employees or qbo_id in seen_qbo:
			problems.append(
				_("Employee {0} or QuickBooks employee {1} is ticked twice.").format(employee, qbo_id)
			)
		else:
			seen_employees.add(employee)
			seen_qbo.add(qbo_id)
			pairs.append((employee, qbo_id))
	if problems:
		frappe.throw(
			"<br>".join(frappe.utils.escape_html(p) for p in problems), title=_("Nothing was mapped")
		)
	from qbo_connector.qbo_connector.store import FrappeStore
	from qbo_connector.sync.store import Link

	store = FrappeStore()
	now = datetime.now(timezone.utc)
	for employee, qbo_id in pairs:
		store.save_link(
			Link(
				realm,
				EMPLOYEE,
				employee,
				EMPLOYEE,
				qbo_id=qbo_id,
				state="synced",
				last_synced=now,
				origin="pull",
			)
		)
	frappe.db.commit()
	return {"mapped": [{"employee": e, "qbo_employee": q} for e, q in pairs]}
