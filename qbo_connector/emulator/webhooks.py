"""Signed webhook notifications, sent from a background thread the way Intuit's gateway sends them.

Header `intuit-signature` = base64(HMAC-SHA256(verifier token, raw body)). Formats: legacy
{"eventNotifications": [...]} or CloudEvents (a JSON array, type "qbo.<entity>.<created|updated|deleted|voided|
merged|emailed>.v1"). One notification per write (a payment that changes two invoices sends three entities).
Delivery failures are recorded in the log, never raised; `redeliver_last()` resends a body byte for byte.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import requests

from qbo_connector.qbo.webhooks import sign

if TYPE_CHECKING:
	from .state import EmulatorState

log = logging.getLogger(__name__)

PAST = {
	"Create": "created",
	"Update": "updated",
	"Delete": "deleted",
	"Merge": "merged",
	"Void": "voided",
	"Emailed": "emailed",
}


def _utc(ts: float) -> str:
	return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_payload(fmt: str, realm_id: str, events: list[tuple[str, str, str]], ts: float) -> object:
	if fmt == "cloudevents":
		return [
			{
				"specversion": "1.0",
				"id": str(uuid.uuid4()),
				"source": "intuit.qbo-emulator",
				"type": f"qbo.{entity.lower()}.{PAST.get(op, op.lower())}.v1",
				"datacontenttype": "application/json",
				"time": _utc(ts),
				"intuitentityid": entity_id,
				"intuitaccountid": realm_id,
				"data": {},
			}
			for entity, entity_id, op in events
		]
	return {
		"eventNotifications": [
			{
				"realmId": realm_id,
				"dataChangeEvent": {
					"entities": [
						{"name": entity, "id": entity_id, "operation": op, "lastUpdated": _utc(ts)}
						for entity, entity_id, op in events
					]
				},
			}
		]
	}


class WebhookSender:
	def __init__(self, state: EmulatorState) -> None:
		self.state = state
		self.log: list[dict] = []
		self._lock = threading.Lock()
		self._queue: queue.Queue = queue.Queue()
		self._thread: threading.Thread | None = None
		self._session = requests.Session()

	def clear(self) -> None:
		self.flush(2.0)
		with self._lock:
			self.log.clear()

	def entries(self) -> list[dict]:
		with self._lock:
			return [dict(e) for e in self.log]

	def notify(self, realm_id: str, events: list[tuple[str, str, str]], ts: float) -> dict | None:
		"""Queue one signed notification for `events`; returns its log entry (None when there are no events)."""
		if not events:
			return None
		cfg = self.state.config
		body = json.dumps(
			build_payload(cfg.webhook_format, realm_id, events, ts), separators=(",", ":")
		).encode()
		content_type = cfg.webhook_content_type or (
			"application/cloudevents+json" if cfg.webhook_format == "cloudevents" else "application/json"
		)
		entry = {
			"realm_id": realm_id,
			"url": cfg.webhook_url,
			"format": cfg.webhook_format,
			"events": [{"entity": e, "id": i, "operation": o} for e, i, o in events],
			"body": body.decode(),
			"signature": sign(body, cfg.verifier_token),
			"content_type": content_type,
			"status": None,
			"error": None,
			"delivered": False,
			"attempts": 0,
			"redelivery": False,
		}
		return self._enqueue(entry)

	def _enqueue(self, entry: dict) -> dict:
		with self._lock:
			entry["seq"] = len(self.log) + 1
			self.log.append(entry)
		if not entry["url"]:
			entry["error"] = "no webhook_url configured"
			return entry
		self._queue.put(entry)
		with self._lock:
			if self._thread is None or not self._thread.is_alive():
				self._thread = threading.Thread(target=self._run, name="qbo-emulator-webhooks", daemon=True)
				self._thread.start()
		return entry

	def redeliver_last(self) -> dict | None:
		"""Send the last notification again, same body and signature (Intuit retries and duplicates)."""
		with self._lock:
			if not self.log:
				return None
			last = self.log[-1]
		entry = {k: v for k, v in last.items() if k not in ("seq",)}
		entry.update(
			{
				"url": self.state.config.webhook_url or last["url"],
				"status": None,
				"error": None,
				"delivered": False,
				"attempts": 0,
				"redelivery": True,
			}
		)
		return self._enqueue(entry)

	def flush(self, timeout: float = 5.0) -> bool:
		"""Wait until queued deliveries are done (tests call this before asserting on the receiver)."""
		import time

		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			if self._queue.unfinished_tasks == 0:
				return True
			time.sleep(0.01)
		return False

	def _run(self) -> None:
		while True:
			try:
				entry = self._queue.get(timeout=5.0)
			except queue.Empty:
				return
			try:
				self._deliver(entry)
			finally:
				self._queue.task_done()

	def _deliver(self, entry: dict) -> None:
		entry["attempts"] += 1
		try:
			response = self._session.post(
				entry["url"],
				data=entry["body"].encode(),
				headers={"Content-Type": entry["content_type"], "intuit-signature": entry["signature"]},
				timeout=self.state.config.webhook_timeout,
			)
		except requests.RequestException as exc:
			entry["error"] = f"{type(exc).__name__}: {exc}"
			log.info("webhook delivery to %s failed: %s", entry["url"], entry["error"])
			return
		entry["status"] = response.status_code
		entry["delivered"] = 200 <= response.status_code < 300
		if not entry["delivered"]:
			entry["error"] = f"HTTP {response.status_code}"
