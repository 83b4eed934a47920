"""Connecting an ERPNext company to a QuickBooks company, and disconnecting it.

connect() hands the browser Intuit's authorize URL with a `state` that is bound to the user, the company
and a ten-minute expiry and kept server-side (Redis, single use). callback() accepts the answer only for
that state and user; anything else gets an error page and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import quote

import frappe
from frappe import _
from frappe.utils import escape_html, now_datetime

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import refresh_company_facts, throw_qbo_error
from qbo_connector.qbo_connector.doctype.qbo_connection.qbo_connection import forget_other_realm
from qbo_connector.qbo_connector.permissions import ADMIN_ROLES, has_any_role, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION, desk_path, get_oauth_client, get_settings
from qbo_connector.qbo_connector.tokens import FrappeTokenStore, clear_tokens, read_tokens, write_tokens

STATE_TTL = 600  # seconds between clicking Connect and approving at Intuit
_STATE_PREFIX = "qbo:oauth-state:"
DESK_PREFIXES = ("/app/", "/desk/")  # v15's desk, v16's (where /app/ redirects)


# -- state ------------------------------------------------------------------------------------------------


def _state_key(state: str) -> bytes:
	cache = frappe.cache()
	return cache.make_key(_STATE_PREFIX + hashlib.sha256(state.encode()).hexdigest())


def issue_state(company: str, return_to: str | None = None, ttl: int = STATE_TTL) -> str:
	"""A fresh random state for this user and company, remembered server-side for ttl seconds."""
	state = secrets.token_urlsafe(32)
	info = {
		"user": frappe.session.user,
		"company": company,
		"expires_at": time.time() + ttl,
		"return_to": return_to,
	}
	frappe.cache().set(_state_key(state), json.dumps(info), ex=ttl)
	return state


def consume_state(state: str | None) -> dict[str, Any] | None:
	"""The state's details, removed so it cannot be used twice; None when unknown or expired."""
	if not state or len(state) > 200:
		return None
	key = _state_key(state)
	pipe = frappe.cache().pipeline(transaction=True)
	pipe.get(key)
	pipe.delete(key)
	raw, deleted = pipe.execute()
	if not raw or not deleted:  # unknown, expired in Redis, or a concurrent request took it first
		return None
	info = json.loads(raw)
	if float(info.get("expires_at") or 0) < time.time():
		return None
	return info


def _safe_return_to(return_to: str | None, company: str) -> str:
	"""Only our own desk pages: an open redirect on an OAuth callback is a phishing tool. A desk path of
	either version (/app/... on v15, /desk/... on v16) comes back as the running version's."""
	if return_to and return_to.isprintable() and "//" not in return_to and "\\" not in return_to:
		for prefix in DESK_PREFIXES:
			if return_to.startswith(prefix) and len(return_to) > len(prefix):
				return desk_path(return_to[len(prefix) :])
	return desk_path(f"qbo-connection/{quote(company)}")


# -- connection record -------------------------------------------------------------------------------------


def ensure_connection(company: str):
	"""The company's QBO Connection, created with defaults on first use."""
	if not frappe.db.exists("Company", company):
		frappe.throw(_("Company {0} does not exist").format(company), frappe.DoesNotExistError)
	if frappe.db.exists(CONNECTION, company):
		return frappe.get_doc(CONNECTION, company)
	doc = frappe.get_doc({"doctype": CONNECTION, "company": company})
	doc.insert(ignore_permissions=True)  # the caller checked ADMIN_ROLES
	return doc


# -- whitelisted -------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def connect(company: str, return_to: str | None = None) -> dict[str, str]:
	"""Intuit's authorize URL for this company; the browser goes there and comes back to callback()."""
	require_roles(ADMIN_ROLES)
	settings = get_settings()
	oauth = get_oauth_client(settings)
	ensure_connection(company)
	state = issue_state(company, _safe_return_to(return_to, company))
	return {"url": oauth.authorization_url(state)}


