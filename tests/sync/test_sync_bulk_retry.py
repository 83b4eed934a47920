"""push_many through batch requests, auto_push, and the retry machinery (backoff, bad data, manual retry)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sync_support import Clock, many_invoices

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine
from qbo_connector.sync.outcome import DEFAULT_BACKOFF, next_retry_at

SI = "Sales Invoice"


def numbered(emu: EmulatorServer) -> dict[str, list[dict]]:
	out: dict[str, list[dict]] = {}
	for invoice in emu.objects("Invoice"):
		out.setdefault(invoice.get("DocNumber"), []).append(invoice)
	return out


def test_push_many_batches_thirty_at_a_time_with_progress(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	docs = many_invoices(65)
	for doc in docs:
		store.add_doc(doc)
	progress: list[tuple[int, int]] = []
	summary = engine.push_many(
		SI, [d["name"] for d in docs] + ["ACC-SINV-2026-00002"], progress=lambda *p: progress.append(p)
	)
	assert summary.as_dict() | {"log_id": None} == {
		"total": 66,
		"created": 66,
		"updated": 0,
		"unchanged": 0,
		"warnings": 0,
		"failed": 0,
		"skipped": 0,
		"log_id": None,
	}
	assert progress[-1] == (66, 66) and len(progress) == 3  # three batch requests of <= 30
	batches = [x for x in emu.state.faults.fired]  # nothing injected
	assert batches == []
	found = numbered(emu)
	for doc in docs:
		[invoice] = found[doc["name"]]
		assert Decimal(str(invoice["TotalAmt"])) == Decimal(str(doc["rounded_total"] or doc["grand_total"]))
	summary_log = store.get_log(summary.log_id)
	assert summary_log.operation == "bulk" and "66 created" in summary_log.message

	again = engine.push_many(SI, [d["name"] for d in docs])  # "Re-sync all": nothing created twice
	assert again.unchanged == 65 and again.created == 0
	assert sum(len(v) for v in numbered(emu).values()) == 66


def test_ambiguous_batch_failure_is_looked_up_not_recreated(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	docs = many_invoices(12)
	for doc in docs:
		store.add_doc(doc)
	emu.add_fault(kind="drop", method="POST", path="/batch", count=5)  # commits, then every answer is lost
	first = engine.push_many(SI, [d["name"] for d in docs])
	assert first.failed == 12
	assert all(store.get_link(emu.realm_id, SI, d["name"]).state == "pending" for d in docs)
	assert len(emu.objects("Invoice")) == 12  # QBO did commit them

	second = engine.push_many(SI, [d["name"] for d in docs])
	assert second.failed == 0 and second.created == 12, second.as_dict()
	assert all(r.action == "adopted" for r in second.results)
	assert len(emu.objects("Invoice")) == 12
	assert all(len(v) == 1 for v in numbered(emu).values())


def test_batch_item_fault_fails_only_that_document(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	docs = many_invoices(5)
	docs[2]["due_date"] = "not a date"
	for doc in docs:
		store.add_doc(doc)
	summary = engine.push_many(SI, [d["name"] for d in docs])
	assert summary.created == 4 and summary.failed == 1
	[bad] = [r for r in summary.results if r.status == "Failed"]
	assert bad.name == docs[2]["name"] and bad.message.startswith(f"Sales Invoice {docs[2]['name']}")


def test_auto_push_takes_the_submitted_backlog(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	clock.now = clock.now.replace(year=2026, month=12, day=1)
	summary = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	# every submitted fixture invoice and payment; drafts and cancelled ones stay home, EUR fails (no multicurrency)
	names = {r.name for r in summary.results}
	assert "ACC-SINV-2026-00011" not in names  # cancelled
	assert {"ACC-SINV-2026-00002", "ACC-PAY-2026-00002"} <= names
	assert summary.failed >= 1 and any(
		r.name == "ACC-SINV-2026-00007" for r in summary.results if r.status == "Failed"
	)
	assert engine.store.list_unsynced("QBO Test Co", SI, clock()) == ["ACC-SINV-2026-00007"]

	# The next run leaves the unchanged bad invoice alone (no new Failed row every hour)...
	failed_rows = sum(1 for e in store.logs() if e.name == "ACC-SINV-2026-00007" and e.status == "Failed")
	again = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	assert "ACC-SINV-2026-00007" not in {r.name for r in again.results}
	assert failed_rows == sum(
		1 for e in store.logs() if e.name == "ACC-SINV-2026-00007" and e.status == "Failed"
	)
	# ...until someone changes it: then it is tried again.
	store.update_doc(SI, "ACC-SINV-2026-00007", modified="2026-11-30 09:00:00.000000")
	third = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	assert "ACC-SINV-2026-00007" in {r.name for r in third.results}


def test_backoff_schedule_then_daily() -> None:
	assert DEFAULT_BACKOFF[:5] == (60.0, 300.0, 900.0, 3600.0, 14400.0)
	start = Clock().now
	steps = [(next_retry_at(start, n) - start).total_seconds() / 60 for n in range(1, 9)]
	assert steps == [1, 5, 15, 60, 240, 1440, 1440, 1440]


def test_outage_gives_failed_retryable_logs_then_retry_due_recovers(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	engine.backoff = DEFAULT_BACKOFF
	emu.add_fault(kind="status", status=503, method="POST", count=100)
	failed = engine.push(SI, "ACC-SINV-2026-00002")
	assert failed.status == "Failed" and failed.retryable and "internal problem" in failed.message
	log = store.get_log(failed.log_id)
	assert log.next_retry_at == clock() + timedelta(minutes=1)
	assert engine.retry_due() == []  # not due yet
	clock.advance(minutes=2)
	second = engine.retry_due()
	assert [r.status for r in second] == ["Failed"]
	assert store.get_log(second[0].log_id).next_retry_at == clock() + timedelta(minutes=5)
	emu.state.faults.clear()
	clock.advance(minutes=6)
	[third] = engine.retry_due()
	assert third.status == "Success" and store.get_log(third.log_id).attempts == 3
	assert engine.retry_due(clock() + timedelta(days=30)) == []
	assert len(numbered(emu)["ACC-SINV-2026-00002"]) == 1


def test_failures_of_a_realm_no_longer_connected_wait_until_it_is_again(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig, clock: Clock
) -> None:
	"""A company reconnected to another QuickBooks company (or disconnected) has nothing to retry into: its
	failed rows are not candidates, so the scheduler neither pushes them into the wrong file nor rereads them
	every five minutes; connected to their realm again, they are due as before."""
	engine.backoff = DEFAULT_BACKOFF
	emu.add_fault(kind="status", status=503, method="POST", count=100)
	failed = engine.push(SI, "ACC-SINV-2026-00002")
	assert failed.status == "Failed" and failed.retryable
	emu.state.faults.clear()
	store.add_config(replace(config, realm_id="9130350000000000"))  # another QuickBooks company now
	clock.advance(minutes=2)
	assert store.retry_candidates(clock()) == []
	assert engine.retry_due() == []
	assert store.get_log(failed.log_id).status == "Failed"
	store.add_config(config)  # back on the realm the row belongs to
	[again] = engine.retry_due()
	assert again.status == "Success" and store.get_log(again.log_id).retry_of == failed.log_id
	assert len(numbered(emu)["ACC-SINV-2026-00002"]) == 1


def test_bad_data_waits_for_the_document_to_change(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig, clock: Clock
) -> None:
	failed = engine.push(SI, "ACC-SINV-2026-00007")  # EUR, multicurrency off
	assert failed.code == "MAPPING"
	clock.advance(days=3)
	assert engine.retry_due() == []  # nothing changed: not retried blindly
	manual = engine.retry(failed.log_id)  # but the Retry button always runs it
	assert manual.status == "Failed" and store.get_log(manual.log_id).retry_of == failed.log_id

	emu.set_company(multicurrency=True)
	config.company_mode = None
	store.add_config(config)
	store.update_doc(SI, "ACC-SINV-2026-00007", modified="2026-11-22 09:00:00.000000")
	[fixed] = engine.retry_due()
	assert fixed.status == "Success", fixed.message
	assert engine.retry_due(clock() + timedelta(days=3)) == []


def test_lookup_failure_in_a_batch_run_still_closes_every_row(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	docs = many_invoices(6)
	for doc in docs:
		store.add_doc(doc)
	emu.add_fault(kind="status", status=503, method="POST", path="/batch", count=5)
	assert engine.push_many(SI, [d["name"] for d in docs]).failed == 6  # all pending now
	emu.add_fault(kind="status", status=503, method="GET", path="/query", count=5)  # the look-up fails too
	second = engine.push_many(SI, [d["name"] for d in docs])
	assert second.failed == 6 and all(r.retryable for r in second.results)
	assert not [log for log in store.logs() if log.status == "Started"]
	emu.state.faults.clear()
	third = engine.push_many(SI, [d["name"] for d in docs])
	assert third.created == 6 and len(emu.objects("Invoice")) == 6
