"""Benchmarks side by side: speed, cost and memory of the connector against a python-quickbooks loop, in one
command. Prints the tables (Markdown) and writes every number to a JSON file.

    python3 benchmarks/run.py                        # everything; the real-site part when a bench is found
    python3 benchmarks/run.py --quick                # small sizes, no site: a smoke run in seconds
    python3 benchmarks/run.py --site qbo-test.localhost --bench /opt/frappe-bench

The emulator runs with Intuit's limits on (500 requests a minute, 10 a second, 40 batch requests a minute of up
to 30 operations) on a virtual clock (benchmarks/vclock.py): waits are skipped, not slept, and counted as time
that passed. Each scenario runs in a process of its own. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
	sys.path.insert(0, str(ROOT))

ROUND_TRIP = 0.150  # seconds: a typical round trip to Intuit's API from a server (for the second table)

# name -> (scenario, arguments). Sizes: FULL for the real run, QUICK for the smoke run and the pytest test.
FULL: dict[str, tuple[str, dict[str, Any]]] = {
	"batch": ("backfill", {"mode": "batch", "invoices": 20_000, "warm": 1000}),
	"single": ("backfill", {"mode": "single", "invoices": 2500, "warm": 1000}),
	"peer": ("peer", {"invoices": 1000, "retry": False, "warm": 200}),
	"peer_retry": ("peer", {"invoices": 600, "retry": True, "warm": 200}),
	"rt_single": ("backfill", {"mode": "single", "invoices": 1500, "warm": 500, "round_trip": ROUND_TRIP}),
	"rt_batch": ("backfill", {"mode": "batch", "invoices": 6000, "warm": 500, "round_trip": ROUND_TRIP}),
	"rt_peer": ("peer", {"invoices": 600, "retry": False, "warm": 200, "round_trip": ROUND_TRIP}),
	"rt_peer_retry": ("peer", {"invoices": 600, "retry": True, "warm": 200, "round_trip": ROUND_TRIP}),
	"faults_single": ("backfill", {"mode": "single", "invoices": 300, "warm": 100, "faults": 9, "round_trip": ROUND_TRIP}),
	"faults_batch": ("backfill", {"mode": "batch", "invoices": 300, "warm": 100, "faults": 9, "round_trip": ROUND_TRIP}),
	"faults_peer": ("peer", {"invoices": 300, "retry": False, "faults": 9, "round_trip": ROUND_TRIP}),
	"faults_peer_retry": ("peer", {"invoices": 300, "retry": True, "faults": 9, "round_trip": ROUND_TRIP}),
	"pull": ("pull", {"changed": 10_000}),
}  # fmt: skip
QUICK: dict[str, tuple[str, dict[str, Any]]] = {
	"batch": ("backfill", {"mode": "batch", "invoices": 240, "warm": 60, "customers": 20}),
	"single": ("backfill", {"mode": "single", "invoices": 120, "warm": 60, "customers": 20}),
	"peer": ("peer", {"invoices": 40, "retry": False, "warm": 20, "customers": 20}),
	"peer_retry": ("peer", {"invoices": 40, "retry": True, "warm": 20, "customers": 20}),
	"faults_single": ("backfill", {"mode": "single", "invoices": 60, "warm": 20, "faults": 3, "customers": 20, "round_trip": ROUND_TRIP}),
	"faults_peer_retry": ("peer", {"invoices": 60, "retry": True, "faults": 3, "customers": 20, "round_trip": ROUND_TRIP}),
	"pull": ("pull", {"changed": 300}),
}  # fmt: skip


# -- running scenarios --------------------------------------------------------------------------------------
def run_child(name: str, scenario: str, args: dict[str, Any], workdir: Path) -> dict[str, Any]:
	"""One scenario in a fresh interpreter (its own peak RSS); its JSON is the last line it prints."""
	env = dict(os.environ)
	env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
	started = time.perf_counter()
	proc = subprocess.run(
		[sys.executable, str(Path(__file__).resolve()), "--child", scenario, json.dumps(args), str(workdir)],
		capture_output=True,
		text=True,
		env=env,
		check=False,
	)
	lines = [line for line in proc.stdout.splitlines() if line.strip()]
	if proc.returncode != 0 or not lines:
		tail = (proc.stderr or proc.stdout)[-3000:]
		return {"error": f"scenario {name} failed (exit {proc.returncode}):\n{tail}"}
	result = json.loads(lines[-1])
	result["wall_seconds"] = round(time.perf_counter() - started, 1)
	return result


def child(scenario: str, args_json: str, workdir: str) -> None:
	from benchmarks.engine_scenarios import SCENARIOS

	logging_off()
	result = SCENARIOS[scenario](Path(workdir), **json.loads(args_json))
	sys.stdout.write(json.dumps(result) + "\n")


def logging_off() -> None:
	"""The client logs each 429 and retry at WARNING; the tables count them, the console need not."""
	import logging

	logging.basicConfig(level=logging.ERROR)


def run_engine(plan: dict[str, tuple[str, dict[str, Any]]], workdir: Path, jobs: int) -> dict[str, Any]:
	# Longest first, so two at a time finish together.
	order = list(plan)
	results: dict[str, Any] = {}

	def one(name: str) -> tuple[str, dict[str, Any]]:
		scenario, args = plan[name]
		say(f"  running {name} ({scenario} {json.dumps(args)})")
		result = run_child(name, scenario, args, workdir)
		say(
			f"  done {name} in {result.get('wall_seconds', '?')} s"
			+ (" - FAILED" if "error" in result else "")
		)
		return name, result

	with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
		for name, result in pool.map(one, order):
			results[name] = result
	return results


def run_site(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
	"""The real-site part: benchmarks/site.py under the bench's own Python, holding the site lock."""
	bench = Path(args.bench)
	python = bench / "env" / "bin" / "python"
	site = args.site
	if not python.exists():
		return {"skipped": f"no Frappe bench at {bench} (set --bench or QBO_BENCH)"}
	if not site:
		return {"skipped": "no site given (--site or QBO_TEST_SITE)"}
	if not (bench / "sites" / site / "site_config.json").exists():
		return {"skipped": f"no site {site} in {bench}"}
	command = [str(python), str(ROOT / "benchmarks" / "site.py"), "--site", site, "--workdir", str(workdir)]
	command += ["--pairs", str(args.pairs), "--burst", str(args.burst), "--idle", str(args.idle)]
	if args.lock:
		command = ["flock", args.lock, *command]
	env = dict(os.environ)
	env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
	say(f"  running the real-site part on {site} ({bench})" + (f", holding {args.lock}" if args.lock else ""))
	started = time.perf_counter()
	proc = subprocess.run(
		command, cwd=str(bench / "sites"), capture_output=True, text=True, env=env, check=False
	)
	lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
	if proc.returncode != 0 or not lines:
		return {
			"error": f"site benchmark failed (exit {proc.returncode}):\n{(proc.stderr or proc.stdout)[-4000:]}"
		}
	result = json.loads(lines[-1])
	result["wall_seconds"] = round(time.perf_counter() - started, 1)
	say(f"  done the real-site part in {result['wall_seconds']} s")
	return result


