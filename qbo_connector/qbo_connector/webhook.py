"""Intuit's webhook endpoint: verify, log, enqueue, answer. Intuit wants an answer within 3 seconds.

Register this URL in the Intuit developer portal (Webhooks, per app and environment):

    https://<your site>/api/method/qbo_connector.qbo_connector.webhook.receive

and copy the portal's Verifier Token into QBO Settings. A notification is only a hint ("Invoice 42
changed"): the job re-reads each object from QBO, so a forged or replayed body could at worst make us read
again what is already applied. Still, anything not signed with the verifier token is refused (401).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import frappe
from frappe import _
from frappe.utils import now_datetime
from frappe.utils.background_jobs import is_job_enqueued
from frappe.utils.password import get_decrypted_password

from qbo_connector.qbo.webhooks import WebhookPayloadError, parse_events, verify_signature
from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS
from qbo_connector.qbo_connector.tasks import WEBHOOK_JOB

SIGNATURE_HEADER = "intuit-signature"
LOG = "QBO Sync Log"
MAX_BODY = 1_000_000  # Intuit's notifications are a few KB; anything this big is not from Intuit


def webhook_url() -> str:
	"""The URL to register in the Intuit developer portal."""
	return frappe.utils.get_url("/api/method/qbo_connector.qbo_connector.webhook.receive")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def receive(**kwargs: Any) -> dict[str, Any]:
	"""POST from Intuit. Signed body -> 200 and a queued job; anything else -> 401/400 and a log row.

	kwargs: Frappe passes the parsed JSON body as arguments; the raw bytes are what is signed, so they are
	read from the request instead.
	"""
	body = frappe.request.get_data(cache=True) or b""
	if len(body) > MAX_BODY:
		return _refuse(413, "TOO_LARGE", _("Webhook body of {0} bytes refused.").format(len(body)), body)
	verifier = get_decrypted_password(SETTINGS, SETTINGS, "webhook_verifier_token", raise_exception=False)
	if not verifier:
		return _refuse(
			401,
			"NO_VERIFIER",
			_("A QuickBooks webhook arrived but QBO Settings has no Webhook Verifier Token; it was refused."),
			body,
		)
	if not verify_signature(body, frappe.get_request_header(SIGNATURE_HEADER), verifier):
		return _refuse(
			401,
			"BAD_SIGNATURE",
			_("A webhook with a missing or wrong intuit-signature was refused."),
			body,
		)
	try:
		events = parse_events(body)
	except WebhookPayloadError as exc:
		return _refuse(400, "BAD_PAYLOAD", _("A signed webhook could not be read: {0}").format(exc), body)

	realms = sorted({event.realm_id for event in events})
	company = frappe.db.get_value(CONNECTION, {"realm_id": realms[0]}, "name") if len(realms) == 1 else None
	counts = Counter(f"{event.entity} {event.operation}" for event in events)
	summary = ", ".join(f"{count} x {what}" for what, count in sorted(counts.items())) or _("no events")
	message = _("{0} QuickBooks events received: {1}.").format(len(events), summary)
	# Intuit redelivers: the same body gets the same job id, so a copy still waiting is not queued twice.
	# Copies that arrive later are dropped by the engine's per-event claim.
	job_id = "qbo-webhook::" + hashlib.sha256(body).hexdigest()[:32]
	waiting = is_job_enqueued(job_id)
	log = _log(
		status="Skipped" if waiting else "Queued",
		message=message + (" " + _("The same notification is already queued.") if waiting else ""),
		company=company,
		realm_id=", ".join(realms)[:140] or None,
		request={"events": [_event_dict(event) for event in events]},
	)
	if not waiting:
		frappe.enqueue(
			WEBHOOK_JOB,
			queue="short",
			job_id=job_id,
			deduplicate=True,
			enqueue_after_commit=True,
			body=body.decode("utf-8", errors="replace"),
			log=log,
		)
	return {"ok": True, "events": len(events)}


def _event_dict(event: Any) -> dict[str, Any]:
	return {
		"realm_id": event.realm_id,
		"entity": event.entity,
		"id": event.entity_id,
		"operation": event.operation,
		"occurred_at": event.occurred_at,
	}


def _refuse(status: int, code: str, message: str, body: bytes) -> dict[str, Any]:
	"""Answer with an error status and leave a row (only the body's size and hash: it is not trusted)."""
	_log(
		status="Failed",
		message=message,
		error_code=code,
		request={
			"bytes": len(body),
			"sha256": hashlib.sha256(body).hexdigest(),
			"remote_addr": frappe.local.request_ip,
		},
	)
	frappe.local.response["http_status_code"] = status
	return {"ok": False}


def _log(status: str, message: str, request: dict[str, Any], **fields: Any) -> str:
	doc = frappe.get_doc(
		{
			"doctype": LOG,
			"status": status,
			"direction": "Webhook",
			"operation": "webhook",
			"message": message,
			"error_message": message if status == "Failed" else None,
			"attempts": 1,
			"started_at": now_datetime(),
			"request": frappe.as_json(request),
			**fields,
		}
	)
	doc.flags.ignore_links = True
	doc.insert(ignore_permissions=True)
	return doc.name
