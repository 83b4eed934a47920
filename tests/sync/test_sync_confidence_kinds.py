"""Issue 11 on every document kind: reconciliation compares purchases, orders and supplier payments through
their own QBO entity, and the preview runs each kind's own preparation, with no write to QBO."""

from __future__ import annotations

from decimal import Decimal

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import MemoryStore, SyncEngine
from qbo_connector.sync.reconcile import DIFFERS, IN_STEP, KINDS, MISSING

PO, PI, PE = "Purchase Order", "Purchase Invoice", "Payment Entry"
ORDER, BILL, SERVICE_BILL, DEBIT_NOTE = (
	"PUR-ORD-2026-00001",
	"ACC-PINV-2026-00001",
	"ACC-PINV-2026-00002",
	"ACC-PINV-2026-00003",
)
PAY = "ACC-PAY-2026-00092"
COMPANY = "QBO Test Co"
DECEMBER = ("2026-12-01", "2026-12-31")


def row_of(report, name):
	found = [row for row in report.rows if row.name == name]
	assert len(found) == 1, f"{len(found)} rows for {name}"
	return found[0]


def test_every_pushed_kind_but_timesheets_is_reconciled_through_its_entity() -> None:
	entities = {kind.key: kind.entity for kind in KINDS.values()}
	assert entities == {
		"Sales Invoice": "Invoice",
		"Credit Note": "CreditMemo",
		"Payment Entry": "Payment",
		"Quotation": "Estimate",
		"Purchase Order": "PurchaseOrder",
		"Purchase Invoice": "Bill",
		"Debit Note": "VendorCredit",
		"Supplier Payment": "BillPayment",
	}
	assert KINDS["Purchase Invoice"].compare_balance and not KINDS["Debit Note"].compare_balance


def test_bills_orders_and_supplier_payments_side_by_side_with_quickbooks(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY).ok  # sends both bills first
	assert engine.push(PI, DEBIT_NOTE).ok
	assert engine.push(PO, ORDER).ok
	bill_id = store.get_link(emu.realm_id, PI, BILL).qbo_id
	client = engine.client(emu.realm_id)
	bill = client.read("Bill", bill_id)
	lines = [line for line in bill["Line"] if line.get("DetailType") != "SubTotalLineDetail"]
	dropped = Decimal(str(lines[-1]["Amount"]))
	# an accountant removes a line of the bill in QuickBooks
	client.update("Bill", {"Id": bill_id, "SyncToken": bill["SyncToken"], "Line": lines[:-1]}, sparse=True)
	store.update_doc(PI, SERVICE_BILL, outstanding_amount=0)  # as ERPNext keeps it once the payment is in
	reads_before = emu.reads()

	report = engine.reconcile(
		COMPANY,
		*DECEMBER,
		["Purchase Invoice", "Debit Note", "Purchase Order", "Supplier Payment"],
		only_in_qbo=False,
	)

	assert emu.reads() - reads_before == 4  # one page of ids per kind, not one read per document
	changed = row_of(report, BILL)
	assert (changed.kind, changed.qbo_entity, changed.state, changed.drift) == (
		"Purchase Invoice",
		"Bill",
		DIFFERS,
		True,
	)
	assert changed.difference == -dropped
	assert "changed in QuickBooks after it was sent" in changed.message
	service = row_of(report, SERVICE_BILL)
	# paid in full by the supplier payment on both sides: balances are compared for bills
	assert (service.qbo_balance, service.qbo_status, service.state) == (0, "Paid", IN_STEP), service.message
	assert (row_of(report, DEBIT_NOTE).qbo_entity, row_of(report, DEBIT_NOTE).state) == (
		"VendorCredit",
		IN_STEP,
	)
	order = row_of(report, ORDER)
	assert (order.qbo_entity, order.state, order.qbo_status) == ("PurchaseOrder", IN_STEP, "Open")
	payment = row_of(report, PAY)
	assert (payment.kind, payment.qbo_entity, payment.state) == ("Supplier Payment", "BillPayment", IN_STEP)
	assert store.reconciled(emu.realm_id, PI, BILL)["drift"] is True
	assert store.reconciled(emu.realm_id, PO, ORDER)["drift"] is False

	# a purchase order closed in QBO on cancel agrees with its cancelled ERPNext order
	store.update_doc(PO, ORDER, docstatus=2)
	assert engine.cancel(PO, ORDER).action == "closed"
	again = engine.reconcile(COMPANY, *DECEMBER, ["Purchase Order"], only_in_qbo=False)
	assert (row_of(again, ORDER).state, row_of(again, ORDER).drift) == (IN_STEP, False)
	assert row_of(again, ORDER).message == "Cancelled in ERPNext; closed in QuickBooks."


def test_a_kind_switched_off_is_left_out_unless_asked_for(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	config = store.get_config(COMPANY)
	config.push_purchase_orders = False
	store.add_config(config)
	report = engine.reconcile(COMPANY, *DECEMBER, only_in_qbo=False)
	assert "Purchase Order" not in report.kinds and "Sales Invoice" in report.kinds
	asked = engine.reconcile(COMPANY, *DECEMBER, ["Purchase Order"], only_in_qbo=False)
	assert (row_of(asked, ORDER).state, row_of(asked, ORDER).drift) == (MISSING, False)


def _quiet(emu: EmulatorServer) -> tuple:
	return emu.writes(), [
		(e, len(emu.objects(e))) for e in ("Vendor", "Bill", "BillPayment", "PurchaseOrder")
	]


def test_preview_of_a_bill_plans_its_vendor_and_the_bill_and_writes_nothing(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	before, links, logs = _quiet(emu), len(store.links()), len(store.logs())
	preview = engine.preview(PI, BILL)
	assert _quiet(emu) == before and len(store.links()) == links and len(store.logs()) == logs
	assert (preview.action, preview.entity) == ("create", "Bill"), preview.message
	assert preview.body["DocNumber"] == "AOS-88731"
	assert preview.erp_total == Decimal("3874.30") == preview.predicted_total
	assert [(w.entity, w.operation) for w in preview.writes] == [("Vendor", "create"), ("Bill", "create")]
	assert preview.body["VendorRef"]["value"] == preview.writes[0].placeholder

	pushed = engine.push(PI, BILL)
	assert pushed.ok
	assert emu.get("Bill", pushed.qbo_id)["DocNumber"] == preview.body["DocNumber"]
	store.update_doc(PI, BILL, due_date="2027-02-15")
	update = engine.preview(PI, BILL)
	assert update.action == "update" and update.body["DueDate"] == "2027-02-15", update.message
	assert set(update.body) == {"Id", "SyncToken", "sparse", "DueDate"}


def test_preview_of_a_supplier_payment_shows_its_bills_would_go_first(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	before = _quiet(emu)
	preview = engine.preview(PE, PAY)
	assert _quiet(emu) == before
	assert (preview.action, preview.entity) == ("create", "BillPayment"), preview.message
	planned = [(w.entity, w.record) for w in preview.writes if w.operation == "create"]
	assert ("Bill", f"Purchase Invoice {BILL}") in planned
	assert ("Bill", f"Purchase Invoice {SERVICE_BILL}") in planned
	assert planned[-1][0] == "BillPayment"
	assert any("would send it first" in note for note in preview.notes)
	assert preview.erp_total == Decimal("1640.00")
