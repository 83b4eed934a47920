"""OAuth: authorization URL, code exchange, refresh rotation under a lock, invalid_grant, revoke."""

import base64
import json
import os
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from qbo_testkit import ENV

from qbo_connector.qbo.environments import custom_environment
from qbo_connector.qbo.errors import AuthenticationError, InvalidGrantError, QBOError, TransportError
from qbo_connector.qbo.oauth import (
	InsecureURLError,
	MemoryTokenStore,
	NotConnectedError,
	OAuthClient,
	StaticTokenProvider,
	TokenProvider,
	Tokens,
)

NOW = 1_700_000_000.0
TOKEN_URL = ENV.token_url


def token_answer(access="AT-2", refresh="RT-2", expires_in=3600, refresh_in=8726400):
	return {
		"token_type": "bearer",
		"access_token": access,
		"refresh_token": refresh,
		"expires_in": expires_in,
		"x_refresh_token_expires_in": refresh_in,
	}


@pytest.fixture
def oauth():
	return OAuthClient("client-id", "client-secret", "https://erp.test/cb", ENV, clock=lambda: NOW)


def form(call):
	return {k: v[0] for k, v in parse_qs(call.request.body).items()}


# -- Tokens ---------------------------------------------------------------------------------------


def test_tokens_expiry_margin_and_round_trip():
	tokens = Tokens("AT", "RT", expires_at=NOW + 200, refresh_expires_at=NOW + 1000, realm_id="1")
	assert not tokens.expired(NOW) and tokens.expired(NOW + 81) and tokens.expired(NOW + 81, margin=120)
	assert not tokens.expired(NOW + 81, margin=0)
	assert not tokens.refresh_expired(NOW) and tokens.refresh_expired(NOW + 1000)
	assert Tokens("a", "r", NOW).refresh_expired() is False
	assert Tokens("a", "r", time.time() + 3600).expired() is False
	assert Tokens("a", "r", 0, refresh_expires_at=1).refresh_expired() is True
	assert Tokens.from_dict(tokens.to_dict()) == tokens
	assert Tokens.from_dict(
		{"access_token": "a", "refresh_token": "r", "expires_at": "5", "refresh_expires_at": ""}
	) == Tokens("a", "r", 5.0)


def test_tokens_repr_hides_secrets():
	text = repr(Tokens("SECRET-AT", "SECRET-RT", NOW, realm_id="1"))
	assert "SECRET" not in text and "realm_id='1'" in text


def test_tokens_from_response_requires_tokens():
	with pytest.raises(AuthenticationError):
		Tokens.from_response({"access_token": "a"}, NOW)
	tokens = Tokens.from_response({"access_token": "a"}, NOW, previous_refresh_token="old")
	assert (
		tokens.refresh_token == "old"
		and tokens.expires_at == NOW + 3600
		and tokens.refresh_expires_at is None
	)


# -- OAuthClient ----------------------------------------------------------------------------------


def test_authorization_url(oauth):
	url = oauth.authorization_url("state-123")
	parsed = urlparse(url)
	assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == ENV.authorize_url
	assert {k: v[0] for k, v in parse_qs(parsed.query).items()} == {
		"client_id": "client-id",
		"response_type": "code",
		"scope": "com.intuit.quickbooks.accounting",
		"redirect_uri": "https://erp.test/cb",
		"state": "state-123",
	}
	assert "client-secret" not in url
	with pytest.raises(ValueError):
		oauth.authorization_url("")


