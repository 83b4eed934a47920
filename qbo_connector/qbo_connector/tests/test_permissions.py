"""Who may do what: settings and connections by System Managers, maps by Accounts Managers, the log read
by Accounts Users and retried by Accounts Managers; Guest reaches nothing."""

from __future__ import annotations

from unittest.mock import patch

import frappe

from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import bulk_retry, make_log, retry
from qbo_connector.qbo_connector.tests.utils import TestCase, make_user

OUR_DOCTYPES = (
	"QBO Settings",
	"QBO Connection",
	"QBO Account Map",
	"QBO Tax Map",
	"QBO Link",
	"QBO Sync Log",
)


class TestPermissions(TestCase):
	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		cls.accounts_user = make_user("qbo-au@example.com", ["Accounts User"])
		cls.accounts_manager = make_user("qbo-am@example.com", ["Accounts Manager", "Accounts User"])
		cls.system_manager = make_user("qbo-sm@example.com", ["System Manager"])

	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.log = make_log(direction="Push", operation="push", status="Failed", error_message="boom")

	def tearDown(self) -> None:
		frappe.set_user("Administrator")

	def can(self, user: str, doctype: str, ptype: str) -> bool:
		return bool(frappe.has_permission(doctype, ptype, user=user))

	def test_settings_and_connections_written_by_system_manager_only(self) -> None:
		for doctype in ("QBO Settings", "QBO Connection"):
			self.assertTrue(self.can(self.system_manager, doctype, "write"), doctype)
			self.assertFalse(self.can(self.accounts_manager, doctype, "write"), doctype)
			self.assertFalse(self.can(self.accounts_user, doctype, "write"), doctype)

	def test_accounts_user_cannot_save_settings(self) -> None:
		frappe.set_user(self.accounts_user)
		settings = frappe.get_single("QBO Settings")
		settings.log_retention_days = 99
		with self.assertRaises(frappe.PermissionError):
			settings.save()

	def test_system_manager_saves_settings(self) -> None:
		frappe.set_user(self.system_manager)
		settings = frappe.get_single("QBO Settings")
		old = settings.log_retention_days
		settings.log_retention_days = 45
		settings.save()
		self.assertEqual(frappe.db.get_single_value("QBO Settings", "log_retention_days"), 45)
		settings.log_retention_days = old
		settings.save()

	def test_maps_written_by_accounts_managers(self) -> None:
		for doctype in ("QBO Account Map", "QBO Tax Map"):
			self.assertTrue(self.can(self.accounts_manager, doctype, "write"), doctype)
			self.assertTrue(self.can(self.system_manager, doctype, "write"), doctype)
			self.assertTrue(self.can(self.accounts_user, doctype, "read"), doctype)
			self.assertFalse(self.can(self.accounts_user, doctype, "write"), doctype)

	def test_log_and_links_read_by_accounts_users_written_by_nobody(self) -> None:
		for doctype in ("QBO Sync Log", "QBO Link"):
			self.assertTrue(self.can(self.accounts_user, doctype, "read"), doctype)
			self.assertFalse(self.can(self.accounts_user, doctype, "write"), doctype)
		self.assertFalse(self.can(self.accounts_manager, "QBO Sync Log", "write"))

	def test_accounts_user_cannot_retry(self) -> None:
		frappe.set_user(self.accounts_user)
		with patch("frappe.enqueue") as enqueue:
			with self.assertRaises(frappe.PermissionError):
				retry(self.log)
			with self.assertRaises(frappe.PermissionError):
				bulk_retry([self.log])
		enqueue.assert_not_called()

	def test_accounts_manager_can_retry(self) -> None:
		frappe.set_user(self.accounts_manager)
		with patch("frappe.enqueue") as enqueue:
			self.assertEqual(retry(self.log)["queued"], [self.log])
		enqueue.assert_called_once()
		kwargs = enqueue.call_args.kwargs
		self.assertEqual(enqueue.call_args.args[0], "qbo_connector.qbo_connector.tasks.retry_log")
		self.assertEqual(kwargs["job_id"], f"qbo-retry-{self.log}")
		self.assertTrue(kwargs["deduplicate"])
		self.assertTrue(kwargs["enqueue_after_commit"])
		self.assertEqual(kwargs["log"], self.log)

	def test_guest_reaches_nothing(self) -> None:
		from qbo_connector.qbo_connector import lookups, oauth
		from qbo_connector.qbo_connector.doctype.qbo_link import qbo_link

		frappe.set_user("Guest")
		for doctype in OUR_DOCTYPES:
			self.assertFalse(frappe.has_permission(doctype, "read"), doctype)
		for method in (oauth.connect, oauth.callback, oauth.disconnect, oauth.get_connections, retry, bulk_retry,
			lookups.search_accounts, qbo_link.get_document_status):  # fmt: skip
			with self.assertRaises(frappe.PermissionError, msg=method.__name__):
				frappe.is_whitelisted(method)
