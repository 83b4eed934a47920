"""A local QuickBooks Online over real HTTP (standard library ThreadingHTTPServer), for tests, benchmarks and demos.

Routes (base http://127.0.0.1:PORT):

  OAuth (Intuit's shapes)
    GET  /connect/oauth2                       authorize page: Approve / Deny (scripted: &auto=approve|deny);
                                               redirects to redirect_uri?code=..&state=..&realmId=.. or
                                               ?error=access_denied&state=..
    POST /oauth2/v1/tokens/bearer              token endpoint: form body, HTTP Basic client auth;
                                               grant_type=authorization_code | refresh_token (rotating)
    POST /v2/oauth2/tokens/revoke              {"token": ...} revokes that token's grant
    GET  /.well-known/openid_configuration     discovery document (intuitlib's AuthClient accepts its URL as
                                               `environment`)
  API (Bearer token; every answer carries an intuit_tid header; minorversion accepted)
    GET  /v3/company/{realm}/{entity}/{id}     read            GET /v3/company/{realm}/invoice/{id}/pdf
    POST /v3/company/{realm}/{entity}          create; update (body has Id; "sparse": true for sparse);
                                               ?operation=delete; ?operation=void (invoice);
                                               ?operation=update&include=void (payment);
                                               ?include=allowduplicatedocnum; ?requestid= (replay-safe)
    POST /v3/company/{realm}/{entity}/{id}/send  mark as emailed
    GET  /v3/company/{realm}/query?query=...   POST .../query (Content-Type application/text)
    POST /v3/company/{realm}/batch             BatchItemRequest, at most 30 items
    GET  /v3/company/{realm}/cdc?entities=A,B&changedSince=ISO
    GET  /v3/company/{realm}/preferences       GET /v3/company/{realm}/companyinfo/{realm}
  Control (JSON, loopback only, no auth)
    GET  /_emulator/state[?entity=Invoice&realm=..]   counts per company (+ that entity's objects), grants, faults
    POST /_emulator/reset                              back to the seeded start (config is kept)
    GET|POST|DELETE /_emulator/faults                  list / queue (one rule or a list) / clear fault rules
    POST /_emulator/config                             change options (see EmulatorConfig), answers the config
    POST /_emulator/company                            {"realm_id"?, "country"?, "multicurrency"?, "home_currency"?,
                                                        "custom_txn_numbers"?, "automated_sales_tax"?, "name"?}:
                                                        a new company, or a mode
                                                        change (country / home currency re-seed it)
    POST /_emulator/act/<action>                       act as a QBO user (see actions.ACTIONS), JSON arguments
    GET  /_emulator/webhooks                           delivery log; POST /_emulator/webhooks/redeliver resends last
    POST /_emulator/tokens                             {"realm_id"?}: a token response without the browser
    POST /_emulator/tokens/expire                      {"token"?, "realm_id"?}: expire access tokens now
    POST /_emulator/tokens/hard-expiry                 {"seconds": n, "realm_id"?}: the grants' hard end n s from now
    POST /_emulator/clock/advance                      {"seconds": n}: move the emulator clock forward
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import re
import socket
import sys
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from . import actions, entities, errors, query
from .config import EmulatorConfig
from .errors import Fault, dumps
from .faults import FaultRule
from .oauth import SCOPE_ACCOUNTING, AuthFailure, OAuthError
from .pdf import render_pdf
from .state import CDC_EXCLUDED, CachedAnswer, Company, EmulatorState, canonical

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
DISCOVERY_PATH = "/.well-known/openid_configuration"
USERINFO_PATH = "/v1/openid_connect/userinfo"
BATCH_MAX_ITEMS = 30
# Preferences.AccountingInfoPrefs the emulator keeps per company (set_company).
TRACKING_PREFS = ("class_tracking", "track_departments", "department_terminology")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _Drop(Exception):
	"""Close the socket without answering (fault injection)."""


class Answer:
	"""One HTTP answer; `cache` marks a write answer worth keeping for requestid replay."""

	def __init__(
		self,
		status: int,
		body: bytes = b"",
		content_type: str = "application/json;charset=UTF-8",
		headers: dict[str, str] | None = None,
	) -> None:
		self.status = status
		self.body = body
		self.content_type = content_type
		self.headers = headers or {}


def _json(status: int, obj: object, headers: dict[str, str] | None = None) -> Answer:
	return Answer(status, dumps(obj), headers=headers)


def _tid() -> str:
	return f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"


class Handler(BaseHTTPRequestHandler):
	"""Routes one request; the emulator instance is `self.server.emulator`."""

	protocol_version = "HTTP/1.1"
	server_version = "qbo-emulator"
	sys_version = ""

	def setup(self) -> None:
		super().setup()
		# headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add ~40 ms each
		self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

	@property
	def emu(self) -> EmulatorServer:
		return self.server.emulator  # type: ignore[attr-defined]

	@property
	def state(self) -> EmulatorState:
		return self.emu.state

	def log_message(self, format: str, *args: Any) -> None:
		log.debug("%s " + format, self.address_string(), *args)

	def do_GET(self) -> None:
		self._handle("GET")

	def do_POST(self) -> None:
		self._handle("POST")

	def do_DELETE(self) -> None:
		self._handle("DELETE")

	# ----------------------------------------------------------------- plumbing

	def _body(self) -> bytes:
		length = int(self.headers.get("Content-Length") or 0)
		return self.rfile.read(length) if length > 0 else b""

	def _send(self, answer: Answer, tid: str) -> None:
		self.send_response(answer.status)
		self.send_header("intuit_tid", tid)
		self.send_header("Content-Type", answer.content_type)
		self.send_header("Content-Length", str(len(answer.body)))
		for key, value in answer.headers.items():
			self.send_header(key, value)
		self.end_headers()
		if self.command != "HEAD":
			self.wfile.write(answer.body)

	def _drop(self) -> None:
		self.close_connection = True
		try:
			self.connection.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass

	def _handle(self, method: str) -> None:
		tid = _tid()
		parts = urlsplit(self.path)
		path = parts.path.rstrip("/") or "/"
		params = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
		body = self._body()
		try:
			if path.startswith("/_emulator"):
				answer = self._control(method, path, params, body)
			elif path == AUTHORIZE_PATH and method == "GET":
				answer = self._authorize(params)
			elif path == TOKEN_PATH and method == "POST":
				answer = self._token(body)
			elif path == REVOKE_PATH and method == "POST":
				answer = self._revoke(body)
			elif path == DISCOVERY_PATH and method == "GET":
				answer = _json(200, self.emu.discovery())
			elif path == USERINFO_PATH and method == "GET":
				answer = _json(
					200, {"sub": "emulator-user", "email": "user@example.com", "emailVerified": True}
				)
			elif path.startswith("/v3/company/"):
				answer = self._api(method, path, parts.query, params, body, tid)
			elif path.startswith("/app/") and method == "GET":
				answer = self._app_page(path, params)
			else:
				answer = _json(404, {"error": "not_found", "path": path})
		except _Drop:
			self._drop()
			return
		except Exception:  # a bug in the emulator must still answer, as QBO's 500 would
			log.exception("emulator error on %s %s", method, self.path)
			answer = _json(500, errors.system_fault().body(self._time(None)))
		self._send(answer, tid)

	def _app_page(self, path: str, params: dict[str, str]) -> Answer:
		"""The QBO web app's deep links (what "Open in QuickBooks" opens), as a plain page of the object in
		the default company: /app/invoice?txnId=1, /app/customerdetail?nameId=2, /app/items."""
		kind = path.removeprefix("/app/")
		entity_id = params.get("txnid") or params.get("nameid")
		entity = {"customerdetail": "Customer", "vendordetail": "Vendor", "items": "Item"}.get(kind, kind)
		if entity_id is None:
			rows = self.emu.objects(entity)
			listing = "".join(
				f"<li>{html.escape(str(o.get('Id')))}: {html.escape(str(o.get('Name') or o.get('DisplayName')))}</li>"
				for o in rows
			)
			page = (
				f"<!doctype html><html><body><h1>{html.escape(entity)}</h1><ul>{listing}</ul></body></html>"
			)
			return Answer(200 if rows else 404, page.encode(), "text/html;charset=UTF-8")
		obj = self.emu.get(entity, entity_id)
		if obj is None:
			return _page(404, "Not found", f"No {entity} {entity_id} in the emulated company.")
		title = f"{entity} {obj.get('DocNumber') or obj.get('DisplayName') or obj.get('Name') or entity_id}"
		facts = "".join(
			f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(obj[k]))}</td></tr>"
			for k in ("Id", "TxnDate", "DueDate", "TotalAmt", "Balance", "PrivateNote", "Active")
			if k in obj
		)
		page = (
			f"<!doctype html><html><body><h1>{html.escape(title)}</h1><table>{facts}</table>"
			f"<pre>{html.escape(json.dumps(obj, indent=1, sort_keys=True, default=str))}</pre></body></html>"
		)
		return Answer(200, page.encode(), "text/html;charset=UTF-8")

	def _time(self, company: Company | None) -> str:
		now = self.state.now()
		if company is None:
			company = self.state.company(self.state.config.realm_id)
		return company.time(now, millis=True) if company else str(now)

	# ----------------------------------------------------------------- OAuth

	def _authorize(self, params: dict[str, str]) -> Answer:
		oauth = self.state.oauth
		client_id = params.get("client_id", "")
		redirect_uri = params.get("redirect_uri", "")
		state_param = params.get("state", "")
		if client_id != self.state.config.client_id:
			return _page(400, "Invalid client", "The client_id is not known to this (emulated) Intuit.")
		if not redirect_uri or not oauth.redirect_allowed(redirect_uri):
			return _page(400, "Invalid redirect_uri", f"The redirect_uri {redirect_uri!r} is not registered.")
		if params.get("response_type") != "code":
			return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state_param})
		if SCOPE_ACCOUNTING not in params.get("scope", "").split():
			return _redirect(redirect_uri, {"error": "invalid_scope", "state": state_param})
		auto = params.get("auto", "").lower()
		realm_id = params.get("realmid") or self.state.config.realm_id
		if self.state.company(realm_id) is None:
			return _page(400, "Unknown company", f"No company with realm id {realm_id}.")
		if auto == "deny":
			return _redirect(redirect_uri, {"error": "access_denied", "state": state_param})
		if auto == "approve":
			code = oauth.new_code(client_id, redirect_uri, realm_id)
			return _redirect(redirect_uri, {"code": code, "state": state_param, "realmId": realm_id})
		return self._consent_page(params)

	def _consent_page(self, params: dict[str, str]) -> Answer:
		hidden = "".join(
			f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
			for k, v in params.items()
			if k not in ("auto", "realmid")
		)
		options = "".join(
			f'<option value="{html.escape(r)}">{html.escape(c.name)} ({html.escape(r)}, {c.country})</option>'
			for r, c in self.state.companies.items()
		)
		page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Connect to QuickBooks (emulator)</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}button{{font-size:1.1em;margin-right:1em}}</style>
</head><body><h1>QuickBooks Online emulator</h1>
<p>The app <b>{html.escape(params.get("client_id", ""))}</b> wants to connect to your company.</p>
<form method="get" action="{AUTHORIZE_PATH}">{hidden}
<p><label>Company <select name="realmId">{options}</select></label></p>
<button type="submit" name="auto" value="approve" id="approve">Approve</button>
<button type="submit" name="auto" value="deny" id="deny">Deny</button>
</form></body></html>"""
		return Answer(200, page.encode(), "text/html;charset=UTF-8")

	def _client_auth(self) -> tuple[str | None, str | None]:
		header = self.headers.get("Authorization") or ""
		if not header.lower().startswith("basic "):
			return None, None
		try:
			decoded = base64.b64decode(header[6:].strip()).decode()
		except (binascii.Error, UnicodeDecodeError):
			return None, None
		client_id, _, secret = decoded.partition(":")
		return client_id, secret

	def _token(self, body: bytes) -> Answer:
		oauth = self.state.oauth
		form = {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}
		try:
			client_id, secret = self._client_auth()
			oauth.check_client(client_id, secret)
			grant_type = form.get("grant_type")
			if grant_type == "authorization_code":
				tokens = oauth.exchange_code(client_id or "", form.get("code"), form.get("redirect_uri"))
			elif grant_type == "refresh_token":
				tokens = oauth.refresh(client_id or "", form.get("refresh_token"))
			else:
				raise OAuthError(400, "unsupported_grant_type")
		except OAuthError as exc:
			return _json(exc.status, exc.body(), {"Cache-Control": "no-store"})
		tokens.pop("realmId", None)
		return _json(200, tokens, {"Cache-Control": "no-store", "Pragma": "no-cache"})

	def _revoke(self, body: bytes) -> Answer:
		try:
			client_id, secret = self._client_auth()
			self.state.oauth.check_client(client_id, secret)
			try:
				payload = json.loads(body or b"{}")
			except ValueError as exc:
				raise OAuthError(400, "invalid_request", "body must be JSON") from exc
			self.state.oauth.revoke(payload.get("token") if isinstance(payload, dict) else None)
		except OAuthError as exc:
			return _json(exc.status, exc.body())
		return Answer(200, b"", "application/json")

	# ----------------------------------------------------------------- API

	def _api(
		self, method: str, path: str, raw_query: str, params: dict[str, str], body: bytes, tid: str
	) -> Answer:
		segments = [s for s in path.split("/") if s][2:]  # drop "v3", "company"
		realm_id = segments[0] if segments else ""
		rest = segments[1:]
		company = self.state.company(realm_id)
		entity_hint = canonical(rest[0]) if rest else None
		if rest and rest[0].lower() == "query":
			found = re.search(
				r"\bfrom\s+(\w+)", params.get("query") or body.decode(errors="replace"), re.IGNORECASE
			)
			entity_hint = canonical(found.group(1)) if found else None
		full_path = path + ("?" + raw_query if raw_query else "")
		rule = self.state.faults.take(method, full_path, entity_hint)
		token = self._bearer()
		if rule is not None:
			early = self._fault_before(rule, token, company)
			if early is not None:
				return early
		try:
			token_realm = self.state.oauth.check_access(token)
		except AuthFailure as exc:
			return _json(
				401,
				errors.auth_body(exc.detail, self._time(company)),
				{"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
			)
		if company is None or token_realm != company.realm_id:
			fault = errors.forbidden()
			return _json(fault.status, fault.body(self._time(company)))
		wait = self.state.limiter.check(
			company.realm_id, self.state.config.client_id, batch=bool(rest) and rest[0].lower() == "batch"
		)
		if wait is not None:
			return self._throttled(company, wait, self.state.config.throttle_format)
		self.state.meter.record(company.realm_id, method, rest, body)
		answer = self._dispatch(method, rest, params, body, company)
		if rule is not None and rule.kind == "drop":
			raise _Drop()
		if rule is not None and rule.kind == "status" and rule.when == "after":
			return _injected(rule, self._time(company))
		return answer

	def _bearer(self) -> str | None:
		header = self.headers.get("Authorization") or ""
		if header[:7].lower() != "bearer ":
			return None
		return header[7:].strip() or None

	def _fault_before(self, rule: FaultRule, token: str | None, company: Company | None) -> Answer | None:
		if rule.kind == "delay":
			time.sleep(max(0.0, rule.delay))
			return None
		if rule.kind == "expire_token":
			if token:
				self.state.oauth.expire(token=token)
			return None
		if rule.kind == "throttle":
			return self._throttled(
				company, self.state.scaled(60.0), rule.body if rule.body in ("json", "xml") else "json"
			)
		if rule.kind == "status" and rule.when == "before":
			return _injected(rule, self._time(company))
		return None

	def _throttled(self, company: Company | None, wait: float, fmt: str) -> Answer:
		fault = errors.throttled()
		headers = {}
		if self.state.config.throttle_retry_after:
			headers["Retry-After"] = f"{max(wait, 0.001):.3f}".rstrip("0").rstrip(".")
		if fmt == "xml":
			return Answer(
				429, fault.xml(self._time(company)).encode(), "application/xml;charset=UTF-8", headers
			)
		return _json(429, fault.body(self._time(company)), headers)

	def _dispatch(
		self, method: str, rest: list[str], params: dict[str, str], body: bytes, company: Company
	) -> Answer:
		"""Route inside one company; writes are replay-safe through ?requestid=."""
		head = rest[0].lower() if rest else ""
		is_write = method == "POST" and head not in ("query",)
		request_id = params.get("requestid")
		cache_key = ("/".join(x.lower() for x in rest), request_id or "")
		if is_write and request_id:
			with self.state.lock:
				cached = company.requestids.get(cache_key)
			if cached is not None:
				return Answer(cached.status, cached.body, cached.content_type, {"intuit_replay": "true"})
		events: list[tuple[str, str, str]] = []
		with self.state.lock:
			now = self.state.now()
			try:
				obj = self._route(method, rest, params, body, company, now, events)
				answer = (
					obj if isinstance(obj, Answer) else _json(200, {**obj, "time": company.time(now, True)})
				)
			except Fault as fault:
				answer = _json(fault.status, fault.body(company.time(now, True)))
				events = []
			if is_write and request_id and answer.status < 500:
				company.requestids[cache_key] = CachedAnswer(answer.status, answer.body, answer.content_type)
		if events and self.state.config.webhook_on_api_writes:
			self.state.webhooks.notify(company.realm_id, events, now)
		return answer

	def _route(
		self,
		method: str,
		rest: list[str],
		params: dict[str, str],
		body: bytes,
		company: Company,
		now: float,
		events: list,
	) -> dict | Answer:
		if not rest:
			raise errors.unsupported("Operation not supported: no resource in the URL.")
		head = rest[0].lower()
		if head == "query":
			text = params.get("query") if method == "GET" else body.decode(errors="replace")
			return {"QueryResponse": self._query(company, text or "")}
		if head == "cdc" and method == "GET":
			return self._cdc(company, params, now)
		if head == "batch" and method == "POST":
			return self._batch(company, params, body, now, events)
		entity = canonical(head)
		if entity is None:
			raise errors.unsupported(f"Operation {method} {head} is not supported.")
		if method == "GET":
			if entity == "Preferences":
				return {"Preferences": entities.preferences(company)}
			if entity == "CompanyInfo":
				return {"CompanyInfo": entities.company_info(company)}
			if len(rest) == 2:
				return {entity: entities.read(company, entity, rest[1])}
			if (
				len(rest) == 3
				and rest[2].lower() == "pdf"
				and entity in ("Invoice", "Estimate", "CreditMemo")
			):
				obj = entities.read(company, entity, rest[1])
				return Answer(200, render_pdf(entity, obj, company.name), "application/pdf")
			raise errors.unsupported(f"Operation GET {'/'.join(rest)} is not supported.")
		if method != "POST":
			raise errors.unsupported(f"Operation {method} is not supported.")
		if len(rest) == 3 and rest[2].lower() == "send" and entity in ("Invoice", "Estimate", "CreditMemo"):
			ctx = entities.Ctx(company, now, params)
			obj = company.get(entity, rest[1])
			if obj is None:
				raise errors.not_found(entity, rest[1])
			saved = entities.update(
				ctx,
				entity,
				{"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True, "EmailStatus": "EmailSent"},
			)
			events.extend((e, i, "Emailed" if o == "Update" else o) for e, i, o in ctx.events)
			return {entity: entities.render(company, entity, saved)}
		payload = _parse_json(body)
		ctx = entities.Ctx(company, now, params)
		result_key, result = self._write(ctx, entity, params, payload)
		events.extend(ctx.events)
		return {result_key: result}

	def _write(
		self, ctx: entities.Ctx, entity: str, params: dict[str, str], payload: object
	) -> tuple[str, dict]:
		operation = (params.get("operation") or "").lower()
		includes = ctx.includes
		if not isinstance(payload, dict):
			raise errors.bad_body(f"expected a JSON object for {entity}")
		if operation == "delete":
			return entity, entities.delete(ctx, entity, payload)
		if operation == "void" or (operation == "update" and "void" in includes):
			saved = entities.void(ctx, entity, payload)
		elif (
			operation in ("", "update", "create")
			and not entities.blank(payload.get("Id"))
			and operation != "create"
		):
			saved = entities.update(ctx, entity, payload)
		elif operation in ("", "create"):
			saved = entities.create(ctx, entity, payload)
		elif operation == "update":
			raise errors.required("Id")
		else:
			raise errors.unsupported(f"Operation {operation} is not supported.")
		return entity, entities.render(ctx.co, entity, saved)

	def _query(self, company: Company, text: str) -> dict:
		parsed = query.parse(text)
		if parsed.entity in ("Customer", "Preferences", "CompanyInfo"):  # fields computed at render time
			return query.run(parsed, entities.all_objects(company, parsed.entity), rendered=True)
		rows = list(company.table(parsed.entity).values())
		return query.run(parsed, rows, lambda row: entities.render(company, parsed.entity, row))

	def _cdc(self, company: Company, params: dict[str, str], now: float) -> dict:
		from .util import parse_time

		names = [n.strip() for n in (params.get("entities") or "").split(",") if n.strip()]
		if not names:
			raise errors.required("entities")
		since_text = params.get("changedsince")
		if not since_text:
			raise errors.required("changedSince")
		since = parse_time(since_text)
		if since is None:
			raise errors.bad_property("changedSince", "DateTime")
		if since.timestamp() < now - self.state.config.cdc_max_days * 86400:
			raise errors.unsupported(
				f"Operation cdc with changedSince date {since_text} which is older than fixed days is not supported."
			)
		responses, budget = [], 1000
		for name in names:
			entity = canonical(name)
			if entity is None or entity in CDC_EXCLUDED or entity in ("Preferences", "CompanyInfo"):
				raise errors.unsupported(f"Operation cdc is not supported for entity {name}.")
			changed = []
			for (ent, entity_id), ts in company.changed_at.items():
				if ent != entity or ts < since.timestamp():
					continue
				obj = company.get(entity, entity_id)
				if obj is not None:
					changed.append((ts, entities.render(company, entity, obj)))
				elif entity_id in company.tombstones.get(entity, {}):
					changed.append((ts, dict(company.tombstones[entity][entity_id])))
			changed.sort(key=lambda pair: pair[0])
			rows = [row for _, row in changed[:budget]]
			budget -= len(rows)
			entry: dict[str, Any] = {"startPosition": 1, "maxResults": len(rows)}
			if rows:
				entry = {entity: rows, **entry}
			responses.append(entry)
		return {"CDCResponse": [{"QueryResponse": responses}]}

	def _batch(self, company: Company, params: dict[str, str], body: bytes, now: float, events: list) -> dict:
		payload = _parse_json(body)
		items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
		if not isinstance(items, list) or not items:
			raise errors.required("BatchItemRequest")
		if len(items) > BATCH_MAX_ITEMS:
			raise Fault(
				"1003",
				"Maximum number of batch items exceeded",
				f"The batch request has {len(items)} items; the maximum is {BATCH_MAX_ITEMS}.",
				"BatchItemRequest",
			)
		out = []
		for item in items:
			bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
			try:
				if not isinstance(item, dict) or not bid:
					raise errors.required("bId")
				if "Query" in item:
					out.append({"bId": bid, "QueryResponse": self._query(company, str(item["Query"]))})
					continue
				entity_keys = [
					k for k in item if canonical(k) and k not in ("bId", "operation", "optionsData")
				]
				if len(entity_keys) != 1:
					raise errors.required("entity")
				entity = canonical(entity_keys[0]) or entity_keys[0]
				operation = str(item.get("operation") or "create").lower()
				ctx = entities.Ctx(company, now, dict(params))
				ctx.params.pop("operation", None)
				if operation == "void":
					ctx.params["operation"] = "void" if entity != "Payment" else "update"
					if entity == "Payment":
						ctx.params["include"] = "void"
				elif operation in ("delete", "update", "create"):
					ctx.params["operation"] = operation
				else:
					raise errors.bad_enum("operation", operation)
				key, result = self._write(ctx, entity, ctx.params, item[entity_keys[0]])
				events.extend(ctx.events)
				out.append({"bId": bid, key: result})
			except Fault as fault:
				out.append({"bId": bid, "Fault": fault.fault_dict()})
		return {"BatchItemResponse": out}

	# ----------------------------------------------------------------- control API

	def _control(self, method: str, path: str, params: dict[str, str], body: bytes) -> Answer:
		if self.client_address[0] not in LOOPBACK:
			return _json(403, {"error": "the control API answers loopback clients only"})
		try:
			payload = json.loads(body, parse_float=Decimal) if body.strip() else {}
		except ValueError:
			return _json(400, {"error": "body must be JSON"})
		emu = self.emu
		route = path[len("/_emulator") :] or "/"
		try:
			if route == "/state" and method == "GET":
				return _json(200, self.state.snapshot(params.get("entity"), params.get("realm")))
			if route == "/reset" and method == "POST":
				emu.reset()
				return _json(200, {"ok": True})
			if route == "/faults":
				if method == "GET":
					return _json(
						200, {"pending": self.state.faults.pending(), "fired": list(self.state.faults.fired)}
					)
				if method == "DELETE":
					self.state.faults.clear()
					return _json(200, {"ok": True})
				rules = payload if isinstance(payload, list) else [payload]
				added = [emu.add_fault(**rule) for rule in rules]
				return _json(200, {"queued": [r.id for r in added]})
			if route == "/config" and method == "POST":
				return _json(200, emu.configure(**payload))
			if route == "/company" and method == "POST":
				return _json(200, emu.set_company(**payload))
			if route.startswith("/act/") and method == "POST":
				return _json(200, emu.act(route[len("/act/") :], **payload))
			if route == "/webhooks" and method == "GET":
				return _json(200, {"deliveries": emu.webhook_log()})
			if route == "/webhooks/redeliver" and method == "POST":
				return _json(200, {"delivery": emu.redeliver_last()})
			if route == "/tokens" and method == "POST":
				return _json(200, emu.issue_tokens(payload.get("realm_id")))
			if route == "/tokens/hard-expiry" and method == "POST":
				return _json(
					200,
					{"grants": emu.set_hard_expiry(float(payload["seconds"]), payload.get("realm_id"))},
				)
			if route == "/tokens/expire" and method == "POST":
				return _json(
					200, {"expired": emu.expire_tokens(payload.get("token"), payload.get("realm_id"))}
				)
			if route == "/clock/advance" and method == "POST":
				emu.advance(float(payload.get("seconds", 0)))
				return _json(200, {"now": self.state.now()})
		except Fault as fault:
			return _json(fault.status, fault.body(self._time(None)))
		except (TypeError, ValueError, KeyError) as exc:
			return _json(400, {"error": str(exc)})
		return _json(404, {"error": f"no control route {method} {path}"})


def _parse_json(body: bytes) -> Any:
	try:
		return json.loads(body or b"null", parse_float=Decimal)
	except ValueError as exc:
		raise errors.bad_body(f"malformed JSON ({exc.msg})") from exc


def _injected(rule: FaultRule, time_str: str) -> Answer:
	fault = errors.system_fault(rule.status)
	if rule.body == "xml":
		return Answer(rule.status, fault.xml(time_str).encode(), "application/xml;charset=UTF-8")
	if rule.body == "html":
		page = f"<html><head><title>{rule.status} Error</title></head><body><h1>{rule.status} Service Unavailable</h1></body></html>"
		return Answer(rule.status, page.encode(), "text/html")
	if rule.body == "empty":
		return Answer(rule.status, b"", "text/plain")
	return _json(rule.status, fault.body(time_str))


def _page(status: int, title: str, text: str) -> Answer:
	page = f"<!doctype html><html><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
	return Answer(status, page.encode(), "text/html;charset=UTF-8")


def _redirect(uri: str, params: dict[str, str]) -> Answer:
	joiner = "&" if "?" in uri else "?"
	return Answer(302, b"", "text/plain", {"Location": uri + joiner + urlencode(params)})


class _HTTPServer(ThreadingHTTPServer):
	daemon_threads = True
	allow_reuse_address = True
	request_queue_size = 128

	def handle_error(self, request: Any, client_address: Any) -> None:
		"""A client that hung up (the "drop" fault, a client timeout) is expected here: log it quietly
		instead of the socketserver's traceback on stderr; anything else keeps its traceback."""
		exc = sys.exc_info()[1]
		if isinstance(exc, ConnectionError):
			log.debug("client %s went away: %r", client_address, exc)
			return
		super().handle_error(request, client_address)


class Endpoints:
	"""The URLs an app is configured with, from `base_url` (the emulator here, or one in a child process)."""

	base_url: str

	@property
	def api_base(self) -> str:
		return self.base_url + "/v3"

	@property
	def authorize_url(self) -> str:
		return self.base_url + AUTHORIZE_PATH

	@property
	def token_url(self) -> str:
		return self.base_url + TOKEN_PATH

	@property
	def revoke_url(self) -> str:
		return self.base_url + REVOKE_PATH

	@property
	def discovery_url(self) -> str:
		return self.base_url + DISCOVERY_PATH


class EmulatorServer(Endpoints):
	"""The emulator, usable in-process: `with EmulatorServer(port=0, country="GB") as emu: ...`.

	Keyword options are EmulatorConfig fields (client_id, client_secret, realm_id, redirect_uris, token_lifetime,
	time_scale, webhook_url, webhook_format, verifier_token, country, multicurrency, home_currency, ...).
	"""

	def __init__(
		self, host: str = "127.0.0.1", port: int = 0, config: EmulatorConfig | None = None, **options: Any
	) -> None:
		self.host = host
		self.port = port
		base = config or EmulatorConfig()
		self.state = EmulatorState(base.updated(**options) if options else base)
		self._httpd: _HTTPServer | None = None
		self._thread: threading.Thread | None = None

	# ----- lifecycle

	def start(self) -> EmulatorServer:
		if self._httpd is not None:
			return self
		httpd = _HTTPServer((self.host, self.port), Handler)
		httpd.emulator = self  # type: ignore[attr-defined]
		self._httpd = httpd
		self.port = httpd.server_address[1]
		self._thread = threading.Thread(
			target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
		)
		self._thread.start()
		log.info("QBO emulator listening on %s", self.base_url)
		return self

	def stop(self) -> None:
		if self._httpd is None:
			return
		self._httpd.shutdown()
		self._httpd.server_close()
		self._httpd = None
		if self._thread is not None:
			self._thread.join(timeout=5)
		self.state.webhooks.flush(1.0)

	def __enter__(self) -> EmulatorServer:
		return self.start()

	def __exit__(self, *exc: object) -> None:
		self.stop()

	# ----- addresses

	@property
	def config(self) -> EmulatorConfig:
		return self.state.config

	@property
	def base_url(self) -> str:
		return f"http://{self.host}:{self.port}"

	@property
	def control_url(self) -> str:
		return self.base_url + "/_emulator"

	@property
	def realm_id(self) -> str:
		return self.state.config.realm_id

	@property
	def client_id(self) -> str:
		return self.state.config.client_id

	@property
	def client_secret(self) -> str:
		return self.state.config.client_secret

	@property
	def redirect_uris(self) -> list[str]:
		return list(self.state.config.redirect_uris)

	def company_url(self, realm_id: str | None = None) -> str:
		return f"{self.api_base}/company/{realm_id or self.realm_id}"

	def environment(self):
		"""The connector's Environment pointing here (qbo.environments.custom_environment)."""
		from qbo_connector.qbo.environments import custom_environment

		return custom_environment(
			api_base=self.api_base,
			authorize_url=self.authorize_url,
			token_url=self.token_url,
			revoke_url=self.revoke_url,
			app_base=self.base_url + "/app",
			name="emulator",
		)

	def discovery(self) -> dict:
		return {
			"issuer": "https://oauth.platform.intuit.com/op/v1",
			"authorization_endpoint": self.authorize_url,
			"token_endpoint": self.token_url,
			"userinfo_endpoint": self.base_url + USERINFO_PATH,
			"revocation_endpoint": self.revoke_url,
			"jwks_uri": self.base_url + "/op/v1/jwks",
			"response_types_supported": ["code"],
			"scopes_supported": [SCOPE_ACCOUNTING, "openid", "email", "profile"],
		}

	# ----- control (each mirrors a /_emulator route)

	def issue_tokens(self, realm_id: str | None = None) -> dict:
		"""A token response for a new grant to `realm_id` (default company), skipping the browser step."""
		realm = str(realm_id or self.realm_id)
		if self.state.company(realm) is None:
			raise ValueError(f"no company with realm id {realm}")
		return self.state.oauth.new_grant(realm)

	def expire_tokens(self, token: str | None = None, realm_id: str | None = None) -> int:
		return self.state.oauth.expire(token=token, realm_id=realm_id)

	def set_hard_expiry(self, seconds: float, realm_id: str | None = None) -> int:
		"""Move the refresh tokens' hard end of a realm's grants to `seconds` from now."""
		return self.state.oauth.set_hard_expiry(seconds, realm_id=realm_id)

	def reset(self) -> None:
		self.state.reset()

	def configure(self, **changes: Any) -> dict:
		"""Change options at run time (POST /_emulator/config); realm_id cannot change (use set_company)."""
		if "realm_id" in changes:
			raise ValueError("realm_id cannot change at run time; add a company with set_company()")
		with self.state.lock:
			self.state.config = self.state.config.updated(**changes)
			return self.state.config.to_dict()

	def set_company(self, realm_id: str | None = None, reseed: bool = False, **mode: Any) -> dict:
		"""Add a company, or change a company's mode (country, multicurrency, home_currency, custom_txn_numbers,
		automated_sales_tax, name; class_tracking "none"/"txn"/"line", track_departments,
		department_terminology). A new country or home currency re-seeds it (data lost)."""
		realm = str(realm_id or self.realm_id)
		tracking = {key: mode.pop(key) for key in TRACKING_PREFS if key in mode}
		if tracking.get("class_tracking") not in (None, "none", "txn", "line"):
			raise ValueError("class_tracking must be none, txn (per transaction) or line (per line)")
		with self.state.lock:
			company = self.state.company(realm)
			reseed = reseed or company is None
			if company is not None and ("country" in mode and mode["country"].upper() != company.country):
				reseed = True
			if (
				company is not None
				and mode.get("home_currency")
				and mode["home_currency"].upper() != company.home_currency
			):
				reseed = True
			if reseed:
				keep = {}
				if company is not None:
					keep = {
						"country": company.country,
						"multicurrency": company.multicurrency,
						"home_currency": company.home_currency if "country" not in mode else None,
						"custom_txn_numbers": company.custom_txn_numbers,
						"name": company.name,
					}
					if company.automated_sales_tax and "country" not in mode:
						keep["automated_sales_tax"] = True
				keep.update({k: v for k, v in mode.items() if v is not None})
				company = self.state.add_company(realm, **keep)
			else:
				assert company is not None
				for key in ("multicurrency", "custom_txn_numbers"):
					if key in mode:
						setattr(company, key, bool(mode[key]))
				if mode.get("name"):
					company.name = str(mode["name"])
				if mode.get("automated_sales_tax") is not None:
					entities.set_automated_sales_tax(
						company, bool(mode["automated_sales_tax"]), self.state.now()
					)
				company.touch_settings("Preferences", self.state.now())
			if tracking:
				if "class_tracking" in tracking:
					company.class_tracking = tracking["class_tracking"]
				if "track_departments" in tracking:
					company.track_departments = bool(tracking["track_departments"])
				if tracking.get("department_terminology"):
					company.department_terminology = str(tracking["department_terminology"])
				company.touch_settings("Preferences", self.state.now())
			return self.state.snapshot(realm_id=realm)["companies"][realm]

	def add_fault(self, **rule: Any) -> FaultRule:
		"""Queue a fault rule (see faults.py): kind, status, body, delay, when, method, path, entity, count."""
		return self.state.faults.add(**rule)

	def webhook_log(self) -> list[dict]:
		return self.state.webhooks.entries()

	def redeliver_last(self) -> dict | None:
		return self.state.webhooks.redeliver_last()

	def flush_webhooks(self, timeout: float = 5.0) -> bool:
		return self.state.webhooks.flush(timeout)

	def advance(self, seconds: float) -> None:
		"""Move the emulator clock forward (token expiry, CDC look-back) without sleeping."""
		self.state.clock.advance(seconds)

	def act(self, action: str, **kwargs: Any) -> dict:
		"""Act as a QBO user (POST /_emulator/act/<action>); see actions.ACTIONS."""
		fn = actions.ACTIONS.get(action)
		if fn is None:
			raise ValueError(f"unknown action {action!r}; known: {', '.join(sorted(actions.ACTIONS))}")
		return fn(self.state, **kwargs)

	def record_payment(self, invoice_id: str | None = None, amount: object = None, **kwargs: Any) -> dict:
		return self.act("record_payment", invoice_id=invoice_id, amount=amount, **kwargs)

	def add_invoice(
		self, customer_id: str, lines: list[dict] | object = None, amount: object = None, **kwargs: Any
	) -> dict:
		"""An invoice typed into QBO: add_invoice(customer, "75.50") (one untaxed "Services" line) or
		add_invoice(customer, [lines...]) (see actions.add_invoice)."""
		if lines is not None and not isinstance(lines, list):
			lines, amount = None, lines  # the amount given in the second place
		if lines is not None:
			kwargs["lines"] = lines
		return self.act("add_invoice", customer_id=customer_id, amount=amount, **kwargs)

	def edit_invoice(self, invoice_id: str, add_amount: object = None, **kwargs: Any) -> dict:
		return self.act("edit_invoice", invoice_id=invoice_id, add_amount=add_amount, **kwargs)

	def void_invoice(self, invoice_id: str, **kwargs: Any) -> dict:
		return self.act("void_invoice", invoice_id=invoice_id, **kwargs)

	def void_payment(self, payment_id: str, **kwargs: Any) -> dict:
		return self.act("void_payment", payment_id=payment_id, **kwargs)

	def delete_invoice(self, invoice_id: str, **kwargs: Any) -> dict:
		return self.act("delete_invoice", invoice_id=invoice_id, **kwargs)

	def delete_payment(self, payment_id: str, **kwargs: Any) -> dict:
		return self.act("delete_payment", payment_id=payment_id, **kwargs)

	def update_invoice(self, invoice_id: str, **kwargs: Any) -> dict:
		return self.act("update_invoice", invoice_id=invoice_id, **kwargs)

	def seed_history(self, invoices: int = 300, **kwargs: Any) -> dict:
		"""A sales history in QBO (emulator/history.py): customers, items, invoices, credit memos, payments."""
		return self.act("seed_history", invoices=invoices, **kwargs)

	def add_customer(self, display_name: str, **kwargs: Any) -> dict:
		return self.act("add_customer", display_name=display_name, **kwargs)

	def add_vendor(self, display_name: str, **kwargs: Any) -> dict:
		return self.act("add_vendor", display_name=display_name, **kwargs)

	def add_employee(self, display_name: str, email: str | None = None, **kwargs: Any) -> dict:
		return self.act("add_employee", display_name=display_name, email=email, **kwargs)

	def rename_customer(self, customer_id: str, display_name: str, **kwargs: Any) -> dict:
		return self.act("rename_customer", customer_id=customer_id, display_name=display_name, **kwargs)

	def deactivate_customer(self, customer_id: str, **kwargs: Any) -> dict:
		return self.act("deactivate_customer", customer_id=customer_id, **kwargs)

	def reactivate_customer(self, customer_id: str, **kwargs: Any) -> dict:
		return self.act("reactivate_customer", customer_id=customer_id, **kwargs)

	def add_item(self, name: str, **kwargs: Any) -> dict:
		return self.act("add_item", name=name, **kwargs)

	def add_class(self, name: str, **kwargs: Any) -> dict:
		return self.act("add_class", name=name, **kwargs)

	def add_department(self, name: str, **kwargs: Any) -> dict:
		return self.act("add_department", name=name, **kwargs)

	def deactivate_item(self, item_id: str, **kwargs: Any) -> dict:
		return self.act("deactivate_item", item_id=item_id, **kwargs)

	def reactivate_item(self, item_id: str, **kwargs: Any) -> dict:
		return self.act("reactivate_item", item_id=item_id, **kwargs)

	# ----- in-process reads for assertions

	def reads(self, realm_id: str | None = None) -> int:
		"""Metered reads served to a company this month (metering.py)."""
		return self.state.meter.read_count(realm_id or self.realm_id)

	def writes(self, realm_id: str | None = None) -> int:
		"""Write requests served to a company this month (creates, updates, voids, deletes, batches)."""
		return self.state.meter.write_count(realm_id or self.realm_id)

	def get(self, entity: str, entity_id: str, realm_id: str | None = None) -> dict | None:
		"""The stored object as QBO would show it, or None (no HTTP, no token)."""
		with self.state.lock:
			company = self.state.company(realm_id or self.realm_id)
			name = canonical(entity) or entity
			obj = company.get(name, entity_id) if company else None
			return entities.render(company, name, obj) if obj is not None and company else None

	def objects(self, entity: str, realm_id: str | None = None) -> list[dict]:
		with self.state.lock:
			company = self.state.company(realm_id or self.realm_id)
			name = canonical(entity) or entity
			return entities.all_objects(company, name) if company else []
