"""Classes and locations on every kind whose QBO entity carries them (the sales invoice's own rules are in
test_mapping_dimensions.py), from real documents of the v15 test site: qtn_basic -> Estimate (class on each
SalesItemLineDetail, location on the form), po_basic -> PurchaseOrder (class on each expense line, or on the
form per transaction), pinv_basic / pinv_return -> Bill / VendorCredit (classes only on lines: QBO has no
ClassRef on a bill's form), pe_pay_multi -> BillPayment (location only), pe_full -> Payment (QBO's Payment
has no location: untagged), ts_basic -> one TimeActivity per log (ClassRef and DepartmentRef on each)."""

from __future__ import annotations

import pytest
from mapping_testkit import load, us_ctx

from qbo_connector.mapping.dimensions import CLASS_NONE, CLASS_PER_LINE, CLASS_PER_TXN
from qbo_connector.mapping.errors import MappingError
from qbo_connector.sync.kinds.payment import map_received_payment
from qbo_connector.sync.kinds.purchase_invoice import map_purchase_invoice
from qbo_connector.sync.kinds.purchase_order import map_order
from qbo_connector.sync.kinds.quotation import map_quotation
from qbo_connector.sync.kinds.supplier_payment import map_supplier_payment
from qbo_connector.sync.kinds.timesheet import map_time

ACCOUNTS = {
	"Cost of Goods Sold - QTC": "80",
	"Office Maintenance Expenses - QTC": "81",
	"Stock Received But Not Billed - QTC": "82",
	"ST 6% - QTC": "83",
	"Bank Account - QTC": "35",
}
BILLS = {"ACC-PINV-2026-00001": "11", "ACC-PINV-2026-00002": "12"}
EXPENSE = ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")


def ctx(tracking=CLASS_PER_LINE, locations=True, **overrides):
	values = {
		"vendor_ref": "56",
		"customer_ref": "58",
		"employee_ref": "55",
		"account_map": dict(ACCOUNTS),
		"bill_refs": dict(BILLS),
		"payment_account_type": "Bank",
		"class_tracking": tracking,
		"track_locations": locations,
		"class_refs": {"Main - QTC": "10", "Retail - QTC": "11"},
		"location_refs": {"Brooklyn": "20"},
	}
	values.update(overrides)
	return us_ctx(**values)


def with_branch(name: str, **changes):
	doc = load(name)
	doc.update({"branch": "Brooklyn", **changes})
	return doc


def line_classes(body, details=EXPENSE) -> list:
	return [
		(line[line["DetailType"]].get("ClassRef") or {}).get("value")
		for line in body["Line"]
		if line["DetailType"] in details
	]


# -- Estimate ---------------------------------------------------------------------------------------------------
def test_estimate_lines_take_the_default_class_as_a_quotation_has_no_cost_center() -> None:
	body = map_quotation(with_branch("qtn_basic"), ctx(default_class_ref="12")).body
	classes = line_classes(body, ("SalesItemLineDetail",))
	assert classes and set(classes) == {"12"}
	assert body["DepartmentRef"] == {"value": "20"}


def test_estimate_rows_with_a_cost_center_are_tagged_row_by_row_and_unmapped_ones_fail() -> None:
	doc = with_branch("qtn_basic")
	for row in doc["items"]:
		row["cost_center"] = "Retail - QTC"
	body = map_quotation(doc, ctx()).body
	assert set(line_classes(body, ("SalesItemLineDetail",))) == {"11"}
	doc["items"][1]["cost_center"] = "Nowhere - QTC"
	with pytest.raises(MappingError) as caught:
		map_quotation(doc, ctx())
	idx = doc["items"][1].get("idx") or 2
	assert caught.value.field == f"items[{idx}].cost_center"
	assert "cost center 'Nowhere - QTC' is not mapped to a QuickBooks class" in str(caught.value)


def test_estimate_without_a_cost_center_or_default_class_fails_naming_the_field() -> None:
	with pytest.raises(MappingError) as caught:
		map_quotation(with_branch("qtn_basic"), ctx())
	assert caught.value.doctype == "Quotation" and caught.value.field.endswith(".cost_center")


# -- PurchaseOrder --------------------------------------------------------------------------------------------
def test_purchase_order_lines_take_their_cost_center_and_tax_lines_the_first_rows() -> None:
	doc = with_branch("po_basic")
	doc["items"][0]["cost_center"] = "Retail - QTC"
	body = map_order(doc, ctx()).body
	rows = len([r for r in doc["items"] if r.get("qty")])
	classes = line_classes(body)
	assert classes[:rows] == ["11"] + ["10"] * (rows - 1)
	assert all(cls == "11" for cls in classes[rows:])  # tax lines: no document class, so the first row's
	assert body["DepartmentRef"] == {"value": "20"} and "ClassRef" not in body


def test_purchase_order_per_transaction_puts_one_class_on_the_form() -> None:
	body = map_order(with_branch("po_basic"), ctx(CLASS_PER_TXN)).body
	assert body["ClassRef"] == {"value": "10"}  # every row's cost center is Main - QTC
	assert set(line_classes(body)) == {None}


