# Copyright (c) 2026, qbo_connector contributors
# License: MIT. See license.txt

"""Which QuickBooks class each ERPNext cost center becomes, and which QuickBooks location (department) each
branch, for one company (mapping/dimensions.py says when and where they are used)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo_connector.lookups import cached_name

MAP = "QBO Class and Location Map"


class QBOClassandLocationMap(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from qbo_connector.qbo_connector.doctype.qbo_class_map_item.qbo_class_map_item import QBOClassMapItem
		from qbo_connector.qbo_connector.doctype.qbo_location_map_item.qbo_location_map_item import (
			QBOLocationMapItem,
		)

		classes: DF.Table[QBOClassMapItem]
		company: DF.Link
		locations: DF.Table[QBOLocationMapItem]
		realm_id: DF.Data | None
	# end: auto-generated types

	def validate(self) -> None:
		self.realm_id = frappe.db.get_value("QBO Connection", self.company, "realm_id")
		seen: dict[str, int] = {}
		for row in self.classes:
			if row.cost_center in seen:
				frappe.throw(
					_("Row {0} repeats cost center {1} of row {2}.").format(
						row.idx, row.cost_center, seen[row.cost_center]
					)
				)
			seen[row.cost_center] = row.idx
			company = frappe.db.get_value("Cost Center", row.cost_center, "company")
			if company != self.company:
				frappe.throw(
					_("Row {0}: cost center {1} belongs to {2}, not {3}.").format(
						row.idx, row.cost_center, company, self.company
					)
				)
			if row.qbo_class and (row.has_value_changed("qbo_class") or not row.qbo_class_name):
				row.qbo_class_name = cached_name(self.company, "classes", row.qbo_class) or row.qbo_class_name
		values: dict[str, int] = {}
		for row in self.locations:
			row.erpnext_value = (row.erpnext_value or "").strip()
			if row.erpnext_value in values:
				frappe.throw(
					_("Locations row {0} repeats {1} of row {2}.").format(
						row.idx, row.erpnext_value, values[row.erpnext_value]
					)
				)
			values[row.erpnext_value] = row.idx
			if row.qbo_location and (row.has_value_changed("qbo_location") or not row.qbo_location_name):
				row.qbo_location_name = (
					cached_name(self.company, "locations", row.qbo_location) or row.qbo_location_name
				)


def get_class_map(company: str) -> dict[str, str]:
	"""ERPNext cost center -> QBO Class id, for the mapping context."""
	return {
		row.cost_center: row.qbo_class
		for row in frappe.get_all(
			"QBO Class Map Item",
			filters={"parenttype": MAP, "parent": company},
			fields=["cost_center", "qbo_class"],
			order_by="idx asc",
		)
	}


def get_location_map(company: str) -> dict[str, str]:
	"""Branch (the connection's Location Field value) -> QBO Department id, for the mapping context."""
	return {
		row.erpnext_value: row.qbo_location
		for row in frappe.get_all(
			"QBO Location Map Item",
			filters={"parenttype": MAP, "parent": company},
			fields=["erpnext_value", "qbo_location"],
			order_by="idx asc",
		)
	}
