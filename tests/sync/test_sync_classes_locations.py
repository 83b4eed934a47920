"""Classes and locations end to end: the QBO company's preferences are read with its settings, every line (or
the transaction) is tagged as they say, and a cost center or branch without a QBO record fails before any write."""

from __future__ import annotations

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

SI = "Sales Invoice"
BASIC, DISCOUNTS = "ACC-SINV-2026-00002", "ACC-SINV-2026-00004"


def track(emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, **changes) -> dict[str, str]:
	emu.set_company(class_tracking="line", track_departments=True, department_terminology="Store")
	ids = {
		"main": emu.add_class("Main")["Id"],
		"retail": emu.add_class("Retail")["Id"],
		"brooklyn": emu.add_department("Brooklyn")["Id"],
	}
	config.class_map = {"Main - QTC": ids["main"]}
	config.location_map = {"Brooklyn": ids["brooklyn"]}
	for key, value in changes.items():
		setattr(config, key, value)
	store.add_config(config)
	return ids


def test_every_line_and_the_invoice_are_tagged(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	ids = track(emu, store, config)
	store.update_doc(SI, DISCOUNTS, branch="Brooklyn")
	result = engine.push(SI, DISCOUNTS)
	assert result.ok, result.message
	invoice = emu.get("Invoice", store.get_link(emu.realm_id, SI, DISCOUNTS).qbo_id)
	assert invoice["DepartmentRef"]["value"] == ids["brooklyn"]
	tagged = [
		(line["DetailType"], line[line["DetailType"]].get("ClassRef", {}).get("value"))
		for line in invoice["Line"]
		if line["DetailType"] in ("SalesItemLineDetail", "DiscountLineDetail")
	]
	assert tagged and all(cls == ids["main"] for _kind, cls in tagged), tagged
	mode = store.get_config("QBO Test Co").company_mode
	assert (mode.class_tracking, mode.track_locations, mode.location_label) == ("line", True, "Store")


def test_an_unmapped_branch_fails_before_anything_is_written(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	track(emu, store, config)
	store.update_doc(SI, BASIC, branch="Queens")
	writes = emu.writes()
	result = engine.push(SI, BASIC)
	assert result.status == "Failed" and not result.retryable
	assert "branch" in result.message and "'Queens' is not mapped to a QuickBooks store" in result.message
	assert emu.writes() == writes  # not even the customer
	config.default_location = emu.add_department("Everywhere")["Id"]  # a default location fixes it
	store.add_config(config)
	assert engine.push(SI, BASIC).ok


PI, PO, PE = "Purchase Invoice", "Purchase Order", "Payment Entry"
BILL, ORDER, SUPPLIER_PAY = "ACC-PINV-2026-00001", "PUR-ORD-2026-00001", "ACC-PAY-2026-00092"


def expense_classes(obj: dict) -> list:
	return [
		(line[line["DetailType"]].get("ClassRef") or {}).get("value")
		for line in obj["Line"]
		if line["DetailType"] in ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")
	]


def test_purchases_and_the_supplier_payment_are_tagged_in_qbo(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	ids = track(emu, store, config)
	config.class_map["Retail - QTC"] = ids["retail"]
	store.add_config(config)
	store.update_doc(PO, ORDER, branch="Brooklyn")
	assert engine.push(PO, ORDER).ok
	order = emu.get("PurchaseOrder", store.get_link(emu.realm_id, PO, ORDER).qbo_id)
	assert order["DepartmentRef"]["value"] == ids["brooklyn"]
	assert expense_classes(order) and set(expense_classes(order)) == {ids["main"]}
	items = [dict(row) for row in store.get_doc(PI, BILL)["items"]]
	items[0]["cost_center"] = "Retail - QTC"
	store.update_doc(PI, BILL, branch="Brooklyn", items=items)
	result = engine.push(PI, BILL)
	assert result.ok, result.message
	bill = emu.get("Bill", store.get_link(emu.realm_id, PI, BILL).qbo_id)
	assert bill["DepartmentRef"]["value"] == ids["brooklyn"] and "ClassRef" not in bill
	assert expense_classes(bill)[:2] == [ids["retail"], ids["main"]]
	store.update_doc(PI, "ACC-PINV-2026-00002", branch="Brooklyn")  # the other bill it pays goes first
	store.update_doc(PE, SUPPLIER_PAY, branch="Brooklyn")
	result = engine.push(PE, SUPPLIER_PAY)
	assert result.ok, result.message
	paid = emu.get("BillPayment", store.get_link(emu.realm_id, PE, SUPPLIER_PAY).qbo_id)
	assert paid["DepartmentRef"]["value"] == ids["brooklyn"]


def test_a_bill_with_an_unmapped_cost_center_fails_before_anything_is_written(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	track(emu, store, config)
	items = [dict(row) for row in store.get_doc(PI, BILL)["items"]]
	items[1]["cost_center"] = "Stores - QTC"
	store.update_doc(PI, BILL, branch="Brooklyn", items=items)
	writes = emu.writes()
	result = engine.push(PI, BILL)
	assert result.status == "Failed" and not result.retryable
	assert "items[2].cost_center" in result.message
	assert "cost center 'Stores - QTC' is not mapped to a QuickBooks class" in result.message
	assert emu.writes() == writes  # not even the vendor