def test_purchase_order_with_an_unmapped_cost_center_fails_before_anything_is_sent() -> None:
	doc = with_branch("po_basic")
	doc["items"][2]["cost_center"] = "Stores - QTC"
	with pytest.raises(MappingError) as caught:
		map_order(doc, ctx())
	assert caught.value.doctype == "Purchase Order"
	assert caught.value.field == f"items[{doc['items'][2].get('idx') or 3}].cost_center"
	# the same rule as invoices: a default class on the connection stands in for an unmapped cost center
	body = map_order(doc, ctx(default_class_ref="12")).body
	rows = len([r for r in doc["items"] if r.get("qty")])
	assert line_classes(body)[:rows] == ["10", "10", "12"][:rows]


# -- Bill and VendorCredit --------------------------------------------------------------------------------------
def test_bill_lines_are_tagged_and_per_transaction_every_line_takes_the_class() -> None:
	doc = with_branch("pinv_basic")
	per_line = map_purchase_invoice(doc, ctx()).body
	assert set(line_classes(per_line)) == {"10"} and per_line["DepartmentRef"] == {"value": "20"}
	per_txn = map_purchase_invoice(with_branch("pinv_basic", cost_center="Retail - QTC"), ctx(CLASS_PER_TXN))
	assert "ClassRef" not in per_txn.body  # QBO has no class on a bill's form
	assert set(line_classes(per_txn.body)) == {"11"}


def test_vendor_credit_is_tagged_like_a_bill() -> None:
	mapped = map_purchase_invoice(with_branch("pinv_return"), ctx())
	assert mapped.entity == "VendorCredit"
	assert set(line_classes(mapped.body)) == {"10"} and mapped.body["DepartmentRef"] == {"value": "20"}


def test_bill_with_an_unmapped_branch_fails_naming_it() -> None:
	with pytest.raises(MappingError) as caught:
		map_purchase_invoice(with_branch("pinv_basic", branch="Queens"), ctx())
	assert (caught.value.doctype, caught.value.field) == ("Purchase Invoice", "branch")
	assert "'Queens' is not mapped to a QuickBooks location" in str(caught.value)


def test_nothing_is_tagged_on_purchases_when_qbo_tracks_nothing() -> None:
	body = map_purchase_invoice(with_branch("pinv_basic"), ctx(CLASS_NONE, locations=False)).body
	assert set(line_classes(body)) == {None} and "DepartmentRef" not in body


# -- BillPayment and Payment ------------------------------------------------------------------------------------
def test_bill_payment_carries_the_location_and_no_class() -> None:
	body = map_supplier_payment(with_branch("pe_pay_multi"), ctx()).body
	assert body["DepartmentRef"] == {"value": "20"} and "ClassRef" not in body
	with pytest.raises(MappingError) as caught:
		map_supplier_payment(load("pe_pay_multi"), ctx())  # no branch and no default location
	assert (caught.value.doctype, caught.value.field) == ("Payment Entry", "branch")
	body = map_supplier_payment(load("pe_pay_multi"), ctx(default_location_ref="21")).body
	assert body["DepartmentRef"] == {"value": "21"}


def test_received_payment_is_never_tagged_as_qbo_payments_have_no_location() -> None:
	body = map_received_payment(with_branch("pe_full"), ctx(invoice_refs={"ACC-SINV-2026-00002": "130"})).body
	assert "DepartmentRef" not in body and "ClassRef" not in body


# -- TimeActivity -----------------------------------------------------------------------------------------------
def test_each_time_activity_carries_a_class_and_a_location() -> None:
	doc = with_branch("ts_basic")
	doc["time_logs"][0]["cost_center"] = "Retail - QTC"
	mapped = map_time(doc, ctx(default_class_ref="12"))
	bodies = [part.mapped.body for part in mapped.parts]
	assert [b["ClassRef"]["value"] for b in bodies] == ["11"] + ["12"] * (len(bodies) - 1)
	assert all(b["DepartmentRef"] == {"value": "20"} for b in bodies)
	per_txn = map_time(with_branch("ts_basic", cost_center="Main - QTC"), ctx(CLASS_PER_TXN))
	assert {part.mapped.body["ClassRef"]["value"] for part in per_txn.parts} == {"10"}


def test_time_without_a_class_to_give_fails_naming_the_timesheet() -> None:
	with pytest.raises(MappingError) as caught:
		map_time(with_branch("ts_basic"), ctx())
	assert (caught.value.doctype, caught.value.field) == ("Timesheet", "cost_center")
	doc = with_branch("ts_basic")
	doc["time_logs"][0]["cost_center"] = "Nowhere - QTC"
	with pytest.raises(MappingError) as caught:
		map_time(doc, ctx())
	assert caught.value.field == f"time_logs[{doc['time_logs'][0].get('idx') or 1}].cost_center"
	assert "cost center 'Nowhere - QTC' is not mapped to a QuickBooks class" in str(caught.value)
