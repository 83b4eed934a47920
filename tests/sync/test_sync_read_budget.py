"""Reads cost money now: each log row says how many requests and metered reads its attempt made (as the
emulator meters them), nothing is read back that a write already answered, and our own webhook echoes are
not read at all."""

from __future__ import annotations

import json
from datetime import timezone

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.webhooks import WebhookEvent
from qbo_connector.sync import MemoryStore, SyncEngine
from qbo_connector.sync.base import parse_time

SI = "Sales Invoice"
US_TAX = "ACC-SINV-2026-00003"


def http_urls(store: MemoryStore, log_id: str) -> list[str]:
	request = json.loads(store.get_log(log_id).request_json)
	calls = request["http"] if isinstance(request, dict) else request
	return [f"{call['method']} {call['url'].split('?')[0]}" for call in calls]


def test_log_rows_count_requests_and_reads_as_intuit_meters_them(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	reads, writes = emu.reads(), emu.writes()
	result = engine.push(SI, US_TAX)
	assert result.status == "Success", result.message
	log = store.get_log(result.log_id)
	assert log.reads == emu.reads() - reads > 0
	assert log.requests == log.reads + (emu.writes() - writes)
	invoice_id = store.get_link(emu.realm_id, SI, US_TAX).qbo_id
	# The create's answer is the invoice: it is never read back.
	assert not [url for url in http_urls(store, result.log_id) if url.endswith(f"/invoice/{invoice_id}")]

	again = engine.push(SI, US_TAX)  # linked, nothing changed: no read at all
	assert again.status == "Skipped"
	assert (store.get_log(again.log_id).requests, store.get_log(again.log_id).reads) == (0, 0)


def test_our_own_webhook_echo_is_not_read(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(SI, US_TAX).ok
	link = store.get_link(emu.realm_id, SI, US_TAX)
	written = parse_time(link.remote_updated).astimezone(timezone.utc)
	echo = WebhookEvent(
		emu.realm_id, "Invoice", link.qbo_id, "Create", written.strftime("%Y-%m-%dT%H:%M:%S.512Z")
	)
	reads = emu.reads()
	outcome = engine.handle_webhook([echo])
	assert (outcome.skipped, outcome.applied, emu.reads()) == (1, 0, reads)

	emu.advance(5)
	emu.edit_invoice(link.qbo_id, add_amount="1")  # a change made in QBO afterwards is read as usual
	changed = parse_time(emu.get("Invoice", link.qbo_id)["MetaData"]["LastUpdatedTime"])
	assert changed > written
	engine.handle_webhook([WebhookEvent(emu.realm_id, "Invoice", link.qbo_id, "Update", changed.isoformat())])
	assert emu.reads() == reads + 1
