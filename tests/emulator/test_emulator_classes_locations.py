"""Classes and Departments (locations): name-list records, the company's tracking preferences, and the
references a sales form may carry (on the form, and a Class on each line)."""

from __future__ import annotations

import pytest
from emulator_testkit import Api, fault_code

from qbo_connector.emulator import EmulatorServer


def test_tracking_preferences_follow_the_company(emu: EmulatorServer, api: Api) -> None:
	info = api.get("preferences").json()["Preferences"]["AccountingInfoPrefs"]
	assert (info["ClassTrackingPerTxn"], info["ClassTrackingPerTxnLine"], info["TrackDepartments"]) == (
		False,
		False,
		False,
	)
	emu.set_company(class_tracking="line", track_departments=True, department_terminology="Store")
	info = api.get("preferences").json()["Preferences"]["AccountingInfoPrefs"]
	assert (info["ClassTrackingPerTxn"], info["ClassTrackingPerTxnLine"]) == (False, True)
	assert (info["TrackDepartments"], info["DepartmentTerminology"]) == (True, "Store")
	emu.set_company(class_tracking="txn")
	info = api.get("preferences").json()["Preferences"]["AccountingInfoPrefs"]
	assert (info["ClassTrackingPerTxn"], info["ClassTrackingPerTxnLine"]) == (True, False)
	with pytest.raises(ValueError):
		emu.set_company(class_tracking="sometimes")


def test_classes_and_departments_are_names(emu: EmulatorServer, api: Api) -> None:
	retail = api.create("Class", {"Name": "Retail"})
	online = api.create("Class", {"Name": "Online", "ParentRef": {"value": retail["Id"]}})
	assert (online["FullyQualifiedName"], online["SubClass"], online["Active"]) == (
		"Retail:Online",
		True,
		True,
	)
	assert fault_code(api.post("class", {"Name": "retail"})) == "6240"  # unique within classes
	assert api.create("Department", {"Name": "Retail"})["Name"] == "Retail"  # another kind: allowed
	rows = api.rows("select * from Class where Name = 'Online'", "Class")
	assert [r["Id"] for r in rows] == [online["Id"]]
	assert emu.add_department("Brooklyn")["Name"] == "Brooklyn"


def test_sales_forms_carry_classes_and_a_department(emu: EmulatorServer, api: Api) -> None:
	retail = emu.add_class("Retail")
	store = emu.add_department("Brooklyn")
	invoice = api.invoice(
		DepartmentRef={"value": store["Id"]},
		ClassRef={"value": retail["Id"]},
	)
	assert invoice["DepartmentRef"] == {"value": store["Id"], "name": "Brooklyn"}
	assert invoice["ClassRef"]["value"] == retail["Id"]
	body = {
		"CustomerRef": {"value": "1"},
		"Line": [
			{
				"Amount": 10,
				"DetailType": "SalesItemLineDetail",
				"SalesItemLineDetail": {"ItemRef": {"value": "1"}, "ClassRef": {"value": retail["Id"]}},
			}
		],
	}
	line = api.create("Invoice", body)["Line"][0]["SalesItemLineDetail"]
	assert line["ClassRef"] == {"value": retail["Id"], "name": "Retail"}
	body["Line"][0]["SalesItemLineDetail"]["ClassRef"] = {"value": "999"}
	assert fault_code(api.post("invoice", body)) == "2500"
	assert fault_code(api.post("invoice", {**body, "DepartmentRef": {"value": "998"}})) == "2500"
