"""doc_events of every document kind (sync/kinds): a cheap guard, then a queued job. Nothing slow here.

An accountant's submit must never wait for QuickBooks or fail because of it: the job is enqueued after the
transaction commits (so the worker reads the submitted document), deduplicated per document, and any
problem with the queue itself is written to the Error Log instead of breaking the submit; the scheduler's
auto-push and the log's Retry pick such documents up later. Which documents go, and under which switch,
is the document's kind's business: hooks.doc_events and these handlers read the kinds.
"""

from __future__ import annotations

from typing import Any

import frappe

from qbo_connector.qbo_connector.settings import CONNECTION
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
	"""The company's connection when it is switched on and has been connected (else None)."""
	if not company:
		return None
	row = frappe.db.get_value(
		CONNECTION,
		company,
		["enabled", "status", *SWITCH_FIELDS],
		as_dict=True,
		cache=False,
	)
	if not row or not row.enabled or row.status == "Not connected":
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


def _enqueue(job: str, job_id: str, doc: Any) -> None:
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
	except Exception:  # noqa: BLE001 - the queue being down must not undo an accountant's submit
		frappe.log_error(
			title=f"QuickBooks: could not queue {doc.doctype} {doc.name}",
			reference_doctype=doc.doctype,
			reference_name=doc.name,
		)


def _push_allowed(doc: Any) -> bool:
	kind = _kind(doc)
	if kind is None or _quiet() or _made_from_qbo(doc, kind):
		return False
	connection = _connection(doc.get("company"))
	return connection is not None and kind.on_submit(connection)


def on_submit(doc: Any, method: str | None = None) -> None:
	"""A document of some kind submitted: send it to QuickBooks in the background (its switch on)."""
	if _push_allowed(doc):
		_enqueue(PUSH_JOB, push_job_id(doc.doctype, doc.name), doc)


def on_cancel(doc: Any, method: str | None = None) -> None:
	"""Cancelled: cancel its QuickBooks twin as its kind says (void, delete, close). Queued even before a
	link exists, because a push job may be sending it right now; the job skips documents that never
	reached QuickBooks, and the switch is not asked: what was sent is cancelled even if sending stopped."""
	kind = _kind(doc)
	if kind is None or _quiet() or _made_from_qbo(doc, kind) or _connection(doc.get("company")) is None:
		return
	_enqueue(CANCEL_JOB, cancel_job_id(doc.doctype, doc.name), doc)


def on_update_after_submit(doc: Any, method: str | None = None) -> None:
	"""A submitted document's field its kind follows after submit (an invoice's due date) changed: the push
	job sends it as a sparse update."""
	kind = _kind(doc)
	if kind is None or not any(doc.has_value_changed(field) for field in kind.update_fields):
		return
	if not _push_allowed(doc):
		return
	if not frappe.db.exists("QBO Link", {"reference_doctype": doc.doctype, "reference_name": doc.name}):
		return  # never sent: the submit job (or auto-push) sends the whole document, the change included
	_enqueue(PUSH_JOB, push_job_id(doc.doctype, doc.name), doc)