def test_plain_http_only_to_this_machine(rsps, monkeypatch):
	"""oauthlib's insecure-transport switch is set for a loopback call alone and put back; any other http
	URL is refused before a secret leaves the process."""
	monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
	seen = []
	loop = custom_environment(
		"http://127.0.0.1:8765/v3",
		"http://127.0.0.1:8765/connect/oauth2?x=1",
		"http://127.0.0.1:8765/oauth2/v1/tokens/bearer",
		"http://127.0.0.1:8765/v2/oauth2/tokens/revoke",
	)

	def answer(request):
		seen.append(os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"))
		return (200, {}, json.dumps(token_answer()))

	rsps.add_callback("POST", loop.token_url, callback=answer)
	client = OAuthClient("c", "s", "http://localhost/cb", loop, clock=lambda: NOW)
	url = client.authorization_url("s")
	assert url.startswith("http://127.0.0.1:8765/connect/oauth2?x=1&") and "state=s" in url
	assert client.refresh("RT").access_token == "AT-2"
	assert seen == ["1"] and "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ  # on for that call only

	elsewhere = custom_environment("http://e/v3", "http://e/authorize", "http://e/t", "http://e/r")
	remote = OAuthClient("c", "s", "r", elsewhere)
	for call in (
		lambda: remote.authorization_url("s"),
		lambda: remote.refresh("RT"),
		lambda: remote.revoke("RT"),
	):
		with pytest.raises(InsecureURLError, match="must use https"):
			call()
	assert len(rsps.calls) == 1  # nothing was sent to http://e
	monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "keep")
	client.refresh("RT")
	assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "keep"  # someone else's setting stays as it was


def test_exchange_code_uses_basic_auth_and_form(rsps, oauth):
	rsps.add("POST", TOKEN_URL, json=token_answer("AT-1", "RT-1"))
	tokens = oauth.exchange_code("AUTHCODE", "4620816365")
	assert tokens == Tokens("AT-1", "RT-1", NOW + 3600, NOW + 8726400, "4620816365")
	request = rsps.calls[0].request
	assert (
		request.headers["Authorization"] == "Basic " + base64.b64encode(b"client-id:client-secret").decode()
	)
	assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
	assert request.headers["Accept"] == "application/json"
	assert form(rsps.calls[0]) == {
		"grant_type": "authorization_code",
		"code": "AUTHCODE",
		"redirect_uri": "https://erp.test/cb",
	}


def test_refresh_posts_refresh_grant(rsps, oauth):
	rsps.add("POST", TOKEN_URL, json=token_answer())
	tokens = oauth.refresh("RT-1", realm_id="9")
	assert (tokens.access_token, tokens.refresh_token, tokens.realm_id) == ("AT-2", "RT-2", "9")
	assert form(rsps.calls[0]) == {"grant_type": "refresh_token", "refresh_token": "RT-1"}


def test_refresh_invalid_grant(rsps, oauth, caplog):
	rsps.add("POST", TOKEN_URL, status=400, json={"error": "invalid_grant"}, headers={"intuit_tid": "t"})
	with pytest.raises(InvalidGrantError) as info:
		oauth.refresh("RT-dead")
	assert info.value.status == 400 and info.value.intuit_tid == "t"
	assert "reconnect" in str(info.value)
	assert "RT-dead" not in caplog.text


def test_refresh_invalid_client_is_authentication_error(rsps, oauth):
	rsps.add("POST", TOKEN_URL, status=401, json={"error": "invalid_client"})
	with pytest.raises(AuthenticationError) as info:
		oauth.refresh("RT")
	assert not isinstance(info.value, InvalidGrantError)


def test_refresh_transport_failure_is_ambiguous(rsps, oauth):
	rsps.add("POST", TOKEN_URL, body=requests.ConnectionError("reset"))
	with pytest.raises(TransportError) as info:
		oauth.refresh("RT")
	assert info.value.ambiguous is True
	rsps.replace("POST", TOKEN_URL, body=requests.Timeout())
	with pytest.raises(TransportError) as info:
		oauth.exchange_code("c", "1")
	assert info.value.ambiguous is False


def test_token_answer_not_json(rsps, oauth):
	rsps.add("POST", TOKEN_URL, body="<html>oops</html>", status=200)
	with pytest.raises(QBOError) as info:
		oauth.refresh("RT")
	assert "unreadable" in info.value.user_message


def test_revoke_posts_json_token(rsps, oauth):
	rsps.add("POST", ENV.revoke_url, body="")
	oauth.revoke("RT-1")
	request = rsps.calls[0].request
	assert json.loads(request.body) == {"token": "RT-1"}
	assert request.headers["Authorization"].startswith("Basic ")


