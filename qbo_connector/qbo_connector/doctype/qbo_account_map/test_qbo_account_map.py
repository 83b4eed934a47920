# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.checks import validate_account_map
from qbo_connector.qbo_connector.tests.utils import TEST_COMPANY_2, EmulatorTestCase, get_test_company

test_ignore = ["Company", "Account", "QBO Account Map"]


def emulator_id(emu, entity: str, name: str) -> str:
	return next(obj["Id"] for obj in emu.objects(entity) if obj.get("Name") == name)


def erpnext_account(company: str, account_type: str | None = None, root_type: str | None = None) -> str:
	filters = {"company": company, "is_group": 0}
	if account_type:
		filters["account_type"] = account_type
	if root_type:
		filters["root_type"] = root_type
	return frappe.get_all("Account", filters, pluck="name", order_by="lft asc", limit=1)[0]


class TestQBOAccountMap(EmulatorTestCase):
	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.disconnect_all()
		self.connect()
		if frappe.db.exists("QBO Account Map", self.company):
			frappe.delete_doc("QBO Account Map", self.company, force=True)

	def test_validate_mappings_reports_each_row_in_plain_words(self) -> None:
		emu = self.emu
		income = emulator_id(emu, "Account", "Sales of Product Income")
		checking = emulator_id(emu, "Account", "Checking")
		discounts = emulator_id(emu, "Account", "Discounts given")
		with emu.state.lock:  # an accountant made "Discounts given" inactive in QuickBooks
			emu.state.company(emu.realm_id).get("Account", discounts)["Active"] = False
		self.addCleanup(lambda: emu.state.company(emu.realm_id).get("Account", discounts).update(Active=True))
		other_company = get_test_company(TEST_COMPANY_2, "_TQC2")

		doc = frappe.get_doc(
			{
				"doctype": "QBO Account Map",
				"company": self.company,
				"accounts": [
					{
						"purpose": "Income",
						"qbo_account": income,
						"erpnext_account": erpnext_account(self.company, root_type="Income"),
					},
					{"purpose": "Receivable", "qbo_account": "9999"},
					{
						"purpose": "Receivable",
						"qbo_account": checking,
						"erpnext_account": erpnext_account(self.company, account_type="Receivable"),
					},
					{"purpose": "Discount", "qbo_account": discounts},
				],
			}  # fmt: skip
		).insert()
		results = {row["row"]: row for row in doc.validate_mappings()}

		self.assertTrue(results[1]["ok"], results[1])
		self.assertIn("Sales of Product Income", results[1]["message"])
		doc.reload()
		self.assertEqual(
			doc.accounts[0].qbo_account_name, "Sales of Product Income", "names shown next to ids"
		)
		self.assertEqual(doc.accounts[0].qbo_account_type, "Income")
		self.assertFalse(results[2]["ok"])
		self.assertIn("no account with ID 9999", results[2]["message"])
		self.assertFalse(results[3]["ok"])
		self.assertIn("is a Bank account", results[3]["message"])
		self.assertIn("Accounts Receivable", results[3]["message"])
		self.assertFalse(results[4]["ok"])
		self.assertIn("inactive", results[4]["message"])

		# an ERPNext account of another company is refused on save, before QBO is even asked
		doc.append("accounts", {"purpose": "Rounding", "qbo_account": income,
			"erpnext_account": erpnext_account(other_company, root_type="Income")})  # fmt: skip
		with self.assertRaises(frappe.ValidationError):
			doc.save()

	def test_connection_account_pickers_are_checked_too(self) -> None:
		frappe.db.set_value("QBO Connection", self.company, "payments_deposit_account",
			emulator_id(self.emu, "Account", "Sales of Product Income"))  # fmt: skip
		frappe.get_doc({"doctype": "QBO Account Map", "company": self.company, "accounts": []}).insert()
		results = validate_account_map(self.company)
		self.assertEqual(len(results), 1)
		self.assertFalse(results[0]["ok"])
		self.assertIn("Deposit Payments To", results[0]["label"])
		frappe.db.set_value("QBO Connection", self.company, "payments_deposit_account", None)
