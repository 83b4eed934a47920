"""Preview: what a push would send to QBO, and what it would create there, without writing anything.

The preview runs the push's own preparation (PushMixin.prepare: the company's settings, the probe that
validates and maps before any write, the kind's look-ups of its party, items and the documents it refers to,
the mapping and its predicted total) on a dry-run copy of the engine, for a document of any kind (sync/kinds):

* its QBO client reads for real (settings, look-ups by name) but answers every write itself: a create is
  recorded as a planned write and answered with a placeholder id ("NEW-1"), and anything else that would
  write raises PreviewWriteError, so no code path can reach QBO with a write;
* its store reads the real one and keeps its own writes (links, log rows) in memory, so ERPNext is not
  changed either.

What comes back is the JSON the push would send, ERPNext's total beside the total QBO is predicted to compute,
and the list of QBO objects the push would create (customers, vendors, items, per-account items, documents a
payment pays that are not in QBO yet, the document itself or each of its parts, a deposit).
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import q2
from qbo_connector.qbo.client import BatchItem, BatchResult, QBOClient
from qbo_connector.qbo.errors import QBOError

from . import kinds
from .base import doc_label
from .kinds.base import Needs
from .outcome import SkipDocument, SyncError, SyncResult, classify
from .push import PushMixin
from .store import ConnectionConfig, Link, LogEntry, LogOutcome

PLACEHOLDER = "NEW-"


class PreviewWriteError(RuntimeError):
	"""Something tried to write to QBO during a preview (a bug: the preview must never write)."""


@dataclass
class PlannedWrite:
	"""One QBO object the push would create (or change)."""

	operation: str  # create, update
	entity: str
	name: str  # what QBO would call it: DisplayName, Name, DocNumber
	placeholder: str | None  # the id the preview's body uses for it (NEW-1 ...)
	record: str  # the ERPNext record it is for ("Customer O'Brien & Søn Ltd")
	body: dict[str, Any] = field(default_factory=dict)


@dataclass
class PreviewResult:
	"""What a push of one document would do. `action`: create, update, unchanged, skipped or fails."""

	doctype: str
	name: str
	action: str
	message: str
	company: str | None = None
	entity: str | None = None
	body: dict[str, Any] | None = None
	erp_total: Decimal | None = None
	predicted_total: Decimal | None = None
	predicted_tax: Decimal | None = None
	tolerance: Decimal | None = None
	writes: list[PlannedWrite] = field(default_factory=list)
	notes: list[str] = field(default_factory=list)  # existing QBO records the push would link, and why
	warnings: list[str] = field(default_factory=list)
	draft: bool = False
	error_field: str | None = None

	@property
	def difference(self) -> Decimal | None:
		if self.erp_total is None or self.predicted_total is None:
			return None
		return q2(self.predicted_total) - q2(self.erp_total)

	def as_dict(self) -> dict[str, Any]:
		out = asdict(self)
		out["difference"] = self.difference
		return out


class DryRunClient:
	"""A QBOClient that reads through the real one and answers writes itself (see the module docstring)."""

	def __init__(self, inner: QBOClient) -> None:
		self._inner = inner
		self._seq = itertools.count(1)
		self.writes: list[PlannedWrite] = []
		self.record = ""  # the ERPNext record the next create is for (set by the dry engine)

	def __getattr__(self, name: str) -> Any:
		return getattr(self._inner, name)

	# -- reads: the real client ------------------------------------------------------------------------------
	def read(self, entity: str, entity_id: str) -> dict:
		return self._inner.read(entity, entity_id)

	def query(self, query: Any) -> dict:
		return self._inner.query(query)

	def query_all(self, query: Any, page_size: int | None = None) -> Iterator[dict]:
		if page_size is None:
			return self._inner.query_all(query)
		return self._inner.query_all(query, page_size)

	def count(self, query: Any) -> int:
		return self._inner.count(query)

	def preferences(self) -> dict:
		return self._inner.preferences()

	def company_info(self) -> dict:
		return self._inner.company_info()

	# -- writes: planned, never sent -------------------------------------------------------------------------
	def create(self, entity: str, body: dict, request_id: str | None = None) -> dict:
		placeholder = f"{PLACEHOLDER}{next(self._seq)}"
		name = str(body.get("DisplayName") or body.get("Name") or body.get("DocNumber") or "")
		self.writes.append(
			PlannedWrite("create", entity, name, placeholder, self.record, copy.deepcopy(body))
		)
		return {**copy.deepcopy(body), "Id": placeholder, "SyncToken": "0"}

	def update(self, entity: str, body: dict, request_id: str | None = None, sparse: bool = True) -> dict:
		self.writes.append(PlannedWrite("update", entity, str(body.get("Id")), None, self.record, dict(body)))
		return {**copy.deepcopy(body), "SyncToken": str(int(str(body.get("SyncToken") or 0)) + 1)}

	def _refuse(self, what: str) -> PreviewWriteError:
		return PreviewWriteError(f"a preview must not {what} in QuickBooks")

	def void(self, *args: Any, **kwargs: Any) -> dict:
		raise self._refuse("void anything")

	def delete(self, *args: Any, **kwargs: Any) -> dict:
		raise self._refuse("delete anything")

	def send(self, *args: Any, **kwargs: Any) -> dict:
		raise self._refuse("e-mail anything")

	def batch(self, items: list[BatchItem], request_id: str | None = None) -> list[BatchResult]:
		raise self._refuse("send a batch")

	def request(self, method: str, path: str, **kwargs: Any) -> Any:
		if kwargs.get("write") or (method.upper() != "GET" and path != "query"):
			raise self._refuse(f"{method} {path}")
		return self._inner.request(method, path, **kwargs)

	def call(self, method: str, path: str, **kwargs: Any) -> dict:
		if kwargs.get("write") or (method.upper() != "GET" and path != "query"):
			raise self._refuse(f"{method} {path}")
		return self._inner.call(method, path, **kwargs)


class PreviewStore:
	"""The real store for reads; links, log rows and every other write stay in this object's memory."""

	def __init__(self, inner: Any, doc: dict[str, Any]) -> None:
		self._inner = inner
		self._doc = copy.deepcopy(doc)
		self._links: dict[tuple[str, str, str], Link] = {}
		self._logs: dict[str, LogEntry] = {}
		self._seq = itertools.count(1)
		self._locks: dict[str, threading.Lock] = {}
		self._mutex = threading.Lock()

	def __getattr__(self, name: str) -> Any:
		# Reads only: every write of the Store protocol is defined below.
		return getattr(self._inner, name)

	def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
		if (doctype, name) == (self._doc.get("doctype"), self._doc.get("name")):
			return copy.deepcopy(self._doc)
		return self._inner.get_doc(doctype, name)

	def get_link(self, realm_id: str, doctype: str, name: str) -> Link | None:
		found = self._links.get((realm_id, doctype, name))
		return copy.deepcopy(found) if found else self._inner.get_link(realm_id, doctype, name)

	def find_link(self, realm_id: str, qbo_entity: str, qbo_id: str) -> Link | None:
		for link in self._links.values():
			if (link.realm_id, link.qbo_entity, link.qbo_id) == (realm_id, qbo_entity, str(qbo_id)):
				return copy.deepcopy(link)
		return self._inner.find_link(realm_id, qbo_entity, qbo_id)

	def save_link(self, link: Link) -> None:
		self._links[(link.realm_id, link.doctype, link.name)] = copy.deepcopy(link)

	def start_log(self, entry: LogEntry) -> str:
		log_id = f"preview-{next(self._seq)}"
		self._logs[log_id] = copy.deepcopy(entry)
		return log_id

	def finish_log(self, log_id: str, outcome: LogOutcome) -> None:
		entry = self._logs.get(log_id)
		if entry is not None:
			entry.status, entry.message = outcome.status, outcome.message

	def get_log(self, log_id: str) -> LogEntry | None:
		return self._logs.get(log_id)

	def open_attempts(self, *args: Any, **kwargs: Any) -> list[LogEntry]:
		return []

	def last_attempt(self, *args: Any, **kwargs: Any) -> LogEntry | None:
		return None

	def interrupt_log(self, *args: Any, **kwargs: Any) -> bool:
		return False

	def save_company_mode(self, company: str, mode: Any) -> None:
		"""Not kept: the preview changes nothing (the next push reads the settings itself)."""

	def mark_reconciled(self, *args: Any, **kwargs: Any) -> None:
		"""Not kept."""

	def _no(self, *args: Any, **kwargs: Any) -> Any:
		raise PreviewWriteError("a preview must not change ERPNext")

	flag_qbo_state = set_disabled = cancel_payment_entry = attach_file = _no
	upsert_customer = upsert_supplier = upsert_item = create_payment_entry = _no
	set_watermark = claim_event = release_event = _no

	@contextmanager
	def lock(self, key: str) -> Iterator[None]:
		# Only this preview uses its memory: no need to wait for (or block) a worker pushing the document.
		with self._mutex:
			mutex = self._locks.setdefault(key, threading.Lock())
		with mutex:
			yield