@frappe.whitelist(methods=["GET"])
def callback(
	code: str | None = None,
	state: str | None = None,
	realmId: str | None = None,  # Intuit's parameter name
	error: str | None = None,
	error_description: str | None = None,
) -> None:
	"""Where Intuit sends the browser back. Checks the state before anything else; stores nothing otherwise."""
	info = consume_state(state)
	if info is None:
		return _fail(
			_("This QuickBooks sign-in link is unknown or has expired (links last {0} minutes).").format(
				STATE_TTL // 60
			)
			+ " "
			+ _("Start again with Connect in QBO Settings."),
			http_status_code=400,
		)
	if info.get("user") != frappe.session.user:
		return _fail(
			_(
				"This QuickBooks sign-in was started by another user. Start again with Connect in QBO Settings."
			),
			http_status_code=403,
		)
	if not has_any_role(ADMIN_ROLES) and frappe.session.user != "Administrator":
		return _fail(_("Only a System Manager can connect QuickBooks."), http_status_code=403)
	company = info["company"]
	if error:
		return _fail(
			_("QuickBooks did not grant access ({0}). Nothing was changed.").format(
				escape_html(error_description or error)
			),
			http_status_code=400,
		)
	if not code or not realmId:
		return _fail(_("QuickBooks' answer had no authorization code or company ID."), http_status_code=400)
	other = frappe.db.get_value(
		CONNECTION,
		{"realm_id": realmId, "name": ("!=", company), "status": ("!=", "Not connected")},
		"name",
	)
	if other:
		return _fail(
			_(
				"This QuickBooks company is already connected to {0}. Disconnect it there first, or pick another"
				" QuickBooks company."
			).format(frappe.bold(other)),
			http_status_code=409,
		)

	try:
		tokens = get_oauth_client().exchange_code(code, realmId)
	except QBOError as exc:
		_log_connect(company, realmId, "Failed", exc)
		return _fail(escape_html(exc.user_message), http_status_code=502)

	connection = ensure_connection(company)
	previous_realm = connection.realm_id
	previous_name = connection.qbo_company_name
	cleared: list[str] = []
	with FrappeTokenStore(company).lock():
		tokens.realm_id = realmId
		write_tokens(company, tokens)
		connection.reload()
		connection.update(
			{
				"realm_id": realmId,
				"status": "Connected",
				"last_connected": now_datetime(),
				"connected_by": frappe.session.user,
				"last_error": None,
			}
		)
		if previous_realm and previous_realm != realmId:
			cleared = forget_other_realm(connection)
		connection.save(ignore_permissions=True)
		frappe.db.commit()  # a pair Intuit has issued must not be lost to a later failure in this request
	_log_connect(company, realmId, "Success")
	try:
		refresh_company_facts(company)
	except QBOError as exc:
		frappe.db.set_value(
			CONNECTION,
			company,
			"last_error",
			_("Connected, but the QuickBooks company settings could not be read: {0}").format(
				exc.user_message
			),
			update_modified=False,
		)
	if previous_realm and previous_realm != realmId:
		_say_realm_changed(company, previous_realm, previous_name, realmId, cleared)
	frappe.db.commit()
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = _safe_return_to(info.get("return_to"), company)


@frappe.whitelist(methods=["POST"])
def disconnect(company: str) -> dict[str, Any]:
	"""Revoke the tokens at Intuit and forget them here; the connection's settings stay for a reconnect."""
	require_roles(ADMIN_ROLES)
	if not frappe.db.exists(CONNECTION, company):
		frappe.throw(_("{0} is not connected to QuickBooks.").format(company))
	revoke_error = None
	with FrappeTokenStore(company).lock():
		tokens = read_tokens(company)
		if tokens:
			try:
				get_oauth_client().revoke(tokens.refresh_token)
			except QBOError as exc:
				# Forget the tokens anyway: the admin asked for this site to stop using them.
				revoke_error = exc.user_message
		clear_tokens(company)
		frappe.db.set_value(
			CONNECTION,
			company,
			{
				"status": "Not connected",
				"last_error": _("Disconnected, but QuickBooks did not confirm the revoke: {0}").format(
					revoke_error
				)
				if revoke_error
				else None,
			},
		)
		frappe.db.commit()
	_log_connect(company, None, "Warning" if revoke_error else "Success", operation="disconnect")
	frappe.db.commit()
	return {"status": "Not connected", "revoke_error": revoke_error}


