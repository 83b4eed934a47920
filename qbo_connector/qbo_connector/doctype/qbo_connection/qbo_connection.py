# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""One ERPNext company connected to one QuickBooks company, with its tokens and sync switches."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo_connector.tokens import TOKEN_FIELDS

QBO_REF_FIELDS = ("default_item", "rounding_item", "default_tax_code", "us_tax_code", "payments_deposit_account",
	"deposit_bank_account", "exempt_tax_code", "default_income_account", "discount_account",
	"default_expense_account", "payables_account", "default_class", "default_location")  # fmt: skip
# What each reference field holds, for the name shown beside its id (lookups.LISTS kinds).
QBO_REF_KINDS = {
	"default_item": "items",
	"rounding_item": "items",
	"default_tax_code": "tax_codes",
	"us_tax_code": "tax_codes",
	"exempt_tax_code": "tax_codes",
	"default_income_account": "accounts",
	"discount_account": "accounts",
	"payments_deposit_account": "accounts",
	"deposit_bank_account": "accounts",
	"default_expense_account": "accounts",
	"payables_account": "accounts",
	"default_class": "classes",
	"default_location": "locations",
}


class QBOConnection(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		access_token: DF.Password | None
		access_token_expires_at: DF.Datetime | None
		absorb_cent_differences: DF.Check
		attach_invoice_pdf: DF.Check
		auto_apply_credits: DF.Check
		auto_push_hours: DF.Int
		automated_sales_tax: DF.Check
		budget_notice: DF.Data | None
		cancel_pulled_payments: DF.Check
		class_tracking: DF.Literal["", "Per Transaction", "Per Line"]
		company: DF.Link
		connected_by: DF.Link | None
		create_deposits: DF.Check
		custom_txn_numbers: DF.Check
		default_class: DF.Autocomplete | None
		default_class_name: DF.Data | None
		default_income_account: DF.Autocomplete | None
		default_expense_account: DF.Autocomplete | None
		default_expense_account_name: DF.Data | None
		default_income_account_name: DF.Data | None
		default_item: DF.Autocomplete | None
		default_item_name: DF.Data | None
		default_location: DF.Autocomplete | None
		default_location_name: DF.Data | None
		default_tax_code: DF.Autocomplete | None
		default_tax_code_name: DF.Data | None
		deposit_bank_account: DF.Autocomplete | None
		deposit_bank_account_name: DF.Data | None
		discount_account: DF.Autocomplete | None
		discount_account_name: DF.Data | None
		enabled: DF.Check
		exempt_tax_code: DF.Autocomplete | None
		exempt_tax_code_name: DF.Data | None
		expiry_notice: DF.Data | None
		facts_refreshed_at: DF.Datetime | None
		home_currency: DF.Data | None
		invoice_number_prefix: DF.Data | None
		is_us_company: DF.Check
		last_connected: DF.Datetime | None
		last_error: DF.SmallText | None
		last_failure: DF.SmallText | None
		last_failure_at: DF.Datetime | None
		last_pull_at: DF.Datetime | None
		last_success_at: DF.Datetime | None
		location_field: DF.Data | None
		location_label: DF.Data | None
		multicurrency_enabled: DF.Check
		payables_account: DF.Autocomplete | None
		payables_account_name: DF.Data | None
		payments_deposit_account: DF.Autocomplete | None
		payments_deposit_account_name: DF.Data | None
		pull_interval_minutes: DF.Int
		push_invoices_on_submit: DF.Check
		push_payments: DF.Check
		push_purchase_invoices: DF.Check
		push_purchase_orders: DF.Check
		push_quotations: DF.Check
		push_supplier_payments: DF.Check
		push_timesheets: DF.Check
		qbo_company_name: DF.Data | None
		qbo_country: DF.Data | None
		realm_change_note: DF.SmallText | None
		reads_month: DF.Data | None
		reads_this_month: DF.Int
		realm_id: DF.Data | None
		reconcile_qbo_payments: DF.Check
		refresh_token: DF.Password | None
		refresh_token_expires_at: DF.Datetime | None
		refresh_token_hard_expires_at: DF.Datetime | None
		rounding_item: DF.Autocomplete | None
		rounding_item_name: DF.Data | None
		status: DF.Literal["Not connected", "Connected", "Reconnect needed"]
		track_locations: DF.Check
		txn_date_from: DF.Literal["Posting Date", "Invoice Period"]
		us_tax_code: DF.Autocomplete | None
		us_tax_code_name: DF.Data | None
		watermarks: DF.Code | None
	# end: auto-generated types

	def before_validate(self) -> None:
		# Tokens are written only by the token store (encrypted, committed at once). A form save carries
		# the masked or empty column value, and Frappe would delete the stored token for an empty one.
		self.flags.ignore_save_passwords = list(TOKEN_FIELDS)

	def validate(self) -> None:
		prefix = (self.invoice_number_prefix or "").strip()
		if len(prefix) > 10:
			frappe.throw(
				_("Invoice Number Prefix can be at most 10 characters (QuickBooks allows 21 in all).")
			)
		self.invoice_number_prefix = prefix
		if self.create_deposits and not self.deposit_bank_account:
			frappe.throw(_("Pick the QuickBooks bank account deposits go to, or untick Create Deposits."))
		self._fill_reference_names()

	def _fill_reference_names(self) -> None:
		"""Keep the readable name next to each QBO id picked from a list (from the cached lists only)."""
		from qbo_connector.qbo_connector.lookups import cached_name

		for fieldname, kind in QBO_REF_KINDS.items():
			value = self.get(fieldname)
			if not value:
				self.set(f"{fieldname}_name", None)
			elif self.has_value_changed(fieldname) or not self.get(f"{fieldname}_name"):
				self.set(
					f"{fieldname}_name",
					cached_name(self.company, kind, value) or self.get(f"{fieldname}_name"),
				)

	def on_update(self) -> None:
		# Usable again (enabled, or connected after a disconnect): send what waited for it.
		before = self.get_doc_before_save()
		usable = bool(self.enabled) and self.status == "Connected"
		was_usable = before is not None and bool(before.enabled) and before.status == "Connected"
		if usable and not was_usable:
			from qbo_connector.qbo_connector.tasks import enqueue_push_waiting

			enqueue_push_waiting(self.company)

	def on_trash(self) -> None:
		if self.status == "Connected":
			frappe.throw(
				_("Disconnect {0} from QuickBooks before deleting its connection.").format(self.company)
			)
		from frappe.utils.password import delete_all_passwords_for

		delete_all_passwords_for(self.doctype, self.name)


def forget_other_realm(connection: Document) -> list[str]:
	"""The company was connected to another QuickBooks company than its defaults and maps were made for:
	QuickBooks ids mean another record (or nothing) there, so every one of them is cleared, never kept
	silently. The ERPNext side of the maps stays (which accounts and templates need a QuickBooks
	counterpart); the QuickBooks side must be picked again. Returns what was cleared, in words."""
	cleared: list[str] = []
	meta = frappe.get_meta(connection.doctype)
	for fieldname in QBO_REF_FIELDS:
		value = connection.get(fieldname)
		if not value:
			continue
		name = connection.get(f"{fieldname}_name")
		label = _(meta.get_label(fieldname))
		cleared.append(
			_("{0} '{1}' (ID {2})").format(label, name, value)
			if name
			else _("{0} (ID {1})").format(label, value)
		)
		connection.set(fieldname, None)
		connection.set(f"{fieldname}_name", None)
	if connection.get("create_deposits"):
		connection.create_deposits = 0  # it needs the bank account just cleared
		cleared.append(_("Create Deposits (switched off until a bank account is picked again)"))
	connection.tax_code_rates = None  # the old company's tax codes; read again before the next push
	for doctype, tables in (
		(
			"QBO Account Map",
			(("QBO Account Map Item", ("qbo_account", "qbo_account_name", "qbo_account_type")),),
		),
		("QBO Tax Map", (("QBO Tax Map Item", ("qbo_tax_code", "qbo_tax_code_name")),)),
		(
			"QBO Class and Location Map",
			(
				("QBO Class Map Item", ("qbo_class", "qbo_class_name")),
				("QBO Location Map Item", ("qbo_location", "qbo_location_name")),
			),
		),
	):
		if not frappe.db.exists(doctype, connection.company):
			continue
		count = 0
		for child, fields in tables:
			rows = frappe.get_all(
				child,
				filters={"parenttype": doctype, "parent": connection.company, fields[0]: ("is", "set")},
				pluck="name",
			)
			for row in rows:
				frappe.db.set_value(child, row, dict.fromkeys(fields), update_modified=False)
			count += len(rows)
		frappe.db.set_value(
			doctype, connection.company, "realm_id", connection.realm_id, update_modified=False
		)
		if count:
			cleared.append(_("{0}: the QuickBooks side of {1} row(s)").format(_(doctype), count))
	return cleared


@frappe.whitelist(methods=["POST"])
def dismiss_realm_change_note(company: str) -> None:
	"""The admin has read the note (and picked the QuickBooks accounts and codes again)."""
	from qbo_connector.qbo_connector.permissions import ADMIN_ROLES, require_roles

	require_roles(ADMIN_ROLES)
	frappe.db.set_value("QBO Connection", company, "realm_change_note", None)
