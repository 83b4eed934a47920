"""The fault matrix: 200 invoices through an unreliable QBO, and at the end exactly one QBO invoice per ERPNext
invoice, to the cent, every failure logged and retried to success.

Injected (emulator fault queue, consumed in order by whatever request comes next): 500 and 503 (before and
after the write commits), 429 with an XML body, the connection dropped after commit, a delay past the
client's read timeout, an access token expired mid-run, stale SyncTokens from edits made in QBO, and every
webhook delivered twice and out of order. Backoffs are zero and the emulator's clock is scaled, so this runs
in seconds; it is marked `slow` only so it can be deselected locally (`-m "not slow"`), CI runs it.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sync_support import Clock, make_client, make_config, make_engine, make_store, many_invoices

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.webhooks import parse_events
from qbo_connector.sync import MemoryStore, SyncEngine

SI, PE = "Sales Invoice", "Payment Entry"
INVOICES = 200
OK = ("Success", "Warning", "Skipped")
log = logging.getLogger(__name__)

RESULTS: dict[str, Any] = {}


def retry_until_quiet(engine: SyncEngine, clock: Clock, rounds: int = 12) -> int:
	"""Run the scheduler's retry job until nothing is left to retry; returns how many retries ran."""
	ran = 0
	for _ in range(rounds):
		clock.advance(days=2)
		results = engine.retry_due()
		ran += len(results)
		if not results:
			break
	return ran


def engine_clients(engine: SyncEngine) -> list[Any]:
	"""The clients the engine's factory built (sync_support caches one per realm)."""
	return [engine.client(realm) for realm in {e.realm_id for e in engine.store.logs() if e.realm_id}]


def fault_codes(response_json: str | None) -> list[str]:
	"""Fault codes QBO answered within one attempt (its log row keeps every HTTP exchange)."""
	codes = []
	for exchange in json.loads(response_json or "[]") if (response_json or "").startswith("[") else []:
		if (exchange.get("status") or 0) >= 400 and (exchange.get("body") or "").startswith("{"):
			errors = json.loads(exchange["body"]).get("Fault", {}).get("Error", [])
			codes.extend(str(error.get("code")) for error in errors)
	return codes


def endpoint(path: str) -> str:
	"""'/v3/company/123/payment/12?x' -> 'payment'."""
	parts = path.split("?")[0].strip("/").split("/")
	return parts[parts.index("company") + 2] if "company" in parts else path


def queue(emu: EmulatorServer, *rules: dict[str, Any]) -> None:
	for rule in rules:
		emu.add_fault(**rule)


