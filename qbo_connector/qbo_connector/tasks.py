"""Background jobs of the Frappe module. Each one is small: find what to do, hand it to the sync engine.

Nothing here runs in a web request: doc_events, the desk buttons and the webhook endpoint only enqueue
these. Every job commits what the engine did and tells the desk how it went over realtime.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, get_datetime, now_datetime

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo_connector.client import client_for_realm
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.sync import kinds

PUSH_JOB = "qbo_connector.qbo_connector.tasks.push_document"
CANCEL_JOB = "qbo_connector.qbo_connector.tasks.cancel_document"
PUSH_MANY_JOB = "qbo_connector.qbo_connector.tasks.push_many"
PULL_JOB = "qbo_connector.qbo_connector.tasks.pull_connection"
SYNC_JOB = "qbo_connector.qbo_connector.tasks.sync_company"
WEBHOOK_JOB = "qbo_connector.qbo_connector.tasks.handle_webhook"
PUSH_WAITING_JOB = "qbo_connector.qbo_connector.tasks.push_waiting"
IMPORT_JOB = "qbo_connector.qbo_connector.tasks.import_history"
PROGRESS_EVENT = "qbo_sync_progress"
PUSHED_DOCTYPES = kinds.doctypes()  # every doctype some document kind sends (sync/kinds)
LONG_JOB_TIMEOUT = 3600
# After this long a QBO Sync Log row still Running (or Queued) belongs to a worker that is gone, and the sweep
# closes it as Interrupted. It must be longer than any job that opens rows may run, or a slow but live job
# would be reported interrupted: the longest run under RQ's LONG_JOB_TIMEOUT (push_many, Sync Now / Re-sync
# All, pulls: one hour; RQ kills a job's work horse a minute after its timeout); scheduler jobs and
# per-document pushes run under Frappe's queue timeouts (300 s, 1500 s on the long queue). A quarter of an
# hour of slack on top of the longest.
ATTEMPT_TIMEOUT = timedelta(seconds=LONG_JOB_TIMEOUT) + timedelta(minutes=15)


def push_job_id(doctype: str, name: str) -> str:
	"""One queued push per document: a second submit event or button press while it waits is a no-op."""
	return f"qbo-push::{doctype}::{name}"


def cancel_job_id(doctype: str, name: str) -> str:
	return f"qbo-cancel::{doctype}::{name}"


def many_job_id(doctype: str, names: list[str]) -> str:
	digest = hashlib.sha256(json.dumps([doctype, sorted(names)]).encode()).hexdigest()[:20]
	return f"qbo-push-many::{digest}"


def get_engine(client_for: Callable[[str], QBOClient] | None = None):
	"""The sync engine over this site's database, with one QBOClient per QBO company for this job."""
	from qbo_connector.qbo_connector.store import FrappeStore
	from qbo_connector.sync.engine import SyncEngine

	return SyncEngine(FrappeStore(), client_for or _client_cache())


def _client_cache() -> Callable[[str], QBOClient]:
	"""client_for_realm, memoised for the engine's lifetime (a job): settings are read once per job."""
	clients: dict[str, QBOClient] = {}

	def client_for(realm_id: str) -> QBOClient:
		if realm_id not in clients:
			clients[realm_id] = client_for_realm(realm_id)
		return clients[realm_id]

	return client_for


def _as_system_user() -> None:
	"""Jobs enqueued by the (guest) webhook run as Guest; ERPNext's own checks need a real user."""
	if frappe.session.user in (None, "Guest"):
		frappe.set_user("Administrator")


def _progress(key: str, title: str, done: int, total: int, message: str = "", finished: bool = False) -> None:
	"""Progress for the desk (qbo_sync.js shows a bar for the key it was given when it enqueued)."""
	frappe.publish_realtime(
		PROGRESS_EVENT,
		{
			"key": key,
			"title": title,
			"done": done,
			"total": total,
			"message": message,
			"finished": finished,
		},
		user=frappe.session.user,
	)


