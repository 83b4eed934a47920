"""An invoice with two Item Tax Templates of different rates reaches QBO with the right tax on each line and
QBO's total equal to ERPNext's grand total, on the Frappe/ERPNext version this site runs (15 or 16).

ERPNext 15 records the rate applied to each line in each tax row's item_wise_tax_detail JSON; ERPNext 16 in
the invoice's item_wise_tax_details table. Each test first checks the site stored the document its own way,
so a pass on both benches means both representations were pushed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import frappe
from frappe.utils import add_days, nowdate

from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.tests.sync_utils import (
	ABBR,
	COMPANY,
	CUSTOMER,
	INCOME_ACCOUNT,
	PRODUCT_ITEM,
	SERVICE_ITEM,
	TAX_ACCOUNT,
	TAX_TEMPLATE,
	SyncTestCase,
	_restore,
	_snapshot,
	ensure_masters,
	qbo_id_by_name,
)
from qbo_connector.qbo_connector.tests.utils import EmulatorTestCase

CA_EXEMPT = f"QBO CA Exempt 0% - {ABBR}"
CA_STANDARD = f"QBO CA Standard 7.25% - {ABBR}"
VAT_ACCOUNT = f"QBO VAT - {ABBR}"
VAT_TEMPLATE = f"QBO VAT 20% - {ABBR}"
VAT_REDUCED = f"QBO VAT Reduced 5% - {ABBR}"
VAT_ZERO = f"QBO VAT Zero 0% - {ABBR}"
# A third item, so that every line has its own item code: ERPNext 15 keys its per-line tax by item code.
THIRD_ITEM = "QBO-SYNC-PRD-B"


def ensure_third_item() -> None:
	if not frappe.db.exists("Item", THIRD_ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": THIRD_ITEM,
				"item_name": "Qbo-Sync-Prd-B",
				"item_group": "Products",
				"stock_uom": "Nos",
				"is_stock_item": 0,
				"item_defaults": [{"company": COMPANY, "income_account": INCOME_ACCOUNT}],
			}
		).insert(ignore_permissions=True)


def ensure_item_tax_template(name: str, account: str, rate: float) -> None:
	if not frappe.db.exists("Item Tax Template", name):
		frappe.get_doc(
			{
				"doctype": "Item Tax Template",
				"title": name.rsplit(" - ", 1)[0],
				"company": COMPANY,
				"taxes": [{"tax_type": account, "tax_rate": rate}],
			}
		).insert(ignore_permissions=True)


def ensure_vat_masters() -> None:
	"""A 20 % VAT account and template with 5 % and 0 % Item Tax Templates, as a UK company keeps them."""
	if not frappe.db.exists("Account", VAT_ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "QBO VAT",
				"company": COMPANY,
				"parent_account": f"Duties and Taxes - {ABBR}",
				"account_type": "Tax",
				"tax_rate": 20,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Sales Taxes and Charges Template", VAT_TEMPLATE):
		frappe.get_doc(
			{
				"doctype": "Sales Taxes and Charges Template",
				"title": "QBO VAT 20%",
				"company": COMPANY,
				"taxes": [
					{
						"charge_type": "On Net Total",
						"account_head": VAT_ACCOUNT,
						"description": "VAT",
						"rate": 20,
					}
				],
			}
		).insert(ignore_permissions=True)
	ensure_item_tax_template(VAT_REDUCED, VAT_ACCOUNT, 5)
	ensure_item_tax_template(VAT_ZERO, VAT_ACCOUNT, 0)
	frappe.db.commit()


def make_templated_invoice(lines: list[tuple[str, float, float, str | None]], tax_template: str) -> Any:
	"""A submitted Sales Invoice whose lines carry Item Tax Templates, made as the desk form makes one."""
	si = frappe.new_doc("Sales Invoice")
	si.update(
		{
			"company": COMPANY,
			"customer": CUSTOMER,
			"posting_date": nowdate(),
			"due_date": add_days(nowdate(), 30),
			"currency": "USD",
			"conversion_rate": 1,
			"taxes_and_charges": tax_template,
		}
	)
	for item_code, qty, rate, template in lines:
		si.append(
			"items",
			{
				"item_code": item_code,
				"qty": qty,
				"rate": rate,
				"income_account": INCOME_ACCOUNT,
				"item_tax_template": template,
			},
		)
	si.append_taxes_from_master()
	si.set_missing_values()
	si.insert(ignore_permissions=True)
	si.submit()
	frappe.db.commit()
	return si


def stored_line_rates(invoice: Any) -> list[Decimal]:
	"""The rate ERPNext applied to each line, read the way this ERPNext stores it (one tax row)."""
	doc = frappe.get_doc("Sales Invoice", invoice.name)
	tax = doc.taxes[0]
	if frappe.get_meta("Sales Invoice").has_field("item_wise_tax_details"):  # ERPNext 16
		rates = {d.item_row: d.rate for d in doc.item_wise_tax_details if d.tax_row == tax.name}
		return [Decimal(str(rates[row.name])) for row in doc.items]
	detail = json.loads(tax.item_wise_tax_detail)  # ERPNext 15: keyed by item code
	return [Decimal(str(detail[row.item_code][0])) for row in doc.items]


class ItemTaxTemplateAssertions:
	def assert_pushed_with_erpnexts_totals(self: Any, invoice: Any, codes: list[str]) -> dict[str, Any]:
		link = self.push(invoice)
		log = frappe.get_last_doc("QBO Sync Log", {"reference_name": invoice.name, "operation": "push"})
		self.assertEqual(log.status, "Success", log.message)
		self.assertEqual((link.qbo_entity, link.state), ("Invoice", "Synced"))
		obj = self.qbo_object("Invoice", link.qbo_id)
		sales = [line for line in obj["Line"] if line["DetailType"] == "SalesItemLineDetail"]
		self.assertEqual([line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sales], codes)
		self.assertEqual(
			Decimal(str(obj["TxnTaxDetail"]["TotalTax"])), Decimal(str(invoice.total_taxes_and_charges))
		)
		self.assertEqual(Decimal(str(obj["TotalAmt"])), Decimal(str(invoice.grand_total)))
		return obj


class TestItemTaxTemplatesUSCompany(ItemTaxTemplateAssertions, SyncTestCase):
	"""QBO US: a line is TAX or NON, at the one rate of the invoice's tax code (California 7.25 %)."""

	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		ensure_third_item()
		ensure_item_tax_template(CA_EXEMPT, TAX_ACCOUNT, 0)
		ensure_item_tax_template(CA_STANDARD, TAX_ACCOUNT, 7.25)
		frappe.db.commit()

	def test_exempt_and_standard_templates_become_non_and_tax(self) -> None:
		invoice = make_templated_invoice(
			[
				(SERVICE_ITEM, 2, 120, CA_EXEMPT),
				(PRODUCT_ITEM, 3, 45.5, CA_STANDARD),
				(THIRD_ITEM, 1, 20, None),
			],
			TAX_TEMPLATE,
		)
		self.assertEqual(stored_line_rates(invoice), [Decimal(0), Decimal("7.25"), Decimal("7.25")])
		self.assertEqual(Decimal(str(invoice.total_taxes_and_charges)), Decimal("11.35"))  # 7.25 % of 156.50
		self.assert_pushed_with_erpnexts_totals(invoice, ["NON", "TAX", "TAX"])


