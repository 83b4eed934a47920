"""Sites that used the connector before estimates, purchases and timesheets could be sent keep sending only
what they sent before: the new kinds' switches are turned off on their existing connections (a new field's
default would otherwise switch them on during migrate). An admin turns each on in QBO Connection when the
QuickBooks side is ready. New installs are not patched: their connections start with the fields' defaults.
The QBO Status field is added to the new kinds' doctypes at the same time."""

from __future__ import annotations

import frappe

# The switches of the kinds added after the first release (sync/kinds), as they were added.
NEW_SWITCHES = (
	"push_quotations",
	"push_purchase_orders",
	"push_purchase_invoices",
	"push_supplier_payments",
	"push_timesheets",
	"attach_invoice_pdf",
)


def execute() -> None:
	from qbo_connector.qbo_connector.install import add_custom_fields

	add_custom_fields()
	meta = frappe.get_meta("QBO Connection")
	switches = [name for name in NEW_SWITCHES if meta.has_field(name)]
	if not switches:
		return
	for name in frappe.get_all("QBO Connection", pluck="name"):
		frappe.db.set_value("QBO Connection", name, dict.fromkeys(switches, 0), update_modified=False)