def retry_log(log: str) -> None:
	"""Job behind the Retry button: re-run the attempt a QBO Sync Log row describes.

	The engine writes a new log row (retry_of = this one) with the outcome; the old row stays as it was.
	"""
	if not frappe.db.exists("QBO Sync Log", log):
		return
	get_engine().retry(log)
	frappe.db.commit()


def import_job_id(company: str) -> str:
	return f"qbo-import::{company}"


def import_history(
	company: str, start: str, end: str, kinds: list[str], key: str | None = None
) -> dict[str, Any]:
	"""Job behind "Import from QuickBooks": resumable and idempotent (sync/history.py), with a progress bar."""
	_as_system_user()
	key = key or import_job_id(company)
	title = _("Importing from QuickBooks into {0}").format(company)

	def progress(done: int, total: int, message: str) -> None:
		_progress(key, title, done, total, message)
		frappe.publish_progress(
			100 * done / total if total else 100, title=title, description=message, task_id=key
		)

	from qbo_connector.qbo_connector.reconciliation import read_budget

	result = get_engine().import_history(company, start, end, kinds, progress=progress, budget=read_budget())
	frappe.db.commit()
	_progress(key, title, 1, 1, result.message, finished=True)
	return result.as_dict()


# -- one document ---------------------------------------------------------------------------------------------


def push_document(doctype: str, name: str) -> dict[str, Any]:
	"""Job behind on_submit, on_update_after_submit and "Push to QuickBooks": send one document, and the
	pushes still queued for the same company with it, in batch requests (coalesce.py). (Its log row tells the
	open form how it went when it closes: FrappeStore.finish_log.)"""
	from qbo_connector.qbo_connector import coalesce

	_as_system_user()
	engine = get_engine()
	if coalesce.enabled():
		# Each document's own log row tells its open form when it closes (FrappeStore.finish_log), so the
		# coalesced pushes need no extra message.
		result = coalesce.push_document(engine, doctype, name, lambda *_args: None, PUSH_JOB)
	else:
		result = engine.push(doctype, name)
	frappe.db.commit()
	return {"status": result.status, "message": result.message, "log": result.log_id}


def cancel_document(doctype: str, name: str) -> dict[str, Any]:
	"""Job behind on_cancel: void the QBO twin of a cancelled document (never linked: Skipped)."""
	_as_system_user()
	result = get_engine().cancel(doctype, name)
	frappe.db.commit()
	return {"status": result.status, "message": result.message, "log": result.log_id}


def push_waiting(company: str) -> dict[str, Any]:
	"""Job run when a connection can be used again (reconnected, enabled): send every document logged as
	Waiting for it (events.py), each as a retry of its waiting row, so the row points at what happened."""
	_as_system_user()
	rows = frappe.get_all(
		"QBO Sync Log",
		filters={"company": company, "status": "Waiting", "later_attempt": ("is", "not set")},
		pluck="name",
		order_by="creation asc",
	)
	engine = get_engine()
	for log in rows:
		engine.retry(log)
		frappe.db.commit()
	return {"sent": len(rows)}


def enqueue_push_waiting(company: str) -> None:
	"""Queue push_waiting for a company (once: a second reconnect while it waits is the same job)."""
	if not frappe.db.exists(
		"QBO Sync Log", {"company": company, "status": "Waiting", "later_attempt": ("is", "not set")}
	):
		return
	frappe.enqueue(
		PUSH_WAITING_JOB,
		queue="long",
		timeout=LONG_JOB_TIMEOUT,
		job_id=f"qbo-push-waiting::{company}",
		deduplicate=True,
		enqueue_after_commit=True,
		company=company,
	)


# -- many documents -------------------------------------------------------------------------------------------


def push_many(doctype: str, names: list[str], key: str | None = None) -> dict[str, Any]:
	"""Job behind the list view's "Push to QuickBooks": batch requests, a summary log row, a progress bar."""
	key = key or many_job_id(doctype, names)
	title = _("Pushing {0} to QuickBooks").format(_(doctype))
	_progress(key, title, 0, len(names))
	summary = get_engine().push_many(
		doctype, names, progress=lambda done, total: _progress(key, title, done, total)
	)
	frappe.db.commit()
	counts = summary.as_dict()
	message = _summary_message(doctype, counts)
	_progress(key, title, summary.total, summary.total, message, finished=True)
	return counts


