"""No attempt left open, and internal errors retried a bounded number of times (issue 9, parts 4 and 5).

A worker that dies (killed, out of memory, restarted) cannot close the log rows it opened. Here it "dies" by a
BaseException escaping from the QBO client (KeyboardInterrupt, SystemExit), which the engine, rightly, does
not catch: its rows stay Started, as they would after a SIGKILL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sync_support import Clock, many_invoices

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import LogEntry, MemoryStore, SyncEngine, SyncError
from qbo_connector.sync.base import Attempt
from qbo_connector.sync.interrupt import DEFAULT_ATTEMPT_TIMEOUT
from qbo_connector.sync.outcome import INTERNAL_CODE, LOCKED_CODE, MAX_INTERNAL_ATTEMPTS

SI = "Sales Invoice"
PAST_TIMEOUT = DEFAULT_ATTEMPT_TIMEOUT + timedelta(minutes=1)


def invoices_numbered(emu: EmulatorServer) -> dict[str, int]:
	counts: dict[str, int] = {}
	for invoice in emu.objects("Invoice"):
		counts[invoice.get("DocNumber")] = counts.get(invoice.get("DocNumber"), 0) + 1
	return counts


def rows(store: MemoryStore, name: str | None = None, operation: str = "push") -> list[LogEntry]:
	return [e for e in store.logs() if e.operation == operation and (name is None or e.name == name)]


def started(store: MemoryStore) -> list[LogEntry]:
	return [e for e in store.logs() if e.status == "Started"]


def test_a_worker_killed_mid_batch_leaves_rows_a_later_push_many_closes_as_interrupted(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
	docs = many_invoices(8)
	for doc in docs:
		store.add_doc(doc)
	names = [d["name"] for d in docs]
	engine.batch_size = 4
	client = engine.client(emu.realm_id)
	real_batch = client.batch
	sent: list[int] = []

	def dies_after_the_second_batch(items: list[Any], request_id: str | None = None) -> list[Any]:
		answers = real_batch(items, request_id=request_id)
		sent.append(len(items))
		if len(sent) == 2:
			raise KeyboardInterrupt("worker killed")  # QBO committed the batch; nobody reads the answer
		return answers

	monkeypatch.setattr(client, "batch", dies_after_the_second_batch)
	with pytest.raises(KeyboardInterrupt):
		engine.push_many(SI, names)
	monkeypatch.undo()

	dead = {e.name: e for e in started(store) if e.operation == "push"}
	assert sorted(dead) == sorted(names[4:])  # the second batch's documents: opened, never closed
	[dead_bulk] = [e for e in started(store) if e.operation == "bulk"]
	assert invoices_numbered(emu) == dict.fromkeys(names, 1)  # both batches reached QBO

	clock.advance(minutes=3)
	later = engine.push_many(SI, names)
	assert later.failed == 0 and later.unchanged == 4, later.as_dict()
	assert invoices_numbered(emu) == dict.fromkeys(names, 1)  # looked up, not created again
	by_name = {r.name: r for r in later.results}
	for name, row in dead.items():
		closed = store.get_log(row.id)
		assert closed.status == "Interrupted", (name, closed.status)
		assert closed.message.startswith(
			"Interrupted: the worker running this attempt stopped before it ended; "
			f"a later attempt {by_name[name].log_id} ended Success at "
		), closed.message
		assert not closed.retryable and closed.next_retry_at is None  # the later row carries the document
		assert store.get_link(emu.realm_id, SI, name).state == "synced"
	# No document row is left open; the dead run's own bulk row is the sweep's job.
	assert [e.id for e in started(store)] == [dead_bulk.id]
	assert engine.sweep_interrupted() == []  # not past the timeout yet
	clock.advance(minutes=80)
	[swept] = engine.sweep_interrupted()
	assert swept.id == dead_bulk.id and swept.status == "Interrupted" and not swept.retryable
	assert "still open 83 minutes after it started" in swept.message
	assert "documents it had not reached yet are still waiting" in swept.message
	assert started(store) == []
	assert engine.retry_due() == []  # nothing left to do


def test_the_sweep_makes_a_lone_interrupted_push_retryable_and_retry_due_sends_it_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
	name = "ACC-SINV-2026-00002"
	client = engine.client(emu.realm_id)
	real_create = client.create

	def dies_after_qbo_committed(entity: str, body: dict, request_id: str | None = None) -> dict:
		obj = real_create(entity, body, request_id=request_id)
		if entity == "Invoice":
			raise SystemExit("worker restarted")
		return obj

	monkeypatch.setattr(client, "create", dies_after_qbo_committed)
	with pytest.raises(SystemExit):
		engine.push(SI, name)
	monkeypatch.undo()
	[open_row] = started(store)
	assert store.get_link(emu.realm_id, SI, name).state == "pending"
	assert invoices_numbered(emu)[name] == 1

	assert engine.retry_due() == []  # an open row is not a failure the scheduler knows about...
	clock.advance(minutes=30)
	assert engine.sweep_interrupted() == []  # ...and 30 minutes may still be a live job
	clock.advance(minutes=50)
	[closed] = engine.sweep_interrupted()
	assert (closed.id, closed.status, closed.error_code) == (open_row.id, "Interrupted", "INTERRUPTED")
	assert closed.message == (
		"Interrupted: the worker running this attempt stopped before it ended (still open 80 minutes after "
		"it started); no later attempt, so it is retried automatically."
	)
	assert closed.retryable and closed.next_retry_at == clock()
	assert engine.sweep_interrupted() == []  # closed once

	[retried] = engine.retry_due()
	assert retried.status == "Success" and retried.action == "adopted", retried.message
	again = store.get_log(retried.log_id)
	assert (again.retry_of, again.attempts) == (open_row.id, 2)
	assert invoices_numbered(emu)[name] == 1  # the create that landed was found, not sent again
	assert store.get_link(emu.realm_id, SI, name).state == "synced"
	assert engine.retry_due(clock() + timedelta(days=2)) == []
	assert started(store) == []


def test_a_later_push_closes_an_open_push_but_a_cancel_or_a_locked_attempt_does_not(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
	name = "ACC-SINV-2026-00002"
	# Rows started and never finished, as a worker killed before its first request leaves them.
	left = store.start_log(LogEntry("QBO Test Co", emu.realm_id, "push", SI, name, started_at=clock()))
	other = store.start_log(LogEntry("QBO Test Co", emu.realm_id, "push", SI, "ACC-SINV-2026-00003"))
	assert engine.cancel(SI, name).status == "Skipped"  # another kind of attempt: proves nothing
	assert store.get_log(left).status == "Started"

	@contextmanager
	def held(key: str) -> Iterator[None]:
		raise SyncError(LOCKED_CODE, f"Another background job is still working on {key}", retryable=True)
		yield  # pragma: no cover

	monkeypatch.setattr(store, "lock", held)
	locked = engine.push(SI, name)
	assert locked.code == LOCKED_CODE
	assert store.get_log(left).status == "Started"  # whoever holds the lock may be that very attempt
	monkeypatch.undo()

	clock.advance(seconds=5)
	done = engine.push(SI, name)
	assert done.status == "Success"
	closed = store.get_log(left)
	assert closed.status == "Interrupted"
	assert f"a later attempt {done.log_id} ended Success at " in closed.message
	assert store.get_log(other).status == "Started"  # another document's row is not touched
	assert [e.id for e in started(store)] == [other]


def test_a_row_whose_later_attempt_is_still_open_is_closed_without_a_retry(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	name = "ACC-SINV-2026-00002"
	first = store.start_log(LogEntry("QBO Test Co", emu.realm_id, "push", SI, name, started_at=clock()))
	clock.advance(minutes=10)
	second = store.start_log(LogEntry("QBO Test Co", emu.realm_id, "push", SI, name, started_at=clock()))
	clock.advance(minutes=70)
	[closed] = engine.sweep_interrupted()  # only the first is past the timeout
	assert closed.id == first and not closed.retryable
	assert f"a later attempt {second}, opened at " in closed.message and "is still open" in closed.message
	clock.advance(minutes=10)
	[last] = engine.sweep_interrupted()
	assert last.id == second and last.retryable  # the newest of the document's attempts is retried
	[retried] = engine.retry_due()
	assert retried.status == "Success" and store.get_log(retried.log_id).retry_of == second
	assert invoices_numbered(emu)[name] == 1


def test_a_document_that_keeps_killing_the_worker_stops_being_retried(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	name = "ACC-SINV-2026-00002"
	entry = LogEntry(
		"QBO Test Co", emu.realm_id, "push", SI, name, started_at=clock(), attempts=MAX_INTERNAL_ATTEMPTS
	)
	log_id = store.start_log(entry)
	clock.advance(minutes=90)
	[closed] = engine.sweep_interrupted()
	assert closed.id == log_id and not closed.retryable and closed.next_retry_at is None
	assert f"Stopped retrying after {MAX_INTERNAL_ATTEMPTS} attempts" in closed.message
	assert closed.doc_fingerprint  # tried again once the document or its mappings change
	assert engine.retry_due() == []
	store.update_doc(SI, name, modified="2026-11-30 09:00:00.000000")
	[changed] = engine.retry_due()
	assert changed.status == "Success"


def test_a_live_worker_that_ends_after_the_sweep_still_writes_its_verdict(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	at = Attempt(engine, LogEntry("QBO Test Co", emu.realm_id, "push", SI, "ACC-SINV-2026-00002"))
	clock.advance(minutes=90)
	[closed] = engine.sweep_interrupted()
	assert closed.status == "Interrupted"
	at.finish("Success", "Created Invoice 99 (id 99) in QuickBooks.")  # the job was slow, not dead
	row = store.get_log(at.log_id)
	assert (row.status, row.retryable, row.next_retry_at) == ("Success", False, None)
	assert engine.retry_due() == []


# -- internal errors: bounded retries, a traceback for admins, never a secret ----------------------------


def test_an_internal_error_is_retried_a_bounded_number_of_times_then_fails_with_a_redacted_traceback(
	engine: SyncEngine,
	store: MemoryStore,
	emu: EmulatorServer,
	clock: Clock,
	monkeypatch: pytest.MonkeyPatch,
	caplog: pytest.LogCaptureFixture,
) -> None:
	client = engine.client(emu.realm_id)
	tokens = client.token_provider.store.load()
	secrets = [tokens.access_token, tokens.refresh_token, emu.client_secret]

	def broken_mapping(*args: Any, **kwargs: Any) -> Any:
		raise RuntimeError(
			f"refresh went wrong: {tokens.access_token} "
			f"Authorization: Bearer {tokens.access_token} "
			f"client_secret={emu.client_secret} "
			+ repr({"refresh_token": tokens.refresh_token, "access_token": tokens.access_token})
		)

	monkeypatch.setattr(engine, "prepare", broken_mapping)
	first = engine.push(SI, "ACC-SINV-2026-00002")
	assert first.code == INTERNAL_CODE and first.retryable
	results = [first]
	for _ in range(10):  # the scheduler, run again and again
		clock.advance(days=1)
		results += engine.retry_due()
	assert [r.retryable for r in results] == [True] * (MAX_INTERNAL_ATTEMPTS - 1) + [False]
	last = store.get_log(results[-1].log_id)
	assert (last.status, last.attempts, last.next_retry_at) == ("Failed", MAX_INTERNAL_ATTEMPTS, None)
	assert f"Stopped retrying after {MAX_INTERNAL_ATTEMPTS} attempts" in last.message
	assert "traceback kept on this log row" in last.message and "developer" in last.message
	assert engine.retry_due(clock() + timedelta(days=30)) == []  # bounded: no sixth attempt by itself
	assert len(emu.objects("Invoice")) == 0

	for row in rows(store, "ACC-SINV-2026-00002"):
		assert row.traceback, row.id
		assert "Traceback (most recent call last)" in row.traceback
		assert "broken_mapping" in row.traceback and "RuntimeError: refresh went wrong" in row.traceback
		for secret in secrets:
			assert secret not in row.traceback and secret not in row.message, (row.id, secret)
		assert "***" in row.traceback
	assert "broken_mapping" in caplog.text  # the worker's log has the traceback too, redacted as well
	for secret in secrets:
		assert secret not in caplog.text


def test_an_internal_error_classified_by_its_caller_is_bounded_too(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	"""Paths that classify an exception themselves (a payment whose deposit failed) still stop retrying,
	and still keep the traceback of the exception being handled."""
	entry = LogEntry("QBO Test Co", emu.realm_id, "push", SI, "ACC-SINV-2026-00002")
	entry.attempts = MAX_INTERNAL_ATTEMPTS
	at = Attempt(engine, entry)
	try:
		raise ValueError("deposit maths went wrong")
	except ValueError:
		result = at.finish("Failed", "The deposit failed.", code=INTERNAL_CODE, retryable=True)
	assert not result.retryable
	row = store.get_log(at.log_id)
	assert not row.retryable and row.next_retry_at is None
	assert row.message.startswith("The deposit failed. Stopped retrying after 5 attempts")
	assert "ValueError: deposit maths went wrong" in row.traceback


def test_bad_data_is_still_permanent_and_keeps_no_traceback(engine: SyncEngine, store: MemoryStore) -> None:
	failed = engine.push(SI, "ACC-SINV-2026-00007")  # EUR into a QBO company without multicurrency
	assert failed.code == "MAPPING" and not failed.retryable
	row = store.get_log(failed.log_id)
	assert row.traceback is None and "Stopped retrying" not in row.message
