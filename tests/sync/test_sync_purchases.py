"""Suppliers, purchase orders, bills, vendor credits and bill payments against the emulator, from the real
fixtures: each once in QBO with ERPNext's total, cancel as the kind says (close, delete, void), a dropped
answer after QBO committed still one document, batches, switches, and the vendor pulled back."""

from __future__ import annotations

import copy
from decimal import Decimal

from sync_support import by_name, fixture, make_client

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

PO, PI, PE = "Purchase Order", "Purchase Invoice", "Payment Entry"
ORDER, BILL, SERVICE_BILL, DEBIT_NOTE = (
	"PUR-ORD-2026-00001",
	"ACC-PINV-2026-00001",
	"ACC-PINV-2026-00002",
	"ACC-PINV-2026-00003",
)
PAY = "ACC-PAY-2026-00092"
SUPPLIER = "Acme Office Supplies & Co."


def only(emu: EmulatorServer, entity: str, **match: str) -> dict:
	found = [o for o in emu.objects(entity) if all(o.get(k) == v for k, v in match.items())]
	assert len(found) == 1, f"{len(found)} {entity} matching {match}"
	return found[0]


def vendors(emu: EmulatorServer) -> list[dict]:
	return [v for v in emu.objects("Vendor") if v["DisplayName"].startswith("Acme")]


def money(value: object) -> Decimal:
	return Decimal(str(value))


