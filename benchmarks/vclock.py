"""A virtual clock shared by two processes: wall time plus an offset kept in a file both map.

Everything the benchmark would wait for (the pacer's pauses before a request, a backoff, a retry's sleep)
moves the offset forward instead of sleeping; everything it computes still takes the real time it takes. So
a 20,000-invoice backfill that Intuit's limits stretch over a quarter of an hour runs in the minutes its
CPU work needs, and the time it reports is the time it would have taken: real work plus the waits. The
emulator process reads the same offset (emulator_process.py --clock), so its rate windows and token
lifetimes see the waits as time that passed.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import time
from pathlib import Path

_FORMAT = "d"


class SharedClock:
	"""now() = time.time() + offset; sleep(s) adds s to the offset at once. Also the emulator's Clock
	(now, advance, reset). One process writes (the benchmark), the other only reads."""

	def __init__(self, path: Path | str, create: bool = False) -> None:
		self.path = Path(path)
		flags = os.O_RDWR | (os.O_CREAT if create else 0)
		fd = os.open(str(path), flags, 0o600)
		try:
			if create:
				os.ftruncate(fd, struct.calcsize(_FORMAT))
			self._map = mmap.mmap(fd, struct.calcsize(_FORMAT))
		finally:
			os.close(fd)
		self._lock = threading.Lock()
		if create:
			self.reset()
		self.slept = 0.0  # this process's skipped waits, for the report

	def offset(self) -> float:
		return struct.unpack_from(_FORMAT, self._map, 0)[0]

	def now(self) -> float:
		return time.time() + self.offset()

	def sleep(self, seconds: float) -> None:
		if seconds and seconds > 0:
			self.advance(seconds)
			self.slept += seconds

	def advance(self, seconds: float) -> None:
		with self._lock:
			struct.pack_into(_FORMAT, self._map, 0, self.offset() + float(seconds))

	def reset(self) -> None:
		with self._lock:
			struct.pack_into(_FORMAT, self._map, 0, 0.0)
