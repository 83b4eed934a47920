# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

from frappe.model.document import Document


class QBOAccountMapItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		confidence: DF.Data | None
		erpnext_account: DF.Link | None
		match_reason: DF.SmallText | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		purpose: DF.Literal["Income", "Receivable", "Discount", "Tax Liability", "Deposit", "Rounding"]
		qbo_account: DF.Autocomplete
		qbo_account_name: DF.Data | None
		qbo_account_type: DF.Data | None
	# end: auto-generated types

	pass