def _summary_message(doctype: str, counts: dict[str, Any]) -> str:
	return _("{0}: {1} sent, {2} updated, {3} unchanged, {4} skipped, {5} failed.").format(
		_(doctype),
		counts.get("created", 0),
		counts.get("updated", 0),
		counts.get("unchanged", 0),
		counts.get("skipped", 0),
		counts.get("failed", 0),
	)


def sync_company(company: str, full: bool = False, key: str | None = None) -> dict[str, Any]:
	"""Job behind "Sync Now" (pull, then push what is not in QBO yet) and "Re-sync All" (a full pull from
	scratch, then every submitted document again: missing ones are created, linked ones updated)."""
	from qbo_connector.qbo_connector.store import FrappeStore

	_as_system_user()
	key = key or f"qbo-sync::{company}"
	title = _("Re-syncing {0} with QuickBooks") if full else _("Syncing {0} with QuickBooks")
	title = title.format(company)
	engine = get_engine()
	store: FrappeStore = engine.store
	config = store.get_config(company)
	if config is None or not config.enabled:
		message = _("{0} has no enabled QuickBooks connection.").format(company)
		_progress(key, title, 0, 0, message, finished=True)
		return {"message": message}
	_progress(key, title, 0, 1, _("Reading changes from QuickBooks"))
	spent = full and _reads_spent(config.realm_id)
	if spent:  # the month's reads are used up: changes only, not everything again
		full = False
	pulled = _pull(engine, company, full=full)
	work = {
		doctype: _pushable_names(store, company, enabled, full)
		for doctype, enabled in engine.pushable(config).items()
	}
	total = sum(len(names) for names in work.values())
	done = 0
	messages = [spent, pulled.message] if spent else [pulled.message]
	for doctype, names in work.items():
		if not names:
			continue
		base = done
		summary = engine.push_many(
			doctype,
			names,
			progress=lambda n, _total, base=base, doctype=doctype: _progress(
				key, title, base + n, total, _("Sending {0}").format(_(doctype))
			),
		)
		frappe.db.commit()
		done += len(names)
		messages.append(_summary_message(doctype, summary.as_dict()))
	if total == 0:
		messages.append(_("Nothing waiting to be sent."))
	message = " ".join(m for m in messages if m)
	_progress(key, title, max(total, 1), max(total, 1), message, finished=True)
	return {"message": message, "pull": pulled.status, "pushed": total}


def _reads_spent(realm_id: str) -> str:
	"""Why everything is not read again this month (the read allowance is used up), or ""."""
	from qbo_connector.qbo.budget import ReadBudgetSpent
	from qbo_connector.qbo_connector.budget import FrappeReadBudget

	try:
		FrappeReadBudget().check_deferrable(realm_id, "reading everything from QuickBooks again")
	except ReadBudgetSpent as exc:
		return exc.user_message + " " + _("Only the changes since the last pull were read.")
	return ""


def _pushable_names(store: Any, company: str, enabled: list[kinds.Kind], full: bool) -> list[str]:
	"""The documents of a doctype Sync Now sends (not in QBO yet) or Re-sync All sends (all submitted), of
	the kinds whose switch is on."""
	names: dict[str, None] = {}
	for kind in enabled:
		found = (
			_all_pushable(company, kind)
			if full
			else store.list_unsynced(company, kind.doctype, now_utc(), kind.list_filters())
		)
		for name in found:
			names.setdefault(name)
	return list(names)


def _all_pushable(company: str, kind: kinds.Kind) -> list[str]:
	filters: dict[str, Any] = {"company": company, "docstatus": 1}
	for field, want in kind.list_filters().items():
		filters[field] = ("is", "not set") if want is None else want
	return frappe.get_all(
		kind.doctype, filters=filters, pluck="name", order_by=f"{kind.date_field} asc, name asc"
	)


