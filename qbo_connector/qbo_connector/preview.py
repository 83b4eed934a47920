"""The form's "Preview in QuickBooks": what a push would send and create, read from QBO, written nowhere.

The engine does the work (sync/preview.py); this module checks who is asking and turns the result into
plain JSON for the dialog (public/js/qbo_preview.js)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import frappe
from frappe import _

from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo_connector.permissions import READ_ROLES, require_roles
from qbo_connector.qbo_connector.tasks import get_engine
from qbo_connector.sync import kinds
from qbo_connector.sync.outcome import SyncError


def _plain(value: Any) -> Any:
	"""Decimals as strings (exact, as the dialog shows them), recursively."""
	if isinstance(value, Decimal):
		return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
	if isinstance(value, dict):
		return {key: _plain(item) for key, item in value.items()}
	if isinstance(value, list | tuple):
		return [_plain(item) for item in value]
	return value


@frappe.whitelist()
def preview(doctype: str, name: str) -> dict[str, Any]:
	"""The JSON a push of this document would send, its predicted QuickBooks total beside ERPNext's, and the
	QuickBooks records it would create. Nothing is written to QuickBooks or to ERPNext."""
	require_roles(READ_ROLES)
	if not any(kind.direction != "pull" for kind in kinds.for_doctype(doctype)):
		frappe.throw(_("{0} documents are not sent to QuickBooks.").format(_(doctype)))
	if not frappe.db.exists(doctype, name):
		frappe.throw(_("{0} {1} does not exist").format(_(doctype), name), frappe.DoesNotExistError)
	if not frappe.has_permission(doctype, "read", name):
		frappe.throw(_("Not permitted to read {0} {1}").format(_(doctype), name), frappe.PermissionError)
	try:
		result = get_engine().preview(doctype, name)
	except (QBOError, SyncError) as exc:
		frappe.throw(getattr(exc, "user_message", None) or str(exc), title=_("QuickBooks"))
	return _plain(result.as_dict())
