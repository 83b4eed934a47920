"""Connect and disconnect: the callback's state check, the code exchange, revoke (against the emulator)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, quote, urlparse

import frappe

from qbo_connector.qbo_connector.oauth import (
	_safe_return_to,
	_state_key,
	callback,
	connect,
	consume_state,
	disconnect,
	issue_state,
)
from qbo_connector.qbo_connector.settings import CONNECTION, desk_path, redirect_uri
from qbo_connector.qbo_connector.tests.utils import EmulatorTestCase, make_user
from qbo_connector.qbo_connector.tokens import read_tokens


class TestOAuthCallback(EmulatorTestCase):
	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.disconnect_all()

	def tearDown(self) -> None:
		frappe.set_user("Administrator")
		frappe.local.response = frappe._dict({"docs": []})

	# -- helpers

	def code(self) -> str:
		"""What the emulator's Approve button produces, without a browser."""
		return self.emu.state.oauth.new_code(self.emu.client_id, redirect_uri(), self.emu.realm_id)

	def run_callback(self, **params) -> frappe._dict:
		frappe.local.response = frappe._dict({"docs": []})
		callback(**params)
		return frappe.local.response

	def assert_refused(self, response: frappe._dict, status: int) -> None:
		self.assertEqual(response.get("type"), "page")
		self.assertEqual(response.get("http_status_code"), status)
		self.assertIsNone(read_tokens(self.company), "nothing may be stored for a refused callback")
		self.assertNotEqual(frappe.db.get_value(CONNECTION, self.company, "status"), "Connected")

	# -- connect()

	def test_connect_returns_authorize_url_with_server_side_state(self) -> None:
		url = connect(self.company)["url"]
		self.assertTrue(url.startswith(self.emu.authorize_url))
		params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
		self.assertEqual(params["client_id"], self.emu.client_id)
		self.assertEqual(params["redirect_uri"], redirect_uri())
		info = consume_state(params["state"])
		self.assertEqual(info["user"], "Administrator")
		self.assertEqual(info["company"], self.company)
		self.assertIsNone(consume_state(params["state"]), "a state is single use")

	def test_connect_needs_system_manager(self) -> None:
		frappe.set_user(make_user("qbo-am@example.com", ["Accounts Manager", "Accounts User"]))
		with self.assertRaises(frappe.PermissionError):
			connect(self.company)

	# -- callback(): refused

	def test_unknown_state_is_refused(self) -> None:
		response = self.run_callback(code=self.code(), state="not-a-state", realmId=self.emu.realm_id)
		self.assert_refused(response, 400)

	def test_missing_state_is_refused(self) -> None:
		response = self.run_callback(code=self.code(), realmId=self.emu.realm_id)
		self.assert_refused(response, 400)

	def test_expired_state_is_refused(self) -> None:
		state = issue_state(self.company)
		info = {"user": "Administrator", "company": self.company, "expires_at": time.time() - 1}
		frappe.cache().set(_state_key(state), json.dumps(info), ex=60)
		response = self.run_callback(code=self.code(), state=state, realmId=self.emu.realm_id)
		self.assert_refused(response, 400)

	def test_state_of_another_user_is_refused(self) -> None:
		frappe.set_user(make_user("qbo-sm@example.com", ["System Manager"]))
		state = issue_state(self.company)
		frappe.set_user("Administrator")
		response = self.run_callback(code=self.code(), state=state, realmId=self.emu.realm_id)
		self.assert_refused(response, 403)

	def test_denied_consent_stores_nothing(self) -> None:
		state = issue_state(self.company)
		response = self.run_callback(state=state, error="access_denied")
		self.assert_refused(response, 400)

	def test_bad_code_stores_nothing(self) -> None:
		state = issue_state(self.company)
		response = self.run_callback(code="not-a-code", state=state, realmId=self.emu.realm_id)
		self.assert_refused(response, 502)
		log = frappe.get_all(
			"QBO Sync Log",
			{"company": self.company, "operation": "connect"},
			["status"],
			order_by="creation desc",
		)
		self.assertEqual(log[0].status, "Failed")

	# -- callback(): accepted

	def test_good_state_stores_tokens_and_company_facts(self) -> None:
		state = issue_state(self.company, "/app/qbo-settings")
		response = self.run_callback(code=self.code(), state=state, realmId=self.emu.realm_id)
		self.assertEqual(response.get("type"), "redirect")
		self.assertEqual(response.get("location"), desk_path("qbo-settings"))

		tokens = read_tokens(self.company)
		self.assertIsNotNone(tokens)
		self.assertEqual(self.emu.state.oauth.check_access(tokens.access_token), self.emu.realm_id)
		connection = frappe.get_doc(CONNECTION, self.company)
		self.assertEqual(connection.status, "Connected")
		self.assertEqual(connection.realm_id, self.emu.realm_id)
		self.assertEqual(connection.connected_by, "Administrator")
		self.assertEqual(connection.qbo_country, "US")
		self.assertTrue(connection.is_us_company)
		self.assertEqual(connection.home_currency, "USD")
		self.assertTrue(connection.facts_refreshed_at)
		# the Password columns hold a mask only; the tokens are encrypted in __Auth
		self.assertNotIn(
			tokens.access_token, str(frappe.db.get_value(CONNECTION, self.company, "access_token"))
		)

		reused = self.run_callback(code=self.code(), state=state, realmId=self.emu.realm_id)
		self.assertEqual(reused.get("http_status_code"), 400, "a state is single use")

	def test_return_path_from_either_desk_lands_on_this_versions_desk(self) -> None:
		"""v16's desk lives at /desk/... (its /app/... only redirects), v15's at /app/...: a Connect pressed on
		either comes back to the same page of the running desk; anything else goes to the connection."""
		major = int(frappe.__version__.split(".")[0])
		self.assertEqual(
			desk_path("qbo-settings"), "/desk/qbo-settings" if major >= 16 else "/app/qbo-settings"
		)
		for given in ("/app/qbo-settings", "/desk/qbo-settings"):
			self.assertEqual(_safe_return_to(given, self.company), desk_path("qbo-settings"))
			url = connect(self.company, given)["url"]
			state = parse_qs(urlparse(url).query)["state"][0]
			self.assertEqual(consume_state(state)["return_to"], desk_path("qbo-settings"))
		home = desk_path("qbo-connection/" + quote(self.company))
		for evil in ("https://evil.example/app/x", "//evil.example/desk/x", "/desk//evil.example", "/app\\evil",
			"/deskx/qbo-settings", "/desk/", "/app", "/desk/a\r\nSet-Cookie: x=1", "", None):  # fmt: skip
			self.assertEqual(_safe_return_to(evil, self.company), home, evil)

	def test_form_save_keeps_tokens(self) -> None:
		self.connect()
		connection = frappe.get_doc(CONNECTION, self.company)
		connection.pull_interval_minutes = 30
		connection.save()
		frappe.db.commit()
		self.assertIsNotNone(read_tokens(self.company))

	def test_disconnect_revokes_and_forgets(self) -> None:
		tokens = self.connect()
		grant = self.grant_for(tokens.refresh_token)
		disconnect(self.company)
		self.assertTrue(grant.revoked)
		self.assertIsNone(read_tokens(self.company))
		self.assertEqual(frappe.db.get_value(CONNECTION, self.company, "status"), "Not connected")

	def test_realm_connected_elsewhere_is_refused(self) -> None:
		from qbo_connector.qbo_connector.tests.utils import TEST_COMPANY_2, get_test_company

		other = get_test_company(TEST_COMPANY_2, "_TQC2")
		self.connect(other)
		try:
			state = issue_state(self.company)
			response = self.run_callback(code=self.code(), state=state, realmId=self.emu.realm_id)
			self.assert_refused(response, 409)
		finally:
			self.disconnect_all()
