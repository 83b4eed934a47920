"""Client-side pacing so one QBO company never sees more than Intuit's limits from all our workers.

Intuit counts per realm and app: 10 requests a second, 500 a minute, 40 batch requests a minute. The
counters live behind PacingState so the Frappe layer can share them across workers through Redis.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from qbo_connector.qbo.constants import BATCH_LIMIT_PER_MINUTE, LIMIT_PER_MINUTE, LIMIT_PER_SECOND


class PacingState(Protocol):
	"""A state may also offer acquire_all(windows, now) -> float: one hit in each (key, limit, seconds) window
	or in none, atomically; the Pacer uses it when present (see Pacer.wait)."""

	def acquire(self, key: str, limit: int, window: float, now: float) -> float:
		"""Record a hit and return 0.0 if key has fewer than limit hits in the last window seconds;
		otherwise record nothing and return the seconds until a slot frees up."""
		...


Window = tuple[str, int, float]  # key, limit, seconds


def _wait_for(hits: deque[float], limit: int, window: float, now: float) -> float:
	"""Trim hits older than the window; the seconds until one more fits (0.0: it fits now)."""
	while hits and hits[0] <= now - window:
		hits.popleft()
	if len(hits) < limit:
		return 0.0
	return max(hits[len(hits) - limit] + window - now, 1e-3)


class MemoryPacingState:
	"""Sliding-window counters in process memory (one worker, tests, the emulator); thread-safe."""

	def __init__(self) -> None:
		self._hits: dict[str, deque[float]] = {}
		self._lock = threading.Lock()

	def acquire(self, key: str, limit: int, window: float, now: float) -> float:
		return self.acquire_all([(key, limit, window)], now)

	def acquire_all(self, windows: list[Window], now: float) -> float:
		"""One hit in every window, or none: 0.0 when all have room now (recorded in each), else the
		seconds until all would have room (nothing recorded)."""
		with self._lock:
			wait = max(
				_wait_for(self._hits.setdefault(key, deque()), limit, span, now)
				for key, limit, span in windows
			)
			if wait > 0:
				return wait
			for key, _limit, _span in windows:
				self._hits[key].append(now)
			return 0.0

	def reset(self) -> None:
		with self._lock:
			self._hits.clear()


class Pacer:
	"""Blocks before each request until every limit for the realm allows it."""

	def __init__(
		self,
		state: PacingState | None = None,
		clock: Callable[[], float] = time.time,
		sleep: Callable[[float], None] = time.sleep,
		per_second: int = LIMIT_PER_SECOND,
		per_minute: int = LIMIT_PER_MINUTE,
		batch_per_minute: int = BATCH_LIMIT_PER_MINUTE,
		prefix: str = "qbo_pacing",
		headroom: float = 0.25,
	) -> None:
		# time.time (not monotonic) by default: the shared Redis state compares timestamps across processes.
		self.state = state if state is not None else MemoryPacingState()
		self.clock = clock
		self.sleep = sleep
		self.per_second = per_second
		self.per_minute = per_minute
		self.batch_per_minute = batch_per_minute
		self.prefix = prefix
		# Seconds added to every window. We time a request when it leaves; Intuit counts it when it arrives,
		# and network jitter can bunch eleven departures a hair over a second apart into one arrival second.
		self.headroom = headroom

	def _limits(self, realm_id: str, batch: bool) -> list[Window]:
		# Longest windows first (for a state without acquire_all): a hit recorded there while a shorter
		# window makes us wait is early by at most that short wait.
		base = f"{self.prefix}:{realm_id}"
		limits = []
		if batch:
			limits.append((f"{base}:batch_minute", self.batch_per_minute, 60.0 + self.headroom))
		limits.append((f"{base}:minute", self.per_minute, 60.0 + self.headroom))
		limits.append((f"{base}:second", self.per_second, 1.0 + self.headroom))
		return limits

	def wait(self, realm_id: str, batch: bool = False) -> float:
		"""Sleep until a request (or batch request) for realm_id may go; returns the seconds slept.

		With a state that has acquire_all, the hit goes into every window at once, at the moment the
		request may leave. Window by window, a batch request recorded in the batch window and then held
		back by the full 500-a-minute window would count from up to a minute before it left, and the
		batch after the fortieth would be answered 429 by Intuit."""
		limits = self._limits(str(realm_id), batch)
		acquire_all = getattr(self.state, "acquire_all", None)
		slept = 0.0
		if acquire_all is not None:
			while True:
				delay = acquire_all(limits, self.clock())
				if delay <= 0:
					return slept
				self.sleep(delay)
				slept += delay
		for key, limit, window in limits:
			while True:
				delay = self.state.acquire(key, limit, window, self.clock())
				if delay <= 0:
					break
				self.sleep(delay)
				slept += delay
		return slept
