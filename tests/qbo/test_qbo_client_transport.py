"""The one request method: retries, throttling, 401 refresh, faults, requestid and exchange records."""

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from qbo_testkit import BASE, ENV, REALM, FakeTokens

from qbo_connector.qbo.client import Exchange, QBOClient, new_request_id, normalize_request_id
from qbo_connector.qbo.errors import (
	AuthenticationError,
	DuplicateNameError,
	InvalidGrantError,
	QBOError,
	ServerError,
	StaleObjectError,
	ThrottledError,
	TransportError,
	ValidationError,
)
from qbo_connector.qbo.pacing import MemoryPacingState, Pacer

INVOICE = {"Invoice": {"Id": "130", "SyncToken": "0", "TotalAmt": 100.0}, "time": "2025-01-01T00:00:00Z"}
THROTTLE_XML = (
	'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
	'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2025-01-01T00:00:00.000-08:00">'
	'<Fault type="ValidationFault"><Error code="3001" element=""><Message>message=ThrottleExceeded; '
	"errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.</Detail></Error>"
	"</Fault></IntuitResponse>"
)
FAULT_6240 = {
	"Fault": {
		"Error": [
			{
				"Message": "Duplicate Name Exists Error",
				"Detail": "The name supplied already exists. : Another customer is already using this name",
				"code": "6240",
			}
		],
		"type": "ValidationFault",
	},
	"time": "2025-01-01T00:00:00Z",
}
FAULT_401 = {
	"warnings": None,
	"intuitObject": None,
	"fault": {
		"error": [
			{
				"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
				"detail": "Token expired: tok-1",
				"code": "3200",
				"element": None,
			}
		],
		"type": "AUTHENTICATION",
	},
	"report": None,
	"queryResponse": None,
	"time": "2025-01-01T00:00:00Z",
}


def params(call):
	return {k: v[0] for k, v in parse_qs(urlparse(call.request.url).query).items()}


def test_read_sends_minorversion_accept_bearer_and_timeout(rsps, client, exchanges):
	rsps.add("GET", f"{BASE}/invoice/130", json=INVOICE, headers={"intuit_tid": "tid-1"})
	sent = {}
	original = client.session.request

	def spy(*args, **kwargs):
		sent.update(kwargs)
		return original(*args, **kwargs)

	client.session.request = spy
	assert client.read("Invoice", "130") == INVOICE["Invoice"]
	request = rsps.calls[0].request
	assert params(rsps.calls[0]) == {"minorversion": "75"}
	assert request.headers["Accept"] == "application/json"
	assert request.headers["Authorization"] == "Bearer tok-1"
	assert sent["timeout"] == (10, 60)
	(exchange,) = exchanges
	assert isinstance(exchange, Exchange)
	assert (exchange.method, exchange.status, exchange.intuit_tid, exchange.request_id) == (
		"GET",
		200,
		"tid-1",
		None,
	)
	assert exchange.url == f"{BASE}/invoice/130?minorversion=75"
	assert "tok-1" not in exchange.url and "Bearer" not in json.dumps(exchange.__dict__)
	assert json.loads(exchange.response_body) == INVOICE
	assert exchange.error is None and exchange.attempt == 1 and exchange.duration_ms >= 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_with_backoff_keeping_requestid(rsps, client, sleeps, exchanges, status):
	rsps.add("POST", f"{BASE}/invoice", body="", status=status)
	rsps.add("POST", f"{BASE}/invoice", body="", status=status)
	rsps.add("POST", f"{BASE}/invoice", json=INVOICE)
	assert client.create("Invoice", {"Line": []}, request_id="erp-SINV-1") == INVOICE["Invoice"]
	assert [params(c)["requestid"] for c in rsps.calls] == ["erp-SINV-1"] * 3
	assert sleeps == [1.0, 2.0]
	assert [e.attempt for e in exchanges] == [1, 2, 3]
	assert [e.status for e in exchanges] == [status, status, 200]
	assert exchanges[0].error == f"HTTP {status}"
	assert {e.request_id for e in exchanges} == {"erp-SINV-1"}


