"""MemoryStore keeps the promises the Frappe store must keep too; request ids are deterministic."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sync_support import FIXTURES, make_store

from qbo_connector.sync import ConnectionConfig, Link, LogEntry, LogOutcome, MemoryStore, Store, ids

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


def store() -> MemoryStore:
	return make_store(ConnectionConfig(company="QBO Test Co", realm_id="R1"))


def test_memory_store_is_a_store() -> None:
	assert isinstance(store(), Store)
	assert len(list(FIXTURES.glob("*.json"))) >= 20


def test_request_ids_are_deterministic_short_and_distinct() -> None:
	rid = ids.request_id("R1", "Sales Invoice", "ACC-SINV-2026-00002", "create", 0)
	assert rid == ids.request_id("R1", "Sales Invoice", "ACC-SINV-2026-00002", "create", 0)
	assert len(rid) == 36  # fits QBO's batch limit
	others = {
		ids.request_id("R2", "Sales Invoice", "ACC-SINV-2026-00002", "create", 0),  # another company
		ids.request_id("R1", "Sales Invoice", "ACC-SINV-2026-00002-1", "create", 0),  # the amendment
		ids.request_id("R1", "Sales Invoice", "ACC-SINV-2026-00002", "void", 0),  # the cancel
		ids.request_id("R1", "Sales Invoice", "ACC-SINV-2026-00002", "create", 1),  # after a refusal
	}
	assert rid not in others and len(others) == 4
	assert ids.batch_request_id([rid]) == ids.batch_request_id([rid]) != ids.batch_request_id([rid, rid])


def test_links_by_document_and_by_qbo_id() -> None:
	s = store()
	s.save_link(Link("R1", "Sales Invoice", "A", "Invoice", qbo_id="7", state="synced"))
	s.save_link(Link("R2", "Sales Invoice", "A", "Invoice", qbo_id="7", state="synced"))
	assert s.get_link("R1", "Sales Invoice", "A").qbo_id == "7"
	assert s.find_link("R2", "Invoice", "7").realm_id == "R2"
	link = s.get_link("R1", "Sales Invoice", "A")
	link.qbo_id = "8"  # a copy: the store changes only through save_link
	assert s.get_link("R1", "Sales Invoice", "A").qbo_id == "7"


def test_retry_candidates_newest_failed_attempt_only() -> None:
	s = store()

	def attempt(
		status: str, name: str, retry_at: datetime | None, retryable: bool = True, fp: str | None = None
	) -> str:
		log_id = s.start_log(LogEntry("QBO Test Co", "R1", "push", "Sales Invoice", name))
		s.finish_log(
			log_id, LogOutcome(status, "x", retryable=retryable, next_retry_at=retry_at, doc_fingerprint=fp)
		)
		return log_id

	attempt("Failed", "A", NOW - timedelta(minutes=1))
	newest_a = attempt("Failed", "A", NOW - timedelta(minutes=1))
	attempt("Failed", "B", NOW - timedelta(minutes=1))
	attempt("Success", "B", None)  # B was fixed by a later attempt
	attempt("Failed", "C", NOW + timedelta(minutes=5))  # not due yet
	bad = attempt("Failed", "D", None, retryable=False, fp="abc")  # waits for the document to change
	attempt("Failed", "E", None, retryable=False)  # nothing to watch: manual only
	assert sorted(e.id for e in s.retry_candidates(NOW)) == sorted([newest_a, bad])


def test_open_stale_and_last_attempts_and_interrupt_only_what_is_still_open() -> None:
	s = store()
	si = "Sales Invoice"

	def opened(name: str | None, started: datetime, operation: str = "push", realm: str = "R1") -> str:
		return s.start_log(LogEntry("QBO Test Co", realm, operation, si, name, started_at=started))

	a1 = opened("A", NOW - timedelta(hours=3))
	a2 = opened("A", NOW - timedelta(hours=2))
	cancel_a = opened("A", NOW - timedelta(hours=2), operation="cancel")
	other_realm = opened("A", NOW - timedelta(hours=2), realm="R2")
	bulk = opened(None, NOW - timedelta(hours=2), operation="bulk")
	a3 = opened("A", NOW - timedelta(minutes=5))
	s.finish_log(a2, LogOutcome("Failed", "QuickBooks is down", retryable=True, next_retry_at=NOW))
	ids_of = lambda entries: [e.id for e in entries]  # noqa: E731
	assert ids_of(s.open_attempts("R1", "push", si, "A")) == [a1, a3]  # oldest first, Started only
	assert ids_of(s.open_attempts("R1", "push", si, "A", before=a3)) == [a1]
	assert ids_of(s.open_attempts("R1", "push", si, "A", before=a1)) == []
	assert ids_of(s.open_attempts("R1", "cancel", si, "A")) == [cancel_a]
	assert s.last_attempt("R1", "push", si, "A").id == a3
	assert s.last_attempt("R1", "push", si, "B") is None
	assert ids_of(s.stale_attempts(NOW - timedelta(hours=1))) == [a1, cancel_a, other_realm, bulk]

	closed = LogOutcome("Interrupted", "Interrupted: ...", error_code="INTERRUPTED", next_retry_at=NOW)
	assert s.interrupt_log(a1, closed) is True
	assert s.interrupt_log(a1, closed) is False  # already closed
	assert s.interrupt_log(a2, closed) is False  # ended on its own: its verdict stays
	assert (s.get_log(a1).status, s.get_log(a2).status) == ("Interrupted", "Failed")
	assert s.get_log(a1).error_code == "INTERRUPTED"
	assert a1 not in ids_of(s.open_attempts("R1", "push", si, "A"))

	# An Interrupted row that is the newest of its key and due is a retry candidate, like a Failed one.
	b = opened("B", NOW - timedelta(hours=2))
	s.interrupt_log(b, LogOutcome("Interrupted", "x", retryable=True, next_retry_at=NOW))
	assert b in ids_of(s.retry_candidates(NOW))
	assert a1 not in ids_of(s.retry_candidates(NOW))  # A has later attempts


def test_events_claimed_once_even_across_threads() -> None:
	s = store()
	wins = []
	threads = [threading.Thread(target=lambda: wins.append(s.claim_event("k"))) for _ in range(20)]
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	assert wins.count(True) == 1
	s.release_event("k")
	assert s.claim_event("k") is True


def test_pulled_payment_entry_is_idempotent_and_reduces_outstanding() -> None:
	s = store()
	data = {
		"party": "O'Brien & Søn Ltd",
		"paid_amount": 100.0,
		"references": [
			{
				"reference_doctype": "Sales Invoice",
				"reference_name": "ACC-SINV-2026-00002",
				"allocated_amount": 100.0,
			}
		],
	}
	first = s.create_payment_entry("QBO Test Co", data, "55")
	assert s.create_payment_entry("QBO Test Co", data, "55") == first
	assert s.get_doc("Sales Invoice", "ACC-SINV-2026-00002")["outstanding_amount"] == 1744.0


def test_list_unsynced_submitted_only_and_not_linked() -> None:
	s = store()
	cutoff = datetime(2027, 1, 1, tzinfo=timezone.utc)
	names = s.list_unsynced("QBO Test Co", "Sales Invoice", cutoff)
	assert "ACC-SINV-2026-00002" in names and "ACC-SINV-2026-00011" not in names  # cancelled one excluded
	s.save_link(Link("R1", "Sales Invoice", "ACC-SINV-2026-00002", "Invoice", qbo_id="1", state="synced"))
	s.save_link(Link("R1", "Sales Invoice", "ACC-SINV-2026-00003", "Invoice"))  # pending: still owed
	names = s.list_unsynced("QBO Test Co", "Sales Invoice", cutoff)
	assert "ACC-SINV-2026-00002" not in names and "ACC-SINV-2026-00003" in names
	assert s.list_unsynced("QBO Test Co", "Sales Invoice", datetime(2020, 1, 1, tzinfo=timezone.utc)) == []


def test_primary_address_and_contact_of_a_customer() -> None:
	s = store()
	assert s.get_primary_address("O'Brien & Søn Ltd")["city"] == "New York"
	assert s.get_primary_contact("O'Brien & Søn Ltd")["first_name"] == "Siobhán"
	assert s.get_primary_address("Nobody") is None
