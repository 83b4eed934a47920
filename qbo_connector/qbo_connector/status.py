"""Where a document stands in QuickBooks, told the same way on its form, in its timeline and in its list.

The truth lives in QBO Link (what QuickBooks holds) and QBO Sync Log (what the last attempt did and why).
`document_states` reads both and says, per QuickBooks company, one of: in QuickBooks (with its QuickBooks
number), in QuickBooks with a difference, waiting (and why), sending, failed (and when it is tried again),
voided, deleted, flagged, or not sent. The form shows that (qbo_status.js), live: whenever a log row of the
document closes, `publish_document_states` sends the new states to the open form. A change worth keeping
(reached QuickBooks, failed, differs, voided, waits) is also written to the document's timeline.

The read-only "QBO Status" field on Sales Invoices and Payment Entries mirrors the first state so that the
list can be filtered by it; it is written without touching `modified`, so a submitted document never looks
edited.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import escape_html, get_datetime, now_datetime

from qbo_connector.sync.kinds import doctypes

STATUS_DOCTYPES = doctypes()
STATUS_FIELD = "qbo_status"
STATUS_OPTIONS = (
	"",
	"Waiting",
	"Pending",
	"Synced",
	"Difference",
	"Failed",
	"Voided",
	"Deleted",
	"Closed",
	"Flagged",
)
# The realtime event an open form listens to (qbo_status.js): {"doctype", "name", "states"}.
DOCUMENT_EVENT = "qbo_document_status"
# Log operations that act on one ERPNext document; a later one makes an earlier one history.
DOCUMENT_OPERATIONS = ("push", "cancel")
LOG = "QBO Sync Log"
LINK = "QBO Link"
CONNECTION = "QBO Connection"

# state -> (label, indicator colour, QBO Status field value)
STATES: dict[str, tuple[str, str, str]] = {
	"in_qbo": ("In QuickBooks", "green", "Synced"),
	"difference": ("In QuickBooks, with a difference", "orange", "Difference"),
	"waiting": ("Waiting", "yellow", "Waiting"),
	"sending": ("Sending", "blue", "Pending"),
	"failed": ("Failed", "red", "Failed"),
	"voided": ("Voided in QuickBooks", "gray", "Voided"),
	"deleted": ("Deleted in QuickBooks", "gray", "Deleted"),
	"closed": ("Closed in QuickBooks", "gray", "Closed"),
	"flagged": ("Flagged", "orange", "Flagged"),
	"not_sent": ("Not in QuickBooks", "gray", ""),
}
ENTITY_LABELS = {"CreditMemo": "Credit Memo", "BillPayment": "Bill Payment", "VendorCredit": "Vendor Credit"}
# Entities QuickBooks lists by name; the others are transactions with a number (DocNumber).
NAMED_ENTITIES = ("Customer", "Item", "Vendor", "Employee", "Account")
OVERDUE_SLACK_MINUTES = 10  # the scheduler looks every 5 minutes


def set_reference_status(doctype: str | None, name: str | None, status: str | None) -> None:
	"""Set qbo_status on the document if it has the field (it is added by after_install)."""
	if not doctype or not name or doctype not in STATUS_DOCTYPES:
		return
	if status not in STATUS_OPTIONS:
		return
	if not frappe.get_meta(doctype).has_field(STATUS_FIELD):
		return
	if not frappe.db.exists(doctype, name):
		return
	frappe.db.set_value(doctype, name, STATUS_FIELD, status or None, update_modified=False)


# -- reading the state ---------------------------------------------------------------------------------


def entity_label(entity: str | None) -> str:
	return ENTITY_LABELS.get(entity or "", entity or "")


def qbo_reference(entity: str | None, qbo_id: str | None, qbo_name: str | None) -> str:
	"""How a person recognises the QuickBooks record: 'Invoice 1001', "Customer 'John Smith'"; the internal
	id only when QuickBooks gave it no number ('Payment (ID 12)')."""
	label = entity_label(entity)
	if qbo_name:
		return f"{label} '{qbo_name}'" if entity in NAMED_ENTITIES else f"{label} {qbo_name}"
	if qbo_id:
		return _("{0} (ID {1})").format(label, qbo_id)
	return label


def _connected_realms() -> set[str]:
	return set(frappe.get_all(CONNECTION, filters={"realm_id": ("is", "set")}, pluck="realm_id"))


def _without_name(message: str, doctype: str, name: str) -> str:
	"""'Sales Invoice ACC-SINV-1: field x ...' -> 'Field x ...' (the form already says which document),
	ending with a full stop so that what follows it reads as a sentence of its own."""
	label = f"{doctype} {name}"
	message = (message or "").strip()
	if message.startswith(label):
		rest = message[len(label) :].lstrip(":,;- ").strip()
		if rest:
			message = rest[0].upper() + rest[1:]
	if message and message[-1] not in ".!?":
		message += "."
	return message


def _job_enqueued(job_id: str) -> bool:
	try:
		from frappe.utils.background_jobs import is_job_enqueued

		return bool(is_job_enqueued(job_id))
	except Exception:  # noqa: BLE001 - no queue answer: the form simply does not claim a queued job
		return False


def _no_worker() -> bool:
	try:
		from frappe.utils.background_jobs import get_workers

		return not get_workers()
	except Exception:  # noqa: BLE001 - unknown is not "none"
		return False


def scheduler_disabled() -> bool:
	from frappe.utils.scheduler import is_scheduler_disabled

	return bool(is_scheduler_disabled(verbose=False))


def retry_note(log: Any, connection: Any | None = None) -> tuple[str, str]:
	"""(kind, sentence) on when a failed attempt is tried again, true at the moment it is read:
	scheduled (with the time, or overdue and why), waits_for_fix, manual, or retried (a later attempt)."""
	if log.get("later_attempt"):
		return "retried", _("Tried again since: see the later attempt.")
	moved = (
		connection is not None
		and connection.get("realm_id")
		and log.get("realm_id")
		and connection.realm_id != log.realm_id
	)
	if moved and (log.retryable or log.doc_fingerprint):
		# retry_due reads only rows of the QuickBooks company a company is connected to now
		return "waits_for_connection", _(
			"Not retried automatically: {0} is connected to another QuickBooks company since this attempt."
			" Use Retry to send it to the one connected now."
		).format(connection.name)
	if log.retryable and log.next_retry_at:
		at = get_datetime(log.next_retry_at)
		when = frappe.utils.format_datetime(at, "medium")
		if connection is not None and connection.status != "Connected":
			return "waits_for_connection", _(
				"Retried automatically once {0} is connected to QuickBooks again."
			).format(connection.name)
		if scheduler_disabled():
			return "scheduler_off", _(
				"Due for an automatic retry at {0}, but the scheduler is off on this site: use Retry, or ask a"
				" System Manager to enable the scheduler."
			).format(when)
		if at < frappe.utils.add_to_date(now_datetime(), minutes=-OVERDUE_SLACK_MINUTES):
			return "overdue", _(
				"The automatic retry due at {0} has not run yet (is the scheduler running?); use Retry to send"
				" it now."
			).format(when)
		return "scheduled", _("Retried automatically at {0}.").format(when)
	if not log.retryable and log.doc_fingerprint:
		return "waits_for_fix", _(
			"Not retried until the document, its customer or items, or the QuickBooks maps change; fix the"
			" cause, then use Retry."
		)
	return "manual", _("No automatic retry: fix the cause, then use Retry.")


def document_states(doctype: str, name: str) -> list[dict[str, Any]]:
	"""Per QuickBooks company, where one ERPNext document stands (see the module docstring)."""
	links = frappe.get_all(
		LINK,
		filters={"reference_doctype": doctype, "reference_name": name},
		fields=["name", "realm_id", "company", "qbo_entity", "qbo_id", "qbo_name", "state", "message"]
		+ ["last_synced", "qbo_total", "origin"],
		order_by="modified desc",
	)
	rows = frappe.get_all(
		LOG,
		filters={
			"reference_doctype": doctype,
			"reference_name": name,
			"operation": ("in", DOCUMENT_OPERATIONS),
			"later_attempt": ("is", "not set"),
		},
		fields=["name", "status", "operation", "message", "error_message", "realm_id", "company"]
		+ ["retryable", "next_retry_at", "doc_fingerprint", "later_attempt", "creation", "qbo_name"],
		order_by="creation desc",
	)
	company = (
		frappe.db.get_value(doctype, name, "company")
		if frappe.get_meta(doctype).has_field("company")
		else None
	)
	connection = (
		frappe.db.get_value(
			CONNECTION,
			company,
			["name", "status", "enabled", "realm_id", "push_invoices_on_submit", "push_payments"]
			+ ["auto_push_hours"],
			as_dict=True,
		)
		if company
		else None
	)
	realms: list[str] = []
	for realm in [link.realm_id for link in links] + [row.realm_id or "" for row in rows]:
		if realm not in realms:
			realms.append(realm)
	connected = _connected_realms()
	current = [realm for realm in realms if realm in connected or realm == ""]
	realms = current or realms
	environment = _environment()
	out = []
	for realm in realms:
		link = next((link for link in links if link.realm_id == realm), None)
		candidates = [row for row in rows if (row.realm_id or "") == realm]
		log = candidates[0] if candidates else None
		if log is not None and log.status == "Skipped":
			# sent again with nothing changed: an earlier difference still stands (it stays current)
			log = next((row for row in candidates[1:] if row.status == "Warning"), log)
		state = _state(
			doctype,
			name,
			link,
			log,
			connection if realm in ("", getattr(connection, "realm_id", None)) else None,
		)
		if link is not None and link.qbo_id and environment is not None:
			state["url"] = environment.app_link(link.qbo_entity, link.qbo_id)
		out.append(state)
	if not out:
		state = _unsent_state(doctype, name, connection)
		if state:
			out.append(state)
	return out


def _environment():
	from qbo_connector.qbo_connector.settings import get_environment

	try:
		return get_environment()
	except frappe.ValidationError:
		frappe.clear_last_message()
		return None


def _base(state: str, link: Any, log: Any, company: str | None, realm: str | None) -> dict[str, Any]:
	label, color, _field = STATES[state]
	entity = (link.qbo_entity if link else None) or None
	qbo_id = (link.qbo_id if link else None) or None
	qbo_name = (link.qbo_name if link else None) or (log.qbo_name if log else None) or None
	return {
		"state": state,
		"label": _(label),
		"color": color,
		"company": company,
		"realm_id": realm or None,
		"qbo_entity": entity,
		"qbo_id": qbo_id,
		"qbo_name": qbo_name,
		"reference": qbo_reference(entity, qbo_id, qbo_name) if (qbo_id or qbo_name) else "",
		"url": "",
		"message": "",
		"log": log.name if log else None,
		"log_status": log.status if log else None,
		"retry": None,
		"retry_note": "",
		"can_retry": False,
	}


def _state(doctype: str, name: str, link: Any, log: Any, connection: Any) -> dict[str, Any]:
	company = (link.company if link else None) or (log.company if log else None)
	realm = (link.realm_id if link else None) or (log.realm_id if log else None)
	text = _without_name((log.error_message or log.message or "") if log else "", doctype, name)
	if log is not None and log.status == "Running":
		out = _base("sending", link, log, company, realm)
		out["message"] = _("Being sent to QuickBooks now.")
		return out
	if log is not None and log.status in ("Waiting", "Queued", "Interrupted"):
		out = _base("waiting", link, log, company, realm)
		out["message"] = text
		out["can_retry"] = True
		return out
	if (
		link is not None
		and link.state in ("Voided", "Deleted", "Closed", "Flagged")
		and not (log is not None and log.status == "Failed" and log.operation == "cancel")
	):
		out = _base(link.state.lower(), link, log, company, realm)
		out["message"] = link.message or (text if log and log.operation == "cancel" else "")
		return out
	if log is not None and log.status == "Failed":
		out = _base("failed", link, log, company, realm)
		out["message"] = text
		kind, sentence = retry_note(log, connection)
		out["retry"], out["retry_note"] = kind, sentence
		out["next_retry_at"] = log.next_retry_at if log.retryable else None
		out["can_retry"] = True
		return out
	if link is not None and link.state == "Synced":
		if log is not None and log.status == "Warning":
			out = _base("difference", link, log, company, realm)
			out["message"] = text
			out["can_retry"] = True
			return out
		out = _base("in_qbo", link, log, company, realm)
		out["message"] = text if log is not None and log.status == "Success" else ""
		return out
	if link is not None and link.state == "Pending":
		out = _base("sending", link, log, company, realm)
		out["message"] = _(
			"An earlier attempt may have reached QuickBooks; the next attempt looks it up before sending."
		)
		return out
	if _job_enqueued(_push_job_id(doctype, name)):
		out = _base("waiting", link, log, company, realm)
		out["message"] = _queued_sentence()
		return out
	if log is not None and log.status == "Skipped":
		out = _base("not_sent", link, log, company, realm)
		out["message"] = text
		return out
	return _unsent_state(doctype, name, connection) or _base("not_sent", link, log, company, realm)


def _push_job_id(doctype: str, name: str) -> str:
	from qbo_connector.qbo_connector.tasks import push_job_id

	return push_job_id(doctype, name)


def _queued_sentence() -> str:
	if _no_worker():
		return _("Queued, but no background worker is running on this site: it is sent when one starts.")
	return _("Queued: a background worker sends it in a moment.")


def _unsent_state(doctype: str, name: str, connection: Any) -> dict[str, Any] | None:
	"""A submitted document with no link and no attempt yet: queued, or why it was not sent."""
	from qbo_connector.qbo_connector.tasks import PUSHED_DOCTYPES

	if doctype not in PUSHED_DOCTYPES or connection is None or not connection.realm_id:
		return None
	if frappe.db.get_value(doctype, name, "docstatus") != 1:
		return None
	company = connection.name
	if _job_enqueued(_push_job_id(doctype, name)):
		out = _base("waiting", None, None, company, connection.realm_id)
		out["message"] = _queued_sentence()
		return out
	reason = waiting_reason(connection)
	if reason:
		out = _base("waiting", None, None, company, connection.realm_id)
		out["message"] = reason
		return out
	switch = connection.push_invoices_on_submit if doctype == "Sales Invoice" else connection.push_payments
	out = _base("not_sent", None, None, company, connection.realm_id)
	if switch:
		out["message"] = _("Not sent yet: use Push to QuickBooks, or Sync Now on the connection.")
		return out
	hours = float(connection.get("auto_push_hours") or 0)
	if not hours:
		out["message"] = _(
			"Sending on submit is off for {0}: use Push to QuickBooks, or Sync Now on the connection."
		).format(company)
	elif scheduler_disabled():
		state = _base("waiting", None, None, company, connection.realm_id)
		state["message"] = _(
			"Sending on submit is off for {0}, and the auto-push (every {1} hours) does not run: the scheduler"
			" is off on this site. Use Push to QuickBooks, or ask a System Manager to enable the scheduler."
		).format(company, f"{hours:g}")
		return state
	else:
		state = _base("waiting", None, None, company, connection.realm_id)
		state["message"] = _(
			"Sending on submit is off for {0}: the auto-push sends it once it is {1} hours old (or use Push"
			" to QuickBooks now)."
		).format(company, f"{hours:g}")
		return state
	return out


def waiting_reason(connection: Any) -> str | None:
	"""Why nothing can be sent for a company right now (None when its connection works)."""
	if connection is None:
		return None
	if not connection.enabled:
		return _(
			"Not sent: the QuickBooks connection of {0} is paused (Enabled is off). It is sent when the"
			" connection is enabled again."
		).format(connection.name)
	if connection.status == "Reconnect needed":
		return _(
			"Not sent: QuickBooks stopped accepting this site's access for {0}. It is sent as soon as a System"
			" Manager reconnects it in QBO Settings."
		).format(connection.name)
	if connection.status != "Connected":
		return _(
			"Not sent: {0} is not connected to QuickBooks. It is sent as soon as a System Manager connects it"
			" again in QBO Settings."
		).format(connection.name)
	return None


# -- telling it ----------------------------------------------------------------------------------------


def summary(state: dict[str, Any]) -> str:
	"""One sentence for the timeline and the alert: the state, the QuickBooks record, the reason."""
	parts = [state["label"]]
	if state.get("reference"):
		parts[0] = _("{0} as {1}").format(state["label"], state["reference"])
	if state.get("message"):
		parts.append(state["message"])
	if state.get("retry_note"):
		parts.append(state["retry_note"])
	return ". ".join(part.rstrip(". ") for part in parts if part) + "."


def refresh_document(doctype: str | None, name: str | None, log: Any = None, publish: bool = True) -> None:
	"""After a log row or link of the document changed: mirror the state on the QBO Status field, keep a
	timeline line when an attempt changed it (log), and (publish) tell an open form. Never raises: telling
	must not undo what the attempt did."""
	if not doctype or not name or not frappe.db.exists(doctype, name):
		return
	try:
		states = document_states(doctype, name)
		set_reference_status(doctype, name, STATES[states[0]["state"]][2] if states else "")
		if log is not None:
			_note_in_timeline(doctype, name, log, states)
	except Exception:  # noqa: BLE001 - the sync's own work is done; only the telling failed
		frappe.log_error(title=f"QuickBooks: could not update the status shown on {doctype} {name}")
		return
	if publish:
		_publish(doctype, name, states)


def publish_document_states(doctype: str, name: str) -> None:
	"""Send the document's current states to its open forms (after the change was committed)."""
	if not frappe.db.exists(doctype, name):
		return
	try:
		_publish(doctype, name, document_states(doctype, name))
	except Exception:  # noqa: BLE001 - a form that is not told still shows the truth on its next load
		frappe.log_error(title=f"QuickBooks: could not tell the open form of {doctype} {name}")