@pytest.mark.slow
def test_fault_matrix_exactly_once_to_the_cent() -> None:
	clock = Clock()
	with EmulatorServer(port=0, limits_enabled=True, time_scale=0.01) as emu:
		config = make_config(emu)
		store: MemoryStore = make_store(config)
		docs = many_invoices(INVOICES)
		for doc in docs:
			store.add_doc(doc)
		names = [d["name"] for d in docs]
		engine = make_engine(emu, store, clock)

		# -- 1. first sync in batches while QBO misbehaves ------------------------------------------------
		# The queue is consumed in order by whatever matches next; the client tries each batch request up
		# to 5 times (max_retries=4), a 401 refresh not counted. So, chunk by chunk of 30:
		#   chunk 1: 500, 429 xml, 429 xml, dropped after commit, dropped replay -> fails, but committed
		#   chunk 2: 503 x5 -> fails, nothing committed
		#   chunk 3: token expired (refresh), delay past the read timeout (commits late), 500 after
		#            commit x4 -> fails, committed
		#   chunk 4: 503, 429 xml, then succeeds; chunks 5-7 succeed
		batch = {"method": "POST", "path": "/batch"}
		queue(
			emu,
			{"kind": "status", "status": 500, **batch},
			{"kind": "throttle", "body": "xml", "count": 2, **batch},
			{"kind": "drop", "count": 2, **batch},
			{"kind": "status", "status": 503, "count": 5, **batch},
			{"kind": "expire_token", **batch},
			{"kind": "delay", "delay": 1.5, **batch},
			{"kind": "status", "status": 500, "when": "after", "count": 4, **batch},
			{"kind": "status", "status": 503, **batch},
			{"kind": "throttle", "body": "xml", **batch},
		)
		first = engine.push_many(SI, names)
		assert emu.state.faults.pending() == [], "phase 1 faults all reached"
		RESULTS["bulk"] = first.as_dict()
		assert first.failed == 90 and first.created == 110, first.as_dict()

		# -- 2. the scheduler retries; lookups and creates hit more faults --------------------------------
		queue(
			emu,
			{"kind": "status", "status": 500, "method": "GET", "path": "/query", "count": 5},
			{"kind": "throttle", "body": "xml", "method": "GET", "path": "/query", "count": 2},
			{"kind": "drop", "method": "POST", "path": "/invoice", "count": 2},
			{"kind": "delay", "delay": 1.5, "method": "POST", "path": "/invoice"},
			{
				"kind": "status",
				"status": 503,
				"when": "after",
				"method": "POST",
				"path": "/invoice",
				"count": 2,
			},
		)
		RESULTS["retries_after_bulk"] = retry_until_quiet(engine, clock)
		assert emu.state.faults.pending() == [], "phase 2 faults all reached"

		# -- 3. due dates change after submit; a QBO user edited half of those invoices meanwhile ----------
		changed = names[::5]  # 40 invoices
		qbo = make_client(emu)
		for position, name in enumerate(changed):
			store.update_doc(SI, name, due_date="2027-03-31")
			if position % 2 == 0:
				link = store.get_link(emu.realm_id, SI, name)
				qbo.update(
					"Invoice",
					{"Id": link.qbo_id, "SyncToken": link.sync_token, "CustomerMemo": {"value": "edited"}},
				)
		emu.expire_tokens()  # every access token dies: the client refreshes through the emulator's OAuth
		queue(
			emu,
			{"kind": "status", "status": 503, "method": "POST", "path": "/invoice", "count": 5},
			{"kind": "throttle", "body": "xml", "method": "POST", "path": "/invoice"},
			{"kind": "expire_token", "method": "GET", "path": "/invoice/"},
		)
		updates = engine.push_many(SI, names)
		RESULTS["updates"] = updates.as_dict()
		RESULTS["retries_after_updates"] = retry_until_quiet(engine, clock)
		assert emu.state.faults.pending() == [], "phase 3 faults all reached"

		# -- 4. customers pay in QBO; webhooks arrive twice and out of order; CDC is the backstop ---------
		paid = names[1::7]  # 29 invoices, half their balance each
		expected_paid: dict[str, Decimal] = {}
		for name in paid:
			link = store.get_link(emu.realm_id, SI, name)
			amount = (link.remote_total / 2).quantize(Decimal("0.01"))
			emu.record_payment(link.qbo_id, str(amount))
			expected_paid[name] = amount
		emu.flush_webhooks(2.0)
		bodies = [entry["body"] for entry in emu.webhook_log()]
		events = [event for body in bodies for event in parse_events(body)]
		delivery = events + events  # every notification twice
		random.Random(7).shuffle(delivery)  # and in any order
		queue(emu, {"kind": "status", "status": 503, "method": "GET", "path": "/payment/", "count": 5})
		hooks = engine.handle_webhook(delivery)
		RESULTS["webhooks"] = {
			"events": len(delivery),
			"applied": hooks.applied,
			"duplicates": hooks.duplicates,
			"skipped": hooks.skipped,
			"failed": hooks.failed,
		}
		assert (
			hooks.failed >= 1
		)  # a read failed after its retries: released, so its duplicate is handled again
		assert hooks.duplicates == len(delivery) - hooks.seen
		pulled = engine.pull(company=config.company)
		RESULTS["pull"] = {"seen": pulled.seen, "applied": pulled.applied, "failed": pulled.failed}
		RESULTS["retries_after_payments"] = retry_until_quiet(engine, clock)
		engine.handle_webhook(delivery)  # a late redelivery of everything changes nothing

		# -- the verdict ------------------------------------------------------------------------------------
		assert emu.state.faults.pending() == [], "every injected fault fired"
		by_number: dict[str, list[dict]] = {}
		for invoice in emu.objects("Invoice"):
			by_number.setdefault(invoice.get("DocNumber"), []).append(invoice)
		assert sorted(by_number) == sorted(names), "no stray or missing QBO invoices"
		for doc in docs:
			[invoice] = by_number[doc["name"]]  # exactly one each
			expected = Decimal(str(doc["rounded_total"] or doc["grand_total"])).quantize(Decimal("0.01"))
			assert Decimal(str(invoice["TotalAmt"])) == expected, doc["name"]
			link = store.get_link(emu.realm_id, SI, doc["name"])
			assert link.state == "synced" and link.qbo_id == invoice["Id"]
			if doc["name"] in changed:
				assert invoice["DueDate"] == "2027-03-31"
		entries = [d for d in store.docs(PE) if d["name"].startswith("QBO-PAY-")]
		assert len(entries) == len(paid) == len(emu.objects("Payment"))
		got = {
			e["references"][0]["reference_name"]: Decimal(str(e["references"][0]["allocated_amount"]))
			for e in entries
		}
		assert got == expected_paid

		logs = store.logs()
		failed = [entry for entry in logs if entry.status == "Failed"]
		assert failed, "faults must show up as Failed log rows"
		assert (
			store.retry_candidates(clock() + timedelta(days=365)) == []
		), "every failure was retried to success"
		newest: dict[tuple, Any] = {}
		for entry in logs:
			newest[(entry.operation, entry.doctype, entry.name)] = entry
		for entry in failed:
			assert newest[(entry.operation, entry.doctype, entry.name)].status in OK, entry.message

		secrets = [c.token_provider.store.load() for c in engine_clients(engine)]
		for entry in logs:
			text = f"{entry.request_json}{entry.response_json}{entry.message}"
			for field in (entry.request_json, entry.response_json):
				assert field is None or json.loads(field) is not None  # valid JSON for the log's JSON fields
			assert "Bearer" not in text and not any(
				t.access_token in text or t.refresh_token in text for t in secrets
			)
		stale = [e for e in logs if e.operation == "push" and "5010" in fault_codes(e.response_json)]
		RESULTS["stale_synctoken_5010_recovered"] = len(stale)
		assert len(stale) == len(changed) // 2
		fired = Counter(f"{f['kind']} {f['method']} {endpoint(f['path'])}" for f in emu.state.faults.fired)
		RESULTS["faults_fired"] = dict(sorted(fired.items()))
		RESULTS["failed_log_rows"] = Counter(e.error_code for e in failed)
		RESULTS["retry_rows"] = sum(1 for e in logs if e.retry_of)
		RESULTS["final"] = {
			"erpnext_invoices": INVOICES,
			"qbo_invoices": len(emu.objects("Invoice")),
			"qbo_payments": len(emu.objects("Payment")),
			"payment_entries_from_qbo": len(entries),
			"due_dates_updated": len(changed),
			"log_rows": len(logs),
		}
		log.warning("fault matrix: %s", json.dumps(RESULTS, default=str))
