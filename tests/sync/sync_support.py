"""Helpers for the sync tests: a real QBOClient against the in-process emulator, a MemoryStore seeded from
the ERPNext fixtures, and invoices derived from them (renamed, quantities varied, totals recomputed)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.tour import (
	COMPANY,
	connect_engine,
	emulator_client,
	emulator_config,
	qbo_id_by_name,
)
from qbo_connector.qbo.client import QBOClient
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

__all__ = ["COMPANY", "FIXTURES", "by_name", "make_client", "make_config", "make_engine", "make_store"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "erpnext"
TINY_BACKOFF = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def fixture(name: str) -> dict[str, Any]:
	return json.loads((FIXTURES / f"{name}.json").read_text())


# The real client tuned for speed: tiny backoffs, short timeouts, no pacing (the emulator's limits are off
# unless a test turns them on).
_FAST: dict[str, Any] = {
	"pacer": None,
	"timeout": (2.0, 1.0),
	"max_retries": 4,
	"backoff_base": 0.002,
	"throttle_wait": 0.01,
	"max_backoff": 0.05,
	"jitter": lambda: 0.0,
}


def make_client(emu: EmulatorServer, realm_id: str | None = None, **options: Any) -> QBOClient:
	"""The real client with the real OAuth refresh, tuned for speed."""
	return emulator_client(emu, realm_id, **{**_FAST, **options})


by_name = qbo_id_by_name
make_config = emulator_config


def make_store(config: ConnectionConfig) -> MemoryStore:
	store = MemoryStore()
	store.load_fixtures(FIXTURES)
	store.add_config(config)
	return store


class Clock:
	"""A settable clock for the engine (backoff due times, watermarks)."""

	def __init__(self) -> None:
		self.now = datetime.now(timezone.utc)

	def __call__(self) -> datetime:
		return self.now

	def advance(self, **delta: float) -> None:
		self.now += timedelta(**delta)


def make_engine(
	emu: EmulatorServer, store: MemoryStore, clock: Clock | None = None, **client_options: Any
) -> SyncEngine:
	return connect_engine(emu, store, clock or Clock(), backoff=TINY_BACKOFF, **{**_FAST, **client_options})


# -- deriving more invoices ----------------------------------------------------------------------------
def _money(value: Decimal) -> float:
	return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def derive_untaxed(template: dict[str, Any], name: str, quantities: list[int]) -> dict[str, Any]:
	"""A copy of an untaxed invoice (si_basic) under a new name with new quantities; every total that
	ERPNext would recompute is recomputed (rates are 2-decimal, so amounts are exact)."""
	doc = copy.deepcopy(template)
	doc["name"] = name
	total = Decimal(0)
	qty_total = Decimal(0)
	for row, qty in zip(doc["items"], quantities, strict=False):
		rate = Decimal(str(row["rate"]))
		amount = rate * qty
		row.update(
			qty=float(qty),
			stock_qty=float(qty),
			amount=_money(amount),
			net_amount=_money(amount),
			base_amount=_money(amount),
			base_net_amount=_money(amount),
			parent=name,
		)
		total += amount
		qty_total += qty
	for key in (
		"total",
		"net_total",
		"base_total",
		"base_net_total",
		"grand_total",
		"base_grand_total",
		"rounded_total",
		"base_rounded_total",
		"outstanding_amount",
		"amount_eligible_for_commission",
	):
		doc[key] = _money(total)
	doc["total_qty"] = float(qty_total)
	for row in doc.get("payment_schedule") or []:
		row.update(payment_amount=_money(total), outstanding=_money(total), base_payment_amount=_money(total))
	return doc


def renamed(template: dict[str, Any], name: str) -> dict[str, Any]:
	"""The same invoice under another name (same figures)."""
	doc = copy.deepcopy(template)
	doc["name"] = name
	for table in ("items", "taxes", "payment_schedule"):
		for row in doc.get(table) or []:
			row["parent"] = name
	return doc


def many_invoices(count: int, prefix: str = "ACC-SINV-2027-") -> list[dict[str, Any]]:
	"""`count` submitted invoices: mostly si_basic with varied quantities, plus renamed copies of the taxed,
	deferred-revenue and long-text fixtures, so the fault matrix covers tax and truncation too."""
	basic = fixture("si_basic")
	others = [fixture("si_us_sales_tax"), fixture("si_with_service_dates"), fixture("si_long_text")]
	docs = []
	for n in range(1, count + 1):
		name = f"{prefix}{n:05d}"
		if n % 4 == 0:
			docs.append(renamed(others[(n // 4) % len(others)], name))
		else:
			docs.append(derive_untaxed(basic, name, [1 + n % 9, 2 + n % 13]))
	return docs
