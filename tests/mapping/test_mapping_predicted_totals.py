"""Totals before writes: the mapper predicts the tax and TotalAmt QBO will compute from the tax codes' rates
and refuses, naming the invoice, the template and both amounts, a document QBO would hold at another total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_testkit import INVOICE_FIXTURES, intl_ctx, load, us_ctx

from qbo_connector.mapping import MappingError, map_invoice
from qbo_connector.mapping.context import TaxCodeInfo

NY = TaxCodeInfo("7", "NY State+City 8.875%", (Decimal("4"), Decimal("4.875")))
CA = TaxCodeInfo("9", "California 7.25%", (Decimal("7.25"),))
SIX = TaxCodeInfo("12", "County 6%", (Decimal("6"),))
US_CODES = {"7": NY, "9": CA, "12": SIX, "8": TaxCodeInfo("8", "VAT 20%", (Decimal("20"),))}
INTL_CODES = {
	"10": TaxCodeInfo("10", "Sales 8.875%", (Decimal("8.875"),)),
	"20": TaxCodeInfo("20", "20.0% S", (Decimal("20"),)),
	"30": TaxCodeInfo("30", "Exempt", (), taxable=False),
	"31": TaxCodeInfo("31", "Zero-rated", (Decimal("0"),)),
	"40": TaxCodeInfo("40", "Reduced 4.5%", (Decimal("4.5"),)),
}
# A line taxed at 4.5 % beside lines at 8.875 %: a US company without automated sales tax applies one rate
# to every TAX line, so those invoices are refused there (tests/mapping/test_mapping_erpnext_versions.py).
US_ONE_RATE = tuple(name for name in INVOICE_FIXTURES if not name.endswith("si_item_tax_templates"))


@pytest.mark.parametrize("name", US_ONE_RATE)
def test_every_fixture_predicts_erpnext_tax_within_tolerance_us(name):
	doc = load(name)
	mapped = map_invoice(doc, us_ctx(tax_codes=US_CODES))
	assert mapped.predicted_tax is not None
	assert abs(mapped.predicted_tax - mapped.expected_tax) <= mapped.tolerance
	known = sum((k.amount for k in mapped.known_differences), Decimal(0))
	assert abs(mapped.predicted_total + known - mapped.expected_total) <= mapped.tolerance


@pytest.mark.parametrize("name", INVOICE_FIXTURES)
def test_every_fixture_predicts_erpnext_tax_within_tolerance_non_us(name):
	mapped = map_invoice(load(name), intl_ctx(tax_codes=INTL_CODES))
	assert abs(mapped.predicted_tax - mapped.expected_tax) <= mapped.tolerance


def test_unmapped_template_never_falls_back_to_a_default_code_of_another_rate():
	doc = load("si_us_sales_tax")  # 8.875 % in ERPNext, 92.25 tax
	ctx = us_ctx(tax_codes=US_CODES, tax_map={}, us_tax_code_ref="9")  # default: California 7.25 %
	with pytest.raises(MappingError) as err:
		map_invoice(doc, ctx)
	text = str(err.value)
	assert doc["name"] in text and err.value.field == "taxes_and_charges"
	assert "NY Sales Tax 8.875% - QTC" in text and "is not mapped" in text
	assert "92.25" in text and "75.36" in text  # ERPNext's tax and what QBO would compute
	assert "California 7.25%" in text and "7.25 %" in text and "8.875 %" in text


def test_unmapped_template_falls_back_where_the_rates_match():
	doc = load("si_us_sales_tax")
	mapped = map_invoice(doc, us_ctx(tax_codes=US_CODES, tax_map={}, us_tax_code_ref="7"))
	assert mapped.body["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "7"}
	assert mapped.predicted_tax == Decimal("92.25")


def test_a_mapped_code_with_another_rate_is_refused_too():
	doc = load("si_us_sales_tax")
	ctx = us_ctx(tax_codes=US_CODES, tax_map={"NY Sales Tax 8.875% - QTC": "12"})
	with pytest.raises(MappingError, match=r"County 6%.*mapped for tax template"):
		map_invoice(doc, ctx)


def test_automated_sales_tax_keeps_erpnexts_tax_whatever_the_code():
	doc = load("si_us_sales_tax")
	ctx = us_ctx(tax_codes=US_CODES, tax_map={}, us_tax_code_ref="9", automated_sales_tax=True)
	mapped = map_invoice(doc, ctx)
	assert mapped.predicted_tax == mapped.expected_tax == Decimal("92.25")
	assert mapped.body["TxnTaxDetail"]["TotalTax"] == 92.25


def test_a_code_qbo_does_not_have_is_named():
	doc = load("si_us_sales_tax")
	with pytest.raises(MappingError, match="no tax code with ID 7"):
		map_invoice(doc, us_ctx(tax_codes={}))


def test_an_inactive_code_is_refused():
	doc = load("si_us_sales_tax")
	inactive = TaxCodeInfo("7", "NY old", NY.rates, active=False)
	with pytest.raises(MappingError, match="inactive"):
		map_invoice(doc, us_ctx(tax_codes={"7": inactive}))


def test_non_us_inclusive_code_with_another_rate_is_refused_although_the_total_would_match():
	doc = load("si_tax_inclusive")  # 20 % VAT included
	codes = dict(INTL_CODES, **{"20": TaxCodeInfo("20", "5.0% R", (Decimal("5"),))})
	with pytest.raises(MappingError) as err:
		map_invoice(doc, intl_ctx(tax_codes=codes))
	assert "75.64" in str(err.value) and "5.0% R" in str(err.value)


def test_discount_share_is_taken_off_the_tax_base_as_qbo_does():
	doc = load("si_discounts")
	mapped = map_invoice(doc, us_ctx(tax_codes=US_CODES))
	assert mapped.body["ApplyTaxAfterDiscount"] is True
	assert abs(mapped.predicted_tax - Decimal("182.45")) <= mapped.tolerance


def test_tolerance_is_a_cent_per_rate_plus_one():
	mapped = map_invoice(load("si_us_sales_tax"), us_ctx(tax_codes=US_CODES))
	assert mapped.tolerance == Decimal("0.03")  # two rates in the NY group


def test_without_known_rates_there_is_no_prediction_beyond_the_body():
	mapped = map_invoice(load("si_us_sales_tax"), us_ctx())
	assert mapped.predicted_total == mapped.body_total and mapped.predicted_tax == mapped.expected_tax


def test_tax_codes_survive_the_settings_field_round_trip():
	from qbo_connector.mapping.context import tax_codes_from_json, tax_codes_to_json

	assert tax_codes_from_json(tax_codes_to_json(US_CODES)) == US_CODES
	assert tax_codes_from_json(None) is None and tax_codes_from_json("not json") is None
	assert tax_codes_to_json(None) is None
