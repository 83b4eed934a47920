# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from __future__ import annotations

from unittest.mock import patch

import frappe

from qbo_connector.qbo_connector.tests.utils import TestCase

test_ignore = ["Company", "DocType", "QBO Link"]

REALM_A = "test-realm-a"
REALM_B = "test-realm-b"


def make_link(realm_id: str, name: str, qbo_id: str | None, **extra) -> str:
	# Roles exist on every site; any document works as the Dynamic Link target.
	doc = frappe.get_doc(
		{
			"doctype": "QBO Link",
			"reference_doctype": "Role",
			"reference_name": name,
			"realm_id": realm_id,
			"qbo_entity": "invoice",
			"qbo_id": qbo_id,
			"state": "Synced" if qbo_id else "Pending",
			**extra,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


class TestQBOLink(TestCase):
	def setUp(self) -> None:
		frappe.db.delete("QBO Link", {"realm_id": ("in", [REALM_A, REALM_B])})

	def test_one_link_per_document_per_realm(self) -> None:
		make_link(REALM_A, "Accounts User", "101")
		with self.assertRaises(frappe.UniqueValidationError):
			make_link(REALM_A, "Accounts User", "102")
		make_link(REALM_B, "Accounts User", "101")  # another QBO company may hold the same document

	def test_one_document_per_qbo_object(self) -> None:
		make_link(REALM_A, "Accounts User", "201")
		with self.assertRaises(frappe.UniqueValidationError):
			make_link(REALM_A, "Accounts Manager", "201")

	def test_pending_links_without_id_do_not_collide(self) -> None:
		first = make_link(REALM_A, "Accounts User", None)
		second = make_link(REALM_A, "Accounts Manager", None)
		self.assertIsNone(frappe.db.get_value("QBO Link", first, "qbo_key"))
		self.assertIsNone(frappe.db.get_value("QBO Link", second, "qbo_key"))

	def test_entity_is_canonical(self) -> None:
		name = make_link(REALM_A, "Accounts User", "301")
		self.assertEqual(frappe.db.get_value("QBO Link", name, "qbo_entity"), "Invoice")
		self.assertEqual(frappe.db.get_value("QBO Link", name, "qbo_key"), f"{REALM_A}|Invoice|301")

	def test_document_status_with_deep_link(self) -> None:
		from qbo_connector.qbo_connector.doctype.qbo_link.qbo_link import get_document_status

		make_link(REALM_A, "Accounts User", "401")
		settings = frappe.get_single("QBO Settings")
		previous = settings.environment
		frappe.db.set_single_value("QBO Settings", "environment", "Sandbox")
		try:
			status = get_document_status("Role", "Accounts User")
		finally:
			frappe.db.set_single_value("QBO Settings", "environment", previous)
		self.assertEqual(status[0]["state"], "in_qbo")
		self.assertEqual(status[0]["reference"], "Invoice (ID 401)")  # no QuickBooks number known: the id
		self.assertEqual(status[0]["url"], "https://app.sandbox.qbo.intuit.com/app/invoice?txnId=401")

	def test_links_into_qbo_companies_no_connection_uses_are_hidden(self) -> None:
		"""Seen in the browser: an invoice showed four 'Synced' lines, three into QBO companies that no
		connection points at any more. Only the connected QBO company's line is status."""
		from qbo_connector.qbo_connector.doctype.qbo_link.qbo_link import get_document_status
		from qbo_connector.qbo_connector.tests.utils import get_test_company

		company = get_test_company()
		if not frappe.db.exists("QBO Connection", company):
			connection = frappe.get_doc({"doctype": "QBO Connection", "company": company})
			connection.insert(ignore_permissions=True)
		previous = frappe.db.get_value("QBO Connection", company, "realm_id")
		frappe.db.set_value("QBO Connection", company, "realm_id", REALM_B)
		try:
			make_link(REALM_A, "Accounts User", "401")  # a QBO company no connection uses
			make_link(REALM_B, "Accounts User", "402")
			status = get_document_status("Role", "Accounts User")
		finally:
			frappe.db.set_value("QBO Connection", company, "realm_id", previous)
		self.assertEqual([(s["realm_id"], s["qbo_id"]) for s in status], [(REALM_B, "402")])

	def _failed_push(self, name: str, message: str, **extra) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "QBO Sync Log",
				"status": "Failed",
				"direction": "Push",
				"operation": "push",
				"realm_id": REALM_A,
				"reference_doctype": "Role",
				"reference_name": name,
				"message": message,
				"error_message": message,
				**extra,
			}
		)
		doc.flags.ignore_links = True
		doc.insert(ignore_permissions=True)
		return doc.name

	def test_failed_push_is_one_line_over_its_pending_link(self) -> None:
		from qbo_connector.qbo_connector.doctype.qbo_link.qbo_link import get_document_status

		frappe.db.delete("QBO Sync Log", {"realm_id": REALM_A, "reference_doctype": "Role"})
		make_link(REALM_A, "Accounts User", None)  # pending: a create may be in flight
		log = self._failed_push(
			"Accounts User",
			"Role Accounts User: QuickBooks is unavailable.",
			retryable=1,
			next_retry_at="2030-01-01 10:00:00",
		)
		with patch("qbo_connector.qbo_connector.status.scheduler_disabled", return_value=False):
			[status] = get_document_status("Role", "Accounts User")
		self.assertEqual((status["state"], status["log"], status["retry"]), ("failed", log, "scheduled"))
		self.assertEqual(status["message"], "QuickBooks is unavailable.")  # not the document's own name
		self.assertEqual(str(status["next_retry_at"]), "2030-01-01 10:00:00")

	def test_bad_data_failure_waits_for_a_fix(self) -> None:
		from qbo_connector.qbo_connector.doctype.qbo_link.qbo_link import get_document_status

		frappe.db.delete("QBO Sync Log", {"realm_id": REALM_A, "reference_doctype": "Role"})
		self._failed_push(
			"Accounts Manager", "Role Accounts Manager: field 'x': no account.", doc_fingerprint="ab12"
		)
		[status] = get_document_status("Role", "Accounts Manager")  # no link at all: still one line
		self.assertEqual((status["state"], status["retry"]), ("failed", "waits_for_fix"))
		self.assertEqual(status["message"], "Field 'x': no account.")
		self.assertIsNone(status["next_retry_at"])