def say(text: str) -> None:
	sys.stderr.write(text + "\n")
	sys.stderr.flush()


# -- the tables -----------------------------------------------------------------------------------------------
def _n(value: Any, digits: int = 0) -> str:
	if value is None or value == "":
		return "-"
	if isinstance(value, float) and value != value:  # NaN
		return "-"
	if isinstance(value, int | float):
		return f"{value:,.{digits}f}"
	return str(value)


def _goal(ok: bool | None) -> str:
	return "" if ok is None else (" ✓" if ok else " ✗")


def _row(cells: list[str]) -> str:
	return "| " + " | ".join(cells) + " |"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
	return [_row(head), _row(["---"] * len(head)), *(_row(r) for r in rows)]


def throughput_rows(results: dict[str, Any], names: list[str], goals: bool) -> list[list[str]]:
	rows = []
	for name in names:
		r = results.get(name)
		if not r:
			continue
		if "error" in r:
			rows.append([name, "failed: see the JSON", *[""] * 9])
			continue
		steady = r.get("steady") or {}
		mode_goal = {"ours, single": 94.0, "ours, batch": 99.0}.get(r["contender"]) if goals else None
		req_goal = {"ours, single": 1050, "ours, batch": 40}.get(r["contender"]) if goals else None
		share = r.get("share_of_ceiling")
		if not r.get("minutes_measured"):
			share = None  # shorter than the warm-up plus a settling minute: no steady rate
		rows.append(
			[
				r["contender"],
				_n(r["invoices"]),
				_n(r["invoices_in_qbo"]),
				_n(r["failed"]),
				_n(r["throttled"]) + _goal(r["throttled"] == 0 if mode_goal else None),
				f"{_n(r['rate_per_min'] if share is not None else None)} of {_n(r['ceiling_per_min'])}",
				(_n(share, 1) + " %" + _goal(share >= mode_goal if mode_goal else None))
				if share is not None
				else "-",
				_n(steady.get("requests_per_1000"))
				+ _goal(
					steady.get("requests_per_1000", 0) <= req_goal
					if req_goal and "requests_per_1000" in steady
					else None
				),
				_n(steady.get("reads_per_1000"), 1)
				+ _goal(
					steady.get("reads_per_1000", 0) <= 5 if mode_goal and "reads_per_1000" in steady else None
				),
				_n(r["virtual_minutes"], 1),
				_n(r["real_seconds"], 1),
			]
		)
	return rows


