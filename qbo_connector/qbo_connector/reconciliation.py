"""The Frappe side of reconciliation: the QBO Reconciliation report's data, the daily drift check, and the
notice to managers when something differs from QuickBooks. The comparing itself is sync/reconcile.py."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import frappe
from frappe import _
from frappe.utils import escape_html, get_url, getdate, nowdate

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.notify import notify_managers
from qbo_connector.qbo_connector.permissions import READ_ROLES, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.sync.outcome import SyncError
from qbo_connector.sync.reconcile import MISSING, ReconcileReport, ReconcileRow

DRIFT_JOB = "qbo_connector.qbo_connector.reconciliation.run_drift_check"
REPORT = "QBO Reconciliation"
DRIFT_JOB_TIMEOUT = 1800
LOG = "QBO Sync Log"


def read_budget():
	"""The read-budget gate reconcile asks before reading (budget.py), or None before it exists."""
	try:
		from qbo_connector.qbo_connector.budget import FrappeReadBudget
	except ImportError:  # pragma: no cover - the budget module lands with the read budget
		return None
	return FrappeReadBudget()


def report_url(company: str, **filters: Any) -> str:
	"""The QBO Reconciliation report with its filters set."""
	return get_url(f"/app/query-report/{quote(REPORT)}?" + urlencode({"company": company, **filters}))


def reconcile(
	company: str,
	from_date: str | date | None = None,
	to_date: str | date | None = None,
	kinds: list[str] | None = None,
	only_in_qbo: bool = True,
) -> ReconcileReport:
	"""Run the engine's reconciliation for the report (readers of the log may run it)."""
	from qbo_connector.qbo_connector.tasks import get_engine

	require_roles(READ_ROLES)
	if not company:
		frappe.throw(_("Pick a company."))
	if not frappe.has_permission("Company", "read", company):
		frappe.throw(_("Not permitted to read company {0}").format(company), frappe.PermissionError)
	today = getdate(nowdate())
	start = getdate(from_date) if from_date else today.replace(day=1)
	end = getdate(to_date) if to_date else today
	if start > end:
		frappe.throw(_("From Date must be on or before To Date."))
	try:
		report = get_engine().reconcile(
			company, start, end, kinds, only_in_qbo=only_in_qbo, budget=read_budget()
		)
	except (SyncError, QBOError) as exc:
		frappe.throw(getattr(exc, "user_message", None) or str(exc), title=_("QuickBooks"))
	frappe.db.commit()  # the log row and the states kept on the links
	return report


def latest_logs(doctype: str, names: list[str]) -> dict[str, str]:
	"""The newest push/cancel QBO Sync Log row of each document (one query per 500 names)."""
	out: dict[str, str] = {}
	for start in range(0, len(names), 500):
		chunk = names[start : start + 500]
		for row in frappe.get_all(
			LOG,
			filters={
				"reference_doctype": doctype,
				"reference_name": ("in", chunk),
				"operation": ("in", ("push", "cancel")),
			},
			fields=["name", "reference_name"],
			order_by="creation desc",
			limit_page_length=0,
		):
			out.setdefault(row.reference_name, row.name)
	return out


def report_rows(report: ReconcileReport) -> list[dict[str, Any]]:
	"""The report's rows: the engine's rows plus the QBO deep link, the newest log row and what may be done."""
	from qbo_connector.qbo_connector.settings import get_environment

	environment = get_environment()
	logs: dict[str, dict[str, str]] = {}
	for doctype in {row.doctype for row in report.rows if row.doctype}:
		logs[doctype] = latest_logs(doctype, [row.name for row in report.rows if row.doctype == doctype])
	out = []
	for row in report.rows:
		data = row.as_dict()
		data["reference_doctype"] = row.doctype
		data["document"] = row.name
		data["qbo_url"] = environment.app_link(row.qbo_entity, row.qbo_id) if row.qbo_id else ""
		data["log"] = logs.get(row.doctype or "", {}).get(row.name or "")
		# Push Again only helps where nothing is in QBO yet: lines of a submitted document never change.
		data["can_push"] = int(
			bool(row.name) and row.state == MISSING and not row.drift and row.erp_status == "Submitted"
		)
		data["drift"] = int(row.drift)
		for key in ("erp_total", "erp_outstanding", "qbo_total", "qbo_balance", "difference"):
			data[key] = float(data[key]) if data[key] is not None else None
		out.append(data)
	return out


# -- the daily drift check ----------------------------------------------------------------------------------


def drift_check_all() -> None:
	"""Daily: queue a drift check of every enabled, connected company (one job each)."""
	for company in frappe.get_all(CONNECTION, filters={"enabled": 1, "status": "Connected"}, pluck="name"):
		frappe.enqueue(
			DRIFT_JOB,
			queue="long",
			timeout=DRIFT_JOB_TIMEOUT,
			job_id=f"qbo-drift::{company}",
			deduplicate=True,
			company=company,
		)


def run_drift_check(company: str) -> dict[str, Any]:
	"""Job: compare the last month's documents with QBO, keep the states on the links, log one summary row,
	and tell the managers when something differs."""
	from qbo_connector.qbo_connector.tasks import _as_system_user, get_engine

	_as_system_user()
	checked = get_engine().drift_check(company, budget=read_budget())
	frappe.db.commit()
	drifted = checked.drifted
	if drifted and checked.result.log_id:
		notify_drift(company, drifted, checked.result.log_id)
		frappe.db.commit()
	return {"status": checked.result.status, "message": checked.result.message, "differ": len(drifted)}


def notify_drift(company: str, drifted: list[ReconcileRow], log_id: str) -> None:
	"""One notice per check: how many documents differ, the first few by name, and where to look."""
	count = len(drifted)
	subject = _("{0} documents of {1} differ from QuickBooks").format(count, company)
	if count == 1:
		subject = _("1 document of {0} differs from QuickBooks").format(company)
	items = "".join(f"<li>{escape_html(row.message)}</li>" for row in drifted[:10])
	more = _("and {0} more").format(count - 10) if count > 10 else ""
	message = (
		f"<p>{escape_html(subject)}:</p><ul>{items}</ul><p>{escape_html(more)}</p>"
		f"<p><a href='{report_url(company)}'>{escape_html(_('Open QBO Reconciliation'))}</a></p>"
	)
	notify_managers(subject, message, LOG, log_id)
