"""The real-site part of the benchmarks: run by benchmarks/run.py with the bench's Python, from its sites/ folder.

    cd /opt/frappe-bench/sites && PYTHONPATH=<repo> ../env/bin/python <repo>/benchmarks/site.py --site S

In the site: QBO Test Co (the fixtures' company) connected to a fresh emulator process (Intuit's limits on,
real time); one RQ worker of our own (`frappe worker`) on a Redis queue of our own, so no other worker of the
bench takes our jobs and ours takes none of theirs. Measured, in this order:

1. Sales Invoice submit time with the connection enabled vs disabled, interleaved (ABBA), with the worker
   stopped so its work does not blur the comparison: submit + commit (the job is queued at commit).
2. submit -> in QBO, one invoice at a time, the worker idle before each.
3. A burst: invoices submitted back to back, each timed from its submit to its create in QBO, first with
   each push in its own job (`qbo_coalesce_pushes: 0`), then as shipped (queued pushes coalesced).
4. The webhook endpoint under gunicorn: deliveries posted at once, time to answer.
Everything the run changed in the site (settings, the connection, the site config key) is put back after.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
	sys.path.insert(0, str(ROOT))

from benchmarks.harness import EmulatorProcess, percentile  # noqa: E402

BENCH_CUSTOMER = "QBO Bench Customer"
VERIFIER = "bench-verifier-token-7c1e"


def free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


def wait_for(check: Any, timeout: float, interval: float = 0.02, what: str = "condition") -> None:
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if check():
			return
		time.sleep(interval)
	raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


class CreatedLog:
	"""The emulator's created-log: DocNumber -> when QBO committed the invoice (unix time)."""

	def __init__(self, path: Path) -> None:
		self.path = path
		self.path.touch()
		self.seen: dict[str, float] = {}
		self._offset = 0

	def read(self) -> dict[str, float]:
		with self.path.open() as log:
			log.seek(self._offset)
			for line in log:
				if not line.endswith("\n"):
					break
				self._offset += len(line)
				entity, number, at = line.rstrip("\n").split("\t")
				if entity == "Invoice" and number:
					self.seen.setdefault(number, float(at))
		return self.seen