class TestItemTaxTemplatesVATCompany(ItemTaxTemplateAssertions, SyncTestCase):
	"""A UK (VAT) QBO company: each line gets its own tax code, mapped per Item Tax Template, and QBO computes
	the tax from those codes' rates."""

	emulator_options = {
		"limits_enabled": False,
		"country": "GB",
		"home_currency": "USD",
	}

	@classmethod
	def setUpClass(cls) -> None:
		# The emulator and settings as for any emulator test, then a VAT set-up instead of SyncTestCase's US one.
		super(SyncTestCase, cls).setUpClass()
		cls.company = COMPANY
		ensure_masters()
		ensure_vat_masters()
		ensure_third_item()
		cls._saved_state = _snapshot()
		cls.addClassCleanup(_restore, cls._saved_state)
		EmulatorTestCase.connect(cls, COMPANY)
		emu = cls.emu
		cls.code = {name: qbo_id_by_name(emu, "TaxCode", name) for name in ("20.0% S", "5.0% R", "0.0% Z")}
		income = qbo_id_by_name(emu, "Account", "Sales of Product Income")
		connection = frappe.get_doc(CONNECTION, COMPANY)
		connection.update(
			{
				"enabled": 1,
				"push_invoices_on_submit": 1,
				"auto_push_hours": 0,
				"default_income_account": income,
				"discount_account": qbo_id_by_name(emu, "Account", "Discounts given"),
				"us_tax_code": None,
				"exempt_tax_code": None,
				"default_tax_code": None,
				"rounding_item": str(emu.add_item("Rounding", type="Service")["Id"]),
				"absorb_cent_differences": 1,
				"payments_deposit_account": None,
				"watermarks": None,
				"facts_refreshed_at": None,
			}
		)
		connection.save(ignore_permissions=True)
		cls._set_map(
			"QBO Account Map",
			"accounts",
			[{"purpose": "Income", "erpnext_account": INCOME_ACCOUNT, "qbo_account": income}],
		)
		cls.map_taxes(with_item_templates=True)
		frappe.db.commit()

	@classmethod
	def map_taxes(cls, with_item_templates: bool) -> None:
		rows = [{"sales_taxes_template": VAT_TEMPLATE, "qbo_tax_code": cls.code["20.0% S"]}]
		if with_item_templates:
			rows += [
				{"item_tax_template": VAT_REDUCED, "qbo_tax_code": cls.code["5.0% R"]},
				{"item_tax_template": VAT_ZERO, "qbo_tax_code": cls.code["0.0% Z"]},
			]
		cls._set_map("QBO Tax Map", "taxes", rows)
		frappe.db.commit()

	def lines(self) -> list[tuple[str, float, float, str | None]]:
		return [
			(SERVICE_ITEM, 2, 100, VAT_REDUCED),
			(PRODUCT_ITEM, 3, 40, VAT_ZERO),
			(THIRD_ITEM, 1, 50, None),
		]

	def test_reduced_zero_and_standard_rate_lines_get_their_own_codes(self) -> None:
		self.map_taxes(with_item_templates=True)
		invoice = make_templated_invoice(self.lines(), VAT_TEMPLATE)
		self.assertEqual(stored_line_rates(invoice), [Decimal(5), Decimal(0), Decimal(20)])
		self.assertEqual(Decimal(str(invoice.total_taxes_and_charges)), Decimal("20.00"))  # 10 + 0 + 10
		obj = self.assert_pushed_with_erpnexts_totals(
			invoice, [self.code["5.0% R"], self.code["0.0% Z"], self.code["20.0% S"]]
		)
		self.assertEqual(obj["GlobalTaxCalculation"], "TaxExcluded")
		self.assertEqual(Decimal(str(obj["TotalAmt"])), Decimal("390.00"))

	def test_unmapped_item_tax_templates_are_refused_before_anything_is_written(self) -> None:
		"""Without rows for the Item Tax Templates the zero-rated line has no QBO code and the reduced one would
		get the invoice's 20 %: the push fails naming the invoice and the template, and nothing reaches QBO."""
		self.map_taxes(with_item_templates=False)
		try:
			invoice = make_templated_invoice(self.lines(), VAT_TEMPLATE)
			link = self.push(invoice)
			log = frappe.get_last_doc("QBO Sync Log", {"reference_name": invoice.name, "operation": "push"})
			text = f"{log.message} {log.error_message}"
			self.assertEqual(log.status, "Failed", text)
			self.assertIn(invoice.name, text)
			self.assertIn(f"map the Item Tax Template '{VAT_ZERO}'", text)
			self.assertTrue(link is None or not link.qbo_id, link)
			self.assertFalse(
				[o for o in self.emu.objects("Invoice") if invoice.name in (o.get("DocNumber") or "")]
			)
		finally:
			self.map_taxes(with_item_templates=True)
