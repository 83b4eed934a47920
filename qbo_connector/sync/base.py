"""What every engine path shares: clients, settings, the QBO company's mode, and attempts (log rows).

An Attempt is one log row held open while the work runs. Whatever happens inside - success, a QBO fault,
a bug - it is closed with a verdict, so "every attempt ends in a log row" holds by construction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from dateutil.parser import isoparser

from qbo_connector.mapping.context import MappingContext, TaxCodeInfo
from qbo_connector.mapping.dimensions import class_tracking_of, location_terminology, tracks_locations
from qbo_connector.mapping.money import D, q2
from qbo_connector.qbo.client import Exchange, QBOClient
from qbo_connector.qbo.query import Query
from qbo_connector.qbo.redact import redact

from .interrupt import close_superseded
from .outcome import (
	DEFAULT_BACKOFF,
	INTERNAL_CODE,
	MAX_INTERNAL_ATTEMPTS,
	SyncResult,
	classify,
	format_traceback,
	gave_up_sentence,
	next_retry_at,
)
from .store import (
	ITEM,
	CompanyMode,
	ConnectionConfig,
	LogEntry,
	LogOutcome,
	LogStatus,
	Store,
)

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str], QBOClient]
Clock = Callable[[], datetime]

_MAX_EXCHANGES = 20
_MAX_BODY = 20_000  # one HTTP body in a log row
_MAX_LOG = 400_000  # one log field


def utcnow() -> datetime:
	return datetime.now(timezone.utc)


def _json(value: Any) -> str | None:
	"""Redacted JSON for a log field; always valid JSON, even when cut to size."""
	if value is None:
		return None
	text = json.dumps(redact(value), default=str, ensure_ascii=False, indent=1)
	if len(text) > _MAX_LOG:
		text = json.dumps({"truncated": True, "characters": len(text), "head": text[:_MAX_BODY]}, indent=1)
	return text


def _clip(text: str | None) -> str | None:
	"""One HTTP body within reason (a 1000-row query answer is not worth keeping whole)."""
	if text is None or len(text) <= _MAX_BODY:
		return text
	return text[:_MAX_BODY] + f"... <{len(text) - _MAX_BODY} more characters>"


def doc_label(doctype: str | None, name: str | None) -> str:
	return f"{doctype or ''} {name or ''}".strip()


class Attempt:
	"""One log row, open while the work runs; collects the HTTP exchanges the client reports."""

	def __init__(self, engine: EngineBase, entry: LogEntry) -> None:
		self.engine = engine
		self.entry = entry
		entry.started_at = entry.started_at or engine.clock()
		self.log_id = engine.store.start_log(entry)
		self.started = time.monotonic()
		self.exchanges: list[Exchange] = []
		self.requests = 0  # every HTTP exchange, also beyond the ones kept for the row
		self.reads = 0  # metered reads among them
		self.request: Any = None
		self.response: Any = None
		self.qbo_entity: str | None = entry.qbo_entity
		self.qbo_id: str | None = entry.qbo_id
		self.erp_doctype: str | None = entry.erp_doctype
		self.erp_name: str | None = entry.erp_name
		self.fingerprint: Callable[[], str | None] | None = None
		self.closed: SyncResult | None = None
		# What a failure message starts with when the log row's doctype/name do not say it (a pull row names
		# a QBO object; its failure must also name the ERPNext record it concerns).
		self.subject: str | None = None
		# what the attempt did on the way (adopted a QBO record...): added to the message
		self.notes: list[str] = []

	def produced(self, doctype: str, name: str) -> None:
		"""Name the ERPNext document this (pull) attempt created or changed, so its log row links to it."""
		self.erp_doctype, self.erp_name = doctype, name

	def add_exchange(self, exchange: Exchange) -> None:
		self.requests += 1
		self.reads += int(getattr(exchange, "reads", 0) or 0)
		if len(self.exchanges) < _MAX_EXCHANGES:
			self.exchanges.append(exchange)

	def _bodies(self) -> tuple[str | None, str | None, str | None]:
		if self.exchanges:
			requests_ = [
				{
					"method": x.method,
					"url": x.url,
					"request_id": x.request_id,
					"attempt": x.attempt,
					"body": x.request_body,
				}
				for x in self.exchanges
			]
			responses = [
				{
					"status": x.status,
					"intuit_tid": x.intuit_tid,
					"duration_ms": x.duration_ms,
					"error": x.error,
					"body": _clip(x.response_body),
				}
				for x in self.exchanges
			]
			tid = next((x.intuit_tid for x in reversed(self.exchanges) if x.intuit_tid), None)
			request = {"sent": self.request, "http": requests_} if self.request is not None else requests_
			return _json(request), _json(responses), tid
		return _json(self.request), _json(self.response), None

	def finish(
		self,
		status: LogStatus,
		message: str,
		*,
		code: str | None = None,
		retryable: bool = False,
		action: str | None = None,
		intuit_tid: str | None = None,
		traceback: str | None = None,
	) -> SyncResult:
		"""Close the row; a retryable failure gets its next_retry_at from the backoff schedule.

		An internal error keeps its (redacted) traceback for admins and is retried only until
		MAX_INTERNAL_ATTEMPTS, whoever classified it. Rows of the same thing that a dead worker left open
		before this one are closed as Interrupted (interrupt.py)."""
		if self.closed is not None:
			return self.closed
		if status == "Failed" and code == INTERNAL_CODE:
			if traceback is None:
				handling = sys.exc_info()[1]  # a caller that classified the exception itself, in its except
				traceback = format_traceback(handling) if handling is not None else None
			if retryable and self.entry.attempts >= MAX_INTERNAL_ATTEMPTS:
				retryable = False
				message = f"{message} {gave_up_sentence(self.entry.attempts)}"
		notes = [note for note in self.notes if note not in message]
		if notes:
			message = " ".join([message.rstrip(), *notes]).strip()
		request_json, response_json, tid = self._bodies()
		now = self.engine.clock()
		retry_at = None
		fingerprint = None
		if status == "Failed" or (status == "Skipped" and code):
			if status == "Failed" and retryable:
				retry_at = next_retry_at(now, self.entry.attempts, self.engine.backoff)
			elif self.fingerprint is not None:
				try:
					fingerprint = self.fingerprint()
				except Exception:
					logger.exception(
						"fingerprint of %s failed", doc_label(self.entry.doctype, self.entry.name)
					)
		self.engine.store.finish_log(
			self.log_id,
			LogOutcome(
				status=status,
				message=message,
				error_code=code,
				intuit_tid=intuit_tid or tid,
				duration_ms=int((time.monotonic() - self.started) * 1000),
				request_json=request_json,
				response_json=response_json,
				retryable=retryable,
				next_retry_at=retry_at,
				qbo_entity=self.qbo_entity,
				qbo_id=self.qbo_id,
				doc_fingerprint=fingerprint,
				# a failed pull changed nothing worth linking to
				erp_doctype=self.erp_doctype if status != "Failed" else None,
				erp_name=self.erp_name if status != "Failed" else None,
				traceback=traceback,
				requests=self.requests,
				reads=self.reads,
			),
		)
		try:
			close_superseded(self.engine.store, self.entry, self.log_id, status, now, code)
		except Exception:  # tidying older rows must not undo this attempt's verdict
			logger.exception("closing rows left open before sync log %s failed", self.log_id)
		self.closed = SyncResult(
			status=status,
			message=message,
			doctype=self.entry.doctype,
			name=self.entry.name,
			qbo_entity=self.qbo_entity,
			qbo_id=self.qbo_id,
			log_id=self.log_id,
			retryable=retryable,
			code=code,
			action=action,
		)
		return self.closed

	def fail(self, exc: BaseException) -> SyncResult:
		"""Close the row for an exception, naming the document when the error does not already."""
		failure = classify(exc, self.entry.attempts)
		if failure.code == INTERNAL_CODE:
			# The redacted traceback, not exc_info: worker logs are read by more people than admins.
			logger.error(
				"sync %s of %s failed unexpectedly\n%s",
				self.entry.operation,
				doc_label(self.entry.doctype, self.entry.name),
				failure.traceback,
			)
		if self.response is None and failure.detail is not None:
			self.response = failure.detail
		label = self.subject or doc_label(self.entry.doctype, self.entry.name)
		message = failure.message
		if label and not message.startswith(label):
			message = f"{label}: {message}"
		return self.finish(
			"Failed",
			message,
			code=failure.code,
			retryable=failure.retryable,
			intuit_tid=failure.intuit_tid,
			traceback=failure.traceback,
		)


class EngineBase:
	"""State and helpers shared by the push, pull, bulk and retry paths."""

	def __init__(
		self,
		store: Store,
		client_for: ClientFactory,
		clock: Clock | None = None,
		*,
		backoff: tuple[float, ...] = DEFAULT_BACKOFF,
		mode_max_age: timedelta = timedelta(hours=24),
		stale_retries: int = 3,
		cdc_max_age: timedelta = timedelta(days=29),  # QBO's 30-day CDC look-back, less a day for clock skew
		batch_size: int = 30,
	) -> None:
		self.store = store
		self._client_for = client_for
		self.clock: Clock = clock or utcnow
		self.backoff = tuple(backoff)
		self.mode_max_age = mode_max_age
		self.stale_retries = stale_retries
		self.cdc_max_age = cdc_max_age
		self.batch_size = batch_size
		self._local = threading.local()

	# -- clients and attempts -------------------------------------------------------------------------
	def client(self, realm_id: str) -> QBOClient:
		"""The factory's client for a realm, with its exchanges routed into the current log row."""
		client = self._client_for(realm_id)
		if getattr(client, "_sync_engine", None) is not self and hasattr(client, "on_exchange"):
			previous = client.on_exchange

			def on_exchange(exchange: Exchange, _previous=previous) -> None:
				self.record_exchange(exchange)
				if _previous is not None:
					_previous(exchange)

			client.on_exchange = on_exchange
			client._sync_engine = self  # type: ignore[attr-defined]  # wire each client once
		return client

	def record_exchange(self, exchange: Exchange) -> None:
		"""Attach one HTTP exchange to the attempt running in this thread (if any)."""
		stack = getattr(self._local, "stack", None)
		if stack:
			stack[-1].add_exchange(exchange)

	def note(self, sentence: str) -> None:
		"""Add a sentence to the log message of the attempt running in this thread (an adopted or renamed
		QBO record is worth telling, whatever the attempt ends as)."""
		stack = getattr(self._local, "stack", None)
		if stack:
			stack[-1].notes.append(sentence)
		else:
			logger.info("%s", sentence)

	def _run(self, entry: LogEntry, work: Callable[[Attempt], SyncResult]) -> SyncResult:
		"""Open a log row, run work, and close the row whatever happens."""
		attempt = Attempt(self, entry)
		stack = self._local.__dict__.setdefault("stack", [])
		stack.append(attempt)
		try:
			result = work(attempt)
		except Exception as exc:  # noqa: BLE001 - every attempt must end in a log row; fail() classifies it
			result = attempt.fail(exc)
		finally:
			stack.pop()
		if attempt.closed is None:  # work returned without closing: treat as success
			result = attempt.finish(result.status, result.message)
		return result

	def _entry(
		self,
		operation: str,
		config: ConnectionConfig | None,
		doctype: str | None = None,
		name: str | None = None,
		*,
		company: str | None = None,
		retry_of: LogEntry | None = None,
	) -> LogEntry:
		return LogEntry(
			company=config.company if config else company,
			realm_id=config.realm_id if config else None,
			operation=operation,
			doctype=doctype,
			name=name,
			started_at=self.clock(),
			attempts=(retry_of.attempts + 1) if retry_of else 1,
			retry_of=retry_of.id if retry_of else None,
		)

	# -- settings -------------------------------------------------------------------------------------
	def _config(self, company: str | None = None, realm_id: str | None = None) -> ConnectionConfig | None:
		if company:
			return self.store.get_config(company)
		if realm_id:
			return self.store.get_config_for_realm(realm_id)
		return None

	def company_mode(
		self, config: ConnectionConfig, client: QBOClient | None = None, *, refresh: bool = False
	) -> CompanyMode:
		"""QBO company settings (country, multicurrency, numbering, tax, tax code rates), cached on the
		connection for mode_max_age; refresh=True reads them again (QBO answered an error they explain)."""
		mode = config.company_mode
		now = self.clock()
		fresh = mode is not None and (mode.fetched_at is None or now - mode.fetched_at < self.mode_max_age)
		if fresh and not refresh and mode.tax_codes is not None:
			return mode
		client = client or self.client(config.realm_id)
		prefs = client.preferences()
		info = client.company_info()
		currency = prefs.get("CurrencyPrefs") or {}
		sales = prefs.get("SalesFormsPrefs") or {}
		tax = prefs.get("TaxPrefs") or {}
		mode = CompanyMode(
			class_tracking=class_tracking_of(prefs),
			track_locations=tracks_locations(prefs),
			location_label=location_terminology(prefs),
			country=str(info.get("Country") or (info.get("CompanyAddr") or {}).get("Country") or "US"),
			home_currency=str((currency.get("HomeCurrency") or {}).get("value") or "USD"),
			multicurrency=bool(currency.get("MultiCurrencyEnabled")),
			custom_txn_numbers=bool(sales.get("CustomTxnNumbers", True)),
			automated_sales_tax=bool(tax.get("PartnerTaxEnabled")),
			auto_apply_credits=bool(sales.get("AutoApplyCredit")),
			fetched_at=now,
			tax_codes=self.read_tax_codes(client),
		)
		self.store.save_company_mode(config.company, mode)
		config.company_mode = mode
		return mode

	@staticmethod
	def read_tax_codes(client: QBOClient) -> dict[str, TaxCodeInfo]:
		"""Every QBO TaxCode (inactive too) with the percentages of its sales rates: two paged queries."""
		rates = {
			str(row.get("Id")): D(row.get("RateValue"))
			for row in client.query_all("select * from TaxRate where Active IN (true, false)")
		}
		codes: dict[str, TaxCodeInfo] = {}
		for row in client.query_all("select * from TaxCode where Active IN (true, false)"):
			details = (row.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
			pcts = tuple(
				rates.get(str((d.get("TaxRateRef") or {}).get("value")), D(0))
				for d in details
				if (d.get("TaxRateRef") or {}).get("value") is not None
			)
			code_id = str(row.get("Id"))
			codes[code_id] = TaxCodeInfo(
				id=code_id,
				name=str(row.get("Name") or ""),
				rates=pcts,
				taxable=bool(row.get("Taxable", bool(pcts))),
				active=row.get("Active") is not False,
			)
		return codes

	def context(self, config: ConnectionConfig, mode: CompanyMode) -> MappingContext:
		"""A MappingContext with the connection's settings; per-document refs are filled by the caller."""
		return MappingContext(
			realm_id=config.realm_id,
			is_us=mode.is_us,
			home_currency=mode.home_currency,
			multicurrency=mode.multicurrency,
			doc_number_prefix=config.doc_number_prefix or "",
			txn_date_mode=config.txn_date_mode,  # type: ignore[arg-type]
			company=config.company,
			default_item_ref=config.default_item,
			account_map=dict(config.account_map),
			income_account_ref=config.default_income_account,
			tax_map=dict(config.tax_map),
			default_tax_code=config.default_tax_code,
			us_tax_code_ref=config.us_tax_code,
			exempt_tax_code=config.exempt_tax_code,
			absorb_cent_differences=config.absorb_cent_differences,
			discount_account_ref=config.discount_account,
			rounding_item_ref=config.rounding_item,
			deposit_account_ref=config.deposit_account,
			tax_codes=mode.tax_codes,
			automated_sales_tax=mode.automated_sales_tax,
			expense_account_ref=config.default_expense_account,
			payables_account_ref=config.payables_account,
			class_tracking=mode.class_tracking,
			class_refs=dict(config.class_map),
			default_class_ref=config.default_class,
			track_locations=mode.track_locations,
			location_refs=dict(config.location_map),
			default_location_ref=config.default_location,
			location_field=config.location_field or "branch",
			location_label=mode.location_label,
		)

	def waits_for_a_fix(self, entry: LogEntry) -> bool:
		"""A bad-data failure whose document, customer, items and mappings are unchanged since: sending it
		again would fail the same way and only add another Failed row."""
		if entry.retryable or entry.doctype is None or entry.name is None or entry.doc_fingerprint is None:
			return False
		config = self._config(entry.company, entry.realm_id)
		return self.fingerprint(config, entry.doctype, entry.name) == entry.doc_fingerprint

	def fingerprint(self, config: ConnectionConfig | None, doctype: str, name: str) -> str | None:
		"""A hash of everything a bad-data failure could be fixed in (the document, its party and items, the
		mappings), so the scheduler retries it once someone has changed one of them."""
		from . import kinds

		doc = self.store.get_doc(doctype, name)
		if doc is None:
			return None
		parts: list[Any] = [doctype, name, doc.get("modified"), doc.get("docstatus")]
		kind = kinds.of(doctype, doc)
		party = kind.party_name(doc) if kind is not None and kind.party is not None else None
		if kind is not None and kind.party is not None and party:
			parts.append((self.store.get_doc(kind.party.doctype, party) or {}).get("modified"))
			if kind.party.map is None and config is not None:  # a party only ever mapped (the Employee map)
				mapped = self.store.get_link(config.realm_id, kind.party.doctype, party)
				parts.append((mapped.qbo_id, mapped.state) if mapped else None)
		if kind is not None:
			for code in sorted(kind.item_codes(doc)):
				parts.append((code, (self.store.get_doc(ITEM, code) or {}).get("modified")))
		if config is not None:
			parts.append(
				(
					sorted(config.account_map.items()),
					sorted(config.tax_map.items()),
					config.default_item,
					config.default_tax_code,
					config.default_income_account,
					config.us_tax_code,
					config.exempt_tax_code,
					config.absorb_cent_differences,
					config.discount_account,
					config.rounding_item,
					config.deposit_account,
					config.doc_number_prefix,
					config.default_expense_account,
					config.payables_account,
					sorted(config.class_map.items()),
					sorted(config.location_map.items()),
					config.default_class,
					config.default_location,
					config.location_field,
				)
			)
		return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]

	# -- QBO helpers ----------------------------------------------------------------------------------
	@staticmethod
	def rows(client: QBOClient, query: Query) -> list[dict[str, Any]]:
		"""One page of a query's rows (look-ups that match a handful of objects)."""
		response = client.query(query)
		for key, value in response.items():
			if key.lower() == query.entity.lower() and isinstance(value, list):
				return value
		return []


def money(value: Any) -> Decimal:
	"""Cents of a QBO or mapping amount, for comparisons."""
	return q2(value)


def updated_at(obj: dict[str, Any]) -> str | None:
	"""An object's MetaData.LastUpdatedTime as QBO sent it."""
	return (obj.get("MetaData") or {}).get("LastUpdatedTime")


def parse_time(value: str | None) -> datetime | None:
	"""QBO's timestamps as aware UTC datetimes (None when absent or unreadable).

	python-dateutil's ISO parser, because QBO's forms are more than Python 3.10's fromisoformat reads: webhooks
	send "-0700" (no colon), some answers "Z", and fractional seconds of any length ("...:19.12-07:00")."""
	if not value:
		return None
	try:
		parsed = isoparser().isoparse(str(value).strip())
	except (ValueError, OverflowError):
		return None
	if parsed.tzinfo is None:
		parsed = parsed.replace(tzinfo=timezone.utc)
	return parsed.astimezone(timezone.utc)
