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
