"""Issue 9, the engine's half: everything is checked before the first write, and what QBO ends up holding is
either ERPNext's figure or a Failed/Warning row that says why. Each test failed on the code before the fix."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from sync_support import by_name, fixture

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

SI, PE = "Sales Invoice", "Payment Entry"
BASIC, US_TAX, EUR = "ACC-SINV-2026-00002", "ACC-SINV-2026-00003", "ACC-SINV-2026-00007"
PAY_FULL, PAY_MULTI = "ACC-PAY-2026-00002", "ACC-PAY-2026-00003"
WRITES = ("Customer", "Item", "Invoice", "Payment", "CreditMemo")


def counts(emu: EmulatorServer) -> dict[str, int]:
	return {entity: len(emu.objects(entity)) for entity in WRITES}


def invoice_doc(store: MemoryStore, name: str, base: str = "si_us_sales_tax", **changes) -> dict:
	doc = fixture(base)
	doc["name"] = name
	doc.update(changes)
	store.add_doc(doc)
	return doc


# -- totals before writes ------------------------------------------------------------------------------
def test_unmapped_template_with_another_rate_fails_naming_it_and_writes_nothing(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	config.tax_map = {}
	config.us_tax_code = by_name(emu, "TaxCode", "California")  # 7.25 %, ERPNext charged 8.875 %
	store.add_config(config)
	before = counts(emu)
	result = engine.push(SI, US_TAX)
	assert result.status == "Failed" and not result.retryable, result.message
	assert "NY Sales Tax 8.875% - QTC" in result.message and "is not mapped" in result.message
	assert "92.25" in result.message and "California" in result.message and "7.25 %" in result.message
	assert counts(emu) == before  # no customer, no item, no invoice
	assert store.get_link(emu.realm_id, SI, US_TAX) is None
	# retried by the scheduler only once someone changes the map (fingerprint), not every hour
	assert engine.retry_due() == []


def test_unmapped_template_falls_back_only_where_the_rates_match(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	config.tax_map = {}  # the US tax code is NY 8.875 %, as the template
	store.add_config(config)
	result = engine.push(SI, US_TAX)
	assert result.status == "Success", result.message
	invoice = emu.objects("Invoice")[0]
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("2181.65")


# -- bad input before side effects ---------------------------------------------------------------------
@pytest.mark.parametrize(
	("field", "value", "named"),
	[
		("rate", math.nan, "items[1].rate"),
		("amount", math.inf, "items[1].amount"),
		("qty", "12,50", "items[1].qty"),
		("net_amount", "abc", "items[1].net_amount"),
		("amount", 1e14, "items[1].amount"),
	],
)
def test_bad_numbers_fail_permanently_naming_the_cell_and_write_nothing(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine, field, value, named
) -> None:
	doc = invoice_doc(store, "ACC-SINV-2026-95001")
	doc["items"][0][field] = value
	store.add_doc(doc)
	before = counts(emu)
	result = engine.push(SI, doc["name"])
	assert result.status == "Failed" and not result.retryable, result.message
	assert named in result.message and doc["name"] in result.message
	assert result.code == "MAPPING"
	assert counts(emu) == before
	assert "NaN" not in str(emu.objects("Invoice"))


@pytest.mark.parametrize("value", ["2026-02-30", "21/11/2026", "yesterday"])
def test_unparsable_dates_fail_naming_the_field(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine, value
) -> None:
	doc = invoice_doc(store, "ACC-SINV-2026-95002", due_date=value)
	before = counts(emu)
	result = engine.push(SI, doc["name"])
	assert result.status == "Failed" and not result.retryable
	assert "due_date" in result.message and counts(emu) == before


def test_an_item_that_cannot_be_mapped_leaves_no_customer_behind(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	"""Before: the customer was created in QBO, then the item failed (no income account)."""
	config.default_income_account = None
	config.account_map = {}
	store.add_config(config)
	before = counts(emu)
	result = engine.push(SI, BASIC)
	assert result.status == "Failed" and "income" in result.message, result.message
	assert counts(emu) == before


# -- every line keeps its account ----------------------------------------------------------------------
def test_a_line_booked_to_another_income_account_reaches_that_account(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	other = by_name(emu, "Account", "Uncategorized Income")
	config.account_map = dict(config.account_map, **{"Consulting - QTC": other})
	store.add_config(config)
	doc = invoice_doc(store, "ACC-SINV-2026-95003", base="si_basic")
	doc["items"][0]["income_account"] = "Consulting - QTC"  # CONSULT-HR's item books to Services
	store.add_doc(doc)
	result = engine.push(SI, doc["name"])
	assert result.status == "Success", result.message
	invoice = emu.objects("Invoice")[0]
	first, second = [ln for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
	account_item = emu.get("Item", first["SalesItemLineDetail"]["ItemRef"]["value"])
	assert account_item["IncomeAccountRef"]["value"] == other
	assert "CONSULT-HR" in first["Description"]
	assert emu.get("Item", second["SalesItemLineDetail"]["ItemRef"]["value"])["Name"] == "BRKT-AL-10"
	assert "income account 'Consulting - QTC' differs" in result.message
	# a second invoice reuses the account's item
	again = invoice_doc(store, "ACC-SINV-2026-95004", base="si_basic")
	again["items"][0]["income_account"] = "Consulting - QTC"
	store.add_doc(again)
	assert engine.push(SI, again["name"]).status == "Success"
	assert len([i for i in emu.objects("Item") if i["Name"] == account_item["Name"]]) == 1


def test_a_line_with_an_unmapped_income_account_and_no_default_fails_naming_the_line(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	engine.push(SI, BASIC)  # items linked, with their accounts
	config.default_income_account = None
	store.add_config(config)
	doc = invoice_doc(store, "ACC-SINV-2026-95005", base="si_basic")
	doc["items"][1]["income_account"] = "Unmapped Sales - QTC"
	store.add_doc(doc)
	before = counts(emu)
	result = engine.push(SI, doc["name"])
	assert result.status == "Failed" and "items[2].income_account" in result.message
	assert counts(emu) == before


# -- payments against voided or deleted invoices ---------------------------------------------------------
def test_payment_for_an_invoice_voided_in_qbo_is_failed_not_success(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine
) -> None:
	assert engine.push(SI, BASIC).status == "Success"
	invoice_id = store.get_link(emu.realm_id, SI, BASIC).qbo_id
	emu.void_invoice(invoice_id)
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Failed", result.message
	assert (
		"voided in QuickBooks" in result.message and BASIC in result.message and "1844.00" in result.message
	)
	assert emu.objects("Payment") == []
	assert store.get_doc(SI, BASIC).get("qbo_state") == "voided"


def test_payment_for_an_invoice_deleted_in_qbo_is_failed(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine
) -> None:
	assert engine.push(SI, BASIC).status == "Success"
	emu.act("delete_invoice", invoice_id=store.get_link(emu.realm_id, SI, BASIC).qbo_id)
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Failed" and "deleted in QuickBooks" in result.message
	assert emu.objects("Payment") == []


def test_money_left_unapplied_makes_the_payment_a_warning(engine: SyncEngine, emu: EmulatorServer) -> None:
	result = engine.push(PE, PAY_MULTI)  # 2570.76 allocated, QBO holds 2570.75 (the stray cent)
	assert result.status == "Warning", result.message
	assert "0.01 allocated in ERPNext stays unapplied" in result.message


# -- multicurrency -----------------------------------------------------------------------------------------
def test_multicurrency_switched_on_is_seen_at_the_next_retry_not_a_day_later(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine
) -> None:
	failed = engine.push(SI, EUR)  # multicurrency off: refused before any write, the facts cached
	assert failed.status == "Failed" and "multicurrency is off" in failed.message
	emu.set_company(multicurrency=True)
	fixed = engine.retry(failed.log_id)
	assert fixed.status == "Success", fixed.message
	invoice = emu.objects("Invoice")[0]
	assert invoice["CurrencyRef"]["value"] == "EUR"


def test_home_currency_invoice_names_its_currency_when_multicurrency_is_on(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine
) -> None:
	emu.set_company(multicurrency=True)
	result = engine.push(SI, BASIC)
	assert result.status == "Success"
	sent = json.loads(store.get_log(result.log_id).request_json)["sent"]  # what went out, not QBO's answer
	assert sent["CurrencyRef"] == {"value": "USD"}


# -- QBO's refusals name the ERPNext record ----------------------------------------------------------------
def test_inactive_customer_610_names_the_erpnext_customer(
	emu: EmulatorServer, store: MemoryStore, engine: SyncEngine
) -> None:
	assert engine.push(SI, BASIC).status == "Success"
	customer_id = store.get_link(emu.realm_id, "Customer", fixture("si_basic")["customer"]).qbo_id
	emu.deactivate_customer(customer_id)
	doc = invoice_doc(store, "ACC-SINV-2026-95006", base="si_basic")
	result = engine.push(SI, doc["name"])
	assert result.status == "Failed" and not result.retryable, result.message
	assert f"ERPNext Customer {doc['customer']}" in result.message and "inactive" in result.message
	assert len([i for i in emu.objects("Invoice") if i.get("DocNumber") == doc["name"]]) == 0
