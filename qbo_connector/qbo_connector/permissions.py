"""Who may do what, in one place, so the UI and the server check the same thing.

Write access to settings and connections (where the Intuit secret and the tokens live) is System Manager
only; the maps are accounting data and belong to Accounts Managers; the log is read by Accounts Users and
retried by Accounts Managers. Every whitelisted method checks its roles itself: a hidden button is not a
permission check.
"""

from __future__ import annotations

from collections.abc import Iterable

import frappe
from frappe import _

ADMIN_ROLES = ("System Manager",)
RETRY_ROLES = ("Accounts Manager", "System Manager")
MAP_ROLES = ("Accounts Manager", "System Manager")
READ_ROLES = ("Accounts User", "Accounts Manager", "System Manager")


def has_app_permission() -> bool:
	"""Whether the apps screen and the desktop show QuickBooks Online to the session user: the log readers."""
	return frappe.session.user == "Administrator" or has_any_role(READ_ROLES)


def require_roles(roles: Iterable[str]) -> None:
	"""Raise frappe.PermissionError unless the session user has one of roles (Administrator always has).

	Not frappe.only_for: that one is switched off while tests run, and these checks must be testable.
	"""
	roles = tuple(roles)
	if frappe.session.user == "Administrator" or has_any_role(roles):
		return
	frappe.throw(
		_("This action is only allowed for {0}").format(", ".join(frappe.bold(_(role)) for role in roles)),
		frappe.PermissionError,
		title=_("Not Permitted"),
	)


def has_any_role(roles: Iterable[str], user: str | None = None) -> bool:
	"""Whether the user (default: session user) has one of the roles."""
	user_roles = set(frappe.get_roles(user))
	return bool(user_roles.intersection(roles))