def now_utc():
	from qbo_connector.sync.base import utcnow

	return utcnow()


# -- pulls ------------------------------------------------------------------------------------------------


def _pull(engine, company: str, full: bool = False):
	"""One pull of a company; full forgets the watermark first, so everything is read again."""
	frappe.db.set_value(CONNECTION, company, "last_pull_at", now_datetime(), update_modified=False)
	if full:
		frappe.db.set_value(CONNECTION, company, "watermarks", None, update_modified=False)
	frappe.db.commit()
	result = engine.pull(company=company)
	frappe.db.commit()
	return result


def pull_connection(company: str, full: bool = False) -> dict[str, Any]:
	"""Job: apply QBO changes of one company since its watermark."""
	_as_system_user()
	result = _pull(get_engine(), company, full=full)
	return {"status": result.status, "message": result.message, "log": result.log_id}


def _connections(**filters: Any) -> list[Any]:
	return frappe.get_all(
		CONNECTION,
		filters={"enabled": 1, "status": "Connected", **filters},
		fields=["name", "pull_interval_minutes", "last_pull_at", "auto_push_hours"],
	)


def scheduled_pull() -> None:
	"""Cron every few minutes: enqueue a pull of each connection whose Pull Interval has passed."""
	now = now_datetime()
	for row in _connections():
		interval = int(row.pull_interval_minutes or 0)
		if interval <= 0:
			continue
		# A minute of slack: the cron and the interval tick at slightly different moments.
		if row.last_pull_at and get_datetime(row.last_pull_at) > add_to_date(now, minutes=-(interval - 1)):
			continue
		frappe.enqueue(
			PULL_JOB,
			queue="long",
			timeout=LONG_JOB_TIMEOUT,
			job_id=f"qbo-pull::{row.name}",
			deduplicate=True,
			company=row.name,
		)


def retry_due() -> None:
	"""Cron: retry failed attempts whose backoff has passed (and bad data someone has since fixed)."""
	if not _connections():
		return
	_as_system_user()
	get_engine().retry_due()
	frappe.db.commit()


def sweep_interrupted() -> None:
	"""Cron: close as Interrupted the log rows a dead worker left Running past ATTEMPT_TIMEOUT; a document
	attempt with no later attempt becomes due, and the next retry_due sends it again."""
	from qbo_connector.qbo_connector import coalesce

	_as_system_user()
	get_engine().sweep_interrupted(older_than=ATTEMPT_TIMEOUT)  # reads and closes rows; no QBO call
	frappe.db.commit()
	try:
		coalesce.requeue_orphans(PUSH_JOB)  # push jobs a dead worker had taken from the queue
	except Exception:  # noqa: BLE001 - Redis down: the next sweep tries again
		frappe.log_error(title="QuickBooks: could not re-queue pushes taken by a stopped worker")


def auto_push() -> None:
	"""Hourly: push what was submitted more than Auto Push Hours ago and is still not in QBO."""
	engine = None
	for row in _connections(auto_push_hours=(">", 0)):
		engine = engine or get_engine()
		engine.auto_push(row.name, older_than=timedelta(hours=float(row.auto_push_hours)))
		frappe.db.commit()


# -- webhooks ---------------------------------------------------------------------------------------------


def handle_webhook(body: str, log: str | None = None) -> dict[str, Any]:
	"""Job behind the webhook endpoint: re-read what the events name and apply it; close the log row."""
	from qbo_connector.qbo.webhooks import parse_events

	_as_system_user()
	result = get_engine().handle_webhook(parse_events(body))
	frappe.db.commit()
	if log and frappe.db.exists("QBO Sync Log", log):
		frappe.db.set_value(
			"QBO Sync Log",
			log,
			{
				"status": "Warning" if result.failed else "Success",
				"message": result.message,
				"error_message": result.message if result.failed else None,
			},
			update_modified=False,
		)
		frappe.db.commit()
	return {"status": result.status, "message": result.message}
