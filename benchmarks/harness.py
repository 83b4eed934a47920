"""What every benchmark scenario shares: the emulator in its own process on a shared virtual clock, counters
of HTTP requests and metered reads, a Store kept on disk (as the Frappe store keeps its rows in MariaDB), and
ERPNext documents made from the fixtures of tests/fixtures/erpnext.

Framework-free, like the engine: the real-site scenarios live in site.py.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters

from benchmarks.vclock import SharedClock
from qbo_connector.emulator.server import Endpoints
from qbo_connector.qbo.client import Exchange, QBOClient
from qbo_connector.qbo.constants import canonical_entity
from qbo_connector.qbo.environments import Environment, custom_environment
from qbo_connector.qbo.oauth import MemoryTokenStore, OAuthClient, TokenProvider, Tokens
from qbo_connector.qbo.pacing import Pacer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine
from qbo_connector.sync.outcome import LinkConflictError
from qbo_connector.sync.store import CUSTOMER, ITEM, SALES_INVOICE, Link, LogEntry, LogOutcome

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "erpnext"
COMPANY = "QBO Test Co"
INVOICE_PREFIX = "BENCH-SINV-"


# -- the emulator, in a process of its own ------------------------------------------------------------------
class EmulatorProcess(Endpoints):
	"""benchmarks/emulator_process.py as a child process; JSON commands over its stdin/stdout."""

	def __init__(
		self,
		workdir: Path,
		clock: SharedClock | None = None,
		created_log: Path | None = None,
		python: str | None = None,
		env: dict[str, str] | None = None,
		**options: Any,
	) -> None:
		self.workdir = workdir
		self.clock = clock
		self.created_log = created_log
		self.options = options
		self.python = python or sys.executable
		self.env = env
		self.proc: subprocess.Popen[str] | None = None
		self.base_url = ""
		self.realm_id = ""
		self._lock = threading.Lock()

	def start(self) -> EmulatorProcess:
		args = [self.python, str(ROOT / "benchmarks" / "emulator_process.py")]
		args += ["--options", json.dumps(self.options)]
		if self.clock is not None:
			args += ["--clock", str(self.clock.path)]
		if self.created_log is not None:
			args += ["--created-log", str(self.created_log)]
		env = dict(os.environ if self.env is None else self.env)
		env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
		self.proc = subprocess.Popen(
			args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=str(self.workdir)
		)
		assert self.proc.stdout is not None
		line = self.proc.stdout.readline().split()
		if len(line) != 3 or line[0] != "READY":
			self.stop()
			raise RuntimeError(f"the emulator process did not start: {line}")
		self.base_url, self.realm_id = line[1], line[2]
		return self

	def stop(self) -> None:
		if self.proc is None:
			return
		if self.proc.stdin:
			self.proc.stdin.close()
		try:
			self.proc.wait(timeout=10)
		except subprocess.TimeoutExpired:
			self.proc.kill()
			self.proc.wait()
		self.proc = None

	def __enter__(self) -> EmulatorProcess:
		return self.start()

	def __exit__(self, *exc: object) -> None:
		self.stop()

	def command(self, cmd: str, **args: Any) -> dict[str, Any]:
		assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
		with self._lock:
			self.proc.stdin.write(json.dumps({"cmd": cmd, "args": args}) + "\n")
			self.proc.stdin.flush()
			answer = json.loads(self.proc.stdout.readline())
		if isinstance(answer, dict) and "error" in answer:
			raise RuntimeError(f"emulator command {cmd}: {answer['error']}")
		return answer

	# the EmulatorServer surface the scenarios use
	client_id = "emulator-client-id"
	client_secret = "emulator-client-secret"

	@property
	def port(self) -> int:
		return int(urlsplit(self.base_url).port or 0)

	def environment(self) -> Environment:
		return custom_environment(
			api_base=self.api_base,
			authorize_url=self.authorize_url,
			token_url=self.token_url,
			revoke_url=self.revoke_url,
			app_base=self.base_url + "/app",
			name="emulator",
		)

	def issue_tokens(self, realm_id: str | None = None) -> dict[str, Any]:
		return self.command("tokens", realm_id=realm_id)

	def add_fault(self, **rule: Any) -> int:
		return int(self.command("fault", rule=rule)["id"])

	def objects(self, entity: str) -> list[dict[str, Any]]:
		return self.command("objects", entity=entity)["objects"]

	def add_item(self, name: str, **kwargs: Any) -> dict[str, Any]:
		return self.command("add_item", name=name, **kwargs)

	def counts(self) -> dict[str, Any]:
		return self.command("counts")

	def invoice_marks(self) -> list[tuple[str, str]]:
		"""(DocNumber, head of PrivateNote) of every invoice."""
		return [tuple(row) for row in self.command("invoices")["invoices"]]  # type: ignore[misc]

	def requests(self, reset: bool = False) -> dict[str, int]:
		"""API requests answered since the start (or the last reset), by method and entity path."""
		return self.command("requests", reset=reset)["requests"]

	def add_customers(self, count: int, prefix: str) -> None:
		self.command("add_customers", count=count, prefix=prefix)


def start_emulator(workdir: Path, **options: Any) -> tuple[EmulatorProcess, SharedClock]:
	"""A fresh virtual clock and an emulator process reading it (Intuit's limits on unless told)."""
	clock = SharedClock(workdir / f"clock-{time.monotonic_ns()}", create=True)
	emu = EmulatorProcess(workdir, clock, **{"webhook_on_api_writes": False, **options}).start()
	return emu, clock


# -- counting what goes over the wire -------------------------------------------------------------------------
def is_read(method: str, url: str) -> bool:
	"""A metered read (Intuit App Partner Program): GET, query, CDC, reports. Writes, batch writes and the
	OAuth token endpoint are not metered."""
	path = urlsplit(url).path.lower()
	if "/v3/company/" not in path:
		return False
	return method.upper() == "GET" or path.endswith("/query")


@dataclass
class Counts:
	requests: int = 0
	reads: int = 0
	writes: int = 0
	throttled: int = 0  # HTTP 429
	server_errors: int = 0  # 5xx and dropped connections
	by_kind: dict[str, int] = field(default_factory=dict)

	def add(self, method: str, url: str, status: int | None) -> None:
		path = urlsplit(url).path.lower()
		if "/v3/company/" not in path:
			return  # the token endpoint: not an API request
		self.requests += 1
		if is_read(method, url):
			self.reads += 1
			kind = "read " + path.rsplit("/", 1)[-1] if path.endswith(("/query", "/cdc")) else "read GET"
		else:
			self.writes += 1
			kind = "write " + path.split("/v3/company/", 1)[1].split("/", 1)[-1]
		self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
		if status == 429:
			self.throttled += 1
		elif status is None or status >= 500:
			self.server_errors += 1


class Meter:
	"""The client's on_exchange hook: counts per phase, and when each invoice created was sent.

	The time is when the request left (the pacer's clearance, MeteredPacer), not when its answer came: the
	pacer spaces departures, and an answer's own delay would let a window of the rate measure catch one
	request more or less than the pacer let through. Without a pacer (the peer), the answer's time less the
	round trip."""

	def __init__(self, clock: Callable[[], float], round_trip: float = 0.0) -> None:
		self.clock = clock
		self.round_trip = round_trip
		self.phase = "warm-up"
		self.phases: dict[str, Counts] = {}
		self.invoice_times: list[float] = []
		self.departure: float | None = None  # set by MeteredPacer for the request in flight

	def __call__(self, exchange: Exchange) -> None:
		self.record(exchange.method, exchange.url, exchange.status, exchange.response_body)

	def record(self, method: str, url: str, status: int | None, body: str | None = None) -> None:
		self.phases.setdefault(self.phase, Counts()).add(method, url, status)
		sent = self.departure if self.departure is not None else self.clock() - self.round_trip
		self.departure = None
		if status != 200 or method.upper() != "POST":
			return
		path = urlsplit(url).path.lower()
		if path.endswith("/invoice"):
			self.invoice_times.append(sent)
		elif path.endswith("/batch") and body:
			self.invoice_times.extend(sent for _ in range(body.count('"Invoice":')))

	def total(self) -> Counts:
		out = Counts()
		for counts in self.phases.values():
			for key in ("requests", "reads", "writes", "throttled", "server_errors"):
				setattr(out, key, getattr(out, key) + getattr(counts, key))
			for kind, n in counts.by_kind.items():
				out.by_kind[kind] = out.by_kind.get(kind, 0) + n
		return out


# The minute as the pacer counts it: Intuit's 60 s plus its quarter-second margin (Pacer.headroom).
PACER_MINUTE = 60.25


def sustained_rate(
	times: list[float], start: float, settle: float = 60.0, period: float = PACER_MINUTE
) -> tuple[float, float]:
	"""(objects per minute, minutes measured) in steady state: objects created in whole pacing windows
	[a, a + k * period), where a is the first creation `settle` seconds after `start` (the end of the
	warm-up; by then Intuit's windows hold steady traffic only). Whole windows that begin at a departure,
	because the batch path leaves in bursts (up to 40 batch requests, then a wait for the window): a count
	over clock minutes, or a fit through the points, would depend on where the run's ends cut a burst.
	Shorter runs (less than one window) get the plain average."""
	after = sorted(t for t in times if t > start + settle)
	if len(after) < 2:
		return 0.0, 0.0
	first, last = after[0], after[-1]
	windows = int((last - first) // period)
	if windows < 1:
		return (len(after) - 1) / max(last - first, 1e-9) * 60, (last - first) / 60
	end = first + windows * period
	inside = sum(1 for t in after if t < end)
	return inside / (windows * period) * 60, windows * period / 60


# -- the network's round trip, on the virtual clock ----------------------------------------------------------
class RoundTrip(requests.adapters.HTTPAdapter):
	"""Adds `seconds` of virtual time to every answer: the round trip to Intuit the loopback does not have.
	The emulator sees each request when it is sent; the client gets the answer `seconds` later."""

	def __init__(self, clock: SharedClock, seconds: float) -> None:
		super().__init__()
		self.clock = clock
		self.seconds = seconds

	def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
		try:
			return super().send(request, *args, **kwargs)
		finally:
			self.clock.advance(self.seconds)


def with_round_trip(session: requests.Session, clock: SharedClock, seconds: float) -> requests.Session:
	if seconds > 0:
		session.mount("http://", RoundTrip(clock, seconds))
	return session


class MeteredPacer(Pacer):
	"""The real Pacer, telling the meter when the request it cleared leaves."""

	def __init__(self, meter: Meter | None, **options: Any) -> None:
		super().__init__(**options)
		self.meter = meter

	def wait(self, realm_id: str, batch: bool = False) -> float:
		slept = super().wait(realm_id, batch)
		if self.meter is not None:
			self.meter.departure = self.clock()
		return slept


# -- the engine's client on the virtual clock -------------------------------------------------------------
def make_client(
	emu: EmulatorProcess,
	clock: SharedClock,
	meter: Meter | None = None,
	*,
	paced: bool = True,
	round_trip: float = 0.0,
	**options: Any,
) -> QBOClient:
	"""The connector's real client (pacer, retries, token refresh) with every wait on the virtual clock."""
	realm = emu.realm_id
	tokens = Tokens.from_response(emu.issue_tokens(realm), clock.now(), realm_id=realm)
	oauth = OAuthClient(
		emu.client_id, emu.client_secret, "http://localhost/callback", emu.environment(), clock=clock.now
	)
	provider = TokenProvider(oauth, MemoryTokenStore(tokens), clock=clock.now)
	pacer = MeteredPacer(meter, clock=clock.now, sleep=clock.sleep) if paced else None
	return QBOClient(
		realm,
		emu.environment(),
		provider,
		pacer=pacer,
		sleep=clock.sleep,
		on_exchange=meter,
		session=with_round_trip(requests.Session(), clock, round_trip),
		**options,
	)


def make_engine(store: MemoryStore, client: QBOClient, clock: SharedClock) -> SyncEngine:
	from datetime import timezone

	return SyncEngine(
		store,
		lambda realm_id: client,
		clock=lambda: datetime.fromtimestamp(clock.now(), timezone.utc),
	)


def emulator_config(emu: EmulatorProcess) -> ConnectionConfig:
	"""The admin's mappings for the fixtures' company against the seeded emulator company (as in
	qbo_connector.sync.demo.emulator_config, over the control pipe instead of in-process calls)."""
	accounts = {o["Name"]: str(o["Id"]) for o in emu.objects("Account")}
	codes = {o["Name"]: str(o["Id"]) for o in emu.objects("TaxCode")}
	ny = codes["NY State+City 8.875%"]
	return ConnectionConfig(
		company=COMPANY,
		realm_id=emu.realm_id,
		account_map={
			"Service - QTC": accounts["Services"],
			"Sales - QTC": accounts["Sales of Product Income"],
			"Bank Account - QTC": accounts["Checking"],
			"Chase Checking - QTC": accounts["Checking"],
		},
		tax_map={"NY Sales Tax 8.875% - QTC": ny, "VAT 20% Included - QTC": codes["Special 20%"]},
		us_tax_code=ny,
		default_income_account=accounts["Services"],
		discount_account=accounts["Discounts given"],
		rounding_item=str(emu.add_item("Rounding", type="Service")["Id"]),
	)


# -- ERPNext documents ------------------------------------------------------------------------------------
def fixture(name: str) -> dict[str, Any]:
	return json.loads((FIXTURES / f"{name}.json").read_text())


def _money(value: Decimal) -> float:
	return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class Documents:
	"""A backlog of submitted Sales Invoices over `customers` customers and `items` items per kind, made
	from the fixtures on demand (by name), so a 20,000-invoice backlog costs no memory until it is read:
	in a site the documents are rows in MariaDB, not objects in the worker.

	Three invoices in four are si_basic (a service line and a product line, no tax) with quantities varied;
	the fourth is si_us_sales_tax (three lines, NY sales tax). Customers and items cycle, so every one of
	them has been used by invoice customers x items."""

	def __init__(self, customers: int = 200, items: int = 10) -> None:
		self.customers = [f"Bench Customer {n:03d}" for n in range(1, customers + 1)]
		self.services = [f"BENCH-SVC-{n:02d}" for n in range(1, items + 1)]
		self.products = [f"BENCH-PRD-{n:02d}" for n in range(1, items + 1)]
		self._basic_json = json.dumps(fixture("si_basic"))
		self._taxed_json = json.dumps(fixture("si_us_sales_tax"))
		self._customer = fixture("customer_company")
		self._service = fixture("item_service")
		self._product = fixture("item_non_stock")

	@staticmethod
	def name(n: int) -> str:
		return f"{INVOICE_PREFIX}{n:06d}"

	@staticmethod
	def number(name: str) -> int | None:
		if not name.startswith(INVOICE_PREFIX):
			return None
		try:
			return int(name[len(INVOICE_PREFIX) :])
		except ValueError:
			return None

	def masters(self) -> list[dict[str, Any]]:
		"""Customers and items (and the fixtures' address and contact the customers share)."""
		docs = [fixture("customer_company_address"), fixture("customer_company_contact")]
		for name in self.customers:
			doc = copy.deepcopy(self._customer)
			doc.update(name=name, customer_name=name)
			docs.append(doc)
		for codes, template in ((self.services, self._service), (self.products, self._product)):
			for code in codes:
				doc = copy.deepcopy(template)
				doc.update(name=code, item_code=code, item_name=f"{template['item_name']} {code[-2:]}")
				for row in doc.get("item_defaults") or []:
					row["parent"] = code
				docs.append(doc)
		return docs

	def invoice(self, n: int) -> dict[str, Any]:
		name = self.name(n)
		customer = self.customers[(n - 1) % len(self.customers)]
		service = self.services[(n - 1) % len(self.services)]
		product = self.products[(n - 1) % len(self.products)]
		if n % 4 == 0:
			doc = json.loads(self._taxed_json)  # a fresh copy (json is much faster than deepcopy here)
			codes = [service, product, self.products[n % len(self.products)]]
		else:
			doc = json.loads(self._basic_json)
			codes = [service, product]
			self._requantify(doc, [1 + n % 9, 2 + n % 13])
		doc.update(name=name, customer=customer, customer_name=customer, title=customer)
		for row, code in zip(doc["items"], codes, strict=False):
			row.update(item_code=code, parent=name)
		for table in ("taxes", "payment_schedule"):
			for row in doc.get(table) or []:
				row["parent"] = name
		return doc

	@staticmethod
	def _requantify(doc: dict[str, Any], quantities: list[int]) -> None:
		"""New quantities, and every total ERPNext would recompute (rates have two decimals: exact)."""
		total = Decimal(0)
		qty_total = Decimal(0)
		for row, qty in zip(doc["items"], quantities, strict=False):
			amount = Decimal(str(row["rate"])) * qty
			row.update(
				qty=float(qty),
				stock_qty=float(qty),
				amount=_money(amount),
				net_amount=_money(amount),
				base_amount=_money(amount),
				base_net_amount=_money(amount),
			)
			total += amount
			qty_total += qty
		for key in ("total", "net_total", "base_total", "base_net_total", "grand_total", "base_grand_total",
			"rounded_total", "base_rounded_total", "outstanding_amount", "amount_eligible_for_commission"):  # fmt: skip
			doc[key] = _money(total)
		doc["total_qty"] = float(qty_total)
		for row in doc.get("payment_schedule") or []:
			row.update(
				payment_amount=_money(total), outstanding=_money(total), base_payment_amount=_money(total)
			)


# -- a Store on disk ----------------------------------------------------------------------------------------
class DiskStore(MemoryStore):
	"""MemoryStore with its growing parts where a site keeps them, out of the process: links and log rows in
	SQLite (indexed like QBO Link and QBO Sync Log), invoices made on demand by Documents. Masters (200
	customers, 20 items), settings and watermarks stay in memory; they do not grow with the backlog."""

	def __init__(self, path: Path, documents: Documents | None = None) -> None:
		super().__init__()
		self.documents = documents
		self._json: dict[tuple[str, str], str] = {}
		self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
		self.db.executescript(
			"""
			PRAGMA journal_mode=WAL;
			PRAGMA synchronous=OFF;
			CREATE TABLE links (realm TEXT, doctype TEXT, name TEXT, entity TEXT, qbo_id TEXT, data BLOB,
				PRIMARY KEY (realm, doctype, name));
			CREATE INDEX links_qbo ON links (realm, entity, qbo_id);
			CREATE TABLE logs (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, realm TEXT, operation TEXT,
				doctype TEXT, name TEXT, status TEXT, data BLOB);
			CREATE INDEX logs_key ON logs (realm, operation, doctype, name, seq);
			CREATE INDEX logs_status ON logs (status, seq);
			"""
		)
		self._db_lock = threading.RLock()
		self._seq = itertools.count(1)
		self._key_locks: dict[str, tuple[threading.Lock, int]] = {}

	# documents: invoices on demand, masters as JSON (a fresh copy for each caller, as MemoryStore gives)
	def add_doc(self, doc: dict[str, Any]) -> None:
		super().add_doc(doc)
		self._json[(doc["doctype"], doc["name"])] = json.dumps(doc)

	def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
		if doctype == SALES_INVOICE and self.documents is not None:
			n = Documents.number(name)
			if n is not None:
				return self.documents.invoice(n)
		text = self._json.get((doctype, name))
		if text is not None:
			return json.loads(text)
		return super().get_doc(doctype, name)

	# a write to a master drops its JSON copy (the pull writes customers and items)
	def update_doc(self, doctype: str, name: str, **values: Any) -> None:
		self._json.pop((doctype, name), None)
		super().update_doc(doctype, name, **values)

	def _upsert(self, doctype: str, data: dict[str, Any], name: str | None, *args: Any) -> str:
		written = super()._upsert(doctype, data, name, *args)
		self._json.pop((doctype, written), None)
		return written

	def set_disabled(self, doctype: str, name: str, disabled: bool) -> bool:
		self._json.pop((doctype, name), None)
		return super().set_disabled(doctype, name, disabled)

	def flag_qbo_state(self, doctype: str, name: str, state: str, message: str) -> None:
		self._json.pop((doctype, name), None)
		super().flag_qbo_state(doctype, name, state, message)

	# links
	def get_link(self, realm_id: str, doctype: str, name: str) -> Link | None:
		with self._db_lock:
			row = self.db.execute(
				"SELECT data FROM links WHERE realm=? AND doctype=? AND name=?", (realm_id, doctype, name)
			).fetchone()
		return pickle.loads(row[0]) if row else None

	def find_link(self, realm_id: str, qbo_entity: str, qbo_id: str) -> Link | None:
		with self._db_lock:
			row = self.db.execute(
				"SELECT data FROM links WHERE realm=? AND entity=? AND qbo_id=?",
				(realm_id, canonical_entity(qbo_entity), str(qbo_id)),
			).fetchone()
		return pickle.loads(row[0]) if row else None

	def save_link(self, link: Link) -> None:
		entity = canonical_entity(link.qbo_entity)
		with self._db_lock:
			if link.qbo_id:
				other = self.db.execute(
					"SELECT doctype, name FROM links WHERE realm=? AND entity=? AND qbo_id=? "
					"AND NOT (doctype=? AND name=?)",
					(link.realm_id, entity, str(link.qbo_id), link.doctype, link.name),
				).fetchone()
				if other:
					raise LinkConflictError(
						link.realm_id,
						entity,
						str(link.qbo_id),
						holder=tuple(other),
						claimant=(link.doctype, link.name),
					)
			self.db.execute(
				"INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?)",
				(link.realm_id, link.doctype, link.name, entity, link.qbo_id and str(link.qbo_id),
					pickle.dumps(link)),
			)  # fmt: skip

	def add_link(self, link: Link) -> None:
		self.save_link(link)

	def links(self, realm_id: str | None = None) -> list[Link]:
		with self._db_lock:
			rows = self.db.execute("SELECT data FROM links").fetchall()
		return [x for x in (pickle.loads(r[0]) for r in rows) if realm_id in (None, x.realm_id)]

	def count_links(self, doctype: str, state: str = "synced") -> int:
		with self._db_lock:
			rows = self.db.execute("SELECT data FROM links WHERE doctype=?", (doctype,)).fetchall()
		return sum(1 for r in rows if pickle.loads(r[0]).state == state)

	# logs
	def _put(self, entry: LogEntry, seq: int | None = None) -> None:
		self.db.execute(
			"INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			(seq, entry.id, entry.realm_id, entry.operation, entry.doctype, entry.name, entry.status,
				pickle.dumps(entry)),
		)  # fmt: skip

	def _get(self, log_id: str) -> tuple[int, LogEntry] | None:
		row = self.db.execute("SELECT seq, data FROM logs WHERE id=?", (log_id,)).fetchone()
		return (row[0], pickle.loads(row[1])) if row else None

	def start_log(self, entry: LogEntry) -> str:
		with self._db_lock:
			seq = next(self._seq)
			log_id = f"LOG-{seq:07d}"
			self._put(replace(entry, id=log_id, status="Started"), seq)
			return log_id

	def finish_log(self, log_id: str, outcome: LogOutcome) -> None:
		with self._db_lock:
			found = self._get(log_id)
			if found is None:
				raise KeyError(log_id)
			seq, entry = found
			for key, value in vars(outcome).items():
				if value is not None or key in ("next_retry_at",):
					setattr(entry, key, value)
			self._put(entry, seq)

	def get_log(self, log_id: str) -> LogEntry | None:
		with self._db_lock:
			found = self._get(log_id)
		return found[1] if found else None

	def logs(self) -> list[LogEntry]:
		with self._db_lock:
			rows = self.db.execute("SELECT data FROM logs ORDER BY seq").fetchall()
		return [pickle.loads(r[0]) for r in rows]

	def status_counts(self, operation: str = "push") -> dict[str, int]:
		with self._db_lock:
			rows = self.db.execute(
				"SELECT status, count(*) FROM logs WHERE operation=? GROUP BY status", (operation,)
			).fetchall()
		return dict(rows)

	def retry_candidates(self, now: datetime) -> list[LogEntry]:
		with self._db_lock:
			rows = self.db.execute(
				"SELECT data FROM logs WHERE seq IN (SELECT max(seq) FROM logs "
				"WHERE operation NOT IN ('bulk', 'auto_push') GROUP BY realm, operation, doctype, name)"
			).fetchall()
		out = []
		for entry in (pickle.loads(r[0]) for r in rows):
			if entry.status not in ("Failed", "Interrupted"):
				continue
			due = entry.next_retry_at is not None and entry.next_retry_at <= now
			if due or (not entry.retryable and entry.doc_fingerprint is not None):
				out.append(entry)
		return out

	def open_attempts(
		self,
		realm_id: str | None,
		operation: str,
		doctype: str | None,
		name: str | None,
		before: str | None = None,
	) -> list[LogEntry]:
		with self._db_lock:
			limit = self._get(before)[0] if before and self._get(before) else None
			rows = self.db.execute(
				"SELECT seq, data FROM logs WHERE realm IS ? AND operation=? AND doctype IS ? AND name IS ? "
				"AND status='Started' ORDER BY seq",
				(realm_id, operation, doctype, name),
			).fetchall()
		return [pickle.loads(d) for seq, d in rows if limit is None or seq < limit]

	def last_attempt(
		self, realm_id: str | None, operation: str, doctype: str | None, name: str | None
	) -> LogEntry | None:
		with self._db_lock:
			row = self.db.execute(
				"SELECT data FROM logs WHERE realm IS ? AND operation=? AND doctype IS ? AND name IS ? "
				"ORDER BY seq DESC LIMIT 1",
				(realm_id, operation, doctype, name),
			).fetchone()
		return pickle.loads(row[0]) if row else None

	def stale_attempts(self, started_before: datetime) -> list[LogEntry]:
		with self._db_lock:
			rows = self.db.execute("SELECT data FROM logs WHERE status='Started' ORDER BY seq").fetchall()
		entries = [pickle.loads(r[0]) for r in rows]
		return [e for e in entries if e.started_at is not None and e.started_at < started_before]

	def interrupt_log(self, log_id: str, outcome: LogOutcome) -> bool:
		with self._db_lock:
			found = self._get(log_id)
			if found is None or found[1].status != "Started":
				return False
			self.finish_log(log_id, outcome)
			return True

	# one mutex per key while someone holds it (MemoryStore keeps one per key for ever)
	@contextmanager
	def lock(self, key: str) -> Iterator[None]:
		with self._mutex:
			mutex, users = self._key_locks.get(key) or (threading.Lock(), 0)
			self._key_locks[key] = (mutex, users + 1)
		try:
			with mutex:
				yield
		finally:
			with self._mutex:
				mutex, users = self._key_locks[key]
				if users <= 1:
					del self._key_locks[key]
				else:
					self._key_locks[key] = (mutex, users - 1)

	def close(self) -> None:
		self.db.close()


def disk_store(workdir: Path, config: ConnectionConfig, documents: Documents) -> DiskStore:
	store = DiskStore(workdir / f"store-{time.monotonic_ns()}.sqlite", documents)
	for doc in documents.masters():
		store.add_doc(doc)
	store.add_config(config)
	return store


# -- memory -------------------------------------------------------------------------------------------------
def rss_mb() -> tuple[float, float]:
	"""(current RSS, peak RSS) of this process in MB, from /proc (Linux); (0, 0) elsewhere."""
	values = {}
	try:
		with open("/proc/self/status") as status:
			for line in status:
				if line.startswith(("VmRSS:", "VmHWM:")):
					key, amount = line.split(":", 1)
					values[key] = int(amount.split()[0]) / 1024
	except OSError:
		return 0.0, 0.0
	return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def percentile(values: list[float], pct: float) -> float:
	"""Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
	if not values:
		return float("nan")
	ordered = sorted(values)
	rank = max(1, int(-(-pct * len(ordered) // 100)))
	return ordered[min(rank, len(ordered)) - 1]


__all__ = [
	"COMPANY",
	"CUSTOMER",
	"ITEM",
	"Counts",
	"DiskStore",
	"Documents",
	"EmulatorProcess",
	"Meter",
	"disk_store",
	"emulator_config",
	"is_read",
	"make_client",
	"make_engine",
	"percentile",
	"rss_mb",
	"start_emulator",
	"sustained_rate",
]
