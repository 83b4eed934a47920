"""Install and uninstall steps: custom fields on ERPNext doctypes and the default Log Settings entry."""

from __future__ import annotations

import os

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from qbo_connector.qbo_connector.status import STATUS_DOCTYPES, STATUS_FIELD, STATUS_OPTIONS

PAYMENT_ID_FIELD = "qbo_payment_id"
INVOICE_REF_FIELD = "qbo_txn_ref"
DOC_NUMBER_FIELD = "qbo_doc_number"


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
	# A Sales Invoice made from a QBO Invoice/CreditMemo (pull_invoices, the import) carries "<realm>:Invoice 123": the
	# store finds it by that before making another, and doc_events know not to push it back.
	fields["Sales Invoice"].extend(
		[
			{
				"fieldname": INVOICE_REF_FIELD,
				"label": "QuickBooks Transaction",
				"fieldtype": "Data",
				"insert_after": STATUS_FIELD,
				"read_only": 1,
				"no_copy": 1,
				"search_index": 1,
				"print_hide": 1,
				"depends_on": f"eval:doc.{INVOICE_REF_FIELD}",
				"translatable": 0,
			},
			{
				"fieldname": DOC_NUMBER_FIELD,
				"label": "QuickBooks No.",
				"fieldtype": "Data",
				"insert_after": INVOICE_REF_FIELD,
				"read_only": 1,
				"no_copy": 1,
				"print_hide": 1,
				"depends_on": f"eval:doc.{DOC_NUMBER_FIELD}",
				"translatable": 0,
			},
		]
	)
	return fields


OVERVIEW_BLOCK = "QuickBooks Overview"
OVERVIEW_ROLES = ("Accounts User", "Accounts Manager", "System Manager")
_BLOCKS = os.path.join(os.path.dirname(__file__), "workspace_blocks")
# QBO Sync Log's list at 1280 px: the subject (what was done to which QuickBooks record), status, company,
# document and message. Frappe shows four columns below 1366 px unless List View Settings say otherwise.
SYNC_LOG_LIST_COLUMNS = "6"


def after_install() -> None:
	create_custom_fields(get_custom_fields(), ignore_validate=True)
	_add_log_clearing()
	sync_desk()


def after_migrate() -> None:
	sync_desk()


def sync_desk() -> None:
	"""What the desk needs beyond doctype files, kept current with the code on every migrate."""
	sync_overview_block()
	_sync_log_list_settings()


def sync_overview_block() -> None:
	"""The workspace's overview (a Custom HTML Block: frappe does not import those from app files)."""
	if not frappe.db.exists("DocType", "Custom HTML Block"):
		return

	def read(ext: str) -> str:
		with open(os.path.join(_BLOCKS, f"quickbooks_overview.{ext}")) as handle:
			return handle.read()

	if frappe.db.exists("Custom HTML Block", OVERVIEW_BLOCK):
		doc = frappe.get_doc("Custom HTML Block", OVERVIEW_BLOCK)
	else:
		doc = frappe.new_doc("Custom HTML Block")
		doc.name = OVERVIEW_BLOCK
	doc.html, doc.script, doc.style, doc.private = read("html"), read("js"), read("css"), 0
	doc.set("roles", [{"role": role} for role in OVERVIEW_ROLES if frappe.db.exists("Role", role)])
	doc.flags.ignore_permissions = True
	if doc.is_new():
		doc.insert(set_name=OVERVIEW_BLOCK)
	else:
		doc.save()


def _sync_log_list_settings() -> None:
	"""Enough columns for the log at 1280 px (an admin's own List Settings are kept)."""
	if not frappe.db.exists("DocType", "List View Settings"):
		return
	if not frappe.get_meta("List View Settings").has_field("total_fields"):
		return  # Frappe 16 keeps no column count in List View Settings; its list fits the columns itself
	if frappe.db.exists("List View Settings", "QBO Sync Log"):
		if not frappe.db.get_value("List View Settings", "QBO Sync Log", "total_fields"):
			frappe.db.set_value("List View Settings", "QBO Sync Log", "total_fields", SYNC_LOG_LIST_COLUMNS)
		return
	doc = frappe.new_doc("List View Settings")
	doc.name = "QBO Sync Log"
	doc.total_fields = SYNC_LOG_LIST_COLUMNS
	doc.disable_comment_count = 1  # nobody comments on log rows; the room goes to the message
	doc.flags.ignore_permissions = True
	doc.insert(set_name="QBO Sync Log")


def add_custom_fields() -> None:
	"""Patch entry: sites installed before a field was added get it on migrate (idempotent)."""
	create_custom_fields(get_custom_fields(), ignore_validate=True)


def before_uninstall() -> None:
	for doctype, fields in get_custom_fields().items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
	for doctype, name in (("Custom HTML Block", OVERVIEW_BLOCK), ("List View Settings", "QBO Sync Log")):
		if frappe.db.exists(doctype, name):
			frappe.delete_doc(doctype, name, ignore_permissions=True, force=True)
	frappe.clear_cache()


def _add_log_clearing() -> None:
	"""Register QBO Sync Log with Log Settings now (it otherwise happens on the next save of Log Settings)."""
	if frappe.db.exists("DocType", "Log Settings"):
		frappe.get_single("Log Settings").save(ignore_permissions=True)  # validate() adds hook defaults
