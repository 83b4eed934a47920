"""QBO webhook signatures and payloads (legacy eventNotifications and CloudEvents).

The Frappe endpoint must answer within 3 s, so this module does only cheap, pure work: check the
signature and turn the body into flat events the sync engine can enqueue. The emulator signs with `sign`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qbo_connector.qbo.constants import canonical_entity

SIGNATURE_HEADER = "intuit-signature"

OPERATIONS = ("Create", "Update", "Delete", "Merge", "Void", "Emailed")

_OPERATION_WORDS = {
	"create": "Create",
	"created": "Create",
	"update": "Update",
	"updated": "Update",
	"delete": "Delete",
	"deleted": "Delete",
	"merge": "Merge",
	"merged": "Merge",
	"void": "Void",
	"voided": "Void",
	"email": "Emailed",
	"emailed": "Emailed",
}


class WebhookPayloadError(ValueError):
	"""The body is not a QBO webhook payload we can read (answer 400, do not retry forever)."""


@dataclass(frozen=True)
class WebhookEvent:
	"""One change QBO told us about; the engine pulls the named object rather than trusting the payload."""

	realm_id: str
	entity: str  # QBO spelling, e.g. "Invoice", "CreditMemo"
	entity_id: str
	operation: str  # one of OPERATIONS (unknown words are passed through capitalised)
	occurred_at: str  # as QBO sent it, offset normalised to ISO form ("-0700" -> "-07:00")
	event_id: str | None = None  # CloudEvents id; None for legacy payloads
	deleted_id: str | None = None  # for Merge: the id that was merged away (legacy "deletedId")


def _as_bytes(body: bytes | str) -> bytes:
	return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def sign(body: bytes | str, verifier_token: str) -> str:
	"""The intuit-signature value for body: base64(HMAC-SHA256(verifier token, raw body bytes))."""
	digest = hmac.new(verifier_token.encode("utf-8"), _as_bytes(body), hashlib.sha256).digest()
	return base64.b64encode(digest).decode("ascii")


def verify_signature(body: bytes | str, signature: str | None, verifier_token: str) -> bool:
	"""Whether signature matches body; constant-time, and False (never an exception) on missing input."""
	if not signature or not verifier_token:
		return False
	expected = sign(body, verifier_token)
	return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8", errors="replace"))


def normalize_operation(word: str | None) -> str:
	"""QBO operation spelling from any of "Void", "voided", "CREATED", ..."""
	word = (word or "").strip()
	return _OPERATION_WORDS.get(word.lower(), word[:1].upper() + word[1:].lower())


_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def _iso(value: Any) -> str:
	text = "" if value is None else str(value).strip()
	if "T" in text:
		text = _OFFSET.sub(r"\1:\2", text)
	return text


def _lower_keys(mapping: Mapping) -> dict[str, Any]:
	return {str(k).lower(): v for k, v in mapping.items()}


def _parse_type(event_type: str) -> tuple[str, str]:
	"""("Invoice", "Void") from "qbo.invoice.voided.v1" (also tolerates a vendor prefix or no version)."""
	parts = [p for p in (event_type or "").strip().split(".") if p]
	if parts and re.fullmatch(r"v\d+", parts[-1], flags=re.IGNORECASE):
		parts = parts[:-1]
	if len(parts) < 2:
		raise WebhookPayloadError(f"Unrecognised CloudEvents type {event_type!r}")
	return canonical_entity(parts[-2]), normalize_operation(parts[-1])


def _legacy(payload: Mapping) -> list[WebhookEvent]:
	events = []
	notifications = _lower_keys(payload).get("eventnotifications") or []
	for note in notifications:
		if not isinstance(note, Mapping):
			continue
		note_l = _lower_keys(note)
		realm_id = str(note_l.get("realmid") or "")
		change = note_l.get("datachangeevent") or {}
		entities = (_lower_keys(change).get("entities") or []) if isinstance(change, Mapping) else []
		for ent in entities:
			if not isinstance(ent, Mapping):
				continue
			e = _lower_keys(ent)
			events.append(
				WebhookEvent(
					realm_id=realm_id,
					entity=canonical_entity(str(e.get("name") or "")),
					entity_id=str(e.get("id") or ""),
					operation=normalize_operation(e.get("operation")),
					occurred_at=_iso(e.get("lastupdated")),
					event_id=None,
					deleted_id=str(e["deletedid"]) if e.get("deletedid") not in (None, "") else None,
				)
			)
	return events


def _cloud_event(raw: Mapping) -> WebhookEvent:
	e = _lower_keys(raw)
	entity, operation = _parse_type(str(e.get("type") or ""))
	data = e.get("data") if isinstance(e.get("data"), Mapping) else {}
	data_l = _lower_keys(data)
	entity_id = e.get("intuitentityid") or data_l.get("id") or data_l.get("entityid") or ""
	realm_id = e.get("intuitaccountid") or data_l.get("realmid") or ""
	deleted = data_l.get("deletedid") or data_l.get("mergedid")
	return WebhookEvent(
		realm_id=str(realm_id),
		entity=entity,
		entity_id=str(entity_id),
		operation=operation,
		occurred_at=_iso(e.get("time") or data_l.get("lastupdated")),
		event_id=str(e["id"]) if e.get("id") not in (None, "") else None,
		deleted_id=str(deleted) if deleted not in (None, "") else None,
	)


def parse_events(body: bytes | str | Mapping | list) -> list[WebhookEvent]:
	"""Flat events from a webhook body in either format Intuit sends; raises WebhookPayloadError if neither."""
	if isinstance(body, bytes | bytearray | str):
		try:
			payload = json.loads(body)
		except ValueError as exc:
			raise WebhookPayloadError("Webhook body is not JSON") from exc
	else:
		payload = body
	if isinstance(payload, list):
		return [_cloud_event(item) for item in payload if isinstance(item, Mapping)]
	if isinstance(payload, Mapping):
		keys = _lower_keys(payload)
		if "eventnotifications" in keys:
			return _legacy(payload)
		if "specversion" in keys or "type" in keys:
			return [_cloud_event(payload)]
	raise WebhookPayloadError("Webhook body is neither eventNotifications nor a CloudEvents array")