def test_timeout_on_every_oauth_call(rsps):
	rsps.add("POST", TOKEN_URL, json=token_answer())
	rsps.add("POST", ENV.revoke_url, body="")
	client = OAuthClient("c", "s", "r", ENV, timeout=7)
	client.exchange_code("code", "1")
	client.refresh("RT")
	client.revoke("RT")
	assert [call.request.req_kwargs["timeout"] for call in rsps.calls] == [7, 7, 7]


def test_hard_expiry_is_kept_and_ends_the_refresh_token(rsps, oauth):
	rsps.add("POST", TOKEN_URL, json={**token_answer(), "x_refresh_token_hard_expires_in": 604800})
	updated = []
	tokens = oauth.refresh("RT-1", token_updater=updated.append)
	assert tokens.hard_expires_at == NOW + 604800 and updated == [tokens]
	assert not tokens.refresh_expired(NOW + 604799) and tokens.refresh_expired(NOW + 604800)
	assert Tokens.from_dict(tokens.to_dict()) == tokens
	# A refresh answer that does not repeat the hard end keeps the stored one.
	rsps.replace("POST", TOKEN_URL, json=token_answer("AT-3", "RT-3"))
	store = MemoryTokenStore(Tokens("AT-2", "RT-2", NOW - 1, realm_id="9", hard_expires_at=NOW + 604800))
	TokenProvider(oauth, store, clock=lambda: NOW).access_token()
	assert (store.tokens.refresh_token, store.tokens.hard_expires_at) == ("RT-3", NOW + 604800)


def test_oauth_repr_hides_secret(oauth):
	assert "client-secret" not in repr(oauth)


# -- TokenProvider --------------------------------------------------------------------------------


class RecordingStore(MemoryTokenStore):
	"""Records the order of events so a test can prove save() happened before the token was handed out."""

	def __init__(self, tokens, events):
		super().__init__(tokens)
		self.events = events

	def save(self, tokens):
		self.events.append(("save", tokens.refresh_token, tokens.access_token))
		super().save(tokens)


class FakeOAuth:
	def __init__(self, events=None, delay=0.0):
		self.calls = []
		self.events = events if events is not None else []
		self.delay = delay
		self.lock = threading.Lock()

	def refresh(self, refresh_token, realm_id=None, token_updater=None):
		with self.lock:
			self.calls.append(refresh_token)
			n = len(self.calls) + 1
		if self.delay:
			time.sleep(self.delay)
		self.events.append(("refresh", refresh_token))
		tokens = Tokens(f"AT-{n}", f"RT-{n}", NOW + 3600, NOW + 8726400, None)
		if token_updater is not None:  # as OAuthClient.refresh: the updater has the pair before it returns
			token_updater(tokens)
		return tokens


def expired_tokens():
	return Tokens("AT-1", "RT-1", expires_at=NOW - 1, refresh_expires_at=NOW + 1000, realm_id="123")


def test_fresh_token_needs_no_refresh():
	oauth = FakeOAuth()
	store = MemoryTokenStore(Tokens("AT-1", "RT-1", NOW + 3600))
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	assert provider.access_token() == "AT-1"
	assert oauth.calls == [] and store.saves == []


def test_expired_token_refreshes_and_saves_rotated_pair_before_use():
	events = []
	oauth = FakeOAuth(events)
	store = RecordingStore(expired_tokens(), events)
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	token = provider.access_token()
	events.append(("used", token))
	assert events == [("refresh", "RT-1"), ("save", "RT-2", "AT-2"), ("used", "AT-2")]
	assert store.tokens.realm_id == "123"  # carried over from the stored pair
	assert provider.access_token() == "AT-2" and oauth.calls == ["RT-1"]


def test_token_within_margin_is_refreshed():
	oauth = FakeOAuth()
	store = MemoryTokenStore(Tokens("AT-1", "RT-1", NOW + 60))
	assert TokenProvider(oauth, store, clock=lambda: NOW).access_token() == "AT-2"
	store = MemoryTokenStore(Tokens("AT-1", "RT-1", NOW + 60))
	assert TokenProvider(FakeOAuth(), store, clock=lambda: NOW, margin=30).access_token() == "AT-1"


