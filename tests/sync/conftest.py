"""Sync tests run the real engine, the real client and the real emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sync_support import Clock, make_config, make_engine, make_store

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
	with EmulatorServer(port=0, limits_enabled=False, time_scale=0.01) as server:
		yield server


@pytest.fixture
def config(emu: EmulatorServer) -> ConnectionConfig:
	return make_config(emu)


@pytest.fixture
def store(config: ConnectionConfig) -> MemoryStore:
	return make_store(config)


@pytest.fixture
def clock() -> Clock:
	return Clock()


@pytest.fixture
def engine(emu: EmulatorServer, store: MemoryStore, clock: Clock) -> SyncEngine:
	return make_engine(emu, store, clock)
