# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""Which QuickBooks tax code each ERPNext tax template, Item Tax Template or tax account becomes, for one
company. An Item Tax Template row gives the lines carrying that template their own code (a reduced or zero
rate beside the invoice's standard one)."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.client import throw_qbo_error
from qbo_connector.qbo_connector.lookups import cached_name


class QBOTaxMap(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from qbo_connector.qbo_connector.doctype.qbo_tax_map_item.qbo_tax_map_item import QBOTaxMapItem

		company: DF.Link
		realm_id: DF.Data | None
		taxes: DF.Table[QBOTaxMapItem]
	# end: auto-generated types

	def validate(self) -> None:
		self.realm_id = frappe.db.get_value("QBO Connection", self.company, "realm_id")
		seen: dict[str, int] = {}
		for row in self.taxes:
			keys = [k for k in (row.sales_taxes_template, row.item_tax_template, row.tax_account) if k]
			if not keys:
				frappe.throw(
					_(
						"Row {0}: pick a Sales Taxes and Charges Template, an Item Tax Template or a tax account."
					).format(row.idx)
				)
			for key in keys:
				if key in seen:
					frappe.throw(
						_("Row {0}: {1} is already mapped in row {2}.").format(row.idx, key, seen[key])
					)
				seen[key] = row.idx
			if row.qbo_tax_code and (row.has_value_changed("qbo_tax_code") or not row.qbo_tax_code_name):
				row.qbo_tax_code_name = (
					cached_name(self.company, "tax_codes", row.qbo_tax_code) or row.qbo_tax_code_name
				)

	@frappe.whitelist()
	def validate_mappings(self) -> list[dict[str, Any]]:
		"""Check every row (and the connection's default tax code) against QuickBooks, in plain words."""
		from qbo_connector.qbo_connector.checks import validate_tax_map

		try:
			return validate_tax_map(self.name)
		except QBOError as exc:
			throw_qbo_error(exc)


def get_tax_map(company: str) -> dict[str, str]:
	"""ERPNext tax template, Item Tax Template or tax account -> QBO tax code id, for the mapping context."""
	out: dict[str, str] = {}
	for row in frappe.get_all(
		"QBO Tax Map Item",
		filters={"parenttype": "QBO Tax Map", "parent": company},
		fields=["sales_taxes_template", "item_tax_template", "tax_account", "qbo_tax_code"],
		order_by="idx asc",
	):
		for key in filter(None, (row.sales_taxes_template, row.item_tax_template, row.tax_account)):
			out.setdefault(key, row.qbo_tax_code)
	return out
