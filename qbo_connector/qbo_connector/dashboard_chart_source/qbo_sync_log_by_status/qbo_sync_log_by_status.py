# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""Dashboard chart source: QBO Sync Log rows per status per period, one line per status.

Counts sync attempts (every row, a retried failure included: this is activity, not the current state
the workspace's overview counts) of the operations the overview counts, for one company when the chart's
Company filter is set. Counts are whole numbers: the
Dashboard Chart's custom_options say "Int", so the tooltip reads "3", not "3.00".
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, formatdate, getdate, nowdate
from frappe.utils.dashboard import cache_source
from frappe.utils.dateutils import get_from_date_from_timespan, get_period, get_period_ending

from qbo_connector.qbo_connector.overview import SYNC_OPERATIONS

STATUSES = ("Success", "Warning", "Failed", "Skipped", "Interrupted")
# frappe's chart widget ignores colours a source returns: the Dashboard Chart's custom_options carries
# these (same order as STATUSES, the list view's green/orange/red/grey/dark grey); kept here for API callers.
COLORS = ("#29CD42", "#ECAD4B", "#E24C4C", "#98A1A9", "#525252")


@frappe.whitelist()
@cache_source
def get(
	chart_name: str | None = None,
	chart: Any = None,
	no_cache: Any = None,
	filters: Any = None,
	from_date: Any = None,
	to_date: Any = None,
	timespan: str | None = None,
	time_interval: str | None = None,
	heatmap_year: Any = None,
) -> dict[str, Any]:
	if not frappe.has_permission("QBO Sync Log", "read"):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	if chart_name:
		chart = frappe.get_doc("Dashboard Chart", chart_name)
	elif chart is None or isinstance(chart, str | dict):
		chart = frappe._dict(frappe.parse_json(chart or "{}"))
	# else: cache_source hands over the Dashboard Chart document itself when no_cache is set
	timespan = chart.timespan or timespan or "Last Week"
	interval = chart.time_interval or time_interval or "Daily"
	if timespan == "Select Date Range":
		from_date, to_date = chart.from_date, chart.to_date
	to_date = getdate(to_date or nowdate())
	from_date = getdate(from_date or get_from_date_from_timespan(to_date, timespan))

	periods = []
	current = get_period_ending(from_date, interval)
	while getdate(current) <= getdate(get_period_ending(to_date, interval)):
		periods.append(getdate(current))
		current = get_period_ending(add_to_date(current, days=1), interval)

	company = (frappe.parse_json(filters) if isinstance(filters, str) else filters or {}).get("company")
	conditions: dict[str, Any] = {
		"creation": ("between", [from_date, add_to_date(to_date, days=1)]),
		"status": ("in", STATUSES),
		"operation": ("in", SYNC_OPERATIONS),
	}
	if company:
		conditions["company"] = company
	rows = frappe.get_all(
		"QBO Sync Log", filters=conditions, fields=["status", "creation"], order_by="creation asc"
	)
	counts = {status: {p: 0 for p in periods} for status in STATUSES}
	for row in rows:
		ending = getdate(get_period_ending(row.creation, interval))
		if ending in counts[row.status]:
			counts[row.status][ending] += 1
	return {
		"labels": [get_period(p, interval) if interval != "Daily" else formatdate(p) for p in periods],
		"datasets": [{"name": _(status), "values": list(counts[status].values())} for status in STATUSES],
		"colors": list(COLORS),
	}
