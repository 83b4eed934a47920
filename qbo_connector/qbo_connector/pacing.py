"""Intuit's per-company request limits, counted in Redis so every worker and web process shares one budget.

`qbo.pacing.Pacer` asks a `PacingState` whether one more request fits; in a bench several RQ workers and
gunicorn processes call QBO for the same company at once, so the count has to live outside any one process.
"""

from __future__ import annotations

import uuid
from typing import Any

import frappe

# A sliding window kept in a sorted set (score = time of the hit). Trim, count, then either record the
# hit or report how long until the oldest hit leaves the window. One Lua script, so it is atomic across
# processes: two workers can never both take the last slot.
_ACQUIRE = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
	redis.call('ZADD', key, now, ARGV[4])
	redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
	return '0'
end
-- the hit whose departure makes room (the oldest one when the limit has not changed since)
local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 0.001 then wait = 0.001 end
return tostring(wait)
"""

# Every window of one request at once (Pacer.wait): ARGV = now, member, then limit and seconds per KEY. A hit
# goes into all of them or none, so a request held back by one window is not counted early in another.
_ACQUIRE_ALL = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
	local limit = tonumber(ARGV[1 + 2 * i])
	local window = tonumber(ARGV[2 + 2 * i])
	redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
	local count = redis.call('ZCARD', key)
	if count >= limit then
		local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
		local w = tonumber(oldest[2]) + window - now
		if w < 0.001 then w = 0.001 end
		if w > wait then wait = w end
	end
end
if wait > 0 then
	return tostring(wait)
end
for i, key in ipairs(KEYS) do
	redis.call('ZADD', key, now, ARGV[2])
	redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[2 + 2 * i]) * 1000) + 1000)
end
return '0'
"""

_PREFIX = "qbo:pace:"


class RedisPacingState:
	"""qbo.pacing.PacingState over frappe.cache(): a sliding-window counter per key, shared by all processes."""

	def __init__(self, prefix: str = _PREFIX) -> None:
		self.prefix = prefix
		self._script = None
		self._script_all = None

	def acquire(self, key: str, limit: int, window: float, now: float) -> float:
		"""Record one hit and return 0.0 if it fits in the window, else the seconds to wait (nothing recorded)."""
		cache = frappe.cache()
		if self._script is None:
			self._script = cache.register_script(_ACQUIRE)
		redis_key = cache.make_key(f"{self.prefix}{key}")
		# The member must be unique: two hits in the same microsecond are still two hits.
		member = f"{now:.6f}:{uuid.uuid4().hex}"
		answer = self._script(keys=[redis_key], args=[int(limit), float(window), float(now), member])
		return float(answer.decode() if isinstance(answer, bytes) else answer)

	def acquire_all(self, windows: list[tuple[str, int, float]], now: float) -> float:
		"""One hit in every (key, limit, seconds) window, or none: 0.0 when all have room (recorded in each),
		else the seconds until all would have room (nothing recorded). Atomic across processes."""
		cache = frappe.cache()
		if self._script_all is None:
			self._script_all = cache.register_script(_ACQUIRE_ALL)
		keys = [cache.make_key(f"{self.prefix}{key}") for key, _limit, _window in windows]
		args: list[Any] = [float(now), f"{now:.6f}:{uuid.uuid4().hex}"]
		for _key, limit, window in windows:
			args += [int(limit), float(window)]
		answer = self._script_all(keys=keys, args=args)
		return float(answer.decode() if isinstance(answer, bytes) else answer)

	def reset(self, key: str) -> None:
		"""Forget the hits of one key (tests, or after Intuit raised the limits)."""
		cache = frappe.cache()
		cache.delete(cache.make_key(f"{self.prefix}{key}"))
