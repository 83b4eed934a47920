"""How fast a first sync goes: N invoices through SyncEngine.push_many against the local emulator, with the
real client, the real Pacer (Intuit's 10/s, 500/min, 40 batch/min) and the emulator's own limits on.

    python benchmarks/sync_push_many.py --invoices 1000
    python benchmarks/sync_push_many.py --invoices 200 --single   # one request per invoice, for contrast
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sync"))

from sync_support import make_config, make_engine, make_store, many_invoices  # noqa: E402

from qbo_connector.emulator import EmulatorServer  # noqa: E402
from qbo_connector.qbo.pacing import Pacer  # noqa: E402

log = logging.getLogger("benchmark")


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--invoices", type=int, default=1000)
	parser.add_argument("--single", action="store_true", help="push one by one instead of batches")
	args = parser.parse_args()
	logging.basicConfig(level=logging.INFO, format="%(message)s")

	with EmulatorServer(port=0, limits_enabled=True) as emu:
		config = make_config(emu)
		store = make_store(config)
		docs = many_invoices(args.invoices)
		for doc in docs:
			store.add_doc(doc)
		requests = []
		engine = make_engine(emu, store, pacer=Pacer(), on_exchange=requests.append)
		started = time.perf_counter()
		if args.single:
			results = [engine.push("Sales Invoice", doc["name"]) for doc in docs]
			failed = sum(1 for r in results if r.status == "Failed")
		else:
			failed = engine.push_many("Sales Invoice", [d["name"] for d in docs]).failed
		elapsed = time.perf_counter() - started
		invoices = len(emu.objects("Invoice"))
	log.info(
		"%d invoices (%s): %d in QBO, %d failed, %d HTTP requests, %.1f s, %.0f invoices/min",
		args.invoices,
		"single" if args.single else "batch",
		invoices,
		failed,
		len(requests),
		elapsed,
		args.invoices / elapsed * 60,
	)


if __name__ == "__main__":
	main()
