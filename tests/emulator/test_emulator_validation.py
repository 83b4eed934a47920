"""Validations that bite: duplicate names and numbers, amounts, references, required fields, lengths."""

from __future__ import annotations

import pytest
from emulator_testkit import Api, fault_code


def sales_line(amount: object = 10, **detail: object) -> dict:
	d = {"ItemRef": {"value": "1"}}
	d.update(detail)
	return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": d}


@pytest.mark.parametrize("entity", ["Customer", "Vendor", "Employee"])
def test_duplicate_display_name_across_people_case_insensitive(api: Api, entity: str) -> None:
	api.create("Customer", {"DisplayName": "Shared Name"})
	r = api.post(entity.lower(), {"DisplayName": "shared NAME"})
	assert r.status_code == 400
	error = r.json()["Fault"]["Error"][0]
	assert error["code"] == "6240"
	assert error["Message"] == "Duplicate Name Exists Error"


def test_duplicate_name_also_on_rename_and_items(api: Api) -> None:
	a = api.create("Customer", {"DisplayName": "Alpha"})
	api.create("Customer", {"DisplayName": "Beta"})
	r = api.post("customer", {"Id": a["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "BETA"})
	assert fault_code(r) == "6240"
	income = {"value": "6"}
	api.create("Item", {"Name": "Widget", "Type": "Service", "IncomeAccountRef": income})
	r = api.post("item", {"Name": "widget", "Type": "Service", "IncomeAccountRef": income})
	assert fault_code(r) == "6240"
	assert "Another product or service is already using this name" in r.json()["Fault"]["Error"][0]["Detail"]


def test_duplicate_doc_number_and_the_override(api: Api) -> None:
	api.invoice(10, DocNumber="D-1")
	r = api.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [sales_line()], "DocNumber": "d-1"})
	assert fault_code(r) == "6140"
	assert r.json()["Fault"]["Error"][0]["Message"] == "Duplicate Document Number Error"
	ok = api.post(
		"invoice",
		{"CustomerRef": {"value": "1"}, "Line": [sales_line()], "DocNumber": "D-1"},
		include="allowduplicatedocnum",
	)
	assert ok.status_code == 200, ok.text


def test_amount_must_equal_qty_times_unit_price(api: Api) -> None:
	r = api.post(
		"invoice", {"CustomerRef": {"value": "1"}, "Line": [sales_line(100, Qty=3, UnitPrice=33.33)]}
	)
	assert fault_code(r) == "6070"
	ok = api.post(
		"invoice", {"CustomerRef": {"value": "1"}, "Line": [sales_line(99.99, Qty=3, UnitPrice=33.33)]}
	)
	assert ok.status_code == 200
	rounded = api.post(
		"invoice", {"CustomerRef": {"value": "1"}, "Line": [sales_line(3.33, Qty=1, UnitPrice=3.333)]}
	)
	assert rounded.status_code == 200
	defaults = api.post(
		"invoice", {"CustomerRef": {"value": "1"}, "Line": [sales_line(50, Qty=0, UnitPrice=0)]}
	)
	assert defaults.status_code == 200  # python-quickbooks sends 0/0 for unset Qty/UnitPrice


@pytest.mark.parametrize(
	"body",
	[
		{"CustomerRef": {"value": "404"}, "Line": [sales_line()]},
		{"CustomerRef": {"value": "1"}, "Line": [sales_line(ItemRef={"value": "404"})]},
		{
			"CustomerRef": {"value": "1"},
			"Line": [sales_line()],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": "404"}},
		},
		{"CustomerRef": {"value": "1"}, "Line": [sales_line()], "CurrencyRef": {"value": "EUR"}},
		{
			"CustomerRef": {"value": "1"},
			"Line": [
				{
					"Amount": 1,
					"DetailType": "DiscountLineDetail",
					"DiscountLineDetail": {"DiscountAccountRef": {"value": "404"}},
				},
				sales_line(),
			],
		},
	],
	ids=["customer", "item", "taxcode", "currency", "account"],
)
def test_invalid_references_are_2500(api: Api, body: dict) -> None:
	r = api.post("invoice", body)
	assert r.status_code == 400
	error = r.json()["Fault"]["Error"][0]
	assert error["code"] == "2500"
	assert error["Message"] == "Invalid Reference Id"


@pytest.mark.parametrize(
	("entity", "body", "element"),
	[
		("invoice", {"Line": [sales_line()]}, "CustomerRef"),
		("invoice", {"CustomerRef": {"value": "1"}}, "Line"),
		("invoice", {"CustomerRef": {"value": "1"}, "Line": []}, "Line"),
		("customer", {"Notes": "no name"}, "DisplayName"),
		("item", {"Type": "Service", "IncomeAccountRef": {"value": "6"}}, "Name"),
		("item", {"Name": "No Income", "Type": "Service"}, "IncomeAccountRef"),
		(
			"item",
			{"Name": "Stock", "Type": "Inventory", "IncomeAccountRef": {"value": "6"}},
			"AssetAccountRef",
		),
		("payment", {"TotalAmt": 5}, "CustomerRef"),
		("payment", {"CustomerRef": {"value": "1"}}, "TotalAmt"),
		("bill", {"Line": []}, "VendorRef"),
		("account", {"Name": "No Type"}, "AccountType"),
	],
)
def test_required_fields_are_2020(api: Api, entity: str, body: dict, element: str) -> None:
	r = api.post(entity, body)
	assert r.status_code == 400
	error = r.json()["Fault"]["Error"][0]
	assert error["code"] == "2020"
	assert error["element"] == element


@pytest.mark.parametrize(
	("entity", "field", "limit"),
	[
		("customer", "DisplayName", 500),
		("customer", "GivenName", 100),
		("customer", "FamilyName", 100),
		("item", "Name", 100),
		("invoice", "DocNumber", 21),
		("invoice", "PrivateNote", 4000),
	],
)
def test_strings_too_long_are_2050(api: Api, entity: str, field: str, limit: int) -> None:
	bodies = {
		"customer": {"DisplayName": "Long One"},
		"item": {"Name": "Long", "Type": "Service", "IncomeAccountRef": {"value": "6"}},
		"invoice": {"CustomerRef": {"value": "1"}, "Line": [sales_line()]},
	}
	ok = dict(bodies[entity], **{field: "x" * limit})
	assert api.post(entity, ok).status_code == 200
	too_long = dict(bodies[entity], **{field: "y" * (limit + 1)})
	r = api.post(entity, too_long)
	assert fault_code(r) == "2050"
	assert r.json()["Fault"]["Error"][0]["element"] == field


def test_long_line_description_and_customer_memo(api: Api) -> None:
	line = dict(sales_line(), Description="d" * 4001)
	assert fault_code(api.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line]})) == "2050"
	memo = {"CustomerRef": {"value": "1"}, "Line": [sales_line()], "CustomerMemo": {"value": "m" * 1001}}
	assert fault_code(api.post("invoice", memo)) == "2050"


