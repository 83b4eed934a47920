# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.utils import now_datetime

from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import (
	QBOSyncLog,
	bulk_retry,
	make_log,
	retry,
)
from qbo_connector.qbo_connector.tests.utils import TestCase

test_ignore = ["Company", "DocType", "QBO Sync Log"]


class TestQBOSyncLog(TestCase):
	def setUp(self) -> None:
		frappe.set_user("Administrator")

	def test_retry_enqueues_one_deduplicated_job_after_commit(self) -> None:
		log = make_log(direction="Push", operation="push", status="Failed")
		with patch("frappe.enqueue") as enqueue:
			retry(log)
		enqueue.assert_called_once_with(
			"qbo_connector.qbo_connector.tasks.retry_log",
			queue="short",
			job_id=f"qbo-retry-{log}",
			deduplicate=True,
			enqueue_after_commit=True,
			log=log,
		)

	def test_bulk_retry_skips_what_cannot_be_retried(self) -> None:
		failed = [make_log(direction="Push", operation="push", status="Failed") for _ in range(2)]
		success = make_log(direction="Push", operation="push", status="Success")
		connect = make_log(direction="Pull", operation="connect", status="Failed")
		with patch("frappe.enqueue") as enqueue:
			answer = bulk_retry([*failed, success, connect])
		self.assertEqual(sorted(answer["queued"]), sorted(failed))
		self.assertEqual(sorted(answer["skipped"]), sorted([success, connect]))
		self.assertEqual(enqueue.call_count, 2)

	def test_retry_of_unknown_row(self) -> None:
		with self.assertRaises(frappe.DoesNotExistError):
			retry("no-such-log")

	def test_secrets_are_redacted_on_insert(self) -> None:
		log = make_log(
			direction="Push",
			operation="push",
			status="Failed",
			request='{"refresh_token": "rt-secret-value-123", "Line": [{"Amount": 5}]}',
			response="HTTP/1.1 401\nAuthorization: Bearer at-secret-value-456",
			error_message="refused client_secret=cs-secret-value-789",
			traceback="Traceback ... access_token=at-secret-value-456",
		)
		doc = frappe.get_doc("QBO Sync Log", log)
		stored = " ".join(str(doc.get(f)) for f in ("request", "response", "error_message", "traceback"))
		for secret in ("rt-secret-value-123", "at-secret-value-456", "cs-secret-value-789"):
			self.assertNotIn(secret, stored)
		self.assertIn('"Amount": 5', doc.request, "ordinary data stays readable")

	def test_old_successful_rows_are_cleared_failed_rows_kept(self) -> None:
		old = now_datetime() - timedelta(days=40)
		rows = {
			status: make_log(direction="Push", operation="push", status=status)
			for status in ("Success", "Failed", "Skipped")
		}
		for name in rows.values():
			frappe.db.set_value("QBO Sync Log", name, "creation", old, update_modified=False)
		fresh = make_log(direction="Push", operation="push", status="Success")
		previous = frappe.db.get_single_value("QBO Settings", "log_retention_days")
		frappe.db.set_single_value("QBO Settings", "log_retention_days", 30)
		try:
			QBOSyncLog.clear_old_logs(days=365)  # the QBO Settings value (30) wins over Log Settings'
		finally:
			frappe.db.set_single_value("QBO Settings", "log_retention_days", previous)
		self.assertFalse(frappe.db.exists("QBO Sync Log", rows["Success"]))
		self.assertFalse(frappe.db.exists("QBO Sync Log", rows["Skipped"]))
		self.assertTrue(frappe.db.exists("QBO Sync Log", rows["Failed"]))
		self.assertTrue(frappe.db.exists("QBO Sync Log", fresh))

	def test_registered_with_log_settings(self) -> None:
		from frappe.core.doctype.log_settings.log_settings import _supports_log_clearing

		self.assertTrue(_supports_log_clearing("QBO Sync Log"))
		self.assertIn("QBO Sync Log", frappe.get_hooks("default_log_clearing_doctypes"))
