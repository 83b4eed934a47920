"""QBOClient with the real TokenProvider and OAuthClient: rotation is persisted before the retry uses it."""

import json

import pytest
from qbo_testkit import BASE, ENV, REALM, Sleeps

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import AuthenticationError, InvalidGrantError
from qbo_connector.qbo.oauth import MemoryTokenStore, OAuthClient, TokenProvider, Tokens

NOW = 1_700_000_000.0


def make(tokens):
	store = MemoryTokenStore(tokens)
	oauth = OAuthClient("cid", "secret", "https://erp.test/cb", ENV, clock=lambda: NOW)
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	return store, QBOClient(REALM, ENV, provider, sleep=Sleeps(), jitter=lambda: 0.0)


def test_401_refreshes_saves_then_retries_with_new_token(rsps):
	store, client = make(Tokens("AT-1", "RT-1", NOW + 3600, realm_id=REALM))
	saved_when_retried = []

	def invoice(request):
		if request.headers["Authorization"] == "Bearer AT-1":
			return (401, {}, json.dumps({"fault": {"error": [{"code": "3200", "message": "expired"}]}}))
		saved_when_retried.append([t.refresh_token for t in store.saves])
		return (200, {}, json.dumps({"Invoice": {"Id": "1"}}))

	rsps.add_callback("GET", f"{BASE}/invoice/1", callback=invoice)
	rsps.add(
		"POST", ENV.token_url, json={"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 3600}
	)
	assert client.read("Invoice", "1") == {"Id": "1"}
	assert saved_when_retried == [["RT-2"]]
	assert [c.request.url.split("?")[0] for c in rsps.calls] == [
		f"{BASE}/invoice/1",
		ENV.token_url,
		f"{BASE}/invoice/1",
	]


def test_expired_token_refreshed_before_first_request(rsps):
	store, client = make(Tokens("AT-1", "RT-1", NOW - 10, realm_id=REALM))
	rsps.add(
		"POST", ENV.token_url, json={"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 3600}
	)
	rsps.add("GET", f"{BASE}/invoice/1", json={"Invoice": {"Id": "1"}})
	client.read("Invoice", "1")
	assert rsps.calls[1].request.headers["Authorization"] == "Bearer AT-2"
	assert store.tokens.refresh_token == "RT-2"


def test_refresh_refused_surfaces_invalid_grant(rsps):
	store, client = make(Tokens("AT-1", "RT-1", NOW - 10))
	rsps.add("POST", ENV.token_url, status=400, json={"error": "invalid_grant"})
	with pytest.raises(InvalidGrantError):
		client.read("Invoice", "1")
	assert store.saves == []


def test_401_after_refresh_raises(rsps):
	store, client = make(Tokens("AT-1", "RT-1", NOW + 3600))
	rsps.add("GET", f"{BASE}/invoice/1", status=401, json={"fault": {"error": [{"code": "3200"}]}})
	rsps.add(
		"POST", ENV.token_url, json={"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 3600}
	)
	with pytest.raises(AuthenticationError):
		client.read("Invoice", "1")
	assert len([c for c in rsps.calls if c.request.url.startswith(ENV.token_url)]) == 1
