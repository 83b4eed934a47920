"""`get_client(company)`: a QBOClient wired to this site's tokens, Redis pacing and the sync log.

Also the small things every caller of the client needs: the company facts read on connect, and a
recorder that turns the client's HTTP exchanges into the request/response columns of a QBO Sync Log row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import frappe
from frappe import _
from frappe.utils import now_datetime

from qbo_connector.mapping.dimensions import (
	CLASS_NONE,
	CLASS_PER_LINE,
	CLASS_PER_TXN,
	class_tracking_of,
	location_terminology,
	tracks_locations,
)
from qbo_connector.qbo.client import Exchange, QBOClient
from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo.oauth import NotConnectedError
from qbo_connector.qbo.pacing import Pacer
from qbo_connector.qbo.redact import redact, redact_str, redact_text
from qbo_connector.qbo_connector.budget import RedisReadCounter
from qbo_connector.qbo_connector.pacing import RedisPacingState
from qbo_connector.qbo_connector.settings import CONNECTION, get_oauth_client, get_settings
from qbo_connector.qbo_connector.tokens import FrappeTokenProvider

T = TypeVar("T")
# mapping/dimensions.py's class tracking -> the QBO Connection's Classes in QuickBooks field
CLASS_TRACKING_LABELS = {CLASS_NONE: "", CLASS_PER_TXN: "Per Transaction", CLASS_PER_LINE: "Per Line"}
US_NAMES = ("US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA")


def get_client(company: str, on_exchange: Callable[[Exchange], None] | None = None) -> QBOClient:
	"""A client for the QBO company connected to an ERPNext company.

	Raises qbo.oauth.NotConnectedError (a QBOError with a plain user_message) when the company has no
	working connection, so callers handle it like any other QBO failure.
	"""
	connection = frappe.db.get_value(CONNECTION, company, ["realm_id", "status"], as_dict=True)
	if not connection or not connection.realm_id or connection.status == "Not connected":
		raise NotConnectedError(
			f"No QBO connection for {company}",
			user_message=_("QuickBooks is not connected for {0}; connect it in QBO Settings.").format(
				company
			),
		)
	if connection.status == "Reconnect needed":
		raise NotConnectedError(
			f"QBO connection for {company} needs reconnecting",
			user_message=_(
				"QuickBooks refused to renew access for {0}; a System Manager must reconnect it in QBO Settings."
			).format(company),
		)
	settings = get_settings()
	oauth = get_oauth_client(settings)
	return QBOClient(
		realm_id=connection.realm_id,
		environment=oauth.environment,
		token_provider=FrappeTokenProvider(company, oauth),
		pacer=Pacer(RedisPacingState(), clock=time.time),
		on_exchange=_with_health(company, on_exchange),
		read_counter=RedisReadCounter(),
	)


def _with_health(company: str, on_exchange: Callable[[Exchange], None] | None) -> Callable[[Exchange], None]:
	"""The caller's exchange hook, after the connection's health marks (last successful and failed call)."""
	from qbo_connector.qbo_connector.health import exchange_recorder

	health = exchange_recorder(company)
	if on_exchange is None:
		return health

	def both(exchange: Exchange) -> None:
		health(exchange)
		on_exchange(exchange)

	return both


class ExchangeRecorder:
	"""An on_exchange hook that keeps a client's HTTP attempts for the log row written after the call."""

	def __init__(self) -> None:
		self.exchanges: list[Exchange] = []

	def __call__(self, exchange: Exchange) -> None:
		self.exchanges.append(exchange)

	def log_fields(self) -> dict[str, Any]:
		"""request/response/intuit_tid/duration/request_id of the last attempt, redacted, for QBO Sync Log."""
		if not self.exchanges:
			return {}
		last = self.exchanges[-1]
		request = {"method": last.method, "url": redact_str(last.url), "body": redact(last.request_body)}
		if len(self.exchanges) > 1:
			request["attempts"] = len(self.exchanges)
		response: dict[str, Any] = {"status": last.status}
		body = redact_text(last.response_body)
		if body:
			try:
				response["body"] = json.loads(body)
			except ValueError:
				response["body"] = body
		if last.error:
			response["error"] = redact_str(last.error)
		return {
			"request": json.dumps(request, default=str),
			"response": json.dumps(response, default=str),
			"intuit_tid": last.intuit_tid,
			"request_id": last.request_id,
			"duration_ms": sum(e.duration_ms or 0 for e in self.exchanges),
		}


