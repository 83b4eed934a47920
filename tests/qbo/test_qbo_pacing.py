"""Pacing with a fake clock: 10/s, 500/min, 40 batch/min, per realm, thread-safe state."""

import threading

import pytest

from qbo_connector.qbo.pacing import MemoryPacingState, Pacer


class FakeClock:
	def __init__(self, now=1000.0):
		self.now = now
		self.sleeps = []

	def __call__(self):
		return self.now

	def sleep(self, seconds):
		self.sleeps.append(seconds)
		self.now += seconds


@pytest.fixture
def clock():
	return FakeClock()


@pytest.fixture
def pacer(clock):
	return Pacer(MemoryPacingState(), clock=clock, sleep=clock.sleep, headroom=0.0)


def test_memory_state_sliding_window():
	state = MemoryPacingState()
	assert [state.acquire("k", 2, 1.0, 0.0), state.acquire("k", 2, 1.0, 0.5)] == [0.0, 0.0]
	assert state.acquire("k", 2, 1.0, 0.6) == pytest.approx(0.4)
	assert state.acquire("k", 2, 1.0, 1.0) == 0.0  # the hit at 0.0 left the window
	assert state.acquire("k", 2, 1.0, 1.2) == pytest.approx(0.3)
	state.reset()
	assert state.acquire("k", 2, 1.0, 1.2) == 0.0


def test_memory_state_denied_hit_is_not_recorded():
	state = MemoryPacingState()
	state.acquire("k", 1, 10.0, 0.0)
	for t in (1.0, 2.0, 3.0):
		assert state.acquire("k", 1, 10.0, t) > 0
	assert state.acquire("k", 1, 10.0, 10.0) == 0.0


def test_memory_state_never_returns_zero_when_denied():
	state = MemoryPacingState()
	state.acquire("k", 1, 1.0, 0.0)
	assert state.acquire("k", 1, 1.0, 0.9999999) > 0


def test_ten_requests_in_a_second_pass_the_eleventh_waits(pacer, clock):
	for _ in range(10):
		assert pacer.wait("r1") == 0.0
	slept = pacer.wait("r1")
	assert slept == pytest.approx(1.0)
	assert clock.sleeps == [pytest.approx(1.0)]


def test_five_hundred_a_minute_then_wait(pacer, clock):
	for _ in range(500):
		pacer.wait("r1")
		clock.now += 0.1  # 10 a second: the per-second limit never bites
	started = clock.now
	slept = pacer.wait("r1")
	# the first of the 500 was at 1000.0; the 501st may go at 1060.0
	assert clock.now == pytest.approx(1060.0)
	assert slept == pytest.approx(1060.0 - started)


def test_forty_batches_a_minute_then_wait(pacer, clock):
	for _ in range(40):
		pacer.wait("r1", batch=True)
		clock.now += 0.5
	slept = pacer.wait("r1", batch=True)
	assert slept == pytest.approx(40.0)  # 1000 + 60 - (1000 + 20)
	# plain requests are not held back by the batch limit
	assert pacer.wait("r1") == 0.0


def test_batch_requests_count_against_the_request_limits(clock):
	pacer = Pacer(MemoryPacingState(), clock=clock, sleep=clock.sleep, per_second=3, headroom=0.0)
	for _ in range(3):
		pacer.wait("r1", batch=True)
	assert pacer.wait("r1") == pytest.approx(1.0)


def test_realms_do_not_block_each_other(pacer, clock):
	for _ in range(10):
		pacer.wait("realm-a")
	assert pacer.wait("realm-b") == 0.0
	assert pacer.wait("realm-a") > 0


def test_limits_are_configurable_and_shared_state_spans_pacers(clock):
	state = MemoryPacingState()
	worker_1 = Pacer(state, clock=clock, sleep=clock.sleep, per_second=2, headroom=0.0)
	worker_2 = Pacer(state, clock=clock, sleep=clock.sleep, per_second=2, headroom=0.0)
	worker_1.wait("r")
	worker_2.wait("r")
	assert worker_1.wait("r") == pytest.approx(1.0)


def test_minute_hit_is_not_double_counted_while_waiting_for_the_second_window(clock):
	state = MemoryPacingState()
	pacer = Pacer(state, clock=clock, sleep=clock.sleep, per_second=1, per_minute=3, headroom=0.0)
	pacer.wait("r")
	pacer.wait("r")  # waits for the second window but records one minute hit only
	pacer.wait("r")
	assert len(state._hits["qbo_pacing:r:minute"]) == 3


def test_default_pacer_uses_memory_state():
	assert isinstance(Pacer().state, MemoryPacingState)


def test_memory_state_is_thread_safe():
	state = MemoryPacingState()
	granted = []
	barrier = threading.Barrier(8)

	def worker():
		barrier.wait()
		for _ in range(100):
			if state.acquire("k", 250, 60.0, 0.0) == 0.0:
				granted.append(1)

	threads = [threading.Thread(target=worker) for _ in range(8)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(5)
	assert len(granted) == 250
	assert len(state._hits["k"]) == 250


def test_pacer_thread_safe_under_real_clock_with_fake_sleep():
	state = MemoryPacingState()
	clock = FakeClock()
	lock = threading.Lock()

	def sleep(seconds):
		with lock:
			clock.now += seconds

	pacer = Pacer(state, clock=clock, sleep=sleep)
	threads = [threading.Thread(target=lambda: [pacer.wait("r") for _ in range(5)]) for _ in range(4)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(5)
	assert len(state._hits["qbo_pacing:r:minute"]) == 20


def test_default_headroom_widens_every_window_against_arrival_jitter():
	"""Intuit counts arrivals: by default an eleventh request waits a quarter second past the bare second."""
	clock = FakeClock()
	pacer = Pacer(MemoryPacingState(), clock=clock, sleep=clock.sleep)
	for _ in range(10):
		assert pacer.wait("r") == 0.0
	assert pacer.wait("r") == pytest.approx(1.25)


def test_a_batch_held_back_by_the_minute_window_counts_in_the_batch_window_when_it_leaves(clock):
	"""Window by window, the batch hit was recorded before the wait on the full minute window, so the pacer
	counted it from up to a minute before it left and later let a batch through that Intuit refuses."""
	state = MemoryPacingState()
	pacer = Pacer(state, clock=clock, sleep=clock.sleep, per_minute=3, batch_per_minute=2, headroom=0.0)
	for _ in range(3):
		pacer.wait("r")  # the minute window is full until 1060
	clock.now += 1.0
	assert pacer.wait("r", batch=True) == pytest.approx(59.0)
	assert list(state._hits["qbo_pacing:r:batch_minute"]) == [pytest.approx(1060.0)]
	assert list(state._hits["qbo_pacing:r:minute"])[-1] == pytest.approx(1060.0)
	clock.now += 1.0
	pacer.wait("r", batch=True)  # the second batch of the minute
	slept = pacer.wait("r", batch=True)  # the third waits for the first batch's own minute to pass
	assert clock.now == pytest.approx(1120.0)
	assert slept == pytest.approx(1120.0 - 1061.0)


def test_acquire_all_records_in_every_window_or_in_none():
	state = MemoryPacingState()
	windows = [("a", 1, 10.0), ("b", 5, 1.0)]
	assert state.acquire_all(windows, 0.0) == 0.0
	assert state.acquire_all(windows, 0.5) == pytest.approx(9.5)  # "a" is full; "b" gets nothing either
	assert list(state._hits["b"]) == [0.0]
	assert state.acquire_all(windows, 10.0) == 0.0
	assert list(state._hits["a"]) == [10.0] and list(state._hits["b"]) == [10.0]
