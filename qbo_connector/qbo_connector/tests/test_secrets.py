"""No secret in any stored row: after a connect, a refresh and a failing call, nothing in QBO Sync Log,
Error Log or Version holds the client secret, the verifier token, or an access or refresh token."""

from __future__ import annotations

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import get_client, run_logged
from qbo_connector.qbo_connector.oauth import callback, issue_state
from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS, redirect_uri
from qbo_connector.qbo_connector.tests.utils import WEBHOOK_VERIFIER, EmulatorTestCase, all_rows_text
from qbo_connector.qbo_connector.tokens import read_tokens


def _refresh_with_a_secret_in_a_local_variable(refresh_token: str, client_secret: str) -> None:
	# What a crashing job looks like to Frappe's Error Log, which stores local variables of every frame.
	data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client": client_secret}
	raise RuntimeError(f"refresh failed for {len(data)} fields")


class TestNoSecretsStored(EmulatorTestCase):
	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.disconnect_all()

	def test_no_secret_in_logs_after_connect_refresh_and_failure(self) -> None:
		since = now_datetime() - timedelta(seconds=1)

		# connect through the real callback (code exchange over HTTP)
		state = issue_state(self.company)
		code = self.emu.state.oauth.new_code(self.emu.client_id, redirect_uri(), self.emu.realm_id)
		frappe.local.response = frappe._dict({"docs": []})
		callback(code=code, state=state, realmId=self.emu.realm_id)
		first = read_tokens(self.company)

		# refresh
		frappe.db.set_value(
			CONNECTION, self.company, "access_token_expires_at", now_datetime() - timedelta(hours=1)
		)
		frappe.db.commit()
		get_client(self.company).preferences()
		frappe.db.rollback()
		second = read_tokens(self.company)
		self.assertNotEqual(first.refresh_token, second.refresh_token)

		# a failing call, logged
		self.emu.add_fault(kind="status", status=400, path="companyinfo")
		with self.assertRaises(QBOError):
			run_logged(self.company, "company_settings", lambda client: client.company_info())

		# two ways a secret could reach the Error Log: a traceback with locals, and a careless message
		try:
			_refresh_with_a_secret_in_a_local_variable(second.refresh_token, self.emu.client_secret)
		except RuntimeError:
			frappe.log_error("QBO refresh crashed")
		frappe.log_error("QBO careless message", f"token was {second.access_token} / {WEBHOOK_VERIFIER}")
		frappe.db.commit()

		secrets = {
			"client secret": self.emu.client_secret,
			"verifier token": WEBHOOK_VERIFIER,
			"first access token": first.access_token,
			"first refresh token": first.refresh_token,
			"second access token": second.access_token,
			"second refresh token": second.refresh_token,
		}
		logs = frappe.get_all("QBO Sync Log", {"creation": (">=", since)}, ["status", "operation"])
		self.assertIn("Failed", {row.status for row in logs}, "the failing call left a log row")
		error_logs = frappe.get_all("Error Log", {"creation": (">=", since)}, pluck="name")
		self.assertGreaterEqual(len(error_logs), 2)
		stored = "\n".join(
			(
				all_rows_text("QBO Sync Log"),
				all_rows_text("Error Log", {"creation": (">=", since)}),
				all_rows_text("Version", {"ref_doctype": ("in", [SETTINGS, CONNECTION])}),
				all_rows_text("Notification Log", {"creation": (">=", since)}),
			)
		)
		for label, value in secrets.items():
			self.assertNotIn(value, stored, f"the {label} leaked into a stored row")
		self.assertIn("RuntimeError", all_rows_text("Error Log", {"creation": (">=", since)}))
