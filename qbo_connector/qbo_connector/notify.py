"""Telling the people who look after the QuickBooks connection: Notification Log (bell, and e-mail for those
who enabled it) plus a realtime toast. One place, so every notice goes to the same people."""

from __future__ import annotations

import frappe

# The "QBO Managers": whoever may fix a connection, a map or a document (as tokens.py's reconnect notice).
MANAGER_ROLES = ("System Manager", "Accounts Manager")
NOTICE_EVENT = "qbo_notice"


def manager_users() -> list[str]:
	"""Enabled users with a manager role, and Administrator."""
	from frappe.utils.user import get_users_with_role

	users = {"Administrator"}
	for role in MANAGER_ROLES:
		users.update(get_users_with_role(role))
	return sorted(users)


def notify_managers(subject: str, message: str, document_type: str, document_name: str) -> list[str]:
	"""Notify every manager once; message is HTML (escape what it quotes). Returns who was told."""
	from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

	users = manager_users()
	emails = [email for email in frappe.get_all("User", {"name": ("in", users)}, pluck="email") if email]
	make_notification_logs(
		frappe._dict(
			{
				"type": "Alert",
				"document_type": document_type,
				"document_name": document_name,
				"subject": subject,
				"email_content": message,
				"from_user": "Administrator",
			}
		),
		emails,
	)
	for user in users:
		frappe.publish_realtime(NOTICE_EVENT, {"message": subject}, user=user, after_commit=True)
	return users
