"""Timesheets -> TimeActivities against the emulator: the Employee map filled by the employee pull (e-mail,
then name), one activity per time log, billable time billed to the customer, a person without a map
skipped with a row naming them and never sent as someone else, exactly once through a dropped answer,
and cancel deleting every activity."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sync_support import by_name, fixture, make_client

from qbo_connector.emulator import EmulatorServer
from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.time import hours_and_minutes, map_timesheet
from qbo_connector.sync import ConnectionConfig, Link, MemoryStore, SyncEngine

TS, EMPLOYEE = "Timesheet", "Employee"
SHEET, UNMAPPED_SHEET = "TS-2026-00001", "TS-2026-00002"
DANA, LEE = "HR-EMP-00001", "HR-EMP-00002"


@pytest.fixture
def timesheets_on(store: MemoryStore, config: ConnectionConfig) -> ConnectionConfig:
	config.push_timesheets = True
	store.add_config(config)
	return config


def qbo_employee(emu: EmulatorServer, name: str, email: str | None = None) -> dict:
	given, family = name.split(" ", 1)
	body = {"DisplayName": name, "GivenName": given, "FamilyName": family}
	if email:
		body["PrimaryEmailAddr"] = {"Address": email}
	return make_client(emu).create("Employee", body)


def activities(emu: EmulatorServer) -> list[dict]:
	return sorted(emu.objects("TimeActivity"), key=lambda a: int(a["Id"]))


# -- mapping ---------------------------------------------------------------------------------------------------
def test_each_time_log_becomes_an_activity() -> None:
	sheet = map_timesheet(fixture("ts_basic"), MappingContext(employee_ref="55", customer_ref="58"))
	billable, call = (part.body for part in sheet.parts)
	assert billable == {
		"NameOf": "Employee",
		"EmployeeRef": {"value": "55"},
		"TxnDate": "2026-12-02",
		"Hours": 3,
		"Minutes": 30,
		"Description": "Execution: Design review of the warehouse label layout [ERPNext Timesheet TS-2026-00001 #1]",
		"BillableStatus": "Billable",
		"HourlyRate": 150.0,
		"CustomerRef": {"value": "58"},
	}
	assert (call["Hours"], call["Minutes"], call["BillableStatus"]) == (0, 45, "NotBillable")
	assert "HourlyRate" not in call
	assert sheet.hours == Decimal("4.25")


@pytest.mark.parametrize(
	("hours", "split"), [("3.5", (3, 30)), ("0.75", (0, 45)), ("1.999", (2, 0)), ("8", (8, 0))]
)
def test_hours_and_minutes(hours: str, split: tuple[int, int]) -> None:
	assert hours_and_minutes(Decimal(hours)) == split


def test_bad_time_logs_name_the_row() -> None:
	sheet = fixture("ts_basic")
	sheet["time_logs"][1]["hours"] = "0,75"
	with pytest.raises(MappingError) as caught:
		map_timesheet(sheet, MappingContext(employee_ref="55", customer_ref="58"))
	assert caught.value.doctype == "Timesheet" and caught.value.field == "time_logs[2].hours"
	billable_without_customer = dict(fixture("ts_basic"), customer=None)
	with pytest.raises(MappingError) as caught:
		map_timesheet(billable_without_customer, MappingContext(employee_ref="55"))
	assert caught.value.field == "customer"


# -- the Employee map ------------------------------------------------------------------------------------------
def test_employee_pull_maps_by_email_then_by_name(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig
) -> None:
	dana = qbo_employee(
		emu, "Dana W. Whitfield", "DANA.WHITFIELD@qbotestco.example"
	)  # another name, same e-mail
	lee = qbo_employee(emu, "Lee Okafor")
	result = engine.pull(company="QBO Test Co")
	assert result.status == "Success", result.message
	assert store.get_link(emu.realm_id, EMPLOYEE, DANA).qbo_id == dana["Id"]
	assert store.get_link(emu.realm_id, EMPLOYEE, LEE).qbo_id == lee["Id"]
	rows = {e.erp_name: e.message for e in store.logs() if e.operation == "pull_entity" and e.erp_name}
	assert "(same e-mail)" in rows[DANA] and "(same name)" in rows[LEE]
	# Emily Platt (seeded) matches nobody: no row, no link
	assert not [e for e in store.logs() if "Emily" in (e.message or "")]


def test_a_mapped_employee_is_never_moved_by_the_pull(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig
) -> None:
	chosen = by_name(emu, "Employee", "Emily Platt")  # mapped by hand, whatever the names say
	store.save_link(Link(emu.realm_id, EMPLOYEE, DANA, EMPLOYEE, qbo_id=chosen, state="synced"))
	qbo_employee(emu, "Dana Whitfield", "dana.whitfield@qbotestco.example")
	engine.pull(company="QBO Test Co")
	assert store.get_link(emu.realm_id, EMPLOYEE, DANA).qbo_id == chosen
	# the QBO employee of Dana's e-mail is not given to anyone else either
	assert [link for link in store.links() if link.doctype == EMPLOYEE] == [
		store.get_link(emu.realm_id, EMPLOYEE, DANA)
	]


def test_employees_are_not_pulled_while_timesheets_are_off(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	qbo_employee(emu, "Dana Whitfield", "dana.whitfield@qbotestco.example")
	engine.pull(company="QBO Test Co")
	assert store.get_link(emu.realm_id, EMPLOYEE, DANA) is None


# -- pushing time ----------------------------------------------------------------------------------------------
def test_timesheet_becomes_one_activity_per_log_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig
) -> None:
	dana = qbo_employee(emu, "Dana Whitfield", "dana.whitfield@qbotestco.example")
	engine.pull(company="QBO Test Co")
	result = engine.push(TS, SHEET)
	assert result.status == "Success", result.message
	first, second = activities(emu)
	assert first["EmployeeRef"]["value"] == dana["Id"] and first["BillableStatus"] == "Billable"
	assert Decimal(str(first["HourlyRate"])) == 150 and (first["Hours"], first["Minutes"]) == (3, 30)
	customer = emu.get("Customer", first["CustomerRef"]["value"])
	assert customer["DisplayName"] == "O'Brien & Søn Ltd"
	assert second["BillableStatus"] == "NotBillable" and (second["Hours"], second["Minutes"]) == (0, 45)
	assert store.get_link(emu.realm_id, TS, SHEET).qbo_id == first["Id"]
	row = fixture("ts_basic")["time_logs"][1]["name"]
	assert store.get_link(emu.realm_id, "Timesheet Detail", row).qbo_id == second["Id"]
	assert "Created 2 TimeActivity" in result.message

	again = engine.push(TS, SHEET)
	assert again.status == "Skipped" and again.action == "unchanged"
	assert len(activities(emu)) == 2


def test_unmapped_person_is_skipped_naming_them_and_sent_once_mapped(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig, clock
) -> None:
	result = engine.push(TS, UNMAPPED_SHEET)
	assert result.status == "Skipped" and result.code == "EMPLOYEE_NOT_MAPPED"
	assert "HR-EMP-00002 (Lee Okafor)" in result.message and "never booked to someone else" in result.message
	assert activities(emu) == []
	assert store.get_log(result.log_id).doc_fingerprint

	# auto-push leaves it alone while nothing changed (no new Skipped row every hour)...
	clock.now = clock.now.replace(year=2027, month=1, day=1)
	rows_before = len([e for e in store.logs() if e.name == UNMAPPED_SHEET])
	summary = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	assert UNMAPPED_SHEET not in {r.name for r in summary.results}
	assert len([e for e in store.logs() if e.name == UNMAPPED_SHEET]) == rows_before
	# ...and sends it once the person is mapped.
	qbo_employee(emu, "Lee Okafor")
	engine.pull(company="QBO Test Co")
	summary = engine.auto_push("QBO Test Co", older_than=timedelta(hours=1))
	sent = [r for r in summary.results if r.name == UNMAPPED_SHEET]
	assert sent and sent[0].status == "Success", sent
	[activity] = [a for a in activities(emu) if "TS-2026-00002" in a["Description"]]
	assert activity["EmployeeRef"]["value"] == store.get_link(emu.realm_id, EMPLOYEE, LEE).qbo_id


def test_dropped_answer_after_commit_leaves_one_activity_per_log(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig
) -> None:
	qbo_employee(emu, "Dana Whitfield", "dana.whitfield@qbotestco.example")
	engine.pull(company="QBO Test Co")
	emu.add_fault(
		kind="drop", method="POST", path="/timeactivity", count=1
	)  # the first create commits, unheard
	result = engine.push(TS, SHEET)
	if result.status != "Success":  # the client gave up on the dropped answer: the retry finds it
		result = engine.retry(result.log_id)
	assert result.status == "Success", result.message
	assert len(activities(emu)) == 2


def test_cancel_deletes_every_activity(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig
) -> None:
	qbo_employee(emu, "Dana Whitfield", "dana.whitfield@qbotestco.example")
	engine.pull(company="QBO Test Co")
	assert engine.push(TS, SHEET).ok
	store.update_doc(TS, SHEET, docstatus=2)
	result = engine.cancel(TS, SHEET)
	assert result.status == "Success" and result.action == "deleted", result.message
	assert activities(emu) == []
	assert "Also deleted TimeActivity" in result.message
	assert store.get_link(emu.realm_id, TS, SHEET).state == "deleted"


def test_partial_send_then_crash_completes_without_doubles(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, timesheets_on: ConnectionConfig
) -> None:
	qbo_employee(emu, "Dana Whitfield", "dana.whitfield@qbotestco.example")
	engine.pull(company="QBO Test Co")
	emu.add_fault(kind="drop", method="POST", path="/timeactivity", count=50)
	failed = engine.push(TS, SHEET)
	assert failed.status == "Failed" and failed.retryable
	assert len(activities(emu)) == 1  # the first committed; its answer was lost, nothing more was sent
	emu.state.faults.clear()
	recovered = engine.retry(failed.log_id)
	assert recovered.status == "Success", recovered.message
	assert len(activities(emu)) == 2
	assert "found in QuickBooks after an interrupted attempt" in recovered.message


def test_timesheets_switched_off_by_default(engine: SyncEngine, emu: EmulatorServer) -> None:
	result = engine.push(TS, SHEET)
	assert result.status == "Skipped" and "timesheets to QuickBooks is switched off" in result.message
	assert activities(emu) == []
