"""Connection health: the last successful and failed call, the refresh token's hard end with notices 30 and 7
days before it, and the "Test Connection" button.

Calls are recorded in Redis by the client's exchange hook (cheap, shared by all workers) and copied onto the
QBO Connection every five minutes: writing the connection row on every call would hold its row lock inside
each worker's transaction, and the token refresh must be able to write that row at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, format_datetime, get_datetime, get_url_to_form, now_datetime

from qbo_connector.qbo.client import Exchange
from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.notify import notify_managers
from qbo_connector.qbo_connector.permissions import RETRY_ROLES, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION

NOTICE_DAYS = (30, 7)  # tell the managers this many days before the refresh token's hard end
_OK = "qbo:health:ok:"
_FAILED = "qbo:health:failed:"
# Statuses that say the connection (not a document) has a problem: the token, the company, throttling, or
# QuickBooks itself. A 400 about one document is that document's business (its sync log row).
_CONNECTION_FAILURES = (401, 403, 429)


def _key(prefix: str, company: str) -> str:
	return prefix + company


def exchange_recorder(company: str) -> Callable[[Exchange], None]:
	"""An on_exchange hook marking the company's last successful and last failed call (in Redis)."""

	def record(exchange: Exchange) -> None:
		status = exchange.status
		stamp = str(now_datetime())
		if status is not None and status < 400:
			frappe.cache().set_value(_key(_OK, company), stamp)
		elif status is None or status >= 500 or status in _CONNECTION_FAILURES:
			what = exchange.error or f"HTTP {status}"
			path = exchange.url.split("?")[0].rsplit("/company/", 1)[-1]
			frappe.cache().set_value(
				_key(_FAILED, company), json.dumps({"at": stamp, "what": f"{exchange.method} {path}: {what}"})
			)

	return record


def _newer(value: str | None, stored: Any) -> bool:
	return bool(value) and (not stored or get_datetime(value) > get_datetime(stored))


def flush_health() -> None:
	"""Cron: copy the calls recorded in Redis onto each connection (only what is newer than it holds), and the
	month's metered reads (budget.py)."""
	from qbo_connector.qbo_connector.budget import flush_reads

	_flush_calls()
	flush_reads()


def _flush_calls() -> None:
	for row in frappe.get_all(
		CONNECTION, fields=["name", "last_success_at", "last_failure_at"], filters={"realm_id": ("is", "set")}
	):
		values: dict[str, Any] = {}
		ok = frappe.cache().get_value(_key(_OK, row.name))
		if _newer(ok, row.last_success_at):
			values["last_success_at"] = get_datetime(ok)
		failed = frappe.cache().get_value(_key(_FAILED, row.name))
		if failed:
			failure = json.loads(failed)
			if _newer(failure.get("at"), row.last_failure_at):
				values["last_failure_at"] = get_datetime(failure["at"])
				values["last_failure"] = failure.get("what")
		if values:
			frappe.db.set_value(CONNECTION, row.name, values, update_modified=False)
			frappe.db.commit()


# -- the refresh token's hard end -------------------------------------------------------------------------


def days_left(end: datetime | str, now: datetime | None = None) -> int:
	"""Whole days until `end` (0 on its last day)."""
	return max(0, int((get_datetime(end) - (now or now_datetime())).total_seconds() // 86400))


def check_token_expiry(now: datetime | None = None) -> list[str]:
	"""Daily: tell the managers when a connection's refresh token ends within 30 days, and again within 7
	(once each for one end; a reconnect sets a new end and starts over). Returns the companies told."""
	now = now or now_datetime()
	told = []
	for row in frappe.get_all(
		CONNECTION,
		filters={
			"status": "Connected",
			"refresh_token_hard_expires_at": ("<=", add_days(now, NOTICE_DAYS[0])),
		},
		fields=["name", "refresh_token_hard_expires_at", "expiry_notice"],
	):
		sent = set(filter(None, (row.expiry_notice or "").split(",")))
		left = days_left(row.refresh_token_hard_expires_at, now)
		due = [str(days) for days in NOTICE_DAYS if left <= days and str(days) not in sent]
		if not due:
			continue
		notify_expiry(row.name, row.refresh_token_hard_expires_at, left)
		sent.update(str(days) for days in NOTICE_DAYS if left <= days)  # the 7-day notice covers the 30
		frappe.db.set_value(
			CONNECTION, row.name, "expiry_notice", ",".join(sorted(sent)), update_modified=False
		)
		frappe.db.commit()
		told.append(row.name)
	return told


def notify_expiry(company: str, end: Any, left: int) -> None:
	when = format_datetime(end)
	subject = _("QuickBooks ends the connection of {0} in {1} days: reconnect before {2}").format(
		company, left, when
	)
	message = _(
		"Intuit ends every QuickBooks connection at most five years after it was made; the connection of {0}"
		" ends on {1}. After that nothing moves between ERPNext and QuickBooks until a System Manager"
		" reconnects. Reconnect now on <a href='{2}'>the connection</a> (Reconnect): it takes a minute and"
		" starts a new five years."
	).format(frappe.bold(escape_html(company)), escape_html(when), get_url_to_form(CONNECTION, company))
	notify_managers(subject, message, CONNECTION, company)


# -- Test Connection ----------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def test_connection(company: str) -> dict[str, Any]:
	"""Read the QuickBooks company's details once and say how it went (the connection keeps the outcome)."""
	from qbo_connector.qbo_connector.client import run_logged

	require_roles(RETRY_ROLES)
	if not frappe.db.exists(CONNECTION, company):
		frappe.throw(_("{0} has no QuickBooks connection.").format(company))
	started = time.monotonic()
	try:
		info = run_logged(
			company, "test_connection", lambda client: client.company_info(), qbo_entity="CompanyInfo"
		)
	except QBOError as exc:
		frappe.db.set_value(
			CONNECTION,
			company,
			{"last_failure_at": now_datetime(), "last_failure": exc.user_message},
			update_modified=False,
		)
		frappe.db.commit()
		status = frappe.db.get_value(CONNECTION, company, "status")
		return {"ok": False, "status": status, "message": exc.user_message}
	milliseconds = int((time.monotonic() - started) * 1000)
	frappe.db.set_value(CONNECTION, company, "last_success_at", now_datetime(), update_modified=False)
	frappe.db.commit()
	row = frappe.db.get_value(
		CONNECTION, company, ["realm_id", "refresh_token_hard_expires_at", "status"], as_dict=True
	)
	name = info.get("CompanyName") or info.get("LegalName") or row.realm_id
	message = _("Connected: QuickBooks company {0} ({1}) answered in {2} ms.").format(
		name, row.realm_id, milliseconds
	)
	if row.refresh_token_hard_expires_at:
		message += " " + _("Reconnect before {0} ({1} days).").format(
			format_datetime(row.refresh_token_hard_expires_at), days_left(row.refresh_token_hard_expires_at)
		)
	return {
		"ok": True,
		"status": row.status,
		"message": message,
		"company_name": name,
		"milliseconds": milliseconds,
	}
