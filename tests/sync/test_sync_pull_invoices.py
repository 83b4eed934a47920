"""Invoices and credit memos made in QBO -> Sales Invoices in ERPNext (issue 15): totals to the cent or a draft
that says why, no echo of what we pushed, changes followed (amend, due date, void), webhooks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sync_support import by_name

from qbo_connector.emulator import EmulatorServer
from qbo_connector.mapping.context import TaxCodeInfo
from qbo_connector.mapping.invoice_pull import PullRefs, content_signature, qbo_invoice_to_erpnext
from qbo_connector.mapping.money import q2
from qbo_connector.qbo.webhooks import WebhookEvent
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

SI = "Sales Invoice"
COMPANY = "QBO Test Co"


@pytest.fixture
def pulling(store: MemoryStore, config: ConnectionConfig) -> ConnectionConfig:
	config.pull_invoices = True
	store.add_config(config)
	return config


def made_from(store: MemoryStore, realm: str, entity: str, qbo_id: str) -> dict:
	link = store.find_link(realm, entity, qbo_id)
	assert link is not None and link.origin == "pull", f"{entity} {qbo_id} was not pulled"
	return store.get_doc(SI, link.name)


def new_customer_and_items(emu: EmulatorServer) -> tuple[str, str, str]:
	customer = emu.add_customer("Made In QBO Ltd")["Id"]
	survey = emu.add_item("Survey Day", type="Service", unit_price=450)["Id"]
	cable = emu.add_item("Cable Roll", type="NonInventory", unit_price="12.5", Taxable=True)["Id"]
	return customer, survey, cable


def test_invoice_made_in_qbo_comes_submitted_with_qbo_total(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	customer, survey, cable = new_customer_and_items(emu)
	ny = by_name(emu, "TaxCode", "NY State+City 8.875%")
	inv = emu.add_invoice(
		customer,
		[
			{"item_id": survey, "qty": 2, "price": 450, "tax_code": "NON"},
			{"item_id": cable, "qty": 7, "price": "12.5", "tax_code": "TAX"},
			{
				"DetailType": "DiscountLineDetail",
				"Amount": 0,
				"DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
			},
		],
		TxnTaxDetail={"TxnTaxCodeRef": {"value": ny}},
		DueDate="2026-12-31",
		TxnDate="2026-11-30",
	)
	assert Decimal(str(inv["TxnTaxDetail"]["TotalTax"])) > 0
	result = engine.pull(company=COMPANY)
	assert result.failed == 0, result.message
	doc = made_from(store, emu.realm_id, "Invoice", inv["Id"])
	assert doc["docstatus"] == 1, doc.get("qbo_note")
	assert q2(doc["grand_total"]) == q2(inv["TotalAmt"])
	assert doc["customer"] == "Made In QBO Ltd" and doc["due_date"] == "2026-12-31"
	assert doc["posting_date"] == "2026-11-30"
	assert {row["item_code"] for row in doc["items"]} == {"Survey Day", "Cable Roll"}
	assert doc["taxes"][0]["account_head"] == "NY Sales Tax 8.875% - QTC"
	assert inv["DocNumber"] in doc["remarks"] and doc["qbo_txn_ref"] == f"Invoice {inv['Id']}"
	assert doc["discount_amount"] > 0
	# the customer and items were pulled on the way and linked
	assert store.find_link(emu.realm_id, "Customer", customer).name == "Made In QBO Ltd"
	assert engine.pull(company=COMPANY).applied == 0  # nothing made twice
	assert len([d for d in store.docs(SI) if d.get("qbo_txn_ref") == f"Invoice {inv['Id']}"]) == 1


def test_switch_off_by_default_brings_no_invoice(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	assert ConnectionConfig(company="x", realm_id="y").pull_invoices is False
	customer, survey, _ = new_customer_and_items(emu)
	inv = emu.add_invoice(customer, [{"item_id": survey, "qty": 1, "price": 450, "tax_code": "NON"}])
	engine.pull(company=COMPANY)
	assert store.find_link(emu.realm_id, "Invoice", inv["Id"]) is None
	assert not [d for d in store.docs(SI) if d.get("qbo_txn_ref")]


def test_invoice_pushed_from_erpnext_is_never_pulled_back(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	pushed = engine.push(SI, "ACC-SINV-2026-00002")
	assert pushed.status == "Success", pushed.message
	before = len(store.docs(SI))
	engine.pull(company=COMPANY)
	events = [WebhookEvent(emu.realm_id, "Invoice", pushed.qbo_id, "Create", "2026-12-01T00:00:00Z")]
	engine.handle_webhook(events)
	assert len(store.docs(SI)) == before
	link = store.find_link(emu.realm_id, "Invoice", pushed.qbo_id)
	assert link.origin == "push" and link.name == "ACC-SINV-2026-00002"


def test_unlinked_invoice_naming_our_document_is_an_echo(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	customer, survey, _ = new_customer_and_items(emu)
	inv = emu.add_invoice(
		customer,
		[{"item_id": survey, "qty": 1, "price": 450, "tax_code": "NON"}],
		PrivateNote="ERPNext Sales Invoice ACC-SINV-2026-00002",
	)
	engine.pull(company=COMPANY)
	assert store.find_link(emu.realm_id, "Invoice", inv["Id"]) is None


def test_unmapped_tax_code_makes_a_draft_that_says_why(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	customer, _, cable = new_customer_and_items(emu)
	california = by_name(emu, "TaxCode", "California")
	inv = emu.add_invoice(
		customer,
		[{"item_id": cable, "qty": 10, "price": "12.5", "tax_code": "TAX"}],
		TxnTaxDetail={"TxnTaxCodeRef": {"value": california}},
	)
	result = engine.pull(company=COMPANY)
	doc = made_from(store, emu.realm_id, "Invoice", inv["Id"])
	assert doc["docstatus"] == 0
	assert "California" in doc["qbo_note"] and "QBO Tax Map" in doc["qbo_note"]
	assert q2(doc["grand_total"]) != q2(inv["TotalAmt"])
	rows = [log for log in store.logs() if log.qbo_id == inv["Id"]]
	assert rows and rows[-1].status == "Warning" and "draft" in rows[-1].message, result.message


def test_edited_in_qbo_while_unpaid_is_amended_and_a_due_date_only_moves(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	customer, survey, _ = new_customer_and_items(emu)
	inv = emu.add_invoice(
		customer, [{"item_id": survey, "qty": 1, "price": 450, "tax_code": "NON"}], DueDate="2026-12-20"
	)
	engine.pull(company=COMPANY)
	first = made_from(store, emu.realm_id, "Invoice", inv["Id"])

	emu.update_invoice(inv["Id"], DueDate="2027-01-15")
	engine.pull(company=COMPANY)
	same = made_from(store, emu.realm_id, "Invoice", inv["Id"])
	assert same["name"] == first["name"] and same["due_date"] == "2027-01-15" and same["docstatus"] == 1

	edited = emu.update_invoice(
		inv["Id"], lines=[{"item_id": survey, "qty": 3, "price": 450, "tax_code": "NON"}]
	)
	result = engine.pull(company=COMPANY)
	amended = made_from(store, emu.realm_id, "Invoice", inv["Id"])
	assert amended["name"] != first["name"] and amended["amended_from"] == first["name"], result.message
	assert amended["docstatus"] == 1 and q2(amended["grand_total"]) == q2(edited["TotalAmt"]) == Decimal(
		"1350.00"
	)
	assert store.get_doc(SI, first["name"])["docstatus"] == 2
	assert store.get_link(emu.realm_id, SI, first["name"]) is None


def test_changed_after_payment_is_flagged_not_amended(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	customer, survey, _ = new_customer_and_items(emu)
	inv = emu.add_invoice(customer, [{"item_id": survey, "qty": 2, "price": 450, "tax_code": "NON"}])
	engine.pull(company=COMPANY)
	emu.record_payment(inv["Id"], 100)
	engine.pull(company=COMPANY)  # the payment reconciles against the pulled invoice
	doc = made_from(store, emu.realm_id, "Invoice", inv["Id"])
	assert doc["outstanding_amount"] == 800.0
	emu.update_invoice(inv["Id"], lines=[{"item_id": survey, "qty": 3, "price": 450, "tax_code": "NON"}])
	engine.pull(company=COMPANY)
	after = made_from(store, emu.realm_id, "Invoice", inv["Id"])
	assert after["name"] == doc["name"] and after["docstatus"] == 1
	assert after["qbo_state"] == "changed" and "payments" in after["qbo_message"]


@pytest.mark.parametrize("cancel", [True, False])
def test_voided_in_qbo_cancels_or_flags(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig, cancel: bool
) -> None:
	pulling.cancel_pulled_invoices = cancel
	store.add_config(pulling)
	customer, survey, _ = new_customer_and_items(emu)
	inv = emu.add_invoice(customer, [{"item_id": survey, "qty": 1, "price": 450, "tax_code": "NON"}])
	engine.pull(company=COMPANY)
	emu.void_invoice(inv["Id"])
	engine.pull(company=COMPANY)
	link = store.find_link(emu.realm_id, "Invoice", inv["Id"])
	doc = store.get_doc(SI, link.name)
	assert link.state == "voided"
	assert doc["docstatus"] == (2 if cancel else 1)
	assert doc["qbo_state"] == "voided"


def test_credit_memo_becomes_a_return_and_webhook_brings_it(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pulling: ConnectionConfig
) -> None:
	customer, survey, _ = new_customer_and_items(emu)
	memo = emu.add_invoice(
		customer, [{"item_id": survey, "qty": 1, "price": 450, "tax_code": "NON"}], entity="CreditMemo"
	)
	event = WebhookEvent(emu.realm_id, "CreditMemo", memo["Id"], "Create", "2026-12-01T00:00:00Z")
	result = engine.handle_webhook([event])
	assert result.applied == 1, result.message
	doc = made_from(store, emu.realm_id, "CreditMemo", memo["Id"])
	assert doc["is_return"] == 1 and doc["docstatus"] == 1
	assert q2(doc["grand_total"]) == -q2(memo["TotalAmt"]) and doc["items"][0]["qty"] == -1.0


def test_mapping_tax_inclusive_and_odd_unit_prices_land_on_qbo_total() -> None:
	obj = {
		"Id": "77",
		"DocNumber": "1077",
		"TxnDate": "2026-05-01",
		"CustomerRef": {"value": "9"},
		"GlobalTaxCalculation": "TaxInclusive",
		"TotalAmt": "120.00",
		"TxnTaxDetail": {"TotalTax": "20.00"},
		"CurrencyRef": {"value": "EUR"},
		"ExchangeRate": "0.86",
		"Line": [
			{
				"DetailType": "SalesItemLineDetail",
				"Amount": "100.00",
				"SalesItemLineDetail": {
					"ItemRef": {"value": "1"},
					"Qty": 3,
					"UnitPrice": "33.3333333",
					"TaxCodeRef": {"value": "5"},
				},
			},
			{
				"DetailType": "SalesItemLineDetail",
				"Amount": "20.00",
				"SalesItemLineDetail": {
					"ItemRef": {"value": "2"},
					"Qty": 1,
					"UnitPrice": "20",
					"TaxCodeRef": {"value": "5"},
				},
			},
			{"DetailType": "SubTotalLineDetail", "Amount": "120.00"},
		],
	}
	refs = PullRefs(
		company="C",
		customer="Cust",
		items={"1": "A", "2": "B"},
		tax_accounts={"5": "VAT - C"},
		tax_codes={"5": TaxCodeInfo("5", "20.0% S", (Decimal(20),))},
		is_us=False,
		home_currency="GBP",
	)
	pulled = qbo_invoice_to_erpnext(obj, "Invoice", refs)
	assert pulled.agrees and pulled.predicted_total == Decimal("120.00")
	data = pulled.data
	assert data["currency"] == "EUR" and data["conversion_rate"] == 0.86 and data["docstatus"] == 1
	assert sum(Decimal(str(r["qty"])) * Decimal(str(r["rate"])) for r in data["items"]) == Decimal("100.00")
	assert data["taxes"] == [
		{
			"charge_type": "Actual",
			"account_head": "VAT - C",
			"tax_amount": 20.0,
			"description": "20.0% S (QuickBooks)",
		}
	]
	assert (
		"3 x 33.3333333" in data["items"][0]["description"]
	)  # one unit at the amount, quantity kept in words
	# an unknown item: nothing submitted
	refs.items.pop("2")
	missing = qbo_invoice_to_erpnext(obj, "Invoice", refs)
	assert not missing.agrees and ("Item", "2", "") in missing.missing
	assert content_signature(pulled.data) != content_signature(missing.data)