@pytest.mark.parametrize("name", ["Parent:Child", "Tab\tName", "New\nLine"])
def test_names_with_colon_tab_or_newline_are_6000(api: Api, name: str) -> None:
	r = api.post("customer", {"DisplayName": name})
	assert fault_code(r) == "6000"
	assert (
		fault_code(api.post("item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": "6"}}))
		== "6000"
	)


def test_us_line_tax_code_must_be_tax_or_non(api: Api) -> None:
	r = api.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [sales_line(TaxCodeRef={"value": "2"})]})
	assert fault_code(r) == "6100"


def test_inactive_customer_on_a_new_invoice_is_610(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Gone Inc"})
	api.post("customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Active": False})
	r = api.post("invoice", {"CustomerRef": {"value": c["Id"]}, "Line": [sales_line()]})
	assert fault_code(r) == "610"


def test_bad_enumeration_is_2170(api: Api) -> None:
	assert fault_code(api.post("item", {"Name": "Odd", "Type": "Gadget"})) == "2170"
	assert fault_code(api.post("account", {"Name": "Odd", "AccountType": "Piggy Bank"})) == "2170"


def test_sub_customer_gets_a_qualified_name(api: Api) -> None:
	parent = api.create("Customer", {"DisplayName": "Parent Co"})
	child = api.create("Customer", {"DisplayName": "Site A", "ParentRef": {"value": parent["Id"]}})
	assert child["FullyQualifiedName"] == "Parent Co:Site A"
	assert child["Job"] is True and child["Level"] == 1
