"""Checks of the account and tax maps against QuickBooks, reported per row in plain words.

A map that points at a deleted, inactive or wrong kind of QBO account only fails later, one invoice at a
time, with an Intuit error code. Checking the map up front turns that into one sentence per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import frappe
from frappe import _

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import NotFoundError
from qbo_connector.qbo_connector.client import run_logged
from qbo_connector.qbo_connector.lookups import FITTING_ACCOUNT_TYPES
from qbo_connector.qbo_connector.settings import CONNECTION

US_PSEUDO_TAX_CODES = ("TAX", "NON")


def read_many(company: str, entity: str, ids: Iterable[str], operation: str) -> dict[str, dict | None]:
	"""QBO objects by id (None for ids QBO does not know), read in one logged operation.

	Read one by one rather than queried: a query hides inactive objects, and inactive is what we look for.
	"""
	wanted = sorted({str(i) for i in ids if i})

	def read(client: QBOClient) -> dict[str, dict | None]:
		found: dict[str, dict | None] = {}
		for qbo_id in wanted:
			try:
				found[qbo_id] = client.read(entity, qbo_id)
			except NotFoundError:
				found[qbo_id] = None
		return found

	if not wanted:
		return {}
	return run_logged(company, operation, read, qbo_entity=entity)


def result(label: str, ok: bool, message: str, row: int | None = None) -> dict[str, Any]:
	return {"row": row, "label": label, "ok": ok, "message": message}


def check_account(purpose: str, qbo_id: str, account: dict | None) -> tuple[bool, str]:
	"""Whether a QBO account fits a purpose; the message says what is wrong or what it is."""
	if account is None:
		return False, _(
			"QuickBooks has no account with ID {0}. Pick the account again from the list."
		).format(qbo_id)
	name = account.get("FullyQualifiedName") or account.get("Name") or qbo_id
	if account.get("Active") is False:
		return False, _(
			"QuickBooks account '{0}' is inactive. Make it active in QuickBooks or pick another."
		).format(name)
	fitting = FITTING_ACCOUNT_TYPES.get(purpose, ())
	account_type = account.get("AccountType") or _("unknown type")
	if fitting and account.get("AccountType") not in fitting:
		return False, _("QuickBooks account '{0}' is a {1} account ({2}); a {3} row needs {4}.").format(
			name,
			account_type,
			account.get("Classification") or "-",
			_(purpose),
			_(" or ").join(_(t) for t in fitting),
		)
	return True, _("OK: '{0}' ({1}).").format(name, account_type)


def check_tax_code(qbo_id: str, code: dict | None, is_us: bool) -> tuple[bool, str]:
	"""Whether a QBO tax code can be put on a sales line (or, for US companies, on the invoice)."""
	if is_us and qbo_id in US_PSEUDO_TAX_CODES:
		return True, _("OK: '{0}' (US line code).").format(qbo_id)
	if code is None:
		return False, _("QuickBooks has no tax code with ID {0}. Pick it again from the list.").format(qbo_id)
	name = code.get("Name") or qbo_id
	if code.get("Active") is False:
		return False, _(
			"QuickBooks tax code '{0}' is inactive. Make it active in QuickBooks or pick another."
		).format(name)
	rates = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
	if code.get("Taxable") and not rates:
		return False, _(
			"QuickBooks tax code '{0}' has no sales rate, so it cannot be used on invoices."
		).format(name)
	if not code.get("Taxable"):
		return True, _("OK: '{0}' (not taxable).").format(name)
	return True, _("OK: '{0}' ({1} sales rate(s)).").format(name, len(rates))


def _refresh_names(doctype: str, row, **values: str | None) -> None:
	changed = {key: value for key, value in values.items() if value and row.get(key) != value}
	if changed:
		frappe.db.set_value(doctype, row.name, changed, update_modified=False)


def _erpnext_account_problem(account: str, company: str) -> str | None:
	row = frappe.db.get_value("Account", account, ["company", "disabled", "is_group"], as_dict=True)
	if not row:
		return _("ERPNext account {0} does not exist.").format(account)
	if row.company != company:
		return _("ERPNext account {0} belongs to {1}, not {2}.").format(account, row.company, company)
	if row.disabled:
		return _("ERPNext account {0} is disabled.").format(account)
	if row.is_group:
		return _("ERPNext account {0} is a group; map the ledger accounts under it.").format(account)
	return None


def validate_account_map(company: str) -> list[dict[str, Any]]:
	"""One result per row of the company's QBO Account Map, plus the connection's own account pickers."""
	doc = frappe.get_doc("QBO Account Map", company)
	connection = (
		frappe.db.get_value(
			CONNECTION,
			company,
			["payments_deposit_account", "deposit_bank_account", "create_deposits"],
			as_dict=True,
		)
		or frappe._dict()
	)
	extra = []
	if connection.payments_deposit_account:
		extra.append(
			(_("Deposit Payments To (QBO Connection)"), "Deposit", connection.payments_deposit_account)
		)
	if connection.create_deposits and connection.deposit_bank_account:
		extra.append((_("Deposit Bank Account (QBO Connection)"), "Bank", connection.deposit_bank_account))
	found = read_many(
		company,
		"Account",
		[row.qbo_account for row in doc.accounts] + [qbo_id for _label, _purpose, qbo_id in extra],
		"validate_account_map",
	)
	results = []
	for row in doc.accounts:
		label = _("Row {0} · {1}").format(row.idx, _(row.purpose))
		if row.erpnext_account and (problem := _erpnext_account_problem(row.erpnext_account, company)):
			results.append(result(label, False, problem, row.idx))
			continue
		account = found.get(str(row.qbo_account))
		ok, message = check_account(row.purpose, row.qbo_account, account)
		results.append(result(label, ok, message, row.idx))
		if account:  # show QuickBooks' current name next to the id
			_refresh_names(
				"QBO Account Map Item",
				row,
				qbo_account_name=account.get("FullyQualifiedName") or account.get("Name"),
				qbo_account_type=account.get("AccountType"),
			)
	for label, purpose, qbo_id in extra:
		ok, message = check_account(purpose, qbo_id, found.get(str(qbo_id)))
		results.append(result(label, ok, message))
	return results


def validate_tax_map(company: str) -> list[dict[str, Any]]:
	"""One result per row of the company's QBO Tax Map, plus the connection's default (and US) tax code."""
	doc = frappe.get_doc("QBO Tax Map", company)
	connection = (
		frappe.db.get_value(
			CONNECTION, company, ["default_tax_code", "us_tax_code", "is_us_company"], as_dict=True
		)
		or frappe._dict()
	)
	is_us = bool(connection.is_us_company)
	extra = []
	if connection.default_tax_code:
		extra.append((_("Default Tax Code (QBO Connection)"), connection.default_tax_code))
	if is_us and connection.us_tax_code:
		extra.append((_("US Sales Tax Code (QBO Connection)"), connection.us_tax_code))
	ids = [row.qbo_tax_code for row in doc.taxes] + [qbo_id for _label, qbo_id in extra]
	found = read_many(
		company, "TaxCode", [i for i in ids if not (is_us and i in US_PSEUDO_TAX_CODES)], "validate_tax_map"
	)
	results = []
	for row in doc.taxes:
		label = _("Row {0} · {1}").format(
			row.idx, row.sales_taxes_template or row.item_tax_template or row.tax_account or "-"
		)
		problem = None
		for doctype, template in (
			("Sales Taxes and Charges Template", row.sales_taxes_template),
			("Item Tax Template", row.item_tax_template),
		):
			template_company = frappe.db.get_value(doctype, template, "company") if template else company
			if not problem and template_company != company:
				problem = _("Tax template {0} belongs to {1}, not {2}.").format(
					template, template_company or "-", company
				)
		if not problem and row.tax_account:
			problem = _erpnext_account_problem(row.tax_account, company)
		if problem:
			results.append(result(label, False, problem, row.idx))
			continue
		code = found.get(str(row.qbo_tax_code))
		ok, message = check_tax_code(str(row.qbo_tax_code), code, is_us)
		results.append(result(label, ok, message, row.idx))
		if code:
			_refresh_names("QBO Tax Map Item", row, qbo_tax_code_name=code.get("Name"))
	for label, qbo_id in extra:
		ok, message = check_tax_code(str(qbo_id), found.get(str(qbo_id)), is_us)
		results.append(result(label, ok, message))
	return results
