"""Sales Invoice -> QBO Invoice/CreditMemo, starting from the real ERPNext documents in tests/fixtures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_testkit import INVOICE_FIXTURES, body_sum, discount_lines, intl_ctx, item_lines, load, us_ctx

from qbo_connector.mapping import MappingError, explain_total_difference, map_invoice, q2


def _context_params():
	for name in INVOICE_FIXTURES:
		yield pytest.param(name, us_ctx(rounding_item_ref="99"), id=f"{name}-us")
		yield pytest.param(name, us_ctx(), id=f"{name}-us-no-rounding-item")
		yield pytest.param(name, intl_ctx(rounding_item_ref="99"), id=f"{name}-intl")


CONTEXTS = list(_context_params())


@pytest.mark.parametrize(("name", "ctx"), CONTEXTS)
def test_every_line_amount_is_qty_times_unit_price(name, ctx):
	"""QBO refuses a line whose Amount is not Qty x UnitPrice to the cent (fault 6070)."""
	mapped = map_invoice(load(name), ctx)
	for line in item_lines(mapped.body):
		detail = line["SalesItemLineDetail"]
		assert q2(Decimal(str(detail["Qty"])) * Decimal(str(detail["UnitPrice"]))) == q2(line["Amount"]), line
		assert Decimal(str(detail["UnitPrice"])).as_tuple().exponent >= -7


@pytest.mark.parametrize(("name", "ctx"), CONTEXTS)
def test_reported_difference_is_what_the_body_misses(name, ctx):
	"""expected_total - what the body adds up to == the sum of the known differences, always."""
	mapped = map_invoice(load(name), ctx)
	gross = mapped.body.get("GlobalTaxCalculation") == "TaxInclusive"
	added = body_sum(mapped.body, include_tax=ctx.is_us)
	if not ctx.is_us and not gross:
		added += mapped.expected_tax  # non-US TaxExcluded: QBO computes the tax from the codes
	assert added == mapped.body_total
	assert mapped.expected_total - added == sum((k.amount for k in mapped.known_differences), Decimal(0))


# fixture -> (expected_total, expected - body in a US company with a Rounding item, without one)
US_DIFFERENCES = {
	"si_basic": ("1844.00", "0", "0"),
	"si_us_sales_tax": ("2181.65", "0", "0"),
	"si_discounts": ("2570.76", "0.01", "0.01"),
	"si_tax_inclusive": ("453.83", "-0.01", "-0.01"),
	"si_rounding": ("109.00", "0", "0.14"),
	"si_eur": ("10050.00", "0", "0"),
	"si_return": ("201.42", "0", "0"),
	"si_long_text": ("1249.00", "0", "0"),
	"si_with_service_dates": ("3100.00", "0", "0"),
	"si_cancelled": ("135.82", "0", "0"),
	"si_amended": ("162.99", "0", "0"),
	"v15/si_item_tax_templates": ("1652.33", "0", "0"),
	"v16/si_basic": ("1844.00", "0", "0"),
	"v16/si_us_sales_tax": ("2181.65", "0", "0"),
	"v16/si_discounts": ("2570.76", "0.01", "0.01"),
	"v16/si_return": ("201.42", "0", "0"),
	"v16/si_item_tax_templates": ("1652.33", "0", "0"),
}


def test_difference_table_covers_every_fixture():
	assert set(US_DIFFERENCES) == set(INVOICE_FIXTURES)


@pytest.mark.parametrize("name", INVOICE_FIXTURES)
def test_exact_reported_difference_per_fixture(name):
	total, with_item, without_item = (Decimal(v) for v in US_DIFFERENCES[name])
	for ctx, diff in ((us_ctx(rounding_item_ref="99"), with_item), (us_ctx(), without_item)):
		mapped = map_invoice(load(name), ctx)
		assert mapped.expected_total == total
		assert mapped.expected_total - body_sum(mapped.body) == diff
		if diff:
			assert explain_total_difference(mapped, body_sum(mapped.body)).startswith(
				f"QuickBooks total {body_sum(mapped.body):.2f} is {abs(diff):.2f}"
			)
		else:
			assert mapped.known_differences == []


def test_basic_two_plain_lines():
	mapped = map_invoice(load("si_basic"), us_ctx())
	body = mapped.body
	assert mapped.entity == "Invoice" and mapped.warnings == []
	assert body["CustomerRef"] == {"value": "58"}
	assert body["DocNumber"] == "ACC-SINV-2026-00002"
	assert body["TxnDate"] == "2026-11-21" and body["DueDate"] == "2026-12-21"
	assert body["PrivateNote"].startswith("ERPNext Sales Invoice ACC-SINV-2026-00002")
	assert "PO-77120" in body["PrivateNote"]
	assert body["CustomerMemo"] == {"value": "Against Customer Order PO-77120 dated 11-18-2026"}
	lines = item_lines(body)
	assert [(line["SalesItemLineDetail"]["ItemRef"]["value"], line["Amount"]) for line in lines] == [
		("1", 1400.0),
		("2", 444.0),
	]
	assert [line["SalesItemLineDetail"]["Qty"] for line in lines] == [8.0, 24.0]
	assert [line["SalesItemLineDetail"]["UnitPrice"] for line in lines] == [175.0, 18.5]
	assert lines[0]["Description"] == "Senior consultant time, billed per hour"
	# no tax rows: every line NON and no tax detail; USD in a USD company: no currency fields
	assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines} == {"NON"}
	assert "TxnTaxDetail" not in body and "ExchangeRate" not in body
	assert body["CurrencyRef"] == {"value": "USD"}  # multicurrency is on: say the currency, even home
	assert mapped.expected_tax == Decimal("0.00")
	assert explain_total_difference(mapped, "1844.00") == "QuickBooks total 1844.00 equals ERPNext's 1844.00."


def test_us_sales_tax_marks_the_exempt_line_non():
	mapped = map_invoice(load("si_us_sales_tax"), us_ctx())
	codes = [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in item_lines(mapped.body)]
	assert codes == ["NON", "TAX", "TAX"]  # CONSULT-HR carries the 0 % Item Tax Template
	assert mapped.body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "7"}, "TotalTax": 92.25}
	assert mapped.expected_tax == Decimal("92.25") and mapped.expected_total == Decimal("2181.65")
	assert "ApplyTaxAfterDiscount" not in mapped.body


def test_discounts_keep_line_discount_in_rate_and_send_pre_tax_additional_discount():
	mapped = map_invoice(load("si_discounts"), us_ctx())
	lines = item_lines(mapped.body)
	# the 10 % line discount is already in rate 16.65: no second reduction
	assert lines[0]["SalesItemLineDetail"]["UnitPrice"] == 16.65 and lines[0]["Amount"] == 1665.0
	assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines] == ["TAX", "TAX", "NON"]
	(discount,) = discount_lines(mapped.body)
	assert discount["Amount"] == 125.7  # pre-tax reduction, not ERPNext's 135.30 discount_amount
	assert discount["DiscountLineDetail"] == {"PercentBased": False, "DiscountAccountRef": {"value": "86"}}
	assert mapped.body["Line"][-1] is discount
	assert mapped.body["ApplyTaxAfterDiscount"] is True
	assert mapped.body["TxnTaxDetail"]["TotalTax"] == 182.45
	assert "CustomerMemo" not in mapped.body  # "No Remarks" is ERPNext's default, not a message
	assert mapped.expected_total == Decimal("2570.76") and mapped.body_total == Decimal("2570.75")
	(known,) = mapped.known_differences
	assert known.kind == "grand_total_discount_cent" and known.amount == Decimal("0.01")
	text = explain_total_difference(mapped, Decimal("2570.75"))
	assert text.startswith("QuickBooks total 2570.75 is 0.01 less than ERPNext's 2570.76.")
	assert "Grand Total discount" in text and "2570.75" in text


def test_discount_without_discount_account_lets_qbo_use_its_default():
	mapped = map_invoice(load("si_discounts"), us_ctx(discount_account_ref=None))
	assert discount_lines(mapped.body)[0]["DiscountLineDetail"] == {"PercentBased": False}


def test_tax_inclusive_in_a_us_company_sends_net_lines_and_reports_the_cent():
	mapped = map_invoice(load("si_tax_inclusive"), us_ctx())
	lines = item_lines(mapped.body)
	# net_amount 249.92 / 10 and 128.28 / 7: ERPNext's net_rate (24.99, 18.33) would break Qty x UnitPrice
	assert [
		(line["SalesItemLineDetail"]["Qty"], line["SalesItemLineDetail"]["UnitPrice"], line["Amount"])
		for line in lines
	] == [
		(10.0, 24.992, 249.92),
		(7.0, 18.326, 128.28),
	]
	assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines} == {"TAX"}
	assert mapped.body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "8"}, "TotalTax": 75.64}
	assert mapped.expected_total == Decimal("453.83") and mapped.body_total == Decimal("453.84")
	assert any("net of tax" in w for w in mapped.warnings)
	(known,) = mapped.known_differences
	assert known.kind == "tax_inclusive_cent" and known.amount == Decimal("-0.01")
	text = explain_total_difference(mapped, "453.84")
	assert text.startswith("QuickBooks total 453.84 is 0.01 more than ERPNext's 453.83.")
	assert "tax-inclusive" in text


def test_tax_inclusive_in_a_non_us_company_sends_gross_lines():
	mapped = map_invoice(load("si_tax_inclusive"), intl_ctx())
	body = mapped.body
	assert body["GlobalTaxCalculation"] == "TaxInclusive"
	assert "TxnTaxDetail" not in body
	lines = item_lines(body)
	assert [(line["SalesItemLineDetail"]["UnitPrice"], line["Amount"]) for line in lines] == [
		(29.99, 299.9),
		(21.99, 153.93),
	]
	assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines} == {"20"}
	assert mapped.body_total == mapped.expected_total == Decimal("453.83")
	assert mapped.known_differences == []


def test_non_us_tax_excluded_with_exempt_line_and_discount():
	mapped = map_invoice(load("si_discounts"), intl_ctx())
	assert mapped.body["GlobalTaxCalculation"] == "TaxExcluded"
	codes = [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in item_lines(mapped.body)]
	assert codes == ["10", "10", "30"]  # the exempt line through its mapped Item Tax Template
	assert discount_lines(mapped.body)[0]["Amount"] == 125.7
	assert "ApplyTaxAfterDiscount" not in mapped.body and "TxnTaxDetail" not in mapped.body


def test_non_us_without_taxes_is_not_applicable():
	mapped = map_invoice(load("si_basic"), intl_ctx(exempt_tax_code=None))
	assert mapped.body["GlobalTaxCalculation"] == "NotApplicable"
	assert all("TaxCodeRef" not in line["SalesItemLineDetail"] for line in item_lines(mapped.body))
	with_exempt = map_invoice(load("si_basic"), intl_ctx())
	assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in item_lines(with_exempt.body)} == {
		"31"
	}


def test_rounding_goes_on_the_rounding_item():
	mapped = map_invoice(load("si_rounding"), us_ctx(rounding_item_ref="99"))
	lines = item_lines(mapped.body)
	assert lines[0]["SalesItemLineDetail"]["UnitPrice"] == 33.33 and lines[0]["Amount"] == 99.99
	rounding = mapped.body["Line"][-1]
	assert rounding["Amount"] == 0.14
	assert rounding["SalesItemLineDetail"] == {
		"ItemRef": {"value": "99"},
		"Qty": 1,
		"UnitPrice": 0.14,
		"TaxCodeRef": {"value": "NON"},
	}
	assert mapped.expected_total == mapped.body_total == Decimal("109.00")
	assert mapped.warnings == [] and mapped.known_differences == []


def test_rounding_without_rounding_item_warns_and_reports():
	mapped = map_invoice(load("si_rounding"), us_ctx())
	assert len(item_lines(mapped.body)) == 1
	assert mapped.expected_total == Decimal("109.00") and mapped.body_total == Decimal("108.86")
	assert any("0.14" in w and "Rounding item" in w for w in mapped.warnings)
	(known,) = mapped.known_differences
	assert known.kind == "rounding_not_mapped" and known.amount == Decimal("0.14")
	text = explain_total_difference(mapped, "108.86")
	assert "0.14 less" in text and "no Rounding item" in text


def test_rounding_disabled_uses_grand_total():
	doc = load("si_rounding")
	doc.update(disable_rounded_total=1, rounded_total=0, rounding_adjustment=0)
	mapped = map_invoice(doc, us_ctx(rounding_item_ref="99"))
	assert mapped.expected_total == Decimal("108.86") and len(item_lines(mapped.body)) == 1


def test_eur_invoice_with_multicurrency():
	mapped = map_invoice(load("si_eur"), us_ctx())
	assert mapped.body["CurrencyRef"] == {"value": "EUR"}
	assert mapped.body["ExchangeRate"] == 1.08
	assert [line["Amount"] for line in item_lines(mapped.body)] == [8450.0, 1600.0]  # EUR, not base_* USD
	assert mapped.expected_total == Decimal("10050.00")


def test_eur_invoice_without_multicurrency_names_the_currency_field():
	with pytest.raises(MappingError) as caught:
		map_invoice(load("si_eur"), us_ctx(multicurrency=False))
	assert caught.value.field == "currency"
	assert str(caught.value).startswith("Sales Invoice ACC-SINV-2026-00007, field 'currency': ")
	assert "EUR" in str(caught.value)


def test_return_becomes_a_credit_memo_with_positive_amounts():
	mapped = map_invoice(load("si_return"), us_ctx())
	assert mapped.entity == "CreditMemo"
	(line,) = item_lines(mapped.body)
	assert (line["SalesItemLineDetail"]["Qty"], line["SalesItemLineDetail"]["UnitPrice"], line["Amount"]) == (
		10.0,
		18.5,
		185.0,
	)
	assert line["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
	assert mapped.body["TxnTaxDetail"]["TotalTax"] == 16.42
	assert mapped.expected_total == Decimal("201.42") and mapped.expected_tax == Decimal("16.42")
	assert "DueDate" not in mapped.body  # a CreditMemo has none
	assert "return against ACC-SINV-2026-00003" in mapped.body["PrivateNote"]
	assert mapped.body["CustomerMemo"]["value"] == "10 brackets returned damaged in transit (RMA-3318)"


def test_long_text_description_is_plain_and_cut_with_a_warning():
	mapped = map_invoice(load("si_long_text"), us_ctx())
	(line,) = item_lines(mapped.body)
	description = line["Description"]
	assert len(description) == 4000 and description.endswith("\u2026")
	assert "<" not in description and "&amp;" not in description and "&" in description
	assert description.startswith("The LP-4200 is a 4-inch industrial direct-thermal & thermal-transfer")
	assert any(w.startswith("items[1].description cut to 4000") for w in mapped.warnings)
	# the 300-character remark fits the 1000-character customer message whole
	assert mapped.body["CustomerMemo"]["value"] == load("si_long_text")["remarks"]


def test_long_remarks_are_cut_to_1000():
	doc = load("si_basic")
	doc["remarks"] = "word " * 400
	mapped = map_invoice(doc, us_ctx())
	assert len(mapped.body["CustomerMemo"]["value"]) == 1000
	assert any("remarks cut" in w for w in mapped.warnings)


def test_service_dates_and_due_date():
	mapped = map_invoice(load("si_with_service_dates"), us_ctx())
	body = mapped.body
	assert body["TxnDate"] == "2026-09-01"
	assert body["DueDate"] == "2026-10-16"  # ERPNext's due_date, not recomputed from the terms
	deferred, plain = item_lines(body)
	assert deferred["SalesItemLineDetail"]["ServiceDate"] == "2026-09-01"
	assert deferred["Description"].endswith("\nService period 2026-09-01 to 2027-08-31")
	assert "ServiceDate" not in plain["SalesItemLineDetail"]


def test_amended_invoice_number_fits_exactly():
	mapped = map_invoice(load("si_amended"), us_ctx())
	assert mapped.body["DocNumber"] == "ACC-SINV-2026-00011-1" and len(mapped.body["DocNumber"]) == 21
	assert "amends ACC-SINV-2026-00011" in mapped.body["PrivateNote"]


def test_amended_invoice_number_with_prefix_is_shortened_stably():
	ctx = us_ctx(doc_number_prefix="ERP-")
	first = map_invoice(load("si_amended"), ctx).body
	again = map_invoice(load("si_amended"), ctx).body
	cancelled = map_invoice(load("si_cancelled"), ctx).body
	number = first["DocNumber"]
	assert number == again["DocNumber"]
	assert len(number) <= 21 and number.startswith("ERP-") and number.endswith("~00011-1")
	assert (
		cancelled["DocNumber"] != number
		and cancelled["DocNumber"] == "ERP-" + cancelled["DocNumber"][4:10] + "~2026-00011"
	)
	assert "number shortened from ERP-ACC-SINV-2026-00011-1" in first["PrivateNote"]


def test_cancelled_invoice_maps_but_warns():
	mapped = map_invoice(load("si_cancelled"), us_ctx())
	assert any("cancelled" in w for w in mapped.warnings)
	assert mapped.expected_total == Decimal("135.82")


def test_draft_is_refused():
	doc = load("si_basic")
	doc["docstatus"] = 0
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, us_ctx())
	assert caught.value.field == "docstatus"


def test_home_currency_invoice_carries_currency_ref_only_when_multicurrency_is_on():
	"""With multicurrency on QBO takes a missing CurrencyRef from the customer, who may be in another one."""
	on = map_invoice(load("si_basic"), us_ctx(multicurrency=True)).body
	off = map_invoice(load("si_basic"), us_ctx(multicurrency=False)).body
	assert on["CurrencyRef"] == {"value": "USD"} and "ExchangeRate" not in on
	assert "CurrencyRef" not in off
