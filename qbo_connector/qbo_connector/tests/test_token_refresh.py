"""Token refresh under the Redis lock, with two workers, and what happens when Intuit refuses the refresh."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from qbo_connector.qbo.errors import InvalidGrantError
from qbo_connector.qbo.oauth import NotConnectedError
from qbo_connector.qbo_connector.client import get_client
from qbo_connector.qbo_connector.settings import CONNECTION, get_oauth_client
from qbo_connector.qbo_connector.tests.utils import EmulatorTestCase, make_user
from qbo_connector.qbo_connector.tokens import FrappeTokenProvider, read_tokens


class TestTokenRefresh(EmulatorTestCase):
	def setUp(self) -> None:
		frappe.set_user("Administrator")
		self.disconnect_all()
		self.refresh_calls = 0
		original = self.emu.state.oauth.refresh

		def counting_refresh(*args, **kwargs):
			self.refresh_calls += 1
			time.sleep(0.2)  # widen the window in which a second, unlocked refresh would slip in
			return original(*args, **kwargs)

		self.emu.state.oauth.refresh = counting_refresh
		self.addCleanup(lambda: delattr(self.emu.state.oauth, "refresh"))

	def expire_stored_access_token(self) -> None:
		frappe.db.set_value(
			CONNECTION, self.company, "access_token_expires_at", now_datetime() - timedelta(hours=1)
		)
		frappe.db.commit()

	def test_two_workers_refresh_once_and_keep_the_newest_token(self) -> None:
		first = self.connect()
		self.expire_stored_access_token()
		site, sites_path, company = frappe.local.site, frappe.local.sites_path, self.company
		barrier = threading.Barrier(2, timeout=30)
		results: dict[int, str] = {}
		errors: list[Exception] = []

		def worker(index: int) -> None:
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				# Like a running job, each worker has already read the connection: its transaction now
				# holds a snapshot in which the access token is expired and the old refresh token is current.
				self.assertIsNotNone(read_tokens(company))
				barrier.wait()
				provider = FrappeTokenProvider(company, get_oauth_client())
				results[index] = provider.access_token()
				frappe.db.commit()
			except Exception as exc:  # noqa: BLE001 - reported to the main thread below
				errors.append(exc)
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join(timeout=60)

		self.assertEqual(errors, [])
		self.assertEqual(self.refresh_calls, 1, "exactly one worker may refresh")
		self.assertEqual(results[0], results[1], "the second worker uses the first one's new token")
		self.assertEqual(self.emu.state.oauth.check_access(results[0]), self.emu.realm_id)

		frappe.db.rollback()  # end this test's own snapshot, then read what is committed
		stored = read_tokens(company)
		grant = self.grant_for(first.refresh_token)
		self.assertNotEqual(stored.refresh_token, first.refresh_token, "the emulator rotated the token")
		self.assertEqual(stored.refresh_token, grant.refresh_token, "the stored refresh token is the newest")
		self.assertEqual(stored.access_token, results[0])
		self.assertFalse(stored.expired())

	def test_401_refreshes_once_and_retries(self) -> None:
		first = self.connect()
		self.emu.expire_tokens(first.access_token)  # QBO says 401 although our expiry says it is fine
		info = get_client(self.company).company_info()
		self.assertTrue(info.get("CompanyName"))
		self.assertEqual(self.refresh_calls, 1)
		frappe.db.rollback()
		self.assertEqual(
			read_tokens(self.company).refresh_token, self.grant_for(first.refresh_token).refresh_token
		)

	def test_invalid_grant_marks_reconnect_needed_and_notifies(self) -> None:
		manager = make_user("qbo-am@example.com", ["Accounts Manager", "Accounts User"])
		admin = make_user("qbo-sm@example.com", ["System Manager"])
		tokens = self.connect()
		self.emu.state.oauth.revoke(tokens.refresh_token)  # e.g. the user disconnected the app at Intuit
		self.expire_stored_access_token()
		since = now_datetime()

		with self.assertRaises(InvalidGrantError):
			FrappeTokenProvider(self.company, get_oauth_client()).access_token()

		frappe.db.rollback()  # the status must survive the caller's rollback: it was committed
		connection = frappe.db.get_value(CONNECTION, self.company, ["status", "last_error"], as_dict=True)
		self.assertEqual(connection.status, "Reconnect needed")
		self.assertTrue(connection.last_error)
		self.assertNotIn("Traceback", connection.last_error)
		self.assertNotIn(tokens.refresh_token, connection.last_error)
		for user in (manager, admin):
			self.assertTrue(
				frappe.db.exists(
					"Notification Log",
					{
						"for_user": user,
						"document_type": CONNECTION,
						"document_name": self.company,
						"creation": (">=", since),
					},  # fmt: skip
				),
				f"{user} is told to reconnect",
			)
		with self.assertRaises(NotConnectedError) as raised:
			get_client(self.company)
		self.assertIn("reconnect", str(raised.exception).lower())
