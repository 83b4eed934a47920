"""ERPNext 15 and 16 documents of the same shape map to the same QBO documents.

ERPNext 16 moved the per-line tax out of each tax row's `item_wise_tax_detail` JSON (keyed by item code)
into the invoice's child table `item_wise_tax_details` (item_row, tax_row, rate, amount, taxable_amount).
The fixtures under tests/fixtures/erpnext/v16/ were made and exported in a real ERPNext 16.7 site with the
same customer, items, quantities and templates as their ERPNext 15.71 twins (tests/fixtures/erpnext/README.md).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from mapping_testkit import V16_TWINS, intl_ctx, item_lines, load, us_ctx

from qbo_connector.mapping import MappingError, map_invoice, map_payment
from qbo_connector.mapping.context import TaxCodeInfo

INVOICE_TWINS = {v15: v16 for v15, v16 in V16_TWINS.items() if "/pe_" not in v16}
TAXED_TWINS = {v15: v16 for v15, v16 in INVOICE_TWINS.items() if v15 != "si_basic"}
NY = TaxCodeInfo("7", "NY State+City 8.875%", (Decimal("4"), Decimal("4.875")))
INTL_CODES = {
	"10": TaxCodeInfo("10", "Sales 8.875%", (Decimal("8.875"),)),
	"30": TaxCodeInfo("30", "Exempt", (), taxable=False),
	"31": TaxCodeInfo("31", "Zero-rated", (Decimal("0"),)),
	"40": TaxCodeInfo("40", "Reduced 4.5%", (Decimal("4.5"),)),
}
SHAPE = ("v15/si_item_tax_templates", "v16/si_item_tax_templates")
# What differs between two documents of one shape: their names, dates and the notes naming them.
PER_DOCUMENT = ("DocNumber", "TxnDate", "DueDate", "PrivateNote", "CustomerMemo", "PaymentRefNum")


def _contexts():
	return [
		pytest.param(lambda: us_ctx(rounding_item_ref="99"), id="us"),
		pytest.param(lambda: us_ctx(), id="us-no-rounding-item"),
		pytest.param(lambda: intl_ctx(rounding_item_ref="99", tax_codes=INTL_CODES), id="intl"),
	]


def _shape(body: dict[str, Any]) -> dict[str, Any]:
	return {key: value for key, value in body.items() if key not in PER_DOCUMENT}


def _codes(body: dict[str, Any]) -> list[str | None]:
	return [line["SalesItemLineDetail"].get("TaxCodeRef", {}).get("value") for line in item_lines(body)]


@pytest.mark.parametrize(("v15", "v16"), TAXED_TWINS.items())
def test_the_fixtures_hold_each_versions_own_per_line_tax(v15, v16):
	"""ERPNext 15: JSON per tax row, no table. ERPNext 16: no JSON, one table row per line and tax row,
	pointing at the document's own rows by name."""
	old, new = load(v15), load(v16)
	assert not old.get("item_wise_tax_details")
	assert all(isinstance(tax["item_wise_tax_detail"], str) for tax in old["taxes"])
	assert all("item_wise_tax_detail" not in tax for tax in new["taxes"])
	item_rows = {row["name"] for row in new["items"]}
	tax_rows = {row["name"] for row in new["taxes"]}
	pairs = {(d["item_row"], d["tax_row"]) for d in new["item_wise_tax_details"]}
	assert pairs == {(i, t) for i in item_rows for t in tax_rows}


@pytest.mark.parametrize("make_ctx", _contexts())
@pytest.mark.parametrize(("v15", "v16"), INVOICE_TWINS.items())
def test_twins_map_to_the_same_qbo_document(v15, v16, make_ctx):
	old, new = map_invoice(load(v15), make_ctx()), map_invoice(load(v16), make_ctx())
	assert _shape(new.body) == _shape(old.body)
	assert (new.expected_total, new.expected_tax, new.body_total) == (
		old.expected_total,
		old.expected_tax,
		old.body_total,
	)
	assert [k.amount for k in new.known_differences] == [k.amount for k in old.known_differences]
	assert (new.predicted_tax, new.predicted_total) == (old.predicted_tax, old.predicted_total)


