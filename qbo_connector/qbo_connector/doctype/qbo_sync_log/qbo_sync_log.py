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
from qbo_connector.qbo_connector.status import DOCUMENT_OPERATIONS, STATUS_DOCTYPES, refresh_document

# Rows whose attempt has no verdict yet (a webhook row waits "Queued" for its job).
OPEN_STATUSES = ("Running", "Queued")
RETRYABLE_STATUSES = ("Failed", "Warning", "Skipped", "Interrupted", "Waiting")
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
		later_attempt: DF.Link | None
		message: DF.SmallText | None
		next_retry_at: DF.Datetime | None
		operation: DF.Data | None
		qbo_entity: DF.Data | None
		qbo_id: DF.Data | None
		qbo_name: DF.Data | None
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
		status: DF.Literal[
			"Queued", "Waiting", "Running", "Success", "Warning", "Failed", "Skipped", "Interrupted"
		]
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
		# An attempt makes earlier ones history once it has a verdict (while it runs, the last verdict
		# still stands); then the document's QBO Status follows (status.py decides what that means).
		if self.status not in OPEN_STATUSES:
			mark_earlier_attempts(self)
		if self.operation in DOCUMENT_OPERATIONS and self.reference_doctype in STATUS_DOCTYPES:
			refresh_document(self.reference_doctype, self.reference_name, publish=False)

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


# Operations whose later attempt makes an earlier one history, and what "the same thing" means for each:
# one ERPNext document (a cancel after a failed push ends that story too), one QuickBooks object (a pull of
# one entity), or one company (its pulls and its admin actions). Summaries of many documents (bulk,
# auto_push) and webhook deliveries are never superseded: each stands for itself.
COMPANY_OPERATIONS = ("pull", "connect", "company_settings", "validate_account_map", "validate_tax_map",
	"list_accounts", "list_tax_codes", "list_items")  # fmt: skip
SUMMARY_OPERATIONS = ("bulk", "auto_push", "webhook")


def mark_earlier_attempts(row: Document) -> None:
	"""Point the earlier, still-current rows of the same thing at this row, which has just got its verdict
	(their Later Attempt), so "current" is one filter (Later Attempt is not set) for the workspace, the list
	and the form, and an old failure that was tried again never reads as open. A row that was Skipped
	because nothing changed leaves an earlier Warning current: the difference in QuickBooks still stands."""
	table = frappe.qb.DocType("QBO Sync Log")
	if row.operation in DOCUMENT_OPERATIONS and row.reference_doctype and row.reference_name:
		same = (
			table.operation.isin(DOCUMENT_OPERATIONS)
			& (table.reference_doctype == row.reference_doctype)
			& (table.reference_name == row.reference_name)
		)
	elif row.operation == "pull_entity" and row.qbo_entity and row.qbo_id:
		same = (
			(table.operation == row.operation)
			& (table.qbo_entity == row.qbo_entity)
			& (table.qbo_id == row.qbo_id)
			& (table.realm_id == row.realm_id if row.realm_id else table.realm_id.isnull())
		)
	elif row.operation in COMPANY_OPERATIONS and row.company:
		same = (table.operation == row.operation) & (table.company == row.company)
	else:
		return
	# Find them with a plain (non-locking) read, then update those rows by name: an UPDATE with this WHERE
	# would lock every row and gap it scans, and deadlock with workers writing rows of their own.
	query = (
		frappe.qb.from_(table)
		.select(table.name)
		.where(same & table.later_attempt.isnull() & (table.name != row.name))
		.where(table.creation <= row.creation)
	)
	if row.status == "Skipped":
		query = query.where(table.status != "Warning")
	earlier = query.run(pluck=True)
	if earlier:
		(
			frappe.qb.update(table)
			.set(table.later_attempt, row.name)
			.where(table.name.isin(earlier) & table.later_attempt.isnull())
		).run()


def _retention_days(default: int) -> int:
	setting = frappe.db.get_single_value("QBO Settings", "log_retention_days")
	if setting is not None and int(setting) >= 0:
		return int(setting)
	return default


@frappe.whitelist()
def describe_retry(name: str) -> dict[str, Any]:
	"""What the form says about retrying this row, true now: tried again since (and how that went), or
	when the scheduler tries it (overdue, scheduler off, waiting for the connection), or that it waits for
	a fix. Never a bare "retried automatically" beside a time already past."""
	if not frappe.has_permission("QBO Sync Log", "read", name):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	from qbo_connector.qbo_connector.status import retry_note

	row = frappe.db.get_value(
		"QBO Sync Log",
		name,
		["name", "status", "company", "retryable", "next_retry_at", "doc_fingerprint", "later_attempt"],
		as_dict=True,
	)
	if row is None:
		frappe.throw(_("QBO Sync Log {0} does not exist").format(name), frappe.DoesNotExistError)
	out: dict[str, Any] = {"later_attempt": row.later_attempt, "kind": None, "sentence": ""}
	if row.later_attempt:
		later = frappe.db.get_value(
			"QBO Sync Log", row.later_attempt, ["status", "creation", "message"], as_dict=True
		)
		out.update(
			kind="retried",
			later_status=later.status if later else None,
			sentence=_("Tried again on {0}: {1}.").format(
				frappe.utils.format_datetime(later.creation, "medium"), _(later.status)
			)
			if later
			else _("Tried again since."),
		)
		return out
	if row.status != "Failed":
		return out
	connection = (
		frappe.db.get_value("QBO Connection", row.company, ["name", "status", "enabled"], as_dict=True)
		if row.company
		else None
	)
	out["kind"], out["sentence"] = retry_note(row, connection)
	return out


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