def test_generated_requestid_is_reused_on_every_retry(rsps, client):
	rsps.add("POST", f"{BASE}/invoice", body=requests.ConnectionError("reset"))
	rsps.add("POST", f"{BASE}/invoice", body=requests.Timeout("read timed out"))
	rsps.add("POST", f"{BASE}/invoice", status=503)
	rsps.add("POST", f"{BASE}/invoice", status=429, body="")
	rsps.add("POST", f"{BASE}/invoice", json=INVOICE)
	client.create("Invoice", {"Line": []})
	ids = [params(c)["requestid"] for c in rsps.calls]
	assert len(ids) == 5 and len(set(ids)) == 1 and len(ids[0]) == 32


def test_two_writes_get_different_generated_requestids(rsps, client):
	rsps.add("POST", f"{BASE}/invoice", json=INVOICE)
	client.create("Invoice", {})
	client.create("Invoice", {})
	assert params(rsps.calls[0])["requestid"] != params(rsps.calls[1])["requestid"]


def test_read_is_retried_too_without_requestid(rsps, client, sleeps):
	rsps.add("GET", f"{BASE}/invoice/130", body=requests.ConnectionError("dropped"))
	rsps.add("GET", f"{BASE}/invoice/130", status=500, body="")
	rsps.add("GET", f"{BASE}/invoice/130", json=INVOICE)
	assert client.read("invoice", "130")["Id"] == "130"
	assert all("requestid" not in params(c) for c in rsps.calls)
	assert sleeps == [1.0, 2.0]


def test_429_with_retry_after_waits_that_long(rsps, client, sleeps):
	rsps.add("GET", f"{BASE}/invoice/130", status=429, body="", headers={"Retry-After": "7"})
	rsps.add("GET", f"{BASE}/invoice/130", json=INVOICE)
	client.read("Invoice", "130")
	assert sleeps == [7.0]


def test_429_without_retry_after_waits_throttle_wait(rsps, client, sleeps):
	rsps.add("GET", f"{BASE}/invoice/130", status=429, json={"Fault": {"Error": [{"code": "3001"}]}})
	rsps.add("GET", f"{BASE}/invoice/130", json=INVOICE)
	client.read("Invoice", "130")
	assert sleeps == [60.0]


def test_429_throttle_wait_is_configurable_and_backoff_wins_when_larger(rsps, tokens, sleeps):
	client = QBOClient(
		REALM, ENV, tokens, sleep=sleeps, throttle_wait=3.0, backoff_base=2.0, jitter=lambda: 0.0
	)
	for _ in range(3):
		rsps.add("GET", f"{BASE}/invoice/130", status=429, body="")
	rsps.add("GET", f"{BASE}/invoice/130", json=INVOICE)
	client.read("Invoice", "130")
	assert sleeps == [3.0, 4.0, 8.0]


def test_429_xml_body_is_parsed_and_retried(rsps, client, sleeps):
	rsps.add("POST", f"{BASE}/invoice", status=429, body=THROTTLE_XML, content_type="application/xml")
	rsps.add("POST", f"{BASE}/invoice", json=INVOICE)
	client.create("Invoice", {}, request_id="r1")
	assert sleeps == [60.0]
	assert [params(c)["requestid"] for c in rsps.calls] == ["r1", "r1"]


def test_throttled_after_retries_raises_throttled_error(rsps, client, sleeps):
	rsps.add(
		"GET",
		f"{BASE}/invoice/130",
		status=429,
		body=THROTTLE_XML,
		headers={"Retry-After": "2", "intuit_tid": "tid-429"},
	)
	with pytest.raises(ThrottledError) as info:
		client.read("Invoice", "130")
	assert len(rsps.calls) == 5
	assert sleeps == [2.0] * 4
	err = info.value
	assert (err.status, err.code, err.retry_after, err.intuit_tid, err.retryable) == (
		429,
		"3001",
		2.0,
		"tid-429",
		True,
	)
	assert "retried after a pause" in err.user_message


def test_server_error_after_retries_raises_server_error(rsps, client, sleeps):
	rsps.add("GET", f"{BASE}/invoice/130", status=503, body="<html><title>Service Unavailable</title></html>")
	with pytest.raises(ServerError) as info:
		client.read("Invoice", "130")
	assert len(rsps.calls) == 5
	assert sleeps == [1.0, 2.0, 4.0, 8.0]
	assert info.value.status == 503 and info.value.retryable


