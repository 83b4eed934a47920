"""Quotation -> Estimate against the emulator: created once with ERPNext's total, rejected on cancel, found
again after a dropped answer, sent in batches, behind its switch; an invoice made from it (through its
Sales Order) is linked to the estimate, which QBO then closes."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

from sync_support import fixture

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

QTN, SI = "Quotation", "Sales Invoice"
QUOTATION = "SAL-QTN-2026-00001"
FROM_QUOTATION = "ACC-SINV-2026-00687"


def estimates(emu: EmulatorServer, number: str = QUOTATION) -> list[dict]:
	return [o for o in emu.objects("Estimate") if o.get("DocNumber") == number]


def only_estimate(emu: EmulatorServer, number: str = QUOTATION) -> dict:
	found = estimates(emu, number)
	assert len(found) == 1, f"{len(found)} estimates numbered {number}"
	return found[0]


def test_quotation_becomes_one_estimate_with_erpnexts_total(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(QTN, QUOTATION)
	assert result.status == "Success", result.message
	assert result.qbo_entity == "Estimate"
	estimate = only_estimate(emu)
	assert Decimal(str(estimate["TotalAmt"])) == Decimal("3177.32")
	assert estimate["TxnStatus"] == "Pending"
	assert estimate["ExpirationDate"] == fixture("qtn_basic")["valid_till"]
	assert emu.get("Customer", estimate["CustomerRef"]["value"])["DisplayName"] == "O'Brien & Søn Ltd"
	# the alternative item is neither on the estimate nor created in QBO
	assert "LP-4200" not in {item["Name"] for item in emu.objects("Item")}
	assert "alternative items left off" in result.message
	link = store.get_link(emu.realm_id, QTN, QUOTATION)
	assert link.state == "synced" and link.qbo_entity == "Estimate" and link.qbo_id == estimate["Id"]

	again = engine.push(QTN, QUOTATION)
	assert again.status == "Skipped" and again.action == "unchanged"
	assert len(estimates(emu)) == 1


def test_cancel_rejects_the_estimate_and_it_is_never_sent_again(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(QTN, QUOTATION).status == "Success"
	store.update_doc(QTN, QUOTATION, docstatus=2)
	result = engine.cancel(QTN, QUOTATION)
	assert result.status == "Success", result.message
	assert result.action == "closed"
	estimate = only_estimate(emu)
	assert estimate["TxnStatus"] == "Rejected"
	assert "Rejected Estimate" in result.message and "TxnStatus Rejected" in result.message
	assert store.get_link(emu.realm_id, QTN, QUOTATION).state == "closed"
	assert engine.cancel(QTN, QUOTATION).status == "Skipped"  # already closed
	store.update_doc(QTN, QUOTATION, docstatus=1)
	pushed = engine.push(QTN, QUOTATION)
	assert pushed.status == "Skipped" and "closed in QuickBooks" in pushed.message
	assert len(estimates(emu)) == 1


def test_cancel_deletes_where_qbo_refuses_the_rejection(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(QTN, QUOTATION).status == "Success"
	store.update_doc(QTN, QUOTATION, docstatus=2)
	emu.add_fault(kind="status", status=400, method="POST", path="/estimate")  # QBO refuses the update
	result = engine.cancel(QTN, QUOTATION)
	assert result.status == "Success", result.message
	assert result.action == "deleted"
	assert estimates(emu) == []


def test_amended_quotation_is_a_new_estimate(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(QTN, QUOTATION).ok
	store.update_doc(QTN, QUOTATION, docstatus=2)
	assert engine.cancel(QTN, QUOTATION).ok
	amended = copy.deepcopy(fixture("qtn_basic"))
	amended.update(name=f"{QUOTATION}-1", amended_from=QUOTATION)
	store.add_doc(amended)
	result = engine.push(QTN, amended["name"])
	assert result.status == "Success", result.message
	new = only_estimate(emu, f"{QUOTATION}-1")
	assert new["TxnStatus"] == "Pending" and f"amends {QUOTATION}" in new["PrivateNote"]
	assert only_estimate(emu)["TxnStatus"] == "Rejected"


def test_dropped_answer_after_commit_leaves_one_estimate(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/estimate", count=50)
	failed = engine.push(QTN, QUOTATION)
	assert failed.status == "Failed" and failed.retryable
	assert len(estimates(emu)) == 1  # QBO committed it
	emu.state.faults.clear()
	recovered = engine.retry(failed.log_id)
	assert recovered.status == "Success" and recovered.action == "adopted", recovered.message
	assert len(estimates(emu)) == 1
	assert store.get_link(emu.realm_id, QTN, QUOTATION).qbo_id == only_estimate(emu)["Id"]


def test_cancel_of_a_create_whose_answer_was_lost_finds_it_first(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/estimate", count=50)
	assert engine.push(QTN, QUOTATION).status == "Failed"
	emu.state.faults.clear()
	store.update_doc(QTN, QUOTATION, docstatus=2)
	result = engine.cancel(QTN, QUOTATION)
	assert result.status == "Success", result.message
	assert only_estimate(emu)["TxnStatus"] == "Rejected"


def test_bulk_push_sends_quotations_in_a_batch(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	names = []
	for n in range(1, 4):
		doc = copy.deepcopy(fixture("qtn_basic"))
		doc["name"] = f"SAL-QTN-2027-{n:05d}"
		store.add_doc(doc)
		names.append(doc["name"])
	summary = engine.push_many(QTN, names)
	assert summary.created == 3 and summary.failed == 0, summary.as_dict()
	assert all(len(estimates(emu, name)) == 1 for name in names)
	again = engine.push_many(QTN, names)
	assert again.unchanged == 3 and again.created == 0


def test_switch_off_sends_no_quotation(
	engine: SyncEngine, store: MemoryStore, config: ConnectionConfig, emu: EmulatorServer
) -> None:
	config.push_quotations = False
	store.add_config(config)
	result = engine.push(QTN, QUOTATION)
	assert result.status == "Skipped" and "quotations to QuickBooks is switched off" in result.message
	assert emu.objects("Estimate") == []


def test_auto_push_takes_quotations_when_switched_on(
	engine: SyncEngine, store: MemoryStore, config: ConnectionConfig, emu: EmulatorServer, clock
) -> None:
	clock.now = clock.now.replace(year=2027, month=1, day=1)
	summary = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	assert QUOTATION in {r.name for r in summary.results}
	assert len(estimates(emu)) == 1

	config.push_quotations = False
	store.add_config(config)
	other = copy.deepcopy(fixture("qtn_basic"))
	other["name"] = "SAL-QTN-2026-00099"
	store.add_doc(other)
	summary = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	assert "SAL-QTN-2026-00099" not in {r.name for r in summary.results}


def test_quotation_to_a_lead_is_not_sent(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> None:
	lead = dict(copy.deepcopy(fixture("qtn_basic")), name="SAL-QTN-2026-00050", quotation_to="Lead")
	store.add_doc(lead)
	result = engine.push(QTN, lead["name"])
	assert result.status == "Skipped" and "quotation to a customer" in result.message
	assert emu.objects("Estimate") == []


def test_invoice_made_from_the_quotation_is_linked_to_its_estimate(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(QTN, QUOTATION).status == "Success"
	estimate_id = only_estimate(emu)["Id"]
	result = engine.push(SI, FROM_QUOTATION)
	assert result.status == "Success", result.message
	invoice = emu.get("Invoice", result.qbo_id)
	assert {"TxnId": estimate_id, "TxnType": "Estimate"} in invoice["LinkedTxn"]
	assert f"Linked to QuickBooks Estimate {estimate_id} (Quotation {QUOTATION})" in result.message
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("3177.32")
	estimate = emu.get("Estimate", estimate_id)
	assert estimate["TxnStatus"] == "Closed"
	assert {"TxnId": invoice["Id"], "TxnType": "Invoice"} in estimate["LinkedTxn"]


def test_invoice_from_a_quotation_not_in_qbo_is_sent_without_a_link(
	engine: SyncEngine, emu: EmulatorServer
) -> None:
	result = engine.push(SI, FROM_QUOTATION)
	assert result.status == "Success", result.message
	assert not [
		t for t in emu.get("Invoice", result.qbo_id).get("LinkedTxn") or [] if t["TxnType"] == "Estimate"
	]
	assert emu.objects("Estimate") == []  # the quotation is not pushed for it
