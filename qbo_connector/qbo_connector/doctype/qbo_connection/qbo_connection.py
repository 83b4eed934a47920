# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""One ERPNext company connected to one QuickBooks company, with its tokens and sync switches."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo_connector.tokens import TOKEN_FIELDS

QBO_REF_FIELDS = ("default_item", "rounding_item", "default_tax_code", "us_tax_code", "payments_deposit_account",
	"deposit_bank_account", "exempt_tax_code", "default_income_account", "discount_account", "default_class",
	"default_location")  # fmt: skip


class QBOConnection(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		access_token: DF.Password | None
		access_token_expires_at: DF.Datetime | None
		absorb_cent_differences: DF.Check
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
		payments_deposit_account: DF.Autocomplete | None
		payments_deposit_account_name: DF.Data | None
		pull_interval_minutes: DF.Int
		push_invoices_on_submit: DF.Check
		push_payments: DF.Check
		qbo_company_name: DF.Data | None
		qbo_country: DF.Data | None
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

		kinds = {
			"default_item": "items",
			"rounding_item": "items",
			"default_tax_code": "tax_codes",
			"us_tax_code": "tax_codes",
			"exempt_tax_code": "tax_codes",
			"default_income_account": "accounts",
			"discount_account": "accounts",
			"payments_deposit_account": "accounts",
			"deposit_bank_account": "accounts",
			"default_class": "classes",
			"default_location": "locations",
		}
		for fieldname, kind in kinds.items():
			value = self.get(fieldname)
			if not value:
				self.set(f"{fieldname}_name", None)
			elif self.has_value_changed(fieldname) or not self.get(f"{fieldname}_name"):
				self.set(
					f"{fieldname}_name",
					cached_name(self.company, kind, value) or self.get(f"{fieldname}_name"),
				)

	def on_trash(self) -> None:
		if self.status == "Connected":
			frappe.throw(
				_("Disconnect {0} from QuickBooks before deleting its connection.").format(self.company)
			)
		from frappe.utils.password import delete_all_passwords_for

		delete_all_passwords_for(self.doctype, self.name)
