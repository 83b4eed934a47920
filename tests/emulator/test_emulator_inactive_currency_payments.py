"""QBO's rules the connector meets at the edges: inactive ("deleted") names, transactions that use them,
currency rules with multicurrency on and off, payments against voided or deleted invoices, and the user
actions tests need (deactivate / reactivate names, delete a payment)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests
from emulator_testkit import TIMEOUT, Api, Receiver

from qbo_connector.emulator import EmulatorServer

INACTIVE_DETAIL = (
	"Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, "
	"customers, items, vendors or employees."
)


def error(response: requests.Response) -> dict:
	assert response.status_code == 400, response.text
	body = response.json()["Fault"]
	assert body["type"] == "ValidationFault"
	return body["Error"][0]


def line(amount: object = 10, item: str = "1") -> dict:
	return {
		"Amount": amount,
		"DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": {"ItemRef": {"value": item}},
	}


def cdc(api: Api, since: datetime, entities: str) -> dict[str, dict[str, dict]]:
	r = api.get("cdc", entities=entities, changedSince=since.isoformat())
	found: dict[str, dict[str, dict]] = {}
	for entry in r.json()["CDCResponse"][0]["QueryResponse"]:
		for key, rows in entry.items():
			if isinstance(rows, list):
				found[key] = {row["Id"]: row for row in rows}
	return found


@pytest.fixture
def multi() -> Iterator[Api]:
	with EmulatorServer(port=0, limits_enabled=False, multicurrency=True) as emu:
		yield Api(emu)


# -- inactive names ----------------------------------------------------------------------------------------


def test_an_inactive_customer_is_listed_as_deleted_and_keeps_its_name(emu: EmulatorServer, api: Api) -> None:
	customer = emu.add_customer("Gone Fishing Co")
	gone = emu.deactivate_customer(customer["Id"])
	assert gone["Active"] is False and gone["DisplayName"] == "Gone Fishing Co (deleted)"
	assert api.read("Customer", customer["Id"])["FullyQualifiedName"] == "Gone Fishing Co (deleted)"
	again = error(api.post("customer", {"DisplayName": "Gone Fishing Co"}))
	assert again["code"] == "6240" and again["Message"] == "Duplicate Name Exists Error"
	assert again["Detail"].startswith(
		"The name supplied already exists. : Another customer, vendor or employee"
	)
	assert "Gone Fishing Co (deleted)" in again["Detail"] and "inactive" in again["Detail"]
	# names are shared by customers, vendors and employees, inactive or not
	assert "(deleted)" in error(api.post("vendor", {"DisplayName": "Gone Fishing Co"}))["Detail"]
	other = api.create("Customer", {"DisplayName": "Still Here Co"})
	rename = api.post(
		"customer",
		{
			"Id": other["Id"],
			"SyncToken": other["SyncToken"],
			"sparse": True,
			"DisplayName": "Gone Fishing Co",
		},
	)
	assert error(rename)["code"] == "6240"
	# a clash with an active name is not called inactive
	active = error(api.post("customer", {"DisplayName": "Still Here Co"}))
	assert active["code"] == "6240" and "(deleted)" not in active["Detail"]


def test_an_inactive_item_keeps_its_name(emu: EmulatorServer, api: Api) -> None:
	item = emu.add_item("Old Widget", unit_price=5)
	gone = emu.deactivate_item(item["Id"])
	assert gone["Active"] is False and gone["Name"] == "Old Widget (deleted)"
	clash = error(api.post("item", {"Name": "Old Widget", "Type": "NonInventory"}))
	assert clash["code"] == "6240"
	assert "product or service" in clash["Detail"] and "Old Widget (deleted)" in clash["Detail"]


def test_transactions_cannot_use_inactive_names(emu: EmulatorServer, api: Api) -> None:
	customer = emu.add_customer("Dormant LLC")
	item = emu.add_item("Dormant Service", unit_price=10)
	emu.deactivate_customer(customer["Id"])
	on_customer = error(api.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line()]}))
	assert (on_customer["code"], on_customer["Message"], on_customer["Detail"]) == (
		"610",
		"Object Not Found",
		INACTIVE_DETAIL,
	)
	payment = error(api.post("payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 5}))
	assert payment["code"] == "610"
	emu.deactivate_item(item["Id"])
	on_item = error(api.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(10, item["Id"])]}))
	assert (on_item["code"], on_item["Detail"]) == ("610", INACTIVE_DETAIL)


def test_reactivated_names_are_usable_and_listed_again(emu: EmulatorServer, api: Api) -> None:
	customer = emu.add_customer("Back Again Ltd")
	item = emu.add_item("Back Again Service", unit_price=20)
	emu.deactivate_customer(customer["Id"])
	emu.deactivate_item(item["Id"])
	assert api.rows("select * from Customer where DisplayName = 'Back Again Ltd'", "Customer") == []
	assert api.rows("select * from Item where Name = 'Back Again Service'", "Item") == []
	hidden = api.rows("select * from Item where Active IN (true, false)", "Item")
	assert "Back Again Service (deleted)" in {i["Name"] for i in hidden}
	back = emu.reactivate_customer(customer["Id"])
	assert back["Active"] is True and back["DisplayName"] == "Back Again Ltd"
	assert emu.reactivate_item(item["Id"])["Name"] == "Back Again Service"
	[found] = api.rows("select * from Customer where DisplayName = 'Back Again Ltd'", "Customer")
	assert found["Id"] == customer["Id"]
	inv = api.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line(20, item["Id"])]})
	assert inv["TotalAmt"] == 20


def test_deactivating_and_reactivating_are_announced_and_in_cdc(receiver: Receiver) -> None:
	with EmulatorServer(port=0, limits_enabled=False, webhook_url=receiver.url) as emu:
		api = Api(emu)
		since = datetime.now(timezone.utc) - timedelta(seconds=2)
		item = emu.add_item("Seasonal Service", unit_price=3)
		emu.deactivate_item(item["Id"])
		emu.reactivate_item(item["Id"])
		emu.deactivate_item(item["Id"])
		assert emu.flush_webhooks(5)
		ops = [
			json.loads(r["body"])["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["operation"]
			for r in receiver.requests
		]
		assert ops == ["Create", "Delete", "Update", "Delete"]
		row = cdc(api, since, "Item")["Item"][item["Id"]]
		assert (
			row["Active"] is False and row["Name"] == "Seasonal Service (deleted)" and row["SyncToken"] == "3"
		)


# -- currency ----------------------------------------------------------------------------------------------


def test_multicurrency_transaction_defaults_to_the_customers_currency(multi: Api) -> None:
	eur = multi.create("Customer", {"DisplayName": "Euro Kunde GmbH", "CurrencyRef": {"value": "EUR"}})
	inv = multi.create("Invoice", {"CustomerRef": {"value": eur["Id"]}, "Line": [line(100)]})
	assert inv["CurrencyRef"]["value"] == "EUR" and inv["ExchangeRate"] > 0
	pay = multi.create(
		"Payment",
		{
			"CustomerRef": {"value": eur["Id"]},
			"TotalAmt": 40,
			"ExchangeRate": 1.2,
			"Line": [{"Amount": 40, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
		},
	)
	assert pay["CurrencyRef"]["value"] == "EUR" and pay["ExchangeRate"] == 1.2


def test_multicurrency_currency_other_than_the_customers_is_a_business_error(multi: Api) -> None:
	eur = multi.create("Customer", {"DisplayName": "Euro Kunde AG", "CurrencyRef": {"value": "EUR"}})
	wrong = error(
		multi.post(
			"invoice",
			{"CustomerRef": {"value": eur["Id"]}, "CurrencyRef": {"value": "GBP"}, "Line": [line()]},
		)
	)
	assert wrong["code"] == "6000" and wrong["element"] == "CurrencyRef"
	assert "currency" in wrong["Detail"].lower() and "EUR" in wrong["Detail"] and "GBP" in wrong["Detail"]
	home = error(
		multi.post(
			"payment", {"CustomerRef": {"value": eur["Id"]}, "CurrencyRef": {"value": "USD"}, "TotalAmt": 1}
		)
	)
	assert home["code"] == "6000" and "currency" in home["Detail"].lower()
	unknown = error(
		multi.post(
			"invoice", {"CustomerRef": {"value": "1"}, "CurrencyRef": {"value": "XYZ"}, "Line": [line()]}
		)
	)
	assert unknown["code"] == "2500" and unknown["element"] == "CurrencyRef"


def test_without_multicurrency_only_the_home_currency_is_accepted(api: Api) -> None:
	foreign = error(
		api.post(
			"invoice", {"CustomerRef": {"value": "1"}, "CurrencyRef": {"value": "EUR"}, "Line": [line()]}
		)
	)
	assert foreign["code"] == "2500" and foreign["element"] == "CurrencyRef" and "EUR" in foreign["Detail"]
	payment = error(
		api.post("payment", {"CustomerRef": {"value": "1"}, "CurrencyRef": {"value": "EUR"}, "TotalAmt": 1})
	)
	assert payment["code"] == "2500"
	home = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"CurrencyRef": {"value": "USD"},
			"ExchangeRate": 2,
			"Line": [line(10)],
		},
	)
	assert home["CurrencyRef"]["value"] == "USD" and "ExchangeRate" not in home and home["TotalAmt"] == 10


# -- payments against voided / deleted invoices ---------------------------------------------------------------


def pay(api: Api, invoice_id: str, amount: float) -> requests.Response:
	return api.post(
		"payment",
		{
			"CustomerRef": {"value": "1"},
			"TotalAmt": amount,
			"Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
		},
	)


def test_payment_against_a_voided_invoice_is_refused(emu: EmulatorServer, api: Api) -> None:
	inv = api.invoice(80)
	emu.void_invoice(inv["Id"])
	before = len(emu.objects("Payment"))
	refused = error(pay(api, inv["Id"], 80))
	assert refused["code"] == "6000" and "voided" in refused["Detail"]
	assert refused["element"] == "Line[0].LinkedTxn"
	assert error(pay(api, inv["Id"], 0))["code"] == "6000"  # even a zero line may not point at it
	assert len(emu.objects("Payment")) == before
	assert api.read("Invoice", inv["Id"])["Balance"] == 0


def test_payment_against_a_deleted_invoice_is_an_invalid_reference(emu: EmulatorServer, api: Api) -> None:
	inv = api.invoice(30)
	emu.delete_invoice(inv["Id"])
	refused = error(pay(api, inv["Id"], 30))
	assert refused["code"] == "2500" and refused["Message"] == "Invalid Reference Id"
	assert inv["Id"] in refused["Detail"] and refused["element"] == "Line[0].LinkedTxn.TxnId"


def test_payment_above_the_open_balance_is_a_business_error(emu: EmulatorServer, api: Api) -> None:
	inv = api.invoice(100)
	emu.record_payment(inv["Id"], 70)
	refused = error(pay(api, inv["Id"], 40))
	assert refused["code"] == "6000" and "open balance (30" in refused["Detail"]
	assert pay(api, inv["Id"], 30).status_code == 200


# -- control routes -----------------------------------------------------------------------------------------


def test_delete_payment_reopens_its_invoices(emu: EmulatorServer, api: Api) -> None:
	since = datetime.now(timezone.utc) - timedelta(seconds=2)
	inv = api.invoice(90)
	payment = emu.record_payment(inv["Id"], 90)
	assert api.read("Invoice", inv["Id"])["Balance"] == 0
	r = requests.post(
		f"{emu.control_url}/act/delete_payment", json={"payment_id": payment["Id"]}, timeout=TIMEOUT
	)
	assert r.status_code == 200 and r.json()["status"] == "Deleted"
	assert api.read("Invoice", inv["Id"])["Balance"] == 90
	assert api.get(f"payment/{payment['Id']}").status_code == 400
	assert cdc(api, since, "Payment")["Payment"][payment["Id"]]["status"] == "Deleted"
	missing = requests.post(
		f"{emu.control_url}/act/delete_payment", json={"payment_id": payment["Id"]}, timeout=TIMEOUT
	)
	assert missing.status_code == 400


def test_name_actions_over_http(emu: EmulatorServer, api: Api) -> None:
	ctl = emu.control_url
	item = requests.post(f"{ctl}/act/add_item", json={"name": "Http Widget"}, timeout=TIMEOUT).json()
	off = requests.post(f"{ctl}/act/deactivate_item", json={"item_id": item["Id"]}, timeout=TIMEOUT)
	assert off.status_code == 200 and off.json()["Active"] is False
	on = requests.post(f"{ctl}/act/reactivate_item", json={"item_id": item["Id"]}, timeout=TIMEOUT)
	assert on.json()["Active"] is True and on.json()["Name"] == "Http Widget"
	customer = emu.add_customer("Http Person")
	emu.deactivate_customer(customer["Id"])
	back = requests.post(
		f"{ctl}/act/reactivate_customer", json={"customer_id": customer["Id"]}, timeout=TIMEOUT
	)
	assert (
		back.json()["Active"] is True and api.read("Customer", customer["Id"])["DisplayName"] == "Http Person"
	)
