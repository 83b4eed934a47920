"""Pushes waiting in the queue for one QBO company go out together, up to 30 to a batch request.

Each submit queues its own push job (events.py: one job id per document, deduplicated). An RQ worker runs one
job at a time, each in a new work-horse process that needs 2-3 s before it sends anything, so twenty invoices
submitted back to back reached QuickBooks a job at a time, the last after half a minute. Now the push job
that starts first also takes, from the queue it came from, the push jobs still waiting there for documents of
the same company, and sends them all with SyncEngine.push_many: customers and items first, the documents 30
to a batch request. Then it looks again, so a burst still being submitted rides along (bounded by
MAX_SECONDS).

What each document's own job promised still holds:
* One log row per document, written by the engine as before (push_many adds its summary row).
* Taking a job out of the queue is atomic (LREM in a Lua script): two workers never take the same one, and a
  job a worker already started is not in the queue. The taken job is deleted at once, so a later change to
  the document (due date) queues a new job, as deduplication expects; the push reads the document after the
  take, so nothing committed before it is missed.
* Nothing is lost if the worker dies: each taken job is written to a Redis hash (atomically with the take)
  until its document has been pushed; the sweep (tasks.sweep_interrupted, every 5 minutes) queues the job
  again for any entry whose taker has ended. A failure inside push_many queues the untouched ones again
  at once.
Set `qbo_coalesce_pushes: 0` in site_config.json to send every document in its own job as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import frappe

SALES_INVOICE = "Sales Invoice"
PAYMENT_ENTRY = "Payment Entry"
# The kinds whose queued pushes are taken, in the order they are sent: invoices first, as a payment in the same
# run may pay one of them. A kind not listed is pushed by its own job, alone, as before.
ORDER = (SALES_INVOICE, PAYMENT_ENTRY)
MAX_PER_ROUND = 90  # documents taken at a time: three batch requests
MAX_SECONDS = 120.0  # then stop taking; what still waits is the next job's (RQ's default timeout is 300 s)
SCAN = 1000  # queued jobs looked at per round
CLAIMS_KEY = "qbo:coalesce:claims:"  # + site: hash of taken RQ job id -> JSON {taker, doctype, name, queue}

# KEYS: queue list, claims hash, the job's hash. ARGV: job id, claim JSON.
_TAKE = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
	redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
	redis.call('DEL', KEYS[3])
	return 1
end
return 0
"""

Tell = Callable[[str, str, str, str], None]


def enabled() -> bool:
	"""Only inside an RQ job (a test or the console runs the push it was asked for), unless switched off."""
	from rq import get_current_job

	return bool(frappe.conf.get("qbo_coalesce_pushes", 1)) and get_current_job() is not None


def push_document(engine: Any, doctype: str, name: str, tell: Tell, push_job: str) -> Any:
	"""Push one document (the job's own) and the queued pushes of its company; the own SyncResult."""
	from rq import get_current_job
	from rq.queue import Queue

	job = get_current_job()
	if job is None or not job.origin or doctype not in ORDER:
		return engine.push(doctype, name)
	company = frappe.db.get_value(doctype, name, "company")
	if not company:
		return engine.push(doctype, name)
	queue = Queue(job.origin, connection=job.connection)
	taken = take_queued(queue, company, push_job, job.id)
	if not taken:
		return engine.push(doctype, name)
	own = None
	work = [(doctype, name), *taken]
	deadline = time.monotonic() + MAX_SECONDS
	while work:
		for result in _push_all(engine, work, queue, push_job):
			if (result.doctype, result.name) == (doctype, name):
				own = result  # the caller tells its own document, as for a single push
			else:
				tell(result.doctype, result.name, result.status, result.message)
		if time.monotonic() > deadline:
			break
		work = take_queued(queue, company, push_job, job.id)
	if own is None:  # push_many skipped nothing silently; this is a guard, not a path
		own = engine.push(doctype, name)
	return own


def _push_all(engine: Any, work: list[tuple[str, str]], queue: Any, push_job: str) -> list[Any]:
	"""push_many per doctype. Then the claims are dropped; a document push_many did not reach (it raised
	half way) has its job queued again (work[0], the running job's own, is not: its job fails instead)."""
	results: list[Any] = []
	done: set[tuple[str, str]] = set()
	try:
		for doctype in ORDER:
			names = [n for d, n in work if d == doctype]
			if not names:
				continue
			summary = engine.push_many(doctype, names)
			frappe.db.commit()
			for result in summary.results:
				results.append(result)
				done.add((result.doctype, result.name))
	finally:
		left = [(d, n) for d, n in work[1:] if (d, n) not in done]
		_requeue(left, queue, push_job)
		_release(queue.connection, [push_job_key(d, n) for d, n in work])
	return results


