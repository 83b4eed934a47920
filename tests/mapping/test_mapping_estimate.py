"""Quotation -> Estimate, from a real submitted ERPNext quotation (qtn_basic: 3 lines + an alternative item,
NY 8.875 % with the consulting line non-taxable through its Item Tax Template, valid for 30 days)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_testkit import intl_ctx, load, us_ctx

from qbo_connector.mapping.context import TaxCodeInfo
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.estimate import map_estimate


def test_quotation_becomes_an_estimate_with_erpnexts_total() -> None:
	quotation = load("qtn_basic")
	mapped = map_estimate(quotation, us_ctx())
	body = mapped.body
	assert mapped.entity == "Estimate"
	assert body["DocNumber"] == "SAL-QTN-2026-00001"
	assert body["TxnDate"] == quotation["transaction_date"]
	assert body["ExpirationDate"] == quotation["valid_till"]
	assert body["CustomerRef"] == {"value": "58"}
	assert "DueDate" not in body
	assert body["PrivateNote"].startswith("ERPNext Quotation SAL-QTN-2026-00001")
	lines = [line for line in body["Line"] if line["DetailType"] == "SalesItemLineDetail"]
	# the alternative LP-4200 row is not part of ERPNext's total, so not of the estimate
	assert [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in lines] == ["1", "2", "3"]
	assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines] == ["NON", "TAX", "TAX"]
	assert any("alternative items left off" in w and "LP-4200" in w for w in mapped.warnings)
	assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "7"}, "TotalTax": 87.82}
	assert mapped.expected_total == Decimal("3177.32")
	assert mapped.body_total == Decimal("3177.32")
	assert body["CustomerMemo"]["value"].startswith("Prices valid for 30 days")


def test_estimate_tax_is_predicted_from_the_qbo_code() -> None:
	ctx = us_ctx(tax_codes={"7": TaxCodeInfo(id="7", name="NY", rates=(Decimal("8.875"),))})
	mapped = map_estimate(load("qtn_basic"), ctx)
	assert mapped.predicted_tax == Decimal("87.82")
	wrong = us_ctx(tax_codes={"7": TaxCodeInfo(id="7", name="CA 7.25%", rates=(Decimal("7.25"),))})
	with pytest.raises(MappingError) as caught:
		map_estimate(load("qtn_basic"), wrong)
	assert caught.value.doctype == "Quotation" and caught.value.field == "taxes_and_charges"


def test_errors_name_the_quotation_and_its_own_fields() -> None:
	quotation = load("qtn_basic")
	quotation["transaction_date"] = "2026-02-30"
	with pytest.raises(MappingError) as caught:
		map_estimate(quotation, us_ctx())
	assert caught.value.doctype == "Quotation"
	assert caught.value.field == "transaction_date"
	assert str(caught.value).startswith("Quotation SAL-QTN-2026-00001, field 'transaction_date'")

	eur = load("qtn_basic")
	eur["currency"] = "EUR"
	with pytest.raises(MappingError) as caught:
		map_estimate(eur, us_ctx(multicurrency=False))
	assert caught.value.field == "currency" and "the quotation is in EUR" in caught.value.message

	unmapped = load("qtn_basic")
	with pytest.raises(MappingError) as caught:
		map_estimate(unmapped, us_ctx(customer_ref=None))
	assert caught.value.field == "party_name"


def test_a_quotation_to_a_lead_is_refused_naming_the_field() -> None:
	lead = dict(load("qtn_basic"), quotation_to="Lead", party_name="CRM-LEAD-2026-00001")
	with pytest.raises(MappingError) as caught:
		map_estimate(lead, us_ctx())
	assert caught.value.field == "quotation_to"


def test_only_alternative_rows_is_an_empty_quotation() -> None:
	quotation = load("qtn_basic")
	for row in quotation["items"]:
		row["is_alternative"] = 1
	with pytest.raises(MappingError) as caught:
		map_estimate(quotation, us_ctx())
	assert caught.value.field == "items"


def test_non_us_estimate_carries_tax_codes_per_line() -> None:
	mapped = map_estimate(load("qtn_basic"), intl_ctx())
	body = mapped.body
	assert body["GlobalTaxCalculation"] == "TaxExcluded"
	codes = [
		line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
		for line in body["Line"]
		if line["DetailType"] == "SalesItemLineDetail"
	]
	assert codes == ["30", "10", "10"]
