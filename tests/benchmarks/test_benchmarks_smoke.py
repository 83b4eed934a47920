"""A smoke test of the benchmark code (benchmarks/): the virtual clock, the rate measure, the disk store and a
tiny run of each emulator scenario. The real sizes are run by `python3 benchmarks/run.py`, not by CI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from benchmarks import engine_scenarios, run
from benchmarks.harness import PACER_MINUTE, is_read, percentile, sustained_rate
from benchmarks.vclock import SharedClock


def test_the_virtual_clock_is_shared_and_sleeping_costs_no_time(tmp_path: Path) -> None:
	writer = SharedClock(tmp_path / "clock", create=True)
	reader = SharedClock(tmp_path / "clock")  # what the emulator process maps
	started = time.perf_counter()
	writer.sleep(3600)
	assert time.perf_counter() - started < 0.5
	assert reader.now() - time.time() == pytest.approx(3600, abs=0.5)
	assert writer.slept == 3600


def test_sustained_rate_counts_whole_windows_from_a_departure() -> None:
	# 40 batches of 30 at the start of every 60.25 s window, the batch path's rhythm: 1,195 a minute, whatever
	# the window the run ends in
	times = [k * PACER_MINUTE + b * 0.125 for k in range(6) for b in range(40) for _ in range(30)]
	rate, minutes = sustained_rate(times + [6 * PACER_MINUTE] * 30 * 17, start=-61.0)
	assert rate == pytest.approx(40 * 30 / PACER_MINUTE * 60)
	assert minutes == pytest.approx(6 * PACER_MINUTE / 60)


def test_reads_are_gets_queries_and_cdc_not_writes() -> None:
	base = "http://127.0.0.1:1/v3/company/1"
	assert is_read("GET", f"{base}/invoice/4?minorversion=75")
	assert is_read("POST", f"{base}/query?minorversion=75")
	assert is_read("GET", f"{base}/cdc?entities=Customer")
	assert not is_read("POST", f"{base}/batch?requestid=x")
	assert not is_read("POST", "http://127.0.0.1:1/oauth2/v1/tokens/bearer")
	assert percentile([5, 1, 4, 2, 3], 50) == 3 and percentile(list(range(1, 21)), 95) == 19


def test_tiny_runs_of_each_scenario(tmp_path: Path) -> None:
	batch = engine_scenarios.backfill(tmp_path, "batch", 45, warm=15, customers=5, items=2, faults=1)
	assert (batch["linked"], batch["invoices_in_qbo"], batch["failed"], batch["throttled"]) == (45, 45, 0, 0)
	assert batch["duplicates"] == 0 and batch["missing"] == 0
	assert batch["steady"]["by_kind"] == {"write batch": 1}  # 30 invoices, one batch request, no read
	single = engine_scenarios.backfill(tmp_path, "single", 12, warm=6, customers=3, items=2)
	assert single["steady"]["requests"] == 6 and single["steady"]["reads"] == 0
	peer = engine_scenarios.peer(tmp_path, 6, retry=True, customers=3, items=2, warm=3, round_trip=0.15)
	assert peer["invoices_in_qbo"] == 6 and peer["in_qbo_once"] == 6
	assert peer["steady"]["reads"] >= 3 * 3  # a customer and two or three items looked up per invoice
	pull = engine_scenarios.pull(tmp_path, changed=5)
	assert pull["nothing_changed"]["requests"] == 1
	assert pull["changed"]["applied"] == 5
	report = {
		"started": "now",
		"mode": "quick",
		"machine": run.machine(),
		"engine": {"batch": batch, "single": single, "peer_retry": peer, "pull": pull},
		"site": {"skipped": "no bench in the smoke test"},
	}
	text = run.render(report)
	assert "| ours, batch | 45 | 45 | 0 | 0" in text
	assert "Skipped: no bench in the smoke test." in text
	json.dumps(report)  # what run.py writes
