"""Company modes: US sales tax groups, non-US VAT/GST codes, multicurrency on/off, Preferences and CompanyInfo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_testkit import Api, fault_code

from qbo_connector.emulator import EmulatorServer


def line(amount: object, code: str | None = None, item: str = "1") -> dict:
	detail: dict = {"ItemRef": {"value": item}}
	if code is not None:
		detail["TaxCodeRef"] = {"value": code}
	return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def code_id(api: Api, name: str) -> str:
	return api.rows(f"select * from TaxCode where Name = '{name}'", "TaxCode")[0]["Id"]


@pytest.fixture
def gb() -> Iterator[Api]:
	with EmulatorServer(port=0, limits_enabled=False, country="GB") as emu:
		yield Api(emu)


@pytest.fixture
def multi() -> Iterator[Api]:
	with EmulatorServer(port=0, limits_enabled=False, multicurrency=True) as emu:
		yield Api(emu)


def test_us_tax_group_applies_to_tax_lines_only(api: Api) -> None:
	group = code_id(api, "NY State+City 8.875%")
	inv = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [line(100, "TAX"), line(50, "NON")],
			"TxnTaxDetail": {"TxnTaxCodeRef": {"value": group}},
		},
	)
	detail = inv["TxnTaxDetail"]
	assert detail["TxnTaxCodeRef"]["value"] == group
	assert [t["Amount"] for t in detail["TaxLine"]] == [4.0, 4.88]  # 4% and 4.875% of 100, each rounded
	assert detail["TotalTax"] == 8.88
	assert inv["TotalAmt"] == 158.88


def test_us_discount_reduces_the_taxable_base(api: Api) -> None:
	group = code_id(api, "NY State+City 8.875%")
	body = {
		"CustomerRef": {"value": "1"},
		"Line": [
			line(100, "TAX"),
			line(100, "NON"),
			{
				"DetailType": "DiscountLineDetail",
				"DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
			},
		],
		"TxnTaxDetail": {"TxnTaxCodeRef": {"value": group}},
	}
	inv = api.create("Invoice", body)
	discount = next(x for x in inv["Line"] if x["DetailType"] == "DiscountLineDetail")
	assert discount["Amount"] == 20
	assert inv["TxnTaxDetail"]["TotalTax"] == 7.99  # base 90: 3.60 + 4.39
	assert inv["TotalAmt"] == 187.99
	before = api.create("Invoice", dict(body, ApplyTaxAfterDiscount=False))
	assert before["TxnTaxDetail"]["TotalTax"] == 8.88
	assert before["TotalAmt"] == 188.88


def test_us_without_a_tax_code_charges_no_tax(api: Api) -> None:
	inv = api.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100, "TAX")]})
	assert inv["TxnTaxDetail"]["TotalTax"] == 0
	assert inv["TotalAmt"] == 100


def test_gb_tax_excluded_per_line_codes(gb: Api) -> None:
	s, r, z = code_id(gb, "20.0% S"), code_id(gb, "5.0% R"), code_id(gb, "0.0% Z")
	inv = gb.create(
		"Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100, s), line(50, r), line(30, z)]}
	)
	assert inv["GlobalTaxCalculation"] == "TaxExcluded"
	assert inv["TxnTaxDetail"]["TotalTax"] == 22.5
	assert inv["TotalAmt"] == 202.5
	assert inv["CurrencyRef"]["value"] == "GBP"
	assert sorted(t["TaxLineDetail"]["TaxPercent"] for t in inv["TxnTaxDetail"]["TaxLine"]) == [0, 5, 20]


def test_gb_tax_inclusive_and_not_applicable(gb: Api) -> None:
	s = code_id(gb, "20.0% S")
	inc = gb.create(
		"Invoice",
		{"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "TaxInclusive", "Line": [line(120, s)]},
	)
	assert inc["TxnTaxDetail"]["TotalTax"] == 20
	assert inc["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 100
	assert inc["TotalAmt"] == 120
	na = gb.create(
		"Invoice",
		{"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "NotApplicable", "Line": [line(120)]},
	)
	assert na["TotalAmt"] == 120 and na["TxnTaxDetail"]["TotalTax"] == 0
	bad = gb.post(
		"invoice", {"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "Sometimes", "Line": [line(1, s)]}
	)
	assert fault_code(bad) == "2170"


def test_gb_needs_a_real_tax_code_on_every_line(gb: Api) -> None:
	assert fault_code(gb.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(10)]})) == "6000"
	assert (
		fault_code(gb.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(10, "TAX")]})) == "2500"
	)


def test_ca_group_code_sums_its_rates() -> None:
	with EmulatorServer(port=0, limits_enabled=False, country="CA") as emu:
		api = Api(emu)
		group = code_id(api, "GST/PST BC")
		inv = api.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100, group)]})
		assert inv["TxnTaxDetail"]["TotalTax"] == 12
		assert inv["CurrencyRef"]["value"] == "CAD"


def test_preferences_and_company_info_reflect_the_mode(gb: Api, api: Api) -> None:
	prefs = gb.get("preferences").json()["Preferences"]
	assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is False
	assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is False
	assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "GBP"
	assert prefs["SalesFormsPrefs"]["AutoApplyCredit"] is False
	assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is False
	info = gb.get(f"companyinfo/{gb.realm_id}").json()["CompanyInfo"]
	assert info["Country"] == "GB"
	assert api.rows("select * from CompanyInfo", "CompanyInfo")[0]["Country"] == "US"
	assert (
		api.rows("select * from Preferences", "Preferences")[0]["CurrencyPrefs"]["HomeCurrency"]["value"]
		== "USD"
	)
	us_codes = {c["Name"] for c in api.rows("select * from TaxCode", "TaxCode")}
	assert {"TAX", "NON", "NY State+City 8.875%"} <= us_codes


def test_seeded_company_works_at_once(api: Api) -> None:
	accounts = {a["Name"] for a in api.rows("select * from Account maxresults 1000", "Account")}
	for name in (
		"Accounts Receivable (A/R)",
		"Undeposited Funds",
		"Checking",
		"Savings",
		"Sales of Product Income",
		"Services",
		"Discounts given",
		"Sales Tax Payable",
		"Cost of Goods Sold",
		"Inventory Asset",
		"Accounts Payable (A/P)",
		"Rounding",
		"Other Income",
		"Uncategorized Income",
	):
		assert name in accounts
	assert {"Services", "Hours"} <= {i["Name"] for i in api.rows("select * from Item", "Item")}
	assert len(api.rows("select * from Customer", "Customer")) >= 1
	assert len(api.rows("select * from TaxRate", "TaxRate")) >= 2


def test_multicurrency_customer_currency_is_fixed_and_transactions_match(multi: Api) -> None:
	eur = multi.create("Customer", {"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}})
	assert eur["CurrencyRef"] == {"value": "EUR", "name": "Euro"}
	change = multi.post(
		"customer", {"Id": eur["Id"], "SyncToken": "0", "sparse": True, "CurrencyRef": {"value": "GBP"}}
	)
	assert fault_code(change) == "6000"
	inv = multi.create(
		"Invoice", {"CustomerRef": {"value": eur["Id"]}, "ExchangeRate": 1.1, "Line": [line(100)]}
	)
	assert inv["CurrencyRef"]["value"] == "EUR"
	assert inv["ExchangeRate"] == 1.1
	assert inv["HomeTotalAmt"] == 110
	wrong = multi.post(
		"invoice", {"CustomerRef": {"value": eur["Id"]}, "CurrencyRef": {"value": "USD"}, "Line": [line(1)]}
	)
	assert fault_code(wrong) == "6000"
	default_rate = multi.create("Invoice", {"CustomerRef": {"value": eur["Id"]}, "Line": [line(10)]})
	assert default_rate["ExchangeRate"] > 0
	prefs = multi.get("preferences").json()["Preferences"]
	assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True


def test_multicurrency_off_rejects_foreign_currency(api: Api) -> None:
	assert (
		fault_code(api.post("customer", {"DisplayName": "Euro Ltd", "CurrencyRef": {"value": "EUR"}}))
		== "2500"
	)
	assert (
		api.create("Customer", {"DisplayName": "Dollar Ltd", "CurrencyRef": {"value": "USD"}})["CurrencyRef"][
			"value"
		]
		== "USD"
	)


def test_company_mode_can_change_through_the_control_api(emu: EmulatorServer) -> None:
	import requests

	r = requests.post(f"{emu.control_url}/company", json={"country": "GB", "multicurrency": True}, timeout=10)
	assert r.status_code == 200, r.text
	assert r.json()["country"] == "GB"
	assert r.json()["home_currency"] == "GBP"
	api = Api(emu)
	prefs = api.get("preferences").json()["Preferences"]
	assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
	assert "TAX" not in {c["Name"] for c in api.rows("select * from TaxCode", "TaxCode")}