@pytest.mark.parametrize(("v15", "v16"), [(k, v) for k, v in V16_TWINS.items() if "/pe_" in v])
def test_payment_twins_map_to_the_same_qbo_payment(v15, v16):
	def refs(doc):
		return {ref["reference_name"]: str(130 + n) for n, ref in enumerate(doc["references"])}

	old_doc, new_doc = load(v15), load(v16)
	old = map_payment(old_doc, us_ctx(invoice_refs=refs(old_doc), deposit_account_ref="36"))
	new = map_payment(new_doc, us_ctx(invoice_refs=refs(new_doc), deposit_account_ref="36"))
	assert _shape(new.body) == _shape(old.body)
	assert (new.expected_total, new.expected_unapplied) == (old.expected_total, old.expected_unapplied)


@pytest.mark.parametrize("name", SHAPE)
def test_two_item_tax_templates_of_different_rates_give_each_line_its_own_code(name):
	"""0 % and 4.5 % templates beside the invoice's 8.875 %: each line gets its own QBO code, and the tax QBO
	computes from those codes is ERPNext's, so QBO's total is the grand total."""
	doc = load(name)
	mapped = map_invoice(doc, intl_ctx(tax_codes=INTL_CODES))
	assert _codes(mapped.body) == ["30", "40", "10", "10"]
	assert mapped.predicted_tax == mapped.expected_tax == Decimal("55.33")
	assert (
		mapped.predicted_total
		== mapped.expected_total
		== Decimal(str(doc["grand_total"]))
		== Decimal("1652.33")
	)


@pytest.mark.parametrize("name", SHAPE)
def test_a_us_company_gets_tax_and_non_per_line(name):
	mapped = map_invoice(load(name), us_ctx())
	assert _codes(mapped.body) == ["NON", "TAX", "TAX", "TAX"]
	assert mapped.body["TxnTaxDetail"]["TotalTax"] == 55.33
	assert mapped.body_total == mapped.expected_total == Decimal("1652.33")


@pytest.mark.parametrize("name", SHAPE)
def test_a_us_company_with_one_rate_refuses_a_reduced_rate_line_before_any_write(name):
	"""QBO US (without automated sales tax) applies one rate to every TAX line: 8.875 % of 897.00 is not the
	55.33 ERPNext charged, so nothing is sent; with automated sales tax QBO keeps ERPNext's tax."""
	doc = load(name)
	with pytest.raises(MappingError) as err:
		map_invoice(doc, us_ctx(tax_codes={"7": NY}))
	assert doc["name"] in str(err.value) and "55.33" in str(err.value) and "79.61" in str(err.value)
	mapped = map_invoice(doc, us_ctx(tax_codes={"7": NY}, automated_sales_tax=True))
	assert mapped.predicted_total == mapped.expected_total == Decimal("1652.33")


def _without_item_tax_rate(doc: dict[str, Any]) -> dict[str, Any]:
	for row in doc["items"]:
		row.pop("item_tax_rate", None)
	return doc


@pytest.mark.parametrize("name", ["v16/si_us_sales_tax", "v16/si_discounts", "v16/si_item_tax_templates"])
def test_erpnext_16s_table_alone_decides_a_line(name):
	"""With the per-line table and nothing else (no item_tax_rate, no JSON), the exempt lines stay NON:
	reading only the old JSON would fall back to the tax row's 8.875 % and tax them."""
	full = map_invoice(load(name), us_ctx())
	bare = map_invoice(_without_item_tax_rate(load(name)), us_ctx())
	assert "NON" in _codes(full.body)
	assert _codes(bare.body) == _codes(full.body)


def test_what_erpnext_computed_per_row_wins_over_the_template_map():
	doc = load("v16/si_us_sales_tax")
	exempt = doc["items"][0]
	assert exempt["item_tax_template"] == "NY Non-Taxable - QTC"
	exempt["item_tax_rate"] = json.dumps({"NY Sales Tax Payable - QTC": 8.875})  # disagrees with the table
	assert _codes(map_invoice(doc, us_ctx()).body)[0] == "NON"


def test_erpnext_15s_json_decides_a_line_whose_item_code_is_on_one_line_only():
	"""Without item_tax_rate, ERPNext 15's JSON still marks CONSULT-HR (one line) exempt; BRKT-AL-10 is on
	two lines at 4.5 % and 8.875 % but the JSON holds one entry for both, so it is not trusted for them."""
	doc = _without_item_tax_rate(load("v15/si_item_tax_templates"))
	detail = json.loads(doc["taxes"][0]["item_wise_tax_detail"])
	assert set(detail) == {"CONSULT-HR", "BRKT-AL-10", "LBL-4X6-500"} and detail["CONSULT-HR"][0] == 0
	assert _codes(map_invoice(doc, us_ctx()).body) == ["NON", "TAX", "TAX", "TAX"]
