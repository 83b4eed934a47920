"""Connection health in a real site: the refresh token's hard end kept from Intuit's answers, notices 30 and 7
days before it, Test Connection, and the last successful and failed call on the connection."""

from __future__ import annotations

from datetime import timedelta

import frappe
from frappe.utils import get_datetime, now_datetime

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import get_client
from qbo_connector.qbo_connector.health import check_token_expiry, flush_health, test_connection
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.tests.utils import EmulatorTestCase


class TestConnectionHealth(EmulatorTestCase):
	# Intuit's five years, shortened: this connection ends six and a half days after it is made.
	emulator_options = {"refresh_token_hard_lifetime": 6.5 * 86400}

	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.disconnect_all()

	def connection(self, *fields: str):
		return frappe.db.get_value(CONNECTION, self.company, list(fields), as_dict=True)

	def notices(self, since) -> list[str]:
		return frappe.get_all(
			"Notification Log",
			filters={
				"for_user": "Administrator",
				"document_type": CONNECTION,
				"document_name": self.company,
				"creation": (">=", since),
			},
			pluck="subject",
		)

	def refresh_now(self) -> None:
		frappe.db.set_value(
			CONNECTION, self.company, "access_token_expires_at", now_datetime() - timedelta(hours=1)
		)
		frappe.db.commit()
		get_client(self.company).company_info()
		frappe.db.commit()

	def test_a_token_a_week_from_its_hard_end_raises_the_notice(self) -> None:
		self.connect()
		self.refresh_now()  # the end as Intuit's refresh answer states it, on this clock
		end = get_datetime(self.connection("refresh_token_hard_expires_at").refresh_token_hard_expires_at)
		self.assertLess(abs((end - (now_datetime() + timedelta(days=6.5))).total_seconds()), 120)

		since = now_datetime() - timedelta(seconds=1)
		self.assertEqual(check_token_expiry(), [self.company])
		subjects = self.notices(since)
		self.assertEqual(len(subjects), 1, subjects)  # one notice, though both the 30 and 7 days have come
		self.assertIn(f"QuickBooks ends the connection of {self.company} in 6 days", subjects[0])
		self.assertEqual(self.connection("expiry_notice").expiry_notice, "30,7")
		self.assertEqual(check_token_expiry(), [])  # told once

		self.refresh_now()  # the refresh answer repeats the same end: nothing starts over
		self.assertEqual(self.connection("expiry_notice").expiry_notice, "30,7")

		self.emu.set_hard_expiry(20 * 86400)  # as after a reconnect: a new, later end
		self.refresh_now()
		self.assertIsNone(self.connection("expiry_notice").expiry_notice)
		since = now_datetime() - timedelta(seconds=1)
		self.assertEqual(check_token_expiry(), [self.company])
		self.assertIn("in 19 days", self.notices(since)[0])
		self.assertEqual(self.connection("expiry_notice").expiry_notice, "30")

	def test_test_connection_says_how_it_went(self) -> None:
		tokens = self.connect()
		result = test_connection(self.company)
		self.assertTrue(result["ok"], result)
		self.assertIn("answered in", result["message"])
		self.assertIn("Reconnect before", result["message"])
		self.assertIsNotNone(self.connection("last_success_at").last_success_at)
		log = frappe.get_last_doc("QBO Sync Log", {"operation": "test_connection", "company": self.company})
		self.assertEqual(log.status, "Success")

		self.emu.state.oauth.revoke(tokens.refresh_token)  # disconnected at Intuit
		frappe.db.set_value(
			CONNECTION, self.company, "access_token_expires_at", now_datetime() - timedelta(hours=1)
		)
		frappe.db.commit()
		result = test_connection(self.company)
		self.assertFalse(result["ok"])
		self.assertEqual(result["status"], "Reconnect needed")
		failure = self.connection("last_failure", "last_failure_at")
		self.assertTrue(failure.last_failure_at and failure.last_failure)

	def test_calls_are_copied_onto_the_connection(self) -> None:
		self.connect()
		get_client(self.company).company_info()
		flush_health()
		self.assertIsNotNone(self.connection("last_success_at").last_success_at)
		self.emu.add_fault(kind="status", status=403, path="companyinfo")
		with self.assertRaises(QBOError):
			get_client(self.company).company_info()
		flush_health()
		failure = self.connection("last_failure", "last_failure_at")
		self.assertIsNotNone(failure.last_failure_at)
		self.assertIn("GET", failure.last_failure)
		self.assertIn("HTTP 403", failure.last_failure)
