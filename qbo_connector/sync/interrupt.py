"""No attempt left open: log rows a dead worker left Started are closed as "Interrupted".

A worker killed in the middle of a job (out of memory, a restart, RQ's hard timeout) cannot close the rows
it opened: every document of a push_many run, and the run's own bulk row, would say "Running" for ever.
Two things close them instead, saying what is known:

(a) A later attempt at the same thing ends (same realm, operation, doctype and name; push and cancel are
    separate things). Attempt.finish closes the rows of that key opened before it; the later row carries
    the document's fate from then on, so the interrupted one is not retried. A later attempt that could not
    get the document's lock (LOCKED) proves nothing - the lock's holder may be the earlier attempt - and
    closes nothing.
(b) The sweep (SyncEngine.sweep_interrupted, on the scheduler) closes any row still Started after a
    timeout longer than any job may run (and, sooner, rows whose background job the store knows has
    ended: Store.stale_attempts). With no later attempt, a document's row becomes retryable at once
    (next_retry_at = now), so retry_due sends the document again; the push looks up a create that may have
    landed before it sends anything, so nothing is doubled. A row whose document keeps killing the worker
    stops being retried after MAX_INTERNAL_ATTEMPTS, like any internal error.

If the worker was alive after all (a very slow job, a lock wait), its own finish later overwrites
Interrupted with what really happened: the store only interrupts a row that is still Started, and a finish
always writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .outcome import LOCKED_CODE, MAX_INTERNAL_ATTEMPTS
from .store import LogEntry, LogOutcome, LogStatus, Store

INTERRUPTED: LogStatus = "Interrupted"
INTERRUPTED_CODE = "INTERRUPTED"
# Operations whose rows name one thing the engine can do again (SyncEngine._rerun): a later attempt at the
# same key supersedes an open one, and an interrupted one with no later attempt is retried.
RERUN_OPERATIONS = ("push", "cancel", "pull", "pull_entity")
# The sweep's default timeout. It must be longer than any job that opens rows may run, or a live (slow)
# job would be reported interrupted: the Frappe layer runs its longest jobs (push_many, Sync Now / Re-sync
# All, pulls) with an RQ timeout of one hour (tasks.LONG_JOB_TIMEOUT), and passes its own ATTEMPT_TIMEOUT
# derived from that; this default is the same hour plus a quarter for slack.
DEFAULT_ATTEMPT_TIMEOUT = timedelta(minutes=75)

_STOPPED = "Interrupted: the worker running this attempt stopped before it ended"


def when(value: datetime | None) -> str:
	"""A timestamp for a log message (UTC, to the second)."""
	if value is None:
		return "an unknown time"
	if value.tzinfo is None:
		value = value.replace(tzinfo=timezone.utc)
	return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ended_at(entry: LogEntry) -> datetime | None:
	"""When a closed row's attempt ended (it started, then ran duration_ms)."""
	if entry.started_at is None:
		return None
	return entry.started_at + timedelta(milliseconds=entry.duration_ms or 0)


def _with_earlier(sentence: str, entry: LogEntry) -> str:
	"""Keep what the row said before it was closed (a webhook row names its events)."""
	return f"{sentence} {entry.message}".strip() if entry.message else sentence


def close_superseded(
	store: Store,
	entry: LogEntry,
	log_id: str,
	status: LogStatus,
	ended: datetime,
	code: str | None = None,
) -> list[str]:
	"""(a): the attempt `log_id` (described by entry) ended with status; close the rows of its key still
	Started that were opened before it. Returns the ids closed."""
	if entry.operation not in RERUN_OPERATIONS or status == "Started" or code == LOCKED_CODE:
		return []
	closed = []
	sentence = f"{_STOPPED}; a later attempt {log_id} ended {status} at {when(ended)}."
	for old in store.open_attempts(entry.realm_id, entry.operation, entry.doctype, entry.name, before=log_id):
		if old.id is None or old.id == log_id:
			continue
		outcome = LogOutcome(
			status=INTERRUPTED,
			message=_with_earlier(sentence, old),
			error_code=INTERRUPTED_CODE,
			retryable=False,
			next_retry_at=None,
			qbo_entity=old.qbo_entity,
			qbo_id=old.qbo_id,
		)
		if store.interrupt_log(old.id, outcome):
			closed.append(old.id)
	return closed


def sweep(
	store: Store,
	now: datetime,
	older_than: timedelta,
	fingerprint: Callable[[LogEntry], str | None] | None = None,
) -> list[LogEntry]:
	"""(b): close every row still Started that began before now - older_than. Returns the rows closed,
	as they read afterwards."""
	closed = []
	for entry in store.stale_attempts(now - older_than):
		if entry.id is None:
			continue
		outcome = interrupted_outcome(store, entry, now, fingerprint)
		if store.interrupt_log(entry.id, outcome):
			closed.append(store.get_log(entry.id) or entry)
	return closed


def interrupted_outcome(
	store: Store,
	entry: LogEntry,
	now: datetime,
	fingerprint: Callable[[LogEntry], str | None] | None = None,
) -> LogOutcome:
	"""What the sweep writes on one stale row: what became of the work, and whether it is retried."""
	minutes = int((now - entry.started_at).total_seconds() // 60) if entry.started_at else None
	stopped = (
		f"{_STOPPED} (still open {minutes} minutes after it started)" if minutes is not None else _STOPPED
	)
	later = None
	if entry.operation in RERUN_OPERATIONS:
		later = store.last_attempt(entry.realm_id, entry.operation, entry.doctype, entry.name)
		if later is not None and later.id == entry.id:
			later = None
	retryable = False
	retry_at = None
	doc_fingerprint = None
	if later is not None and later.status == "Started":
		sentence = (
			f"{stopped}; a later attempt {later.id}, opened at {when(later.started_at)}, is still open."
		)
	elif later is not None:
		sentence = f"{stopped}; a later attempt {later.id} ended {later.status} at {when(ended_at(later))}."
	elif entry.operation in RERUN_OPERATIONS:
		if entry.attempts >= MAX_INTERNAL_ATTEMPTS:
			sentence = (
				f"{stopped}; no later attempt. Stopped retrying after {entry.attempts} attempts: tell your "
				"administrator, who should look for what stopped the worker (memory, a restart) in the "
				"worker's logs; the attempt is tried again when the document or its mappings change, or "
				"with Retry."
			)
			doc_fingerprint = fingerprint(entry) if fingerprint is not None else None
		else:
			sentence = f"{stopped}; no later attempt, so it is retried automatically."
			retryable, retry_at = True, now
	elif entry.operation in ("bulk", "auto_push"):
		sentence = (
			f"{stopped}; no later attempt. Each document it had reached has a row of its own, closed and "
			"retried the same way; documents it had not reached yet are still waiting: Sync Now (or "
			"auto-push, when it is on) sends every submitted document that is not in QuickBooks."
		)
	elif entry.operation == "webhook":
		sentence = (
			f"{stopped}; no later attempt. The scheduled pull reads the changes it named from QuickBooks."
		)
	else:
		sentence = f"{stopped}; no later attempt. Do it again if it is still needed."
	return LogOutcome(
		status=INTERRUPTED,
		message=_with_earlier(sentence, entry),
		error_code=INTERRUPTED_CODE,
		retryable=retryable,
		next_retry_at=retry_at,
		qbo_entity=entry.qbo_entity,
		qbo_id=entry.qbo_id,
		doc_fingerprint=doc_fingerprint,
	)
