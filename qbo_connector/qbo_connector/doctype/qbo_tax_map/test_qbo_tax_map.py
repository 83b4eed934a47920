# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.doctype.qbo_account_map.test_qbo_account_map import emulator_id
from qbo_connector.qbo_connector.tests.utils import EmulatorTestCase

test_ignore = ["Company", "Account", "Sales Taxes and Charges Template", "Item Tax Template", "QBO Tax Map"]


def tax_account(company: str, rate: float = 7.25) -> str:
	"""A ledger tax account of the company charging `rate` % (Validate Mappings compares it with the QBO
	code's rate, so the test names the rate it maps instead of taking whichever tax account exists)."""
	name = frappe.db.get_value(
		"Account", {"company": company, "account_name": f"QBO Test Sales Tax {rate:g}%"}, "name"
	)
	if name:
		return name
	parent = frappe.get_all(
		"Account", {"company": company, "is_group": 1, "root_type": "Liability"}, pluck="name", limit=1
	)[0]
	account = frappe.get_doc(
		{
			"doctype": "Account",
			"account_name": f"QBO Test Sales Tax {rate:g}%",
			"company": company,
			"parent_account": parent,
			"account_type": "Tax",
			"tax_rate": rate,
			"is_group": 0,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return account.name


class TestQBOTaxMap(EmulatorTestCase):
	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.disconnect_all()
		self.connect()
		frappe.db.set_value("QBO Connection", self.company, {"is_us_company": 1, "default_tax_code": "777"})
		if frappe.db.exists("QBO Tax Map", self.company):
			frappe.delete_doc("QBO Tax Map", self.company, force=True)

	def tearDown(self) -> None:
		frappe.db.set_value("QBO Connection", self.company, {"default_tax_code": None})

	def test_validate_mappings(self) -> None:
		california = emulator_id(self.emu, "TaxCode", "California")
		doc = frappe.get_doc(
			{
				"doctype": "QBO Tax Map",
				"company": self.company,
				"taxes": [
					{"tax_account": tax_account(self.company), "qbo_tax_code": california},
				],
			}
		).insert()
		doc.append("taxes", {"tax_account": doc.taxes[0].tax_account, "qbo_tax_code": "TAX"})
		with self.assertRaises(frappe.ValidationError):
			doc.save()  # one ERPNext tax account cannot map to two tax codes
		doc.reload()

		results = doc.validate_mappings()
		self.assertTrue(results[0]["ok"], results[0])
		self.assertIn("California", results[0]["message"])
		self.assertIn("the same rate", results[0]["message"])
		default = results[-1]
		self.assertIn("Default Tax Code", default["label"])
		self.assertFalse(default["ok"])
		self.assertIn("no tax code with ID 777", default["message"])

	def test_row_needs_a_template_or_an_account(self) -> None:
		with self.assertRaises(frappe.ValidationError):
			frappe.get_doc(
				{"doctype": "QBO Tax Map", "company": self.company, "taxes": [{"qbo_tax_code": "TAX"}]}
			).insert()

	def test_item_tax_template_rows_give_their_lines_a_code_of_their_own(self) -> None:
		from qbo_connector.qbo_connector.doctype.qbo_tax_map.qbo_tax_map import get_tax_map

		account = tax_account(self.company)
		name = frappe.db.get_value(
			"Item Tax Template", {"title": "QBO Test Reduced 5%", "company": self.company}
		)
		if not name:
			name = (
				frappe.get_doc(
					{
						"doctype": "Item Tax Template",
						"title": "QBO Test Reduced 5%",
						"company": self.company,
						"taxes": [{"tax_type": account, "tax_rate": 5}],
					}
				)
				.insert()
				.name
			)
		california = emulator_id(self.emu, "TaxCode", "California")
		doc = frappe.get_doc(
			{
				"doctype": "QBO Tax Map",
				"company": self.company,
				"taxes": [{"item_tax_template": name, "qbo_tax_code": california}],
			}
		).insert()
		self.assertEqual(get_tax_map(self.company), {name: california})
		result = doc.validate_mappings()[0]
		self.assertTrue(result["ok"], result)
		self.assertIn(name, result["label"])
		doc.append("taxes", {"item_tax_template": name, "qbo_tax_code": "TAX"})
		with self.assertRaises(frappe.ValidationError):
			doc.save()  # one Item Tax Template cannot map to two tax codes