# -- taking queued jobs -----------------------------------------------------------------------------------
def push_job_key(doctype: str, name: str) -> str:
	"""The RQ job id of a document's push job (frappe.enqueue prefixes the site to tasks.push_job_id)."""
	from frappe.utils.background_jobs import create_job_id

	from qbo_connector.qbo_connector.tasks import push_job_id

	return create_job_id(push_job_id(doctype, name))  # "site::id" on v15, "site||id" on v16 (RQ 2)


def take_queued(queue: Any, company: str, push_job: str, taker: str) -> list[tuple[str, str]]:
	"""Take out of `queue` the push jobs of this site waiting for documents of `company` (at most
	MAX_PER_ROUND); returns their (doctype, name)."""
	from rq.job import Job

	connection = queue.connection
	site = frappe.local.site
	waiting: list[tuple[Any, str, str]] = []
	for job in Job.fetch_many(queue.get_job_ids(0, SCAN), connection=connection):
		if job is None:
			continue
		try:
			kwargs = job.kwargs or {}
		except Exception:  # noqa: BLE001 - a job this code cannot read is not one of ours
			continue
		args = kwargs.get("kwargs") or {}
		if kwargs.get("site") != site or kwargs.get("method") != push_job:
			continue
		if args.get("doctype") in ORDER and args.get("name"):
			waiting.append((job, args["doctype"], args["name"]))
	if not waiting:
		return []
	companies: dict[tuple[str, str], str] = {}
	for doctype in ORDER:
		names = [n for _, d, n in waiting if d == doctype]
		if names:
			for row in frappe.get_all(doctype, {"name": ("in", names)}, ["name", "company"]):
				companies[(doctype, row.name)] = row.company
	script = connection.register_script(_TAKE)
	claims = CLAIMS_KEY + site
	taken: list[tuple[str, str]] = []
	for job, doctype, name in waiting:
		if len(taken) >= MAX_PER_ROUND:
			break
		if companies.get((doctype, name)) != company:
			continue
		claim = json.dumps({"taker": taker, "doctype": doctype, "name": name, "queue": queue.name})
		if script(keys=[queue.key, claims, job.key], args=[job.id, claim]) == 1:
			taken.append((doctype, name))
	return taken


def _release(connection: Any, job_ids: list[str]) -> None:
	if job_ids:
		connection.hdel(CLAIMS_KEY + frappe.local.site, *job_ids)


def _requeue(work: list[tuple[str, str]], queue: Any, push_job: str) -> None:
	"""Queue the push job of each document again (after a failure, or for a taker that died)."""
	from frappe.utils.background_jobs import generate_qname

	from qbo_connector.qbo_connector.tasks import push_job_id

	short = next((q for q in ("default", "short", "long") if generate_qname(q) == queue.name), "default")
	for doctype, name in work:
		frappe.enqueue(
			push_job,
			queue=short,
			job_id=push_job_id(doctype, name),
			deduplicate=True,
			doctype=doctype,
			name=name,
		)


def requeue_orphans(push_job: str) -> int:
	"""Sweep: queue again the taken jobs whose taker ended without pushing them (its worker died)."""
	from frappe.utils.background_jobs import get_queue, get_redis_conn

	from qbo_connector.qbo_connector.store import job_has_ended

	connection = get_redis_conn()
	claims = CLAIMS_KEY + frappe.local.site
	orphans: dict[str, tuple[str, str]] = {}
	for job_id, raw in (connection.hgetall(claims) or {}).items():
		job_id = job_id.decode() if isinstance(job_id, bytes) else job_id
		try:
			claim = json.loads(raw)
		except ValueError:
			connection.hdel(claims, job_id)
			continue
		if job_has_ended(str(claim.get("taker"))):
			orphans[job_id] = (claim.get("doctype"), claim.get("name"))
	if not orphans:
		return 0
	_requeue(list(orphans.values()), get_queue("default"), push_job)
	connection.hdel(claims, *orphans)
	return len(orphans)
