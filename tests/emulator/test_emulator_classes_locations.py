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


def _account(api: Api, name: str) -> str:
	return next(a["Id"] for a in api.rows("select * from Account", "Account") if a["Name"] == name)


def test_purchases_carry_classes_on_expense_lines_and_a_department(emu: EmulatorServer, api: Api) -> None:
	retail = emu.add_class("Retail")
	store = emu.add_department("Brooklyn")
	vendor = api.rows("select * from Vendor", "Vendor")[0]["Id"]
	line = {
		"Amount": 10,
		"DetailType": "AccountBasedExpenseLineDetail",
		"AccountBasedExpenseLineDetail": {
			"AccountRef": {"value": _account(api, "Office Expenses")},
			"ClassRef": {"value": retail["Id"]},
		},
	}
	body = {"VendorRef": {"value": vendor}, "Line": [line], "DepartmentRef": {"value": store["Id"]}}
	for entity in ("Bill", "VendorCredit", "PurchaseOrder"):
		made = api.create(entity, body)
		assert made["DepartmentRef"] == {"value": store["Id"], "name": "Brooklyn"}, entity
		kept = made["Line"][0]["AccountBasedExpenseLineDetail"]["ClassRef"]
		assert kept == {"value": retail["Id"], "name": "Retail"}, entity
		assert api.read(entity, made["Id"])["Line"][0]["AccountBasedExpenseLineDetail"]["ClassRef"] == kept
	order = api.create("PurchaseOrder", {**body, "ClassRef": {"value": retail["Id"]}})
	assert order["ClassRef"]["value"] == retail["Id"]  # a purchase order has one on the form too
	assert (
		fault_code(api.post("bill", {**body, "ClassRef": {"value": retail["Id"]}})) == "2010"
	)  # a bill has not
	bad = {
		**line,
		"AccountBasedExpenseLineDetail": {
			**line["AccountBasedExpenseLineDetail"],
			"ClassRef": {"value": "999"},
		},
	}
	assert fault_code(api.post("bill", {**body, "Line": [bad]})) == "2500"
	assert fault_code(api.post("purchaseorder", {**body, "DepartmentRef": {"value": "998"}})) == "2500"
	api.post("class", {**api.read("Class", retail["Id"]), "Active": False})
	assert fault_code(api.post("bill", body)) == "610"  # an inactive class is refused like QBO does


def test_payments_bill_payments_and_time_take_what_intuit_documents(emu: EmulatorServer, api: Api) -> None:
	retail = emu.add_class("Retail")
	store = emu.add_department("Brooklyn")
	vendor = api.rows("select * from Vendor", "Vendor")[0]["Id"]
	bill = api.create(
		"Bill",
		{
			"VendorRef": {"value": vendor},
			"Line": [
				{
					"Amount": 10,
					"DetailType": "AccountBasedExpenseLineDetail",
					"AccountBasedExpenseLineDetail": {
						"AccountRef": {"value": _account(api, "Office Expenses")}
					},
				}
			],
		},
	)
	paid = {
		"VendorRef": {"value": vendor},
		"PayType": "Check",
		"CheckPayment": {"BankAccountRef": {"value": _account(api, "Checking")}},
		"TotalAmt": 10,
		"Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
	}
	assert fault_code(api.post("billpayment", {**paid, "DepartmentRef": {"value": "998"}})) == "2500"
	made = api.create("BillPayment", {**paid, "DepartmentRef": {"value": store["Id"]}})
	assert made["DepartmentRef"]["value"] == store["Id"]
	invoice = api.invoice(amount=10)
	payment = {
		"CustomerRef": {"value": "1"},
		"TotalAmt": 10,
		"Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
	}
	# Intuit's Payment has no DepartmentRef: an unknown property
	assert fault_code(api.post("payment", {**payment, "DepartmentRef": {"value": store["Id"]}})) == "2010"
	employee = api.create("Employee", {"GivenName": "Ada", "FamilyName": "Lovelace"})["Id"]
	time = {"NameOf": "Employee", "EmployeeRef": {"value": employee}, "TxnDate": "2026-03-02", "Hours": 2}
	made = api.create(
		"TimeActivity", {**time, "ClassRef": {"value": retail["Id"]}, "DepartmentRef": {"value": store["Id"]}}
	)
	assert (made["ClassRef"]["value"], made["DepartmentRef"]["value"]) == (retail["Id"], store["Id"])
	assert fault_code(api.post("timeactivity", {**time, "ClassRef": {"value": "999"}})) == "2500"
