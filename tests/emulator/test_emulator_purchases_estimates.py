"""Purchases and estimates as Intuit documents them: bills are deleted, never voided; bill payments (check or
credit card) apply to bills of their vendor within the open balance and are voided or deleted, which opens
the bills again; vendor credits; bill numbers unique per vendor; an invoice closes the estimate it links."""

from __future__ import annotations

import pytest
from emulator_testkit import Api, fault_code


def _account(api: Api, name: str) -> str:
	return next(a["Id"] for a in api.rows("select * from Account", "Account") if a["Name"] == name)


def _vendor(api: Api, name: str = "Books by Bessie") -> str:
	return next(v["Id"] for v in api.rows("select * from Vendor", "Vendor") if v["DisplayName"] == name)


def _expense(amount: float, account: str) -> dict:
	return {
		"Amount": amount,
		"DetailType": "AccountBasedExpenseLineDetail",
		"AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}},
	}


def _bill(api: Api, amount: float, vendor: str, entity: str = "Bill", **extra: object) -> dict:
	body = {"VendorRef": {"value": vendor}, "Line": [_expense(amount, _account(api, "Office Expenses"))]}
	body.update(extra)
	return api.create(entity, body)


def _pay_line(amount: float, txn_id: str, txn_type: str = "Bill") -> dict:
	return {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}


def _check(api: Api, vendor: str, total: float, lines: list[dict], **extra: object) -> dict:
	body = {
		"VendorRef": {"value": vendor},
		"PayType": "Check",
		"CheckPayment": {"BankAccountRef": {"value": _account(api, "Checking")}},
		"TotalAmt": total,
		"Line": lines,
	}
	body.update(extra)
	return body


