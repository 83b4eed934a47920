"""Shared fixtures for qbo/ tests: a mocked HTTP layer, a fake token source, a client with no real sleeps."""

import pytest
import responses
from qbo_testkit import ENV, REALM, FakeTokens, Sleeps

from qbo_connector.qbo.client import QBOClient


@pytest.fixture
def rsps():
	with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
		yield mock


@pytest.fixture
def tokens():
	return FakeTokens()


@pytest.fixture
def sleeps():
	return Sleeps()


@pytest.fixture
def exchanges():
	return []


@pytest.fixture
def client(tokens, sleeps, exchanges):
	return QBOClient(
		REALM,
		ENV,
		tokens,
		sleep=sleeps,
		on_exchange=exchanges.append,
		jitter=lambda: 0.0,
		backoff_base=1.0,
		throttle_wait=60.0,
	)
