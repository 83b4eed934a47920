# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""Where an ERPNext document lives in one QuickBooks company: the record that makes syncing exactly-once.

Two unique keys are enforced by the database, not only by code, so two workers racing can never create
a second link: one ERPNext document per QBO company (ref_key), one ERPNext document per QBO object
(qbo_key). Customers and items are shared by all ERPNext companies, so the realm is part of both keys.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo.constants import canonical_entity
from qbo_connector.qbo_connector.status import document_states, refresh_document, set_reference_status


def ref_key(realm_id: str, reference_doctype: str, reference_name: str) -> str:
	return f"{realm_id}|{reference_doctype}|{reference_name}"


def qbo_key(realm_id: str, qbo_entity: str, qbo_id: str | None) -> str | None:
	return f"{realm_id}|{canonical_entity(qbo_entity)}|{qbo_id}" if qbo_id else None


class QBOLink(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company: DF.Link | None
		drift: DF.Check
		generation: DF.Int
		last_synced: DF.Datetime | None
		message: DF.SmallText | None
		origin: DF.Literal["Push", "Pull"]
		pushed: DF.Code | None
		qbo_entity: DF.Data
		qbo_id: DF.Data | None
		qbo_key: DF.Data | None
		qbo_name: DF.Data | None
		qbo_total: DF.Currency
		realm_id: DF.Data
		reconcile_message: DF.SmallText | None
		reconcile_state: DF.Literal["", "In Step", "Differs", "Missing in QBO", "Voided in QBO"]
		reconciled_at: DF.Datetime | None
		ref_key: DF.Data | None
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		remote_updated: DF.Data | None
		request_id: DF.Data | None
		state: DF.Literal["Pending", "Synced", "Voided", "Deleted", "Closed", "Flagged"]
		sync_token: DF.Data | None
	# end: auto-generated types

	def validate(self) -> None:
		self.qbo_entity = canonical_entity(self.qbo_entity)
		self.qbo_id = (self.qbo_id or "").strip() or None
		self.ref_key = ref_key(self.realm_id, self.reference_doctype, self.reference_name)
		self.qbo_key = qbo_key(self.realm_id, self.qbo_entity, self.qbo_id)
		if self.state == "Synced" and not self.qbo_id:
			frappe.throw(_("A synced link needs the QuickBooks ID."))

	def on_update(self) -> None:
		refresh_document(self.reference_doctype, self.reference_name, publish=False)

	def on_trash(self) -> None:
		set_reference_status(self.reference_doctype, self.reference_name, "")


@frappe.whitelist()
def get_document_status(doctype: str, name: str) -> list[dict[str, Any]]:
	"""Where one ERPNext document stands in QuickBooks (one entry per QBO company), for its form."""
	if not frappe.has_permission(doctype, "read", name):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	if not frappe.has_permission("QBO Link", "read"):
		return []
	return document_states(doctype, name)
