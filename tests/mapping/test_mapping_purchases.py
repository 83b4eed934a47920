"""Supplier -> Vendor, Purchase Order -> PurchaseOrder, Purchase Invoice -> Bill, debit note -> VendorCredit,
Payment Entry (Pay) -> BillPayment, from real documents of the v15 test site (supplier_company, po_basic:
3 lines with US ST 6 %, pinv_basic: the bill made from it with the supplier's number AOS-88731,
pinv_service: a line without an item, pinv_return: 20 labels returned, pe_pay_multi: 1,000.00 of
pinv_basic and all of pinv_service by check)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_testkit import intl_ctx, load, us_ctx

from qbo_connector.mapping.bill_payment import map_bill_payment
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.purchase import map_bill, map_purchase_order
from qbo_connector.mapping.vendor import map_vendor, qbo_vendor_to_erpnext, vendor_name_candidates

ACCOUNTS = {
	"Cost of Goods Sold - QTC": "80",
	"Office Maintenance Expenses - QTC": "81",
	"Stock Received But Not Billed - QTC": "82",
	"ST 6% - QTC": "83",
	"Bank Account - QTC": "35",
}


def purchase_ctx(**overrides):
	values = {"vendor_ref": "56", "account_map": dict(ACCOUNTS), "item_refs": {}, "customer_ref": None}
	values.update(overrides)
	return us_ctx(**values)


def lines(body, kind=None):
	return [line for line in body["Line"] if kind is None or line["DetailType"] == kind]


def total(body) -> Decimal:
	return sum((Decimal(str(line["Amount"])) for line in body["Line"]), Decimal(0))


# -- supplier ------------------------------------------------------------------------------------------------
def test_supplier_becomes_a_vendor_with_its_address_and_contact() -> None:
	body = map_vendor(
		load("supplier_company"),
		us_ctx(),
		load("supplier_company_address"),
		load("supplier_company_contact"),
	).body
	assert body["DisplayName"] == "Acme Office Supplies & Co."
	assert body["CompanyName"] == "Acme Office Supplies & Co."
	assert (body["GivenName"], body["FamilyName"]) == ("Rita", "Alvarez")
	assert body["PrimaryEmailAddr"] == {"Address": "billing@acme-office.example"}
	assert body["BillAddr"]["City"] == "Newark" and body["BillAddr"]["PostalCode"] == "07102"
	assert body["WebAddr"] == {"URI": "https://acme-office.example"}
	assert "Notes" not in body  # QBO Vendors have no Notes
	assert body["Active"] is True


def test_vendor_name_candidates_follow_the_customer_rule() -> None:
	supplier = load("supplier_company")
	assert vendor_name_candidates(supplier)[:2] == [
		"Acme Office Supplies & Co.",
		"Acme Office Supplies & Co. (Supplier)",
	]
	supplier["name"] = "SUP-0007"
	assert vendor_name_candidates(supplier)[1] == "Acme Office Supplies & Co. (SUP-0007)"
	supplier["supplier_name"] = "ACME: West"
	assert vendor_name_candidates(supplier)[0] == "ACME - West"


def test_a_qbo_vendor_becomes_supplier_fields() -> None:
	data = qbo_vendor_to_erpnext(
		{"DisplayName": "Books by Bessie (deleted)", "CompanyName": "Books by Bessie", "Active": False}
	)
	assert data["supplier_name"] == "Books by Bessie" and data["supplier_type"] == "Company"
	assert data["disabled"] == 1


# -- purchase order ------------------------------------------------------------------------------------------
def test_purchase_order_lines_memo_ship_to_and_total() -> None:
	order = load("po_basic")
	ship = {"Line1": "350 Fifth Avenue", "City": "New York", "PostalCode": "10118"}
	mapped = map_purchase_order(order, purchase_ctx(ship_address=ship))
	body = mapped.body
	assert mapped.entity == "PurchaseOrder"
	assert body["DocNumber"] == "PUR-ORD-2026-00001"
	assert body["VendorRef"] == {"value": "56"}
	assert body["DueDate"] == order["schedule_date"] and body["POStatus"] == "Open"
	assert body["Memo"] == "Deliver to the loading dock, weekdays 8-4."
	assert body["ShipAddr"] == ship
	# no item is linked in QBO: every line is an account line on its mapped account, the item in the text
	accounts = [line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for line in lines(body)]
	assert accounts == ["80", "80", "81", "83"]
	assert lines(body)[0]["Description"].startswith("LBL-4X6-500: Direct-thermal shipping labels")
	assert "(200 Nos x 12.40)" in lines(body)[0]["Description"]
	assert lines(body)[3]["Amount"] == 219.3  # US: the purchase tax is a cost line
	assert total(body) == mapped.expected_total == Decimal("3874.30")


def test_a_linked_item_booking_to_the_same_account_is_an_item_line() -> None:
	ctx = purchase_ctx(
		item_refs={"LBL-4X6-500": "3"}, item_expense_accounts={"LBL-4X6-500": "80", "CONSULT-HR": "99"}
	)
	body = map_purchase_order(load("po_basic"), ctx).body
	first, second, third = lines(body)[:3]
	assert first["DetailType"] == "ItemBasedExpenseLineDetail"
	assert first["ItemBasedExpenseLineDetail"] == {"ItemRef": {"value": "3"}, "Qty": 200.0, "UnitPrice": 12.4}
	assert second["DetailType"] == third["DetailType"] == "AccountBasedExpenseLineDetail"


def test_an_unmapped_expense_account_names_the_row_unless_a_default_is_set() -> None:
	ctx = purchase_ctx(account_map={"ST 6% - QTC": "83"})
	with pytest.raises(MappingError) as caught:
		map_purchase_order(load("po_basic"), ctx)
	assert caught.value.doctype == "Purchase Order" and caught.value.field == "items[1].expense_account"
	assert "Cost of Goods Sold - QTC" in caught.value.message
	body = map_purchase_order(load("po_basic"), purchase_ctx(account_map={}, expense_account_ref="77")).body
	assert {line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for line in lines(body)} == {"77"}


def test_purchase_taxes_are_refused_for_a_non_us_company() -> None:
	with pytest.raises(MappingError) as caught:
		map_purchase_order(load("po_basic"), intl_ctx(vendor_ref="56", account_map=dict(ACCOUNTS)))
	assert caught.value.field == "taxes" and "ST 6% - QTC" in caught.value.message
	body = map_bill(load("pinv_service"), intl_ctx(vendor_ref="56", account_map=dict(ACCOUNTS))).body
	assert body["GlobalTaxCalculation"] == "NotApplicable"


# -- bills -----------------------------------------------------------------------------------------------------
def test_purchase_invoice_becomes_a_bill_numbered_by_the_supplier() -> None:
	invoice = load("pinv_basic")
	mapped = map_bill(invoice, purchase_ctx())
	body = mapped.body
	assert mapped.entity == "Bill"
	assert body["DocNumber"] == "AOS-88731"
	assert body["TxnDate"] == invoice["posting_date"] and body["DueDate"] == invoice["due_date"]
	assert body["PrivateNote"].startswith(
		"ERPNext Purchase Invoice ACC-PINV-2026-00001; supplier invoice AOS-88731"
	)
	# the stock item bought without a receipt books to Stock Received But Not Billed, as in ERPNext
	assert [line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for line in lines(body)] == [
		"80",
		"82",
		"81",
		"83",
	]
	assert total(body) == mapped.expected_total == Decimal("3874.30")


def test_a_line_without_an_item_and_no_supplier_number() -> None:
	mapped = map_bill(load("pinv_service"), purchase_ctx())
	assert "DocNumber" not in mapped.body
	[line] = lines(mapped.body)
	assert line["Description"] == "Office cleaning, November (4 visits) (1 Nos x 640.00)"
	assert mapped.expected_total == Decimal("640.00") == total(mapped.body)


def test_debit_note_becomes_a_vendor_credit_with_positive_amounts() -> None:
	mapped = map_bill(load("pinv_return"), purchase_ctx())
	body = mapped.body
	assert mapped.entity == "VendorCredit"
	assert body["DocNumber"] == "AOS-CN-1207" and "DueDate" not in body
	assert [line["Amount"] for line in lines(body)] == [248.0, 14.88]
	assert mapped.expected_total == Decimal("262.88")
	assert "return against ACC-PINV-2026-00001" in body["PrivateNote"]


def test_bad_purchase_input_names_document_and_field() -> None:
	invoice = load("pinv_basic")
	invoice["items"][1]["net_amount"] = "7,25"
	with pytest.raises(MappingError) as caught:
		map_bill(invoice, purchase_ctx())
	assert caught.value.doctype == "Purchase Invoice" and caught.value.field == "items[2].net_amount"
	order = load("po_basic")
	order["transaction_date"] = "2026-13-01"
	with pytest.raises(MappingError) as caught:
		map_purchase_order(order, purchase_ctx())
	assert caught.value.field == "transaction_date"


def test_a_long_supplier_number_is_cut_with_a_note() -> None:
	invoice = load("pinv_basic")
	invoice["bill_no"] = "AOS-2026-INV-0000088731-B"
	mapped = map_bill(invoice, purchase_ctx())
	assert mapped.body["DocNumber"] == "AOS-2026-INV-00000887"
	assert any("bill_no" in w and "cut to 21" in w for w in mapped.warnings)
	assert "supplier invoice AOS-2026-INV-0000088731-B" in mapped.body["PrivateNote"]


# -- bill payments ---------------------------------------------------------------------------------------------
BILLS = {"ACC-PINV-2026-00001": "11", "ACC-PINV-2026-00002": "12"}


def test_supplier_payment_by_check_pays_two_bills() -> None:
	mapped = map_bill_payment(
		load("pe_pay_multi"), purchase_ctx(bill_refs=BILLS, payment_account_type="Bank")
	)
	body = mapped.body
	assert body["PayType"] == "Check" and body["CheckPayment"] == {"BankAccountRef": {"value": "35"}}
	assert "CreditCardPayment" not in body
	assert body["TotalAmt"] == 1640.0 and body["DocNumber"] == "CHK 2291"
	assert body["Line"] == [
		{"Amount": 1000.0, "LinkedTxn": [{"TxnId": "11", "TxnType": "Bill"}]},
		{"Amount": 640.0, "LinkedTxn": [{"TxnId": "12", "TxnType": "Bill"}]},
	]
	assert mapped.expected_unapplied == 0


def test_supplier_payment_from_a_credit_card_account() -> None:
	body = map_bill_payment(
		load("pe_pay_multi"), purchase_ctx(bill_refs=BILLS, payment_account_type="Credit Card")
	).body
	assert body["PayType"] == "CreditCard" and body["CreditCardPayment"] == {"CCAccountRef": {"value": "35"}}


def test_supplier_payment_refusals_name_the_field() -> None:
	cases = [
		(purchase_ctx(bill_refs=BILLS, payment_account_type="Income"), "paid_from"),
		(purchase_ctx(bill_refs=BILLS, payment_account_type="Bank", account_map={}), "paid_from"),
		(
			purchase_ctx(bill_refs={"ACC-PINV-2026-00001": "11"}, payment_account_type="Bank"),
			"references[2].reference_name",
		),
		(purchase_ctx(bill_refs=BILLS, payment_account_type="Bank", vendor_ref=None), "party"),
	]
	for ctx, field in cases:
		with pytest.raises(MappingError) as caught:
			map_bill_payment(load("pe_pay_multi"), ctx)
		assert caught.value.field == field, caught.value
	receive = load("pe_full")
	with pytest.raises(MappingError) as caught:
		map_bill_payment(receive, purchase_ctx(payment_account_type="Bank"))
	assert caught.value.field == "payment_type"


def test_more_than_a_bills_qbo_balance_stays_unapplied() -> None:
	ctx = purchase_ctx(
		bill_refs=BILLS, payment_account_type="Bank", bill_balances={"ACC-PINV-2026-00002": Decimal("600")}
	)
	mapped = map_bill_payment(load("pe_pay_multi"), ctx)
	assert mapped.left_unapplied == Decimal("40.00")
	assert mapped.body["Line"][1]["Amount"] == 600.0
	assert any("stays unapplied" in w for w in mapped.warnings)
