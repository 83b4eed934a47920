"""SyncEngine: the public face of the sync package (push, cancel, pull, webhooks, bulk, retries).

Framework-free: the Frappe layer builds one with its Store over frappe.db and a factory of QBOClients per
realm, and calls these methods from doc_events jobs, the scheduler and the webhook endpoint.

    engine = SyncEngine(store, client_for=lambda realm_id: make_client(realm_id))
    engine.push("Sales Invoice", "ACC-SINV-2026-00002")
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from . import interrupt, kinds
from .bulk import BulkMixin
from .history import HistoryMixin, ImportResult
from .outcome import PullResult, SyncResult
from .preview import PreviewMixin
from .pull import PullMixin
from .reconcile import ReconcileMixin
from .store import LogEntry

logger = logging.getLogger(__name__)


class SyncEngine(BulkMixin, HistoryMixin, PreviewMixin, PullMixin, ReconcileMixin):
	"""SyncEngine(store, client_for, clock=None, *, backoff=..., stale_retries=3, batch_size=30).

	client_for(realm_id) returns the QBOClient of a QBO company (the factory may cache clients; the engine
	routes each client's on_exchange into the log row of the running attempt). clock returns an aware
	UTC datetime. backoff is the retry schedule in seconds (1, 5, 15, 60, 240 min, then daily).
	"""

	# -- retries ------------------------------------------------------------------------------------------
	def retry(self, log_id: str) -> SyncResult | PullResult | ImportResult:
		"""Re-run the attempt a log row describes (the Retry button; any status, any error kind)."""
		entry = self.store.get_log(log_id)
		if entry is None:
			raise KeyError(f"No sync log {log_id}")
		return self._rerun(entry)

	def _rerun(self, entry: LogEntry) -> SyncResult | PullResult | ImportResult:
		if entry.operation == "push" and entry.doctype and entry.name:
			return self._push(entry.doctype, entry.name, retry_of=entry)
		if entry.operation == "cancel" and entry.doctype and entry.name:
			return self._cancel(entry.doctype, entry.name, retry_of=entry)
		config = self._config(entry.company, entry.realm_id)
		if entry.operation == "import" and config is not None and entry.name:
			return self.resume_import(entry)
		if entry.operation == "pull":
			return self._pull(config, company=entry.company, retry_of=entry)
		if entry.operation == "pull_entity" and config is not None and entry.doctype and entry.name:
			return self.pull_entity(config, entry.doctype, entry.name, retry_of=entry)
		raise ValueError(f"Sync log {entry.id} ({entry.operation}) cannot be retried")

	def retry_due(self, now: datetime | None = None) -> list[SyncResult | PullResult | ImportResult]:
		"""Scheduler entry: retry failed attempts whose backoff has passed, and bad-data failures whose
		document (or its customer, items or the mappings) changed since; bad data is not retried blindly."""
		now = now or self.clock()
		results: list[SyncResult | PullResult | ImportResult] = []
		for entry in self.store.retry_candidates(now):
			if not entry.retryable and (entry.doc_fingerprint is None or self.waits_for_a_fix(entry)):
				continue
			try:
				results.append(self._rerun(entry))
			except ValueError:
				logger.warning("sync log %s cannot be retried", entry.id)
		return results

	# -- attempts a dead worker left open -----------------------------------------------------------------
	def sweep_interrupted(
		self, now: datetime | None = None, older_than: timedelta = interrupt.DEFAULT_ATTEMPT_TIMEOUT
	) -> list[LogEntry]:
		"""Scheduler entry: close as Interrupted every log row still Started after older_than (longer than
		any job may run, so its worker is gone). A document attempt with no later attempt becomes due for
		retry_due at once; see interrupt.py. Returns the rows closed."""
		now = now or self.clock()
		return interrupt.sweep(self.store, now, older_than, fingerprint=self._interrupted_fingerprint)

	def _interrupted_fingerprint(self, entry: LogEntry) -> str | None:
		if entry.operation not in ("push", "cancel") or not kinds.for_doctype(entry.doctype):
			return None
		if entry.name is None:
			return None
		return self.fingerprint(self._config(entry.company, entry.realm_id), entry.doctype, entry.name)
