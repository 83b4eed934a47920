"""Batch (independent items, at most 30) and Change Data Capture (changes and deletes since a time)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from emulator_testkit import Api, fault_code

from qbo_connector.emulator import EmulatorServer


def sales_line(amount: float) -> dict:
	return {
		"Amount": amount,
		"DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
	}


def test_batch_items_are_answered_independently(api: Api) -> None:
	inv = api.invoice(10)
	items = [
		{"bId": "c1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
		{"bId": "c2", "operation": "create", "Customer": {"DisplayName": "Batch One"}},  # duplicate of c1
		{
			"bId": "i1",
			"operation": "create",
			"Invoice": {"CustomerRef": {"value": "1"}, "Line": [sales_line(5)]},
		},
		{
			"bId": "u1",
			"operation": "update",
			"Invoice": {"Id": inv["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "hi"},
		},
		{"bId": "q1", "Query": "select * from Customer where DisplayName = 'Batch One'"},
		{
			"bId": "bad",
			"operation": "create",
			"Invoice": {"CustomerRef": {"value": "404"}, "Line": [sales_line(5)]},
		},
	]
	r = api.post("batch", {"BatchItemRequest": items})
	assert r.status_code == 200, r.text
	answers = {a["bId"]: a for a in r.json()["BatchItemResponse"]}
	assert answers["c1"]["Customer"]["DisplayName"] == "Batch One"
	assert answers["c2"]["Fault"]["Error"][0]["code"] == "6240"
	assert answers["i1"]["Invoice"]["TotalAmt"] == 5
	assert answers["u1"]["Invoice"]["PrivateNote"] == "hi"
	assert "QueryResponse" in answers["q1"]
	assert answers["bad"]["Fault"]["Error"][0]["code"] == "2500"
	assert answers["bad"]["Fault"]["type"] == "ValidationFault"


def test_batch_delete_and_void(api: Api) -> None:
	a, b = api.invoice(10), api.invoice(20)
	items = [
		{"bId": "d", "operation": "delete", "Invoice": {"Id": a["Id"], "SyncToken": "0"}},
		{"bId": "v", "operation": "void", "Invoice": {"Id": b["Id"], "SyncToken": "0"}},
	]
	answers = {
		x["bId"]: x for x in api.post("batch", {"BatchItemRequest": items}).json()["BatchItemResponse"]
	}
	assert answers["d"]["Invoice"]["status"] == "Deleted"
	assert answers["v"]["Invoice"]["PrivateNote"] == "Voided"


def test_batch_of_more_than_30_items_is_a_fault(api: Api) -> None:
	items = [{"bId": str(n), "Query": "select * from Item"} for n in range(31)]
	r = api.post("batch", {"BatchItemRequest": items})
	assert r.status_code == 400
	assert "Fault" in r.json()
	assert len(api.post("batch", {"BatchItemRequest": items[:30]}).json()["BatchItemResponse"]) == 30


def test_batch_requestid_replays_the_whole_answer(api: Api) -> None:
	rid = uuid.uuid4().hex[:36]
	body = {
		"BatchItemRequest": [{"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Replay"}}]
	}
	first = api.post("batch", body, requestid=rid)
	second = api.post("batch", body, requestid=rid)
	assert first.content == second.content
	assert "Customer" in second.json()["BatchItemResponse"][0]
	assert len(api.rows("select * from Customer where DisplayName = 'Batch Replay'", "Customer")) == 1


def iso(dt: datetime) -> str:
	return dt.isoformat(timespec="seconds")


def cdc(api: Api, entities: str, since: datetime) -> dict:
	r = api.get("cdc", entities=entities, changedSince=iso(since))
	assert r.status_code == 200, r.text
	out: dict = {}
	for entry in r.json()["CDCResponse"][0]["QueryResponse"]:
		for key, value in entry.items():
			if isinstance(value, list):
				out[key] = value
	return out


def test_cdc_returns_changes_and_deletes_since(emu: EmulatorServer, api: Api) -> None:
	start = datetime.now(timezone.utc) - timedelta(seconds=1)
	emu.advance(10)
	customer = api.create("Customer", {"DisplayName": "CDC Co"})
	keep, gone = api.invoice(10), api.invoice(20)
	api.post("invoice", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete")
	changes = cdc(api, "Customer,Invoice,Payment", start + timedelta(seconds=5))
	assert [c["Id"] for c in changes["Customer"]] == [customer["Id"]]
	by_id = {i["Id"]: i for i in changes["Invoice"]}
	assert by_id[keep["Id"]]["TotalAmt"] == 10
	assert by_id[gone["Id"]]["status"] == "Deleted"
	assert set(by_id[gone["Id"]]) >= {"Id", "MetaData", "status"}
	assert "Payment" not in changes
	assert "Item" not in cdc(api, "Item", start + timedelta(seconds=5))


def test_cdc_sees_invoices_changed_by_a_payment(emu: EmulatorServer, api: Api) -> None:
	inv = api.invoice(100)
	emu.advance(60)
	since = datetime.now(timezone.utc) + timedelta(seconds=30)
	emu.record_payment(invoice_id=inv["Id"], amount=25)
	changes = cdc(api, "Invoice,Payment", since)
	assert changes["Invoice"][0]["Balance"] == 75
	assert changes["Payment"][0]["TotalAmt"] == 25


def test_cdc_envelope_and_limits(api: Api) -> None:
	since = datetime.now(timezone.utc) - timedelta(days=1)
	r = api.get("cdc", entities="Customer", changedSince=iso(since))
	body = r.json()
	assert isinstance(body["CDCResponse"], list)
	assert isinstance(body["CDCResponse"][0]["QueryResponse"], list)
	assert "time" in body
	old = api.get(
		"cdc", entities="Customer", changedSince=iso(datetime.now(timezone.utc) - timedelta(days=31))
	)
	assert old.status_code == 400 and "Fault" in old.json()
	assert "older than" in old.json()["Fault"]["Error"][0]["Detail"]
	for entity in ("TaxCode", "TaxRate", "TimeActivity"):
		assert api.get("cdc", entities=entity, changedSince=iso(since)).status_code == 400
	assert fault_code(api.get("cdc", changedSince=iso(since))) == "2020"
