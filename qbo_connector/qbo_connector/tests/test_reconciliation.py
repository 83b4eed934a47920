"""QBO Reconciliation in a real site: an invoice changed in QBO after its push shows as differing in the
report, the workspace card counts it, and the daily drift check tells the managers."""

from __future__ import annotations

import frappe
from frappe.utils import nowdate

from qbo_connector.qbo_connector.tests.sync_utils import COMPANY, SERVICE_ITEM, SyncTestCase, make_invoice
from qbo_connector.qbo_connector.tests.utils import make_user

REPORT = "QBO Reconciliation"
CARD = "QBO Differ From QuickBooks"


class TestReconciliation(SyncTestCase):
	def run_report(self, **filters):
		from frappe.desk.query_report import run

		filters = {"company": COMPANY, "from_date": nowdate(), "to_date": nowdate(), **filters}
		result = run(REPORT, filters=filters)
		return {row["document"]: row for row in result["result"] if row.get("document")}, result

	def card_count(self) -> int:
		from frappe.desk.doctype.number_card.number_card import get_result

		card = frappe.get_doc("Number Card", CARD)
		return int(get_result(card.as_dict(), card.filters_json) or 0)  # as the workspace asks for it

	def pushed_invoice(self, rate: float):
		si = make_invoice([(SERVICE_ITEM, 1, rate)])
		self.jobs.run()
		link = self.link_of("Sales Invoice", si.name)
		self.assertEqual(link.state, "Synced")
		return si, link

	def test_invoice_changed_in_qbo_differs_in_report_and_card_and_managers_hear(self) -> None:
		kept, _kept_link = self.pushed_invoice(120)
		changed, link = self.pushed_invoice(80)
		unsent = make_invoice([(SERVICE_ITEM, 1, 55)])
		self.jobs.calls.clear()  # its push job is never run: it stays unsent
		before = self.card_count()

		self.emu.edit_invoice(link.qbo_id, add_amount="10")  # an accountant adds a line in QuickBooks
		rows, result = self.run_report()

		self.assertEqual(rows[kept.name]["state"], "In Step")
		row = rows[changed.name]
		self.assertEqual((row["state"], row["difference"], row["drift"]), ("Differs", 10.0, 1))
		self.assertEqual((row["erp_total"], row["qbo_total"]), (80.0, 90.0))
		self.assertIn("changed in QuickBooks after it was sent", row["message"])
		self.assertTrue(row["qbo_url"].endswith(f"/app/invoice?txnId={link.qbo_id}"))
		self.assertEqual(
			row["log"],
			frappe.db.get_value(
				"QBO Sync Log", {"reference_name": changed.name, "operation": "push", "status": "Success"}
			),
		)
		self.assertEqual(rows[unsent.name]["state"], "Missing in QBO")
		self.assertEqual(rows[unsent.name]["can_push"], 1)
		self.assertEqual(row["can_push"], 0)
		self.assertIn("from " + nowdate(), result["message"])
		# The report kept what it found on the links: the workspace card counts the changed invoice.
		self.assertEqual(
			frappe.db.get_value(
				"QBO Link", {"reference_name": changed.name}, ["reconcile_state", "drift"], as_dict=True
			),
			{"reconcile_state": "Differs", "drift": 1},
		)
		self.assertEqual(self.card_count(), before + 1)
		only_drift, _ = self.run_report(drift_only=1)
		self.assertEqual(list(only_drift), [changed.name])

		from qbo_connector.qbo_connector.reconciliation import run_drift_check

		frappe.db.delete("Notification Log", {"subject": ("like", "%differ% from QuickBooks%")})
		outcome = run_drift_check(COMPANY)
		self.assertEqual((outcome["status"], outcome["differ"]), ("Warning", 1), outcome["message"])
		log = frappe.get_last_doc("QBO Sync Log", {"operation": "drift_check", "company": COMPANY})
		self.assertEqual(log.status, "Warning")
		self.assertIn(changed.name, log.message)
		notice = frappe.get_last_doc("Notification Log", {"for_user": "Administrator"})
		self.assertEqual(notice.subject, f"1 document of {COMPANY} differs from QuickBooks")
		self.assertEqual((notice.document_type, notice.document_name), ("QBO Sync Log", log.name))
		self.assertIn(changed.name, notice.email_content)

	def test_filters_and_who_may_run_it(self) -> None:
		si, _link = self.pushed_invoice(42)
		rows, _ = self.run_report(kind="Payment Entry")
		self.assertNotIn(si.name, rows)
		rows, _ = self.run_report(state="In Step")
		self.assertEqual(rows[si.name]["state"], "In Step")
		self.assertTrue(all(row["state"] == "In Step" for row in rows.values()))

		user = make_user("qbo-recon-nobody@example.com", ["Sales User"])
		frappe.set_user(user)
		try:
			with self.assertRaises(frappe.PermissionError):
				from qbo_connector.qbo_connector.reconciliation import reconcile

				reconcile(COMPANY)
		finally:
			frappe.set_user("Administrator")
