"""The read budget: Intuit meters reads on the accounting API (GET, query, CDC, reports) per connected company
and calendar month (500,000 on the free tier, then refused until the month ends); writes are not metered.

The client counts every metered request through a ReadCounter (QBOClient(read_counter=...)); the Frappe layer
keeps the count in Redis and on the connection, the tests in memory. ReadBudget says where a company stands:
at 80 % of the allowance the managers are warned; at 100 % reads that can wait (reconciliation, re-reading
everything) stop and say why, so what is left goes to the reads pushes and payments need.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from qbo_connector.qbo.errors import QBOError

DEFAULT_MONTHLY_READS = 500_000
WARN_AT = 0.8

OK, WARN, SPENT = "ok", "warn", "spent"


def month_of(moment: datetime | float | None = None) -> str:
	"""The metering month of a moment, "YYYY-MM" in UTC."""
	if moment is None:
		moment = time.time()
	if isinstance(moment, datetime):
		aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
		return aware.astimezone(timezone.utc).strftime("%Y-%m")
	return time.strftime("%Y-%m", time.gmtime(float(moment)))


def next_month(month: str) -> str:
	"""The first day of the month after `month` ("2026-12" -> "2027-01-01")."""
	year, number = (int(part) for part in month.split("-"))
	year, number = (year + 1, 1) if number == 12 else (year, number + 1)
	return f"{year:04d}-{number:02d}-01"


def is_metered(method: str, path: str) -> bool:
	"""Whether one request is a metered read: any GET (an object, settings, CDC, a report, a PDF) or a query
	(also sent as POST when long). Creates, updates, voids, deletes and sends are writes; a batch is counted
	by its query items (the client passes that number)."""
	return method.upper() == "GET" or path.split("?")[0].strip("/").lower() == "query"


class ReadCounter(Protocol):
	"""Where metered reads are counted, per QBO company and month (shared by every worker in the Frappe layer)."""

	def add(self, realm_id: str, count: int) -> None: ...

	def used(self, realm_id: str, month: str | None = None) -> int: ...


class MemoryReadCounter:
	"""A ReadCounter in process memory (tests, the demo)."""

	def __init__(self, clock: Callable[[], float] = time.time) -> None:
		self.clock = clock
		self.counts: dict[tuple[str, str], int] = {}
		self._lock = threading.Lock()

	def add(self, realm_id: str, count: int) -> None:
		key = (str(realm_id), month_of(self.clock()))
		with self._lock:
			self.counts[key] = self.counts.get(key, 0) + int(count)

	def used(self, realm_id: str, month: str | None = None) -> int:
		return self.counts.get((str(realm_id), month or month_of(self.clock())), 0)


@dataclass(frozen=True)
class BudgetState:
	"""Where one company stands this month."""

	realm_id: str
	month: str
	used: int
	allowance: int

	@property
	def fraction(self) -> float:
		return self.used / self.allowance if self.allowance > 0 else 0.0

	@property
	def level(self) -> str:
		if self.allowance <= 0:
			return OK  # no allowance set: nothing is held back
		if self.used >= self.allowance:
			return SPENT
		return WARN if self.fraction >= WARN_AT else OK

	def sentence(self) -> str:
		return (
			f"{self.used:,} of the {self.allowance:,} metered QuickBooks reads of {self.month} used "
			f"({self.fraction:.0%})."
		)


class ReadBudgetSpent(QBOError):
	"""The month's read allowance is used up: a read that can wait was not made (not retried until then)."""


class ReadBudget:
	"""The allowance against the counter. `check_deferrable` is what reads that can wait ask first."""

	def __init__(
		self,
		counter: ReadCounter,
		allowance: int = DEFAULT_MONTHLY_READS,
		clock: Callable[[], float] = time.time,
	) -> None:
		self.counter = counter
		self.allowance = int(allowance)
		self.clock = clock

	def state(self, realm_id: str) -> BudgetState:
		month = month_of(self.clock())
		return BudgetState(str(realm_id), month, int(self.counter.used(realm_id, month)), self.allowance)

	def check_deferrable(self, realm_id: str, what: str) -> BudgetState:
		"""The state, or ReadBudgetSpent (saying why and until when) once the allowance is used up."""
		state = self.state(realm_id)
		if state.level != SPENT:
			return state
		raise ReadBudgetSpent(
			f"Read allowance spent for realm {realm_id} in {state.month}",
			code="READ_BUDGET",
			user_message=(
				f"{what[:1].upper()}{what[1:]} is put off until {next_month(state.month)}: this QuickBooks "
				f"company has used {state.used:,} of its {state.allowance:,} metered reads for {state.month}, "
				"the monthly allowance set in QBO Settings (Intuit refuses reads beyond its plan's). Reads that "
				"can wait stop so that pushes and payments keep the reads they need. Raise the allowance in QBO "
				"Settings if your Intuit plan includes more."
			),
		)
