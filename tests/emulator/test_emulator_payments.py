"""Payments lower invoice balances (partial, several invoices, unapplied), voids and deletes restore them."""

from __future__ import annotations

from emulator_testkit import Api, fault_code


def pay(
	api: Api, total: float, *applications: tuple[str, float], customer: str = "1", kind: str = "Invoice"
) -> dict:
	lines = [
		{"Amount": amount, "LinkedTxn": [{"TxnId": txn, "TxnType": kind}]} for txn, amount in applications
	]
	return api.create("Payment", {"CustomerRef": {"value": customer}, "TotalAmt": total, "Line": lines})


def test_partial_payment_lowers_the_balance_and_bumps_the_invoice(api: Api) -> None:
	inv = api.invoice(100)
	payment = pay(api, 40, (inv["Id"], 40))
	assert payment["UnappliedAmt"] == 0
	assert payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
	after = api.read("Invoice", inv["Id"])
	assert after["Balance"] == 60
	assert after["SyncToken"] == "1"
	assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]
	assert api.read("Customer", "1")["Balance"] == 60


def test_one_payment_for_several_invoices_with_unapplied_rest(api: Api) -> None:
	a, b = api.invoice(100), api.invoice(50)
	payment = pay(api, 200, (a["Id"], 100), (b["Id"], 30))
	assert payment["UnappliedAmt"] == 70
	assert api.read("Invoice", a["Id"])["Balance"] == 0
	assert api.read("Invoice", b["Id"])["Balance"] == 20
	assert api.read("Customer", "1")["Balance"] == -50  # 20 open less 70 unapplied credit


def test_unknown_invoice_in_linked_txn_is_2500(api: Api) -> None:
	r = api.post(
		"payment",
		{
			"CustomerRef": {"value": "1"},
			"TotalAmt": 5,
			"Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": "999", "TxnType": "Invoice"}]}],
		},
	)
	assert fault_code(r) == "2500"


def test_overpaying_an_invoice_or_applying_more_than_received_fails(api: Api) -> None:
	inv = api.invoice(100)
	over = {
		"CustomerRef": {"value": "1"},
		"TotalAmt": 150,
		"Line": [{"Amount": 150, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
	}
	assert fault_code(api.post("payment", over)) == "6000"
	short = {
		"CustomerRef": {"value": "1"},
		"TotalAmt": 10,
		"Line": [{"Amount": 50, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
	}
	assert fault_code(api.post("payment", short)) == "6000"
	other = api.create("Customer", {"DisplayName": "Someone Else"})
	foreign = dict(
		over, CustomerRef={"value": other["Id"]}, TotalAmt=10, Line=[dict(over["Line"][0], Amount=10)]
	)
	assert fault_code(api.post("payment", foreign)) == "6000"


def test_void_payment_restores_the_balance(api: Api) -> None:
	inv = api.invoice(100)
	payment = pay(api, 100, (inv["Id"], 100))
	assert api.read("Invoice", inv["Id"])["Balance"] == 0
	r = api.post(
		"payment",
		{"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
		operation="update",
		include="void",
	)
	assert r.status_code == 200, r.text
	voided = r.json()["Payment"]
	assert voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided"
	after = api.read("Invoice", inv["Id"])
	assert after["Balance"] == 100
	assert not [x for x in after["LinkedTxn"] if x["TxnType"] == "Payment"]


def test_delete_payment_restores_the_balance(api: Api) -> None:
	inv = api.invoice(80)
	payment = pay(api, 30, (inv["Id"], 30))
	r = api.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
	assert r.json()["Payment"]["status"] == "Deleted"
	assert api.read("Invoice", inv["Id"])["Balance"] == 80


def test_updating_a_payment_reapplies_it(api: Api) -> None:
	inv = api.invoice(100)
	payment = pay(api, 20, (inv["Id"], 20))
	body = {
		"Id": payment["Id"],
		"SyncToken": payment["SyncToken"],
		"sparse": True,
		"TotalAmt": 70,
		"Line": [{"Amount": 70, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
	}
	assert api.post("payment", body).status_code == 200
	assert api.read("Invoice", inv["Id"])["Balance"] == 30


def test_an_invoice_with_a_payment_cannot_be_voided_or_deleted(api: Api) -> None:
	inv = api.invoice(100)
	pay(api, 10, (inv["Id"], 10))
	current = api.read("Invoice", inv["Id"])
	ref = {"Id": current["Id"], "SyncToken": current["SyncToken"]}
	assert fault_code(api.post("invoice", ref, operation="void")) == "6540"
	assert fault_code(api.post("invoice", ref, operation="delete")) == "6540"


def test_invoice_total_cannot_drop_below_what_was_paid(api: Api) -> None:
	inv = api.invoice(100)
	pay(api, 90, (inv["Id"], 90))
	current = api.read("Invoice", inv["Id"])
	lines = [
		{
			"Amount": 50,
			"DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
		}
	]
	r = api.post(
		"invoice", {"Id": inv["Id"], "SyncToken": current["SyncToken"], "sparse": True, "Line": lines}
	)
	assert fault_code(r) == "6000"


def test_deposited_payment_cannot_be_voided(api: Api) -> None:
	inv = api.invoice(100)
	payment = pay(api, 100, (inv["Id"], 100))
	deposit = api.create(
		"Deposit",
		{
			"DepositToAccountRef": {"value": "3"},
			"Line": [
				{
					"Amount": 100,
					"LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}],
				}
			],
		},
	)
	assert deposit["TotalAmt"] == 100
	r = api.post(
		"payment",
		{"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
		operation="update",
		include="void",
	)
	assert fault_code(r) == "6540"
	again = api.post(
		"deposit",
		{
			"DepositToAccountRef": {"value": "3"},
			"Line": [{"Amount": 100, "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}]}],
		},
	)
	assert fault_code(again) == "6000"
	api.post("deposit", {"Id": deposit["Id"], "SyncToken": "0"}, operation="delete")
	r = api.post(
		"payment",
		{"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
		operation="update",
		include="void",
	)
	assert r.status_code == 200


def test_credit_memo_applied_in_a_payment(api: Api) -> None:
	inv = api.invoice(100)
	cm = api.create(
		"CreditMemo",
		{
			"CustomerRef": {"value": "1"},
			"Line": [
				{
					"Amount": 30,
					"DetailType": "SalesItemLineDetail",
					"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
				}
			],
		},
	)
	payment = api.create(
		"Payment",
		{
			"CustomerRef": {"value": "1"},
			"TotalAmt": 70,
			"Line": [
				{"Amount": 100, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]},
				{"Amount": 30, "LinkedTxn": [{"TxnId": cm["Id"], "TxnType": "CreditMemo"}]},
			],
		},
	)
	assert payment["UnappliedAmt"] == 0
	assert api.read("Invoice", inv["Id"])["Balance"] == 0
	assert api.read("CreditMemo", cm["Id"])["Balance"] == 0