def test_refresh_rotation_with_real_oauth_client(rsps, oauth):
	rsps.add("POST", TOKEN_URL, json=token_answer("AT-new", "RT-new"))
	store = MemoryTokenStore(expired_tokens())
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	assert provider.access_token() == "AT-new"
	assert [t.refresh_token for t in store.saves] == ["RT-new"]
	assert store.tokens.realm_id == "123"


def test_save_failure_means_new_token_not_used():
	class FailingStore(MemoryTokenStore):
		def save(self, tokens):
			raise OSError("db down")

	provider = TokenProvider(FakeOAuth(), FailingStore(expired_tokens()), clock=lambda: NOW)
	with pytest.raises(OSError):
		provider.access_token()


def test_two_threads_share_one_refresh():
	oauth = FakeOAuth(delay=0.05)
	store = MemoryTokenStore(expired_tokens())
	provider_a = TokenProvider(oauth, store, clock=lambda: NOW)
	provider_b = TokenProvider(oauth, store, clock=lambda: NOW)  # another worker, same store and lock
	barrier = threading.Barrier(2)
	results = []

	def worker(provider):
		barrier.wait()
		results.append(provider.access_token())

	threads = [threading.Thread(target=worker, args=(p,)) for p in (provider_a, provider_b)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(5)
	assert oauth.calls == ["RT-1"]
	assert results == ["AT-2", "AT-2"]
	assert len(store.saves) == 1


def test_many_threads_one_refresh():
	oauth = FakeOAuth(delay=0.01)
	store = MemoryTokenStore(expired_tokens())
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	results = []
	threads = [threading.Thread(target=lambda: results.append(provider.access_token())) for _ in range(8)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(5)
	assert oauth.calls == ["RT-1"] and set(results) == {"AT-2"}


def test_invalid_grant_propagates_and_nothing_is_saved():
	class Dead(FakeOAuth):
		def refresh(self, refresh_token, realm_id=None, token_updater=None):
			raise InvalidGrantError("invalid_grant", status=400, code="invalid_grant")

	store = MemoryTokenStore(expired_tokens())
	with pytest.raises(InvalidGrantError):
		TokenProvider(Dead(), store, clock=lambda: NOW).access_token()
	assert store.saves == []


def test_not_connected():
	provider = TokenProvider(FakeOAuth(), MemoryTokenStore(None), clock=lambda: NOW)
	with pytest.raises(NotConnectedError) as info:
		provider.access_token()
	assert "not connected" in info.value.user_message
	with pytest.raises(NotConnectedError):
		provider.force_refresh("x")


def test_force_refresh_refreshes_when_stored_token_is_the_failed_one():
	oauth = FakeOAuth()
	store = MemoryTokenStore(Tokens("AT-1", "RT-1", NOW + 3600, realm_id="5"))
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	assert provider.force_refresh("AT-1") == "AT-2"
	assert oauth.calls == ["RT-1"] and store.tokens.refresh_token == "RT-2" and store.tokens.realm_id == "5"


def test_force_refresh_uses_someone_elses_new_token():
	oauth = FakeOAuth()
	store = MemoryTokenStore(Tokens("AT-9", "RT-9", NOW + 3600))
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	assert provider.force_refresh("AT-1") == "AT-9"
	assert oauth.calls == []


def test_concurrent_401s_refresh_once():
	oauth = FakeOAuth(delay=0.02)
	store = MemoryTokenStore(Tokens("AT-1", "RT-1", NOW + 3600))
	provider = TokenProvider(oauth, store, clock=lambda: NOW)
	results = []
	threads = [
		threading.Thread(target=lambda: results.append(provider.force_refresh("AT-1"))) for _ in range(4)
	]
	for t in threads:
		t.start()
	for t in threads:
		t.join(5)
	assert oauth.calls == ["RT-1"] and results == ["AT-2"] * 4


def test_static_token_provider():
	provider = StaticTokenProvider("fixed")
	assert provider.access_token() == "fixed"
	with pytest.raises(AuthenticationError):
		provider.force_refresh("fixed")


def test_memory_store_lock_is_exclusive():
	store = MemoryTokenStore()
	with store.lock():
		acquired = []
		t = threading.Thread(target=lambda: acquired.append(store._lock.acquire(timeout=0.01)))
		t.start()
		t.join()
		assert acquired == [False]
