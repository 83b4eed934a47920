# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from __future__ import annotations

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
		self.assertEqual(status[0]["state"], "Synced")
		self.assertEqual(status[0]["url"], "https://app.sandbox.qbo.intuit.com/app/invoice?txnId=401")
