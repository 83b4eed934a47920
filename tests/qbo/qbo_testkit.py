"""Helpers shared by the qbo/ tests (a module, not conftest, so test files can import names from it)."""

import threading

from qbo_connector.qbo.environments import custom_environment

REALM = "9130350000000001"
API = "https://qbo.test/v3"
BASE = f"{API}/company/{REALM}"

ENV = custom_environment(
	api_base=API + "/",
	authorize_url="https://auth.test/connect/oauth2",
	token_url="https://auth.test/oauth2/v1/tokens/bearer",
	revoke_url="https://auth.test/v2/oauth2/tokens/revoke",
	app_base="https://app.test/app",
	name="test",
)


class FakeTokens:
	"""Access tokens "tok-1", "tok-2", ...; force_refresh moves to the next one."""

	def __init__(self):
		self.current = 1
		self.refreshes = []
		self.lock = threading.Lock()

	def access_token(self):
		return f"tok-{self.current}"

	def force_refresh(self, failed_access_token):
		with self.lock:
			self.refreshes.append(failed_access_token)
			if failed_access_token == f"tok-{self.current}":
				self.current += 1
			return f"tok-{self.current}"


class Sleeps(list):
	"""Records requested sleeps instead of sleeping."""

	def __call__(self, seconds):
		self.append(seconds)
