"""doc_events of every document kind (sync/kinds): a cheap guard, then a queued job. Nothing slow here.

An accountant's submit must never wait for QuickBooks or fail because of it: the job is enqueued after the
transaction commits (so the worker reads the submitted document), deduplicated per document. Which documents
go, and under which switch, is the document's kind's business: hooks.doc_events and these handlers read the
kinds. A document that cannot be queued (its company's connection is disconnected, paused or needs
reconnecting, or the queue did not answer) is never silently left behind: it gets a QBO Sync Log row
"Waiting" that says why, the submitter sees an alert, the form shows it waiting, and it is sent when the
cause goes away (reconnect, re-enable, Sync Now, auto-push, or Retry on that row).
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _

from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.status import STATUS_FIELD, refresh_document, waiting_reason
from qbo_connector.qbo_connector.store import FROM_PULL_FLAG
from qbo_connector.qbo_connector.tasks import CANCEL_JOB, PUSH_JOB, cancel_job_id, push_job_id
from qbo_connector.sync import kinds
from qbo_connector.sync.kinds import Kind

# Installing, migrating or patching re-saves documents; none of that is news for QuickBooks.
QUIET_FLAGS = ("in_install", "in_migrate", "in_patch", "in_uninstall", "in_setup_wizard")
# Every switch some kind reads, fetched with the connection in one query.
SWITCH_FIELDS = tuple(
	dict.fromkeys(name for kind in kinds.KINDS for name in (kind.switch, kind.submit_switch) if name)
)


def _connection(company: str | None) -> Any:
	"""The company's connection if it was ever connected to a QuickBooks company (else None): such a company
	uses QuickBooks, so a document it cannot send now is logged as waiting, not forgotten."""
	if not company:
		return None
	row = frappe.db.get_value(
		CONNECTION,
		company,
		["name", "enabled", "status", "realm_id", *SWITCH_FIELDS],
		as_dict=True,
		cache=False,
	)
	if not row or not row.realm_id:
		return None
	return row


def _kind(doc: Any) -> Kind | None:
	return kinds.of(doc.doctype, doc)


def _made_from_qbo(doc: Any, kind: Kind | None = None) -> bool:
	"""A document the sync itself wrote from QuickBooks data: sending it back would be an echo."""
	return bool(
		frappe.flags.get(FROM_PULL_FLAG)
		or doc.flags.get(FROM_PULL_FLAG)
		or (kind is not None and kind.pulled(doc))
	)


def _quiet() -> bool:
	return any(frappe.flags.get(flag) for flag in QUIET_FLAGS)


def _enqueue(job: str, job_id: str, doc: Any, operation: str, connection: Any) -> None:
	reason = waiting_reason(connection)
	if reason:
		_log_waiting(doc, operation, connection, reason)
		return
	try:
		frappe.enqueue(
			job,
			queue="default",
			job_id=job_id,
			deduplicate=True,
			enqueue_after_commit=True,
			doctype=doc.doctype,
			name=doc.name,
		)
	except Exception as exc:  # noqa: BLE001 - the queue being down must not undo an accountant's submit
		frappe.log_error(
			title=f"QuickBooks: could not queue {doc.doctype} {doc.name}",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
		)
		_log_waiting(
			doc,
			operation,
			connection,
			_(
				"Not sent: the background queue did not take the job ({0}). Use Push to QuickBooks (or Retry"
				" on this log row) once the queue runs; Sync Now and auto-push also send it."
			).format(type(exc).__name__),
		)


def _log_waiting(doc: Any, operation: str, connection: Any, reason: str) -> None:
	"""A QBO Sync Log row "Waiting" for a document that could not be queued, and an alert for its submitter."""
	from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import make_log

	log = make_log(
		direction="Push",
		operation=operation,
		company=connection.name,
		realm_id=connection.realm_id,
		reference_doctype=doc.doctype,
		reference_name=doc.name,
		status="Waiting",
		attempts=0,
		started_at=frappe.utils.now_datetime(),
		message=reason,
	)
	refresh_document(doc.doctype, doc.name, log=frappe.get_doc("QBO Sync Log", log), publish=False)
	if doc.meta.has_field(STATUS_FIELD):
		doc.set(STATUS_FIELD, "Waiting")  # the in-memory copy too, should anything save it again
	frappe.msgprint(reason, title=_("Not sent to QuickBooks yet"), indicator="orange", alert=True)


def _push_allowed(doc: Any) -> Any:
	"""The connection to send this document through, when its kind is sent on submit (else None)."""
	kind = _kind(doc)
	if kind is None or _quiet() or _made_from_qbo(doc, kind):
		return None
	connection = _connection(doc.get("company"))
	if connection is None or not kind.on_submit(connection):
		return None
	return connection


def on_submit(doc: Any, method: str | None = None) -> None:
	"""A document of some kind submitted: send it to QuickBooks in the background (its switch on)."""
	connection = _push_allowed(doc)
	if connection is not None:
		_enqueue(PUSH_JOB, push_job_id(doc.doctype, doc.name), doc, "push", connection)


def on_cancel(doc: Any, method: str | None = None) -> None:
	"""Cancelled: cancel its QuickBooks twin as its kind says (void, delete, close). Queued even before a
	link exists, because a push job may be sending it right now; the job skips documents that never
	reached QuickBooks, and the switch is not asked: what was sent is cancelled even if sending stopped.
	While the connection cannot be used, only a document that is in QuickBooks is logged as waiting."""
	kind = _kind(doc)
	if kind is None or _quiet() or _made_from_qbo(doc, kind):
		return
	connection = _connection(doc.get("company"))
	if connection is None:
		return
	if waiting_reason(connection) and not frappe.db.exists(
		"QBO Link", {"reference_doctype": doc.doctype, "reference_name": doc.name}
	):
		return
	_enqueue(CANCEL_JOB, cancel_job_id(doc.doctype, doc.name), doc, "cancel", connection)


def on_update_after_submit(doc: Any, method: str | None = None) -> None:
	"""A submitted document's field its kind follows after submit (an invoice's due date) changed: the push
	job sends it as a sparse update."""
	kind = _kind(doc)
	if kind is None or not any(doc.has_value_changed(field) for field in kind.update_fields):
		return
	connection = _push_allowed(doc)
	if connection is None:
		return
	if not frappe.db.exists("QBO Link", {"reference_doctype": doc.doctype, "reference_name": doc.name}):
		return  # never sent: the submit job (or auto-push) sends the whole document, the change included
	_enqueue(PUSH_JOB, push_job_id(doc.doctype, doc.name), doc, "push", connection)
