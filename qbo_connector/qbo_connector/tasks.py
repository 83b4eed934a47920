"""Background jobs of the Frappe module. Each one is small: find what to do, hand it to the sync engine."""

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.client import client_for_realm


def get_engine():
	"""The sync engine over this site's database.

	FrappeStore (qbo_connector/qbo_connector/store.py, the engine's Store over frappe.db) is written with
	the sync jobs; until it lands this import fails and the retry job fails visibly, never silently.
	"""
	from qbo_connector.qbo_connector.store import FrappeStore
	from qbo_connector.sync.engine import SyncEngine

	return SyncEngine(FrappeStore(), client_for_realm)


def retry_log(log: str) -> None:
	"""Job behind the Retry button: re-run the attempt a QBO Sync Log row describes.

	The engine writes a new log row (retry_of = this one) with the outcome; the old row stays as it was.
	"""
	if not frappe.db.exists("QBO Sync Log", log):
		return
	get_engine().retry(log)
	frappe.db.commit()
