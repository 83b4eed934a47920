"""push/cancel of single documents against the emulator: what the accountant sees in QBO, to the cent, once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sync_support import COMPANY, by_name, derive_untaxed, fixture, make_client

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, Link, MemoryStore, SyncEngine, ids

SI, PE = "Sales Invoice", "Payment Entry"
BASIC, US_TAX, DISCOUNTS = "ACC-SINV-2026-00002", "ACC-SINV-2026-00003", "ACC-SINV-2026-00004"
TAX_INCLUSIVE, ROUNDING, EUR = "ACC-SINV-2026-00005", "ACC-SINV-2026-00006", "ACC-SINV-2026-00007"
RETURN, LONG_TEXT, CANCELLED, AMENDED = (
	"ACC-SINV-2026-00008",
	"ACC-SINV-2026-00009",
	"ACC-SINV-2026-00011",
	"ACC-SINV-2026-00011-1",
)
PAY_FULL, PAY_MULTI = "ACC-PAY-2026-00002", "ACC-PAY-2026-00003"


def qbo_invoices(emu: EmulatorServer, number: str, entity: str = "Invoice") -> list[dict]:
	return [o for o in emu.objects(entity) if o.get("DocNumber") == number]


def only_invoice(emu: EmulatorServer, number: str, entity: str = "Invoice") -> dict:
	found = qbo_invoices(emu, number, entity)
	assert len(found) == 1, f"{len(found)} QBO {entity}s numbered {number}"
	return found[0]


def test_invoice_created_once_with_customer_items_and_link(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(SI, BASIC)
	assert result.status == "Success", result.message
	invoice = only_invoice(emu, BASIC)
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("1844.00")
	link = store.get_link(emu.realm_id, SI, BASIC)
	assert link is not None and link.state == "synced" and link.qbo_id == invoice["Id"]
	assert link.remote_total == Decimal("1844.00") and link.sync_token == "0"
	assert link.request_id == ids.request_id(emu.realm_id, SI, BASIC, "create", 0)

	customer = emu.get("Customer", invoice["CustomerRef"]["value"])
	assert customer["DisplayName"] == "O'Brien & Søn Ltd"
	items = {o["Name"]: o for o in emu.objects("Item")}
	assert items["CONSULT-HR"]["Type"] == "Service"
	assert items["BRKT-AL-10"]["Type"] == "NonInventory"  # stock items never become Inventory
	assert store.get_link(emu.realm_id, "Item", "CONSULT-HR").qbo_id == items["CONSULT-HR"]["Id"]

	log = store.get_log(result.log_id)
	assert log.status == "Success" and log.qbo_id == invoice["Id"] and log.intuit_tid
	assert "requestid=" in log.request_json and "Bearer" not in log.request_json

	again = engine.push(SI, BASIC)  # a second push (re-sync, duplicate job) changes nothing
	assert again.status == "Skipped" and again.action == "unchanged"
	assert len(qbo_invoices(emu, BASIC)) == 1


def test_existing_customer_is_matched_not_duplicated(engine: SyncEngine, emu: EmulatorServer) -> None:
	existing = emu.add_customer("O'Brien & Søn Ltd")
	assert engine.push(SI, BASIC).ok
	invoice = only_invoice(emu, BASIC)
	assert invoice["CustomerRef"]["value"] == existing["Id"]
	assert len([c for c in emu.objects("Customer") if c["DisplayName"].startswith("O'Brien")]) == 1


def test_display_name_taken_by_vendor_6240_uses_next_candidate(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	make_client(emu).create("Vendor", {"DisplayName": "O'Brien & Søn Ltd"})
	result = engine.push(SI, BASIC)
	assert result.status == "Success", result.message
	customer = emu.get("Customer", only_invoice(emu, BASIC)["CustomerRef"]["value"])
	assert customer["DisplayName"] == "O'Brien & Søn Ltd (Customer)"
	assert store.get_link(emu.realm_id, "Customer", "O'Brien & Søn Ltd").qbo_id == customer["Id"]


def test_line_without_item_code_uses_default_item(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	config.default_item = by_name(emu, "Item", "Services")
	store.add_config(config)
	doc = derive_untaxed(fixture("si_basic"), "ACC-SINV-2026-90001", [2, 3])
	doc["items"][0]["item_code"] = None
	store.add_doc(doc)
	assert engine.push(SI, doc["name"]).status == "Success"
	lines = [
		line for line in only_invoice(emu, doc["name"])["Line"] if line["DetailType"] == "SalesItemLineDetail"
	]
	assert lines[0]["SalesItemLineDetail"]["ItemRef"]["value"] == config.default_item


@pytest.mark.parametrize(
	("name", "total"),
	[(US_TAX, "2181.65"), (ROUNDING, "109.00"), (LONG_TEXT, "1249.00"), ("ACC-SINV-2026-00010", "3100.00")],
)
def test_totals_match_erpnext_to_the_cent(
	engine: SyncEngine, emu: EmulatorServer, name: str, total: str
) -> None:
	result = engine.push(SI, name)
	assert result.status == "Success", result.message
	assert Decimal(str(only_invoice(emu, name)["TotalAmt"])) == Decimal(total)


def test_sales_tax_lands_as_erpnext_computed_it(engine: SyncEngine, emu: EmulatorServer) -> None:
	assert engine.push(SI, US_TAX).status == "Success"
	invoice = only_invoice(emu, US_TAX)
	assert Decimal(str(invoice["TxnTaxDetail"]["TotalTax"])) == Decimal("92.25")
	codes = [
		line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
		for line in invoice["Line"]
		if "SalesItemLineDetail" in line
	]
	assert codes == ["NON", "TAX", "TAX"]


def test_discount_cent_is_success_with_a_note_unless_absorbed(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	result = engine.push(SI, DISCOUNTS)
	assert result.status == "Success", result.message  # a cent, within the stated tolerance
	assert "2570.75" in result.message and "2570.76" in result.message and "0.01" in result.message
	assert "rounding tolerance" in result.message and "Grand Total discount" in result.message
	assert store.get_log(result.log_id).status == "Success"

	config.absorb_cent_differences = True
	store.add_config(config)
	doc = fixture("si_discounts")
	doc["name"] = "ACC-SINV-2026-90004"
	store.add_doc(doc)
	absorbed = engine.push(SI, doc["name"])
	assert absorbed.status == "Success", absorbed.message
	invoice = only_invoice(emu, doc["name"])
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("2570.76")
	assert any(line["DetailType"] == "DiscountLineDetail" for line in invoice["Line"])


def test_tax_inclusive_cent_is_explained_not_hidden(engine: SyncEngine) -> None:
	result = engine.push(SI, TAX_INCLUSIVE)
	assert result.status == "Success", result.message
	assert "453.83" in result.message and "tax-inclusive" in result.message.lower()
	assert "rounding tolerance" in result.message


def test_eur_invoice_in_multicurrency_company(emu: EmulatorServer, engine: SyncEngine) -> None:
	emu.set_company(multicurrency=True)
	result = engine.push(SI, EUR)
	assert result.status == "Success", result.message
	invoice = only_invoice(emu, EUR)
	assert invoice["CurrencyRef"]["value"] == "EUR"
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("10050.00")
	assert Decimal(str(invoice["ExchangeRate"])) == Decimal("1.08")


def test_eur_invoice_without_multicurrency_names_document_and_field(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	result = engine.push(SI, EUR)
	assert result.status == "Failed" and result.code == "MAPPING" and not result.retryable
	assert result.message.startswith(f"Sales Invoice {EUR}") and "'currency'" in result.message
	assert qbo_invoices(emu, EUR) == []
	assert not [
		c for c in emu.objects("Customer") if c["DisplayName"].startswith("Müller")
	]  # nothing half-made
	log = store.get_log(result.log_id)
	assert log.next_retry_at is None and log.doc_fingerprint  # not retried until the document changes


def test_return_becomes_credit_memo(engine: SyncEngine, emu: EmulatorServer, store: MemoryStore) -> None:
	result = engine.push(SI, RETURN)
	assert result.status == "Success", result.message
	memo = only_invoice(emu, RETURN, "CreditMemo")
	assert Decimal(str(memo["TotalAmt"])) == Decimal("201.42")
	assert store.get_link(emu.realm_id, SI, RETURN).qbo_entity == "CreditMemo"
	assert qbo_invoices(emu, RETURN) == []


def test_payment_full_applies_to_the_invoice(
	engine: SyncEngine, emu: EmulatorServer, store: MemoryStore
) -> None:
	result = engine.push(PE, PAY_FULL)  # the invoice is sent first, on its own log row
	assert result.status == "Success", result.message
	invoice = only_invoice(emu, BASIC)
	payment = emu.get("Payment", store.get_link(emu.realm_id, PE, PAY_FULL).qbo_id)
	assert Decimal(str(payment["TotalAmt"])) == Decimal("1844.00")
	assert payment["Line"][0]["LinkedTxn"][0]["TxnId"] == invoice["Id"]
	assert Decimal(str(emu.get("Invoice", invoice["Id"])["Balance"])) == 0
	assert [log.doctype for log in store.logs() if log.operation == "push"] == [PE, SI]


def test_payment_partial_multi_with_unapplied(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	config.absorb_cent_differences = True  # ERPNext's 2570.76 must be fully open in QBO to be paid
	store.add_config(config)
	result = engine.push(PE, PAY_MULTI)
	assert result.status == "Success", result.message
	payment = emu.get("Payment", store.get_link(emu.realm_id, PE, PAY_MULTI).qbo_id)
	assert Decimal(str(payment["TotalAmt"])) == Decimal("3820.76")
	assert Decimal(str(payment["UnappliedAmt"])) == Decimal("250.00")
	assert Decimal(str(only_invoice(emu, US_TAX)["Balance"])) == Decimal("1181.65")
	assert Decimal(str(only_invoice(emu, DISCOUNTS)["Balance"])) == 0


def test_payment_never_applies_more_than_qbo_balance(
	engine: SyncEngine, emu: EmulatorServer, store: MemoryStore
) -> None:
	result = engine.push(PE, PAY_MULTI)  # 2570.76 allocated, QBO holds 2570.75 (the stray cent)
	assert result.ok, result.message
	payment = emu.get("Payment", store.get_link(emu.realm_id, PE, PAY_MULTI).qbo_id)
	assert Decimal(str(payment["UnappliedAmt"])) == Decimal("250.01")
	assert "0.01 stays unapplied" in result.message


def test_drafts_never_move(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> None:
	store.update_doc(SI, BASIC, docstatus=0)
	result = engine.push(SI, BASIC)
	assert result.status == "Skipped" and "draft" in result.message
	assert qbo_invoices(emu, BASIC) == [] and store.get_link(emu.realm_id, SI, BASIC) is None


def test_disabled_connection_sends_nothing(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	config.enabled = False
	store.add_config(config)
	assert engine.push(SI, BASIC).status == "Skipped"
	assert engine.cancel(SI, BASIC).status == "Skipped"
	assert qbo_invoices(emu, BASIC) == []


def test_cancel_voids_and_amendment_is_a_new_invoice(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	store.update_doc(SI, CANCELLED, docstatus=1, status="Unpaid")
	assert engine.push(SI, CANCELLED).status == "Success"
	store.update_doc(SI, CANCELLED, docstatus=2, status="Cancelled")
	result = engine.cancel(SI, CANCELLED)
	assert result.status == "Success" and result.action == "voided", result.message
	voided = only_invoice(emu, CANCELLED)
	assert Decimal(str(voided["TotalAmt"])) == 0 and "Voided" in voided["PrivateNote"]
	assert store.get_link(emu.realm_id, SI, CANCELLED).state == "voided"
	assert engine.push(SI, CANCELLED).status == "Skipped"  # a cancelled document is never re-created
	assert engine.cancel(SI, CANCELLED).status == "Skipped"  # nor voided twice

	amended = engine.push(SI, AMENDED)
	assert amended.status == "Success", amended.message
	new = only_invoice(emu, AMENDED)
	assert new["Id"] != voided["Id"] and Decimal(str(new["TotalAmt"])) == Decimal("162.99")
	assert f"amends {CANCELLED}" in new["PrivateNote"]


def test_cancel_of_invoice_with_payment_applied_fails_plainly(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	store.update_doc(SI, BASIC, docstatus=2)
	result = engine.cancel(SI, BASIC)
	assert result.status == "Failed" and result.code == "6540" and not result.retryable
	assert (
		"payment is applied" in result.message and "void that payment in QuickBooks first" in result.message
	)
	assert store.get_link(emu.realm_id, SI, BASIC).state == "synced"
	assert Decimal(str(only_invoice(emu, BASIC)["TotalAmt"])) == Decimal("1844.00")


def test_cancel_payment_voids_it_and_credit_memo_too(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY_FULL).ok and engine.push(SI, RETURN).ok
	store.update_doc(PE, PAY_FULL, docstatus=2)
	store.update_doc(SI, RETURN, docstatus=2)
	assert engine.cancel(PE, PAY_FULL).action == "voided"
	payment = emu.get("Payment", store.get_link(emu.realm_id, PE, PAY_FULL).qbo_id)
	assert Decimal(str(payment["TotalAmt"])) == 0
	memo = engine.cancel(SI, RETURN)
	assert memo.status == "Success" and memo.action in ("voided", "deleted")


def test_cancel_of_never_sent_document_is_skipped(engine: SyncEngine, store: MemoryStore) -> None:
	result = engine.cancel(SI, CANCELLED)
	assert result.status == "Skipped" and "never sent" in result.message


def test_due_date_change_after_submit_is_a_sparse_update(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).status == "Success"
	store.update_doc(SI, BASIC, due_date="2027-01-15")
	result = engine.push(SI, BASIC)
	assert result.status == "Success" and result.action == "updated", result.message
	invoice = only_invoice(emu, BASIC)
	assert invoice["DueDate"] == "2027-01-15" and invoice["SyncToken"] == "1"
	assert len([x for x in invoice["Line"] if x["DetailType"] == "SalesItemLineDetail"]) == 2  # lines kept
	assert store.get_link(emu.realm_id, SI, BASIC).sync_token == "1"


def test_stale_synctoken_5010_rereads_and_reapplies(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).status == "Success"
	qbo_id = store.get_link(emu.realm_id, SI, BASIC).qbo_id
	make_client(emu).update(
		"Invoice", {"Id": qbo_id, "SyncToken": "0", "CustomerMemo": {"value": "edited in QBO"}}
	)
	store.update_doc(SI, BASIC, due_date="2027-02-01")
	result = engine.push(SI, BASIC)
	assert result.status == "Success", result.message
	invoice = emu.get("Invoice", qbo_id)
	assert invoice["DueDate"] == "2027-02-01" and invoice["CustomerMemo"]["value"] == "edited in QBO"
	assert invoice["SyncToken"] == "2"
	assert (
		'"code": "5010"' in store.get_log(result.log_id).response_json
		or "5010" in store.get_log(result.log_id).response_json
	)


def test_connection_dropped_after_commit_is_replayed_not_duplicated(
	engine: SyncEngine, emu: EmulatorServer
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/invoice", count=1)
	result = engine.push(SI, BASIC)
	assert result.status == "Success", result.message
	assert len(qbo_invoices(emu, BASIC)) == 1


def test_ambiguous_failure_is_looked_up_before_recreating(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	emu.add_fault(kind="drop", method="POST", path="/invoice", count=50)
	failed = engine.push(SI, BASIC)
	assert failed.status == "Failed" and failed.retryable
	link = store.get_link(emu.realm_id, SI, BASIC)
	assert link.state == "pending" and link.qbo_id is None  # QBO has it; we do not know its id yet
	assert len(qbo_invoices(emu, BASIC)) == 1
	emu.state.faults.clear()
	recovered = engine.retry(failed.log_id)
	assert recovered.status == "Success" and recovered.action == "adopted", recovered.message
	assert len(qbo_invoices(emu, BASIC)) == 1
	assert store.get_link(emu.realm_id, SI, BASIC).qbo_id == only_invoice(emu, BASIC)["Id"]
	assert store.get_log(recovered.log_id).retry_of == failed.log_id


def test_lookup_falls_back_to_our_note_when_qbo_renumbered(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	link = store.get_link(emu.realm_id, SI, BASIC)
	make_client(emu).update("Invoice", {"Id": link.qbo_id, "SyncToken": "0", "DocNumber": "1001"})
	store.save_link(Link(emu.realm_id, SI, BASIC, "Invoice", request_id=link.request_id))  # answer was lost
	result = engine.push(SI, BASIC)
	assert result.action == "adopted", result.message
	assert len(emu.objects("Invoice")) == 1 and store.get_link(emu.realm_id, SI, BASIC).qbo_id == link.qbo_id


def test_crash_after_pending_link_before_send_creates_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	rid = ids.request_id(emu.realm_id, SI, BASIC, "create", 0)
	store.save_link(Link(emu.realm_id, SI, BASIC, "Invoice", request_id=rid))  # a worker died here
	assert engine.push(SI, BASIC).action == "created"
	assert len(qbo_invoices(emu, BASIC)) == 1


def test_a_tax_code_qbo_lacks_is_refused_before_any_write(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	"""Used to reach QBO (customer and items created, then a 2500 on the invoice); now nothing is written."""
	good = config.us_tax_code
	config.us_tax_code = "999"
	config.tax_map = {}
	store.add_config(config)
	before = {entity: len(emu.objects(entity)) for entity in ("Customer", "Item", "Invoice")}
	failed = engine.push(SI, US_TAX)
	assert failed.status == "Failed" and not failed.retryable, failed.message
	assert "no tax code with ID 999" in failed.message and US_TAX in failed.message
	assert {entity: len(emu.objects(entity)) for entity in before} == before
	assert store.get_link(emu.realm_id, SI, US_TAX) is None
	config.us_tax_code = good
	store.add_config(config)
	fixed = engine.retry(failed.log_id)
	assert fixed.status == "Success", fixed.message
	assert len(qbo_invoices(emu, US_TAX)) == 1


def test_refused_create_gets_a_fresh_request_id_after_the_fix(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	"""A refusal only QBO can see (the linked item was deleted there) bumps the request id generation."""
	assert engine.push(SI, US_TAX).status == "Success"  # links its customer and items
	item_link = next(
		store.get_link(emu.realm_id, "Item", row["item_code"]) for row in fixture("si_us_sales_tax")["items"]
	)
	good_id = item_link.qbo_id
	item_link.qbo_id = "99999"  # QBO has no such item: only QBO can refuse this
	store.save_link(item_link)
	doc = fixture("si_us_sales_tax")
	doc["name"] = "ACC-SINV-2026-91004"
	store.add_doc(doc)
	failed = engine.push(SI, doc["name"])
	assert failed.status == "Failed" and not failed.retryable, failed.message
	assert store.get_link(emu.realm_id, SI, doc["name"]).generation == 1
	item_link.qbo_id = good_id
	store.save_link(item_link)
	fixed = engine.retry(failed.log_id)
	assert fixed.status == "Success", fixed.message
	assert store.get_link(emu.realm_id, SI, doc["name"]).request_id == ids.request_id(
		emu.realm_id, SI, doc["name"], "create", 1
	)
	assert len(qbo_invoices(emu, doc["name"])) == 1


def test_payment_made_from_qbo_is_not_pushed_back(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	store.save_link(Link(emu.realm_id, PE, PAY_FULL, "Payment", qbo_id="77", state="synced", origin="pull"))
	result = engine.push(PE, PAY_FULL)
	assert result.status == "Skipped" and "came from QuickBooks" in result.message
	assert emu.objects("Payment") == []


def test_two_companies_two_realms(
	emu: EmulatorServer, store: MemoryStore, config: ConnectionConfig, engine: SyncEngine
) -> None:
	"""Links and settings carry the realm: the same document may live in two QBO companies."""
	second = "9130357766900002"
	emu.set_company(second)
	store.add_config(ConnectionConfig(company="Other Co", realm_id=second, account_map=config.account_map))
	assert engine.push(SI, BASIC).ok
	assert store.get_link(second, SI, BASIC) is None
	assert store.get_config_for_realm(second).company == "Other Co"
	assert COMPANY == store.get_doc(SI, BASIC)["company"]


def test_concurrent_workers_push_one_document_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	"""Eight workers (a duplicate job, a retry, auto-push...) on one invoice: one QBO invoice."""
	import threading

	results = []
	barrier = threading.Barrier(8)

	def worker() -> None:
		barrier.wait()
		results.append(engine.push(SI, US_TAX))

	threads = [threading.Thread(target=worker) for _ in range(8)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join()
	assert sorted(r.action for r in results) == ["created"] + ["unchanged"] * 7
	assert len(qbo_invoices(emu, US_TAX)) == 1
	assert len([c for c in emu.objects("Customer") if c["DisplayName"] == "O'Brien & Søn Ltd"]) == 1
	assert len([i for i in emu.objects("Item") if i["Name"] == "BRKT-AL-10"]) == 1


def test_credit_memo_falls_back_to_delete_where_void_is_refused(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, RETURN).ok
	store.update_doc(SI, RETURN, docstatus=2)
	emu.add_fault(kind="status", status=400, method="POST", path="/creditmemo")  # QBO: void not supported
	result = engine.cancel(SI, RETURN)
	assert result.status == "Success" and result.action == "deleted", result.message
	assert qbo_invoices(emu, RETURN, "CreditMemo") == []
