"""The site behind the browser, over Frappe's REST API: setting up what a test is not about, and reading
the database's truth to compare with what the screen shows. (What a test is about goes through the UI.)"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

CALLBACK = "/api/method/qbo_connector.qbo_connector.oauth.callback"
WEBHOOK = "/api/method/qbo_connector.qbo_connector.webhook.receive"


class SiteError(RuntimeError):
	pass


class Site:
	"""A logged-in REST session on the site (Administrator unless told otherwise)."""

	def __init__(self, url: str, user: str, password: str) -> None:
		self.url = url.rstrip("/")
		self.user = user
		self.session = requests.Session()
		self.login(user, password)

	def login(self, user: str, password: str) -> None:
		answer = self.session.post(
			f"{self.url}/api/method/login", data={"usr": user, "pwd": password}, timeout=30
		)
		if answer.status_code != 200:
			raise SiteError(
				f"cannot log in to {self.url} as {user}: {answer.status_code} {answer.text[:200]}"
			)

	def _check(self, answer: requests.Response) -> Any:
		if answer.status_code >= 400:
			raise SiteError(
				f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text[:1500]}"
			)
		return answer.json()

	# -- methods and documents ---------------------------------------------------------------------------
	def call(self, method: str, **kwargs: Any) -> Any:
		data = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in kwargs.items()}
		return self._check(self.session.post(f"{self.url}/api/method/{method}", data=data, timeout=60)).get(
			"message"
		)

	def get(self, doctype: str, name: str) -> dict[str, Any]:
		return self._check(self.session.get(f"{self.url}/api/resource/{doctype}/{name}", timeout=30))["data"]

	def exists(self, doctype: str, name: str) -> bool:
		answer = self.session.get(f"{self.url}/api/resource/{doctype}/{name}", timeout=30)
		return answer.status_code == 200

	def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
		doctype = doc["doctype"]
		return self._check(self.session.post(f"{self.url}/api/resource/{doctype}", json=doc, timeout=60))[
			"data"
		]

	def update(self, doctype: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
		return self._check(
			self.session.put(f"{self.url}/api/resource/{doctype}/{name}", json=values, timeout=60)
		)["data"]

	def set_value(self, doctype: str, name: str, values: dict[str, Any]) -> Any:
		return self.call("frappe.client.set_value", doctype=doctype, name=name, fieldname=values)

	def all(
		self, doctype: str, filters: Any = None, fields: list[str] | None = None, **kw: Any
	) -> list[dict]:
		return self.call(
			"frappe.client.get_list",
			doctype=doctype,
			filters=filters or {},
			fields=fields or ["name"],
			limit_page_length=kw.pop("limit", 0),
			**kw,
		)

	def count(self, doctype: str, filters: Any = None) -> int:
		return int(self.call("frappe.client.get_count", doctype=doctype, filters=filters or {}))

	def frappe_major(self) -> int:
		"""The site's Frappe major version (15, 16...): where its desk lives and how it is drawn."""
		versions = self.call("frappe.utils.change_log.get_versions")
		return int(str(versions["frappe"]["version"]).split(".")[0])

	def value(self, doctype: str, name: str, field: str) -> Any:
		return self.get(doctype, name).get(field)

	def wait_for(self, what: str, check, timeout: float = 30.0, every: float = 0.5) -> Any:
		"""Poll check() until it returns something truthy (the site's worker is asynchronous)."""
		deadline = time.monotonic() + timeout
		last = None
		while time.monotonic() < deadline:
			last = check()
			if last:
				return last
			time.sleep(every)
		raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")

	# -- set-up --------------------------------------------------------------------------------------------
	def ensure(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
		"""The document if it exists, else inserted as given."""
		if self.exists(doc["doctype"], name):
			return self.get(doc["doctype"], name)
		return self.insert(doc)

	def ensure_user(self, email: str, password: str, roles: list[str]) -> None:
		if not self.exists("User", email):
			self.insert(
				{
					"doctype": "User",
					"email": email,
					"first_name": email.split("@")[0].replace(".", " ").title(),
					"send_welcome_email": 0,
					"user_type": "System User",
					"new_password": password,
					"roles": [{"role": role} for role in roles],
				}
			)
		else:
			self.update(
				"User", email, {"roles": [{"role": role} for role in roles], "new_password": password}
			)
