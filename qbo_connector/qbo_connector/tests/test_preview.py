"""Preview in QuickBooks in a real site: the JSON, the predicted total beside the grand total and the QBO
records a push would create, with no write to QuickBooks and none to ERPNext."""

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.tests.sync_utils import SERVICE_ITEM, SyncTestCase, make_invoice
from qbo_connector.qbo_connector.tests.utils import make_user


class TestPreview(SyncTestCase):
	def preview(self, doctype: str, name: str) -> dict:
		from qbo_connector.qbo_connector.preview import preview

		return preview(doctype, name)

	def footprint(self, name: str) -> tuple:
		return (
			self.emu.writes(),
			frappe.db.count("QBO Link", {"reference_name": name}),
			frappe.db.count("QBO Sync Log", {"reference_name": name}),
		)

	def test_preview_issues_no_write_and_matches_what_the_push_sends(self) -> None:
		si = make_invoice([(SERVICE_ITEM, 3, 40)], taxes=True)
		self.jobs.calls.clear()  # not pushed yet
		before = self.footprint(si.name)

		result = self.preview("Sales Invoice", si.name)

		self.assertEqual(self.footprint(si.name), before)  # nothing in QuickBooks, no link, no log row
		self.assertEqual(result["action"], "create", result["message"])
		self.assertEqual(result["erp_total"], f"{si.grand_total:.2f}")
		self.assertEqual(result["predicted_total"], result["erp_total"])
		self.assertEqual(result["difference"], "0.00")
		self.assertEqual(result["writes"][-1]["entity"], "Invoice")
		self.assertEqual(result["body"]["DocNumber"], si.name)
		self.assertEqual(result["body"]["TxnTaxDetail"]["TotalTax"], si.total_taxes_and_charges)

		from qbo_connector.qbo_connector.tasks import push_document

		push_document("Sales Invoice", si.name)
		link = self.link_of("Sales Invoice", si.name)
		self.assertEqual(str(self.qbo_object("Invoice", link.qbo_id)["TotalAmt"]), result["predicted_total"])

	def test_draft_preview_and_who_may_ask(self) -> None:
		draft = make_invoice([(SERVICE_ITEM, 1, 99)], submit=False)
		result = self.preview("Sales Invoice", draft.name)
		self.assertTrue(result["draft"])
		self.assertEqual(result["action"], "create", result["message"])
		self.assertEqual(frappe.db.get_value("Sales Invoice", draft.name, "docstatus"), 0)

		user = make_user("qbo-preview-sales@example.com", ["Sales User"])
		frappe.set_user(user)
		try:
			with self.assertRaises(frappe.PermissionError):
				self.preview("Sales Invoice", draft.name)
		finally:
			frappe.set_user("Administrator")
		with self.assertRaises(frappe.ValidationError):
			self.preview("Sales Order", draft.name)
