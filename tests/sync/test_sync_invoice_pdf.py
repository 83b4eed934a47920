"""With Attach the QuickBooks Invoice PDF on, a pushed invoice gets QBO's PDF of it attached, once; a PDF that
cannot be fetched leaves the invoice in QBO, makes the row a Warning and is attached by the next push."""

from __future__ import annotations

import pytest

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

SI = "Sales Invoice"
BASIC, RETURN = "ACC-SINV-2026-00002", "ACC-SINV-2026-00008"


@pytest.fixture
def pdf_on(store: MemoryStore, config: ConnectionConfig) -> ConnectionConfig:
	config.attach_invoice_pdf = True
	store.add_config(config)
	return config


def test_pushed_invoice_gets_its_qbo_pdf_once(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pdf_on: ConnectionConfig
) -> None:
	result = engine.push(SI, BASIC)
	assert result.status == "Success", result.message
	filename = f"QuickBooks Invoice {result.qbo_id} - {BASIC}.pdf"
	files = store.files(SI, BASIC)
	assert list(files) == [filename] and files[filename].startswith(b"%PDF-")
	assert BASIC in files[filename].decode("latin-1")  # the emulator prints the DocNumber
	assert f"Attached the QuickBooks invoice PDF ({filename})" in result.message
	again = engine.push(SI, BASIC)
	assert again.status == "Skipped" and again.action == "unchanged"
	assert list(store.files(SI, BASIC)) == [filename]


def test_no_pdf_while_switched_off_or_for_a_credit_note(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, config: ConnectionConfig
) -> None:
	assert engine.push(SI, BASIC).ok
	assert store.files(SI, BASIC) == {}
	config.attach_invoice_pdf = True
	store.add_config(config)
	assert engine.push(SI, RETURN).ok
	assert store.files(SI, RETURN) == {}


def test_a_pdf_that_fails_is_a_warning_and_comes_with_the_next_push(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, pdf_on: ConnectionConfig
) -> None:
	emu.add_fault(kind="status", status=500, method="GET", path="/pdf", count=20)
	result = engine.push(SI, BASIC)
	assert result.status == "Warning", result.message
	assert "Created Invoice" in result.message and "But" in result.message
	assert store.get_link(emu.realm_id, SI, BASIC).state == "synced" and store.files(SI, BASIC) == {}
	emu.state.faults.clear()
	later = engine.push(SI, BASIC)
	assert later.status == "Success" and later.action == "updated", later.message
	assert len(store.files(SI, BASIC)) == 1
	assert len([o for o in emu.objects("Invoice") if o.get("DocNumber") == BASIC]) == 1
