"""A webhook for a payment we are pushing can be handled before the push has written the payment's link:
QBO (and the emulator) notify as soon as the write commits, and another worker may run the webhook job
while the pushing worker still waits for QBO's answer. The payment must not come back as a second
Payment Entry."""

from __future__ import annotations

from sync_support import COMPANY

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.webhooks import WebhookEvent
from qbo_connector.sync import MemoryStore, SyncEngine

SI, PE = "Sales Invoice", "Payment Entry"
PAY_FULL = "ACC-PAY-2026-00002"


def _as_if_in_flight(store: MemoryStore, realm: str) -> str:
	"""The payment's link as it is between "create sent" and "answer stored": pending, no QBO id yet."""
	link = store.get_link(realm, PE, PAY_FULL)
	qbo_id = link.qbo_id
	link.qbo_id, link.state, link.sync_token = None, "pending", None
	store.save_link(link)
	return qbo_id


def test_webhook_for_a_payment_still_being_pushed_is_not_pulled_back(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	qbo_id = _as_if_in_flight(store, emu.realm_id)
	payment = emu.get("Payment", qbo_id)
	event = WebhookEvent(
		emu.realm_id, "Payment", qbo_id, "Create", payment["MetaData"]["LastUpdatedTime"], None
	)
	engine.handle_webhook([event])
	assert [d for d in store.docs(PE) if d["name"].startswith("QBO-PAY-")] == []


def test_pull_of_a_payment_still_being_pushed_is_not_pulled_back(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	assert engine.push(PE, PAY_FULL).status == "Success"
	_as_if_in_flight(store, emu.realm_id)
	engine.pull(company=COMPANY)
	assert [d for d in store.docs(PE) if d["name"].startswith("QBO-PAY-")] == []
