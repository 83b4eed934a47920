"""The Redis adapters: the shared pacing window and the cross-process lock."""

from __future__ import annotations

import threading
import uuid

import frappe

from qbo_connector.qbo.pacing import Pacer
from qbo_connector.qbo_connector.locks import LockTimeout, redis_lock
from qbo_connector.qbo_connector.pacing import RedisPacingState
from qbo_connector.qbo_connector.tests.utils import TestCase


class TestRedisPacing(TestCase):
	def setUp(self) -> None:
		self.state = RedisPacingState()
		self.key = f"test:{uuid.uuid4().hex}"
		self.addCleanup(self.state.reset, self.key)

	def test_sliding_window(self) -> None:
		now = 1_000.0
		for i in range(3):
			self.assertEqual(self.state.acquire(self.key, 3, 1.0, now + i * 0.1), 0.0)
		wait = self.state.acquire(self.key, 3, 1.0, now + 0.3)
		self.assertAlmostEqual(wait, 0.7, places=3)  # the first hit leaves the window at now + 1.0
		self.assertEqual(self.state.acquire(self.key, 3, 1.0, now + 1.01), 0.0)

	def test_refused_hits_are_not_recorded(self) -> None:
		now = 2_000.0
		self.state.acquire(self.key, 1, 60.0, now)
		for _ in range(5):
			self.assertGreater(self.state.acquire(self.key, 1, 60.0, now + 1), 0)
		self.assertEqual(self.state.acquire(self.key, 1, 60.0, now + 60.5), 0.0)

	def test_threads_share_one_budget(self) -> None:
		# Twenty threads (think: workers) racing for a budget of 10 in one window: exactly 10 get through.
		granted = []
		now = 3_000.0
		barrier = threading.Barrier(20)

		site, sites_path = frappe.local.site, frappe.local.sites_path

		def hit() -> None:
			frappe.init(site=site, sites_path=sites_path)  # each thread is its own worker
			try:
				barrier.wait()
				if RedisPacingState().acquire(self.key, 10, 1.0, now) == 0.0:
					granted.append(1)
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=hit) for _ in range(20)]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		self.assertEqual(len(granted), 10)

	def test_pacer_over_redis_waits(self) -> None:
		clock = [5_000.0]
		slept = []

		def sleep(seconds: float) -> None:
			slept.append(seconds)
			clock[0] += seconds

		pacer = Pacer(self.state, clock=lambda: clock[0], sleep=sleep, per_second=2, per_minute=100,
			prefix=self.key)  # fmt: skip
		for _ in range(3):
			pacer.wait("realm-1")
		self.assertEqual(len(slept), 1)
		self.assertGreater(slept[0], 0.9)
		for suffix in ("minute", "second"):
			self.state.reset(f"{self.key}:realm-1:{suffix}")

	def test_acquire_all_records_in_every_window_or_in_none(self) -> None:
		# A request held back by one window (the full minute) must not be counted in another (the batch
		# minute) before it leaves: Intuit would count that batch later than we did, and refuse one.
		now = 6_000.0
		minute, batch = f"{self.key}:minute", f"{self.key}:batch"
		self.addCleanup(self.state.reset, minute)
		self.addCleanup(self.state.reset, batch)
		windows = [(batch, 2, 60.0), (minute, 1, 60.0)]
		self.assertEqual(self.state.acquire_all(windows, now), 0.0)
		wait = self.state.acquire_all(windows, now + 10)
		self.assertAlmostEqual(wait, 50.0, places=3)
		self.assertEqual(self.state.acquire(batch, 2, 60.0, now + 10), 0.0)  # the refused one left no hit
		self.assertGreater(self.state.acquire(batch, 2, 60.0, now + 11), 0.0)
		self.assertEqual(self.state.acquire_all([(minute, 1, 60.0)], now + 60.5), 0.0)


class TestRedisLock(TestCase):
	def test_second_holder_waits_then_gives_up(self) -> None:
		name = f"test:{uuid.uuid4().hex}"
		with redis_lock(name, timeout=10, blocking_timeout=1):
			outcome = []
			site, sites_path = frappe.local.site, frappe.local.sites_path

			def other() -> None:
				frappe.init(site=site, sites_path=sites_path)
				try:
					with redis_lock(name, timeout=10, blocking_timeout=0.3):
						outcome.append("acquired")
				except LockTimeout:
					outcome.append("timeout")
				finally:
					frappe.destroy()

			thread = threading.Thread(target=other)
			thread.start()
			thread.join()
			self.assertEqual(outcome, ["timeout"])
		with redis_lock(name, timeout=10, blocking_timeout=0.3):
			pass  # released after the block
