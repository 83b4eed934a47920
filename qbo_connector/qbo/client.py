"""The QBO Accounting API client: every call goes through one request method.

That one method owns what must be true of every call: pacing per realm, a bearer token from the
TokenProvider, minorversion, a timeout, a requestid on writes that stays the same across retries (so a
retried write cannot create a second invoice), bounded retries with backoff for throttling, server errors
and dropped connections, one refresh-and-retry on 401, typed errors, and an Exchange record of each HTTP
attempt for the sync log (with secrets redacted).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, Protocol
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import requests
from urllib3.exceptions import NewConnectionError

from qbo_connector.qbo.budget import ReadCounter, is_metered
from qbo_connector.qbo.constants import (
	BATCH_MAX_ITEMS,
	BATCH_REQUEST_ID_MAX_LENGTH,
	DEFAULT_THROTTLE_WAIT,
	MINOR_VERSION,
	QUERY_MAX_RESULTS,
	REQUEST_ID_MAX_LENGTH,
	canonical_entity,
)
from qbo_connector.qbo.environments import Environment
from qbo_connector.qbo.errors import (
	AuthenticationError,
	QBOError,
	ServerError,
	ThrottledError,
	TransportError,
	fault_in,
	header,
	parse_fault,
)
from qbo_connector.qbo.pacing import Pacer
from qbo_connector.qbo.query import Query, add_paging, entity_of, has_paging
from qbo_connector.qbo.redact import redact, redact_str, redact_text

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})
_TRANSPORT_ERRORS = (
	requests.ConnectionError,
	requests.Timeout,
	requests.exceptions.ChunkedEncodingError,
)
_ENVELOPE_META = frozenset({"time", "bid", "fault", "queryresponse", "warnings", "intuitobject", "report"})

_SELECT_LIST = re.compile(r"^\s*SELECT\s+.*?\s+FROM\s+", re.IGNORECASE | re.DOTALL)

BatchOperation = Literal["create", "update", "delete", "query", "void"]


class AccessTokenSource(Protocol):
	"""What the client needs from oauth.TokenProvider (a fake in tests)."""

	def access_token(self) -> str: ...

	def force_refresh(self, failed_access_token: str) -> str: ...


@dataclass
class Exchange:
	"""One HTTP attempt, for the sync log: no token anywhere, request body redacted."""

	method: str
	url: str  # full URL with query string; never carries a token
	request_body: dict | None
	status: int | None
	response_body: str | None
	intuit_tid: str | None
	duration_ms: int
	request_id: str | None
	error: str | None
	attempt: int = 1  # 1 for the first try of a call, 2.. for its retries
	reads: int = 0  # metered reads this attempt cost (qbo/budget.py): 1 for a GET or query, a batch's queries


@dataclass
class BatchItem:
	"""One operation of a batch; bid must be unique within the batch() call."""

	bid: str
	operation: BatchOperation
	entity: str | None = None
	body: dict | None = None
	query: str | None = None


@dataclass
class BatchResult:
	"""The answer to one BatchItem: the entity, a QueryResponse, or the error for that item only."""

	bid: str
	entity: dict | None = None
	query_response: dict | None = None
	error: QBOError | None = None
	entity_name: str | None = None  # envelope key of entity, e.g. "Invoice"

	@property
	def ok(self) -> bool:
		return self.error is None


def new_request_id() -> str:
	"""A fresh idempotency key (32 hex chars: fits both the 50 and the batch 36 limit)."""
	return uuid.uuid4().hex


def normalize_request_id(request_id: str | None, limit: int = REQUEST_ID_MAX_LENGTH) -> str:
	"""request_id as QBO accepts it: generated when None, hashed (deterministically) when too long."""
	if request_id is None or request_id == "":
		return new_request_id()
	request_id = str(request_id)
	if len(request_id) <= limit:
		return request_id
	return hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:limit]


def _utc_iso(value: datetime) -> str:
	if value.tzinfo is None:
		value = value.replace(tzinfo=timezone.utc)  # naive datetimes are taken as UTC
	return value.isoformat()


def _scrub(text: str, tokens: set[str]) -> str:
	"""Remove the exact access tokens this call sent from text (a 401 detail may echo one)."""
	for token in tokens:
		if token and text:
			text = text.replace(token, "***")
	return text


def _scrub_error(error: QBOError, tokens: set[str]) -> QBOError:
	error.message = _scrub(error.message, tokens)
	error.detail = _scrub(error.detail, tokens)
	error.user_message = _scrub(error.user_message, tokens)
	error.args = (error.user_message,)
	return error


def unwrap(data: Mapping[str, Any], entity: str | None = None) -> dict:
	"""The entity object of a single-entity envelope ({"Invoice": {...}, "time": ...} -> {...})."""
	if entity:
		wanted = canonical_entity(entity).lower()
		for key, value in data.items():
			if str(key).lower() == wanted and isinstance(value, dict):
				return value
	for key, value in data.items():
		if str(key).lower() not in _ENVELOPE_META and isinstance(value, dict):
			return value
	raise QBOError(
		f"No {entity or 'entity'} in QuickBooks answer",
		user_message="QuickBooks gave an answer without the expected record; the request can be retried.",
	)


def _never_sent(exc: requests.RequestException) -> bool:
	"""True when the connection itself could not be opened (refused, DNS, connect timeout): no byte of the
	request reached QuickBooks, so nothing can have been saved and the next attempt need not look first."""
	if isinstance(exc, requests.ConnectTimeout):
		return True
	if not isinstance(exc, requests.ConnectionError):
		return False
	reason = getattr(exc.args[0], "reason", None) if exc.args else None
	return isinstance(reason, NewConnectionError)


class QBOClient:
	"""One QBO company (realm) over HTTP."""

	def __init__(
		self,
		realm_id: str,
		environment: Environment,
		token_provider: AccessTokenSource,
		pacer: Pacer | None = None,
		session: requests.Session | None = None,
		timeout: float | tuple[float, float] = (10, 60),
		max_retries: int = 4,
		backoff_base: float = 1.0,
		sleep: Callable[[float], None] = time.sleep,
		on_exchange: Callable[[Exchange], None] | None = None,
		throttle_wait: float = DEFAULT_THROTTLE_WAIT,
		jitter: Callable[[], float] = random.random,
		max_backoff: float = 300.0,
		minor_version: int = MINOR_VERSION,
		max_logged_body: int = 200_000,
		user_agent: str = "qbo_connector",
		max_get_query: int = 4000,
		read_counter: ReadCounter | None = None,
	) -> None:
		if not realm_id:
			raise ValueError("realm_id is required")
		self.realm_id = str(realm_id)
		self.environment = environment
		self.token_provider = token_provider
		self.pacer = pacer
		self.session = session or requests.Session()
		self.timeout = timeout
		self.max_retries = max_retries
		self.backoff_base = backoff_base
		self.sleep = sleep
		self.on_exchange = on_exchange
		self.throttle_wait = throttle_wait
		self.jitter = jitter
		self.max_backoff = max_backoff
		self.minor_version = minor_version
		self.max_logged_body = max_logged_body
		self.user_agent = user_agent
		self.max_get_query = max_get_query
		self.read_counter = read_counter
		self.base_url = environment.company_url(self.realm_id)

	def __repr__(self) -> str:
		return f"QBOClient(realm_id={self.realm_id!r}, environment={self.environment.name!r})"

	# -- the one request method -------------------------------------------------------------------

	def _backoff(self, retry: int) -> float:
		"""Exponential backoff with jitter for the retry-th retry (1-based)."""
		delay = self.backoff_base * (2 ** (retry - 1))
		delay += delay * max(0.0, float(self.jitter()))
		return min(delay, self.max_backoff)

	def _throttle_delay(self, error: ThrottledError, retry: int) -> float:
		if error.retry_after is not None:
			return error.retry_after
		return max(self._backoff(retry), self.throttle_wait)

	def _count_reads(self, count: int) -> None:
		if not count or self.read_counter is None:
			return
		try:
			self.read_counter.add(self.realm_id, count)
		except Exception:  # a broken counter must never fail the call it counts
			logger.exception("QBO read counter failed")

	def _emit(self, exchange: Exchange) -> None:
		if self.on_exchange is None:
			return
		try:
			self.on_exchange(exchange)
		except Exception:  # a broken log sink must never turn a committed write into a failure
			logger.exception("QBO on_exchange callback failed")

	def _logged_body(self, response: requests.Response, tokens: set[str]) -> str:
		content_type = header(response.headers, "Content-Type") or ""
		if "pdf" in content_type.lower() or "octet-stream" in content_type.lower():
			return f"<{len(response.content)} bytes {content_type}>"
		text = _scrub(redact_text(response.content) or "", tokens)
		if len(text) > self.max_logged_body:
			text = text[: self.max_logged_body] + f"... <{len(text) - self.max_logged_body} more characters>"
		return text

	def _url(self, path: str, params: Mapping[str, Any]) -> str:
		return f"{self.base_url}/{path}?{urlencode(params)}"

	def request(
		self,
		method: str,
		path: str,
		*,
		params: Mapping[str, Any] | None = None,
		body: dict | None = None,
		text: str | None = None,
		write: bool = False,
		request_id: str | None = None,
		batch: bool = False,
		accept: str = "application/json",
		reads: int | None = None,
	) -> requests.Response:
		"""Send one logical call (with its retries) and return the successful response.

		body is sent as JSON, text (for long queries) as application/text. write=True adds a requestid
		(generated when None) that every retry reuses, and makes a final transport failure ambiguous (QBO
		may have committed it). reads: the metered reads each attempt costs (default: 1 for a GET or a
		query, else 0); every attempt QBO answered, other than a 429, is counted through read_counter.
		"""
		if reads is None:
			reads = 1 if is_metered(method, path) else 0
		all_params: dict[str, Any] = dict(params or {})
		all_params["minorversion"] = self.minor_version
		if write:
			limit = BATCH_REQUEST_ID_MAX_LENGTH if batch else REQUEST_ID_MAX_LENGTH
			request_id = normalize_request_id(request_id, limit)
			all_params["requestid"] = request_id
		else:
			request_id = None
		url = self._url(path, all_params)
		content_type = None
		data: bytes | None = None
		logged_body: dict | None = None
		if body is not None:
			data, content_type, logged_body = (
				json.dumps(body).encode("utf-8"),
				"application/json",
				redact(body),
			)
		elif text is not None:
			data, content_type, logged_body = (
				text.encode("utf-8"),
				"application/text",
				{"text": redact_str(text)},
			)
		log_url = redact_str(url)

		attempt = 0
		retries = 0
		refreshed = False
		sent_tokens: set[str] = set()
		while True:
			attempt += 1
			if self.pacer is not None:
				self.pacer.wait(self.realm_id, batch=batch)
			token = self.token_provider.access_token()
			sent_tokens.add(token)
			headers = {
				"Accept": accept,
				"Authorization": f"Bearer {token}",
				"User-Agent": self.user_agent,
			}
			if content_type is not None:
				headers["Content-Type"] = content_type
			started = time.monotonic()
			try:
				response = self.session.request(method, url, data=data, headers=headers, timeout=self.timeout)
			except requests.RequestException as exc:
				duration = int((time.monotonic() - started) * 1000)
				reason = f"{type(exc).__name__}: {redact_str(str(exc))}"
				self._emit(
					Exchange(
						method, log_url, logged_body, None, None, None, duration, request_id, reason, attempt
					)
				)
				retryable = isinstance(exc, _TRANSPORT_ERRORS)
				if retryable and retries < self.max_retries:
					retries += 1
					delay = self._backoff(retries)
					logger.warning(
						"QBO %s %s: %s; retry %d/%d in %.1fs",
						method,
						path,
						type(exc).__name__,
						retries,
						self.max_retries,
						delay,
					)
					self.sleep(delay)
					continue
				raise TransportError(
					"timeout" if isinstance(exc, requests.Timeout) else type(exc).__name__,
					ambiguous=write and not _never_sent(exc),
					detail=redact_str(str(exc)),
					retryable=retryable,
				) from exc

			duration = int((time.monotonic() - started) * 1000)
			status = response.status_code
			tid = header(response.headers, "intuit_tid")
			# Refused for the token or the company, or throttled: not served, so not metered.
			counted = 0 if status in (401, 403, 429) else reads
			self._count_reads(counted)
			self._emit(
				Exchange(
					method,
					log_url,
					logged_body,
					status,
					self._logged_body(response, sent_tokens),
					tid,
					duration,
					request_id,
					None if status < 400 else f"HTTP {status}",
					attempt,
					counted,
				)
			)
			logger.debug("QBO %s %s -> %s in %dms (intuit_tid=%s)", method, path, status, duration, tid)

			if status < 400:
				return response
			error = _scrub_error(parse_fault(status, response.content, response.headers), sent_tokens)
			if status == 401 and not refreshed:
				refreshed = True
				logger.info("QBO %s %s: 401, refreshing the access token once", method, path)
				self.token_provider.force_refresh(token)
				continue
			if isinstance(error, ThrottledError) or status in RETRY_STATUSES:
				if retries < self.max_retries:
					retries += 1
					if isinstance(error, ThrottledError):
						delay = self._throttle_delay(error, retries)
					else:
						delay = self._backoff(retries)
					if delay > max(self.max_backoff, self.throttle_wait):
						# QBO asked for a longer pause than a worker should block: hand it to the scheduler.
						logger.warning(
							"QBO %s %s: asked to wait %.0fs; giving up for now", method, path, delay
						)
						raise error
					logger.warning(
						"QBO %s %s: HTTP %s (code %s, intuit_tid=%s); retry %d/%d in %.1fs",
						method,
						path,
						status,
						error.code,
						tid,
						retries,
						self.max_retries,
						delay,
					)
					self.sleep(delay)
					continue
			logger.warning(
				"QBO %s %s failed: HTTP %s %s code=%s intuit_tid=%s",
				method,
				path,
				status,
				type(error).__name__,
				error.code,
				tid,
			)
			raise error

	def _json(self, response: requests.Response) -> dict:
		"""The decoded body of a successful answer; a 200 carrying a Fault raises it."""
		text = response.content.decode("utf-8", errors="replace").strip()
		if not text:
			return {}
		if text.startswith("<"):
			raise parse_fault(response.status_code, text, response.headers)
		try:
			data = json.loads(text)
		except ValueError as exc:
			raise ServerError(
				"Unreadable answer",
				status=response.status_code,
				detail=text[:200],
				intuit_tid=header(response.headers, "intuit_tid"),
				user_message="QuickBooks gave an unreadable answer; the request can be retried.",
			) from exc
		if fault_in(data):
			raise parse_fault(response.status_code, text, response.headers)
		return data

	def call(self, method: str, path: str, **kwargs: Any) -> dict:
		"""request() and decode: the JSON answer as a dict."""
		return self._json(self.request(method, path, **kwargs))

	# -- public API -------------------------------------------------------------------------------

	@staticmethod
	def _path(entity: str) -> str:
		name = canonical_entity(entity)
		if not name.isalpha():
			raise ValueError(f"Not a QBO entity name: {entity!r}")
		return name.lower()

	@staticmethod
	def _id(entity_id: Any) -> str:
		if entity_id in (None, ""):
			raise ValueError("entity_id is required")
		return url_quote(str(entity_id), safe="")

	def read(self, entity: str, entity_id: str) -> dict:
		"""One object by id (the entity dict, not the envelope); NotFoundError when it does not exist."""
		return unwrap(self.call("GET", f"{self._path(entity)}/{self._id(entity_id)}"), entity)

	def query(self, query: str | Query) -> dict:
		"""The QueryResponse dict for one query (one page); empty dict when nothing matched."""
		text = query.build() if isinstance(query, Query) else str(query)
		if len(text) > self.max_get_query:
			# Long IN lists would overflow a URL; QBO takes the same query as an application/text POST.
			data = self.call("POST", "query", text=text)
		else:
			data = self.call("GET", "query", params={"query": text})
		response = data.get("QueryResponse")
		return response if isinstance(response, dict) else {}

	def query_all(self, query: Query | str, page_size: int = QUERY_MAX_RESULTS) -> Iterator[dict]:
		"""Every row of a query, page by page (STARTPOSITION 1, 1+n, ...) until a short or empty page."""
		if not 1 <= page_size <= QUERY_MAX_RESULTS:
			raise ValueError(f"page_size must be between 1 and {QUERY_MAX_RESULTS}")
		if isinstance(query, Query):
			entity = query.entity
			build = query.build
		else:
			if has_paging(query):
				raise ValueError("query_all pages by itself: pass a query without STARTPOSITION/MAXRESULTS")
			entity = entity_of(query)

			def build(start: int, size: int) -> str:
				return add_paging(query, start, size)

		start = 1
		while True:
			page = self.query(build(start, page_size))
			rows = self._rows(page, entity)
			yield from rows
			if len(rows) < page_size:
				return
			start += page_size

	@staticmethod
	def _rows(page: Mapping[str, Any], entity: str | None) -> list[dict]:
		if entity:
			for key, value in page.items():
				if key.lower() == entity.lower() and isinstance(value, list):
					return value
		for value in page.values():
			if isinstance(value, list):
				return value
		return []

	def count(self, query: Query | str) -> int:
		"""How many rows a query matches (SELECT COUNT(*) ...)."""
		if isinstance(query, Query):
			text = query.count_query().build()
		else:
			text = _SELECT_LIST.sub("SELECT COUNT(*) FROM ", str(query), count=1)
		return int(self.query(text).get("totalCount") or 0)

	def create(self, entity: str, body: dict, request_id: str | None = None) -> dict:
		"""Create an object; request_id makes a retry of the same create replay-safe."""
		data = self.call("POST", self._path(entity), body=body, write=True, request_id=request_id)
		return unwrap(data, entity)

	def update(self, entity: str, body: dict, request_id: str | None = None, sparse: bool = True) -> dict:
		"""Update an object (sparse by default: a full update would null every omitted field)."""
		if not body.get("Id") or body.get("SyncToken") in (None, ""):
			raise ValueError("update needs Id and SyncToken in the body")
		payload = dict(body)
		payload["sparse"] = bool(sparse)
		data = self.call("POST", self._path(entity), body=payload, write=True, request_id=request_id)
		return unwrap(data, entity)

	def void(self, entity: str, entity_id: str, sync_token: str, request_id: str | None = None) -> dict:
		"""Void a transaction. Payments void through a sparse update with include=void; others operation=void."""
		name = canonical_entity(entity)
		body: dict[str, Any] = {"Id": str(entity_id), "SyncToken": str(sync_token)}
		if name == "Payment":
			params = {"operation": "update", "include": "void"}
			body["sparse"] = True
		else:
			params = {"operation": "void"}
		data = self.call(
			"POST", self._path(name), params=params, body=body, write=True, request_id=request_id
		)
		return unwrap(data, name)

	def delete(self, entity: str, entity_id: str, sync_token: str, request_id: str | None = None) -> dict:
		"""Delete a transaction (name-list objects are made inactive instead; QBO refuses to delete them)."""
		body = {"Id": str(entity_id), "SyncToken": str(sync_token)}
		data = self.call(
			"POST",
			self._path(entity),
			params={"operation": "delete"},
			body=body,
			write=True,
			request_id=request_id,
		)
		return unwrap(data, entity)

	def send(
		self, entity: str, entity_id: str, send_to: str | None = None, request_id: str | None = None
	) -> dict:
		"""Email a transaction from QBO (to send_to, else the customer's billing email)."""
		params = {"sendTo": send_to} if send_to else None
		path = f"{self._path(entity)}/{self._id(entity_id)}/send"
		data = self.call("POST", path, params=params, write=True, request_id=request_id)
		return unwrap(data, entity)

	def pdf(self, entity: str, entity_id: str) -> bytes:
		"""The PDF QBO renders for a transaction."""
		response = self.request(
			"GET", f"{self._path(entity)}/{self._id(entity_id)}/pdf", accept="application/pdf"
		)
		content = response.content
		if content[:5] != b"%PDF-":
			content_type = (header(response.headers, "Content-Type") or "").lower()
			if "json" in content_type or "xml" in content_type or content.lstrip()[:1] in (b"{", b"<"):
				self._json(response)  # raises the Fault QBO sent instead of a PDF
				raise ServerError(
					"Answer is not a PDF",
					status=response.status_code,
					user_message="QuickBooks did not return a PDF for this document; try again later.",
				)
		return content

	def preferences(self) -> dict:
		"""Company preferences (multicurrency, custom numbering, tax settings)."""
		return unwrap(self.call("GET", "preferences"), "Preferences")

	def company_info(self) -> dict:
		"""CompanyInfo (country, name, fiscal year)."""
		return unwrap(self.call("GET", f"companyinfo/{self._id(self.realm_id)}"), "CompanyInfo")

	def cdc(self, entities: list[str], changed_since: datetime) -> dict[str, list[dict]]:
		"""Objects of these entities changed since a moment (deleted ones carry status "Deleted").

		Every requested entity is a key of the answer, with [] when nothing changed.
		"""
		if not entities:
			raise ValueError("cdc needs at least one entity")
		names = [canonical_entity(e) for e in entities]
		data = self.call(
			"GET", "cdc", params={"entities": ",".join(names), "changedSince": _utc_iso(changed_since)}
		)
		result: dict[str, list[dict]] = {name: [] for name in names}
		by_lower = {name.lower(): name for name in names}
		cdc_responses = data.get("CDCResponse") or []
		if isinstance(cdc_responses, dict):
			cdc_responses = [cdc_responses]
		for cdc_response in cdc_responses:
			if not isinstance(cdc_response, dict):
				continue
			query_responses = cdc_response.get("QueryResponse") or []
			if isinstance(query_responses, dict):
				query_responses = [query_responses]
			for query_response in query_responses:
				if not isinstance(query_response, dict):
					continue
				for key, rows in query_response.items():
					if isinstance(rows, list):
						name = by_lower.get(key.lower(), canonical_entity(key))
						result.setdefault(name, []).extend(r for r in rows if isinstance(r, dict))
		return result

	# -- batch ------------------------------------------------------------------------------------

	@staticmethod
	def _batch_request_item(item: BatchItem) -> dict[str, Any]:
		op = item.operation
		if op == "query":
			if not item.query:
				raise ValueError(f"Batch item {item.bid}: query operation needs query text")
			return {"bId": item.bid, "Query": item.query}
		if op not in ("create", "update", "delete", "void"):
			raise ValueError(f"Batch item {item.bid}: unsupported operation {op!r}")
		if not item.entity or item.body is None:
			raise ValueError(f"Batch item {item.bid}: {op} needs entity and body")
		name = canonical_entity(item.entity)
		body = dict(item.body)
		entry: dict[str, Any] = {"bId": item.bid, "operation": op}
		if op == "update":
			body.setdefault("sparse", True)
		if op == "void" and name == "Payment":
			# Payments are voided by a sparse update with the void option, as on the single-call endpoint.
			entry["operation"] = "update"
			entry["optionsData"] = "void"
			body["sparse"] = True
		entry[name] = body
		return entry

	@staticmethod
	def _batch_result(raw: Mapping[str, Any], status: int, headers: Mapping[str, str]) -> BatchResult:
		bid = str(raw.get("bId"))
		if fault_in(raw):
			return BatchResult(
				bid=bid, error=parse_fault(status, json.dumps({"Fault": raw.get("Fault")}), headers)
			)
		if isinstance(raw.get("QueryResponse"), dict):
			return BatchResult(bid=bid, query_response=raw["QueryResponse"])
		for key, value in raw.items():
			if str(key).lower() not in _ENVELOPE_META and isinstance(value, dict):
				return BatchResult(bid=bid, entity=value, entity_name=key)
		return BatchResult(bid=bid, query_response={} if "QueryResponse" in raw else None)

	def batch(self, items: list[BatchItem], request_id: str | None = None) -> list[BatchResult]:
		"""Run items in batch requests of at most 30; one result per item, in input order.

		A Fault on an item is that item's error only. A request that fails as a whole gives its error to
		each of its items (earlier chunks keep their results, since QBO committed them); after an
		authentication failure the remaining chunks are not sent. request_id, when given, is the base of a
		per-chunk requestid so re-running the same batch() call is replay-safe.
		"""
		bids = [str(item.bid) for item in items]
		if len(set(bids)) != len(bids):
			raise ValueError("Batch item bIds must be unique")
		entries = [self._batch_request_item(item) for item in items]
		results: dict[str, BatchResult] = {}
		fatal: QBOError | None = None
		for offset in range(0, len(items), BATCH_MAX_ITEMS):
			chunk = entries[offset : offset + BATCH_MAX_ITEMS]
			chunk_bids = bids[offset : offset + BATCH_MAX_ITEMS]
			if fatal is not None:
				for bid in chunk_bids:
					results[bid] = BatchResult(bid=bid, error=fatal)
				continue
			chunk_id = None
			if request_id:
				chunk_id = normalize_request_id(
					f"{request_id}-{offset // BATCH_MAX_ITEMS}", BATCH_REQUEST_ID_MAX_LENGTH
				)
			try:
				response = self.request(
					"POST",
					"batch",
					body={"BatchItemRequest": chunk},
					write=True,
					request_id=chunk_id,
					batch=True,
					reads=sum(1 for entry in chunk if "Query" in entry),
				)
				data = self._json(response)
			except QBOError as error:
				for bid in chunk_bids:
					results[bid] = BatchResult(bid=bid, error=error)
				if isinstance(error, AuthenticationError):
					fatal = error
				continue
			for raw in data.get("BatchItemResponse") or []:
				if isinstance(raw, dict) and str(raw.get("bId")) in chunk_bids:
					result = self._batch_result(raw, response.status_code, response.headers)
					results[result.bid] = result
		missing = ServerError(
			"No answer for batch item",
			user_message="QuickBooks did not answer this item of a batch; it can be retried after checking QuickBooks.",
		)
		return [results.get(bid) or BatchResult(bid=bid, error=missing) for bid in bids]
