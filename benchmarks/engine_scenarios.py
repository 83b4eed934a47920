"""The framework-free scenarios: our engine and the python-quickbooks peer against the emulator with Intuit's
limits on, on a virtual clock. Each function runs in a fresh process (run.py starts one per scenario, so a
scenario's peak RSS is its own) and returns a JSON-able dict.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.harness import (
	Documents,
	Meter,
	disk_store,
	emulator_config,
	make_client,
	make_engine,
	rss_mb,
	start_emulator,
	sustained_rate,
)
from qbo_connector.qbo.constants import BATCH_LIMIT_PER_MINUTE, BATCH_MAX_ITEMS, LIMIT_PER_MINUTE
from qbo_connector.sync.store import SALES_INVOICE

SINGLE_CEILING = LIMIT_PER_MINUTE  # one invoice per request, 500 requests a minute
BATCH_CEILING = BATCH_LIMIT_PER_MINUTE * BATCH_MAX_ITEMS  # 40 batch requests a minute x 30 = 1,200

# The same faults for every contender, on the request that carries the invoice (a create, or the batch
# holding it), spread over the run: committed then answered 500, committed then the connection dropped
# before any answer, and refused with 503 before anything was written.
FAULT_KINDS = (
	{"kind": "status", "status": 500, "when": "after"},
	{"kind": "drop"},
	{"kind": "status", "status": 503, "when": "before"},
)


def _per_thousand(count: int, invoices: int) -> float:
	return round(count * 1000 / invoices, 1) if invoices else 0.0


def _phase(meter: Meter, phase: str, invoices: int) -> dict[str, Any]:
	counts = meter.phases.get(phase)
	if counts is None or not invoices:
		return {"invoices": invoices, "requests": 0, "reads": 0}
	return {
		"invoices": invoices,
		"requests": counts.requests,
		"reads": counts.reads,
		"requests_per_1000": _per_thousand(counts.requests, invoices),
		"reads_per_1000": _per_thousand(counts.reads, invoices),
		"throttled": counts.throttled,
		"by_kind": dict(sorted(counts.by_kind.items())),
	}


def _per_doc(emu: Any, names: list[str]) -> list[int]:
	"""How many QBO invoices each document became, by our marker at the head of PrivateNote."""
	marks = Counter(note for _number, note in emu.invoice_marks())
	return [marks.get(f"ERPNext Sales Invoice {name}", 0) for name in names]


def _duplicates(per_doc: list[int]) -> dict[str, int]:
	return {
		"in_qbo_once": sum(1 for c in per_doc if c == 1),
		"duplicates": sum(c - 1 for c in per_doc if c > 1),
		"missing": sum(1 for c in per_doc if c == 0),
	}


# -- our engine ---------------------------------------------------------------------------------------------
def backfill(
	workdir: Path,
	mode: str,
	invoices: int,
	warm: int = 1000,
	faults: int = 0,
	customers: int = 200,
	round_trip: float = 0.0,
	items: int = 10,
) -> dict[str, Any]:
	"""Push `invoices` new invoices (and the customers and items they need) one request each ("single") or
	30 to a batch request ("batch", SyncEngine.push_many, as Sync Now and the backlog jobs do).

	warm: the first documents create the customers and items; "steady" counts what comes after.
	faults: inject that many faults (FAULT_KINDS in turn) spread over the run.
	round_trip: seconds of network round trip added to every request (0: the loopback's)."""
	documents = Documents(customers=customers, items=items)
	emu, clock = start_emulator(workdir)
	try:
		config = emulator_config(emu)
		store = disk_store(workdir, config, documents)
		meter = Meter(clock.now, round_trip)
		client = make_client(emu, clock, meter, round_trip=round_trip)
		engine = make_engine(store, client, clock)
		names = [documents.name(n) for n in range(1, invoices + 1)]
		fault_at = _fault_positions(invoices, faults, BATCH_MAX_ITEMS if mode == "batch" else 1)
		target = "/batch?" if mode == "batch" else "/invoice?"
		memory: dict[str, float] = {}
		rss_start = rss_mb()[0]
		started_real = time.perf_counter()
		started = clock.now()
		warm = min(warm, invoices)

		def reached(done: int) -> None:
			if done >= warm and "at_warm" not in memory:
				memory["at_warm"] = rss_mb()[0]
				memory["warm_time"] = clock.now()
				meter.phase = "steady"
			rule = fault_at.get(done)
			if rule is not None:
				emu.add_fault(method="POST", path=target, **rule)

		reached(0)
		if mode == "single":
			for done, name in enumerate(names, start=1):
				engine.push(SALES_INVOICE, name)
				reached(done)
			failed = store.status_counts("push").get("Failed", 0)
		else:
			summary = engine.push_many(SALES_INVOICE, names, progress=lambda done, _total: reached(done))
			failed = summary.failed
		elapsed_virtual = clock.now() - started
		elapsed_real = time.perf_counter() - started_real
		rss_end, rss_peak = rss_mb()
		rate, minutes = sustained_rate(meter.invoice_times, memory["warm_time"])
		ceiling = SINGLE_CEILING if mode == "single" else BATCH_CEILING
		linked = store.count_links(SALES_INVOICE)
		counts = emu.counts()
		result: dict[str, Any] = {
			"contender": f"ours, {mode}",
			"round_trip_ms": round(round_trip * 1000),
			"invoices": invoices,
			"customers": customers,
			"linked": linked,
			"failed": failed,
			"invoices_in_qbo": counts["counts"].get("Invoice", 0),
			"throttled": meter.total().throttled,
			"emulator_throttled": counts["throttled"],
			"rate_per_min": round(rate, 1),
			"ceiling_per_min": ceiling,
			"share_of_ceiling": round(rate / ceiling * 100, 1),
			"minutes_measured": round(minutes, 2),
			"virtual_minutes": round(elapsed_virtual / 60, 2),
			"real_seconds": round(elapsed_real, 1),
			"warm": _phase(meter, "warm-up", warm),
			"steady": _phase(meter, "steady", invoices - warm),
			"all": {
				"requests_per_1000": _per_thousand(meter.total().requests, invoices),
				"reads_per_1000": _per_thousand(meter.total().reads, invoices),
			},
			"memory_mb": {
				"start": round(rss_start, 1),
				"at_warm": round(memory["at_warm"], 1),
				"end": round(rss_end, 1),
				"peak": round(rss_peak, 1),
				"growth_warm_to_end": round(rss_end - memory["at_warm"], 1),
			},
		}
		if faults:
			result["faults"] = faults
			per_doc = _per_doc(emu, names)
			result |= _duplicates(per_doc)
			linked = {
				link.name
				for link in store.links()
				if link.doctype == SALES_INVOICE and link.state == "synced"
			}
			result["failed_but_in_qbo"] = sum(
				1 for name, c in zip(names, per_doc, strict=True) if c and name not in linked
			)
		store.close()
		return result
	finally:
		emu.stop()


def _fault_positions(documents: int, faults: int, step: int) -> dict[int, dict[str, Any]]:
	"""Done-count -> the fault to queue then (it hits the next invoice-carrying request): evenly spread,
	on whole chunks for the batch path."""
	if not faults:
		return {}
	chunks = max(1, documents // step)
	spacing = max(1, chunks // (faults + 1))
	return {
		(spacing * (k + 1)) * step: dict(FAULT_KINDS[k % len(FAULT_KINDS)])
		for k in range(faults)
		if spacing * (k + 1) < chunks
	}


# -- pull -----------------------------------------------------------------------------------------------------
def pull(workdir: Path, changed: int = 10_000) -> dict[str, Any]:
	"""A first pull (full), a pull with nothing changed, then one after `changed` new QBO customers."""
	emu, clock = start_emulator(workdir)
	try:
		config = emulator_config(emu)
		store = disk_store(workdir, config, Documents(customers=1, items=1))
		meter = Meter(clock.now)
		engine = make_engine(store, make_client(emu, clock, meter), clock)
		out: dict[str, Any] = {}
		for label in ("first", "nothing_changed", "changed"):
			if label == "changed":
				emu.add_customers(changed, "Pulled Customer")
				clock.sleep(1.0)  # the next pull is a second later, as any would be
			meter.phase = label
			real = time.perf_counter()
			result = engine.pull(company=config.company)
			counts = meter.phases.get(label)
			out[label] = {
				"status": result.status,
				"seen": result.seen,
				"applied": result.applied,
				"requests": counts.requests if counts else 0,
				"reads": counts.reads if counts else 0,
				"by_kind": dict(sorted(counts.by_kind.items())) if counts else {},
				"real_seconds": round(time.perf_counter() - real, 2),
				"message": result.message,
			}
			clock.sleep(60.0)
		out["changed_records"] = changed
		out["customers_in_erpnext"] = len(store.docs("Customer"))
		store.close()
		return out
	finally:
		emu.stop()


# -- the peer -------------------------------------------------------------------------------------------------
def peer(
	workdir: Path,
	invoices: int,
	retry: bool,
	faults: int = 0,
	customers: int = 200,
	warm: int = 200,
	round_trip: float = 0.0,
	items: int = 10,
) -> dict[str, Any]:
	"""python-quickbooks in a loop, as a script would use it: per document find-or-create the customer and
	each item (a query each), then create the invoice; "retry" runs a failed document again, up to 4 more
	times, after 1, 2, 4 and 8 s."""
	from benchmarks.peer import PeerScript

	documents = Documents(customers=customers, items=items)
	emu, clock = start_emulator(workdir)
	try:
		config = emulator_config(emu)
		meter = Meter(clock.now, round_trip)
		script = PeerScript(emu, clock, meter, config, retry=retry, round_trip=round_trip)
		fault_at = _fault_positions(invoices, faults, 1)
		names = [documents.name(n) for n in range(1, invoices + 1)]
		warm = min(warm, invoices)
		reported_failed: list[str] = []
		started = warm_time = clock.now()
		real = time.perf_counter()
		for done, name in enumerate(names):
			if done == warm:
				meter.phase, warm_time = "steady", clock.now()
			rule = fault_at.get(done)
			if rule is not None:
				emu.add_fault(method="POST", path="/invoice?", **rule)
			if not script.push(documents.invoice(done + 1)):
				reported_failed.append(name)
		elapsed_real = time.perf_counter() - real
		rate, minutes = sustained_rate(meter.invoice_times, warm_time)
		total = meter.total()
		counts = emu.counts()
		result: dict[str, Any] = {
			"contender": "python-quickbooks" + (" + retry" if retry else ""),
			"round_trip_ms": round(round_trip * 1000),
			"invoices": invoices,
			"customers": customers,
			"failed": len(reported_failed),
			"invoices_in_qbo": counts["counts"].get("Invoice", 0),
			"throttled": total.throttled,
			"emulator_throttled": counts["throttled"],
			"rate_per_min": round(rate, 1),
			"ceiling_per_min": SINGLE_CEILING,
			"share_of_ceiling": round(rate / SINGLE_CEILING * 100, 1),
			"minutes_measured": round(minutes, 2),
			"virtual_minutes": round((clock.now() - started) / 60, 2),
			"real_seconds": round(elapsed_real, 1),
			"warm": _phase(meter, "warm-up", warm),
			"steady": _phase(meter, "steady", invoices - warm),
			"all": {
				"requests_per_1000": _per_thousand(total.requests, invoices),
				"reads_per_1000": _per_thousand(total.reads, invoices),
			},
		}
		per_doc = _per_doc(emu, names)
		result |= _duplicates(per_doc)
		in_qbo = {name for name, c in zip(names, per_doc, strict=True) if c > 0}
		result["failed_but_in_qbo"] = sum(1 for name in reported_failed if name in in_qbo)
		if faults:
			result["faults"] = faults
		return result
	finally:
		emu.stop()


SCENARIOS = {"backfill": backfill, "pull": pull, "peer": peer}