class PreviewMixin(PushMixin):
	"""preview()."""

	def preview(self, doctype: str, name: str) -> PreviewResult:
		"""What a push of this document would send and create in QBO; nothing is written anywhere.

		A draft is previewed as it would be sent once submitted."""
		doc = self.store.get_doc(doctype, name)
		label = doc_label(doctype, name)
		if doc is None:
			return PreviewResult(doctype, name, "skipped", f"{label} does not exist.")
		result = PreviewResult(doctype, name, "create", "", company=doc.get("company"))
		if int(doc.get("docstatus") or 0) == 0:
			result.draft = True
			doc = {**doc, "docstatus": 1}
		config = self.store.get_config(doc["company"]) if doc.get("company") else None
		reason = self._guard(doctype, name, doc, config)
		if reason:
			result.action, result.message = "skipped", reason
			return result
		assert config is not None
		link = self.store.get_link(config.realm_id, doctype, name)
		if link is not None and (link.origin == "pull" or link.state in ("voided", "deleted")):
			result.action = "skipped"
			result.message = (
				f"{label} came from QuickBooks {link.qbo_entity} {link.qbo_id}; it is not sent back."
				if link.origin == "pull"
				else f"{label} is {link.state} in QuickBooks; it is not sent again."
			)
			return result
		dry = self._dry_engine(doc)
		client = dry.client(config.realm_id)
		try:
			mapped = dry.prepare(client, config, doctype, doc)
		except SkipDocument as skip:  # e.g. a timesheet of a person the Employee map does not name
			result.action, result.message = "skipped", skip.message
			result.writes, result.notes = list(client.writes), list(dry._preview_notes)
			return result
		except (MappingError, SyncError, QBOError) as exc:
			failure = classify(exc)
			result.action = "fails"
			result.message = failure.message
			result.error_field = getattr(exc, "field", None)
			result.writes, result.notes = list(client.writes), list(dry._preview_notes)
			return result
		result.entity = mapped.entity
		result.erp_total = mapped.expected_total
		result.predicted_total = getattr(mapped.source, "predicted_total", None)
		if result.predicted_total is None:
			result.predicted_total = mapped.expected_total
		result.predicted_tax = getattr(mapped.source, "predicted_tax", None)
		result.tolerance = mapped.tolerance
		result.warnings = list(mapped.warnings)
		result.writes, result.notes = list(client.writes), list(dry._preview_notes)
		if link is not None and link.state == "synced" and link.qbo_id:
			want = {k: mapped.body[k] for k in mapped.updatable if k in mapped.body}
			changes = {k: v for k, v in want.items() if link.pushed.get(k) != v}
			if not changes:
				result.action = "unchanged"
				result.body = mapped.body
				result.message = f"{label} is already in QuickBooks as {link.qbo_entity} {link.qbo_id}; a push would change nothing."
				return result
			result.action = "update"
			result.body = {"Id": link.qbo_id, "SyncToken": link.sync_token, "sparse": True, **changes}
			result.writes.append(
				PlannedWrite("update", link.qbo_entity, str(link.qbo_id), None, label, result.body)
			)
			result.message = (
				f"{label} is already in QuickBooks as {link.qbo_entity} {link.qbo_id}; a push would update "
				f"{', '.join(sorted(changes))}."
			)
			return result
		result.body = mapped.body
		for part in mapped.parts or [_Whole(doctype, name, mapped)]:  # a timesheet: one object per time log
			body = part.mapped.body
			number = body.get("DocNumber") or body.get("PaymentRefNum") or ""
			record = label if part.name == name else doc_label(part.doctype, part.name)
			result.writes.append(PlannedWrite("create", part.mapped.entity, str(number), None, record, body))
		if mapped.deposit_to:
			result.writes.append(
				PlannedWrite(
					"create",
					"Deposit",
					"",
					None,
					label,
					{"DepositToAccountRef": {"value": mapped.deposit_to}},
				)
			)
		created = [w for w in result.writes if w.operation == "create"]
		result.message = (
			f"A push would create {len(created)} QuickBooks record{'s' if len(created) != 1 else ''}: "
			+ "; ".join(f"{w.entity} {w.name}".strip() for w in created)
			+ "."
		)
		return result

	def _dry_engine(self, doc: dict[str, Any]) -> PreviewMixin:
		"""A copy of this engine whose store and clients cannot write (module docstring)."""
		dry = copy.copy(self)
		dry.__class__ = _dry_class(type(self))
		dry.store = PreviewStore(self.store, doc)
		dry._local = threading.local()
		dry._preview_notes = []
		clients: dict[str, DryRunClient] = {}
		real = self._client_for

		def client_for(realm_id: str) -> DryRunClient:
			if realm_id not in clients:
				clients[realm_id] = DryRunClient(real(realm_id))
			return clients[realm_id]

		dry._client_for = client_for
		return dry


