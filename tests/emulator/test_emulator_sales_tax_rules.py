"""US sales tax as QBO applies it: a TotalTax sent with TxnTaxCodeRef overrides the computed tax, and automated
sales tax (Preferences.TaxPrefs.PartnerTaxEnabled) computes the tax itself unless an amount is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from emulator_testkit import TIMEOUT, Api, fault_code

from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.__main__ import build_parser, config_from_args

NY = "NY State+City 8.875%"  # 4% + 4.875%


def line(amount: object, code: str = "TAX") -> dict:
	return {
		"Amount": amount,
		"DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": code}},
	}


def code_id(api: Api, name: str) -> str:
	return api.rows(f"select * from TaxCode where Name = '{name}'", "TaxCode")[0]["Id"]


def tax_amounts(txn: dict) -> list[float]:
	return [t["Amount"] for t in txn["TxnTaxDetail"].get("TaxLine", [])]


@pytest.fixture
def ast(emu: EmulatorServer) -> Iterator[Api]:
	r = requests.post(f"{emu.control_url}/company", json={"automated_sales_tax": True}, timeout=TIMEOUT)
	assert r.status_code == 200, r.text
	assert r.json()["automated_sales_tax"] is True
	yield Api(emu)


def test_total_tax_with_a_tax_code_overrides_the_computed_tax(api: Api) -> None:
	ny = code_id(api, NY)
	computed = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100), line(50, "NON")],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": ny}},
		},
	)
	assert computed["TxnTaxDetail"]["TotalTax"] == 8.88 and computed["TotalAmt"] == 158.88
	given = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100), line(50, "NON")],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": ny}, "TotalTax": 9.00},
		},
	)
	assert given["TxnTaxDetail"]["TotalTax"] == 9.0
	assert given["TotalAmt"] == 159.0 and given["Balance"] == 159.0  # lines - discount + the given tax
	assert given["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == ny
	# prorated over the group's rates by their computed tax (4.00 : 4.88), the last rate takes the remainder
	assert tax_amounts(given) == [4.05, 4.95]
	zero = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": ny}, "TotalTax": 0},
		},
	)
	assert zero["TxnTaxDetail"]["TotalTax"] == 0 and zero["TotalAmt"] == 100


def test_total_tax_without_a_tax_code_is_ignored(api: Api) -> None:
	inv = api.create(
		"Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100)], "TxnTaxDetail": {"TotalTax": 7.5}}
	)
	assert inv["TxnTaxDetail"]["TotalTax"] == 0 and inv["TotalAmt"] == 100


def test_override_on_a_credit_memo_and_with_a_discount(api: Api) -> None:
	ny = code_id(api, NY)
	memo = api.create(
		"CreditMemo",
		{
			"CustomerRef": {"value": "1"},
			"Line": [
				line(200),
				{
					"DetailType": "DiscountLineDetail",
					"DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
				},
			],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": ny}, "TotalTax": 16.0},
		},
	)
	assert memo["TxnTaxDetail"]["TotalTax"] == 16.0
	assert memo["TotalAmt"] == 196.0  # 200 - 20 + 16
	assert memo["Balance"] == 196.0 and sum(tax_amounts(memo)) == 16.0


def test_negative_total_tax_is_refused(api: Api) -> None:
	bad = api.post(
		"invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": code_id(api, NY)}, "TotalTax": -1},
		},
	)
	assert fault_code(bad) == "6000"
	assert "TotalTax" in bad.json()["Fault"]["Error"][0]["Detail"]


def test_sparse_update_keeps_an_override_and_recomputes_a_computed_tax(api: Api) -> None:
	ny = code_id(api, NY)
	given = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": ny}, "TotalTax": 9},
		},
	)
	computed = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": ny}},
		},
	)
	for inv in (given, computed):
		body = {"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": True, "Line": [line(200)]}
		r = api.post("invoice", body)
		assert r.status_code == 200, r.text
	assert api.read("Invoice", given["Id"])["TxnTaxDetail"]["TotalTax"] == 9.0  # the amount sent stays
	again = api.read("Invoice", computed["Id"])
	assert again["TxnTaxDetail"]["TotalTax"] == 17.75  # 8.00 + 9.75 on the new line, not the old 8.88
	assert again["TotalAmt"] == 217.75


def test_automated_sales_tax_computes_the_tax_itself(ast: Api) -> None:
	prefs = ast.get("preferences").json()["Preferences"]
	assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is True
	ast_code = code_id(ast, "Automated Sales Tax")
	[rate] = ast.rows("select * from TaxRate where Name = 'AST Combined Rate'", "TaxRate")
	assert rate["RateValue"] == 8.25
	plain = ast.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100), line(50, "NON")]})
	assert plain["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == ast_code
	assert plain["TxnTaxDetail"]["TotalTax"] == 8.25 and plain["TotalAmt"] == 158.25
	# a tax code the client picks is replaced by the one AST assigns
	picked = ast.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": code_id(ast, NY)}},
		},
	)
	assert picked["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == ast_code
	assert picked["TxnTaxDetail"]["TotalTax"] == 8.25
	discounted = ast.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [
				line(100),
				{
					"DetailType": "DiscountLineDetail",
					"DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
				},
			],
		},
	)
	assert discounted["TxnTaxDetail"]["TotalTax"] == 7.43  # 8.25% of 90, half up
	assert discounted["TotalAmt"] == 97.43


def test_automated_sales_tax_honours_an_explicit_amount(ast: Api) -> None:
	ast_code = code_id(ast, "Automated Sales Tax")
	with_code = ast.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": code_id(ast, NY)}, "TotalTax": 5},
		},
	)
	assert with_code["TxnTaxDetail"]["TotalTax"] == 5.0 and with_code["TotalAmt"] == 105.0
	assert with_code["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == ast_code
	assert tax_amounts(with_code) == [5.0]
	alone = ast.create(
		"Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100)], "TxnTaxDetail": {"TotalTax": 6.1}}
	)
	assert alone["TxnTaxDetail"]["TotalTax"] == 6.1 and alone["TotalAmt"] == 106.1
	unknown = ast.post(
		"invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(1)],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": "999"}},
		},
	)
	assert fault_code(unknown) == "2500"


def test_automated_sales_tax_can_be_switched_off_and_is_us_only(ast: Api, emu: EmulatorServer) -> None:
	emu.set_company(automated_sales_tax=False)
	assert ast.get("preferences").json()["Preferences"]["TaxPrefs"]["PartnerTaxEnabled"] is False
	inv = ast.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100)]})
	assert inv["TxnTaxDetail"]["TotalTax"] == 0  # back to codes: none sent, none on the customer
	r = requests.post(
		f"{emu.control_url}/company",
		json={"realm_id": "4620816365000001", "country": "GB", "automated_sales_tax": True},
		timeout=TIMEOUT,
	)
	assert r.status_code == 400 and "US" in r.json()["error"]


def test_automated_sales_tax_from_the_start() -> None:
	args = build_parser().parse_args(["--automated-sales-tax", "on"])
	assert config_from_args(args).automated_sales_tax is True
	assert "--automated-sales-tax" in build_parser().format_help()
	with EmulatorServer(port=0, limits_enabled=False, automated_sales_tax=True) as emu:
		api = Api(emu)
		assert api.get("preferences").json()["Preferences"]["TaxPrefs"]["PartnerTaxEnabled"] is True
		inv = api.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(200)]})
		assert inv["TxnTaxDetail"]["TotalTax"] == 16.5
	with pytest.raises(ValueError):
		EmulatorServer(port=0, country="GB", automated_sales_tax=True)
