"""QBO -> ERPNext: CDC pull, watermarks, QBO payments as Payment Entries, voids flagged, webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sync_support import Clock

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.webhooks import WebhookEvent
from qbo_connector.sync import MemoryStore, SyncEngine
from qbo_connector.sync.base import parse_time, updated_at

SI, PE = "Sales Invoice", "Payment Entry"
BASIC, US_TAX = "ACC-SINV-2026-00002", "ACC-SINV-2026-00003"
PAY_FULL = "ACC-PAY-2026-00002"


def pulled_payments(store: MemoryStore) -> list[dict]:
	return [d for d in store.docs(PE) if d["name"].startswith("QBO-PAY-")]


def invoice_id(store: MemoryStore, emu: EmulatorServer, name: str) -> str:
	return store.get_link(emu.realm_id, SI, name).qbo_id


def test_first_pull_brings_customers_and_service_items(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	emu.add_customer("Harbour Lights Ltd")
	emu.add_item("Site Survey", type="Service", unit_price=450)
	emu.add_item("Cable Kit", type="NonInventory", unit_price=12.5)
	result = engine.pull(company="QBO Test Co")
	assert result.status == "Success" and result.full, result.message
	customers = {d["name"]: d for d in store.docs("Customer")}
	assert customers["Harbour Lights Ltd"]["disabled"] == 0
	assert "Amy's Bird Sanctuary" in customers  # seeded QBO customers come too
	items = {d["name"]: d for d in store.docs("Item")}
	assert items["Site Survey"]["standard_rate"] == 450.0 and items["Cable Kit"]["is_stock_item"] == 0
	assert store.get_watermark(emu.realm_id) is not None
	link = store.find_link(emu.realm_id, "Customer", by_display(emu, "Harbour Lights Ltd"))
	assert link.name == "Harbour Lights Ltd" and link.origin == "pull"

	again = engine.pull(company="QBO Test Co")  # CDC now; everything already applied
	assert not again.full and again.applied == 0 and again.failed == 0


def by_display(emu: EmulatorServer, name: str) -> str:
	return next(c["Id"] for c in emu.objects("Customer") if c["DisplayName"] == name)


def test_inactive_customer_in_qbo_is_disabled(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	customer = emu.add_customer("Short Lived LLC")
	engine.pull(company="QBO Test Co")
	emu.deactivate_customer(customer["Id"])
	result = engine.pull(company="QBO Test Co")
	assert result.applied >= 1, result.message
	assert store.get_doc("Customer", "Short Lived LLC")["disabled"] == 1


def test_customers_we_pushed_do_not_echo(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> None:
	assert engine.push(SI, BASIC).ok
	before = store.get_doc("Customer", "O'Brien & Søn Ltd")
	engine.pull(company="QBO Test Co")
	assert store.get_doc("Customer", "O'Brien & Søn Ltd") == before
	ours = by_display(emu, "O'Brien & Søn Ltd")
	assert not [log for log in store.logs() if log.doctype == "Customer" and log.name == ours]


def test_qbo_payment_becomes_one_partial_payment_entry(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	engine.pull(company="QBO Test Co")
	payment = emu.record_payment(invoice_id(store, emu, BASIC), 500, PaymentRefNum="CHK-881")
	result = engine.pull(company="QBO Test Co")
	assert result.applied == 1, result.message
	[entry] = pulled_payments(store)
	assert entry["party"] == "O'Brien & Søn Ltd" and entry["paid_amount"] == 500.0
	assert entry["references"] == [
		{"reference_doctype": SI, "reference_name": BASIC, "allocated_amount": 500.0}
	]
	assert entry["reference_no"] == "CHK-881" and entry["qbo_payment_id"] == payment["Id"]
	assert store.get_doc(SI, BASIC)["outstanding_amount"] == 1344.0
	assert store.find_link(emu.realm_id, "Payment", payment["Id"]).origin == "pull"

	engine.pull(company="QBO Test Co")
	engine.store.set_watermark(emu.realm_id, engine.clock() - timedelta(days=2))
	engine.pull(company="QBO Test Co")  # re-reading the same payment never makes a second entry
	assert len(pulled_payments(store)) == 1


def test_qbo_payment_over_several_invoices_with_unapplied(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok and engine.push(SI, US_TAX).ok
	emu.record_payment(
		invoices=[
			{"id": invoice_id(store, emu, BASIC), "amount": 1844},
			{"id": invoice_id(store, emu, US_TAX), "amount": 181.65},
		],
		total=2100,
	)
	engine.pull(company="QBO Test Co")
	[entry] = pulled_payments(store)
	assert entry["paid_amount"] == 2100.0 and entry["unallocated_amount"] == 74.35
	assert {r["reference_name"]: r["allocated_amount"] for r in entry["references"]} == {
		BASIC: 1844.0,
		US_TAX: 181.65,
	}


def test_payment_pushed_from_erpnext_is_not_pulled_back(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	result = engine.pull(company="QBO Test Co")
	assert pulled_payments(store) == [] and result.failed == 0


def test_payment_in_qbo_against_foreign_invoice_is_ignored(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	client_invoice = {
		"CustomerRef": {"value": by_display(emu, "Amy's Bird Sanctuary")},
		"Line": [
			{
				"Amount": 100,
				"DetailType": "SalesItemLineDetail",
				"SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 100},
			}
		],
	}
	from sync_support import make_client

	foreign = make_client(emu).create("Invoice", client_invoice)
	emu.record_payment(foreign["Id"], 100)
	engine.pull(company="QBO Test Co")
	assert pulled_payments(store) == []


@pytest.mark.parametrize("action", ["void", "delete"])
def test_invoice_voided_or_deleted_in_qbo_is_flagged_not_cancelled(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, action: str
) -> None:
	assert engine.push(SI, BASIC).ok
	engine.pull(company="QBO Test Co")
	qbo_id = invoice_id(store, emu, BASIC)
	(emu.void_invoice if action == "void" else emu.delete_invoice)(qbo_id)
	result = engine.pull(company="QBO Test Co")
	assert result.applied == 1, result.message
	doc = store.get_doc(SI, BASIC)
	state = "voided" if action == "void" else "deleted"
	assert doc["docstatus"] == 1 and doc["qbo_state"] == state and "not cancelled" in doc["qbo_message"]
	assert store.get_link(emu.realm_id, SI, BASIC).state == state
	warning = [log for log in store.logs() if log.operation == "pull_entity" and log.status == "Warning"]
	assert len(warning) == 1 and BASIC in warning[0].message
	assert engine.pull(company="QBO Test Co").applied == 0  # flagged once


def test_our_own_void_does_not_come_back_as_a_flag(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	engine.pull(company="QBO Test Co")
	store.update_doc(SI, BASIC, docstatus=2)
	assert engine.cancel(SI, BASIC).status == "Success"
	engine.pull(company="QBO Test Co")
	assert "qbo_state" not in store.get_doc(SI, BASIC)


def test_failed_row_holds_the_watermark_back(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
	assert engine.push(SI, BASIC).ok
	engine.pull(company="QBO Test Co")
	emu.advance(5)
	payment = emu.record_payment(invoice_id(store, emu, BASIC), 100)
	paid_at = parse_time(updated_at(emu.get("Payment", payment["Id"])))
	emu.advance(5)
	emu.add_customer("Later Customer Inc")

	real = store.create_payment_entry

	def broken(*args: object, **kwargs: object) -> str:
		raise RuntimeError("database is locked")

	monkeypatch.setattr(store, "create_payment_entry", broken)
	result = engine.pull(company="QBO Test Co")
	assert result.failed == 1 and result.status == "Warning"
	assert store.get_doc("Customer", "Later Customer Inc") is not None  # later rows still applied
	assert store.get_watermark(emu.realm_id) < paid_at  # ...but the watermark waits for the failed one
	failed = [log for log in store.logs() if log.status == "Failed"]
	assert len(failed) == 1 and failed[0].operation == "pull_entity" and failed[0].retryable

	monkeypatch.setattr(store, "create_payment_entry", real)
	again = engine.pull(company="QBO Test Co")
	assert again.failed == 0 and len(pulled_payments(store)) == 1
	assert store.get_watermark(emu.realm_id) >= paid_at


def test_pull_during_an_outage_is_failed_and_retryable(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	engine.pull(company="QBO Test Co")
	mark = store.get_watermark(emu.realm_id)
	emu.add_customer("Arrived During Outage")
	emu.add_fault(kind="status", status=503, method="GET", path="/cdc", count=50)
	down = engine.pull(company="QBO Test Co")
	assert down.status == "Failed" and store.get_log(down.log_id).retryable
	assert store.get_watermark(emu.realm_id) == mark
	emu.state.faults.clear()
	clock.advance(minutes=5)
	[again] = engine.retry_due()
	assert again.status == "Success" and store.get_doc("Customer", "Arrived During Outage") is not None


def test_watermark_older_than_30_days_falls_back_to_a_full_query(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	emu.add_customer("Dormant Traders")
	store.set_watermark(emu.realm_id, clock() - timedelta(days=40))  # CDC would refuse this
	result = engine.pull(company="QBO Test Co")
	assert result.status == "Success" and result.full, result.message
	assert store.get_doc("Customer", "Dormant Traders") is not None
	log = store.get_log(result.log_id)
	assert "LastUpdatedTime" in log.request_json and "/cdc?" not in log.request_json
	assert engine.pull(company="QBO Test Co").full is False


def event(emu: EmulatorServer, entity: str, entity_id: str, operation: str, at: str) -> WebhookEvent:
	return WebhookEvent(
		realm_id=emu.realm_id, entity=entity, entity_id=entity_id, operation=operation, occurred_at=at
	)


def test_webhook_duplicates_and_out_of_order_events_are_harmless(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	payment = emu.record_payment(invoice_id(store, emu, BASIC), 1844)
	create = event(emu, "Payment", payment["Id"], "Create", "2026-11-21T10:00:00-08:00")
	first = engine.handle_webhook([create, create])
	assert first.applied == 1 and first.duplicates == 1, first.message
	assert engine.handle_webhook([create]).duplicates == 1  # Intuit redelivers
	assert len(pulled_payments(store)) == 1

	emu.void_payment(payment["Id"])
	void = event(emu, "Payment", payment["Id"], "Update", "2026-11-21T10:05:00-08:00")
	late = event(emu, "Payment", payment["Id"], "Update", "2026-11-21T10:01:00-08:00")
	result = engine.handle_webhook([void, late])  # the older event arrives last
	assert result.applied == 1 and result.skipped == 1, result.message
	[entry] = pulled_payments(store)
	assert store.get_doc(PE, entry["name"])["qbo_state"] == "voided"
	backstop = engine.pull(company="QBO Test Co")  # CDC/query backstop re-reads the same objects
	assert backstop.failed == 0 and len(pulled_payments(store)) == 1
	assert store.get_link(emu.realm_id, PE, entry["name"]).state == "voided"


def test_webhook_for_deleted_invoice_and_renamed_customer(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	customer = emu.add_customer("Old Name Co")
	engine.handle_webhook([event(emu, "Customer", customer["Id"], "Create", "2026-11-21T09:00:00-08:00")])
	emu.rename_customer(customer["Id"], "New Name Co")
	qbo_id = invoice_id(store, emu, BASIC)
	emu.delete_invoice(qbo_id)
	result = engine.handle_webhook(
		[
			event(emu, "Invoice", qbo_id, "Delete", "2026-11-21T09:02:00-08:00"),
			event(emu, "Customer", customer["Id"], "Update", "2026-11-21T09:01:00-08:00"),
			event(emu, "Invoice", qbo_id, "Update", "2026-11-21T09:00:30-08:00"),  # stale, after the delete
		]
	)
	assert result.applied == 2 and result.skipped == 1, result.message
	assert store.get_doc(SI, BASIC)["qbo_state"] == "deleted"
	assert store.get_doc("Customer", "Old Name Co")["customer_name"] == "New Name Co"


def test_webhook_read_failure_is_logged_and_released_for_redelivery(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	customer = emu.add_customer("Flaky Read Ltd")
	emu.add_fault(kind="status", status=503, method="GET", path=f"/customer/{customer['Id']}", count=50)
	create = event(emu, "Customer", customer["Id"], "Create", "2026-11-21T11:00:00-08:00")
	assert engine.handle_webhook([create]).failed == 1
	[failed] = [log for log in store.logs() if log.status == "Failed"]
	assert failed.retryable and failed.operation == "pull_entity"
	emu.state.faults.clear()
	assert engine.handle_webhook([create]).applied == 1  # the claim was released
	assert store.get_doc("Customer", "Flaky Read Ltd") is not None


def test_cdc_refused_for_look_back_falls_back_to_query(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	"""Our clock and QBO's may disagree about "30 days ago": QBO's refusal is answered with a query."""
	engine.cdc_max_age = timedelta(days=60)
	emu.add_customer("Clock Skew Corp")
	store.set_watermark(emu.realm_id, clock() - timedelta(days=31))
	result = engine.pull(company="QBO Test Co")
	assert result.status == "Success" and not result.full, result.message
	assert store.get_doc("Customer", "Clock Skew Corp") is not None


def test_pull_rows_name_the_erpnext_document_they_made_and_still_retry(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	engine.pull(company="QBO Test Co")
	payment = emu.record_payment(invoice_id(store, emu, BASIC), 500)
	engine.pull(company="QBO Test Co")
	[entry] = pulled_payments(store)
	[row] = [log for log in store.logs() if log.erp_doctype == PE]
	assert (row.erp_doctype, row.erp_name) == (PE, entry["name"])
	assert (row.doctype, row.name) == ("Payment", payment["Id"])  # what a retry re-reads
	customer_rows = [
		log for log in store.logs() if log.operation == "pull_entity" and log.doctype == "Customer"
	]
	assert customer_rows and all(log.erp_doctype == "Customer" and log.erp_name for log in customer_rows)

	customer = emu.add_customer("Retry Me Ltd")
	emu.add_fault(kind="status", status=503, method="GET", path=f"/customer/{customer['Id']}", count=50)
	create = event(emu, "Customer", customer["Id"], "Create", "2026-11-21T12:00:00-08:00")
	engine.handle_webhook([create])
	[failed] = [log for log in store.logs() if log.status == "Failed"]
	assert failed.erp_doctype is None and failed.erp_name is None
	emu.state.faults.clear()
	retried = engine.retry(failed.id)
	assert retried.status == "Success", retried.message
	[again] = [log for log in store.logs() if log.retry_of == failed.id]
	assert (again.doctype, again.name) == ("Customer", customer["Id"])
	assert (again.erp_doctype, again.erp_name) == ("Customer", "Retry Me Ltd")
