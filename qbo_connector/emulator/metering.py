"""Metered reads, as Intuit counts them (App Partner Program, 2025): reads on the accounting API (GET of an
object, a query, CDC, reports, settings, a PDF) count against a monthly allowance per company; writes
(create, update, delete, void, batch writes) do not. A batch's query items are reads.

The emulator counts what it served (a request refused for its token or throttled never reached the API) per
company and calendar month (UTC), so tests can prove a path reads what it should and nothing more, and a
preview that it wrote nothing.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
	from .state import EmulatorState


def month_of(ts: float) -> str:
	return time.strftime("%Y-%m", time.gmtime(ts))


class Meter:
	def __init__(self, state: EmulatorState) -> None:
		self.state = state
		self.reads: dict[tuple[str, str], int] = defaultdict(int)
		self.writes: dict[tuple[str, str], int] = defaultdict(int)

	def clear(self) -> None:
		self.reads.clear()
		self.writes.clear()

	def record(self, realm_id: str, method: str, rest: list[str], body: bytes) -> None:
		"""Count one served API request: a read, a write, or (batch) its query items as reads."""
		key = (str(realm_id), month_of(self.state.now()))
		head = rest[0].lower() if rest else ""
		with self.state.lock:
			if method == "GET" or head == "query":
				self.reads[key] += 1
				return
			if head == "batch":
				try:
					items = (json.loads(body or b"{}") or {}).get("BatchItemRequest") or []
				except (ValueError, AttributeError):
					items = []
				queries = sum(1 for item in items if isinstance(item, dict) and "Query" in item)
				self.reads[key] += queries
				if queries < len(items) or not items:
					self.writes[key] += 1
				return
			self.writes[key] += 1

	def read_count(self, realm_id: str, month: str | None = None) -> int:
		month = month or month_of(self.state.now())
		return self.reads.get((str(realm_id), month), 0)

	def write_count(self, realm_id: str, month: str | None = None) -> int:
		month = month or month_of(self.state.now())
		return self.writes.get((str(realm_id), month), 0)
