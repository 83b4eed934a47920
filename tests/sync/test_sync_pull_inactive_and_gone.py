"""Pulls see everything: names made inactive in QBO (after a long gap, and past CDC's 1,000-object cap), names
made active again, QBO payments voided or deleted (a pulled Payment Entry is cancelled, a pushed one flagged),
and failed pull rows that name the ERPNext record they concern."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import unquote_plus

import pytest
from sync_support import Clock

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.webhooks import WebhookEvent
from qbo_connector.sync import MemoryStore, SyncEngine
from qbo_connector.sync.outcome import SyncError
from qbo_connector.sync.pull import CDC_MAX_ROWS

SI, PE = "Sales Invoice", "Payment Entry"
BASIC = "ACC-SINV-2026-00002"  # O'Brien & Søn Ltd, 1844.00
PAY_FULL = "ACC-PAY-2026-00002"  # pays BASIC in full
COMPANY = "QBO Test Co"


def pull_rows(store: MemoryStore, status: str | None = None) -> list:
	return [x for x in store.logs() if x.operation == "pull_entity" and status in (None, x.status)]


def pulled_entry(store: MemoryStore) -> dict:
	[entry] = [d for d in store.docs(PE) if d["name"].startswith("QBO-PAY-")]
	return entry


def event(emu: EmulatorServer, entity: str, entity_id: str, operation: str, at: str) -> WebhookEvent:
	return WebhookEvent(
		realm_id=emu.realm_id, entity=entity, entity_id=entity_id, operation=operation, occurred_at=at
	)


@pytest.fixture
def names(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> dict[str, str]:
	"""A customer and a service item made in QBO and pulled once (linked in ERPNext)."""
	customer = emu.add_customer("Seasonal Traders Ltd")
	item = emu.add_item("Seasonal Survey", type="Service", unit_price=300)
	first = engine.pull(company=COMPANY)
	assert first.failed == 0, first.message
	assert store.get_doc("Customer", "Seasonal Traders Ltd")["disabled"] == 0
	assert store.get_doc("Item", "Seasonal Survey")["disabled"] == 0
	return {"customer": customer["Id"], "item": item["Id"]}


def assert_disabled(store: MemoryStore, disabled: int) -> None:
	customer = store.get_doc("Customer", "Seasonal Traders Ltd")
	item = store.get_doc("Item", "Seasonal Survey")
	assert (customer["disabled"], item["disabled"]) == (disabled, disabled)
	# QBO lists them as "... (deleted)" while inactive; the ERPNext records keep their names
	assert customer["customer_name"] == "Seasonal Traders Ltd" and item["item_name"] == "Seasonal Survey"


# -- names made inactive ------------------------------------------------------------------------------------


def test_full_query_after_a_long_gap_sees_names_made_inactive(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock, names: dict[str, str]
) -> None:
	emu.deactivate_customer(names["customer"])
	emu.deactivate_item(names["item"])
	store.set_watermark(emu.realm_id, clock() - timedelta(days=40))  # past CDC's 30-day look-back
	result = engine.pull(company=COMPANY)
	assert result.full and result.failed == 0, result.message
	assert_disabled(store, 1)
	sent = unquote_plus(store.get_log(result.log_id).request_json)
	assert "FROM Customer WHERE Active IN (true, false) AND MetaData.LastUpdatedTime >=" in sent
	assert "FROM Item WHERE Active IN (true, false) AND" in sent
	assert "FROM Payment WHERE MetaData" in sent and "FROM Invoice WHERE MetaData" in sent  # no Active there
	messages = {x.erp_name: x.message for x in pull_rows(store, "Success")}
	assert (
		"disabled" in messages["Seasonal Traders Ltd"] and "made inactive" in messages["Seasonal Traders Ltd"]
	)
	assert "Item Seasonal Survey disabled" in messages["Seasonal Survey"]

	emu.reactivate_customer(names["customer"])
	emu.reactivate_item(names["item"])
	store.set_watermark(emu.realm_id, clock() - timedelta(days=35))
	again = engine.pull(company=COMPANY)
	assert again.full and again.failed == 0, again.message
	assert_disabled(store, 0)
	enabled = [x for x in pull_rows(store, "Success") if "enabled again" in x.message]
	assert {x.erp_name for x in enabled} == {"Seasonal Traders Ltd", "Seasonal Survey"}


def test_pull_past_the_cdc_cap_sees_names_made_inactive(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, names: dict[str, str]
) -> None:
	for n in range(CDC_MAX_ROWS):
		emu.add_customer(f"Bulk Customer {n:04d}")
	emu.deactivate_customer(names["customer"])  # after the 1,000: beyond what one CDC answer holds
	emu.deactivate_item(names["item"])
	result = engine.pull(company=COMPANY)
	assert not result.full and result.failed == 0, result.message
	assert_disabled(store, 1)
	sent = unquote_plus(store.get_log(result.log_id).request_json)
	assert "/cdc?" in sent and "FROM Customer WHERE Active IN (true, false)" in sent
	assert store.get_doc("Customer", "Bulk Customer 0999") is not None

	emu.reactivate_customer(names["customer"])
	emu.reactivate_item(names["item"])
	again = engine.pull(company=COMPANY)  # a plain CDC now
	assert again.failed == 0, again.message
	assert_disabled(store, 0)


def test_cdc_disables_and_enables_again(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, names: dict[str, str]
) -> None:
	emu.deactivate_item(names["item"])
	assert engine.pull(company=COMPANY).applied == 1
	assert store.get_doc("Item", "Seasonal Survey")["disabled"] == 1
	assert store.get_link(emu.realm_id, "Item", "Seasonal Survey").state == "deleted"
	assert engine.pull(company=COMPANY).applied == 0  # nothing new: no second row
	emu.reactivate_item(names["item"])
	assert engine.pull(company=COMPANY).applied == 1
	assert store.get_doc("Item", "Seasonal Survey")["disabled"] == 0
	assert store.get_link(emu.realm_id, "Item", "Seasonal Survey").state == "synced"


def test_an_ordinary_change_in_qbo_does_not_enable_what_erpnext_disabled(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, names: dict[str, str]
) -> None:
	store.update_doc("Customer", "Seasonal Traders Ltd", disabled=1)  # someone's decision in ERPNext
	emu.rename_customer(names["customer"], "Seasonal Traders Limited")
	assert engine.pull(company=COMPANY).applied == 1
	customer = store.get_doc("Customer", "Seasonal Traders Ltd")
	assert customer["customer_name"] == "Seasonal Traders Limited" and customer["disabled"] == 1


def test_names_inactive_before_erpnext_knew_them_are_not_created(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	customer = emu.add_customer("Retired Before Sync LLC")
	item = emu.add_item("Retired Service", type="Service", unit_price=10)
	emu.deactivate_customer(customer["Id"])
	emu.deactivate_item(item["Id"])
	first = engine.pull(company=COMPANY)  # the first pull is a full query: inactive names are asked for
	assert first.full and first.failed == 0
	assert "2 of them inactive in QuickBooks and never in ERPNext: not created" in first.message
	for doctype in ("Customer", "Item"):
		assert not [d for d in store.docs(doctype) if "Retired" in str(d.get("name"))]
	assert not [x for x in pull_rows(store) if "Retired" in x.message]  # counted, no row each

	emu.reactivate_customer(customer["Id"])
	assert engine.pull(company=COMPANY).applied == 1
	made = store.get_doc("Customer", "Retired Before Sync LLC")
	assert made is not None and made["disabled"] == 0


def test_webhook_delete_of_a_name_reads_it_and_disables_it(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, names: dict[str, str]
) -> None:
	emu.deactivate_customer(names["customer"])
	result = engine.handle_webhook(
		[event(emu, "Customer", names["customer"], "Delete", "2026-11-21T09:00:00-08:00")]
	)
	assert result.applied == 1, result.message
	customer = store.get_doc("Customer", "Seasonal Traders Ltd")
	assert customer["disabled"] == 1 and customer["customer_name"] == "Seasonal Traders Ltd"
	# the read (not an assumed tombstone) left the link at QBO's SyncToken: CDC re-reading it is quiet
	assert engine.pull(company=COMPANY).applied == 0


# -- payments voided or deleted in QBO ----------------------------------------------------------------------


def pull_a_qbo_payment(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, amount: float) -> dict:
	assert engine.push(SI, BASIC).ok
	engine.pull(company=COMPANY)
	invoice = store.get_link(emu.realm_id, SI, BASIC).qbo_id
	payment = emu.record_payment(invoice, amount)
	assert engine.pull(company=COMPANY).applied == 1
	assert store.get_doc(SI, BASIC)["outstanding_amount"] == 1844.0 - amount
	return payment


@pytest.mark.parametrize("action", ["void", "delete"])
def test_pulled_payment_voided_or_deleted_in_qbo_cancels_its_entry(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, action: str
) -> None:
	payment = pull_a_qbo_payment(engine, store, emu, 600)
	entry = pulled_entry(store)
	(emu.void_payment if action == "void" else emu.delete_payment)(payment["Id"])
	result = engine.pull(company=COMPANY)
	assert result.failed == 0 and result.applied >= 1, result.message
	state = "voided" if action == "void" else "deleted"
	doc = store.get_doc(PE, entry["name"])
	assert doc["docstatus"] == 2 and doc["qbo_state"] == state
	assert store.get_doc(SI, BASIC)["outstanding_amount"] == 1844.0  # owed again
	assert store.get_link(emu.realm_id, PE, entry["name"]).state == state
	[row] = [x for x in pull_rows(store) if x.erp_name == entry["name"] and "cancelled" in x.message]
	assert row.status == "Success"
	assert row.message == (
		f"Payment Entry {entry['name']} cancelled: QuickBooks payment {payment['Id']} was {state} in QuickBooks."
	)
	assert engine.pull(company=COMPANY).applied == 0  # once


def test_with_the_switch_off_a_voided_pulled_payment_is_only_flagged(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config
) -> None:
	store.add_config(replace(config, cancel_pulled_payments=False))
	payment = pull_a_qbo_payment(engine, store, emu, 400)
	entry = pulled_entry(store)
	emu.void_payment(payment["Id"])
	result = engine.pull(company=COMPANY)
	assert result.failed == 0, result.message
	doc = store.get_doc(PE, entry["name"])
	assert doc["docstatus"] == 1 and doc["qbo_state"] == "voided"
	assert entry["name"] in doc["qbo_message"]
	[row] = [x for x in pull_rows(store, "Warning") if x.erp_name == entry["name"]]
	assert f"payment {payment['Id']}" in row.message and "cancel Payment Entry" in row.message


def test_a_cancel_erpnext_refuses_is_flagged_with_the_reason(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
	payment = pull_a_qbo_payment(engine, store, emu, 100)
	entry = pulled_entry(store)

	def refuse(name: str, state: str, message: str) -> bool:
		raise ValueError("Payment Entry is reconciled with Bank Transaction BT-0001")

	monkeypatch.setattr(store, "cancel_payment_entry", refuse)
	emu.void_payment(payment["Id"])
	result = engine.pull(company=COMPANY)
	assert result.failed == 0, result.message  # not an error to retry forever: a person must act
	doc = store.get_doc(PE, entry["name"])
	assert doc["docstatus"] == 1 and doc["qbo_state"] == "voided"
	[row] = [x for x in pull_rows(store, "Warning") if x.erp_name == entry["name"]]
	assert "could not be cancelled automatically" in row.message and "BT-0001" in row.message


def test_a_cancel_that_could_not_run_yet_is_retried_not_forgotten(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
	payment = pull_a_qbo_payment(engine, store, emu, 200)
	entry = pulled_entry(store)
	real = store.cancel_payment_entry

	def locked(name: str, state: str, message: str) -> bool:
		raise SyncError("LOCKED", "Another background job is still working on it", retryable=True)

	monkeypatch.setattr(store, "cancel_payment_entry", locked)
	emu.void_payment(payment["Id"])
	assert engine.pull(company=COMPANY).failed == 1
	[failed] = pull_rows(store, "Failed")
	assert failed.retryable and entry["name"] in failed.message
	assert store.get_link(emu.realm_id, PE, entry["name"]).state == "synced"  # not moved: nothing done yet
	monkeypatch.setattr(store, "cancel_payment_entry", real)
	assert engine.retry(failed.id).status == "Success"
	assert store.get_doc(PE, entry["name"])["docstatus"] == 2


@pytest.mark.parametrize("action", ["void", "delete"])
def test_pushed_payment_voided_or_deleted_in_qbo_is_flagged_not_cancelled(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, action: str
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	engine.pull(company=COMPANY)
	qbo_id = store.get_link(emu.realm_id, PE, PAY_FULL).qbo_id
	(emu.void_payment if action == "void" else emu.delete_payment)(qbo_id)
	result = engine.pull(company=COMPANY)
	assert result.failed == 0 and result.applied >= 1, result.message
	state = "voided" if action == "void" else "deleted"
	doc = store.get_doc(PE, PAY_FULL)
	assert doc["docstatus"] == 1 and doc["qbo_state"] == state  # the accountant's document stays
	assert "not cancelled" in doc["qbo_message"]
	assert store.get_link(emu.realm_id, PE, PAY_FULL).state == state
	[row] = [x for x in pull_rows(store, "Warning") if x.erp_name == PAY_FULL]
	assert f"QuickBooks payment {qbo_id} of Payment Entry {PAY_FULL} was {state}" in row.message
	assert engine.pull(company=COMPANY).applied == 0  # flagged once
	store.update_doc(PE, PAY_FULL, docstatus=2)  # the accountant cancels it after all: nothing to void
	cancel = engine.cancel(PE, PAY_FULL)
	assert cancel.status == "Skipped" and state in cancel.message


def test_our_own_payment_void_is_not_flagged(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	engine.pull(company=COMPANY)
	store.update_doc(PE, PAY_FULL, docstatus=2)
	assert engine.cancel(PE, PAY_FULL).status == "Success"
	result = engine.pull(company=COMPANY)
	assert result.failed == 0 and "qbo_state" not in store.get_doc(PE, PAY_FULL)


def test_our_void_racing_its_link_update_is_not_flagged(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	"""The QBO webhook for our own void can arrive before the cancelling worker has marked the link."""
	assert engine.push(PE, PAY_FULL).status == "Success"
	qbo_id = store.get_link(emu.realm_id, PE, PAY_FULL).qbo_id
	store.update_doc(PE, PAY_FULL, docstatus=2)
	emu.void_payment(qbo_id)  # what the cancel job sent; its link still says "synced"
	result = engine.handle_webhook([event(emu, "Payment", qbo_id, "Void", "2026-11-21T10:00:00-08:00")])
	assert result.failed == 0, result.message
	assert "qbo_state" not in store.get_doc(PE, PAY_FULL)
	assert store.get_link(emu.realm_id, PE, PAY_FULL).state == "voided"


# -- failures name the ERPNext record -----------------------------------------------------------------------


def test_a_failed_read_names_the_linked_erpnext_record(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, names: dict[str, str]
) -> None:
	emu.add_fault(kind="status", status=503, method="GET", path=f"/customer/{names['customer']}", count=50)
	update = event(emu, "Customer", names["customer"], "Update", "2026-11-21T11:00:00-08:00")
	assert engine.handle_webhook([update]).failed == 1
	[failed] = pull_rows(store, "Failed")
	assert failed.message.startswith(
		f"QuickBooks Customer {names['customer']} (ERPNext Customer Seasonal Traders Ltd): "
	)
	assert failed.retryable and (failed.doctype, failed.name) == ("Customer", names["customer"])


def test_a_failed_payment_entry_names_the_invoices_it_pays(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
	assert engine.push(SI, BASIC).ok
	engine.pull(company=COMPANY)
	payment = emu.record_payment(store.get_link(emu.realm_id, SI, BASIC).qbo_id, 50)

	def broken(*args: object, **kwargs: object) -> str:
		raise RuntimeError("Closing Voucher exists for the period")

	monkeypatch.setattr(store, "create_payment_entry", broken)
	assert engine.pull(company=COMPANY).failed == 1
	[failed] = pull_rows(store, "Failed")
	assert failed.message.startswith(
		f"QuickBooks Payment {payment['Id']} (for ERPNext Sales Invoice {BASIC}): "
	)
	assert "Closing Voucher" in failed.message