@frappe.whitelist(methods=["POST"])
def refresh_company_settings(company: str) -> dict[str, Any]:
	"""Re-read CompanyInfo and Preferences (after the admin changed them in QuickBooks)."""
	require_roles(ADMIN_ROLES)
	try:
		facts = refresh_company_facts(company)
	except QBOError as exc:
		throw_qbo_error(exc)
	frappe.db.set_value(CONNECTION, company, "last_error", None, update_modified=False)
	return facts


@frappe.whitelist()
def get_connections() -> list[dict[str, Any]]:
	"""Every company with its connection state, for the overview on QBO Settings (no secrets)."""
	if not frappe.has_permission(CONNECTION, "read"):
		frappe.throw(_("Not permitted to read QBO Connection"), frappe.PermissionError)
	fields = [
		"name",
		"enabled",
		"status",
		"realm_id",
		"qbo_company_name",
		"last_connected",
		"last_error",
		"realm_change_note",
		"refresh_token_expires_at",
	]
	connections = {row.name: row for row in frappe.get_all(CONNECTION, fields=fields)}
	can_connect = has_any_role(ADMIN_ROLES) or frappe.session.user == "Administrator"
	out = []
	for company in frappe.get_all("Company", pluck="name", order_by="name asc"):
		row = connections.get(company)
		out.append(
			{
				"company": company,
				"exists": row is not None,
				"enabled": bool(row.enabled) if row else False,
				"status": row.status if row else "Not connected",
				"realm_id": row.realm_id if row else None,
				"qbo_company_name": row.qbo_company_name if row else None,
				"last_connected": row.last_connected if row else None,
				"last_error": row.last_error if row else None,
				"realm_change_note": row.realm_change_note if row else None,
				"refresh_token_expires_at": row.refresh_token_expires_at if row else None,
				"can_connect": can_connect,
			}
		)
	return out


# -- helpers -----------------------------------------------------------------------------------------------


def _say_realm_changed(
	company: str, old_realm: str, old_name: str | None, new_realm: str, cleared: list[str]
) -> None:
	"""Tell the admin, on the connection (a note shown until dismissed, and its timeline) and on both
	maps, that the company now talks to another QuickBooks company and what had to be picked again."""
	new_name = frappe.db.get_value(CONNECTION, company, "qbo_company_name")

	def named(name: str | None, realm: str) -> str:
		return _("'{0}' (company ID {1})").format(name, realm) if name else _("company ID {0}").format(realm)

	note = _("{0} is now connected to QuickBooks {1}, not {2} as before.").format(
		company, named(new_name, new_realm), named(old_name, old_realm)
	)
	if cleared:
		note += " " + _(
			"QuickBooks IDs chosen for the old company mean another record (or none) in the new one, so these"
			" were cleared: {0}. Pick them again from the new company's lists, then press Validate Mappings"
			" on the Account Map and the Tax Map."
		).format("; ".join(cleared))
	else:
		note += " " + _("No defaults or map rows pointed at the old company's records.")
	frappe.db.set_value(CONNECTION, company, "realm_change_note", note, update_modified=False)
	frappe.get_doc(CONNECTION, company).add_comment("Info", escape_html(note))
	for doctype in ("QBO Account Map", "QBO Tax Map"):
		if frappe.db.exists(doctype, company):
			frappe.get_doc(doctype, company).add_comment("Info", escape_html(note))


def _fail(message: str, http_status_code: int = 400) -> None:
	"""An error page for the browser (the callback is a page visit, not an API call)."""
	frappe.db.rollback()
	frappe.respond_as_web_page(
		_("QuickBooks connection failed"),
		message,
		success=False,
		http_status_code=http_status_code,
		indicator_color="red",
		primary_action=desk_path("qbo-settings"),
		primary_label=_("Back to QBO Settings"),
	)


def _log_connect(
	company: str,
	realm_id: str | None,
	status: str,
	error: QBOError | None = None,
	operation: str = "connect",
) -> None:
	from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import make_log

	make_log(
		direction="Pull",
		operation=operation,
		company=company,
		realm_id=realm_id or frappe.db.get_value(CONNECTION, company, "realm_id"),
		status=status,
		attempts=1,
		started_at=now_datetime(),
		error_code=error.code if error else None,
		error_message=error.user_message if error else None,
		intuit_tid=error.intuit_tid if error else None,
	)
	frappe.db.commit()