def run_logged(
	company: str,
	operation: str,
	call: Callable[[QBOClient], T],
	*,
	direction: str = "Pull",
	qbo_entity: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
) -> T:
	"""Run call(client) and leave one QBO Sync Log row saying how it went (admin actions, not the engine).

	The row is committed even when the call fails: a failure nobody can see is the one that never gets fixed.
	"""
	from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import make_log

	recorder = ExchangeRecorder()
	started = time.monotonic()
	base = {
		"direction": direction,
		"operation": operation,
		"company": company,
		"realm_id": frappe.db.get_value(CONNECTION, company, "realm_id"),
		"qbo_entity": qbo_entity,
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"attempts": 1,
		"started_at": now_datetime(),
	}
	try:
		result = call(get_client(company, on_exchange=recorder))
	except QBOError as error:
		fields = recorder.log_fields()
		fields.setdefault("duration_ms", int((time.monotonic() - started) * 1000))
		fields["intuit_tid"] = error.intuit_tid or fields.get("intuit_tid")
		make_log(**base, **fields, status="Failed", error_code=error.code, error_message=error.user_message)
		frappe.db.commit()
		raise
	fields = recorder.log_fields()
	fields.setdefault("duration_ms", int((time.monotonic() - started) * 1000))
	make_log(**base, **fields, status="Success")
	return result


def throw_qbo_error(error: QBOError, title: str | None = None) -> None:
	"""Show a QBO failure to the user as one plain sentence (the log row has the details)."""
	frappe.throw(error.user_message or str(error), title=title or _("QuickBooks"))


def company_facts(company_info: dict, preferences: dict) -> dict[str, Any]:
	"""The QBO company settings that change how documents must be built, as QBO Connection fields."""
	address = company_info.get("CompanyAddr") or {}
	country = (company_info.get("Country") or address.get("Country") or "").strip()
	currency = preferences.get("CurrencyPrefs") or {}
	sales = preferences.get("SalesFormsPrefs") or {}
	tax = preferences.get("TaxPrefs") or {}
	home = currency.get("HomeCurrency") or {}
	return {
		"qbo_company_name": company_info.get("CompanyName") or company_info.get("LegalName"),
		"qbo_country": country,
		"is_us_company": int(country.upper() in US_NAMES),
		"home_currency": home.get("value") if isinstance(home, dict) else home,
		"multicurrency_enabled": int(bool(currency.get("MultiCurrencyEnabled"))),
		"custom_txn_numbers": int(bool(sales.get("CustomTxnNumbers"))),
		"auto_apply_credits": int(bool(sales.get("AutoApplyCredit"))),
		"automated_sales_tax": int(bool(tax.get("PartnerTaxEnabled"))),
		"class_tracking": CLASS_TRACKING_LABELS[class_tracking_of(preferences)],
		"track_locations": int(tracks_locations(preferences)),
		"location_label": location_terminology(preferences),
		"facts_refreshed_at": now_datetime(),
	}


def refresh_company_facts(company: str) -> dict[str, Any]:
	"""Read CompanyInfo and Preferences from QBO and cache them on the connection."""

	def read(client: QBOClient) -> dict[str, Any]:
		return company_facts(client.company_info(), client.preferences())

	facts = run_logged(company, "company_settings", read, qbo_entity="Preferences")
	frappe.db.set_value(CONNECTION, company, facts, update_modified=False)
	return facts


def client_for_realm(realm_id: str) -> QBOClient:
	"""The engine's client factory: webhooks and pulls arrive by QBO company, not by ERPNext company."""
	company = frappe.db.get_value(
		CONNECTION, {"realm_id": realm_id, "status": ("!=", "Not connected")}, "name"
	)
	if not company:
		raise NotConnectedError(
			f"No connection for realm {realm_id}",
			user_message=_("No ERPNext company is connected to QuickBooks company {0}.").format(realm_id),
		)
	return get_client(company)
