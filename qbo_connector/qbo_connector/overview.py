"""The QuickBooks Online workspace's numbers: one story, told from the sync log and the connections.

Every number counts what the list it opens shows, with the same filters, so a person can click a number
and see exactly those rows. They count current rows only: a row a later attempt made history (its Later
Attempt is set) is not "failed" any more, whatever it once was. Summaries of many documents (bulk,
auto_push) and webhook deliveries are left out: their documents have rows of their own. Counts are exact
(never capped), per company or for all companies. They count syncing (sending, voiding, reading from
QuickBooks), not admin actions such as connecting or listing accounts. "Differ from QuickBooks" counts
QBO Link rows instead: the documents the newest reconciliation found changed in QuickBooks after sending.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import getdate, nowdate

from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import RETRYABLE_OPERATIONS
from qbo_connector.qbo_connector.permissions import READ_ROLES, require_roles
from qbo_connector.qbo_connector.settings import CONNECTION

LOG = "QBO Sync Log"
LINK = "QBO Link"
WAITING_STATUSES = ("Waiting", "Queued", "Running", "Interrupted")
# One document or one QuickBooks object at a time (the summaries of bulk runs and webhook deliveries have
# rows of their own documents; admin actions are not syncing).
SYNC_OPERATIONS = RETRYABLE_OPERATIONS


def log_filters(tile: str, company: str | None = None) -> dict[str, Any]:
	"""The QBO Sync Log filters behind one number (also the filters of the list it opens)."""
	filters: dict[str, Any] = {
		"later_attempt": ["is", "not set"],
		"operation": ["in", list(SYNC_OPERATIONS)],
	}
	if tile == "synced_today":
		filters.update(status="Success", creation=[">=", str(getdate(nowdate()))])
	elif tile == "difference":
		filters["status"] = "Warning"
	elif tile == "failed":
		filters["status"] = "Failed"
	elif tile == "waiting":
		filters["status"] = ["in", list(WAITING_STATUSES)]
	else:
		frappe.throw(_("Unknown number {0}").format(tile))
	if company:
		filters["company"] = company
	return filters


def connection_filters(company: str | None = None) -> dict[str, Any]:
	"""Connections that cannot send or receive now: not connected, or needing a reconnect."""
	filters: dict[str, Any] = {"status": ["!=", "Connected"]}
	if company:
		filters["company"] = company
	return filters


def drift_filters(company: str | None = None) -> dict[str, Any]:
	"""Linked documents the newest reconciliation (the daily drift check or the report) found differing from
	QuickBooks after they were sent; the same filter as the "QBO Differ From QuickBooks" number card."""
	filters: dict[str, Any] = {"drift": 1}
	if company:
		filters["company"] = company
	return filters


TILES = (
	("synced_today", "Synced today", "green", "Attempts that succeeded today."),
	(
		"difference",
		"With a difference",
		"orange",
		"In QuickBooks, but not as in ERPNext (a total beyond rounding, money left unapplied): see why.",
	),
	("failed", "Failed", "red", "The latest attempt failed: fix the cause, or wait for the automatic retry."),
	(
		"waiting",
		"Waiting",
		"yellow",
		"Queued, running, interrupted, or waiting for a connection to be usable again.",
	),
)


@frappe.whitelist()
def get_overview(company: str | None = None) -> dict[str, Any]:
	"""The workspace's numbers for one company (or all), each with the list filters that show its rows."""
	require_roles(READ_ROLES)
	if company and not frappe.db.exists("Company", company):
		company = None  # a company remembered by the browser that is gone: show all
	if company and not frappe.has_permission("Company", "read", company):
		frappe.throw(_("Not permitted to read company {0}").format(company), frappe.PermissionError)
	companies = frappe.get_all(CONNECTION, pluck="company", order_by="company asc")
	tiles = []
	for key, label, color, help_text in TILES:
		filters = log_filters(key, company)
		tiles.append(
			{
				"key": key,
				"label": _(label),
				"color": color,
				"help": _(help_text),
				"value": frappe.db.count(LOG, filters=_as_db_filters(filters)),
				"doctype": LOG,
				"filters": filters,
			}
		)
	filters = drift_filters(company)
	tiles.append(
		{
			"key": "differ",
			"label": _("Differ from QuickBooks"),
			"color": "orange",
			"help": _(
				"Sent, then changed in QuickBooks (or voided or deleted there): found by the daily drift check or "
				"the QBO Reconciliation report."
			),
			"value": frappe.db.count(LINK, filters=_as_db_filters(filters)),
			"doctype": LINK,
			"filters": filters,
		}
	)
	filters = connection_filters(company)
	tiles.append(
		{
			"key": "not_connected",
			"label": _("Not connected"),
			"color": "red",
			"help": _("Connections that need connecting or reconnecting in QBO Settings."),
			"value": frappe.db.count(CONNECTION, filters=_as_db_filters(filters)),
			"doctype": CONNECTION,
			"filters": filters,
		}
	)
	return {"company": company or None, "companies": companies, "tiles": tiles}


def _as_db_filters(filters: dict[str, Any]) -> dict[str, Any]:
	"""List-view filters ({"field": [op, value]}) as frappe.db filters ({"field": (op, value)})."""
	return {key: tuple(value) if isinstance(value, list) else value for key, value in filters.items()}
