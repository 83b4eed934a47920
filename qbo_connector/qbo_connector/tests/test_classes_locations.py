"""Classes and locations in a real site: a QBO company that tracks classes per line and locations gets every
invoice line tagged with its cost center's class and the invoice with a location; a cost center with no class
fails naming the line, with nothing written to QuickBooks; Suggest finds the classes by name. A purchase invoice
becomes a bill whose expense lines carry their cost center's class (QBO keeps a bill's classes on its lines)."""

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.tests.sync_utils import (
	ABBR,
	COMPANY,
	SERVICE_ITEM,
	SyncTestCase,
	make_invoice,
)

MAP = "QBO Class and Location Map"
UNMAPPED = f"QBO Unmapped Projects - {ABBR}"


def ensure_cost_center() -> None:
	if not frappe.db.exists("Cost Center", UNMAPPED):
		frappe.get_doc(
			{
				"doctype": "Cost Center",
				"cost_center_name": "QBO Unmapped Projects",
				"company": COMPANY,
				"parent_cost_center": f"{COMPANY} - {ABBR}",
				"is_group": 0,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()


class TestClassesAndLocations(SyncTestCase):
	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		cls.emu.set_company(class_tracking="line", track_departments=True)
		cls.main = cls.emu.add_class("Main")["Id"]
		cls.brooklyn = cls.emu.add_department("Brooklyn")["Id"]
		from qbo_connector.qbo_connector.oauth import refresh_company_settings

		refresh_company_settings(COMPANY)
		frappe.db.delete(MAP, {"name": COMPANY})
		frappe.db.delete("QBO Class Map Item", {"parent": COMPANY})
		frappe.db.set_value(CONNECTION, COMPANY, {"default_location": cls.brooklyn, "default_class": None})
		frappe.db.commit()
		cls.addClassCleanup(cls._forget_map)

	@staticmethod
	def _forget_map() -> None:
		frappe.db.rollback()
		frappe.db.delete(MAP, {"name": COMPANY})
		frappe.db.delete("QBO Class Map Item", {"parent": COMPANY})
		frappe.db.delete("QBO Location Map Item", {"parent": COMPANY})
		frappe.db.commit()

	def test_suggest_then_every_line_carries_its_class_and_the_invoice_its_location(self) -> None:
		from qbo_connector.qbo_connector.suggestions import suggest_classes

		facts = frappe.db.get_value(CONNECTION, COMPANY, ["class_tracking", "track_locations"], as_dict=True)
		self.assertEqual((facts.class_tracking, facts.track_locations), ("Per Line", 1))
		suggested = {row["cost_center"]: row for row in suggest_classes(COMPANY)}
		main = suggested[f"Main - {ABBR}"]
		self.assertEqual((main["qbo_class"], main["confidence"]), (self.main, "High"))
		self.assertFalse(frappe.db.exists(MAP, COMPANY))  # suggesting saves nothing

		frappe.get_doc(
			{
				"doctype": MAP,
				"company": COMPANY,
				"classes": [{"cost_center": f"Main - {ABBR}", "qbo_class": self.main}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		si = make_invoice([(SERVICE_ITEM, 2, 40), (SERVICE_ITEM, 1, 10)])
		self.jobs.run()
		link = self.link_of("Sales Invoice", si.name)
		self.assertEqual(link.state, "Synced")
		invoice = self.qbo_object("Invoice", link.qbo_id)
		self.assertEqual(invoice["DepartmentRef"]["value"], self.brooklyn)
		lines = [line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
		self.assertEqual(
			[line["SalesItemLineDetail"]["ClassRef"]["value"] for line in lines], [self.main] * 2
		)

	def test_a_cost_center_without_a_class_fails_naming_the_line(self) -> None:
		ensure_cost_center()
		si = make_invoice([(SERVICE_ITEM, 1, 25)], submit=False)
		si.items[0].cost_center = UNMAPPED
		si.save(ignore_permissions=True)
		si.submit()
		frappe.db.commit()
		writes = self.emu.writes()
		self.jobs.run()
		log = frappe.get_last_doc("QBO Sync Log", {"reference_name": si.name, "operation": "push"})
		self.assertEqual(log.status, "Failed", log.message)
		self.assertIn("items[1].cost_center", log.message)
		self.assertIn(f"'{UNMAPPED}' is not mapped to a QuickBooks class", log.message)
		self.assertEqual(self.emu.writes(), writes)

	def test_bill_lines_carry_their_class_and_the_bill_its_location(self) -> None:
		from qbo_connector.qbo_connector.tests.sync_utils import qbo_id_by_name
		from qbo_connector.qbo_connector.tests.test_kinds import ensure_supplier, make_purchase_invoice

		ensure_supplier()
		self.addCleanup(self._forget_map)  # the suggest test expects Main unmapped
		expense = qbo_id_by_name(self.emu, "Account", "Uncategorized Expense")
		frappe.db.set_value(
			CONNECTION, COMPANY, {"push_purchase_invoices": 1, "default_expense_account": expense}
		)
		if not frappe.db.exists(MAP, COMPANY):
			frappe.get_doc({"doctype": MAP, "company": COMPANY}).insert(ignore_permissions=True)
		mapping = frappe.get_doc(MAP, COMPANY)
		mapping.set("classes", [{"cost_center": f"Main - {ABBR}", "qbo_class": self.main}])
		mapping.save(ignore_permissions=True)
		frappe.db.commit()
		pi = make_purchase_invoice([(SERVICE_ITEM, 2, 150), (SERVICE_ITEM, 1, 30)])
		self.assertEqual({row.cost_center for row in pi.items}, {f"Main - {ABBR}"})
		self.jobs.run()
		link = self.link_of("Purchase Invoice", pi.name)
		self.assertEqual((link.qbo_entity, link.state), ("Bill", "Synced"))
		bill = self.qbo_object("Bill", link.qbo_id)
		self.assertEqual(bill["DepartmentRef"]["value"], self.brooklyn)
		self.assertNotIn("ClassRef", bill)
		classes = [
			line[line["DetailType"]].get("ClassRef", {}).get("value")
			for line in bill["Line"]
			if line["DetailType"] in ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")
		]
		self.assertEqual(classes, [self.main, self.main])