THROUGHPUT_HEAD = [
	"contender",
	"invoices",
	"in QBO",
	"failed",
	"HTTP 429",
	"sustained invoices/min (of ceiling)",
	"share of ceiling",
	"requests / 1,000 invoices (steady)",
	"metered reads / 1,000 (steady)",
	"virtual minutes",
	"real seconds",
]


def render(report: dict[str, Any]) -> str:
	results = report["engine"]
	out: list[str] = []
	out.append(f"Run {report['started']} on {report['machine']['summary']}; {report['mode']} sizes.")
	out.append("")
	out.append("### Backfill against Intuit's limits (emulator on loopback, virtual clock)")
	out.append("")
	out += _table(
		THROUGHPUT_HEAD, throughput_rows(results, ["single", "batch", "peer", "peer_retry"], goals=True)
	)
	if any(k.startswith("rt_") for k in results):
		out.append("")
		out.append(f"### The same with a {int(ROUND_TRIP * 1000)} ms round trip to Intuit on every request")
		out.append("")
		out += _table(
			THROUGHPUT_HEAD,
			throughput_rows(results, ["rt_single", "rt_batch", "rt_peer", "rt_peer_retry"], goals=False),
		)
	faults = [
		n for n in ("faults_single", "faults_batch", "faults_peer", "faults_peer_retry") if n in results
	]
	if faults:
		out.append("")
		any_fault = next(results[n] for n in faults if "error" not in results[n])
		out.append(
			f"### The same faults for everyone ({any_fault.get('faults')} on the request carrying the invoice: "
			f"committed then HTTP 500, committed then the connection dropped, HTTP 503; "
			f"{any_fault.get('round_trip_ms')} ms round trip)"
		)
		out.append("")
		rows = []
		for name in faults:
			r = results[name]
			if "error" in r:
				rows.append([name, "failed: see the JSON", "", "", "", "", "", ""])
				continue
			ours = r["contender"].startswith("ours")
			rows.append(
				[
					r["contender"],
					_n(r["invoices"]),
					_n(r["in_qbo_once"]),
					_n(r["duplicates"]) + _goal(r["duplicates"] == 0 if ours else None),
					_n(r["missing"]) + _goal(r["missing"] == 0 if ours else None),
					_n(r["failed"]),
					_n(r["failed_but_in_qbo"]),
					_n(r["throttled"]),
				]
			)
		out += _table(
			[
				"contender",
				"documents",
				"in QBO once",
				"duplicates",
				"missing",
				"reported failed",
				"failed but in QBO",
				"HTTP 429",
			],
			rows,
		)
	batch = results.get("batch")
	if batch and "error" not in batch:
		mem = batch["memory_mb"]
		warm = batch["warm"]["invoices"]
		out.append("")
		out.append(f"### Memory: one process pushing {batch['invoices']:,} invoices through batch requests")
		out.append("")
		out += _table(
			["RSS at start", f"after {warm:,}", f"after {batch['invoices']:,}", "growth", "peak"],
			[
				[
					f"{mem['start']} MB",
					f"{mem['at_warm']} MB",
					f"{mem['end']} MB",
					f"{mem['growth_warm_to_end']:+} MB" + _goal(mem["growth_warm_to_end"] <= 50),
					f"{mem['peak']} MB",
				]
			],
		)
	pull = results.get("pull")
	if pull and "error" not in pull:
		out.append("")
		out.append("### Pull (CDC since the watermark; a full query when CDC's 1,000-object answer is full)")
		out.append("")
		rows = []
		for key, label in (
			("nothing_changed", "nothing changed"),
			("changed", f"{pull['changed_records']:,} new customers in QBO"),
		):
			p = pull[key]
			rows.append(
				[
					label,
					_n(p["applied"]),
					_n(p["requests"]) + _goal(p["requests"] == 1 if key == "nothing_changed" else None),
					_n(p["reads"]),
					_n(p["real_seconds"], 2),
				]
			)
		out += _table(["pull", "applied", "requests", "metered reads", "real seconds"], rows)
	out += render_site(report.get("site") or {})
	return "\n".join(out) + "\n"


