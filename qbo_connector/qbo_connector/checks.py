"""Checks of the account and tax maps against QuickBooks, reported per row in plain words.

A map that points at a deleted, inactive or wrong kind of QBO account, or at a tax code whose rate is not
the ERPNext template's, only fails later, one invoice at a time. Checking the map up front turns that into
one sentence per row, naming both sides: the ERPNext account or template and its type or rate, the
QuickBooks account or code and its type or rate. A row is fine only when both sides agree on what matters:
an account of a fitting type on each side; a tax code that charges the template's rate (for US companies,
a real tax code or tax group, never the TAX/NON line markers, since it goes on the invoice as a whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import frappe
from frappe import _

from qbo_connector.mapping.context import TaxCodeInfo, tax_codes_to_json
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import NotFoundError
from qbo_connector.qbo_connector.client import run_logged
from qbo_connector.qbo_connector.lookups import FITTING_ACCOUNT_TYPES
from qbo_connector.qbo_connector.settings import CONNECTION

US_PSEUDO_TAX_CODES = ("TAX", "NON")
# Charge types whose amount follows the lines (an "Actual" row is a fixed amount; "On Item Quantity" is an
# amount per unit): only these have a rate to compare (mapping/invoice.py reads the same ones).
RATE_CHARGE_TYPES = ("On Net Total", "On Previous Row Amount", "On Previous Row Total")
RATE_TOLERANCE = Decimal("0.0001")  # percentage points: 8.875 and 8.8750 are one rate
# Which ERPNext accounts fit each purpose of an account map row: (root types, account types); either fits.
FITTING_ERPNEXT_ACCOUNTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
	"Income": (("Income",), ()),
	"Receivable": ((), ("Receivable",)),
	"Discount": (("Income", "Expense"), ()),
	"Tax Liability": (("Liability",), ("Tax",)),
	"Deposit": ((), ("Bank", "Cash")),
	"Rounding": (("Income", "Expense"), ("Round Off",)),
}


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


def percent(value: Decimal) -> str:
	"""8.875 -> '8.875 %', 6.000 -> '6 %' (as mapping/invoice.py words rates)."""
	text = f"{value.normalize():f}"
	return f"{text} %"


# -- accounts ---------------------------------------------------------------------------------------------


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
	return True, _("QuickBooks '{0}' ({1})").format(name, account_type)


def erpnext_account_fit(purpose: str, account: str, company: str) -> tuple[str | None, str]:
	"""(problem or None, 'name (type)') for the ERPNext side of an account map row: it exists, belongs to
	the company, is an enabled ledger, and is of a kind the purpose posts to."""
	row = frappe.db.get_value(
		"Account",
		account,
		["company", "disabled", "is_group", "root_type", "account_type"],
		as_dict=True,
	)
	if not row:
		return _("ERPNext account {0} does not exist.").format(account), account
	kind = row.account_type or row.root_type or _("unknown type")
	described = _("ERPNext '{0}' ({1})").format(account, kind)
	if row.company != company:
		return _("ERPNext account {0} belongs to {1}, not {2}.").format(
			account, row.company, company
		), described
	if row.disabled:
		return _("ERPNext account {0} is disabled.").format(account), described
	if row.is_group:
		return _("ERPNext account {0} is a group; map the ledger accounts under it.").format(
			account
		), described
	roots, types = FITTING_ERPNEXT_ACCOUNTS.get(purpose, ((), ()))
	if (roots or types) and row.root_type not in roots and row.account_type not in types:
		wanted = _(" or ").join([_("{0} (root type)").format(r) for r in roots] + [_(t) for t in types])
		return (
			_("ERPNext account '{0}' is a {1} account ({2}); a {3} row needs {4}.").format(
				account, row.account_type or _("plain"), row.root_type or "-", _(purpose), wanted
			),
			described,
		)
	return None, described


def _erpnext_account_problem(account: str, company: str) -> str | None:
	return erpnext_account_fit("", account, company)[0]


def _refresh_names(doctype: str, row, **values: str | None) -> None:
	changed = {key: value for key, value in values.items() if value and row.get(key) != value}
	if changed:
		frappe.db.set_value(doctype, row.name, changed, update_modified=False)


def validate_account_map(company: str) -> list[dict[str, Any]]:
	"""One result per row of the company's QBO Account Map, plus the connection's own account pickers."""
	doc = frappe.get_doc("QBO Account Map", company)
	connection = (
		frappe.db.get_value(
			CONNECTION,
			company,
			["name", "payments_deposit_account", "deposit_bank_account", "create_deposits"]
			+ ["default_income_account", "discount_account"],
			as_dict=True,
		)
		or frappe._dict()
	)
	extra = [
		(_("Default Income Account (QBO Connection)"), "Income", "default_income_account"),
		(_("Discount Account (QBO Connection)"), "Discount", "discount_account"),
		(_("Deposit Payments To (QBO Connection)"), "Deposit", "payments_deposit_account"),
	]
	if connection.create_deposits:
		extra.append((_("Deposit Bank Account (QBO Connection)"), "Bank", "deposit_bank_account"))
	extra = [(label, purpose, field) for label, purpose, field in extra if connection.get(field)]
	found = read_many(
		company,
		"Account",
		[row.qbo_account for row in doc.accounts] + [connection.get(field) for _label, _p, field in extra],
		"validate_account_map",
	)
	results = []
	for row in doc.accounts:
		label = _("Row {0} · {1}").format(row.idx, _(row.purpose))
		if not row.qbo_account:
			results.append(result(label, False, _("No QuickBooks account is picked; pick one."), row.idx))
			continue
		problem, erpnext_side = (
			erpnext_account_fit(row.purpose, row.erpnext_account, company)
			if row.erpnext_account
			else (None, _("default for {0}").format(_(row.purpose).lower()))
		)
		if problem:
			results.append(result(label, False, problem, row.idx))
			continue
		account = found.get(str(row.qbo_account))
		ok, message = check_account(row.purpose, row.qbo_account, account)
		results.append(result(label, ok, f"{erpnext_side} → {message}" if ok else message, row.idx))
		if account:  # show QuickBooks' current name next to the id
			_refresh_names(
				"QBO Account Map Item",
				row,
				qbo_account_name=account.get("FullyQualifiedName") or account.get("Name"),
				qbo_account_type=account.get("AccountType"),
			)
	for label, purpose, field in extra:
		qbo_id = connection.get(field)
		account = found.get(str(qbo_id))
		ok, message = check_account(purpose, qbo_id, account)
		results.append(result(label, ok, message))
		if account:
			_refresh_connection_name(company, field, account.get("FullyQualifiedName") or account.get("Name"))
	return results


def _refresh_connection_name(company: str, fieldname: str, name: str | None) -> None:
	if name and frappe.db.get_value(CONNECTION, company, f"{fieldname}_name") != name:
		frappe.db.set_value(CONNECTION, company, f"{fieldname}_name", name, update_modified=False)


# -- taxes ------------------------------------------------------------------------------------------------


def erpnext_template_rate(template: str) -> Decimal | None:
	"""The rate a Sales Taxes and Charges Template charges on a net amount, in percent, as ERPNext computes
	it row by row (a row on the previous row's amount or total compounds); None when it charges no rate
	(only fixed amounts, or amounts per quantity) and there is nothing to compare."""
	rows = frappe.get_all(
		"Sales Taxes and Charges",
		filters={"parenttype": "Sales Taxes and Charges Template", "parent": template},
		fields=["charge_type", "rate"],
		order_by="idx asc",
	)
	base = Decimal(100)
	taxes: list[Decimal] = []
	for row in rows:
		rate = Decimal(str(row.rate or 0))
		if row.charge_type == "On Net Total":
			taxes.append(base * rate / 100)
		elif row.charge_type == "On Previous Row Amount" and taxes:
			taxes.append(taxes[-1] * rate / 100)
		elif row.charge_type == "On Previous Row Total" and taxes:
			taxes.append((base + sum(taxes)) * rate / 100)
		elif row.charge_type == "On Item Quantity" and rate:
			return None  # an amount per unit: no percentage to compare
	if not taxes:
		return None
	return sum(taxes, Decimal(0)) * 100 / base


def erpnext_account_rate(account: str) -> Decimal | None:
	rate = frappe.db.get_value("Account", account, "tax_rate")
	return Decimal(str(rate)) if rate else None


def describe_code(code: TaxCodeInfo) -> str:
	"""'NY State+City 8.875%' (8.875 %: 4 % + 4.875 %) -- a group shows the rates it adds up."""
	name = code.name or code.id
	if len(code.rates) > 1:
		parts = " + ".join(percent(rate) for rate in code.rates)
		return _("'{0}' ({1}: a tax group of {2})").format(name, percent(code.total_rate), parts)
	return _("'{0}' ({1})").format(name, percent(code.total_rate))


def check_tax_code(qbo_id: str, code: TaxCodeInfo | None, is_us: bool, on_invoice: bool) -> tuple[bool, str]:
	"""Whether a QBO tax code can be used: known, active, and with a sales rate. on_invoice: a US
	invoice's tax code (TxnTaxCodeRef), which must be a real code or tax group, not the TAX/NON line
	markers QuickBooks puts on lines."""
	if is_us and qbo_id in US_PSEUDO_TAX_CODES:
		if on_invoice:
			return False, _(
				"'{0}' only marks lines as taxable or not in US QuickBooks companies; the invoice needs a"
				" tax code or tax group with a rate. Pick one from the list."
			).format(qbo_id)
		return True, _("'{0}' (US line marker)").format(qbo_id)
	if code is None:
		return False, _("QuickBooks has no tax code with ID {0}. Pick it again from the list.").format(qbo_id)
	if not code.active:
		return False, _(
			"QuickBooks tax code '{0}' is inactive. Make it active in QuickBooks or pick another."
		).format(code.name or qbo_id)
	if code.taxable and not code.rates:
		return False, _(
			"QuickBooks tax code '{0}' has no sales rate, so it cannot be used on invoices."
		).format(code.name or qbo_id)
	if not code.taxable:
		return True, _("QuickBooks '{0}' (not taxable)").format(code.name or qbo_id)
	return True, _("QuickBooks {0}").format(describe_code(code))


def compare_tax_rates(erpnext_label: str, erpnext_rate: Decimal, code: TaxCodeInfo) -> tuple[bool, str]:
	"""Both rates side by side; a difference is an error naming both ("6 % in ERPNext, 8.875 % in
	QuickBooks"), since every invoice with it would be refused before it is sent (mapping/invoice.py)."""
	qbo_rate = code.total_rate if code.taxable else Decimal(0)
	if abs(erpnext_rate - qbo_rate) <= RATE_TOLERANCE:
		return True, _("{0} charges {1}; QuickBooks {2}: the same rate.").format(
			erpnext_label, percent(erpnext_rate), describe_code(code)
		)
	return False, _(
		"The rates differ: {0} in ERPNext, {1} in QuickBooks. {2} charges {0}; QuickBooks tax code {3}"
		" charges {1}. Invoices with it would be refused before anything is sent. Map it to a QuickBooks"
		" code with the same rate, or correct the rate on one side."
	).format(percent(erpnext_rate), percent(qbo_rate), erpnext_label, describe_code(code))


def read_tax_codes(company: str) -> dict[str, TaxCodeInfo]:
	"""Every QBO tax code with its sales rates, read now (one logged operation), and kept on the connection
	for the push's prediction as the engine keeps them."""
	from qbo_connector.sync.engine import SyncEngine

	codes = run_logged(company, "validate_tax_map", SyncEngine.read_tax_codes, qbo_entity="TaxCode")
	frappe.db.set_value(
		CONNECTION, company, "tax_code_rates", tax_codes_to_json(codes), update_modified=False
	)
	return codes


def validate_tax_map(company: str) -> list[dict[str, Any]]:
	"""One result per row of the company's QBO Tax Map, plus the connection's default (and US) tax codes."""
	doc = frappe.get_doc("QBO Tax Map", company)
	connection = (
		frappe.db.get_value(
			CONNECTION,
			company,
			["default_tax_code", "us_tax_code", "exempt_tax_code", "is_us_company"],
			as_dict=True,
		)
		or frappe._dict()
	)
	is_us = bool(connection.is_us_company)
	codes = read_tax_codes(company)
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
		if not problem and not row.qbo_tax_code:
			problem = _("No QuickBooks tax code is picked; pick one.")
		if problem:
			results.append(result(label, False, problem, row.idx))
			continue
		code = codes.get(str(row.qbo_tax_code))
		ok, message = check_tax_code(str(row.qbo_tax_code), code, is_us, on_invoice=is_us)
		if ok and code is not None:
			if row.sales_taxes_template:
				erpnext_label, erpnext_rate = (
					_("ERPNext template '{0}'").format(row.sales_taxes_template),
					erpnext_template_rate(row.sales_taxes_template),
				)
			else:
				erpnext_label, erpnext_rate = (
					_("ERPNext tax account '{0}'").format(row.tax_account),
					erpnext_account_rate(row.tax_account),
				)
			if erpnext_rate is not None:
				ok, message = compare_tax_rates(erpnext_label, erpnext_rate, code)
		results.append(result(label, ok, message, row.idx))
		if code:
			_refresh_names("QBO Tax Map Item", row, qbo_tax_code_name=code.name)
	extra = []
	if connection.default_tax_code:
		extra.append((_("Default Tax Code (QBO Connection)"), "default_tax_code", is_us))
	if is_us and connection.us_tax_code:
		extra.append((_("US Sales Tax Code (QBO Connection)"), "us_tax_code", True))
	if not is_us and connection.exempt_tax_code:
		extra.append((_("Exempt Tax Code (QBO Connection)"), "exempt_tax_code", False))
	for label, field, on_invoice in extra:
		qbo_id = str(connection.get(field))
		code = codes.get(qbo_id)
		ok, message = check_tax_code(qbo_id, code, is_us, on_invoice=on_invoice)
		if ok and field == "exempt_tax_code" and code is not None and code.total_rate:
			ok, message = (
				False,
				_(
					"QuickBooks {0} charges tax; the exempt code is for lines ERPNext does not tax. Pick a"
					" zero-rated or exempt code."
				).format(describe_code(code)),
			)
		results.append(result(label, ok, message))
		if code:
			_refresh_connection_name(company, field, code.name)
	return results
