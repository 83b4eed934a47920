"""A cross-process lock in Frappe's Redis, for work that must not run twice at once (token refresh)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import frappe
from frappe import _
from redis.exceptions import LockError


class LockTimeout(frappe.ValidationError):
	"""Another process held the lock for longer than we were willing to wait."""


@contextmanager
def redis_lock(name: str, timeout: float = 60, blocking_timeout: float = 90) -> Iterator[None]:
	"""Hold a Redis lock named `name` (site-scoped) while the block runs.

	`timeout` bounds how long a crashed holder can keep others out; `blocking_timeout` bounds how long we
	wait for it. The lock is released even when the block raises.
	"""
	cache = frappe.cache()
	lock = cache.lock(cache.make_key(f"qbo:lock:{name}"), timeout=timeout, blocking_timeout=blocking_timeout)
	if not lock.acquire():
		raise LockTimeout(_("Another process is busy with {0}; please try again in a minute.").format(name))
	try:
		yield
	finally:
		try:
			lock.release()
		except LockError:  # expired while we worked: must not hide the block's own outcome
			frappe.logger("qbo_connector").warning("QBO lock %s expired before release", name)
