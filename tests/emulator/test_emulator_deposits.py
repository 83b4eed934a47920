"""Deposits of received payments: only payments waiting in Undeposited Funds, each once, for its whole amount;
a deposited payment cannot be voided or deleted until its deposit is deleted or voided."""

from __future__ import annotations

from emulator_testkit import Api, fault_code

CHECKING, SAVINGS = "3", "4"  # seeded Bank accounts


def received(api: Api, amount: float = 100, **extra: object) -> dict:
	inv = api.invoice(amount)
	body = {
		"CustomerRef": {"value": "1"},
		"TotalAmt": amount,
		"Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
	}
	body.update(extra)
	return api.create("Payment", body)


def deposit_body(payment: dict, amount: float | None = None, bank: str = SAVINGS) -> dict:
	return {
		"DepositToAccountRef": {"value": bank},
		"TxnDate": payment["TxnDate"],
		"Line": [
			{
				"Amount": payment["TotalAmt"] if amount is None else amount,
				"LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}],
			}
		],
		"PrivateNote": "ERPNext Payment Entry ACC-PAY-1 (deposit)",
	}


def void_payment(api: Api, payment: dict) -> int:
	current = api.read("Payment", payment["Id"])
	r = api.post(
		"payment",
		{"Id": payment["Id"], "SyncToken": current["SyncToken"], "sparse": True},
		operation="update",
		include="void",
	)
	return r.status_code if r.status_code != 400 else int(fault_code(r))


def test_deposit_of_a_payment_moves_it_to_the_bank_and_is_queryable(api: Api) -> None:
	payment = received(api, 250)
	deposit = api.create("Deposit", deposit_body(payment))
	assert deposit["TotalAmt"] == 250 and deposit["DepositToAccountRef"]["value"] == SAVINGS
	assert deposit["Line"][0]["LinkedTxn"] == [
		{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}
	]
	rows = api.rows(f"SELECT * FROM Deposit WHERE TxnDate = '{payment['TxnDate']}'", "Deposit")
	assert [r["Id"] for r in rows] == [deposit["Id"]]
	assert void_payment(api, payment) == 6540


def test_deposit_refuses_unknown_payment_bank_received_payment_and_partial_amount(api: Api) -> None:
	r = api.post("deposit", deposit_body({"Id": "999", "TotalAmt": 10, "TxnDate": "2026-01-05"}))
	assert fault_code(r) == "2500"
	into_bank = received(api, 80, DepositToAccountRef={"value": CHECKING})
	assert fault_code(api.post("deposit", deposit_body(into_bank))) == "6000"
	waiting = received(api, 60)
	assert fault_code(api.post("deposit", deposit_body(waiting, amount=50))) == "6000"
	assert api.rows("SELECT * FROM Deposit", "Deposit") == []


def test_requestid_replays_the_deposit_instead_of_a_second_one(api: Api) -> None:
	payment = received(api)
	first = api.post("deposit", deposit_body(payment), requestid="dep-1")
	again = api.post("deposit", deposit_body(payment), requestid="dep-1")
	assert first.status_code == again.status_code == 200
	assert first.json()["Deposit"]["Id"] == again.json()["Deposit"]["Id"]
	assert len(api.rows("SELECT * FROM Deposit", "Deposit")) == 1


def test_deleting_or_voiding_the_deposit_releases_the_payment(api: Api) -> None:
	deleted_from = received(api)
	deposit = api.create("Deposit", deposit_body(deleted_from))
	assert void_payment(api, deleted_from) == 6540
	r = api.post("deposit", {"Id": deposit["Id"], "SyncToken": deposit["SyncToken"]}, operation="delete")
	assert r.status_code == 200 and r.json()["Deposit"]["status"] == "Deleted"
	assert void_payment(api, deleted_from) == 200

	voided_from = received(api)
	deposit = api.create("Deposit", deposit_body(voided_from))
	r = api.post("deposit", {"Id": deposit["Id"], "SyncToken": deposit["SyncToken"]}, operation="void")
	assert r.status_code == 200 and r.json()["Deposit"]["TotalAmt"] == 0
	assert void_payment(api, voided_from) == 200
