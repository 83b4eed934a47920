"""Intuit's throttles per realm and app: 10 requests/second, 500/minute, 40 batch requests/minute.

Sliding windows over the emulator clock, scaled by `time_scale` (0.01 makes a minute 0.6 s). A refused request
is not counted, as a retry after the wait must get through.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
	from .state import EmulatorState


class Limiter:
	def __init__(self, state: EmulatorState) -> None:
		self.state = state
		self.hits: dict[tuple[str, str, str], collections.deque[float]] = {}
		self.throttled = 0

	def clear(self) -> None:
		self.hits.clear()
		self.throttled = 0

	def check(self, realm_id: str, client_id: str, batch: bool) -> float | None:
		"""Record the request and return None, or return the seconds until it would be allowed (429)."""
		cfg = self.state.config
		if not cfg.limits_enabled:
			return None
		now = self.state.now()
		windows = [
			("second", cfg.limit_per_second, self.state.scaled(1.0)),
			("minute", cfg.limit_per_minute, self.state.scaled(60.0)),
		]
		if batch:
			windows.append(("batch", cfg.batch_limit_per_minute, self.state.scaled(60.0)))
		with self.state.lock:
			wait = 0.0
			for name, limit, window in windows:
				hits = self.hits.setdefault((realm_id, client_id, name), collections.deque())
				while hits and hits[0] <= now - window:
					hits.popleft()
				if len(hits) >= limit:
					wait = max(wait, hits[0] + window - now)
			if wait > 0:
				self.throttled += 1
				return wait
			for name, _limit, _window in windows:
				self.hits[(realm_id, client_id, name)].append(now)
			return None
