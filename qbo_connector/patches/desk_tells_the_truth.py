"""Issue 13 (the desk tells the truth): sites installed before it get

* the new QBO Status options (Waiting, Difference) on Sales Invoice and Payment Entry;
* Later Attempt filled on the log rows a later attempt made history, so an old failure that was retried
  (or a pull that later succeeded) no longer counts as open on the workspace and in the list;
* no more "QBO Synced Today" / "QBO Failed Today" / "QBO Waiting" number cards: the workspace's overview
  block counts from the same filters as the lists it opens (they told three different stories).
"""

from __future__ import annotations

import frappe

OLD_NUMBER_CARDS = ("QBO Synced Today", "QBO Failed Today", "QBO Waiting")


def execute() -> None:
	from qbo_connector.qbo_connector.install import add_custom_fields

	add_custom_fields()
	fill_later_attempts()
	for card in OLD_NUMBER_CARDS:
		if frappe.db.exists("Number Card", card):
			frappe.delete_doc("Number Card", card, ignore_permissions=True, force=True)


def fill_later_attempts() -> None:
	"""Each row's Later Attempt is the next row of the same thing (as QBOSyncLog.after_insert sets it)."""
	from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import COMPANY_OPERATIONS
	from qbo_connector.qbo_connector.status import DOCUMENT_OPERATIONS

	groups = (
		(
			"operation in %(document_ops)s and ifnull(reference_name, '') != ''",
			"reference_doctype, reference_name",
		),
		("operation = 'pull_entity' and ifnull(qbo_id, '') != ''", "realm_id, qbo_entity, qbo_id"),
		("operation in %(company_ops)s and ifnull(company, '') != ''", "operation, company"),
	)
	for where, partition in groups:
		frappe.db.sql(
			f"""
			update `tabQBO Sync Log` l
			join (
				select name, lead(name) over (partition by {partition} order by creation, name) as later
				from `tabQBO Sync Log`
				where {where}
			) t on t.name = l.name
			set l.later_attempt = t.later
			where t.later is not null and l.later_attempt is null
			""",
			{"document_ops": DOCUMENT_OPERATIONS, "company_ops": COMPANY_OPERATIONS},
		)
