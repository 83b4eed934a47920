"""Sites installed before invoices were pulled from QuickBooks get Sales Invoice's qbo_txn_ref and
qbo_doc_number (and any other missing field) here."""

from __future__ import annotations


def execute() -> None:
	from qbo_connector.qbo_connector.install import add_custom_fields

	add_custom_fields()
