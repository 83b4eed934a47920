"""The QBO emulator in a process of its own, for the benchmarks (python benchmarks/emulator_process.py ...).

A separate process keeps its memory (every invoice a backfill creates) out of the measured one and its CPU off
the measured interpreter's lock. Two additions to the plain emulator, both made here and not in the emulator:

* --clock FILE: the emulator's clock reads the offset the benchmark's virtual clock keeps in FILE, so a pause
  the benchmark skips (a pacing wait, a backoff) is time that passed for Intuit's limits too.
* --created-log FILE: one line "<entity>\\t<DocNumber>\\t<unix time>" per transaction created, written when the
  create commits, so the real-site benchmark can time "submitted -> in QuickBooks" to the millisecond.

It prints "READY <base url>" and then answers JSON commands, one a line, on stdin (see COMMANDS); it stops
when stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.vclock import SharedClock
from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.state import Company

TRANSACTIONS = ("Invoice", "CreditMemo", "Payment")


def _log_creates(path: Path) -> None:
	"""Append a line per new transaction when Company.save stores it (the emulator's only write path)."""
	out = path.open("a", buffering=1)
	lock = threading.Lock()
	original = Company.save

	def save(self: Company, entity: str, obj: dict, now: float, *, new: bool) -> dict:
		saved = original(self, entity, obj, now, new=new)
		if new and entity in TRANSACTIONS:
			with lock:
				out.write(f"{entity}\t{saved.get('DocNumber') or ''}\t{time.time():.6f}\n")
		return saved

	Company.save = save  # type: ignore[method-assign]


class _Requests:
	"""API requests the emulator answered, by "GET invoice", "POST batch", ... and HTTP status class."""

	def __init__(self) -> None:
		self.counts: dict[str, int] = {}
		self.lock = threading.Lock()

	def install(self) -> None:
		from qbo_connector.emulator.server import Handler

		original = Handler._api
		counter = self

		def _api(handler: Handler, method: str, path: str, *args: Any) -> Any:
			answer = original(handler, method, path, *args)
			parts = [p for p in path.split("/") if p]
			kind = f"{method} {parts[3].lower() if len(parts) > 3 else '?'}"
			with counter.lock:
				counter.counts[kind] = counter.counts.get(kind, 0) + 1
				if answer.status == 429:
					counter.counts["HTTP 429"] = counter.counts.get("HTTP 429", 0) + 1
			return answer

		Handler._api = _api  # type: ignore[method-assign]

	def take(self, reset: bool) -> dict:
		with self.lock:
			counts = dict(self.counts)
			if reset:
				self.counts.clear()
		return {"requests": counts}


REQUESTS = _Requests()


def _add_customers(emu: EmulatorServer, count: int, prefix: str, realm_id: str | None = None) -> dict:
	for n in range(count):
		emu.add_customer(f"{prefix} {n:05d}", realm_id=realm_id)
	return {"added": count}


def _invoices(emu: EmulatorServer, realm_id: str | None = None) -> dict:
	"""DocNumber and the head of PrivateNote of every invoice: what duplicate counts are made from."""
	with emu.state.lock:
		company = emu.state.company(realm_id or emu.realm_id)
		rows = list(company.table("Invoice").values()) if company else []
		return {
			"invoices": [
				[str(r.get("DocNumber") or ""), str(r.get("PrivateNote") or "").split(";")[0].strip()]
				for r in rows
			]
		}


def _counts(emu: EmulatorServer, realm_id: str | None = None) -> dict:
	with emu.state.lock:
		company = emu.state.company(realm_id or emu.realm_id)
		return {"counts": company.counts() if company else {}, "throttled": emu.state.limiter.throttled}


COMMANDS = {
	"add_customers": lambda emu, args: _add_customers(emu, int(args["count"]), str(args["prefix"])),
	"invoices": lambda emu, args: _invoices(emu, args.get("realm_id")),
	"counts": lambda emu, args: _counts(emu, args.get("realm_id")),
	"fault": lambda emu, args: {"id": emu.add_fault(**args["rule"]).id},
	"company": lambda emu, args: emu.set_company(**args),
	"tokens": lambda emu, args: emu.issue_tokens(args.get("realm_id")),
	"add_item": lambda emu, args: emu.add_item(**args),
	"objects": lambda emu, args: {"objects": emu.objects(args["entity"], args.get("realm_id"))},
	"requests": lambda emu, args: REQUESTS.take(bool(args.get("reset"))),
}


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--clock", type=Path, help="shared virtual-clock file")
	parser.add_argument("--created-log", type=Path, help="append a line per transaction created")
	parser.add_argument("--options", default="{}", help="EmulatorServer options as JSON")
	parser.add_argument("--port", type=int, default=0)
	args = parser.parse_args()
	if args.created_log:
		_log_creates(args.created_log)
	REQUESTS.install()
	emu = EmulatorServer(port=args.port, **json.loads(args.options))
	if args.clock:
		emu.state.clock = SharedClock(args.clock)
	emu.start()
	sys.stdout.write(f"READY {emu.base_url} {emu.realm_id}\n")
	sys.stdout.flush()
	for line in sys.stdin:
		if not line.strip():
			continue
		try:
			request: dict[str, Any] = json.loads(line)
			answer = COMMANDS[request["cmd"]](emu, request.get("args") or {})
		except Exception as exc:  # noqa: BLE001 - the benchmark gets the error as an answer, not a dead pipe
			answer = {"error": f"{type(exc).__name__}: {exc}"}
		sys.stdout.write(json.dumps(answer, default=str) + "\n")
		sys.stdout.flush()
	emu.stop()


if __name__ == "__main__":
	main()