def test_a_bill_cannot_be_voided_only_deleted(api: Api) -> None:
	bill = _bill(api, 120, _vendor(api))
	voided = api.post("bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}, operation="void")
	assert voided.status_code == 400 and fault_code(voided) == "500"
	assert api.read("Bill", bill["Id"])["TotalAmt"] == 120
	deleted = api.post("bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}, operation="delete")
	assert deleted.status_code == 200 and deleted.json()["Bill"]["status"] == "Deleted"
	assert api.get(f"bill/{bill['Id']}").status_code == 400


def test_bill_numbers_are_unique_per_vendor(api: Api) -> None:
	vendor = _vendor(api)
	other = api.create("Vendor", {"DisplayName": "Acme Office Supplies"})["Id"]
	_bill(api, 10, vendor, DocNumber="INV-7")
	again = api.post(
		"bill",
		{
			"VendorRef": {"value": vendor},
			"DocNumber": "inv-7",
			"Line": [_expense(5, _account(api, "Office Expenses"))],
		},
	)
	assert fault_code(again) == "6140"
	assert _bill(api, 10, other, DocNumber="INV-7")["DocNumber"] == "INV-7"


def test_check_bill_payment_applies_partly_and_in_full(api: Api) -> None:
	vendor = _vendor(api)
	first, second = _bill(api, 300, vendor), _bill(api, 80, vendor)
	payment = api.create(
		"BillPayment", _check(api, vendor, 230, [_pay_line(150, first["Id"]), _pay_line(80, second["Id"])])
	)
	assert payment["TotalAmt"] == 230 and payment["PayType"] == "Check"
	assert "CreditCardPayment" not in payment
	assert api.read("Bill", first["Id"])["Balance"] == 150
	assert api.read("Bill", second["Id"])["Balance"] == 0
	assert {"TxnId": payment["Id"], "TxnType": "BillPayment"} in api.read("Bill", first["Id"])["LinkedTxn"]

	# a bill with a payment applied cannot be deleted
	bill = api.read("Bill", first["Id"])
	refused = api.post("bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}, operation="delete")
	assert fault_code(refused) == "6540"

	voided = api.post(
		"billpayment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}, operation="void"
	)
	assert voided.status_code == 200, voided.text
	assert voided.json()["BillPayment"]["TotalAmt"] == 0
	assert api.read("Bill", first["Id"])["Balance"] == 300
	assert api.read("Bill", second["Id"])["Balance"] == 80


def test_bill_payment_rules(api: Api) -> None:
	vendor = _vendor(api)
	other = api.create("Vendor", {"DisplayName": "Someone Else"})["Id"]
	bill, foreign = _bill(api, 100, vendor), _bill(api, 100, other)
	cases = [
		(_check(api, vendor, 50, [_pay_line(60, bill["Id"])]), "6000"),  # more than the payment
		(_check(api, vendor, 500, [_pay_line(150, bill["Id"])]), "6000"),  # more than the bill's balance
		(_check(api, vendor, 100, [_pay_line(100, foreign["Id"])]), "6000"),  # another vendor's bill
		(_check(api, vendor, 100, [_pay_line(100, "999")]), "2500"),
		(_check(api, vendor, 100, [_pay_line(100, bill["Id"])], PayType="Cash"), "2170"),
		({**_check(api, vendor, 100, [_pay_line(100, bill["Id"])]), "CheckPayment": {}}, "2020"),
	]
	for body, code in cases:
		assert fault_code(api.post("billpayment", body)) == code, body
	card = _check(api, vendor, 100, [_pay_line(100, bill["Id"])], PayType="CreditCard")
	card.pop("CheckPayment")
	card["CreditCardPayment"] = {"CCAccountRef": {"value": _account(api, "Checking")}}
	assert fault_code(api.post("billpayment", card)) == "6000"  # not a credit card account
	card["CreditCardPayment"] = {"CCAccountRef": {"value": _account(api, "Visa Business")}}
	paid = api.create("BillPayment", card)
	assert paid["PayType"] == "CreditCard" and api.read("Bill", bill["Id"])["Balance"] == 0
	deleted = api.post("billpayment", {"Id": paid["Id"], "SyncToken": paid["SyncToken"]}, operation="delete")
	assert deleted.status_code == 200 and api.read("Bill", bill["Id"])["Balance"] == 100


def test_vendor_credit_is_applied_by_a_bill_payment(api: Api) -> None:
	vendor = _vendor(api)
	bill = _bill(api, 200, vendor)
	credit = _bill(api, 30, vendor, entity="VendorCredit")
	assert credit["Balance"] == 30 and credit["TotalAmt"] == 30
	paid = api.create(
		"BillPayment",
		_check(api, vendor, 170, [_pay_line(200, bill["Id"]), _pay_line(30, credit["Id"], "VendorCredit")]),
	)
	assert paid["TotalAmt"] == 170
	assert (
		api.read("Bill", bill["Id"])["Balance"] == 0
		and api.read("VendorCredit", credit["Id"])["Balance"] == 0
	)
	void = api.post("vendorcredit", {"Id": credit["Id"], "SyncToken": "0"}, operation="void")
	assert void.status_code == 400  # not voidable through the API


def test_invoice_linking_an_estimate_closes_it(api: Api) -> None:
	line = {
		"Amount": 40,
		"DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
	}
	estimate = api.create("Estimate", {"CustomerRef": {"value": "1"}, "Line": [line]})
	invoice = api.invoice(40, LinkedTxn=[{"TxnId": estimate["Id"], "TxnType": "Estimate"}])
	assert {"TxnId": estimate["Id"], "TxnType": "Estimate"} in invoice["LinkedTxn"]
	closed = api.read("Estimate", estimate["Id"])
	assert closed["TxnStatus"] == "Closed" and closed["SyncToken"] == "1"
	assert {"TxnId": invoice["Id"], "TxnType": "Invoice"} in closed["LinkedTxn"]
	other = api.create("Estimate", {"CustomerRef": {"value": "2"}, "Line": [line]})
	refused = api.post(
		"invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line],
			"LinkedTxn": [{"TxnId": other["Id"], "TxnType": "Estimate"}],
		},
	)
	assert fault_code(refused) == "6000"
	missing = api.post(
		"invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line],
			"LinkedTxn": [{"TxnId": "999", "TxnType": "Estimate"}],
		},
	)
	assert fault_code(missing) == "2500"


@pytest.mark.parametrize("status", ["Accepted", "Rejected", "Pending"])
def test_estimate_status_follows_qbos_list(api: Api, status: str) -> None:
	line = {
		"Amount": 10,
		"DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
	}
	estimate = api.create("Estimate", {"CustomerRef": {"value": "1"}, "Line": [line]})
	updated = api.post(
		"estimate", {"Id": estimate["Id"], "SyncToken": "0", "sparse": True, "TxnStatus": status}
	)
	assert updated.status_code == 200 and updated.json()["Estimate"]["TxnStatus"] == status
	bad = api.post("estimate", {"Id": estimate["Id"], "SyncToken": "1", "sparse": True, "TxnStatus": "Lost"})
	assert fault_code(bad) == "2170"


def test_new_entities_are_in_cdc(api: Api) -> None:
	vendor = _vendor(api)
	bill = _bill(api, 10, vendor)
	api.create("BillPayment", _check(api, vendor, 10, [_pay_line(10, bill["Id"])]))
	_bill(api, 5, vendor, entity="VendorCredit")
	since = api.read("Bill", bill["Id"])["MetaData"]["CreateTime"]
	r = api.get("cdc", entities="Bill,BillPayment,VendorCredit", changedSince=since)
	assert r.status_code == 200, r.text
	found = {k for block in r.json()["CDCResponse"][0]["QueryResponse"] for k in block if block[k]}
	assert {"Bill", "BillPayment", "VendorCredit"} <= found
