# Copyright (c) 2026, qbo_connector contributors
# License: MIT. See license.txt

"""QBO Reconciliation: per kind, company and period, ERPNext's total and outstanding beside QuickBooks'
TotalAmt, Balance and status, with a state per document (sync/reconcile.py decides it)."""

from __future__ import annotations

from typing import Any

from frappe import _
from frappe.utils import cint

from qbo_connector.qbo_connector.reconciliation import reconcile, report_rows
from qbo_connector.sync.reconcile import KINDS, STATES


def execute(filters: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
	filters = dict(filters or {})
	kind = filters.get("kind")
	kinds = [kind] if kind in KINDS else None
	report = reconcile(
		filters.get("company"),
		filters.get("from_date"),
		filters.get("to_date"),
		kinds,
		only_in_qbo=bool(cint(filters.get("include_only_in_qbo", 1))),
	)
	rows = report_rows(report)
	state = filters.get("state")
	if state in STATES:
		rows = [row for row in rows if row["state"] == state]
	elif state == "Not In Step":
		rows = [row for row in rows if row["state"] != STATES[0]]
	if cint(filters.get("drift_only")):
		rows = [row for row in rows if row["drift"]]
	return columns(), rows, report.summary()


def columns() -> list[dict[str, Any]]:
	return [
		{"fieldname": "state", "label": _("State"), "fieldtype": "Data", "width": 120},
		{"fieldname": "kind", "label": _("Kind"), "fieldtype": "Data", "width": 110},
		{
			"fieldname": "reference_doctype",
			"label": _("Document Type"),
			"fieldtype": "Link",
			"options": "DocType",
			"hidden": 1,
		},
		{
			"fieldname": "document",
			"label": _("Document"),
			"fieldtype": "Dynamic Link",
			"options": "reference_doctype",
			"width": 170,
		},
		{"fieldname": "posting_date", "label": _("Date"), "fieldtype": "Date", "width": 95},
		{"fieldname": "erp_status", "label": _("ERPNext"), "fieldtype": "Data", "width": 90},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"width": 70,
		},
		{
			"fieldname": "erp_total",
			"label": _("ERPNext Total"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 115,
		},
		{
			"fieldname": "qbo_total",
			"label": _("QuickBooks Total"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 120,
		},
		{
			"fieldname": "difference",
			"label": _("Difference"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 100,
		},
		{
			"fieldname": "erp_outstanding",
			"label": _("ERPNext Outstanding"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 130,
		},
		{
			"fieldname": "qbo_balance",
			"label": _("QuickBooks Balance"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 130,
		},
		{"fieldname": "qbo_status", "label": _("QuickBooks Status"), "fieldtype": "Data", "width": 120},
		{"fieldname": "qbo_entity", "label": _("QuickBooks Entity"), "fieldtype": "Data", "width": 100},
		{"fieldname": "qbo_id", "label": _("QuickBooks ID"), "fieldtype": "Data", "width": 100},
		{"fieldname": "qbo_number", "label": _("QuickBooks No."), "fieldtype": "Data", "width": 120},
		{"fieldname": "message", "label": _("What Was Found"), "fieldtype": "Data", "width": 360},
		{
			"fieldname": "log",
			"label": _("Sync Log"),
			"fieldtype": "Link",
			"options": "QBO Sync Log",
			"width": 110,
		},
		{"fieldname": "actions", "label": _("Actions"), "fieldtype": "Data", "width": 110},
		{"fieldname": "qbo_url", "label": _("QuickBooks Link"), "fieldtype": "Data", "hidden": 1},
		{"fieldname": "can_push", "label": _("Can Push"), "fieldtype": "Int", "hidden": 1},
		{"fieldname": "drift", "label": _("Drift"), "fieldtype": "Int", "hidden": 1},
	]
