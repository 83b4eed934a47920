# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""Every attempt to move something to or from QuickBooks, with a Retry for the ones that failed."""

from __future__ import annotations

import json
from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now

from qbo_connector.qbo.redact import redact_text
from qbo_connector.qbo_connector.permissions import RETRY_ROLES, require_roles
from qbo_connector.qbo_connector.redaction import scrub
from qbo_connector.qbo_connector.status import set_reference_status

RETRYABLE_STATUSES = ("Failed", "Warning", "Skipped", "Interrupted")
# What the sync engine can re-run (SyncEngine.retry dispatches on these); admin actions such as connect
# are simply done again.
RETRYABLE_OPERATIONS = ("push", "cancel", "pull", "pull_entity")
# Rows that can go once they are old: the trail of what worked. Failures (and attempts a dead worker
# left Interrupted) stay until someone looks.
CLEARABLE_STATUSES = ("Success", "Skipped")
RETRY_JOB = "qbo_connector.qbo_connector.tasks.retry_log"
_MAX_TEXT = 1_000_000  # a Code field is LONGTEXT; keep rows readable in the form anyway


class QBOSyncLog(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attempts: DF.Int
		company: DF.Link | None
		direction: DF.Literal["Push", "Pull", "Webhook"]
		doc_fingerprint: DF.Data | None
		duration_ms: DF.Int
		error_code: DF.Data | None
		error_message: DF.SmallText | None
		intuit_tid: DF.Data | None
		job_id: DF.Data | None
		message: DF.SmallText | None
		next_retry_at: DF.Datetime | None
		operation: DF.Data | None
		qbo_entity: DF.Data | None
		qbo_id: DF.Data | None
		reads: DF.Int
		realm_id: DF.Data | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		request: DF.Code | None
		request_id: DF.Data | None
		requests: DF.Int
		response: DF.Code | None
		retry_of: DF.Link | None
		retryable: DF.Check
		started_at: DF.Datetime | None
		status: DF.Literal["Queued", "Running", "Success", "Warning", "Failed", "Skipped", "Interrupted"]
		traceback: DF.Code | None
	# end: auto-generated types

	def validate(self) -> None:
		# Whoever writes a row (the engine, a webhook, an admin action), nothing secret is stored: bodies
		# and free text are scrubbed here as a last line of defence, not only where they were produced.
		self.request = _clean_body(self.request)
		self.response = _clean_body(self.response)
		self.traceback = _clean_text(self.traceback)
		self.error_message = _clean_text(self.error_message)
		self.message = _clean_text(self.message)

	def on_update(self) -> None:
		if self.status == "Failed" and self.reference_doctype and self.reference_name:
			synced = frappe.db.exists(
				"QBO Link",
				{
					"reference_doctype": self.reference_doctype,
					"reference_name": self.reference_name,
					"state": "Synced",
				},
			)
			if not synced:
				set_reference_status(self.reference_doctype, self.reference_name, "Failed")

	@staticmethod
	def clear_old_logs(days: int = 30) -> None:
		"""Log Settings calls this daily; QBO Settings' retention (when set) wins over Log Settings' days."""
		days = _retention_days(days)
		if not days:
			return  # 0 keeps everything
		table = frappe.qb.DocType("QBO Sync Log")
		frappe.db.delete(
			table,
			filters=(table.creation < (Now() - Interval(days=days)))
			& (table.status.isin(CLEARABLE_STATUSES)),
		)


def _retention_days(default: int) -> int:
	setting = frappe.db.get_single_value("QBO Settings", "log_retention_days")
	if setting is not None and int(setting) >= 0:
		return int(setting)
	return default


@frappe.whitelist()
def retention_days() -> int:
	"""Days successful rows are kept (0 = forever), for the note on the list view."""
	if not frappe.has_permission("QBO Sync Log", "read"):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	return _retention_days(30)


def _clean_text(value: str | None) -> str | None:
	if not value:
		return value
	return (scrub(str(value)) or "")[:_MAX_TEXT]


def _clean_body(value: Any) -> str | None:
	"""A request/response as readable, redacted JSON (or redacted text when it is not JSON)."""
	if value in (None, ""):
		return None
	if not isinstance(value, str | bytes):
		value = json.dumps(value, default=str)
	text = scrub(redact_text(value)) or ""
	try:
		text = json.dumps(json.loads(text), indent=1, ensure_ascii=False, default=str)
	except ValueError:
		pass
	return text[:_MAX_TEXT]


def make_log(**fields: Any) -> str:
	"""Insert one log row (redacted by validate) and return its name; used by admin actions and the store."""
	doc = frappe.get_doc({"doctype": "QBO Sync Log", **fields})
	doc.insert(ignore_permissions=True)
	return doc.name


def _retry_one(name: str) -> bool:
	"""Queue the retry of one row; False when the row is not in a state worth retrying."""
	row = frappe.db.get_value("QBO Sync Log", name, ["status", "operation"], as_dict=True)
	if row is None:
		frappe.throw(_("QBO Sync Log {0} does not exist").format(name), frappe.DoesNotExistError)
	if not frappe.has_permission("QBO Sync Log", "read", name):
		frappe.throw(_("Not permitted to read QBO Sync Log {0}").format(name), frappe.PermissionError)
	if row.status not in RETRYABLE_STATUSES or row.operation not in RETRYABLE_OPERATIONS:
		return False
	frappe.enqueue(
		RETRY_JOB,
		queue="short",
		job_id=f"qbo-retry-{name}",
		deduplicate=True,
		enqueue_after_commit=True,
		log=name,
	)
	return True


@frappe.whitelist(methods=["POST"])
def retry(name: str) -> dict[str, Any]:
	"""Retry button on the form: Accounts Manager and above only, checked here and not only in the UI."""
	require_roles(RETRY_ROLES)
	queued = _retry_one(name)
	if queued:
		frappe.msgprint(_("Retry queued. A new log row will show the outcome."), alert=True, indicator="blue")
	else:
		frappe.msgprint(
			_(
				"Only failed, warning, skipped or interrupted sync attempts can be retried; do other actions (such as connect) again."
			)
		)
	return {"queued": [name] if queued else [], "skipped": [] if queued else [name]}


@frappe.whitelist(methods=["POST"])
def bulk_retry(names: list[str] | str) -> dict[str, Any]:
	"""Retry from the list view's Actions menu; rows that cannot be retried are reported, not failed."""
	require_roles(RETRY_ROLES)
	if isinstance(names, str):
		names = frappe.parse_json(names)
	if not isinstance(names, list) or not names:
		frappe.throw(_("Select at least one QBO Sync Log row."))
	queued, skipped = [], []
	for name in dict.fromkeys(names):
		(queued if _retry_one(str(name)) else skipped).append(name)
	message = _("{0} retries queued.").format(len(queued))
	if skipped:
		message += " " + _(
			"{0} rows skipped (only failed, warning, skipped or interrupted sync attempts are retried)."
		).format(len(skipped))
	frappe.msgprint(message, alert=True, indicator="blue" if queued else "orange")
	return {"queued": queued, "skipped": skipped}
