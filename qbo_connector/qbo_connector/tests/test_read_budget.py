"""The read budget in a real site: metered reads counted in Redis as the emulator meters them, kept on the
connection and on each log row, a warning at 80 %, and at 100 % reconciliation and Re-sync All put off with the
reason while pushes go on."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from qbo_connector.qbo.budget import month_of
from qbo_connector.qbo_connector.budget import RedisReadCounter, flush_reads
from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS
from qbo_connector.qbo_connector.tests.sync_utils import COMPANY, SERVICE_ITEM, SyncTestCase, make_invoice


class TestReadBudget(SyncTestCase):
	def setUp(self) -> None:
		super().setUp()
		self.realm = self.emu.realm_id
		frappe.cache().delete(RedisReadCounter._key(self.realm, month_of()))
		frappe.db.set_value(
			CONNECTION, COMPANY, {"reads_this_month": 0, "reads_month": None, "budget_notice": None}
		)
		saved = frappe.db.get_single_value(SETTINGS, "monthly_read_allowance")
		self.addCleanup(self.set_allowance, saved)
		frappe.db.commit()

	@staticmethod
	def set_allowance(value) -> None:
		frappe.db.set_single_value(SETTINGS, "monthly_read_allowance", value)
		frappe.db.commit()

	def used(self) -> int:
		return RedisReadCounter().used(self.realm)

	def test_reads_are_counted_like_intuit_and_kept_on_the_connection_and_log(self) -> None:
		before = self.emu.reads()
		si = make_invoice([(SERVICE_ITEM, 2, 30)])
		self.jobs.run()
		self.assertEqual(self.link_of("Sales Invoice", si.name).state, "Synced")
		self.assertEqual(self.used(), self.emu.reads() - before)
		self.assertGreater(self.used(), 0)
		log = frappe.get_last_doc("QBO Sync Log", {"reference_name": si.name, "operation": "push"})
		self.assertGreater(log.reads, 0)
		self.assertGreater(log.requests, log.reads)  # the creates are requests, not reads

		flush_reads()
		row = frappe.db.get_value(CONNECTION, COMPANY, ["reads_this_month", "reads_month"], as_dict=True)
		self.assertEqual((row.reads_this_month, row.reads_month), (self.used(), month_of()))
		# Redis lost its count (a restart): it starts again from what the connection kept, not from zero.
		frappe.cache().delete(RedisReadCounter._key(self.realm, month_of()))
		counted = row.reads_this_month
		RedisReadCounter().add(self.realm, 1)
		self.assertEqual(self.used(), counted + 1)

	def notices(self, since) -> list[str]:
		return frappe.get_all(
			"Notification Log",
			filters={"for_user": "Administrator", "document_name": COMPANY, "creation": (">=", since)},
			pluck="subject",
		)

	def test_warned_at_80_percent_and_reads_that_can_wait_stop_at_100(self) -> None:
		from qbo_connector.qbo_connector.api import resync_all
		from qbo_connector.qbo_connector.reconciliation import reconcile, run_drift_check

		RedisReadCounter().add(self.realm, 80)
		self.set_allowance(100)
		since = now_datetime()
		flush_reads()
		flush_reads()  # told once a month per threshold
		self.assertEqual(
			self.notices(since), [f"QuickBooks reads for {COMPANY}: 80% of the monthly allowance used"]
		)
		reconcile(COMPANY)  # 80 %: still allowed

		RedisReadCounter().add(self.realm, 20)
		since = now_datetime()
		flush_reads()
		self.assertEqual(len(self.notices(since)), 1)
		self.assertIn("used up until", self.notices(since)[0])
		with self.assertRaises(frappe.ValidationError) as refused:
			reconcile(COMPANY)
		self.assertIn("Reconciliation is put off until", str(refused.exception))
		with self.assertRaises(frappe.ValidationError) as refused:
			resync_all(COMPANY)
		self.assertIn(
			"Re-sync All (reading everything from QuickBooks again) is put off", str(refused.exception)
		)
		outcome = run_drift_check(COMPANY)
		self.assertEqual(outcome["status"], "Skipped")
		self.assertIn("put off", outcome["message"])

		si = make_invoice([(SERVICE_ITEM, 1, 15)])  # pushes go on: their reads are what the budget keeps
		self.jobs.run()
		self.assertEqual(self.link_of("Sales Invoice", si.name).state, "Synced")
