"""The read budget: the client counts metered reads (GET, query, CDC, a batch's queries) and nothing else,
per company and month; at 80 % the budget warns, at 100 % reads that can wait are refused with the reason."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from qbo_testkit import BASE, ENV, REALM, FakeTokens

from qbo_connector.qbo.budget import (
	OK,
	SPENT,
	WARN,
	MemoryReadCounter,
	ReadBudget,
	ReadBudgetSpent,
	is_metered,
	month_of,
	next_month,
)
from qbo_connector.qbo.client import BatchItem, QBOClient

DEC_2026 = datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc).timestamp()


def metered_client(counter, exchanges, **options) -> QBOClient:
	return QBOClient(
		REALM,
		ENV,
		FakeTokens(),
		sleep=lambda _s: None,
		jitter=lambda: 0.0,
		on_exchange=exchanges.append,
		read_counter=counter,
		**options,
	)


def test_reads_are_counted_and_writes_are_not(rsps) -> None:
	counter, exchanges = MemoryReadCounter(), []
	client = metered_client(counter, exchanges, max_get_query=60)
	rsps.add("GET", f"{BASE}/invoice/7", json={"Invoice": {"Id": "7"}})
	rsps.add("GET", f"{BASE}/query", json={"QueryResponse": {}})
	rsps.add("POST", f"{BASE}/query", json={"QueryResponse": {}})
	rsps.add("POST", f"{BASE}/invoice", json={"Invoice": {"Id": "8"}})
	rsps.add("GET", f"{BASE}/cdc", json={"CDCResponse": []})
	rsps.add(
		"POST",
		f"{BASE}/batch",
		json={
			"BatchItemResponse": [
				{"bId": "q1", "QueryResponse": {}},
				{"bId": "q2", "QueryResponse": {}},
				{"bId": "c", "Customer": {"Id": "3"}},
			]
		},
	)

	client.read("Invoice", "7")
	client.query("select * from Customer")
	client.query("select * from Customer where DisplayName = 'A long name that needs the POST form'")
	client.create("Invoice", {"Line": []})
	client.cdc(["Customer"], datetime(2026, 12, 1, tzinfo=timezone.utc))
	client.batch(
		[
			BatchItem("q1", "query", query="select * from Item"),
			BatchItem("q2", "query", query="select * from Customer"),
			BatchItem("c", "create", "Customer", {"DisplayName": "X"}),
		]
	)
	assert [e.reads for e in exchanges] == [1, 1, 1, 0, 1, 2]
	assert counter.used(REALM) == 6


def test_throttled_and_refused_attempts_are_not_counted(rsps) -> None:
	counter, exchanges = MemoryReadCounter(), []
	client = metered_client(counter, exchanges, throttle_wait=0.0)
	rsps.add("GET", f"{BASE}/invoice/7", status=429, json={"Fault": {"Error": [{"code": "3001"}]}})
	rsps.add("GET", f"{BASE}/invoice/7", status=401, json={"fault": {"error": [{"code": "3200"}]}})
	rsps.add("GET", f"{BASE}/invoice/7", json={"Invoice": {"Id": "7"}})
	client.read("Invoice", "7")
	assert [(e.status, e.reads) for e in exchanges] == [(429, 0), (401, 0), (200, 1)]
	assert counter.used(REALM) == 1


def test_a_broken_counter_never_fails_the_call(rsps) -> None:
	class Broken:
		def add(self, realm_id: str, count: int) -> None:
			raise RuntimeError("redis down")

		def used(self, realm_id: str, month: str | None = None) -> int:
			return 0

	rsps.add("GET", f"{BASE}/invoice/7", json={"Invoice": {"Id": "7"}})
	assert metered_client(Broken(), []).read("Invoice", "7") == {"Id": "7"}


@pytest.mark.parametrize(
	("method", "path", "metered"),
	[
		("GET", "invoice/7", True),
		("GET", "preferences", True),
		("POST", "query", True),
		("POST", "invoice", False),
	],
)
def test_is_metered(method: str, path: str, metered: bool) -> None:
	assert is_metered(method, path) is metered


def test_levels_and_the_refusal_says_why_and_until_when() -> None:
	now = [DEC_2026]
	counter = MemoryReadCounter(clock=lambda: now[0])
	budget = ReadBudget(counter, allowance=500_000, clock=lambda: now[0])
	counter.add(REALM, 399_999)
	assert budget.state(REALM).level == OK
	counter.add(REALM, 1)
	state = budget.check_deferrable(REALM, "reconciliation")  # warned, not refused
	assert (
		state.level == WARN
		and state.sentence() == "400,000 of the 500,000 metered QuickBooks reads of 2026-12 used (80%)."
	)
	counter.add(REALM, 100_000)
	with pytest.raises(ReadBudgetSpent) as refused:
		budget.check_deferrable(REALM, "reconciliation")
	assert budget.state(REALM).level == SPENT
	message = refused.value.user_message
	assert message.startswith("Reconciliation is put off until 2027-01-01")
	assert "500,000 of its 500,000 metered reads for 2026-12" in message and refused.value.retryable is False
	now[0] += 120  # a new month starts from zero
	assert month_of(now[0]) == "2027-01" and budget.state(REALM).used == 0
	assert counter.used(REALM, "2026-12") == 500_000
	assert ReadBudget(counter, allowance=0).state(REALM).level == OK  # no allowance kept: nothing held back


def test_months() -> None:
	assert next_month("2026-12") == "2027-01-01" and next_month("2027-01") == "2027-02-01"
	assert month_of(datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc)) == "2026-12"
	assert month_of(datetime(2026, 12, 31, 20, 0)) == "2026-12"  # naive: UTC
