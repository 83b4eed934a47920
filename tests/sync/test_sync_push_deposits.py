"""Deposit creation (create_deposits): a pushed payment lands in Undeposited Funds and one QBO Deposit moves it to
the chosen bank account, exactly once, through dropped connections, refusals and cancels."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sync_support import by_name

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine, ids

SI, PE = "Sales Invoice", "Payment Entry"
BASIC = "ACC-SINV-2026-00002"
PAY_FULL, PAY_MULTI = "ACC-PAY-2026-00002", "ACC-PAY-2026-00003"


@pytest.fixture
def bank(emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig) -> str:
	"""Deposits on, into Savings (the payments' ERPNext bank maps to Checking, so the two are told apart)."""
	savings = by_name(emu, "Account", "Savings")
	config.create_deposits = True
	config.deposit_bank_account = savings
	store.add_config(config)
	return savings


def deposits_of(emu: EmulatorServer, payment_id: str) -> list[dict]:
	return [
		d
		for d in emu.objects("Deposit")
		if any(t["TxnId"] == payment_id for line in d["Line"] for t in line.get("LinkedTxn") or [])
	]


def payments_of(emu: EmulatorServer, name: str) -> list[dict]:
	return [
		p
		for p in emu.objects("Payment")
		if str(p.get("PrivateNote") or "").startswith(f"ERPNext {PE} {name}")
	]


def test_deposit_created_once_into_the_bank_account(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Success" and result.action == "created", result.message
	link = store.get_link(emu.realm_id, PE, PAY_FULL)
	payment = emu.get("Payment", link.qbo_id)
	assert payment["DepositToAccountRef"]["value"] == by_name(emu, "Account", "Undeposited Funds")
	[deposit] = deposits_of(emu, payment["Id"])
	assert deposit["DepositToAccountRef"]["value"] == bank
	assert Decimal(str(deposit["TotalAmt"])) == Decimal("1844.00") == Decimal(str(payment["TotalAmt"]))
	assert deposit["TxnDate"] == payment["TxnDate"]
	assert deposit["Line"][0]["LinkedTxn"] == [
		{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}
	]
	assert deposit["PrivateNote"] == f"ERPNext {PE} {PAY_FULL} (deposit)"
	state = link.pushed["deposit"]
	assert state["id"] == deposit["Id"] and state["state"] == "created"
	assert state["request_id"] == ids.request_id(emu.realm_id, PE, PAY_FULL, "deposit", 0)
	assert f"Deposit {deposit['Id']}" in result.message
	log = store.get_log(result.log_id)
	assert "/deposit?" in log.request_json and state["request_id"] in log.request_json  # on the payment's row

	again = engine.push(PE, PAY_FULL)  # re-push: already deposited, nothing sent
	assert again.status == "Skipped" and again.action == "unchanged", again.message
	assert len(emu.objects("Deposit")) == 1 and len(payments_of(emu, PAY_FULL)) == 1


def test_dropped_connection_after_commit_is_replayed_in_the_same_attempt(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/deposit", count=1)
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Success", result.message
	payment_id = store.get_link(emu.realm_id, PE, PAY_FULL).qbo_id
	assert len(deposits_of(emu, payment_id)) == 1 and len(emu.objects("Deposit")) == 1


def test_dropped_connection_after_commit_then_retry_makes_exactly_one_deposit(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/deposit", count=50)
	failed = engine.push(PE, PAY_FULL)
	assert failed.status == "Failed" and failed.retryable, failed.message
	assert "Created Payment" in failed.message and "Deposit into QuickBooks bank account" in failed.message
	assert "Undeposited Funds" in failed.message and "only completes the deposit" in failed.message
	link = store.get_link(emu.realm_id, PE, PAY_FULL)
	assert link.state == "synced" and link.pushed["deposit"]["state"] == "pending"
	assert link.pushed["deposit"]["request_id"] == ids.request_id(emu.realm_id, PE, PAY_FULL, "deposit", 0)
	assert len(emu.objects("Deposit")) == 1  # it committed; we just never heard back
	emu.state.faults.clear()

	recovered = engine.retry(failed.log_id)
	assert recovered.status == "Success" and recovered.action == "deposited", recovered.message
	assert len(emu.objects("Deposit")) == 1 and len(payments_of(emu, PAY_FULL)) == 1
	[deposit] = deposits_of(emu, link.qbo_id)
	assert store.get_link(emu.realm_id, PE, PAY_FULL).pushed["deposit"]["id"] == deposit["Id"]
	assert store.get_log(recovered.log_id).retry_of == failed.log_id
	assert engine.push(PE, PAY_FULL).action == "unchanged"
	assert len(emu.objects("Deposit")) == 1


def test_deposit_not_committed_then_retry_sends_the_same_request_id_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	emu.add_fault(kind="status", status=503, method="POST", path="/deposit", count=50)
	failed = engine.push(PE, PAY_FULL)
	assert failed.status == "Failed" and failed.retryable and emu.objects("Deposit") == []
	emu.state.faults.clear()
	recovered = engine.retry(failed.log_id)
	assert recovered.status == "Success", recovered.message
	assert len(emu.objects("Deposit")) == 1 and len(payments_of(emu, PAY_FULL)) == 1
	rid = ids.request_id(emu.realm_id, PE, PAY_FULL, "deposit", 0)
	assert rid in store.get_log(recovered.log_id).request_json


def test_refused_deposit_is_reported_and_completed_after_the_fix(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig, bank: str
) -> None:
	config.deposit_bank_account = "9999"  # no such account in QBO
	store.add_config(config)
	failed = engine.push(PE, PAY_FULL)
	assert failed.status == "Failed" and not failed.retryable and failed.code == "2500", failed.message
	assert "Created Payment" in failed.message and emu.objects("Deposit") == []
	config.deposit_bank_account = bank
	store.add_config(config)
	[due] = [r for r in engine.retry_due() if r.doctype == PE]  # the fixed setting changed the fingerprint
	assert due.status == "Success" and due.action == "deposited", due.message
	state = store.get_link(emu.realm_id, PE, PAY_FULL).pushed["deposit"]
	assert state["request_id"] == ids.request_id(
		emu.realm_id, PE, PAY_FULL, "deposit", 1
	)  # fresh after refusal
	assert len(emu.objects("Deposit")) == 1 and len(payments_of(emu, PAY_FULL)) == 1


def test_cancel_deletes_the_deposit_then_voids_the_payment(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	link = store.get_link(emu.realm_id, PE, PAY_FULL)
	deposit_id = link.pushed["deposit"]["id"]
	store.update_doc(PE, PAY_FULL, docstatus=2)
	result = engine.cancel(PE, PAY_FULL)
	assert result.status == "Success" and result.action == "voided", result.message
	assert (
		f"Deleted Deposit {deposit_id}" in result.message
		and f"Voided Payment {link.qbo_id}" in result.message
	)
	assert emu.get("Deposit", deposit_id) is None
	assert Decimal(str(emu.get("Payment", link.qbo_id)["TotalAmt"])) == 0
	after = store.get_link(emu.realm_id, PE, PAY_FULL)
	assert after.state == "voided" and after.pushed["deposit"]["state"] == "deleted"
	cancel_rows = [log for log in store.logs() if log.operation == "cancel"]
	assert len(cancel_rows) == 1
	urls = [x["url"] for x in json.loads(cancel_rows[0].request_json)]
	assert [u.split("?")[0].rsplit("/", 1)[-1] for u in urls] == ["deposit", "payment"]  # deposit first
	assert "operation=delete" in urls[0] and "include=void" in urls[1]
	assert engine.cancel(PE, PAY_FULL).status == "Skipped"


def test_cancel_after_a_lost_deposit_answer_finds_and_deletes_it(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/deposit", count=50)
	assert engine.push(PE, PAY_FULL).status == "Failed"  # the deposit committed; its id never came back
	emu.state.faults.clear()
	store.update_doc(PE, PAY_FULL, docstatus=2)
	result = engine.cancel(PE, PAY_FULL)
	assert result.status == "Success" and "Deleted Deposit" in result.message, result.message
	assert emu.objects("Deposit") == []
	payment_id = store.get_link(emu.realm_id, PE, PAY_FULL).qbo_id
	assert Decimal(str(emu.get("Payment", payment_id)["TotalAmt"])) == 0


def test_switch_off_sends_no_deposit_and_keeps_the_bank_account(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	config.deposit_bank_account = by_name(emu, "Account", "Savings")  # set, but the switch is off
	store.add_config(config)
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Success", result.message
	link = store.get_link(emu.realm_id, PE, PAY_FULL)
	payment = emu.get("Payment", link.qbo_id)
	assert payment["DepositToAccountRef"]["value"] == by_name(emu, "Account", "Checking")  # account_map
	assert emu.objects("Deposit") == [] and "deposit" not in link.pushed
	store.update_doc(PE, PAY_FULL, docstatus=2)
	assert engine.cancel(PE, PAY_FULL).action == "voided"


def test_switch_on_without_a_bank_account_sends_nothing(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	config.create_deposits = True
	store.add_config(config)
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Failed" and result.code == "DEPOSIT_ACCOUNT" and not result.retryable
	assert "Deposit Bank Account" in result.message
	assert emu.objects("Payment") == [] and emu.objects("Deposit") == []


def test_bulk_push_deposits_each_payment_on_its_own_row(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	summary = engine.push_many(PE, [PAY_FULL, PAY_MULTI])
	assert summary.failed == 0 and summary.created == 2, [r.message for r in summary.results]
	for name in (PAY_FULL, PAY_MULTI):
		link = store.get_link(emu.realm_id, PE, name)
		[deposit] = deposits_of(emu, link.qbo_id)
		assert deposit["DepositToAccountRef"]["value"] == bank
		assert Decimal(str(deposit["TotalAmt"])) == link.remote_total
		row = next(r for r in summary.results if r.name == name)
		assert "/deposit?" in store.get_log(row.log_id).request_json
	assert len(emu.objects("Deposit")) == 2


def test_void_failing_after_the_deposit_was_deleted_says_both_and_retry_only_voids(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, bank: str
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	deposit_id = store.get_link(emu.realm_id, PE, PAY_FULL).pushed["deposit"]["id"]
	store.update_doc(PE, PAY_FULL, docstatus=2)
	emu.add_fault(kind="status", status=400, method="POST", path="/payment", count=1)
	failed = engine.cancel(PE, PAY_FULL)
	assert failed.status == "Failed", failed.message
	assert f"Deleted Deposit {deposit_id}" in failed.message and "Then voiding Payment" in failed.message
	assert emu.get("Deposit", deposit_id) is None
	done = engine.retry(failed.log_id)
	assert done.status == "Success" and done.action == "voided", done.message
	assert "Deposit" not in done.message  # already gone: not deleted twice
