"""Scrubbing secrets out of anything this site stores as text: sync log rows and Error Logs.

`qbo.redact` removes secrets by shape (Bearer headers, token=... pairs, secret-named JSON keys). That cannot
catch a token printed inside a Python dict in a traceback with local variables (Frappe's Error Log keeps
those). So here the actual secret values this site holds - the Intuit client secret, the webhook verifier
token and every connection's access and refresh token - are also removed by value before a row is written.
"""

from __future__ import annotations

import frappe

from qbo_connector.qbo.redact import MASK, redact_str
from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS

_LOCAL_KEY = "qbo_known_secrets"
_MIN_SECRET_LENGTH = 8  # shorter values would blot out ordinary words


def known_secrets() -> list[str]:
	"""The secret values currently stored (decrypted), longest first; cached for the request or job."""
	cached = getattr(frappe.local, _LOCAL_KEY, None)
	if cached is not None:
		return cached
	from frappe.utils.password import get_decrypted_password

	values: set[str] = set()
	for fieldname in ("client_secret", "webhook_verifier_token"):
		values.add(get_decrypted_password(SETTINGS, SETTINGS, fieldname, raise_exception=False) or "")
	for name in frappe.get_all(CONNECTION, pluck="name"):
		for fieldname in ("access_token", "refresh_token"):
			values.add(get_decrypted_password(CONNECTION, name, fieldname, raise_exception=False) or "")
	secrets = sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)
	setattr(frappe.local, _LOCAL_KEY, secrets)
	return secrets


def forget_known_secrets() -> None:
	"""Call after tokens or settings change, so the next scrub sees the new values."""
	if hasattr(frappe.local, _LOCAL_KEY):
		delattr(frappe.local, _LOCAL_KEY)


def scrub(text: str | None, extra: list[str] | None = None) -> str | None:
	"""text with secrets removed by shape and by value."""
	if not text:
		return text
	text = redact_str(str(text))
	for secret in [*(extra or []), *known_secrets()]:
		if secret and secret in text:
			text = text.replace(secret, MASK)
	return text


def scrub_error_log(doc, method: str | None = None) -> None:
	"""doc_events hook on Error Log (before_insert): no QBO secret is kept in a stored traceback."""
	try:
		doc.error = scrub(doc.error)
		doc.method = scrub(doc.method)
	except Exception:  # noqa: BLE001 - failing here would lose the error being logged; shape-redact instead
		doc.error = redact_str(doc.error or "")
		doc.method = redact_str(doc.method or "")
