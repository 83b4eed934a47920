"""Invoice rules beyond the fixtures: unit prices, DocNumber shortening, tax codes, discounts, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_testkit import body_sum, discount_lines, intl_ctx, item_lines, load, us_ctx

from qbo_connector.mapping import (
	MappingError,
	doc_number,
	explain_total_difference,
	fit_unit_price,
	invoice_sparse_changes,
	map_invoice,
	q2,
)


@pytest.mark.parametrize(
	("qty", "amount", "rate", "expected"),
	[
		("8", "1400.00", "175", ("8", "175", True)),  # ERPNext's rate is kept when it works
		("3", "99.99", "33.33", ("3", "33.33", True)),
		("10", "249.92", "24.99", ("10", "24.992", True)),  # fewest decimals that hit the cent
		("7", "128.28", "18.33", ("7", "18.326", True)),
		("3", "100.00", "33.33", ("3", "33.333", True)),
		("0", "0", "5", ("0", "5", True)),
		("0", "5.00", "5", ("1", "5.00", False)),
		("30000000", "1000000.01", "0.03", ("1", "1000000.01", False)),  # nothing with 7 decimals works
	],
)
def test_fit_unit_price(qty, amount, rate, expected):
	got_qty, price, kept = fit_unit_price(Decimal(qty), Decimal(amount), Decimal(rate))
	assert (got_qty, price, kept) == (Decimal(expected[0]), Decimal(expected[1]), expected[2])
	assert q2(got_qty * price) == q2(amount)


def test_unfittable_quantity_becomes_qty_one_with_description():
	doc = load("si_basic")
	row = doc["items"][1]
	row.update(qty=30000000.0, rate=0.03, amount=1000000.01, net_rate=0.03, net_amount=1000000.01)
	doc.update(total=1001400.01, net_total=1001400.01, grand_total=1001400.01, rounded_total=1001400.01)
	mapped = map_invoice(doc, us_ctx())
	line = item_lines(mapped.body)[1]
	assert (line["SalesItemLineDetail"]["Qty"], line["SalesItemLineDetail"]["UnitPrice"]) == (1.0, 1000000.01)
	assert line["Description"].endswith("\n30000000 Nos x 0.03")
	assert any(w.startswith("items[2]: no unit price") for w in mapped.warnings)
	assert mapped.known_differences == []


def test_doc_number_unchanged_when_it_fits():
	assert doc_number("ACC-SINV-2026-00002") == "ACC-SINV-2026-00002"
	assert doc_number("ACC-SINV-2026-00011-1") == "ACC-SINV-2026-00011-1"
	assert doc_number("SINV-00002", "ERP-") == "ERP-SINV-00002"


def test_doc_number_shortening_keeps_the_tail_and_is_unique():
	tenth = doc_number("ACC-SINV-2026-00011-10")  # a tenth amendment is 22 characters
	assert len(tenth) <= 21 and tenth.endswith("~2026-00011-10")
	seen = {}
	for year in (2025, 2026):
		for number in range(1, 1500):
			for suffix in ("", "-1", "-2", "-10"):
				name = f"ACC-SINV-{year}-{number:05d}{suffix}"
				short = doc_number(name, "ERP-")
				assert len(short) <= 21 and short.startswith("ERP-")
				assert short.endswith(f"{number:05d}{suffix}")
				assert short == doc_number(name, "ERP-")
				assert seen.setdefault(short, name) == name, (short, name)


def test_doc_number_with_a_long_prefix_hashes_the_whole():
	short = doc_number("ACC-SINV-2026-00011-1", "NORTHWIND-")
	assert short.startswith("NORTHW") and len(short) <= 21 and short.endswith("~00011-1")
	assert short != doc_number("ACC-SINV-2026-00011-1", "NORTHWINE-")


def test_unmapped_item_uses_the_default_or_names_the_row():
	ctx = us_ctx(item_refs={"CONSULT-HR": "1"})
	with pytest.raises(MappingError) as caught:
		map_invoice(load("si_basic"), ctx)
	assert caught.value.field == "items[2].item_code"
	assert str(caught.value) == (
		"Sales Invoice ACC-SINV-2026-00002, field 'items[2].item_code': no QuickBooks item is mapped for "
		"item 'BRKT-AL-10' and no default item is set"
	)
	mapped = map_invoice(load("si_basic"), us_ctx(item_refs={"CONSULT-HR": "1"}, default_item_ref="77"))
	assert [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in item_lines(mapped.body)] == [
		"1",
		"77",
	]


def test_row_without_item_code():
	doc = load("si_basic")
	doc["items"][0]["item_code"] = None
	with pytest.raises(MappingError, match="no item code"):
		map_invoice(doc, us_ctx())


def test_missing_customer_and_empty_items():
	with pytest.raises(MappingError) as caught:
		map_invoice(load("si_basic"), us_ctx(customer_ref=None))
	assert caught.value.field == "customer"
	doc = load("si_basic")
	doc["items"] = []
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, us_ctx())
	assert caught.value.field == "items"


def test_us_tax_code_lookup_order():
	doc = load("si_us_sales_tax")
	by_account = map_invoice(doc, us_ctx(tax_map={"NY Sales Tax Payable - QTC": "9"}))
	assert by_account.body["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "9"}
	by_group = map_invoice(doc, us_ctx(tax_map={}, us_tax_code_ref="5", default_tax_code="6"))
	assert by_group.body["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "5"}
	by_default = map_invoice(doc, us_ctx(tax_map={}, default_tax_code="6"))
	assert by_default.body["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "6"}
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, us_ctx(tax_map={}))
	assert caught.value.field == "taxes_and_charges" and "NY Sales Tax 8.875% - QTC" in caught.value.message
	doc["taxes_and_charges"] = None
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, us_ctx(tax_map={}))
	assert caught.value.field == "taxes[1].account_head"


def test_taxability_from_item_wise_detail_when_item_tax_rate_is_missing():
	doc = load("si_us_sales_tax")
	for row in doc["items"]:
		row["item_tax_rate"] = None  # e.g. an imported invoice
	codes = [
		line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
		for line in item_lines(map_invoice(doc, us_ctx()).body)
	]
	assert codes == ["NON", "TAX", "TAX"]


def test_item_wise_detail_is_not_trusted_for_a_repeated_item_code():
	doc = load("si_us_sales_tax")
	extra = dict(doc["items"][0], idx=4, item_tax_rate="{}", item_tax_template=None)
	doc["items"].append(extra)  # same CONSULT-HR code, this time taxable at the template's rate
	doc["items"][0]["item_tax_rate"] = '{"NY Sales Tax Payable - QTC": 0.0}'
	codes = [
		line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
		for line in item_lines(map_invoice(doc, us_ctx()).body)
	]
	assert codes == ["NON", "TAX", "TAX", "TAX"]


def test_zero_rate_tax_row_makes_lines_non():
	doc = load("si_amended")
	doc["taxes"][0]["rate"] = 0.0
	doc["taxes"][0]["item_wise_tax_detail"] = "{}"
	assert item_lines(map_invoice(doc, us_ctx()).body)[0]["SalesItemLineDetail"]["TaxCodeRef"] == {
		"value": "NON"
	}


def test_non_us_needs_codes_for_taxed_and_exempt_lines():
	doc = load("si_us_sales_tax")
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, intl_ctx(tax_map={"NY Sales Tax 8.875% - QTC": "10"}, exempt_tax_code=None))
	assert caught.value.field == "items[1].item_tax_template"
	mapped = map_invoice(doc, intl_ctx(tax_map={"NY Sales Tax 8.875% - QTC": "10"}))
	codes = [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in item_lines(mapped.body)]
	assert codes == ["31", "10", "10"]
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, intl_ctx(tax_map={}))
	assert caught.value.field == "taxes_and_charges"
	fallback = map_invoice(doc, intl_ctx(tax_map={}, default_tax_code="3"))
	assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in item_lines(fallback.body)] == [
		"31",
		"3",
		"3",
	]


def test_non_us_mixed_inclusive_rows_are_refused():
	doc = load("si_tax_inclusive")
	doc["taxes"].append(
		dict(doc["taxes"][0], idx=2, included_in_print_rate=0, charge_type="Actual", tax_amount=5.0)
	)
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, intl_ctx())
	assert caught.value.field == "taxes"


def test_fixed_charge_tax_rows_are_flagged():
	doc = load("si_basic")
	doc["taxes"] = [
		{
			"idx": 1,
			"charge_type": "Actual",
			"account_head": "Freight - QTC",
			"description": "Freight",
			"rate": 0,
			"tax_amount": 25.0,
			"item_wise_tax_detail": "{}",
			"included_in_print_rate": 0,
		}
	]
	doc.update(total_taxes_and_charges=25.0, grand_total=1869.0, rounded_total=1869.0)
	mapped = map_invoice(doc, us_ctx(tax_map={"Freight - QTC": "4"}))
	assert any("'Freight' is a fixed charge" in w for w in mapped.warnings)
	assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in item_lines(mapped.body)} == {"NON"}
	assert mapped.body["TxnTaxDetail"]["TotalTax"] == 25.0 and mapped.known_differences == []


def _inclusive_with_discount() -> dict:
	"""si_tax_inclusive with a 5 % Grand Total discount, figures as ERPNext distributes them."""
	doc = load("si_tax_inclusive")
	first, second = doc["items"]
	first.update(distributed_discount_amount=12.50, net_amount=237.42, net_rate=23.74)
	second.update(distributed_discount_amount=6.41, net_amount=121.87, net_rate=17.41)
	doc.update(
		additional_discount_percentage=5.0,
		discount_amount=22.69,
		net_total=359.29,
		total_taxes_and_charges=71.86,
		grand_total=431.14,
		rounded_total=431.14,
	)
	return doc


def test_us_tax_inclusive_with_discount_adds_back_distributed_discount_once():
	mapped = map_invoice(_inclusive_with_discount(), us_ctx())
	assert [line["Amount"] for line in item_lines(mapped.body)] == [249.92, 128.28]
	assert discount_lines(mapped.body)[0]["Amount"] == 18.91  # 12.50 + 6.41, the pre-tax reduction
	assert body_sum(mapped.body) == Decimal("431.15")
	(known,) = mapped.known_differences
	assert known.kind == "grand_total_discount_cent" and known.amount == Decimal("-0.01")


def test_non_us_tax_inclusive_discount_is_gross():
	mapped = map_invoice(_inclusive_with_discount(), intl_ctx())
	assert [line["Amount"] for line in item_lines(mapped.body)] == [299.9, 153.93]
	assert discount_lines(mapped.body)[0]["Amount"] == 22.69
	assert mapped.body_total == mapped.expected_total == Decimal("431.14")


def test_cash_discount_is_taken_after_tax():
	doc = load("si_basic")
	doc.update(
		is_cash_or_non_trade_discount=1, discount_amount=44.0, grand_total=1800.0, rounded_total=1800.0
	)
	mapped = map_invoice(doc, us_ctx())
	assert discount_lines(mapped.body)[0]["Amount"] == 44.0
	assert mapped.body["ApplyTaxAfterDiscount"] is False  # said explicitly, not left to QBO's preference
	assert mapped.body_total == mapped.expected_total == Decimal("1800.00")
	assert any("cash/non-trade discount" in w for w in mapped.warnings)


def test_negative_discount_is_refused():
	doc = load("si_basic")
	doc["net_total"] = 1900.0
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, us_ctx())
	assert caught.value.field == "discount_amount"


@pytest.mark.parametrize(("name", "cent"), [("si_discounts", "0.01"), ("si_tax_inclusive", "-0.01")])
def test_absorbing_the_cent_puts_it_on_the_rounding_line(name, cent):
	mapped = map_invoice(load(name), us_ctx(rounding_item_ref="99", absorb_cent_differences=True))
	rounding = mapped.body["Line"][-1]
	assert rounding["SalesItemLineDetail"]["ItemRef"] == {"value": "99"}
	assert rounding["Amount"] == float(cent)
	assert body_sum(mapped.body) == mapped.expected_total == mapped.body_total
	assert mapped.known_differences == []
	assert any(w.startswith(f"{cent} added to the rounding line") for w in mapped.warnings)


def test_absorbing_without_a_rounding_item_still_reports():
	mapped = map_invoice(load("si_discounts"), us_ctx(absorb_cent_differences=True))
	assert [k.kind for k in mapped.known_differences] == ["grand_total_discount_cent"]


def test_rounding_line_in_a_non_us_company_uses_the_exempt_code():
	mapped = map_invoice(load("si_rounding"), intl_ctx(rounding_item_ref="99"))
	assert mapped.body["Line"][-1]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "31"}
	without = map_invoice(load("si_rounding"), intl_ctx(rounding_item_ref="99", exempt_tax_code=None))
	assert "TaxCodeRef" not in without.body["Line"][-1]["SalesItemLineDetail"]


def test_an_unexplained_difference_is_called_unexplained():
	mapped = map_invoice(load("si_us_sales_tax"), us_ctx())
	text = explain_total_difference(mapped, "2181.75")
	assert text.startswith("QuickBooks total 2181.75 is 0.10 more than ERPNext's 2181.65.")
	assert "Unexplained" in text and "changed in QuickBooks" in text
	both = explain_total_difference(map_invoice(load("si_discounts"), us_ctx()), "2570.70")
	assert "Grand Total discount" in both and "Unexplained" in both


def test_a_difference_the_tax_codes_predicted_is_named_as_such():
	from decimal import Decimal as Dec

	from qbo_connector.mapping.context import TaxCodeInfo

	codes = {"7": TaxCodeInfo("7", "NY", (Dec("4"), Dec("4.875")))}
	mapped = map_invoice(load("si_us_sales_tax"), us_ctx(tax_codes=codes))
	mapped.predicted_total, mapped.predicted_tax = (
		Dec("2181.67"),
		Dec("92.27"),
	)  # a cent per rate from ERPNext
	text = explain_total_difference(mapped, "2181.67")
	assert "computed the tax from its tax code's rates" in text and "Unexplained" not in text


def test_invoice_period_dates():
	doc = load("si_basic")
	doc["from_date"] = "2026-11-01"
	ctx = us_ctx(txn_date_mode="invoice_period")
	mapped = map_invoice(doc, ctx)
	assert mapped.body["TxnDate"] == "2026-11-01"
	assert {line["SalesItemLineDetail"]["ServiceDate"] for line in item_lines(mapped.body)} == {"2026-11-21"}
	plain = map_invoice(load("si_basic"), ctx)
	assert plain.body["TxnDate"] == "2026-11-21"
	assert all("ServiceDate" not in line["SalesItemLineDetail"] for line in item_lines(plain.body))
	dated = map_invoice(load("si_with_service_dates"), ctx)
	assert item_lines(dated.body)[0]["SalesItemLineDetail"]["ServiceDate"] == "2026-09-01"


def test_bill_email_only_when_valid():
	doc = load("si_basic")
	assert map_invoice(doc, us_ctx()).body["BillEmail"] == {
		"Address": "siobhan.obrien@obrien-son.example.com"
	}
	doc["contact_email"] = "not-an-address"
	assert "BillEmail" not in map_invoice(doc, us_ctx()).body


def test_missing_exchange_rate():
	doc = load("si_eur")
	doc["conversion_rate"] = 0
	with pytest.raises(MappingError) as caught:
		map_invoice(doc, us_ctx())
	assert caught.value.field == "conversion_rate"


def test_invoice_sparse_changes_follow_the_due_date():
	erp = load("si_with_service_dates")
	qbo = {"Id": "130", "SyncToken": "2", "DueDate": "2026-10-16", "TotalAmt": 3100.0}
	assert invoice_sparse_changes(erp, qbo, us_ctx()) is None
	erp["due_date"] = "2026-11-30"
	assert invoice_sparse_changes(erp, qbo, us_ctx()) == {
		"Id": "130",
		"SyncToken": "2",
		"sparse": True,
		"DueDate": "2026-11-30",
	}
	assert invoice_sparse_changes(load("si_return"), qbo, us_ctx()) is None


def test_item_tax_rate_as_dict_or_list():
	doc = load("si_us_sales_tax")
	doc["items"][0]["item_tax_rate"] = {"NY Sales Tax Payable - QTC": 0}  # already parsed
	doc["items"][2]["item_tax_rate"] = "[1, 2]"  # valid JSON, not a per-account map: the row's rate applies
	codes = [
		line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
		for line in item_lines(map_invoice(doc, us_ctx()).body)
	]
	assert codes == ["NON", "TAX", "TAX"]


def test_item_tax_rate_that_is_not_json_is_an_input_error_naming_the_cell():
	"""Garbage per-line tax used to be read as "no per-line rate", taxing the line at the row's rate."""
	doc = load("si_us_sales_tax")
	doc["items"][1]["item_tax_rate"] = "not json"
	with pytest.raises(MappingError) as err:
		map_invoice(doc, us_ctx())
	assert err.value.field == "items[2].item_tax_rate"
	assert doc["name"] in str(err.value)


def test_unexplained_erpnext_cent_is_reported_generically():
	doc = load("si_basic")
	doc.update(grand_total=1844.01, rounded_total=1844.01)
	mapped = map_invoice(doc, us_ctx())
	(known,) = mapped.known_differences
	assert known.kind == "erpnext_rounding_cent" and known.amount == Decimal("0.01")
	assert "ERPNext's own rounding" in explain_total_difference(mapped, "1844.00")


def test_too_many_taxable_lines_is_flagged():
	doc = load("si_amended")
	row = doc["items"][0]
	doc["items"] = [dict(row, idx=i) for i in range(1, 752)]
	total = 149.7 * 751
	doc.update(
		total=total, net_total=total, total_taxes_and_charges=0, grand_total=total, rounded_total=total
	)
	mapped = map_invoice(doc, us_ctx())
	assert any("at most 750 lines" in w for w in mapped.warnings)
