"""The desk's sync buttons: each checks who is asking, queues a job and returns at once (no HTTP here).

Sending to QuickBooks on demand, pulling now and re-syncing are book-keeping actions with effects outside
ERPNext, so they need Accounts Manager or System Manager (the same roles that may retry a sync log row);
on-submit pushes need no button and follow the submitter's own permission to submit.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from qbo_connector.qbo_connector.permissions import RETRY_ROLES, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.tasks import (
	IMPORT_JOB,
	LONG_JOB_TIMEOUT,
	PUSH_JOB,
	PUSH_MANY_JOB,
	PUSHED_DOCTYPES,
	SYNC_JOB,
	get_engine,
	import_job_id,
	many_job_id,
	push_job_id,
)

SYNC_ROLES = RETRY_ROLES  # Accounts Manager, System Manager
MAX_SELECTED = 2000  # one list action; more is what "Re-sync All" is for


def _check_doctype(doctype: str) -> None:
	if doctype not in PUSHED_DOCTYPES:
		frappe.throw(
			_("Only these documents are sent to QuickBooks: {0}.").format(
				", ".join(_(name) for name in PUSHED_DOCTYPES)
			)
		)


def _connection(company: str | None) -> Any:
	row = (
		frappe.db.get_value(CONNECTION, company, ["name", "enabled", "status"], as_dict=True)
		if company
		else None
	)
	if not row or row.status == "Not connected":
		frappe.throw(_("{0} is not connected to QuickBooks; connect it in QBO Settings.").format(company))
	if not row.enabled:
		frappe.throw(_("The QuickBooks connection of {0} is disabled.").format(company))
	return row


@frappe.whitelist(methods=["POST"])
def push_now(doctype: str, name: str) -> dict[str, Any]:
	"""The form's "Push to QuickBooks": queue one submitted document."""
	require_roles(SYNC_ROLES)
	_check_doctype(doctype)
	if not frappe.has_permission(doctype, "read", name):
		frappe.throw(_("Not permitted to read {0} {1}").format(_(doctype), name), frappe.PermissionError)
	row = frappe.db.get_value(doctype, name, ["docstatus", "company"], as_dict=True)
	if row is None:
		frappe.throw(_("{0} {1} does not exist").format(_(doctype), name), frappe.DoesNotExistError)
	if row.docstatus != 1:
		frappe.throw(_("Only submitted documents are sent to QuickBooks."))
	_connection(row.company)
	frappe.enqueue(
		PUSH_JOB,
		queue="default",
		job_id=push_job_id(doctype, name),
		deduplicate=True,
		enqueue_after_commit=True,
		doctype=doctype,
		name=name,
	)
	return {"queued": True, "key": push_job_id(doctype, name)}


@frappe.whitelist(methods=["POST"])
def push_selected(doctype: str, names: list[str] | str) -> dict[str, Any]:
	"""The list view's "Push to QuickBooks": one background job with batch requests and a progress bar."""
	require_roles(SYNC_ROLES)
	_check_doctype(doctype)
	if isinstance(names, str):
		names = frappe.parse_json(names)
	if not isinstance(names, list) or not names:
		frappe.throw(_("Select the documents to send first."))
	names = [str(name) for name in dict.fromkeys(names)]
	if len(names) > MAX_SELECTED:
		frappe.throw(_("Select at most {0} documents at once, or use Re-sync All.").format(MAX_SELECTED))
	rows = frappe.get_all(
		doctype, filters={"name": ("in", names)}, fields=["name", "docstatus", "company"], limit=len(names)
	)
	queued: list[str] = []
	skipped: list[str] = []
	connected: dict[str, bool] = {}
	for row in rows:
		if row.company not in connected:
			status = frappe.db.get_value(CONNECTION, row.company, ["enabled", "status"], as_dict=True)
			connected[row.company] = bool(status and status.enabled and status.status != "Not connected")
		if row.docstatus == 1 and connected[row.company] and frappe.has_permission(doctype, "read", row.name):
			queued.append(row.name)
		else:
			skipped.append(row.name)
	skipped += [name for name in names if name not in queued and name not in skipped]
	if not queued:
		frappe.throw(
			_(
				"None of the selected documents can be sent: only submitted documents of connected companies are."
			)
		)
	key = many_job_id(doctype, queued)
	frappe.enqueue(
		PUSH_MANY_JOB,
		queue="long",
		timeout=LONG_JOB_TIMEOUT,
		job_id=key,
		deduplicate=True,
		enqueue_after_commit=True,
		doctype=doctype,
		names=queued,
		key=key,
	)
	return {"key": key, "queued": len(queued), "skipped": skipped}


