"""Intuit's throttles (scaled in time) and queued fault injection: 5xx bodies, delays, drops, expiry."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from emulator_testkit import TIMEOUT, Api, fault_code

from qbo_connector.emulator import EmulatorServer


def burst(api: Api, n: int, path: str = "companyinfo") -> list[int]:
	return [api.get(f"{path}/{api.realm_id}").status_code for _ in range(n)]


def test_ten_a_second_then_429_with_3001() -> None:
	with EmulatorServer(port=0) as emu:
		api = Api(emu)
		codes = burst(api, 11)
		assert codes[:10] == [200] * 10
		assert codes[10] == 429
		r = api.get(f"companyinfo/{api.realm_id}")
		assert r.status_code == 429
		error = r.json()["Fault"]["Error"][0]
		assert error["code"] == "3001"
		assert "ThrottleExceeded" in error["Message"]
		assert r.headers["intuit_tid"]


def test_minute_window_shrinks_with_the_time_scale() -> None:
	with EmulatorServer(port=0, time_scale=0.01, limit_per_minute=15, limit_per_second=1000) as emu:
		api = Api(emu)
		assert burst(api, 15) == [200] * 15
		assert burst(api, 1) == [429]
		time.sleep(0.65)  # a scaled minute
		assert burst(api, 1) == [200]


def test_batch_requests_have_their_own_limit_and_limits_can_be_off() -> None:
	with EmulatorServer(port=0, batch_limit_per_minute=3, limit_per_second=1000) as emu:
		api = Api(emu)
		body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Item"}]}
		assert [api.post("batch", body).status_code for _ in range(4)] == [200, 200, 200, 429]
		assert api.get("customer/1").status_code == 200
		emu.configure(limits_enabled=False)
		assert api.post("batch", body).status_code == 200


def test_throttle_body_can_be_xml_with_retry_after() -> None:
	with EmulatorServer(port=0, limit_per_second=1, throttle_format="xml", throttle_retry_after=True) as emu:
		api = Api(emu)
		burst(api, 1)
		r = api.get("customer/1")
		assert r.status_code == 429
		assert r.headers["Content-Type"].startswith("application/xml")
		assert '<Error code="3001">' in r.text
		assert float(r.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
	("status", "body", "marker"),
	[(500, "json", '"Fault"'), (502, "html", "<html"), (503, "xml", "<IntuitResponse")],
)
def test_injected_server_errors_before_commit(
	emu: EmulatorServer, api: Api, status: int, body: str, marker: str
) -> None:
	emu.add_fault(kind="status", status=status, body=body, method="POST", entity="Customer", count=2)
	for _ in range(2):
		r = api.post("customer", {"DisplayName": "Flaky Co"})
		assert r.status_code == status
		assert marker in r.text
	assert api.rows("select * from Customer where DisplayName = 'Flaky Co'", "Customer") == []
	assert api.post("customer", {"DisplayName": "Flaky Co"}).status_code == 200


def test_fault_matches_path_and_method_only(emu: EmulatorServer, api: Api) -> None:
	emu.add_fault(kind="status", status=503, path="/invoice", method="POST")
	assert api.get("customer/1").status_code == 200
	assert api.post("customer", {"DisplayName": "Unaffected"}).status_code == 200
	assert api.post("invoice", {"CustomerRef": {"value": "1"}}).status_code == 503


def test_error_after_commit_then_requestid_retry_gets_the_original(emu: EmulatorServer, api: Api) -> None:
	emu.add_fault(kind="status", status=500, when="after", entity="Customer")
	rid = uuid.uuid4().hex
	assert api.post("customer", {"DisplayName": "Committed Co"}, requestid=rid).status_code == 500
	retry = api.post("customer", {"DisplayName": "Committed Co"}, requestid=rid)
	assert retry.status_code == 200
	assert len(api.rows("select * from Customer where DisplayName = 'Committed Co'", "Customer")) == 1


def test_drop_after_commit_closes_the_socket(emu: EmulatorServer, api: Api) -> None:
	emu.add_fault(kind="drop", method="POST", entity="Invoice")
	rid = uuid.uuid4().hex
	body = {
		"CustomerRef": {"value": "1"},
		"Line": [
			{
				"Amount": 5,
				"DetailType": "SalesItemLineDetail",
				"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
			}
		],
	}
	with pytest.raises(requests.ConnectionError):
		api.post("invoice", body, requestid=rid)
	assert len(emu.objects("Invoice")) == 1  # the write committed before the drop
	retry = api.post("invoice", body, requestid=rid)
	assert retry.status_code == 200
	assert retry.json()["Invoice"]["Id"] == emu.objects("Invoice")[0]["Id"]
	assert len(emu.objects("Invoice")) == 1


def test_delay_exceeds_a_client_timeout(emu: EmulatorServer, api: Api) -> None:
	emu.add_fault(kind="delay", delay=0.4, method="GET")
	with pytest.raises(requests.Timeout):
		requests.get(f"{api.base}/customer/1", headers=api.headers(), timeout=0.1)
	time.sleep(0.4)
	assert api.get("customer/1").status_code == 200


def test_expire_token_fault_and_throttle_next_n(emu: EmulatorServer, api: Api) -> None:
	emu.add_fault(kind="expire_token")
	r = api.get("customer/1")
	assert r.status_code == 401
	assert r.json()["fault"]["error"][0]["detail"].startswith("Token expired")
	api.tokens = emu.issue_tokens()
	emu.add_fault(kind="throttle", count=2)
	assert [api.get("customer/1").status_code for _ in range(3)] == [429, 429, 200]


def test_faults_through_the_control_api(emu: EmulatorServer, api: Api) -> None:
	r = requests.post(
		f"{emu.control_url}/faults",
		json=[{"kind": "status", "status": 502}, {"kind": "throttle"}],
		timeout=TIMEOUT,
	)
	assert r.status_code == 200 and len(r.json()["queued"]) == 2
	assert len(requests.get(f"{emu.control_url}/faults", timeout=TIMEOUT).json()["pending"]) == 2
	assert api.get("customer/1").status_code == 502
	assert api.get("customer/1").status_code == 429
	assert api.get("customer/1").status_code == 200
	requests.post(f"{emu.control_url}/faults", json={"kind": "throttle", "count": 5}, timeout=TIMEOUT)
	requests.delete(f"{emu.control_url}/faults", timeout=TIMEOUT)
	assert api.get("customer/1").status_code == 200
	bad = requests.post(f"{emu.control_url}/faults", json={"kind": "meteor"}, timeout=TIMEOUT)
	assert bad.status_code == 400


def test_a_429_is_not_a_fault_in_a_200(api: Api, emu: EmulatorServer) -> None:
	emu.add_fault(kind="throttle", body="xml")
	r = api.get("customer/1")
	assert r.status_code == 429 and r.text.startswith("<?xml")
	assert fault_code(api.get("customer/404")) == "610"
