# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""Which QuickBooks account each ERPNext account posts to, for one company."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import throw_qbo_error
from qbo_connector.qbo_connector.lookups import cached_row


class QBOAccountMap(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from qbo_connector.qbo_connector.doctype.qbo_account_map_item.qbo_account_map_item import (
			QBOAccountMapItem,
		)

		accounts: DF.Table[QBOAccountMapItem]
		company: DF.Link
		realm_id: DF.Data | None
	# end: auto-generated types

	def validate(self) -> None:
		self.realm_id = frappe.db.get_value("QBO Connection", self.company, "realm_id")
		seen: dict[tuple[str, str], int] = {}
		for row in self.accounts:
			key = (row.purpose, row.erpnext_account or "")
			if key in seen:
				frappe.throw(
					_("Row {0} repeats row {1}: {2} {3}.").format(
						row.idx, seen[key], _(row.purpose), row.erpnext_account or _("(default)")
					)
				)
			seen[key] = row.idx
			if row.erpnext_account:
				account_company = frappe.db.get_value("Account", row.erpnext_account, "company")
				if account_company != self.company:
					frappe.throw(
						_("Row {0}: account {1} belongs to {2}, not {3}.").format(
							row.idx, row.erpnext_account, account_company, self.company
						)
					)
			if row.qbo_account and (row.has_value_changed("qbo_account") or not row.qbo_account_name):
				cached = cached_row(self.company, "accounts", row.qbo_account)
				if cached:
					row.qbo_account_name = cached.get("FullyQualifiedName") or cached.get("Name")
					row.qbo_account_type = cached.get("AccountType")

	@frappe.whitelist()
	def validate_mappings(self) -> list[dict[str, Any]]:
		"""Check every row against QuickBooks: exists, active, of a fitting type. One plain sentence each."""
		from qbo_connector.qbo_connector.checks import validate_account_map

		try:
			return validate_account_map(self.name)
		except QBOError as exc:
			throw_qbo_error(exc)


def get_account_map(company: str) -> dict[str, str]:
	"""ERPNext account -> QBO account id, for the mapping context."""
	return {
		row.erpnext_account: row.qbo_account
		for row in frappe.get_all(
			"QBO Account Map Item",
			filters={"parenttype": "QBO Account Map", "parent": company, "erpnext_account": ("is", "set")},
			fields=["erpnext_account", "qbo_account"],
			order_by="idx asc",
		)
	}


def get_default_account(company: str, purpose: str) -> str | None:
	"""The QBO account id of the row for `purpose` that has no ERPNext account (the default), if any."""
	rows = frappe.get_all(
		"QBO Account Map Item",
		filters={"parenttype": "QBO Account Map", "parent": company, "purpose": purpose},
		fields=["erpnext_account", "qbo_account"],
		order_by="idx asc",
	)
	for row in rows:
		if not row.erpnext_account:
			return row.qbo_account
	return rows[0].qbo_account if rows and purpose != "Income" else None
