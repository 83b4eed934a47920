"""A read-only "QBO Status" on every document some kind sends (sync/kinds), so accountants can filter lists.

The truth lives in QBO Link and QBO Sync Log; this field only mirrors it, and is written without touching
`modified` so it never makes a submitted document look edited.
"""

from __future__ import annotations

import frappe

from qbo_connector.sync.kinds import doctypes

STATUS_DOCTYPES = doctypes()
STATUS_FIELD = "qbo_status"
STATUS_OPTIONS = ("", "Pending", "Synced", "Failed", "Voided", "Deleted", "Closed", "Flagged")


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
