"""Shared set-up for the Frappe-tier tests: the v15/v16 test case shim, the emulator, a company, users."""

from __future__ import annotations

import json
import random

import frappe
from frappe.utils.password import get_decrypted_password

from qbo_connector.qbo.oauth import Tokens
from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS, redirect_uri
from qbo_connector.qbo_connector.tokens import write_tokens

try:  # Frappe v16
	from frappe.tests import IntegrationTestCase as TestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as TestCase

__all__ = ["EmulatorTestCase", "TestCase"]


def _build_the_dynamic_link_map_once() -> None:
	"""Frappe rebuilds its dynamic link map on every cancel and delete while tests run (flags.in_test), with
	a SELECT DISTINCT over every table that holds a dynamic link; on a site with a long history (Comment,
	Version, View Log...) that costs seconds per cancel, and our tests cancel a lot. They create no doctypes,
	so the map of the first build serves the whole run."""
	from frappe.model import delete_doc, dynamic_links, rename_doc

	build = dynamic_links.get_dynamic_link_map
	if getattr(build, "qbo_once", False):
		return
	built: dict[str, dict] = {}

	def once(for_delete: bool = False) -> dict:
		if "map" not in built:
			built["map"] = build(for_delete)
		frappe.local.dynamic_link_map = built["map"]
		return built["map"]

	once.qbo_once = True  # type: ignore[attr-defined]
	for module in (dynamic_links, delete_doc, rename_doc):
		if hasattr(module, "get_dynamic_link_map"):
			module.get_dynamic_link_map = once


_build_the_dynamic_link_map_once()

TEST_COMPANY = "_Test QBO Company"
TEST_COMPANY_2 = "_Test QBO Company 2"
TEST_PASSWORD = "Qbo-Test-Pass-1!"
WEBHOOK_VERIFIER = "test-verifier-token-5f1d2c3b4a"


def get_test_company(name: str = TEST_COMPANY, abbr: str = "_TQC") -> str:
	"""A company of our own, so tests never touch the site's real one (created once, committed)."""
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": abbr,
				"default_currency": "USD",
				"country": "United States",
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
	return name


def make_user(email: str, roles: list[str]) -> str:
	"""A system user with exactly these roles (created or reset, committed)."""
	if frappe.db.exists("User", email):
		user = frappe.get_doc("User", email)
	else:
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
				"user_type": "System User",
				"new_password": TEST_PASSWORD,
			}
		).insert(ignore_permissions=True)
	user.set("roles", [])
	user.add_roles(*roles)
	frappe.db.commit()
	return user.name


class EmulatorTestCase(TestCase):
	"""Starts the QBO emulator in-process and points QBO Settings (Custom environment) at it."""

	emulator_options: dict = {}

	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		from qbo_connector.emulator import EmulatorServer

		# A realm of its own: the site may have a real company connected to an emulator's default realm,
		# and the callback rightly refuses a realm that another company already uses.
		options = {"realm_id": str(random.randint(10**15, 10**16 - 1)), **cls.emulator_options}
		cls.emu = EmulatorServer(port=0, redirect_uris=[redirect_uri()], **options).start()
		cls.addClassCleanup(cls.emu.stop)
		cls._saved_settings = frappe.get_single(SETTINGS).as_dict()
		cls._saved_secret = get_decrypted_password(SETTINGS, SETTINGS, "client_secret", raise_exception=False)
		cls.addClassCleanup(cls._restore_settings)
		cls.configure_settings()
		cls.company = get_test_company()
		cls.addClassCleanup(cls.forget_test_connections)

	@classmethod
	def configure_settings(cls) -> None:
		settings = frappe.get_single(SETTINGS)
		settings.update(
			{
				"client_id": cls.emu.client_id,
				"client_secret": cls.emu.client_secret,
				"environment": "Custom",
				"api_base_url": cls.emu.api_base,
				"authorize_url": cls.emu.authorize_url,
				"token_url": cls.emu.token_url,
				"revoke_url": cls.emu.revoke_url,
				"app_base_url": cls.emu.base_url + "/app",
				"webhook_verifier_token": WEBHOOK_VERIFIER,
			}
		)
		settings.save(ignore_permissions=True)
		frappe.db.commit()

	@classmethod
	def _restore_settings(cls) -> None:
		settings = frappe.get_single(SETTINGS)
		for key in ("client_id", "environment", "api_base_url", "authorize_url", "token_url", "revoke_url",
			"app_base_url"):  # fmt: skip
			settings.set(key, cls._saved_settings.get(key))
		settings.client_secret = cls._saved_secret or ""
		settings.save(ignore_permissions=True)
		frappe.db.commit()

	def connect(self, company: str | None = None, realm_id: str | None = None) -> Tokens:
		"""Connect a company to the emulator without the browser (the callback is tested on its own)."""
		company = company or self.company
		answer = self.emu.issue_tokens(realm_id)
		tokens = Tokens.from_response(
			answer, frappe.utils.now_datetime().timestamp(), realm_id=answer["realmId"]
		)
		from qbo_connector.qbo_connector.oauth import ensure_connection

		ensure_connection(company)
		write_tokens(company, tokens)
		frappe.db.set_value(CONNECTION, company, {"status": "Connected", "realm_id": answer["realmId"]})
		frappe.db.commit()
		return tokens

	def disconnect_all(self) -> None:
		"""Forget every test connection (committed), so each test starts clean."""
		self.forget_test_connections()

	@staticmethod
	def forget_test_connections() -> None:
		"""Test companies end disconnected: their emulator is gone, and a realm left "Connected" would
		block a real company from connecting to the same QBO company."""
		from qbo_connector.qbo_connector.tokens import clear_tokens

		frappe.db.rollback()
		for name in frappe.get_all(CONNECTION, {"name": ("like", "_Test QBO%")}, pluck="name"):
			clear_tokens(name)
			frappe.db.set_value(
				CONNECTION, name, {"status": "Not connected", "last_error": None, "realm_change_note": None}
			)
		frappe.db.commit()

	def grant_for(self, refresh_token: str):
		"""The emulator's grant a refresh token belongs to (to assert rotation)."""
		oauth = self.emu.state.oauth
		return oauth.grants[oauth.refresh_index[refresh_token]]


def all_rows_text(doctype: str, filters: dict | None = None) -> str:
	"""Every column of every matching row as one string (for "no secret anywhere" checks)."""
	rows = frappe.get_all(doctype, filters=filters or {}, fields=["*"])
	return json.dumps(rows, default=str)