def _publish(doctype: str, name: str, states: list[dict[str, Any]]) -> None:
	frappe.publish_realtime(
		DOCUMENT_EVENT,
		{"doctype": doctype, "name": name, "states": states},
		doctype=doctype,
		docname=name,
	)


def _note_in_timeline(doctype: str, name: str, log: Any, states: list[dict[str, Any]]) -> None:
	"""An Info line on the document when an attempt changed what a person should know: it reached
	QuickBooks, differs, failed (for a new reason), was voided, or waits. Repeated failures of the same kind
	and unchanged re-sends add nothing."""
	state = next((s for s in states if s.get("log") == log.name), None)
	if state is None or state["state"] in ("sending",):
		return
	if log.status == "Success" and log.operation == "push" and _previous_status(log) == "Success":
		return  # sent again unchanged (or a due-date update): nothing new for the reader
	previous = _previous(log)
	if (
		previous is not None
		and previous.status == log.status
		and (previous.message or "") == (log.message or "")
	):
		return
	if log.status == "Skipped" and state["state"] != "waiting":
		return
	frappe.get_doc(doctype, name).add_comment(
		"Info", escape_html(_("QuickBooks: {0}").format(summary(state)))
	)


def _previous(log: Any) -> Any:
	rows = frappe.get_all(
		LOG,
		filters={"later_attempt": log.name, "status": ("!=", "Running")},
		fields=["name", "status", "message"],
		order_by="creation desc",
		limit=1,
	)
	return rows[0] if rows else None


def _previous_status(log: Any) -> str | None:
	previous = _previous(log)
	return previous.status if previous else None
