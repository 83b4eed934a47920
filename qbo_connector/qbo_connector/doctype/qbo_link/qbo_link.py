# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""Where an ERPNext document lives in one QuickBooks company: the record that makes syncing exactly-once.

Two unique keys are enforced by the database, not only by code, so two workers racing can never create
a second link: one ERPNext document per QBO company (ref_key), one ERPNext document per QBO object
(qbo_key). Customers and items are shared by all ERPNext companies, so the realm is part of both keys.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo.constants import canonical_entity
from qbo_connector.qbo_connector.status import set_reference_status


def ref_key(realm_id: str, reference_doctype: str, reference_name: str) -> str:
	return f"{realm_id}|{reference_doctype}|{reference_name}"


def qbo_key(realm_id: str, qbo_entity: str, qbo_id: str | None) -> str | None:
	return f"{realm_id}|{canonical_entity(qbo_entity)}|{qbo_id}" if qbo_id else None


class QBOLink(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company: DF.Link | None
		drift: DF.Check
		generation: DF.Int
		last_synced: DF.Datetime | None
		message: DF.SmallText | None
		origin: DF.Literal["Push", "Pull"]
		pushed: DF.Code | None
		qbo_entity: DF.Data
		qbo_id: DF.Data | None
		qbo_key: DF.Data | None
		qbo_total: DF.Currency
		realm_id: DF.Data
		reconcile_message: DF.SmallText | None
		reconcile_state: DF.Literal["", "In Step", "Differs", "Missing in QBO", "Voided in QBO"]
		reconciled_at: DF.Datetime | None
		ref_key: DF.Data | None
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		remote_updated: DF.Data | None
		request_id: DF.Data | None
		state: DF.Literal["Pending", "Synced", "Voided", "Deleted", "Flagged"]
		sync_token: DF.Data | None
	# end: auto-generated types

	def validate(self) -> None:
		self.qbo_entity = canonical_entity(self.qbo_entity)
		self.qbo_id = (self.qbo_id or "").strip() or None
		self.ref_key = ref_key(self.realm_id, self.reference_doctype, self.reference_name)
		self.qbo_key = qbo_key(self.realm_id, self.qbo_entity, self.qbo_id)
		if self.state == "Synced" and not self.qbo_id:
			frappe.throw(_("A synced link needs the QuickBooks ID."))

	def on_update(self) -> None:
		set_reference_status(self.reference_doctype, self.reference_name, self.state)

	def on_trash(self) -> None:
		set_reference_status(self.reference_doctype, self.reference_name, "")


@frappe.whitelist()
def get_document_status(doctype: str, name: str) -> list[dict[str, Any]]:
	"""QuickBooks state of one ERPNext document (one entry per QBO company), for its form."""
	if not frappe.has_permission(doctype, "read", name):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	if not frappe.has_permission("QBO Link", "read"):
		return []
	from qbo_connector.qbo_connector.settings import get_environment

	links = frappe.get_all(
		"QBO Link",
		filters={"reference_doctype": doctype, "reference_name": name},
		fields=["name", "realm_id", "company", "qbo_entity", "qbo_id", "state", "last_synced", "message"],
	)
	links = _current_realms_only(links)
	try:
		environment = get_environment()
	except frappe.ValidationError:
		environment = None
	last_log = frappe.get_all(
		"QBO Sync Log",
		filters={
			"reference_doctype": doctype,
			"reference_name": name,
			# a pull row names the document it changed; the form's state comes from what was sent
			"operation": ("!=", "pull_entity"),
		},
		fields=["name", "status", "error_message", "message", "realm_id", "company", "creation"]
		+ ["retryable", "next_retry_at", "doc_fingerprint"],
		order_by="creation desc",
		limit=1,
	)
	out = []
	for link in links:
		link["url"] = (
			environment.app_link(link.qbo_entity, link.qbo_id) if environment and link.qbo_id else ""
		)
		out.append(link)
	if last_log and last_log[0].status == "Failed" and not any(link.state == "Synced" for link in links):
		_fold_failure(out, last_log[0], doctype, name)
	return out


def _current_realms_only(links: list[Any]) -> list[Any]:
	"""Links into QBO companies no connection points at any more (a company reconnected to another QBO
	company, leftovers of test runs) are history, not status: when the document also lives in a connected
	QBO company, show only those lines."""
	connected = set(frappe.get_all("QBO Connection", filters={"realm_id": ("is", "set")}, pluck="realm_id"))
	current = [link for link in links if link.realm_id in connected]
	return current or links


def _fold_failure(out: list[dict[str, Any]], log: Any, doctype: str, name: str) -> None:
	"""One line per QuickBooks company: a failed push wins over its pending link (which only says a create
	may be in flight), and says when it is retried; the form already names the document, the message not."""
	if log.retryable and log.next_retry_at:
		retry = "scheduled"  # the scheduler tries again at next_retry_at
	elif not log.retryable and log.doc_fingerprint:
		retry = "waits_for_fix"  # bad data: tried again once the document (or its mapping) changes
	else:
		retry = "manual"  # retries used up, or nothing to watch: only the sync log's Retry is left
	failure = {
		"state": "Failed",
		"message": _without_name(log.error_message or log.message or "", doctype, name),
		"log": log.name,
		"next_retry_at": log.next_retry_at if retry == "scheduled" else None,
		"retry": retry,
	}
	pending = [
		link
		for link in out
		if link.get("state") == "Pending" and (not log.realm_id or link.realm_id == log.realm_id)
	]
	if pending:
		pending[0].update(failure)
		return
	out.append({"company": log.company, "realm_id": log.realm_id, **failure})


def _without_name(message: str, doctype: str, name: str) -> str:
	"""'Sales Invoice ACC-SINV-1: field x ...' -> 'field x ...' (the form already says which document)."""
	label = f"{doctype} {name}"
	if message.startswith(label):
		rest = message[len(label) :].lstrip(":,;- ").strip()
		if rest:
			return rest[0].upper() + rest[1:]
	return message