def render_site(site: dict[str, Any]) -> list[str]:
	out = [
		"",
		"### In a real site (Frappe 15, ERPNext 15, one RQ worker, the emulator with limits on, real time)",
		"",
	]
	if "skipped" in site:
		return [*out, f"Skipped: {site['skipped']}."]
	if "error" in site:
		return [*out, "Failed: see the JSON file."]
	rows = []
	submit = site.get("submit")
	if submit:
		rows.append(
			[
				f"Sales Invoice submit, connection on vs off ({submit['pairs']} interleaved pairs, medians)",
				f"{submit['enabled_ms_median']:.0f} ms vs {submit['disabled_ms_median']:.0f} ms",
				f"ratio {submit['ratio']:.3f}" + _goal(submit["ratio"] <= 1.05),
			]
		)
	idle = site.get("idle")
	if idle:
		rows.append(
			[
				f"submit → in QBO, one at a time, idle worker ({idle['count']} invoices)",
				f"p50 {idle['p50']:.1f} s",
				f"p95 {idle['p95']:.1f} s",
			]
		)
	for key in ("burst_before", "burst"):
		burst = site.get(key)
		if burst:
			how = "each push its own job" if key == "burst_before" else "queued pushes coalesced"
			rows.append(
				[
					f"burst: {burst['count']} submits back to back → in QBO, one worker ({how})",
					f"p50 {burst['p50']:.1f} s",
					f"p95 {burst['p95']:.1f} s"
					+ _goal(burst["p95"] <= 10 if key == "burst" else None)
					+ f"; {burst['jobs_run']} jobs, {burst['requests']} requests ({burst['reads']} metered reads), "
					+ f"{burst['links_synced']} linked, {burst['log_rows']['documents_with_one_row']} with one log row each",
				]
			)
	hooks = site.get("webhooks")
	if hooks:
		rows.append(
			[
				f"webhook endpoint, {hooks['count']} signed deliveries at once ({hooks['server']})",
				f"p50 {hooks['p50'] * 1000:.0f} ms",
				f"p99 {hooks['p99'] * 1000:.0f} ms" + _goal(hooks["p99"] <= 3.0),
			]
		)
	return [*out, *_table(["measure", "", ""], rows)]


START, END = "<!-- results:start -->", "<!-- results:end -->"


def write_readme(path: Path, text: str) -> None:
	"""Replace what lies between the markers, so the README holds this run's tables and nothing else."""
	readme = path.read_text()
	if START not in readme or END not in readme:
		raise SystemExit(f"{path} has no {START} ... {END} block")
	head, rest = readme.split(START, 1)
	_old, tail = rest.split(END, 1)
	path.write_text(f"{head}{START}\n{text}{END}{tail}")