@dataclass
class _Whole:
	"""The document itself as the one object it becomes (mapper.Part's shape)."""

	doctype: str
	name: str
	mapped: Any


_DRY_CLASSES: dict[type, type] = {}


def _dry_class(base: type) -> type:
	"""`base` with the few steps of a push that would hand work to another push or write elsewhere."""
	if base not in _DRY_CLASSES:

		class DryEngine(base):  # type: ignore[valid-type, misc]
			_preview_notes: list[str]

			def note(self, sentence: str) -> None:
				self._preview_notes.append(sentence)

			def _claim_name(self, client, realm, doctype, name, entity, field, candidates, body_for):  # type: ignore[no-untyped-def]
				client.record = doc_label(doctype, name)
				return super()._claim_name(client, realm, doctype, name, entity, field, candidates, body_for)

			def _push(self, doctype: str, name: str, retry_of: LogEntry | None = None) -> SyncResult:
				raise PreviewWriteError(f"a preview must not push {doctype} {name}")

			def ensure_documents(  # type: ignore[override]
				self, config: ConnectionConfig, doc: dict[str, Any], needs: Needs
			) -> dict[str, str]:
				"""The QBO ids of the documents this one refers to (a payment's invoices, a bill payment's bills);
				one not in QBO yet would be pushed first, so it gets a placeholder and a planned write (its own
				preview shows what that push would create)."""
				refs: dict[str, str] = {}
				client = self.client(config.realm_id)
				for other, _idx in self._needed(doc, needs):
					if other in refs:
						continue
					link = self.store.get_link(config.realm_id, needs.doctype, other)
					if link is not None and link.state == "synced" and link.qbo_id:
						refs[other] = link.qbo_id
						continue
					kind = kinds.of(needs.doctype, self.store.get_doc(needs.doctype, other) or {})
					entity = kind.entity if kind is not None else needs.doctype
					client.record = doc_label(needs.doctype, other)
					planned = client.create(entity, {"DocNumber": other})
					client.writes[-1].body = {}
					self._preview_notes.append(
						f"{doc_label(needs.doctype, other)} is not in QuickBooks yet: the push would send it first "
						"(preview it on its own form to see what that creates)."
					)
					refs[other] = planned["Id"]
				return refs

			def open_balances(self, client, config, refs, doc, needs, entity):  # type: ignore[no-untyped-def]
				real = {
					name: qbo_id for name, qbo_id in refs.items() if not str(qbo_id).startswith(PLACEHOLDER)
				}
				return super().open_balances(client, config, real, doc, needs, entity) if real else {}

		DryEngine.__name__ = f"Dry{base.__name__}"
		_DRY_CLASSES[base] = DryEngine
	return _DRY_CLASSES[base]