def test_purchase_order_once_with_its_vendor_and_closed_on_cancel(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(PO, ORDER)
	assert result.status == "Success", result.message
	order = only(emu, "PurchaseOrder", DocNumber=ORDER)
	assert money(order["TotalAmt"]) == Decimal("3874.30")
	assert order["POStatus"] == "Open" and order["Memo"].startswith("Deliver to the loading dock")
	assert order["ShipAddr"]["Line1"] == "350 Fifth Avenue" and order["ShipAddr"]["City"] == "New York"
	[vendor] = vendors(emu)
	assert vendor["DisplayName"] == SUPPLIER and vendor["BillAddr"]["City"] == "Newark"
	assert store.get_link(emu.realm_id, "Supplier", SUPPLIER).qbo_id == vendor["Id"]
	assert engine.push(PO, ORDER).action == "unchanged"

	store.update_doc(PO, ORDER, docstatus=2)
	cancelled = engine.cancel(PO, ORDER)
	assert cancelled.status == "Success" and cancelled.action == "closed", cancelled.message
	assert "Closed PurchaseOrder" in cancelled.message and "POStatus Closed" in cancelled.message
	assert only(emu, "PurchaseOrder", DocNumber=ORDER)["POStatus"] == "Closed"
	assert store.get_link(emu.realm_id, PO, ORDER).state == "closed"


def test_bill_numbered_by_the_supplier_then_deleted_on_cancel(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(PI, BILL)
	assert result.status == "Success", result.message
	bill = only(emu, "Bill", DocNumber="AOS-88731")
	assert (
		money(bill["TotalAmt"]) == Decimal("3874.30") and bill["DueDate"] == fixture("pinv_basic")["due_date"]
	)
	accounts = [line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for line in bill["Line"]]
	assert accounts == [
		by_name(emu, "Account", "Cost of Goods Sold"),
		by_name(emu, "Account", "Uncategorized Expense"),  # Stock Received But Not Billed is not mapped
		by_name(emu, "Account", "Office Expenses"),
		by_name(emu, "Account", "Uncategorized Expense"),  # the purchase tax
	]
	store.update_doc(PI, BILL, docstatus=2)
	cancelled = engine.cancel(PI, BILL)
	assert cancelled.status == "Success" and cancelled.action == "deleted", cancelled.message
	assert "cannot void a bill" in cancelled.message
	assert emu.objects("Bill") == []
	assert store.get_link(emu.realm_id, PI, BILL).state == "deleted"


def test_due_date_changed_after_submit_updates_the_bill(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PI, BILL).ok
	store.update_doc(PI, BILL, due_date="2027-02-15")
	result = engine.push(PI, BILL)
	assert result.action == "updated", result.message
	assert only(emu, "Bill", DocNumber="AOS-88731")["DueDate"] == "2027-02-15"


def test_debit_note_becomes_a_vendor_credit_deleted_on_cancel(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(PI, DEBIT_NOTE)
	assert result.status == "Success", result.message
	credit = only(emu, "VendorCredit", DocNumber="AOS-CN-1207")
	assert money(credit["TotalAmt"]) == Decimal("262.88")
	store.update_doc(PI, DEBIT_NOTE, docstatus=2)
	assert engine.cancel(PI, DEBIT_NOTE).action == "deleted"
	assert emu.objects("VendorCredit") == []


def test_supplier_payment_sends_its_bills_first_and_pays_them_by_check(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(PE, PAY)
	assert result.status == "Success", result.message
	payment = emu.get("BillPayment", result.qbo_id)
	assert payment["PayType"] == "Check" and money(payment["TotalAmt"]) == Decimal("1640.00")
	assert payment["CheckPayment"]["BankAccountRef"]["value"] == by_name(emu, "Account", "Checking")
	bill = only(emu, "Bill", DocNumber="AOS-88731")
	service = emu.get("Bill", store.get_link(emu.realm_id, PI, SERVICE_BILL).qbo_id)
	assert money(bill["Balance"]) == Decimal("2874.30") and money(service["Balance"]) == 0
	# the bills went first, each on its own log row
	pushed = [e.name for e in store.logs() if e.operation == "push" and e.doctype == PI]
	assert set(pushed) == {BILL, SERVICE_BILL}
	assert len(vendors(emu)) == 1

	# a bill a payment is applied to is not deleted; QBO's refusal says what to do
	store.update_doc(PI, BILL, docstatus=2)
	refused = engine.cancel(PI, BILL)
	assert refused.status == "Failed" and "payment is applied" in refused.message

	store.update_doc(PE, PAY, docstatus=2)
	voided = engine.cancel(PE, PAY)
	assert voided.status == "Success" and voided.action == "voided", voided.message
	assert money(emu.get("BillPayment", result.qbo_id)["TotalAmt"]) == 0
	assert money(only(emu, "Bill", DocNumber="AOS-88731")["Balance"]) == Decimal("3874.30")
	again = engine.retry(refused.log_id)
	assert again.status == "Success" and again.action == "deleted", again.message


def test_supplier_payment_from_a_credit_card_account(
	engine: SyncEngine, store: MemoryStore, config: ConnectionConfig, emu: EmulatorServer
) -> None:
	config.account_map["Bank Account - QTC"] = by_name(emu, "Account", "Visa Business")
	store.add_config(config)
	result = engine.push(PE, PAY)
	assert result.status == "Success", result.message
	payment = emu.get("BillPayment", result.qbo_id)
	assert payment["PayType"] == "CreditCard"
	assert payment["CreditCardPayment"]["CCAccountRef"]["value"] == by_name(emu, "Account", "Visa Business")


def test_a_payment_from_an_income_account_is_refused_before_anything_is_written(
	engine: SyncEngine, store: MemoryStore, config: ConnectionConfig, emu: EmulatorServer
) -> None:
	config.account_map["Bank Account - QTC"] = by_name(emu, "Account", "Services")
	store.add_config(config)
	result = engine.push(PE, PAY)
	assert result.status == "Failed" and not result.retryable
	assert "field 'paid_from'" in result.message and "Bank account" in result.message
	assert emu.objects("Bill") == [] and emu.objects("BillPayment") == [] and vendors(emu) == []


def test_dropped_answer_after_the_bill_was_committed_leaves_one_bill(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/bill", count=50)
	failed = engine.push(PI, BILL)
	assert failed.status == "Failed" and failed.retryable
	assert len(emu.objects("Bill")) == 1
	emu.state.faults.clear()
	recovered = engine.retry(failed.log_id)
	assert recovered.status == "Success" and recovered.action == "adopted", recovered.message
	assert len(emu.objects("Bill")) == 1


def test_a_bill_typed_into_qbo_with_the_same_number_is_never_adopted(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	vendor = make_client(emu).create("Vendor", {"DisplayName": SUPPLIER})
	expense = by_name(emu, "Account", "Office Expenses")
	make_client(emu).create(
		"Bill",
		{
			"VendorRef": {"value": vendor["Id"]},
			"DocNumber": "AOS-88731",
			"Line": [
				{
					"Amount": 5,
					"DetailType": "AccountBasedExpenseLineDetail",
					"AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense}},
				}
			],
		},
	)
	result = engine.push(PI, BILL)
	assert result.status == "Failed" and not result.retryable
	assert "bill_no" in result.message and "AOS-88731" in result.message
	assert len(emu.objects("Bill")) == 1  # only the one typed into QBO
	assert store.get_link(emu.realm_id, PI, BILL).qbo_id is None


def test_supplier_name_held_by_a_customer_gets_a_name_of_its_own(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	emu.add_customer(SUPPLIER)
	result = engine.push(PO, ORDER)
	assert result.status == "Success", result.message
	[vendor] = vendors(emu)
	assert vendor["DisplayName"] == f"{SUPPLIER} (Supplier)"
	assert "a name of its own" in result.message


def test_an_existing_unlinked_vendor_is_adopted_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	existing = make_client(emu).create("Vendor", {"DisplayName": SUPPLIER})
	result = engine.push(PO, ORDER)
	assert "Adopted existing QuickBooks Vendor" in result.message
	assert only(emu, "PurchaseOrder", DocNumber=ORDER)["VendorRef"]["value"] == existing["Id"]
	other = dict(copy.deepcopy(fixture("supplier_company")), name="SUP-0002", supplier_name=SUPPLIER)
	store.add_doc(other)
	order = dict(copy.deepcopy(fixture("po_basic")), name="PUR-ORD-2026-00002", supplier="SUP-0002")
	store.add_doc(order)
	second = engine.push(PO, order["name"])
	assert second.status == "Success", second.message
	names = sorted(v["DisplayName"] for v in vendors(emu))
	assert names == [SUPPLIER, f"{SUPPLIER} (SUP-0002)"]


def test_switches_stop_each_purchase_kind(
	engine: SyncEngine, store: MemoryStore, config: ConnectionConfig, emu: EmulatorServer
) -> None:
	config.push_purchase_orders = False
	config.push_purchase_invoices = False
	config.push_supplier_payments = False
	store.add_config(config)
	for doctype, name, words in (
		(PO, ORDER, "purchase orders"),
		(PI, BILL, "purchase invoices"),
		(PI, DEBIT_NOTE, "purchase invoices"),
		(PE, PAY, "supplier payments"),
	):
		result = engine.push(doctype, name)
		assert (
			result.status == "Skipped" and f"sending {words} to QuickBooks is switched off" in result.message
		)
	assert emu.objects("Bill") == [] and emu.objects("PurchaseOrder") == [] and vendors(emu) == []


def test_bulk_push_of_bills_in_a_batch(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> None:
	names = []
	for n in range(1, 5):
		doc = copy.deepcopy(fixture("pinv_service"))
		doc["name"] = f"ACC-PINV-2027-{n:05d}"
		store.add_doc(doc)
		names.append(doc["name"])
	summary = engine.push_many(PI, names)
	assert summary.created == 4 and summary.failed == 0, summary.as_dict()
	assert len(emu.objects("Bill")) == 4
	again = engine.push_many(PI, names)
	assert again.unchanged == 4 and len(emu.objects("Bill")) == 4


def test_vendors_made_in_qbo_are_pulled_as_suppliers(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.pull(company="QBO Test Co")
	assert result.status == "Success", result.message
	suppliers = {doc["supplier_name"]: doc for doc in store.docs("Supplier")}
	assert "Books by Bessie" in suppliers
	bessie = by_name(emu, "Vendor", "Books by Bessie")
	link = store.find_link(emu.realm_id, "Vendor", bessie)
	assert link is not None and link.doctype == "Supplier" and link.origin == "pull"


def test_an_amended_bill_waits_for_the_cancel_of_the_one_it_amends(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PI, BILL).ok
	amended = dict(copy.deepcopy(fixture("pinv_basic")), name=f"{BILL}-1", amended_from=BILL)
	for row in amended["items"]:
		row["name"] = f"{row['name']}-1"
	store.add_doc(amended)
	early = engine.push(PI, amended["name"])  # the cancel job of the original has not run yet
	assert early.status == "Failed" and early.retryable, early.message
	assert "still held in QuickBooks by Bill" in early.message and BILL in early.message
	store.update_doc(PI, BILL, docstatus=2)
	assert engine.cancel(PI, BILL).action == "deleted"
	later = engine.retry(early.log_id)
	assert later.status == "Success", later.message
	assert only(emu, "Bill", DocNumber="AOS-88731")["Id"] == later.qbo_id
