"""doc_events of Sales Invoice and Payment Entry: a cheap guard, then a queued job. Nothing slow here.

An accountant's submit must never wait for QuickBooks or fail because of it: the job is enqueued after the
transaction commits (so the worker reads the submitted document), deduplicated per document, and any
problem with the queue itself is written to the Error Log instead of breaking the submit; the scheduler's
auto-push and the log's Retry pick such documents up later.
"""

from __future__ import annotations

from typing import Any

import frappe

from qbo_connector.qbo_connector.install import PAYMENT_ID_FIELD
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.store import FROM_PULL_FLAG
from qbo_connector.qbo_connector.tasks import CANCEL_JOB, PUSH_JOB, cancel_job_id, push_job_id

SALES_INVOICE = "Sales Invoice"
PAYMENT_ENTRY = "Payment Entry"
# Installing, migrating or patching re-saves documents; none of that is news for QuickBooks.
QUIET_FLAGS = ("in_install", "in_migrate", "in_patch", "in_uninstall", "in_setup_wizard")


def _connection(company: str | None) -> Any:
	"""The company's connection when it is switched on and has been connected (else None)."""
	if not company:
		return None
	row = frappe.db.get_value(
		CONNECTION,
		company,
		["enabled", "status", "push_invoices_on_submit", "push_payments"],
		as_dict=True,
		cache=False,
	)
	if not row or not row.enabled or row.status == "Not connected":
		return None
	return row


def _made_from_qbo(doc: Any) -> bool:
	"""A document the sync itself wrote from QuickBooks data: sending it back would be an echo."""
	return bool(
		frappe.flags.get(FROM_PULL_FLAG)
		or doc.flags.get(FROM_PULL_FLAG)
		or (doc.doctype == PAYMENT_ENTRY and doc.get(PAYMENT_ID_FIELD))
	)


def _quiet() -> bool:
	return any(frappe.flags.get(flag) for flag in QUIET_FLAGS)


def _is_customer_receipt(doc: Any) -> bool:
	return doc.get("payment_type") == "Receive" and doc.get("party_type") == "Customer"


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
	if _quiet() or _made_from_qbo(doc):
		return False
	connection = _connection(doc.get("company"))
	if connection is None:
		return False
	if doc.doctype == SALES_INVOICE:
		return bool(connection.push_invoices_on_submit)
	return bool(connection.push_payments) and _is_customer_receipt(doc)


def on_submit(doc: Any, method: str | None = None) -> None:
	"""Sales Invoice / Payment Entry submitted: send it to QuickBooks in the background."""
	if _push_allowed(doc):
		_enqueue(PUSH_JOB, push_job_id(doc.doctype, doc.name), doc)


def on_cancel(doc: Any, method: str | None = None) -> None:
	"""Cancelled: void its QuickBooks twin. Queued even before a link exists, because a push job may be
	sending it right now; the job skips documents that never reached QuickBooks."""
	if _quiet() or _made_from_qbo(doc) or _connection(doc.get("company")) is None:
		return
	if doc.doctype == PAYMENT_ENTRY and not _is_customer_receipt(doc):
		return
	_enqueue(CANCEL_JOB, cancel_job_id(doc.doctype, doc.name), doc)


def on_update_after_submit(doc: Any, method: str | None = None) -> None:
	"""A submitted invoice's due date changed: the push job sends it as a sparse update."""
	if not doc.has_value_changed("due_date") or not _push_allowed(doc):
		return
	if not frappe.db.exists("QBO Link", {"reference_doctype": doc.doctype, "reference_name": doc.name}):
		return  # never sent: the submit job (or auto-push) sends the whole invoice, due date included
	_enqueue(PUSH_JOB, push_job_id(doc.doctype, doc.name), doc)
