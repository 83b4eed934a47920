"""Suggest in the account and tax maps, in a real site: rows for what the maps lack, each with its confidence,
matched against the emulator's chart and tax codes; nothing is saved."""

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.tests.sync_utils import ABBR, COMPANY, SyncTestCase
from qbo_connector.qbo_connector.tests.utils import make_user

NY_ACCOUNT = f"NY Sales Tax - {ABBR}"
NY_TEMPLATE = f"QBO NY Sales Tax 8.875% - {ABBR}"


def ensure_ny_template() -> None:
	if not frappe.db.exists("Account", NY_ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "NY Sales Tax",
				"company": COMPANY,
				"parent_account": f"Duties and Taxes - {ABBR}",
				"account_type": "Tax",
				"tax_rate": 8.875,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Sales Taxes and Charges Template", NY_TEMPLATE):
		frappe.get_doc(
			{
				"doctype": "Sales Taxes and Charges Template",
				"title": "QBO NY Sales Tax 8.875%",
				"company": COMPANY,
				"taxes": [
					{
						"charge_type": "On Net Total",
						"account_head": NY_ACCOUNT,
						"description": "NY",
						"rate": 8.875,
					}
				],
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()


class TestSuggestions(SyncTestCase):
	def test_account_map_suggestions_are_offered_not_saved(self) -> None:
		from qbo_connector.qbo_connector.suggestions import suggest_account_map

		before = frappe.get_doc("QBO Account Map", COMPANY)
		rows = {row["erpnext_account"]: row for row in suggest_account_map(COMPANY)}

		self.assertNotIn(f"Sales - {ABBR}", rows)  # already in the map
		service = rows[f"Service - {ABBR}"]
		self.assertEqual(
			(service["purpose"], service["qbo_account"], service["confidence"]),
			("Income", self.qbo["services"], "High"),
		)
		debtors = rows[f"Debtors - {ABBR}"]
		self.assertEqual(
			(debtors["purpose"], debtors["qbo_account_name"]), ("Receivable", "Accounts Receivable (A/R)")
		)
		rounding = rows[f"Round Off - {ABBR}"]
		self.assertEqual((rounding["purpose"], rounding["qbo_account_name"]), ("Rounding", "Rounding"))
		tax = rows[f"CA Sales Tax - {ABBR}"]
		self.assertEqual((tax["purpose"], tax["qbo_account_name"]), ("Tax Liability", "Sales Tax Payable"))
		cash = rows[f"Cash - {ABBR}"]
		self.assertEqual(
			(cash["purpose"], cash["qbo_account"], cash["confidence"]), ("Deposit", None, "Unmatched")
		)
		after = frappe.get_doc("QBO Account Map", COMPANY)
		self.assertEqual((after.modified, len(after.accounts)), (before.modified, len(before.accounts)))

	def test_tax_map_suggestions_by_rate(self) -> None:
		from qbo_connector.qbo_connector.suggestions import suggest_tax_map

		ensure_ny_template()
		rows = {row["sales_taxes_template"]: row for row in suggest_tax_map(COMPANY)}
		ny = rows[NY_TEMPLATE]
		self.assertEqual(
			(ny["rate"], ny["qbo_tax_code_name"], ny["confidence"]), ("8.875", "NY State+City 8.875%", "High")
		)
		self.assertNotIn(f"QBO CA Sales Tax 7.25% - {ABBR}", rows)  # mapped already

	def test_only_map_managers_may_ask(self) -> None:
		from qbo_connector.qbo_connector.suggestions import suggest_account_map

		frappe.set_user(make_user("qbo-suggest-clerk@example.com", ["Accounts User"]))
		try:
			with self.assertRaises(frappe.PermissionError):
				suggest_account_map(COMPANY)
		finally:
			frappe.set_user("Administrator")


class TestEmployeeSuggestions(SyncTestCase):
	"""Suggest for the Employee map: proposed by e-mail then name, nothing written until confirmed; confirmed
	rows are QBO Link rows as the pull writes them; a second Suggest proposes nothing for them."""

	def test_suggest_confirm_then_nothing_more_for_the_mapped(self) -> None:
		from qbo_connector.qbo_connector.suggestions import confirm_employee_map, suggest_employee_map
		from qbo_connector.qbo_connector.tests.test_kinds import ensure_employee

		tag = frappe.generate_hash(length=6)
		ada = ensure_employee("Ada", f"Lovelace{tag}", f"ada.{tag}@example.com")
		grace = ensure_employee("Grace", f"Hopper{tag}", None)
		qbo_ada = self.emu.add_employee(f"A. Lovelace {tag}", email=f"ADA.{tag}@example.com")["Id"]
		qbo_grace = self.emu.add_employee(f"Grace  Hopper{tag}")["Id"]
		realm = frappe.db.get_value("QBO Connection", COMPANY, "realm_id")

		rows = {row["employee"]: row for row in suggest_employee_map(COMPANY)}
		self.assertEqual((rows[ada]["qbo_employee"], rows[ada]["confidence"]), (qbo_ada, "High"))
		self.assertIn("same e-mail", rows[ada]["match_reason"])
		self.assertEqual((rows[grace]["qbo_employee"], rows[grace]["confidence"]), (qbo_grace, "Medium"))
		links = {"realm_id": realm, "reference_doctype": "Employee", "reference_name": ("in", [ada, grace])}
		self.assertFalse(frappe.get_all("QBO Link", filters=links))  # suggesting writes nothing

		with self.assertRaises(frappe.ValidationError):  # one QBO employee for two: nothing is written
			confirm_employee_map(
				COMPANY,
				[{"employee": ada, "qbo_employee": qbo_ada}, {"employee": grace, "qbo_employee": qbo_ada}],
			)
		self.assertFalse(frappe.get_all("QBO Link", filters=links))

		confirm_employee_map(COMPANY, [{"employee": ada, "qbo_employee": qbo_ada}])  # the user kept one row
		link = self.link_of("Employee", ada)
		self.assertEqual(
			(link.qbo_entity, link.qbo_id, link.state, link.origin), ("Employee", qbo_ada, "Synced", "Pull")
		)
		self.assertIsNone(self.link_of("Employee", grace))

		again = {row["employee"]: row for row in suggest_employee_map(COMPANY)}
		self.assertNotIn(ada, again)
		self.assertNotIn(qbo_ada, {row["qbo_employee"] for row in again.values()})
		self.assertEqual(again[grace]["qbo_employee"], qbo_grace)
		with self.assertRaises(frappe.ValidationError):  # already mapped
			confirm_employee_map(COMPANY, [{"employee": ada, "qbo_employee": qbo_grace}])
		confirm_employee_map(COMPANY, [{"employee": grace, "qbo_employee": qbo_grace}])
		final = {row["employee"] for row in suggest_employee_map(COMPANY)}
		self.assertFalse({ada, grace} & final)
