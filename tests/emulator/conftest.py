"""Fixtures: a fresh emulator on a free loopback port per test (limits off), an API helper, a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_testkit import Api, Receiver

from qbo_connector.emulator import EmulatorServer


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
	with EmulatorServer(port=0, limits_enabled=False) as server:
		yield server


@pytest.fixture
def api(emu: EmulatorServer) -> Api:
	return Api(emu)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
	r = Receiver()
	yield r
	r.close()
