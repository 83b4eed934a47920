"""Acting as a QBO user: real writes, CDC-visible, announced by signed webhooks (legacy or CloudEvents)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import requests
from emulator_testkit import TIMEOUT, Api, Receiver

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.webhooks import parse_events, verify_signature

VERIFIER = "b5771f19b12ddb4bcdb9f08bdc50bc63878a"


def deliveries(emu: EmulatorServer, receiver: Receiver, n: int) -> list[dict]:
	assert emu.flush_webhooks(5)
	assert len(receiver.requests) >= n, emu.webhook_log()
	return receiver.requests


def test_record_payment_sends_a_signed_legacy_webhook(receiver: Receiver) -> None:
	with EmulatorServer(
		port=0,
		limits_enabled=False,
		webhook_url=receiver.url,
		verifier_token=VERIFIER,
		webhook_on_api_writes=False,
	) as emu:
		api = Api(emu)
		inv = api.invoice(100)
		payment = emu.record_payment(invoice_id=inv["Id"], amount=40)
		assert payment["TotalAmt"] == 40
		got = deliveries(emu, receiver, 1)
		assert len(got) == 1  # the API write above sent nothing (webhook_on_api_writes off)
		body, headers = got[0]["body"], got[0]["headers"]
		assert verify_signature(body, headers["intuit-signature"], VERIFIER)
		assert not verify_signature(body, headers["intuit-signature"], "wrong-token")
		payload = json.loads(body)
		entities = payload["eventNotifications"][0]["dataChangeEvent"]["entities"]
		assert payload["eventNotifications"][0]["realmId"] == emu.realm_id
		assert {(e["name"], e["id"], e["operation"]) for e in entities} == {
			("Payment", payment["Id"], "Create"),
			("Invoice", inv["Id"], "Update"),
		}
		events = parse_events(body)
		assert {e.entity for e in events} == {"Payment", "Invoice"}
		assert api.read("Invoice", inv["Id"])["Balance"] == 60


def test_cloudevents_format(receiver: Receiver) -> None:
	with EmulatorServer(
		port=0, limits_enabled=False, webhook_url=receiver.url, webhook_format="cloudevents"
	) as emu:
		customer = emu.add_customer("Cloud Co")
		got = deliveries(emu, receiver, 1)
		assert got[0]["headers"]["Content-Type"] == "application/cloudevents+json"
		events = json.loads(got[0]["body"])
		assert isinstance(events, list)
		event = events[0]
		assert event["specversion"] == "1.0"
		assert event["type"] == "qbo.customer.created.v1"
		assert event["intuitentityid"] == customer["Id"]
		assert event["intuitaccountid"] == emu.realm_id
		assert event["id"] and event["time"]
		parsed = parse_events(got[0]["body"])
		assert (parsed[0].entity, parsed[0].entity_id, parsed[0].operation) == (
			"Customer",
			customer["Id"],
			"Create",
		)


def test_api_writes_notify_too_and_void_says_void(receiver: Receiver) -> None:
	with EmulatorServer(port=0, limits_enabled=False, webhook_url=receiver.url) as emu:
		api = Api(emu)
		inv = api.invoice(10)
		emu.void_invoice(inv["Id"])
		got = deliveries(emu, receiver, 2)
		ops = [
			json.loads(r["body"])["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["operation"]
			for r in got
		]
		assert ops == ["Create", "Void"]
		voided = api.read("Invoice", inv["Id"])
		assert voided["PrivateNote"] == "Voided" and voided["SyncToken"] == "1"


def test_user_actions_change_state_like_real_writes(emu: EmulatorServer, api: Api) -> None:
	since = datetime.now(timezone.utc) - timedelta(seconds=2)
	customer = emu.add_customer("Acted Co", CompanyName="Acted")
	renamed = emu.rename_customer(customer["Id"], "Acted Company")
	assert renamed["DisplayName"] == "Acted Company" and renamed["SyncToken"] == "1"
	inactive = emu.deactivate_customer(customer["Id"])
	assert inactive["Active"] is False and inactive["SyncToken"] == "2"
	item = emu.add_item("Consulting", unit_price=120)
	assert api.read("Item", item["Id"])["UnitPrice"] == 120
	a, b = api.invoice(100), api.invoice(50)
	several = emu.record_payment(
		invoices=[{"id": a["Id"], "amount": 100}, {"id": b["Id"], "amount": 20}], total=150
	)
	assert several["UnappliedAmt"] == 30
	c = api.invoice(10)
	deleted = emu.delete_invoice(c["Id"])
	assert deleted["status"] == "Deleted"
	emu.void_payment(several["Id"])
	assert api.read("Invoice", a["Id"])["Balance"] == 100
	r = api.get("cdc", entities="Customer,Item,Invoice,Payment", changedSince=since.isoformat())
	found = {}
	for entry in r.json()["CDCResponse"][0]["QueryResponse"]:
		for key, rows in entry.items():
			if isinstance(rows, list):
				found[key] = {row["Id"]: row for row in rows}
	assert found["Customer"][customer["Id"]]["DisplayName"] == "Acted Company (deleted)"  # inactive
	assert found["Invoice"][c["Id"]]["status"] == "Deleted"
	assert item["Id"] in found["Item"]
	assert several["Id"] in found["Payment"]


def test_failed_delivery_is_recorded_and_redeliver_repeats_the_body(receiver: Receiver) -> None:
	with EmulatorServer(
		port=0, limits_enabled=False, webhook_url="http://127.0.0.1:9/nowhere", webhook_timeout=1
	) as emu:
		emu.add_customer("Unheard Co")
		assert emu.flush_webhooks(5)
		log = emu.webhook_log()
		assert log[-1]["delivered"] is False and log[-1]["error"]
		emu.configure(webhook_url=receiver.url)
		receiver.status = 500
		emu.redeliver_last()
		emu.flush_webhooks(5)
		assert emu.webhook_log()[-1]["status"] == 500
		receiver.status = 200
		emu.redeliver_last()
		emu.flush_webhooks(5)
		assert len(receiver.requests) == 2
		assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
		assert (
			receiver.requests[0]["headers"]["intuit-signature"]
			== receiver.requests[1]["headers"]["intuit-signature"]
		)
		assert emu.webhook_log()[-1]["delivered"] is True and emu.webhook_log()[-1]["redelivery"] is True


def test_actions_through_the_control_api(receiver: Receiver) -> None:
	with EmulatorServer(port=0, limits_enabled=False) as emu:
		ctl = emu.control_url
		assert (
			requests.post(f"{ctl}/config", json={"webhook_url": receiver.url}, timeout=TIMEOUT).status_code
			== 200
		)
		api = Api(emu)
		inv = api.invoice(60)
		receiver.requests.clear()
		r = requests.post(
			f"{ctl}/act/record_payment", json={"invoice_id": inv["Id"], "amount": 60}, timeout=TIMEOUT
		)
		assert r.status_code == 200, r.text
		assert r.json()["TotalAmt"] == 60
		assert api.read("Invoice", inv["Id"])["Balance"] == 0
		r = requests.post(f"{ctl}/act/add_customer", json={"display_name": "Http Co"}, timeout=TIMEOUT)
		cid = r.json()["Id"]
		requests.post(
			f"{ctl}/act/rename_customer",
			json={"customer_id": cid, "display_name": "Http Company"},
			timeout=TIMEOUT,
		)
		requests.post(f"{ctl}/act/deactivate_customer", json={"customer_id": cid}, timeout=TIMEOUT)
		assert (
			requests.post(f"{ctl}/act/add_item", json={"name": "Http Item"}, timeout=TIMEOUT).status_code
			== 200
		)
		dup = requests.post(f"{ctl}/act/add_customer", json={"display_name": "http company"}, timeout=TIMEOUT)
		assert dup.status_code == 400 and dup.json()["Fault"]["Error"][0]["code"] == "6240"
		assert requests.post(f"{ctl}/act/fly", json={}, timeout=TIMEOUT).status_code == 400
		emu.flush_webhooks(5)
		log = requests.get(f"{ctl}/webhooks", timeout=TIMEOUT).json()["deliveries"]
		assert len(log) >= 5
		assert (
			requests.post(f"{ctl}/webhooks/redeliver", timeout=TIMEOUT).json()["delivery"]["redelivery"]
			is True
		)


def test_deactivating_a_name_is_announced_as_delete(receiver: Receiver) -> None:
	with EmulatorServer(port=0, limits_enabled=False, webhook_url=receiver.url) as emu:
		customer = emu.add_customer("Leaving Co")
		emu.deactivate_customer(customer["Id"])
		emu.rename_customer(customer["Id"], "Left Co")
		got = deliveries(emu, receiver, 3)
		ops = [
			json.loads(r["body"])["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["operation"]
			for r in got
		]
		assert ops == ["Create", "Delete", "Update"]
