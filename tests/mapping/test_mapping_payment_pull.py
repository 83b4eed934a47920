"""Payment Entry -> QBO Payment, and QBO Customer/Item/Payment -> ERPNext."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_testkit import load, us_ctx

from qbo_connector.mapping import (
	MappingError,
	map_payment,
	qbo_address_to_erpnext,
	qbo_customer_to_erpnext,
	qbo_item_to_erpnext,
	qbo_payment_to_plan,
)

INVOICES = {"ACC-SINV-2026-00002": "130", "ACC-SINV-2026-00003": "131", "ACC-SINV-2026-00004": "132"}


def test_full_payment():
	mapped = map_payment(load("pe_full"), us_ctx(invoice_refs=INVOICES))
	assert mapped.body == {
		"CustomerRef": {"value": "58"},
		"TotalAmt": 1844.0,
		"TxnDate": "2026-11-21",
		"Line": [{"Amount": 1844.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
		"PaymentRefNum": "10472",
		"DepositToAccountRef": {"value": "35"},
		"CurrencyRef": {"value": "USD"},
		"PrivateNote": "ERPNext Payment Entry ACC-PAY-2026-00002; Check; reference 10472",
	}
	assert mapped.expected_total == Decimal("1844.00") and mapped.expected_unapplied == 0
	assert mapped.warnings == []


def test_partial_payment_of_two_invoices_with_an_advance():
	mapped = map_payment(load("pe_partial_multi"), us_ctx(invoice_refs=INVOICES, deposit_account_ref="36"))
	body = mapped.body
	assert body["TotalAmt"] == 3820.76
	assert [(line["Amount"], line["LinkedTxn"][0]["TxnId"]) for line in body["Line"]] == [
		(1000.0, "131"),
		(2570.76, "132"),
	]
	assert mapped.expected_unapplied == Decimal("250.00")  # the unallocated amount stays unapplied
	assert body["PaymentRefNum"] == "FW-20261121-004417"
	assert body["DepositToAccountRef"] == {"value": "36"}  # Chase Checking is not mapped: the default
	assert body["PrivateNote"].startswith("ERPNext Payment Entry ACC-PAY-2026-00003")


def test_no_deposit_account_means_undeposited_funds():
	body = map_payment(load("pe_partial_multi"), us_ctx(invoice_refs=INVOICES)).body
	assert "DepositToAccountRef" not in body


def test_payment_never_applies_more_than_qbo_balance():
	"""si_discounts is 2570.75 in QBO (ERPNext's cent): the cent stays unapplied instead of a refusal."""
	ctx = us_ctx(invoice_refs=INVOICES, invoice_balances={"ACC-SINV-2026-00004": Decimal("2570.75")})
	mapped = map_payment(load("pe_partial_multi"), ctx)
	assert [line["Amount"] for line in mapped.body["Line"]] == [1000.0, 2570.75]
	assert mapped.expected_unapplied == Decimal("250.01")
	assert any("stays unapplied" in w for w in mapped.warnings)


def test_invoice_not_in_qbo_names_the_row():
	ctx = us_ctx(invoice_refs={"ACC-SINV-2026-00003": "131"})
	with pytest.raises(MappingError) as caught:
		map_payment(load("pe_partial_multi"), ctx)
	assert caught.value.field == "references[2].reference_name"
	assert str(caught.value).startswith(
		"Payment Entry ACC-PAY-2026-00003, field 'references[2].reference_name'"
	)
	assert "ACC-SINV-2026-00004" in str(caught.value)


@pytest.mark.parametrize(
	("field", "value"),
	[("payment_type", "Pay"), ("payment_type", "Internal Transfer"), ("party_type", "Supplier")],
)
def test_unsupported_payments(field, value):
	doc = load("pe_full")
	doc[field] = value
	with pytest.raises(MappingError) as caught:
		map_payment(doc, us_ctx(invoice_refs=INVOICES))
	assert caught.value.field == field and "not supported" in caught.value.message


def test_payment_guards():
	doc = load("pe_full")
	with pytest.raises(MappingError) as caught:
		map_payment(doc, us_ctx(invoice_refs=INVOICES, customer_ref=None))
	assert caught.value.field == "party"
	doc["docstatus"] = 0
	with pytest.raises(MappingError, match="draft"):
		map_payment(doc, us_ctx(invoice_refs=INVOICES))
	doc.update(docstatus=1, paid_amount=0)
	with pytest.raises(MappingError) as caught:
		map_payment(doc, us_ctx(invoice_refs=INVOICES))
	assert caught.value.field == "paid_amount"
	doc.update(docstatus=2, paid_amount=1844.0)
	assert any("cancelled" in w for w in map_payment(doc, us_ctx(invoice_refs=INVOICES)).warnings)


def test_allocations_beyond_the_amount_paid():
	doc = load("pe_full")
	doc["paid_amount"] = 1800.0
	doc["deductions"] = [{"account": "Write Off - QTC", "amount": 44.0}]
	with pytest.raises(MappingError) as caught:
		map_payment(doc, us_ctx(invoice_refs=INVOICES))
	assert caught.value.field == "deductions"


def test_other_references_and_credit_notes():
	doc = load("pe_partial_multi")
	doc["references"].append(
		{"idx": 3, "reference_doctype": "Sales Order", "reference_name": "SO-1", "allocated_amount": 50.0}
	)
	doc["references"].append(
		{
			"idx": 4,
			"reference_doctype": "Sales Invoice",
			"reference_name": "ACC-SINV-2026-00008",
			"allocated_amount": -201.42,
		}
	)
	doc["references"].append(
		{
			"idx": 5,
			"reference_doctype": "Sales Invoice",
			"reference_name": "ACC-SINV-2026-00002",
			"allocated_amount": 0,
		}
	)
	ctx = us_ctx(invoice_refs=dict(INVOICES, **{"ACC-SINV-2026-00008": "140"}))
	mapped = map_payment(doc, ctx)
	assert mapped.body["Line"][-1] == {
		"Amount": 201.42,
		"LinkedTxn": [{"TxnId": "140", "TxnType": "CreditMemo"}],
	}
	assert len(mapped.body["Line"]) == 3
	assert mapped.expected_unapplied == Decimal("451.42")  # 250 + the credit used up
	assert any("Sales Order SO-1 stays unapplied" in w for w in mapped.warnings)


def test_foreign_currency_payment():
	doc = load("pe_full")
	doc.update(paid_from_account_currency="EUR", source_exchange_rate=1.08)
	body = map_payment(doc, us_ctx(invoice_refs=INVOICES)).body
	assert body["CurrencyRef"] == {"value": "EUR"} and body["ExchangeRate"] == 1.08
	with pytest.raises(MappingError) as caught:
		map_payment(doc, us_ctx(invoice_refs=INVOICES, multicurrency=False))
	assert caught.value.field == "paid_from_account_currency"
	doc["source_exchange_rate"] = 0
	with pytest.raises(MappingError) as caught:
		map_payment(doc, us_ctx(invoice_refs=INVOICES))
	assert caught.value.field == "source_exchange_rate"


def test_long_reference_is_cut_to_21():
	doc = load("pe_full")
	doc["reference_no"] = "WIRE-2026-11-21-ABCDEFGHIJK"
	mapped = map_payment(doc, us_ctx(invoice_refs=INVOICES))
	assert mapped.body["PaymentRefNum"] == "WIRE-2026-11-21-ABCDE"
	assert "WIRE-2026-11-21-ABCDEFGHIJK" in mapped.body["PrivateNote"]
	assert any("reference_no cut" in w for w in mapped.warnings)


# --- pull ------------------------------------------------------------------------------------------------
QBO_CUSTOMER = {
	"Id": "58",
	"SyncToken": "0",
	"DisplayName": "O'Brien & S\u00f8n Ltd",
	"CompanyName": "O'Brien & S\u00f8n Ltd",
	"GivenName": "Siobh\u00e1n",
	"PrimaryEmailAddr": {"Address": "siobhan.obrien@obrien-son.example.com"},
	"PrimaryPhone": {"FreeFormNumber": "+1 212-555-0148"},
	"Mobile": {"FreeFormNumber": "+1 917-555-0199"},
	"WebAddr": {"URI": "https://obrien-son.example.com"},
	"BillAddr": {
		"Id": "101",
		"Line1": "1450 Broadway",
		"Line2": "Suite 1207",
		"City": "New York",
		"CountrySubDivisionCode": "NY",
		"PostalCode": "10018",
		"Country": "United States",
	},
	"CurrencyRef": {"value": "USD", "name": "United States Dollar"},
	"Active": True,
	"Taxable": True,
}


def test_qbo_customer_to_erpnext():
	assert qbo_customer_to_erpnext(QBO_CUSTOMER) == {
		"doctype": "Customer",
		"customer_name": "O'Brien & S\u00f8n Ltd",
		"customer_type": "Company",
		"disabled": 0,
		"email_id": "siobhan.obrien@obrien-son.example.com",
		"mobile_no": "+1 917-555-0199",
		"default_currency": "USD",
		"website": "https://obrien-son.example.com",
	}


def test_qbo_individual_inactive_customer():
	qbo = {
		"Id": "60",
		"DisplayName": "Jane Roe",
		"GivenName": "Jane",
		"Active": False,
		"Taxable": False,
		"PrimaryPhone": {"FreeFormNumber": "555-0100"},
	}
	out = qbo_customer_to_erpnext(qbo)
	assert out["customer_type"] == "Individual" and out["disabled"] == 1 and out["exempt_from_sales_tax"] == 1
	assert out["mobile_no"] == "555-0100" and "default_currency" not in out and "email_id" not in out
	long = qbo_customer_to_erpnext({"DisplayName": "Z" * 300})
	assert len(long["customer_name"]) == 140


def test_qbo_address_to_erpnext():
	address = qbo_address_to_erpnext(QBO_CUSTOMER["BillAddr"], "O'Brien & S\u00f8n Ltd")
	assert address == {
		"doctype": "Address",
		"address_title": "O'Brien & S\u00f8n Ltd",
		"address_type": "Billing",
		"address_line1": "1450 Broadway",
		"address_line2": "Suite 1207",
		"city": "New York",
		"state": "NY",
		"pincode": "10018",
		"country": "United States",
		"links": [{"link_doctype": "Customer", "link_name": "O'Brien & S\u00f8n Ltd"}],
	}
	assert qbo_address_to_erpnext({"Line1": "1 Main St"}, "X") is None
	assert qbo_address_to_erpnext(None, "X") is None


@pytest.mark.parametrize(
	("qbo", "expected"),
	[
		(
			{
				"Id": "1",
				"Name": "Consulting Services",
				"Sku": "CONSULT-HR",
				"Type": "Service",
				"UnitPrice": 175,
				"Description": "Senior consultant time",
				"Active": True,
			},
			{
				"doctype": "Item",
				"item_code": "CONSULT-HR",
				"item_name": "Consulting Services",
				"description": "Senior consultant time",
				"is_stock_item": 0,
				"standard_rate": 175.0,
				"disabled": 0,
			},
		),
		(
			{"Id": "2", "Name": "Gift wrap", "Type": "NonInventory", "UnitPrice": 2.5, "Active": False},
			{
				"doctype": "Item",
				"item_code": "Gift wrap",
				"item_name": "Gift wrap",
				"description": "Gift wrap",
				"is_stock_item": 0,
				"standard_rate": 2.5,
				"disabled": 1,
			},
		),
	],
)
def test_qbo_item_to_erpnext(qbo, expected):
	assert qbo_item_to_erpnext(qbo) == expected


@pytest.mark.parametrize("qbo_type", ["Inventory", "Group", "Category", None])
def test_other_item_types_are_not_pulled(qbo_type):
	assert qbo_item_to_erpnext({"Id": "3", "Name": "Widget", "Type": qbo_type}) is None


def test_qbo_payment_to_plan():
	qbo = {
		"Id": "201",
		"TxnDate": "2026-11-25",
		"TotalAmt": 1500.0,
		"UnappliedAmt": 100.0,
		"CustomerRef": {"value": "58", "name": "O'Brien & S\u00f8n Ltd"},
		"DepositToAccountRef": {"value": "4"},
		"PaymentRefNum": "10480",
		"Line": [
			{"Amount": 1000.0, "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
			{"Amount": 400.0, "LinkedTxn": [{"TxnId": "133", "TxnType": "Invoice"}]},
		],
	}
	plan = qbo_payment_to_plan(qbo)
	assert plan.qbo_id == "201" and plan.customer_ref == "58" and plan.posting_date == "2026-11-25"
	assert plan.paid_amount == Decimal("1500.00") and plan.reference_no == "10480"
	assert plan.allocations == [("131", Decimal("1000.00")), ("133", Decimal("400.00"))]
	assert plan.unallocated == Decimal("100.00") and plan.deposit_account_ref == "4"
	assert plan.currency is None and plan.exchange_rate is None and plan.voided is False
	assert plan.warnings == []


def test_qbo_payment_plan_edge_cases():
	qbo = {
		"Id": "202",
		"TxnDate": "2026-11-26",
		"TotalAmt": 300.0,
		"CustomerRef": {"value": "61"},
		"CurrencyRef": {"value": "EUR"},
		"ExchangeRate": 1.08,
		"Line": [
			{"Amount": 200.0, "LinkedTxn": [{"TxnId": "140", "TxnType": "Invoice"}]},
			{"Amount": 150.0, "LinkedTxn": [{"TxnId": "140", "TxnType": "Invoice"}]},
			{"Amount": 50.0, "LinkedTxn": [{"TxnId": "141", "TxnType": "CreditMemo"}]},
			{"Amount": 10.0, "LinkedTxn": [{"TxnId": "9", "TxnType": "JournalEntry"}]},
			{"Amount": 5.0, "LinkedTxn": []},
		],
	}
	plan = qbo_payment_to_plan(qbo)
	assert plan.reference_no == "QBO Payment 202"
	assert plan.allocations == [("140", Decimal("350.00"))]
	assert plan.credit_allocations == [("141", Decimal("50.00"))]
	assert plan.unallocated == Decimal("0.00")  # 300 - 350 + 50, no UnappliedAmt given
	assert plan.currency == "EUR" and plan.exchange_rate == Decimal("1.08")
	assert len(plan.warnings) == 2
	voided = qbo_payment_to_plan({"Id": "203", "TotalAmt": 0, "PrivateNote": "Voided", "Line": []})
	assert voided.voided is True and voided.allocations == []


def test_invoice_already_paid_in_qbo_gets_no_line():
	ctx = us_ctx(invoice_refs=INVOICES, invoice_balances={"ACC-SINV-2026-00002": Decimal("0")})
	mapped = map_payment(load("pe_full"), ctx)
	assert mapped.body["Line"] == [] and mapped.expected_unapplied == Decimal("1844.00")


def test_home_currency_payment_names_its_currency_only_when_multicurrency_is_on():
	on = map_payment(load("pe_full"), us_ctx(invoice_refs=INVOICES, multicurrency=True)).body
	off = map_payment(load("pe_full"), us_ctx(invoice_refs=INVOICES, multicurrency=False)).body
	assert on["CurrencyRef"] == {"value": "USD"} and "CurrencyRef" not in off