# -- the machine ----------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
	cpu = platform.processor() or platform.machine()
	try:
		with open("/proc/cpuinfo") as info:
			names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
			cpu = names[0] if names else cpu
	except OSError:
		pass
	memory = ""
	try:
		with open("/proc/meminfo") as info:
			kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
			memory = f"{kb / 1024 / 1024:.0f} GB RAM"
	except (OSError, StopIteration):
		pass
	cores = os.cpu_count() or 1
	python = platform.python_version()
	summary = f"{cores} cores ({cpu}), {memory}, {platform.system()} {platform.release()}, Python {python}"
	return {"cores": cores, "cpu": cpu, "memory": memory, "python": python, "summary": summary}


def main(argv: list[str] | None = None) -> int:
	argv = list(sys.argv[1:] if argv is None else argv)
	if argv[:1] == ["--child"]:
		child(*argv[1:4])
		return 0
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--quick", action="store_true", help="small sizes and no site (a smoke run)")
	parser.add_argument(
		"--out", type=Path, default=ROOT / "benchmarks" / "results.json", help="JSON file to write"
	)
	parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
	parser.add_argument(
		"--readme",
		type=Path,
		help="put the tables into this file, between its results:start and results:end markers",
	)
	parser.add_argument(
		"--jobs",
		type=int,
		default=1,
		help="scenarios run at once (1: two would share two cores, and a starved emulator answers late)",
	)
	parser.add_argument("--only", help="comma-separated scenario names (see FULL in run.py)")
	parser.add_argument("--bench", default=os.environ.get("QBO_BENCH", "/opt/frappe-bench"))
	parser.add_argument("--site", default=os.environ.get("QBO_TEST_SITE"), help="site for the real-site part")
	parser.add_argument(
		"--lock", default=os.environ.get("QBO_SITE_LOCK"), help="flock this file around the site part"
	)
	parser.add_argument("--no-site", action="store_true", help="skip the real-site part")
	parser.add_argument("--pairs", type=int, default=30, help="site: enabled/disabled submit pairs")
	parser.add_argument("--burst", type=int, default=50, help="site: invoices submitted back to back")
	parser.add_argument("--idle", type=int, default=12, help="site: invoices submitted one at a time")
	args = parser.parse_args(argv)

	plan = dict(QUICK if args.quick else FULL)
	if args.only:
		plan = {name: plan[name] for name in args.only.split(",") if name in plan}
	workdir = Path(tempfile.mkdtemp(prefix="qbo-bench-"))
	report: dict[str, Any] = {
		"started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
		"mode": "quick" if args.quick else "full",
		"machine": machine(),
		"command": " ".join(["python3", "benchmarks/run.py", *argv]),
	}
	started = time.perf_counter()
	try:
		say(f"Emulator scenarios ({len(plan)}, {args.jobs} at a time):")
		report["engine"] = run_engine(plan, workdir, args.jobs)
		report["engine_seconds"] = round(time.perf_counter() - started, 1)
		if args.quick or args.no_site or (args.only and "site" not in args.only.split(",")):
			report["site"] = {"skipped": "not asked for (--quick, --no-site or --only)"}
		else:
			say("Real site:")
			report["site"] = run_site(args, workdir)
	finally:
		shutil.rmtree(workdir, ignore_errors=True)
	report["wall_seconds"] = round(time.perf_counter() - started, 1)
	site_seconds = float(report["site"].get("seconds") or 0)
	waited = report["wall_seconds"] - report["engine_seconds"] - site_seconds
	text = render(report) + (
		f"\nWhole run: {report['engine_seconds'] + site_seconds:.0f} s (emulator scenarios "
		f"{report['engine_seconds']:.0f} s, real site {site_seconds:.0f} s)"
		+ (f", plus {waited:.0f} s waiting for the site lock" if site_seconds and waited > 30 else "")
		+ ".\n"
	)
	report["markdown"] = text
	args.out.write_text(json.dumps(report, indent=1) + "\n")
	if args.markdown:
		args.markdown.write_text(text)
	if args.readme:
		write_readme(args.readme, text)
	sys.stdout.write(text)
	failed = [name for name, r in report["engine"].items() if "error" in r]
	if "error" in report.get("site", {}):
		failed.append("site")
	for name in failed:
		say(f"{name}: {(report['engine'].get(name) or report['site'])['error']}")
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())
