# Copyright (c) 2026, qbo_connector contributors
# License: MIT. See license.txt

from frappe.model.document import Document


class QBOLocationMapItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		confidence: DF.Data | None
		erpnext_value: DF.Data
		match_reason: DF.SmallText | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		qbo_location: DF.Autocomplete
		qbo_location_name: DF.Data | None
	# end: auto-generated types

	pass
