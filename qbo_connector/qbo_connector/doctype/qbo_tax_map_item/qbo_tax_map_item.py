# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from frappe.model.document import Document


class QBOTaxMapItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		confidence: DF.Data | None
		match_reason: DF.SmallText | None
		item_tax_template: DF.Link | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		qbo_tax_code: DF.Autocomplete
		qbo_tax_code_name: DF.Data | None
		sales_taxes_template: DF.Link | None
		tax_account: DF.Link | None
	# end: auto-generated types

	pass
