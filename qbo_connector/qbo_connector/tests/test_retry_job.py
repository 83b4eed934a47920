"""The Retry button end to end: a failed push, Retry (role-checked, queued), the job re-runs it."""

from __future__ import annotations

import random

import frappe

from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import RETRY_JOB, retry
from qbo_connector.qbo_connector.tests.sync_utils import SERVICE_ITEM, SyncTestCase, make_invoice
from qbo_connector.qbo_connector.tests.utils import make_user


class TestRetryJob(SyncTestCase):
	# A realm of its own: links are kept per realm, and the sync-flow tests start from an empty one.
	emulator_options = {"limits_enabled": False, "realm_id": str(random.randint(10**15, 10**16 - 1))}

	def test_retry_of_a_failed_push_reaches_qbo(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 1, 42)])
		self.emu.add_fault(kind="status", status=400, method="POST", entity="Invoice")
		link = self.push(invoice)
		self.assertNotEqual((link or frappe._dict()).get("state"), "Synced")
		failed = frappe.get_all(
			"QBO Sync Log",
			{"reference_doctype": "Sales Invoice", "reference_name": invoice.name, "status": "Failed"},
			pluck="name",
		)
		self.assertEqual(len(failed), 1)
		manager = make_user("qbo-am@example.com", ["Accounts Manager", "Accounts User"])
		self.jobs.calls.clear()

		frappe.set_user(manager)
		try:
			retry(failed[0])
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(self.jobs.methods(), [RETRY_JOB])
		self.assertEqual(self.jobs.job_ids(), [f"qbo-retry-{failed[0]}"])
		self.jobs.run()  # what the worker does

		self.assertEqual(self.link_of("Sales Invoice", invoice.name).state, "Synced")
		retried = frappe.get_all(
			"QBO Sync Log", {"retry_of": failed[0]}, ["status", "reference_name"], order_by="creation desc"
		)
		self.assertEqual(retried[0].status, "Success")
		self.assertEqual(retried[0].reference_name, invoice.name)
		self.assertEqual(frappe.db.get_value("QBO Sync Log", failed[0], "status"), "Failed", "history stays")