def _enqueue_sync(company: str, full: bool) -> dict[str, Any]:
	require_roles(SYNC_ROLES)
	if not frappe.has_permission("Company", "read", company):
		frappe.throw(_("Not permitted to read company {0}").format(company), frappe.PermissionError)
	_connection(company)
	if full:  # reading everything again can wait; the month's reads go to pushes and payments first
		from qbo_connector.qbo_connector.budget import check_deferrable

		check_deferrable(company, "Re-sync All (reading everything from QuickBooks again)")
	key = f"qbo-{'resync' if full else 'sync'}::{company}"
	frappe.enqueue(
		SYNC_JOB,
		queue="long",
		timeout=LONG_JOB_TIMEOUT,
		job_id=key,
		deduplicate=True,
		enqueue_after_commit=True,
		company=company,
		full=full,
		key=key,
	)
	return {"key": key, "queued": True}


@frappe.whitelist(methods=["POST"])
def sync_now(company: str) -> dict[str, Any]:
	"""QBO Connection's "Sync Now": pull QuickBooks changes, then send what is not in QuickBooks yet."""
	return _enqueue_sync(company, full=False)


@frappe.whitelist(methods=["POST"])
def resync_all(company: str) -> dict[str, Any]:
	"""QBO Connection's "Re-sync All": read everything from QuickBooks again and send every submitted
	document (documents already there are updated or left alone, never duplicated)."""
	return _enqueue_sync(company, full=True)


@frappe.whitelist()
def check_duplicate_links(company: str | None = None) -> list[dict[str, Any]]:
	"""QBO Connection's "Check Duplicate Links": QuickBooks records linked to more than one ERPNext record
	(per QuickBooks company, per entity), each naming the records, since their documents would all land on
	one QuickBooks record. With a company, only its QuickBooks company is checked."""
	require_roles(SYNC_ROLES)
	from qbo_connector.qbo_connector.store import FrappeStore

	realm_id = None
	if company:
		if not frappe.has_permission("Company", "read", company):
			frappe.throw(_("Not permitted to read company {0}").format(company), frappe.PermissionError)
		realm_id = frappe.db.get_value(CONNECTION, company, "realm_id")
		if not realm_id:
			frappe.throw(
				_("{0} is not connected to QuickBooks; there are no links to check.").format(company)
			)
	return [duplicate.as_dict() for duplicate in FrappeStore(commit=False).duplicate_links(realm_id)]


def _import_args(kinds: list[str] | str | None) -> list[str]:
	from qbo_connector.sync.history import IMPORT_KINDS

	chosen = frappe.parse_json(kinds) if isinstance(kinds, str) else kinds
	chosen = [str(k) for k in chosen or []] or list(IMPORT_KINDS)
	unknown = [k for k in chosen if k not in IMPORT_KINDS]
	if unknown:
		frappe.throw(_("Unknown kinds to import: {0}").format(", ".join(unknown)))
	return chosen


@frappe.whitelist(methods=["POST"])
def import_from_quickbooks(
	company: str,
	from_date: str,
	to_date: str,
	kinds: list[str] | str | None = None,
	dry_run: bool | int | str = 1,
) -> dict[str, Any]:
	"""QBO Connection's "Import from QuickBooks": a dry run answers at once (counts, what to map first); the
	run is a background job with a progress bar that resumes where a stopped one left off."""
	require_roles(SYNC_ROLES)
	_connection(company)
	chosen = _import_args(kinds)
	if frappe.utils.getdate(from_date) > frappe.utils.getdate(to_date):
		frappe.throw(_("From Date must be on or before To Date."))
	if frappe.utils.cint(dry_run):
		from qbo_connector.qbo_connector.reconciliation import read_budget

		dry = get_engine().import_history(
			company, str(from_date), str(to_date), chosen, dry_run=True, budget=read_budget()
		)
		return dry.as_dict()
	key = import_job_id(company)
	frappe.enqueue(
		IMPORT_JOB,
		queue="long",
		timeout=LONG_JOB_TIMEOUT,
		job_id=key,
		deduplicate=True,
		enqueue_after_commit=True,
		company=company,
		start=str(from_date),
		end=str(to_date),
		kinds=chosen,
		key=key,
	)
	return {"queued": True, "key": key}