class Site:
	def __init__(self, args: argparse.Namespace) -> None:
		self.args = args
		self.workdir = Path(args.workdir)
		self.procs: list[subprocess.Popen[Any]] = []
		self.worker: subprocess.Popen[Any] | None = None
		self.redis_port = free_port()
		self.queue_url = f"redis://127.0.0.1:{self.redis_port}"
		self.env = dict(os.environ)
		self.env["FRAPPE_REDIS_QUEUE"] = self.queue_url
		self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), self.env.get("PYTHONPATH")]))
		self.emu: EmulatorProcess | None = None
		self.created = CreatedLog(self.workdir / "created.log")
		self.saved: dict[str, Any] = {}

	# -- processes ------------------------------------------------------------------------------------------
	def start_redis(self) -> None:
		proc = subprocess.Popen(
			["redis-server", "--port", str(self.redis_port), "--save", "", "--appendonly", "no",
				"--bind", "127.0.0.1"],
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)  # fmt: skip
		self.procs.append(proc)
		import redis

		conn = redis.Redis.from_url(self.queue_url)
		wait_for(lambda: _pings(conn), 10, 0.05, "our Redis queue")
		os.environ["FRAPPE_REDIS_QUEUE"] = self.queue_url  # read by frappe.init below

	def start_worker(self) -> None:
		self.worker = subprocess.Popen(
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"worker",
				"--queue",
				"default,short",
			],
			cwd=os.getcwd(),
			env=self.env,
			stdout=(self.workdir / "worker.log").open("a"),
			stderr=subprocess.STDOUT,
		)
		from frappe.utils.background_jobs import get_redis_conn
		from rq import Worker

		wait_for(lambda: len(Worker.all(get_redis_conn())) >= 1, 60, 0.1, "the RQ worker")

	def stop_worker(self) -> None:
		if self.worker is not None:
			self.worker.terminate()
			try:
				self.worker.wait(15)
			except subprocess.TimeoutExpired:
				self.worker.kill()
				self.worker.wait()
			self.worker = None

	def stop_all(self) -> None:
		self.stop_worker()
		if self.emu is not None:
			self.emu.stop()
		for proc in reversed(self.procs):
			proc.terminate()
			try:
				proc.wait(15)
			except subprocess.TimeoutExpired:
				proc.kill()

	# -- the site -------------------------------------------------------------------------------------------
	def connect_site(self) -> None:
		import frappe

		frappe.init(site=self.args.site, sites_path=os.getcwd())
		frappe.connect()
		frappe.set_user("Administrator")

	def check_site(self) -> str | None:
		import frappe

		apps = frappe.get_installed_apps()
		for app in ("erpnext", "qbo_connector"):
			if app not in apps:
				return f"{app} is not installed on {self.args.site}"
		from qbo_connector.qbo_connector.tests.sync_utils import COMPANY

		if not frappe.db.exists("Company", COMPANY):
			return f"{self.args.site} has no company {COMPANY} (the fixtures' company the Frappe tests use)"
		return None

	def setup(self) -> None:
		"""QBO Test Co connected to our emulator, as tests/sync_utils.SyncTestCase sets it up."""
		import frappe
		from frappe.installer import update_site_config
		from frappe.utils.password import get_decrypted_password

		from qbo_connector.qbo.oauth import Tokens
		from qbo_connector.qbo_connector.oauth import ensure_connection
		from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS
		from qbo_connector.qbo_connector.tests import sync_utils
		from qbo_connector.qbo_connector.tokens import write_tokens

		sync_utils.ensure_masters()
		self.ensure_customer()
		self.saved["connection"] = sync_utils._snapshot()
		settings = frappe.get_single(SETTINGS)
		self.saved["settings"] = settings.as_dict()
		self.saved["secret"] = get_decrypted_password(
			SETTINGS, SETTINGS, "client_secret", raise_exception=False
		)
		self.saved["verifier"] = get_decrypted_password(
			SETTINGS, SETTINGS, "webhook_verifier_token", raise_exception=False
		)
		self.saved["site_config"] = frappe.conf.get("qbo_coalesce_pushes")
		update_site_config("qbo_coalesce_pushes", 1)

		realm = str(int(time.time() * 1000) % 10**16).rjust(16, "9")
		self.emu = EmulatorProcess(
			self.workdir, created_log=self.created.path, realm_id=realm, webhook_on_api_writes=False
		).start()
		emu = self.emu
		settings.update(
			{
				"client_id": emu.client_id,
				"client_secret": emu.client_secret,
				"environment": "Custom",
				"api_base_url": emu.api_base,
				"authorize_url": emu.authorize_url,
				"token_url": emu.token_url,
				"revoke_url": emu.revoke_url,
				"app_base_url": emu.base_url + "/app",
				"webhook_verifier_token": VERIFIER,
			}
		)
		settings.save(ignore_permissions=True)
		company = sync_utils.COMPANY
		answer = emu.issue_tokens(realm)
		tokens = Tokens.from_response(answer, frappe.utils.now_datetime().timestamp(), realm_id=realm)
		ensure_connection(company)
		write_tokens(company, tokens)
		frappe.db.set_value(CONNECTION, company, {"status": "Connected", "realm_id": realm})
		ids = {
			(o.get("Name") or o.get("DisplayName")): str(o["Id"])
			for e in ("Account", "TaxCode")
			for o in emu.objects(e)
		}
		qbo = {
			"income": ids["Sales of Product Income"],
			"discounts": ids["Discounts given"],
			"checking": ids["Checking"],
			"california": ids["California"],
			"rounding_item": str(emu.add_item("Rounding", type="Service")["Id"]),
		}
		connection = frappe.get_doc(CONNECTION, company)
		connection.update(
			{
				"enabled": 1,
				"push_invoices_on_submit": 1,
				"push_payments": 0,
				"auto_push_hours": 0,
				"pull_interval_minutes": 0,
				"default_income_account": qbo["income"],
				"discount_account": qbo["discounts"],
				"us_tax_code": qbo["california"],
				"rounding_item": qbo["rounding_item"],
				"absorb_cent_differences": 1,
				"payments_deposit_account": None,
				"watermarks": None,
				"facts_refreshed_at": None,
				"invoice_number_prefix": "",
			}
		)
		connection.save(ignore_permissions=True)
		sync_utils.SyncTestCase._set_map(
			"QBO Account Map",
			"accounts",
			[
				{
					"purpose": "Income",
					"erpnext_account": sync_utils.INCOME_ACCOUNT,
					"qbo_account": qbo["income"],
				},
				{
					"purpose": "Deposit",
					"erpnext_account": sync_utils.BANK_ACCOUNT,
					"qbo_account": qbo["checking"],
				},
			],
		)
		sync_utils.SyncTestCase._set_map(
			"QBO Tax Map",
			"taxes",
			[{"sales_taxes_template": sync_utils.TAX_TEMPLATE, "qbo_tax_code": qbo["california"]}],
		)
		frappe.db.commit()
		self.realm = realm

	def ensure_customer(self) -> None:
		import frappe

		if not frappe.db.exists("Customer", BENCH_CUSTOMER):
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": BENCH_CUSTOMER,
					"customer_type": "Company",
					"customer_group": "Commercial",
					"territory": "United States",
				}
			).insert(ignore_permissions=True)
			frappe.db.commit()

	def restore(self) -> None:
		import frappe
		from frappe.installer import update_site_config

		from qbo_connector.qbo_connector.settings import SETTINGS
		from qbo_connector.qbo_connector.tests import sync_utils

		frappe.db.rollback()
		if "connection" in self.saved:
			sync_utils._restore(self.saved["connection"])
		if "settings" in self.saved:
			settings = frappe.get_single(SETTINGS)
			for key in ("client_id", "environment", "api_base_url", "authorize_url", "token_url", "revoke_url",
				"app_base_url"):  # fmt: skip
				settings.set(key, self.saved["settings"].get(key))
			settings.client_secret = self.saved.get("secret") or ""
			settings.webhook_verifier_token = self.saved.get("verifier") or ""
			settings.save(ignore_permissions=True)
		if "site_config" in self.saved:
			update_site_config(
				"qbo_coalesce_pushes",
				self.saved["site_config"] if self.saved["site_config"] is not None else "None",
			)
		if getattr(self, "realm", None):
			# Webhook rows whose jobs our worker never ran: closed, so nothing looks queued for ever.
			frappe.db.set_value(
				"QBO Sync Log",
				{"realm_id": self.realm, "status": "Queued"},
				{"status": "Skipped", "message": "Benchmark delivery; its job was not run."},
				update_modified=False,
			)
		frappe.db.commit()

	# -- documents ------------------------------------------------------------------------------------------
	def draft(self) -> Any:
		import frappe
		from frappe.utils import add_days, nowdate

		from qbo_connector.qbo_connector.tests import sync_utils

		si = frappe.new_doc("Sales Invoice")
		si.company = sync_utils.COMPANY
		si.customer = BENCH_CUSTOMER
		si.posting_date = nowdate()
		si.due_date = add_days(nowdate(), 30)
		si.currency = "USD"
		si.conversion_rate = 1
		for item_code, qty, rate in ((sync_utils.SERVICE_ITEM, 2, 150.0), (sync_utils.PRODUCT_ITEM, 3, 20.0)):
			si.append("items", {"item_code": item_code, "qty": qty, "rate": rate,
				"income_account": sync_utils.INCOME_ACCOUNT})  # fmt: skip
		si.set_missing_values()
		si.insert(ignore_permissions=True)
		frappe.db.commit()
		return si

	def submit(self, si: Any) -> tuple[float, float]:
		"""Submit and commit (the push job is queued at commit); (wall time at start, seconds taken)."""
		import frappe

		started_wall = time.time()
		started = time.perf_counter()
		si.submit()
		frappe.db.commit()
		return started_wall, time.perf_counter() - started

	def number(self, name: str) -> str:
		from qbo_connector.mapping.invoice import doc_number

		return doc_number(name, "")

	def wait_in_qbo(self, names: list[str], timeout: float) -> dict[str, float]:
		numbers = {self.number(n): n for n in names}
		wait_for(lambda: all(num in self.created.read() for num in numbers), timeout, 0.02,
			f"{len(names)} invoices in QBO")  # fmt: skip
		seen = self.created.read()
		return {name: seen[num] for num, name in numbers.items()}

	def queue_idle(self) -> bool:
		from frappe.utils.background_jobs import get_queue_list, get_redis_conn
		from rq import Queue
		from rq.registry import StartedJobRegistry

		conn = get_redis_conn()
		for name in get_queue_list(build_queue_name=True):
			queue = Queue(name, connection=conn)
			if queue.count or StartedJobRegistry(queue=queue).count:
				return False
		return True

	def jobs_finished(self) -> int:
		from frappe.utils.background_jobs import get_queue_list, get_redis_conn
		from rq import Queue
		from rq.registry import FailedJobRegistry, FinishedJobRegistry

		conn = get_redis_conn()
		total = 0
		for name in get_queue_list(build_queue_name=True):
			queue = Queue(name, connection=conn)
			total += FinishedJobRegistry(queue=queue).count + FailedJobRegistry(queue=queue).count
		return total

	def rows_per_document(self, names: list[str]) -> dict[str, int]:
		"""Push log rows per document, by count (one each, as with a job per document)."""
		import frappe

		rows = frappe.get_all(
			"QBO Sync Log",
			filters={
				"operation": "push",
				"reference_doctype": "Sales Invoice",
				"reference_name": ("in", names),
			},
			fields=["reference_name", "status"],
		)
		per_doc = Counter(row.reference_name for row in rows)
		statuses = Counter(row.status for row in rows)
		return {"documents_with_one_row": sum(1 for n in names if per_doc[n] == 1), **statuses}

	def set_enabled(self, on: bool) -> None:
		import frappe

		from qbo_connector.qbo_connector.settings import CONNECTION
		from qbo_connector.qbo_connector.tests.sync_utils import COMPANY

		frappe.db.set_value(CONNECTION, COMPANY, "enabled", int(on))
		frappe.db.commit()

	# -- the measurements -----------------------------------------------------------------------------------
	def warm_up(self) -> None:
		"""One push in this process (no worker): the customer, items and the company's settings exist in
		QBO and on the connection, so what follows is steady state."""
		import frappe

		from qbo_connector.qbo_connector.tasks import push_document

		with _no_enqueue():
			si = self.draft()
			self.submit(si)
		result = push_document(si.doctype, si.name)
		frappe.db.commit()
		if result["status"] not in ("Success", "Warning"):
			raise RuntimeError(f"warm-up push failed: {result}")

	def submit_pairs(self, pairs: int) -> dict[str, Any]:
		enabled: list[float] = []
		disabled: list[float] = []
		submitted: list[str] = []
		for n in range(pairs):
			order = (True, False) if n % 2 == 0 else (False, True)  # ABBA: drift hits both alike
			for on in order:
				self.set_enabled(on)
				si = self.draft()
				_, took = self.submit(si)
				(enabled if on else disabled).append(took)
				if on:
					submitted.append(si.name)
		self.set_enabled(True)
		med_on, med_off = percentile(enabled, 50), percentile(disabled, 50)
		return {
			"pairs": pairs,
			"enabled_ms_median": med_on * 1000,
			"disabled_ms_median": med_off * 1000,
			"ratio": med_on / med_off,
			"enabled_ms_mean": sum(enabled) / len(enabled) * 1000,
			"disabled_ms_mean": sum(disabled) / len(disabled) * 1000,
			"queued": submitted,
		}

	def idle_latency(self, count: int) -> dict[str, Any]:
		latencies = []
		for _ in range(count):
			wait_for(self.queue_idle, 60, 0.05, "an idle worker")
			time.sleep(0.3)
			si = self.draft()
			started, _took = self.submit(si)
			done = self.wait_in_qbo([si.name], 60)
			latencies.append(done[si.name] - started)
		return {"count": count, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
			"max": max(latencies), "latencies": latencies}  # fmt: skip

	def burst(self, count: int, coalesce: bool) -> dict[str, Any]:
		from frappe.installer import update_site_config

		update_site_config("qbo_coalesce_pushes", int(coalesce))
		wait_for(self.queue_idle, 120, 0.05, "an idle worker")
		drafts = [self.draft() for _ in range(count)]
		jobs_before = self.jobs_finished()
		self.emu.requests(reset=True)
		started: dict[str, float] = {}
		submit_times = []
		for si in drafts:
			at, took = self.submit(si)
			started[si.name] = at
			submit_times.append(took)
		done = self.wait_in_qbo(list(started), 300)
		wait_for(self.queue_idle, 120, 0.05, "the worker to finish")
		requests = self.emu.requests()
		latencies = [done[name] - at for name, at in started.items()]
		update_site_config("qbo_coalesce_pushes", 1)
		total = sum(v for k, v in requests.items() if k != "HTTP 429")
		reads = sum(v for k, v in requests.items() if k.startswith("GET ") or k == "POST query")
		names = list(started)
		return {
			"log_rows": self.rows_per_document(names),
			"links_synced": frappe_count(
				"QBO Link",
				{
					"reference_doctype": "Sales Invoice",
					"reference_name": ("in", names),
					"realm_id": self.realm,
					"state": "Synced",
				},
			),
			"count": count,
			"coalesced": coalesce,
			"p50": percentile(latencies, 50),
			"p95": percentile(latencies, 95),
			"max": max(latencies),
			"submits_seconds": sum(submit_times),
			"jobs_run": self.jobs_finished() - jobs_before,
			"requests": total,
			"reads": reads,
			"throttled": requests.get("HTTP 429", 0),
			"by_kind": requests,
			"latencies": latencies,
		}

	def webhooks(self, count: int) -> dict[str, Any]:
		"""gunicorn (as a production bench serves Frappe, with the bench's gunicorn_workers) on a port of our
		own; `count` signed deliveries posted at once, each on its own connection; time until each is
		answered. The RQ worker is stopped first: the jobs the deliveries queue would otherwise start at once
		and compete with the web workers for the same two cores; what is measured is the endpoint."""
		import frappe
		import requests

		self.stop_worker()
		port = self.args.web_port or free_port()
		workers = int(
			self.args.web_workers
			or frappe.get_conf().get("gunicorn_workers")
			or 2 * (os.cpu_count() or 1) + 1
		)
		log = (self.workdir / "gunicorn.log").open("a")
		proc = subprocess.Popen(
			[str(Path(sys.executable).parent / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(workers),
				"-t", "120", "--preload", "frappe.app:application"],
			cwd=os.getcwd(), env=self.env, stdout=log, stderr=subprocess.STDOUT,
		)  # fmt: skip
		url = f"http://127.0.0.1:{port}/api/method/qbo_connector.qbo_connector.webhook.receive"
		headers = {"Host": self.args.site, "Content-Type": "application/json"}
		try:
			wait_for(lambda: _answers(f"http://127.0.0.1:{port}/api/method/ping", self.args.site), 90, 0.2,
				"gunicorn")  # fmt: skip
			bodies = []
			for n in range(count + workers * 2):
				body = json.dumps({"eventNotifications": [{"realmId": self.realm, "dataChangeEvent": {"entities": [
					{"name": "Customer", "id": str(1000 + n), "operation": "Update",
						"lastUpdated": f"2026-01-01T00:00:{n % 60:02d}.{n:03d}Z"}]}}]}).encode()  # fmt: skip
				signature = base64.b64encode(
					hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()
				).decode()
				bodies.append((body, signature))
			# Warm every gunicorn worker: a worker's first delivery pays for importing the app (half a second),
			# which a running site has long paid. Rounds of deliveries at once, so each worker gets some.
			for _round in range(3):
				warm = [
					threading.Thread(
						target=requests.post,
						args=(url,),
						kwargs={"data": body, "headers": {**headers, "intuit-signature": sig}, "timeout": 30},
					)
					for body, sig in bodies[count:]
				]
				for thread in warm:
					thread.start()
				for thread in warm:
					thread.join()
			bodies = bodies[:count]  # not delivered yet: a repeated body would be answered "already queued"
			barrier = threading.Barrier(count)
			times: list[float] = [0.0] * count
			statuses: list[int] = [0] * count

			def deliver(i: int) -> None:
				session = requests.Session()
				body, signature = bodies[i]
				barrier.wait()
				started = time.perf_counter()
				answer = session.post(
					url, data=body, headers={**headers, "intuit-signature": signature}, timeout=60
				)
				times[i] = time.perf_counter() - started
				statuses[i] = answer.status_code

			threads = [threading.Thread(target=deliver, args=(i,)) for i in range(count)]
			for thread in threads:
				thread.start()
			for thread in threads:
				thread.join()
		finally:
			proc.terminate()
			try:
				proc.wait(15)
			except subprocess.TimeoutExpired:
				proc.kill()
		return {
			"count": count,
			"server": f"gunicorn, {workers} workers",
			"p50": percentile(times, 50),
			"p99": percentile(times, 99),
			"max": max(times),
			"statuses": dict(Counter(statuses)),
		}


def frappe_count(doctype: str, filters: dict[str, Any]) -> int:
	import frappe

	return frappe.db.count(doctype, filters)


def _pings(conn: Any) -> bool:
	try:
		return bool(conn.ping())
	except Exception:  # noqa: BLE001 - not up yet
		return False


def _answers(url: str, site: str) -> bool:
	import requests

	try:
		return requests.get(url, headers={"Host": site}, timeout=2).status_code == 200
	except requests.RequestException:
		return False


class _no_enqueue:
	"""The warm-up push runs here; the job its submit would queue is not wanted."""

	def __enter__(self) -> None:
		from unittest.mock import patch

		self._patch = patch("frappe.enqueue")
		self._patch.start()

	def __exit__(self, *exc: object) -> None:
		self._patch.stop()


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--workdir", required=True)
	parser.add_argument("--pairs", type=int, default=30)
	parser.add_argument("--idle", type=int, default=12)
	parser.add_argument("--burst", type=int, default=50)
	parser.add_argument("--burst-before", type=int, default=20)
	parser.add_argument("--webhooks", type=int, default=50)
	parser.add_argument("--web-port", type=int, default=0)
	parser.add_argument("--sections", default="submit,idle,burst,webhooks")
	parser.add_argument("--web-workers", type=int, default=0, help="0: the bench's gunicorn_workers")
	args = parser.parse_args()
	Path(args.workdir).mkdir(parents=True, exist_ok=True)
	site = Site(args)
	out: dict[str, Any] = {"site": args.site}
	started = time.perf_counter()
	try:
		site.start_redis()
		site.connect_site()
		problem = site.check_site()
		if problem:
			out["skipped"] = problem
		else:
			import frappe

			out["versions"] = {app: frappe.get_attr(f"{app}.__version__") for app in ("frappe", "erpnext")}
			site.setup()
			site.warm_up()
			want = set(args.sections.split(","))
			if "submit" in want:
				out["submit"] = site.submit_pairs(args.pairs)
			site.start_worker()
			if "submit" in want:
				site.wait_in_qbo(out["submit"].pop("queued"), 300)  # the pairs' pushes, drained
			if "idle" in want:
				out["idle"] = site.idle_latency(args.idle)
			if "burst" in want and args.burst_before:
				out["burst_before"] = site.burst(args.burst_before, coalesce=False)
			if "burst" in want:
				out["burst"] = site.burst(args.burst, coalesce=True)
			if "webhooks" in want and args.webhooks:
				out["webhooks"] = site.webhooks(args.webhooks)
	finally:
		try:
			site.stop_all()
		finally:
			try:
				site.restore()
			except Exception as exc:  # noqa: BLE001 - reported, the measurements still count
				out["restore_error"] = repr(exc)
	out["seconds"] = round(time.perf_counter() - started, 1)
	sys.stdout.write(json.dumps(out, default=str) + "\n")


if __name__ == "__main__":
	main()
