"""Every kind, from its real fixture, through the same paths: create once, a dropped answer after QBO
committed (still one QBO object), the bulk path, an amendment (a new QBO object), and cancel."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from sync_support import fixture, make_client

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine, kinds

# (fixture, entity, QBO path of its create, cancel action)
CASES = [
	("si_basic", "Invoice", "/invoice", "voided"),
	("si_return", "CreditMemo", "/creditmemo", "voided"),
	("pe_full", "Payment", "/payment", "voided"),
	("qtn_basic", "Estimate", "/estimate", "closed"),
	("po_basic", "PurchaseOrder", "/purchaseorder", "closed"),
	("pinv_basic", "Bill", "/bill", "deleted"),
	("pinv_return", "VendorCredit", "/vendorcredit", "deleted"),
	("pe_pay_multi", "BillPayment", "/billpayment", "voided"),
	("ts_basic", "TimeActivity", "/timeactivity", "deleted"),
]
IDS = [case[0] for case in CASES]


@pytest.fixture
def every_kind(store: MemoryStore, config: ConnectionConfig, emu: EmulatorServer) -> Callable[[], None]:
	"""Timesheets on, and Dana mapped to a QBO employee (the Employee map)."""
	config.push_timesheets = True
	store.add_config(config)

	def map_employee() -> None:
		from qbo_connector.sync import Link

		employee = make_client(emu).create("Employee", {"DisplayName": "Dana Whitfield"})
		store.save_link(
			Link(emu.realm_id, "Employee", "HR-EMP-00001", "Employee", qbo_id=employee["Id"], state="synced")
		)

	map_employee()
	return map_employee


def ours(emu: EmulatorServer, entity: str, name: str) -> list[dict]:
	"""QBO objects of an entity made from one ERPNext document (its name is in their memo or description)."""
	return [
		o
		for o in emu.objects(entity)
		if name in str(o.get("PrivateNote") or "") + str(o.get("Description") or "")
		and o.get("status") != "Deleted"
	]


def fresh(name: str, suffix: str, share: int = 1) -> dict:
	"""The fixture under a new name (its rows renamed too, so they are rows of their own, and a supplier's
	invoice number of its own); a payment pays 1/share of what it paid, so several copies fit the invoices."""
	doc = copy.deepcopy(fixture(name))
	doc["name"] = f"{doc['name']}{suffix}"
	if doc.get("bill_no"):
		doc["bill_no"] = f"{doc['bill_no']}{suffix}"
	for value in doc.values():
		if isinstance(value, list):
			for row in value:
				if isinstance(row, dict) and "parent" in row:
					row["parent"] = doc["name"]
					row["name"] = f"{row.get('name')}{suffix}"
	if doc["doctype"] == "Payment Entry" and share > 1:
		for row in doc["references"]:
			row["allocated_amount"] = round(row["allocated_amount"] / share, 2)
		paid = round(sum(row["allocated_amount"] for row in doc["references"]) + doc["unallocated_amount"], 2)
		doc.update(paid_amount=paid, received_amount=paid, base_paid_amount=paid, base_received_amount=paid)
	return doc


@pytest.mark.parametrize(("name", "entity", "path", "cancelled"), CASES, ids=IDS)
def test_create_once_survive_a_dropped_answer_amend_and_cancel(
	engine: SyncEngine,
	store: MemoryStore,
	emu: EmulatorServer,
	every_kind: Callable[[], None],
	name: str,
	entity: str,
	path: str,
	cancelled: str,
) -> None:
	doc = fixture(name)
	doctype = doc["doctype"]
	kind = kinds.of(doctype, doc)
	assert kind is not None and entity in kind.entities

	emu.add_fault(kind="drop", method="POST", path=path, count=50)  # QBO commits, every answer is lost
	failed = engine.push(doctype, doc["name"])
	assert failed.status == "Failed" and failed.retryable, failed.message
	committed = len(ours(emu, entity, doc["name"]))
	assert committed == 1  # the first create landed; nothing more was sent after it
	emu.state.faults.clear()
	recovered = engine.retry(failed.log_id)
	assert recovered.status in ("Success", "Warning"), recovered.message
	found = ours(emu, entity, doc["name"])
	assert len(found) == (2 if kind.rows else 1), [o["Id"] for o in found]
	again = engine.push(doctype, doc["name"])
	assert again.status == "Skipped" and again.action == "unchanged", again.message
	assert len(ours(emu, entity, doc["name"])) == len(found)

	store.update_doc(doctype, doc["name"], docstatus=2)
	result = engine.cancel(doctype, doc["name"])
	assert result.status == "Success" and result.action == cancelled, result.message
	assert store.get_link(emu.realm_id, doctype, doc["name"]).state == cancelled

	# the amendment (same supplier number, same figures) is a QBO document of its own
	amended = fresh(name, "-1")  # ERPNext gives an amendment new rows, under a new name
	amended.update(amended_from=doc["name"], bill_no=doc.get("bill_no"))
	store.add_doc(amended)
	made = engine.push(doctype, amended["name"])
	assert made.status in ("Success", "Warning") and made.action == "created", made.message
	assert len(ours(emu, entity, amended["name"])) == (2 if kind.rows else 1)


@pytest.mark.parametrize(("name", "entity", "path", "cancelled"), CASES, ids=IDS)
def test_bulk_path_sends_each_kind_once(
	engine: SyncEngine,
	store: MemoryStore,
	emu: EmulatorServer,
	every_kind: Callable[[], None],
	name: str,
	entity: str,
	path: str,
	cancelled: str,
) -> None:
	docs = [fresh(name, f"-B{n}", share=4) for n in range(1, 4)]
	for doc in docs:
		store.add_doc(doc)
	doctype = docs[0]["doctype"]
	summary = engine.push_many(doctype, [doc["name"] for doc in docs])
	assert summary.failed == 0 and summary.created == 3, summary.as_dict()
	for doc in docs:
		assert ours(emu, entity, doc["name"]), doc["name"]
	again = engine.push_many(doctype, [doc["name"] for doc in docs])
	assert again.created == 0 and again.failed == 0, again.as_dict()
