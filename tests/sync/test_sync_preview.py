"""Preview: the JSON a push would send, the total QBO is predicted to compute, and the QBO objects it would
create, with no write to QBO (the emulator's write meter stays where it was) and none to ERPNext."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sync_support import fixture, make_client

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.client import BatchItem
from qbo_connector.sync import Link, MemoryStore, SyncEngine
from qbo_connector.sync.preview import DryRunClient, PreviewWriteError

SI, PE = "Sales Invoice", "Payment Entry"
BASIC, US_TAX, EUR = "ACC-SINV-2026-00002", "ACC-SINV-2026-00003", "ACC-SINV-2026-00007"
CANCELLED, PAY_FULL = "ACC-SINV-2026-00011", "ACC-PAY-2026-00002"
CUSTOMER = "O'Brien & Søn Ltd"


class Unchanged:
	"""Asserts, on exit, that neither QBO (the emulator's objects and its write meter) nor the store moved."""

	def __init__(self, emu: EmulatorServer, store: MemoryStore) -> None:
		self.emu, self.store = emu, store

	def state(self) -> tuple:
		snapshot = self.emu.state.snapshot()["companies"][self.emu.realm_id]
		return (
			self.emu.writes(),
			snapshot["counts"],
			[(e, len(self.emu.objects(e))) for e in ("Customer", "Item", "Invoice", "Payment")],
			len(self.store.links()),
			len(self.store.logs()),
		)

	def __enter__(self) -> Unchanged:
		self.before = self.state()
		self.reads_before = self.emu.reads()
		return self

	def __exit__(self, *exc: object) -> None:
		if exc[0] is None:
			assert self.state() == self.before
			self.reads = self.emu.reads() - self.reads_before


def test_new_invoice_preview_writes_nothing_and_is_what_the_push_sends(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	with Unchanged(emu, store) as watch:
		preview = engine.preview(SI, US_TAX)
	assert watch.reads > 0  # it did look at QBO: settings, tax codes, names

	assert (preview.action, preview.entity, preview.draft) == ("create", "Invoice", False)
	assert (preview.erp_total, preview.predicted_total, preview.difference) == (
		Decimal("2181.65"),
		Decimal("2181.65"),
		Decimal("0.00"),
	)
	assert preview.predicted_tax == Decimal("92.25")
	planned = [(w.operation, w.entity, w.name, w.placeholder) for w in preview.writes]
	assert planned[0] == ("create", "Customer", CUSTOMER, "NEW-1")
	assert planned[-1] == ("create", "Invoice", US_TAX, None)
	items = {w.name for w in preview.writes if w.entity == "Item"}
	assert preview.body["CustomerRef"] == {"value": "NEW-1"}
	assert "A push would create" in preview.message and f"Invoice {US_TAX}" in preview.message

	writes = emu.writes()
	pushed = engine.push(SI, US_TAX)
	assert pushed.status == "Success", pushed.message
	assert emu.writes() == writes + len(preview.writes)  # every planned write, and nothing else, is sent
	invoice = emu.get("Invoice", store.get_link(emu.realm_id, SI, US_TAX).qbo_id)
	assert Decimal(str(invoice["TotalAmt"])) == preview.predicted_total
	assert {o["Name"] for o in emu.objects("Item")} >= items
	customer = emu.get("Customer", invoice["CustomerRef"]["value"])
	assert customer["DisplayName"] == CUSTOMER
	# What was sent is what was previewed, once the placeholders are the ids QBO gave.
	sent_lines = [line["Amount"] for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
	previewed = [
		line["Amount"] for line in preview.body["Line"] if line["DetailType"] == "SalesItemLineDetail"
	]
	assert [Decimal(str(a)) for a in sent_lines] == [Decimal(str(a)) for a in previewed]
	assert preview.body["TxnTaxDetail"]["TotalTax"] == 92.25


def test_existing_customer_is_named_as_adopted_not_created(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	existing = emu.add_customer(CUSTOMER)
	with Unchanged(emu, store):
		preview = engine.preview(SI, BASIC)
	assert preview.body["CustomerRef"] == {"value": existing["Id"]}
	assert not [w for w in preview.writes if w.entity == "Customer"]
	assert any(f"Adopted existing QuickBooks Customer {existing['Id']}" in note for note in preview.notes)


def test_payment_preview_plans_the_invoice_it_pays(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	with Unchanged(emu, store):
		preview = engine.preview(PE, PAY_FULL)
	assert preview.action == "create" and preview.entity == "Payment", preview.message
	planned = [(w.entity, w.record) for w in preview.writes]
	assert ("Invoice", f"{SI} {BASIC}") in planned and planned[-1] == ("Payment", f"{PE} {PAY_FULL}")
	invoice_placeholder = next(w.placeholder for w in preview.writes if w.entity == "Invoice")
	assert preview.body["Line"][0]["LinkedTxn"] == [{"TxnId": invoice_placeholder, "TxnType": "Invoice"}]
	assert preview.erp_total == preview.predicted_total == Decimal("1844.00")
	assert any("not in QuickBooks yet" in note for note in preview.notes)


def test_bad_data_fails_naming_the_field_and_plans_nothing(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	with Unchanged(emu, store):
		preview = engine.preview(SI, EUR)
	assert preview.action == "fails" and preview.error_field == "currency"
	assert EUR in preview.message and "multicurrency is off" in preview.message
	assert preview.writes == [] and preview.body is None


def test_linked_invoice_preview_is_the_update_a_push_would_send(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, BASIC).ok
	link = store.get_link(emu.realm_id, SI, BASIC)
	with Unchanged(emu, store):
		same = engine.preview(SI, BASIC)
	assert same.action == "unchanged" and "change nothing" in same.message
	store.update_doc(SI, BASIC, due_date="2027-01-31")
	with Unchanged(emu, store):
		changed = engine.preview(SI, BASIC)
	assert changed.action == "update"
	assert changed.body == {
		"Id": link.qbo_id,
		"SyncToken": link.sync_token,
		"sparse": True,
		"DueDate": "2027-01-31",
	}
	assert [(w.operation, w.entity) for w in changed.writes] == [("update", "Invoice")]


def test_draft_is_previewed_as_it_would_be_sent_once_submitted(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	draft = fixture("si_basic")
	draft.update(name="ACC-SINV-2026-DRAFT", docstatus=0)
	store.add_doc(draft)
	with Unchanged(emu, store):
		preview = engine.preview(SI, draft["name"])
	assert (preview.draft, preview.action, preview.erp_total) == (True, "create", Decimal("1844.00"))
	assert store.get_doc(SI, draft["name"])["docstatus"] == 0


def test_what_a_push_would_skip_is_said(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> None:
	assert engine.preview(SI, CANCELLED).action == "skipped"
	assert engine.preview(SI, "NOPE").message == f"{SI} NOPE does not exist."
	store.save_link(Link(emu.realm_id, SI, BASIC, "Invoice", qbo_id="77", state="synced", origin="pull"))
	pulled = engine.preview(SI, BASIC)
	assert pulled.action == "skipped" and "came from QuickBooks Invoice 77" in pulled.message


def test_dry_run_client_refuses_every_write(emu: EmulatorServer) -> None:
	client = DryRunClient(make_client(emu))
	writes = emu.writes()
	for attempt in (
		lambda: client.void("Invoice", "1", "0"),
		lambda: client.delete("Invoice", "1", "0"),
		lambda: client.send("Invoice", "1"),
		lambda: client.batch([BatchItem("1", "create", "Customer", {"DisplayName": "X"})]),
		lambda: client.request("POST", "customer", body={"DisplayName": "X"}, write=True),
		lambda: client.call("POST", "invoice", body={}),
	):
		with pytest.raises(PreviewWriteError):
			attempt()
	created = client.create("Customer", {"DisplayName": "Someone"})
	assert created["Id"] == "NEW-1" and client.writes[0].name == "Someone"
	assert client.query("select * from Customer")["Customer"]  # reads go through
	assert emu.writes() == writes