def test_backoff_jitter_and_cap(rsps, tokens, sleeps):
	client = QBOClient(
		REALM, ENV, tokens, sleep=sleeps, jitter=lambda: 0.5, backoff_base=10.0, max_backoff=25.0
	)
	rsps.add("GET", f"{BASE}/invoice/1", status=500, body="")
	with pytest.raises(ServerError):
		client.read("Invoice", "1")
	assert sleeps == [15.0, 25.0, 25.0, 25.0]


def test_max_retries_zero_means_one_attempt(rsps, tokens, sleeps):
	client = QBOClient(REALM, ENV, tokens, sleep=sleeps, max_retries=0)
	rsps.add("GET", f"{BASE}/invoice/1", status=502, body="")
	with pytest.raises(ServerError):
		client.read("Invoice", "1")
	assert len(rsps.calls) == 1 and sleeps == []


def test_write_timeout_after_retries_is_ambiguous_transport_error(rsps, client, sleeps, exchanges):
	rsps.add("POST", f"{BASE}/invoice", body=requests.Timeout("read timed out"))
	with pytest.raises(TransportError) as info:
		client.create("Invoice", {"Line": []}, request_id="rid")
	err = info.value
	assert err.ambiguous is True and err.retryable is True
	assert err.message == "timeout"
	assert "may or may not" in err.user_message
	assert len(rsps.calls) == 5 and sleeps == [1.0, 2.0, 4.0, 8.0]
	assert all(e.status is None and e.error.startswith("Timeout") for e in exchanges)
	assert {params(c)["requestid"] for c in rsps.calls} == {"rid"}


