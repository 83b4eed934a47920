"""Many documents at once (first sync, "Re-sync all", the auto-push backlog) through QBO batch requests.

Same exactly-once rules as a single push: customers and items are ensured first (one by one: a batch item
cannot use what another item of the same batch creates), pending links with their request ids are saved
before each batch is sent, and documents left pending by an ambiguous failure are looked up by DocNumber
(30 at a time with IN) before anything is re-created.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from qbo_connector.qbo.client import BatchItem, QBOClient
from qbo_connector.qbo.errors import DuplicateDocNumberError
from qbo_connector.qbo.query import Query

from . import ids, kinds
from .base import Attempt
from .mapper import Mapped
from .outcome import BulkSummary, SyncResult, is_definitive
from .push import PushMixin, _ref, party_ref
from .store import ConnectionConfig, Link

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class _Prepared:
	name: str
	doc: dict[str, Any]
	config: ConnectionConfig
	link: Link | None
	mapped: Mapped
	at: Attempt


class BulkMixin(PushMixin):
	"""push_many() and auto_push()."""

	@contextlib.contextmanager
	def _current(self, at: Attempt) -> Iterator[None]:
		"""Route HTTP exchanges to this attempt's row while the block runs."""
		stack = self._local.__dict__.setdefault("stack", [])
		stack.append(at)
		try:
			yield
		finally:
			stack.pop()

	def push_many(self, doctype: str, names: list[str], progress: Progress | None = None) -> BulkSummary:
		"""Push many documents; new ones go 30 to a batch request. Returns counts (also on a summary row)."""
		names = list(dict.fromkeys(names))
		summary = BulkSummary(total=len(names))
		first = self.store.get_doc(doctype, names[0]) if names else None
		config = self.store.get_config(first["company"]) if first and first.get("company") else None
		entry = self._entry("bulk", config, doctype, None, company=(first or {}).get("company"))
		done = 0

		def tick(count: int = 1) -> None:
			nonlocal done
			done += count
			if progress is not None:
				progress(done, summary.total)

		def work(bulk: Attempt) -> SyncResult:
			# A chunk is sent as soon as it is full: preparing the whole list first would hold every
			# document and its QBO body in memory at once (a 20,000-invoice backlog: gigabytes).
			by_realm: dict[str, list[_Prepared]] = {}

			def send(realm: str) -> None:
				chunk = by_realm.pop(realm, [])
				if chunk:
					with self._current(bulk):
						self._send_chunk(self.client(realm), chunk, summary)
					tick(len(chunk))

			for name in names:
				prepared = self._prepare_one(doctype, name, summary)
				if prepared is None:
					tick()
					continue
				realm = prepared.config.realm_id
				by_realm.setdefault(realm, []).append(prepared)
				if len(by_realm[realm]) >= self.batch_size:
					send(realm)
			for realm in list(by_realm):
				send(realm)
			counts = summary.as_dict()
			counts.pop("log_id", None)
			bulk.response = counts
			message = (
				f"{doctype}: {summary.total} documents, {summary.created} created, {summary.updated} updated, "
				f"{summary.unchanged} unchanged, {summary.warnings} with warnings, {summary.failed} failed, "
				f"{summary.skipped} skipped."
			)
			return bulk.finish("Warning" if summary.failed else "Success", message)

		result = self._run(entry, work)
		summary.log_id = result.log_id
		return summary

	def _prepare_one(self, doctype: str, name: str, summary: BulkSummary) -> _Prepared | None:
		"""Ensure dependencies and map one document on its own log row; documents that need no create
		(skipped, already linked) go through the single push path, which knows how to update them."""
		doc = self.store.get_doc(doctype, name)
		config = self.store.get_config(doc["company"]) if doc and doc.get("company") else None
		link = self.store.get_link(config.realm_id, doctype, name) if config else None
		kind = kinds.of(doctype, doc)
		if (
			self._guard(doctype, name, doc, config)
			or (link is not None and (link.state != "pending" or link.origin == "pull"))
			or (kind is not None and kind.rows)  # several QBO objects: the single push sends them one by one
		):
			summary.add(self._push(doctype, name))
			return None
		assert doc is not None and config is not None
		at = Attempt(self, self._entry("push", config, doctype, name))
		at.fingerprint = lambda: self.fingerprint(config, doctype, name)
		with self._current(at):
			try:
				mapped = self.prepare(self.client(config.realm_id), config, doctype, doc)
			except Exception as exc:  # noqa: BLE001 - ends in this document's Failed row
				summary.add(at.fail(exc))
				return None
		at.qbo_entity = mapped.entity
		at.request = mapped.body
		return _Prepared(name, doc, config, link, mapped, at)

	def _send_chunk(self, client: QBOClient, chunk: list[_Prepared], summary: BulkSummary) -> None:
		"""One batch request; whatever goes wrong, every document of the chunk ends with its own row."""
		try:
			self._send_chunk_locked(client, chunk, summary)
		except Exception as exc:  # noqa: BLE001 - a look-up or update failed: close the rows still open
			for item in chunk:
				if item.at.closed is None:
					summary.add(item.at.fail(exc))

	def _send_chunk_locked(self, client: QBOClient, chunk: list[_Prepared], summary: BulkSummary) -> None:
		with contextlib.ExitStack() as locks:
			for item in sorted(chunk, key=lambda p: p.name):
				locks.enter_context(
					self.store.lock(f"{item.config.realm_id}:{item.at.entry.doctype}:{item.name}")
				)
			new: list[_Prepared] = []
			pending: list[_Prepared] = []
			for item in chunk:
				doctype = item.at.entry.doctype or ""
				# Cancelled (or deleted) while waiting for the locks: nothing to create.
				reason = self._guard(doctype, item.name, self.store.get_doc(doctype, item.name), item.config)
				if reason:
					summary.add(item.at.finish("Skipped", reason))
					continue
				link = self.store.get_link(item.config.realm_id, doctype, item.name)  # fresh, under the lock
				item.link = link
				if link is not None and link.state == "synced":
					summary.add(self._update_linked(item.at, client, link, item.mapped, note="already sent"))
				elif link is None:
					item.link = Link(
						realm_id=item.config.realm_id,
						doctype=doctype,
						name=item.name,
						qbo_entity=item.mapped.entity,
						request_id=ids.request_id(item.config.realm_id, doctype, item.name, ids.CREATE, 0),
					)
					self.store.save_link(item.link)  # pending, BEFORE the batch is sent
					new.append(item)
				else:
					pending.append(item)  # an earlier attempt may have created it
			to_create = new + self._adopt_pending(client, pending, summary)
			if not to_create:
				return
			batch = [
				BatchItem(bid=str(n), operation="create", entity=p.mapped.entity, body=p.mapped.body)
				for n, p in enumerate(to_create)
			]
			request_id = ids.batch_request_id([p.link.request_id or "" for p in to_create])  # type: ignore[union-attr]
			results = client.batch(batch, request_id=request_id)
			for item, result in zip(to_create, results, strict=True):
				summary.add(self._batch_outcome(client, item, result))

	def _batch_outcome(self, client: QBOClient, item: _Prepared, result: Any) -> SyncResult:
		link = item.link
		assert link is not None
		if result.error is None and result.entity:
			self._adopt(link, result.entity, item.mapped, pushed_from=item.mapped.body)
			return self._created(item.at, link, result.entity, item.mapped)
		error = result.error
		item.at.response = error.to_dict() if error is not None else None
		if isinstance(error, DuplicateDocNumberError):
			found = self.lookup(client, item.mapped, item.doc)
			if found is not None:
				self._adopt(link, found, item.mapped)
				return self._update_linked(item.at, client, link, item.mapped, note="found by its DocNumber")
		if error is not None and is_definitive(error):
			self._next_generation(link)
		# Transport/server failures of the whole request leave the link pending (maybe committed).
		return item.at.fail(error or RuntimeError("QuickBooks returned no answer for this batch item"))

	def _adopt_pending(
		self, client: QBOClient, items: list[_Prepared], summary: BulkSummary
	) -> list[_Prepared]:
		"""Documents whose earlier create may have landed are looked up before being sent again."""
		if not items:
			return items
		found: dict[str, dict[str, Any]] = {}
		by_entity: dict[str, list[_Prepared]] = {}
		for p in items:
			if p.mapped.body.get("DocNumber") and self.finds_by_number(p.doc):
				by_entity.setdefault(p.mapped.entity, []).append(p)
			else:
				obj = self.lookup(client, p.mapped, p.doc)
				if obj is not None:
					found[p.name] = obj
		for entity, group in by_entity.items():
			numbers = [p.mapped.body["DocNumber"] for p in group]
			rows = self.rows(client, Query(entity).where("DocNumber", "IN", numbers))
			for p in group:
				key, party = party_ref(p.mapped.body)
				matches = [
					r
					for r in rows
					if r.get("DocNumber") == p.mapped.body["DocNumber"]
					and (not party or not key or _ref(r, key) == party)
				]
				matches = matches or self.lookup_by_note(client, p.mapped, p.doc)
				if matches:
					found[p.name] = min(matches, key=lambda r: int(r["Id"]) if str(r["Id"]).isdigit() else 0)
		rest = []
		for p in items:
			obj = found.get(p.name)
			if obj is None:
				rest.append(p)
				continue
			assert p.link is not None
			self._adopt(p.link, obj, p.mapped)
			summary.add(
				self._update_linked(
					p.at, client, p.link, p.mapped, note="found in QuickBooks after an interrupted attempt"
				)
			)
		return rest

	def auto_push(self, company: str, older_than: timedelta | float | None = None) -> BulkSummary:
		"""Push everything submitted but not yet in QBO that is older than the cut-off (hours or timedelta,
		default the connection's auto-push hours): the backstop for failed or missed on-submit pushes."""
		config = self.store.get_config(company)
		total = BulkSummary()
		if config is None or not config.enabled:
			return total
		if older_than is None:
			older_than = timedelta(hours=config.auto_push_hours or 0)
		elif not isinstance(older_than, timedelta):
			older_than = timedelta(hours=float(older_than))
		cutoff = self.clock() - older_than
		for doctype, enabled in self.pushable(config).items():
			waiting = {
				entry.name
				for entry in self.store.retry_candidates(self.clock())
				if entry.operation == "push" and entry.doctype == doctype and self.waits_for_a_fix(entry)
			}
			listed: dict[str, None] = {}
			for kind in enabled:
				for name in self.store.list_unsynced(company, doctype, cutoff, kind.list_filters()):
					listed.setdefault(name)
			names = [
				name
				for name in listed
				if name not in waiting and not self._skipped_unchanged(config, doctype, name, enabled)
			]
			if not names:
				continue
			part = self.push_many(doctype, names)
			for key in ("total", "created", "updated", "unchanged", "warnings", "failed", "skipped"):
				setattr(total, key, getattr(total, key) + getattr(part, key))
			total.results.extend(part.results)
			total.log_id = part.log_id
		return total

	def _skipped_unchanged(
		self, config: ConnectionConfig, doctype: str, name: str, enabled: list[kinds.Kind]
	) -> bool:
		"""A document skipped by rule (a timesheet of an unmapped person) whose document and map are unchanged
		since: auto-push would only write the same Skipped row every hour."""
		if not any(kind.party is not None and kind.party.map is None for kind in enabled):
			return False
		entry = self.store.last_attempt(config.realm_id, "push", doctype, name)
		if entry is None or entry.status != "Skipped" or not entry.error_code or not entry.doc_fingerprint:
			return False
		return self.fingerprint(config, doctype, name) == entry.doc_fingerprint

	@staticmethod
	def pushable(config: ConnectionConfig) -> dict[str, list[kinds.Kind]]:
		"""The kinds a connection sends (their switch is on), by doctype, in KINDS order."""
		out: dict[str, list[kinds.Kind]] = {}
		for kind in kinds.KINDS:
			if kind.direction != "pull" and kind.enabled(config):
				out.setdefault(kind.doctype, []).append(kind)
		return out
