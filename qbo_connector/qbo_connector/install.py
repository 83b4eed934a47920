"""Install and uninstall steps: custom fields on ERPNext doctypes and the default Log Settings entry."""

from __future__ import annotations

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from qbo_connector.qbo_connector.status import STATUS_DOCTYPES, STATUS_FIELD, STATUS_OPTIONS

PAYMENT_ID_FIELD = "qbo_payment_id"


def get_custom_fields() -> dict[str, list[dict]]:
	"""The fields this app adds to ERPNext doctypes (read-only mirrors; the truth is QBO Link)."""
	field = {
		"fieldname": STATUS_FIELD,
		"label": "QBO Status",
		"fieldtype": "Select",
		"options": "\n".join(STATUS_OPTIONS),
		"read_only": 1,
		"no_copy": 1,
		"allow_on_submit": 1,
		"in_standard_filter": 1,
		"print_hide": 1,
		"depends_on": f"eval:doc.{STATUS_FIELD}",
		"translatable": 0,
	}
	# every doctype a kind sends (sync/kinds) has a "status" field to sit after
	fields = {doctype: [{**field, "insert_after": "status"}] for doctype in STATUS_DOCTYPES}
	# A Payment Entry made from a QBO payment carries "<realm>:<QBO payment id>": unique in the database,
	# so two workers pulling the same payment can never both create an entry, and our doc_events know not
	# to push it back.
	fields["Payment Entry"].append(
		{
			"fieldname": PAYMENT_ID_FIELD,
			"label": "QuickBooks Payment ID",
			"fieldtype": "Data",
			"insert_after": STATUS_FIELD,
			"read_only": 1,
			"no_copy": 1,
			"unique": 1,
			"print_hide": 1,
			"depends_on": f"eval:doc.{PAYMENT_ID_FIELD}",
			"translatable": 0,
		}
	)
	return fields


def after_install() -> None:
	create_custom_fields(get_custom_fields(), ignore_validate=True)
	_add_log_clearing()


def add_custom_fields() -> None:
	"""Patch entry: sites installed before a field was added get it on migrate (idempotent)."""
	create_custom_fields(get_custom_fields(), ignore_validate=True)


def before_uninstall() -> None:
	for doctype, fields in get_custom_fields().items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
	frappe.clear_cache()


def _add_log_clearing() -> None:
	"""Register QBO Sync Log with Log Settings now (it otherwise happens on the next save of Log Settings)."""
	if frappe.db.exists("DocType", "Log Settings"):
		frappe.get_single("Log Settings").save(ignore_permissions=True)  # validate() adds hook defaults