def test_read_connection_error_after_retries_is_not_ambiguous(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/1", body=requests.ConnectionError("refused"))
	with pytest.raises(TransportError) as info:
		client.read("Invoice", "1")
	assert info.value.ambiguous is False
	assert info.value.message == "ConnectionError"
	assert "can be retried" in info.value.user_message


def test_chunked_encoding_error_is_retried(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/1", body=requests.exceptions.ChunkedEncodingError("cut"))
	rsps.add("GET", f"{BASE}/invoice/1", json=INVOICE)
	assert client.read("Invoice", "1")["Id"] == "130"


def test_non_transport_request_exception_is_not_retried(rsps, client, sleeps):
	rsps.add("GET", f"{BASE}/invoice/1", body=requests.exceptions.InvalidHeader("bad header"))
	with pytest.raises(TransportError) as info:
		client.read("Invoice", "1")
	assert len(rsps.calls) == 1 and sleeps == []
	assert info.value.retryable is False


def test_401_refreshes_once_and_retries_with_new_token(rsps, client, tokens, exchanges):
	rsps.add("POST", f"{BASE}/invoice", status=401, json=FAULT_401)
	rsps.add("POST", f"{BASE}/invoice", json=INVOICE)
	client.create("Invoice", {}, request_id="r")
	assert tokens.refreshes == ["tok-1"]
	assert [c.request.headers["Authorization"] for c in rsps.calls] == ["Bearer tok-1", "Bearer tok-2"]
	assert [params(c)["requestid"] for c in rsps.calls] == ["r", "r"]
	assert "tok-1" not in exchanges[0].response_body  # the 401 detail echoes the token: redacted in the log
	assert [e.status for e in exchanges] == [401, 200]


def test_second_401_raises_authentication_error(rsps, client, tokens, sleeps):
	rsps.add("GET", f"{BASE}/invoice/1", status=401, json=FAULT_401, headers={"intuit_tid": "t401"})
	with pytest.raises(AuthenticationError) as info:
		client.read("Invoice", "1")
	assert len(rsps.calls) == 2 and tokens.refreshes == ["tok-1"] and sleeps == []
	err = info.value
	assert (err.status, err.code, err.fault_type, err.intuit_tid) == (401, "3200", "AUTHENTICATION", "t401")
	assert "tok-1" not in err.detail and "tok-1" not in str(err)
	assert "reconnect" in err.user_message


def test_401_refresh_refused_raises_invalid_grant(rsps, client):
	class Dead(FakeTokens):
		def force_refresh(self, failed_access_token):
			raise InvalidGrantError("invalid_grant", status=400, code="invalid_grant")

	client.token_provider = Dead()
	rsps.add("GET", f"{BASE}/invoice/1", status=401, json=FAULT_401)
	with pytest.raises(InvalidGrantError):
		client.read("Invoice", "1")
	assert len(rsps.calls) == 1


def test_403_is_authorization_failure_without_refresh(rsps, client, tokens):
	body = {
		"Fault": {"Error": [{"Message": "ApplicationAuthorizationFailed", "code": "3100"}], "type": "SERVICE"}
	}
	rsps.add("GET", f"{BASE}/invoice/1", status=403, json=body)
	with pytest.raises(AuthenticationError) as info:
		client.read("Invoice", "1")
	assert tokens.refreshes == [] and len(rsps.calls) == 1
	assert info.value.code == "3100" and "not authorised" in info.value.user_message


def test_validation_fault_is_not_retried(rsps, client, sleeps):
	rsps.add("POST", f"{BASE}/customer", status=400, json=FAULT_6240, headers={"intuit_tid": "tid-6240"})
	with pytest.raises(DuplicateNameError) as info:
		client.create("Customer", {"DisplayName": "Acme"})
	assert len(rsps.calls) == 1 and sleeps == []
	err = info.value
	assert err.intuit_tid == "tid-6240"
	assert (
		err.user_message
		== "QuickBooks rejected the name because another customer, vendor or employee already uses it (code 6240)."
	)


def test_200_carrying_fault_raises(rsps, client, sleeps):
	body = {
		"Fault": {
			"Error": [{"Message": "Stale Object Error", "Detail": "...", "code": "5010"}],
			"type": "ValidationFault",
		}
	}
	rsps.add("POST", f"{BASE}/invoice", status=200, json=body)
	with pytest.raises(StaleObjectError) as info:
		client.update("Invoice", {"Id": "1", "SyncToken": "0"})
	assert info.value.status == 200 and sleeps == []


def test_200_carrying_xml_fault_raises(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/1", status=200, body=THROTTLE_XML, content_type="application/xml")
	with pytest.raises(ThrottledError):
		client.read("Invoice", "1")


def test_200_with_unreadable_body_raises_server_error(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/1", status=200, body="{not json", content_type="application/json")
	with pytest.raises(ServerError) as info:
		client.read("Invoice", "1")
	assert "unreadable" in info.value.user_message


def test_200_without_entity_raises(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/1", status=200, body="", content_type="application/json")
	with pytest.raises(QBOError):
		client.read("Invoice", "1")


def test_pacer_is_consulted_before_every_attempt(rsps, tokens, sleeps):
	calls = []

	class SpyPacer(Pacer):
		def wait(self, realm_id, batch=False):
			calls.append((realm_id, batch))
			return 0.0

	client = QBOClient(
		REALM, ENV, tokens, pacer=SpyPacer(MemoryPacingState()), sleep=sleeps, jitter=lambda: 0
	)
	rsps.add("GET", f"{BASE}/invoice/1", status=500, body="")
	rsps.add("GET", f"{BASE}/invoice/1", json=INVOICE)
	client.read("Invoice", "1")
	assert calls == [(REALM, False), (REALM, False)]


def test_broken_on_exchange_callback_does_not_fail_the_call(rsps, tokens, caplog):
	def broken(exchange):
		raise RuntimeError("log table locked")

	client = QBOClient(REALM, ENV, tokens, on_exchange=broken)
	rsps.add("GET", f"{BASE}/invoice/1", json=INVOICE)
	assert client.read("Invoice", "1")["Id"] == "130"
	assert "on_exchange callback failed" in caplog.text


def test_exchange_redacts_request_body_and_truncates_response(rsps, tokens):
	seen = []
	client = QBOClient(REALM, ENV, tokens, on_exchange=seen.append, max_logged_body=20)
	rsps.add("POST", f"{BASE}/customer", json={"Customer": {"Id": "1", "Notes": "x" * 100}})
	client.create("Customer", {"DisplayName": "A", "password": "hunter2", "Notes": "Bearer abc.def"})
	(exchange,) = seen
	assert exchange.request_body == {"DisplayName": "A", "password": "***", "Notes": "Bearer ***"}
	assert exchange.response_body.startswith('{"Customer": {"Id": ')
	assert "more characters" in exchange.response_body


def test_logs_never_carry_the_access_token(rsps, client, caplog):
	caplog.set_level("DEBUG")
	rsps.add("GET", f"{BASE}/invoice/1", status=401, json=FAULT_401)
	rsps.add("GET", f"{BASE}/invoice/1", status=503, body="")
	rsps.add("GET", f"{BASE}/invoice/1", json=INVOICE)
	client.read("Invoice", "1")
	assert caplog.records
	assert "tok-1" not in caplog.text and "tok-2" not in caplog.text


def test_request_ids_are_normalized():
	assert len(new_request_id()) == 32
	assert normalize_request_id("abc") == "abc"
	assert len(normalize_request_id(None)) == 32
	long_id = "Sales Invoice:ACC-SINV-2025-00001:" + "x" * 40
	assert normalize_request_id(long_id) == normalize_request_id(long_id)
	assert len(normalize_request_id(long_id)) == 50
	assert len(normalize_request_id(long_id, 36)) == 36


def test_long_request_id_is_hashed_deterministically_on_the_wire(rsps, client):
	rsps.add("POST", f"{BASE}/invoice", json=INVOICE)
	long_id = "Sales Invoice:ACC-SINV-2025-00001:" + "x" * 40
	client.create("Invoice", {}, request_id=long_id)
	client.create("Invoice", {}, request_id=long_id)
	sent = [params(c)["requestid"] for c in rsps.calls]
	assert sent[0] == sent[1] == normalize_request_id(long_id)


def test_client_requires_realm():
	with pytest.raises(ValueError):
		QBOClient("", ENV, FakeTokens())


def test_repr_names_realm_only(client):
	assert repr(client) == f"QBOClient(realm_id='{REALM}', environment='test')"


def test_validation_error_for_unknown_code(rsps, client):
	body = {
		"Fault": {
			"Error": [
				{
					"Message": "Required param missing",
					"Detail": "Need CustomerRef",
					"code": "2020",
					"element": "CustomerRef",
				}
			]
		}
	}
	rsps.add("POST", f"{BASE}/invoice", status=400, json=body)
	with pytest.raises(ValidationError) as info:
		client.create("Invoice", {})
	assert info.value.element == "CustomerRef"
	assert "CustomerRef" in info.value.user_message


def test_retry_after_longer_than_a_worker_should_block_raises_at_once(rsps, client, sleeps):
	rsps.add("GET", f"{BASE}/invoice/1", status=429, body="", headers={"Retry-After": "3600"})
	with pytest.raises(ThrottledError) as info:
		client.read("Invoice", "1")
	assert sleeps == [] and len(rsps.calls) == 1
	assert info.value.retry_after == 3600.0


def _closed_port() -> int:
	import socket

	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


def test_write_to_a_refused_connection_is_not_ambiguous(sleeps):
	"""Nothing left the machine, so nothing can have been saved: no 'may or may not' for the accountant."""
	from qbo_connector.qbo.environments import custom_environment

	base = f"http://127.0.0.1:{_closed_port()}"
	env = custom_environment(f"{base}/v3", f"{base}/auth", f"{base}/token", f"{base}/revoke")
	client = QBOClient(
		REALM, env, FakeTokens(), sleep=sleeps, max_retries=1, timeout=(2, 2), jitter=lambda: 0.0
	)
	with pytest.raises(TransportError) as info:
		client.create("Invoice", {"Line": []}, request_id="rid")
	assert info.value.ambiguous is False and info.value.retryable is True
	assert "may or may not" not in info.value.user_message
	assert sleeps == [1.0]


def test_write_whose_connection_drops_mid_answer_stays_ambiguous(rsps, client):
	rsps.add(
		"POST", f"{BASE}/invoice", body=requests.ConnectionError("Connection aborted: RemoteDisconnected")
	)
	with pytest.raises(TransportError) as info:
		client.create("Invoice", {"Line": []}, request_id="rid")
	assert info.value.ambiguous is True


def test_write_whose_connect_timed_out_is_not_ambiguous(rsps, client):
	rsps.add("POST", f"{BASE}/invoice", body=requests.ConnectTimeout("connect timed out"))
	with pytest.raises(TransportError) as info:
		client.create("Invoice", {"Line": []}, request_id="rid")
	assert info.value.ambiguous is False
