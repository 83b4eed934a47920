"""Import from QuickBooks: a company's history (customers, items, invoices, credit memos, payments) brought
into ERPNext once, for a date range of transactions.

- Dry run first: reads what the import would read and counts, per kind, what would be made and what is in
  ERPNext already, and lists what must be mapped first (tax codes with no ERPNext tax account, items ERPNext
  does not take, deposit accounts with no ERPNext account). It writes nothing.
- The run applies each object as the pull does (pull.apply_change with force: invoices come whatever the
  pull_invoices switch says), so everything the pull guarantees holds: one ERPNext record per QBO object,
  nothing we pushed pulled back, totals equal to QBO's or a draft that says why.
- Idempotent: an object already linked and unchanged makes nothing, so a second run makes nothing.
- Resumable: QBO is read in pages of 1,000 (ORDERBY Id, STARTPOSITION); after each page the kind and the
  next position are stored as a checkpoint on the connection. A run that died resumes at its page (the
  objects of that page already made are recognised by their links); the Retry of its log row resumes too.
- Reads: a count per kind (the progress bar's total) plus one query per page; nothing read back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from qbo_connector.mapping.invoice_pull import PULLED_ENTITIES
from qbo_connector.mapping.text import iso_date
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.query import Query

from .base import Attempt
from .outcome import SyncResult
from .pull import PULLED_ITEM_TYPES, PullMixin, is_gone, is_inactive, is_newer
from .reconcile import ReadBudgetGate
from .store import ConnectionConfig, LogEntry

# Kind (what the desk offers) -> QBO entity; imported in this order (payments need their invoices).
IMPORT_KINDS = {
	"customers": "Customer",
	"items": "Item",
	"invoices": "Invoice",
	"credit_memos": "CreditMemo",
	"payments": "Payment",
}
TRANSACTIONS = ("Invoice", "CreditMemo", "Payment")
PAGE_SIZE = 1000
CHECKPOINT_KEY = "import"
Progress = Callable[[int, int, str], None]


@dataclass
class KindCount:
	total: int = 0  # in QBO for the range
	new: int = 0  # not in ERPNext yet (dry run: would be made)
	existing: int = 0  # linked already, unchanged
	skipped: int = 0  # voided, inactive, ours, or nothing to bring
	created: int = 0
	updated: int = 0
	drafts: int = 0
	failed: int = 0


@dataclass
class ImportResult:
	status: str
	dry_run: bool
	start: str
	end: str
	kinds: dict[str, KindCount] = field(default_factory=dict)
	to_map: list[str] = field(default_factory=list)
	message: str = ""
	resumed_from: str | None = None
	log_id: str | None = None

	def as_dict(self) -> dict[str, Any]:
		return asdict(self)


class HistoryMixin(PullMixin):
	"""import_history(): the one-time import from QBO."""

	def import_history(
		self,
		company: str,
		start: str | date,
		end: str | date,
		kinds: list[str] | tuple[str, ...] | None = None,
		*,
		dry_run: bool = False,
		progress: Progress | None = None,
		page_size: int = PAGE_SIZE,
		retry_of: LogEntry | None = None,
		budget: ReadBudgetGate | None = None,
	) -> ImportResult:
		"""Dry run (counts and what to map) or run (resumable, idempotent) an import of QBO history.

		An import's reads can wait: with a read-budget gate (qbo/budget.py) it asks before its counts and
		before each page, and once the month's allowance is spent it stops there, Failed with the budget's
		reason and not retried by itself; its checkpoint stays, so its Retry (or a new run of the same
		import) goes on from that page."""
		config = self.store.get_config(company)
		chosen = [k for k in IMPORT_KINDS if k in (kinds or IMPORT_KINDS)]
		unknown = sorted(set(kinds or ()) - set(IMPORT_KINDS))
		first, last = iso_date(start), iso_date(end)
		result = ImportResult(status="Started", dry_run=dry_run, start=str(first), end=str(last))
		if unknown:
			raise ValueError(
				f"Unknown kinds to import: {', '.join(unknown)}; known: {', '.join(IMPORT_KINDS)}"
			)
		if not first or not last or first > last:
			raise ValueError(f"Import dates: start {start!r} must be a date on or before end {end!r}")
		if config is None or not config.enabled:
			result.status, result.message = "Skipped", f"{company} has no enabled QuickBooks connection."
			return result
		entry = self._entry("import", config, company=company, retry_of=retry_of)
		entry.name = f"{first}..{last}"

		def work(at: Attempt) -> SyncResult:
			with self.store.lock(f"{config.realm_id}:import"):
				return self._import_locked(at, config, chosen, result, dry_run, progress, page_size, budget)

		verdict = self._run(entry, work)
		result.log_id = verdict.log_id
		if verdict.status == "Failed":
			result.status, result.message = "Failed", verdict.message
		return result

	@staticmethod
	def _query(entity: str, first: str, last: str) -> Query:
		query = Query(entity)
		if entity in TRANSACTIONS:
			query.where("TxnDate", ">=", first).where("TxnDate", "<=", last)
		query.order_by("Id")
		return query

	def _import_locked(
		self,
		at: Attempt,
		config: ConnectionConfig,
		chosen: list[str],
		result: ImportResult,
		dry_run: bool,
		progress: Progress | None,
		page_size: int,
		budget: ReadBudgetGate | None = None,
	) -> SyncResult:
		realm = config.realm_id
		what = "the dry run of the import from QuickBooks" if dry_run else "the import from QuickBooks"

		def may_read() -> None:
			if budget is not None:
				budget.check_deferrable(realm, what)  # raises ReadBudgetSpent: the attempt ends Failed

		client = self.client(realm)
		may_read()
		params = {"start": result.start, "end": result.end, "kinds": chosen}
		checkpoint = None if dry_run else self.store.get_checkpoint(realm, CHECKPOINT_KEY)
		if checkpoint is not None and (checkpoint.get("params") != params or checkpoint.get("done")):
			checkpoint = None  # another import's state, or a finished one: start afresh
		totals = {
			kind: client.count(self._query(IMPORT_KINDS[kind], result.start, result.end)) for kind in chosen
		}
		grand = sum(totals.values())
		done = 0
		for kind in chosen:
			result.kinds[kind] = KindCount(total=totals[kind])
		resume_kind = checkpoint.get("kind") if checkpoint else None
		if checkpoint:
			result.kinds.update({k: KindCount(**v) for k, v in (checkpoint.get("counts") or {}).items()})
			result.resumed_from = f"{resume_kind} from row {checkpoint.get('position')}"
		items_seen: dict[str, dict[str, Any]] = {}
		to_map: dict[str, str] = {}
		started = resume_kind is None
		for kind in chosen:
			entity = IMPORT_KINDS[kind]
			position = 1
			if not started:
				if kind != resume_kind:
					done += totals[kind]
					continue
				started = True
				position = int(checkpoint.get("position") or 1) if checkpoint else 1
				done += position - 1
			count = result.kinds[kind]
			while True:
				may_read()
				page = list(
					client.query(
						self._query(entity, result.start, result.end).build(position, page_size)
					).get(entity)
					or []
				)
				for obj in page:
					if dry_run:
						self._dry_one(config, client, entity, obj, count, items_seen, to_map)
					else:
						self._import_one(config, client, entity, obj, count)
					done += 1
				position += len(page)
				if not dry_run:
					self.store.set_checkpoint(
						realm,
						CHECKPOINT_KEY,
						{
							"params": params,
							"kind": kind,
							"position": position,
							"counts": {k: asdict(v) for k, v in result.kinds.items()},
						},
					)
				if progress is not None:
					progress(done, grand, f"{kind.replace('_', ' ')}: {position - 1} of {totals[kind]} read")
				if len(page) < page_size:
					break
		if dry_run:
			result.to_map = [to_map[key] for key in sorted(to_map)]
		else:
			self.store.set_checkpoint(realm, CHECKPOINT_KEY, {"params": params, "done": True})
		failed = sum(c.failed for c in result.kinds.values())
		parts = []
		for kind, c in result.kinds.items():
			if dry_run:
				parts.append(
					f"{kind.replace('_', ' ')}: {c.new} to make, {c.existing} already in ERPNext, {c.skipped} skipped"
				)
			else:
				drafts = f" ({c.drafts} as drafts)" if c.drafts else ""
				parts.append(
					f"{kind.replace('_', ' ')}: {c.created} made{drafts}, {c.updated} updated, {c.existing} already "
					f"in ERPNext, {c.skipped} skipped, {c.failed} failed"
				)
		head = "Dry run of the import" if dry_run else "Import"
		result.message = f"{head} from QuickBooks, {result.start} to {result.end}: " + "; ".join(parts) + "."
		if result.resumed_from:
			result.message += f" Resumed at {result.resumed_from}."
		if result.to_map:
			result.message += " Map first: " + "; ".join(result.to_map) + "."
		result.status = "Warning" if failed or result.to_map else "Success"
		return at.finish(result.status, result.message, action="import")

	def _import_one(
		self, config: ConnectionConfig, client: QBOClient, entity: str, obj: dict[str, Any], count: KindCount
	) -> None:
		link = self.store.find_link(config.realm_id, entity, str(obj.get("Id")))
		if link is not None and not is_newer(obj, link):
			count.existing += 1
			return
		outcome = self.apply_change(config, client, entity, obj, force=True)
		if outcome.status == "Failed":
			count.failed += 1
		elif outcome.action == "created":
			count.created += 1
			if outcome.status == "Warning" and entity in PULLED_ENTITIES:
				count.drafts += 1
		elif outcome.action == "updated":
			count.updated += 1
		else:
			count.skipped += 1

	def _dry_one(
		self,
		config: ConnectionConfig,
		client: QBOClient,
		entity: str,
		obj: dict[str, Any],
		count: KindCount,
		items_seen: dict[str, dict[str, Any]],
		to_map: dict[str, str],
	) -> None:
		realm, qbo_id = config.realm_id, str(obj.get("Id"))
		link = self.store.find_link(realm, entity, qbo_id)
		if entity == "Item":
			items_seen[qbo_id] = obj
		if link is not None:
			count.existing += 1
			return
		if entity in ("Customer", "Item") and is_inactive(obj):
			count.skipped += 1
			return
		if entity == "Item" and obj.get("Type") not in PULLED_ITEM_TYPES:
			count.skipped += 1
			return
		if entity in PULLED_ENTITIES:
			if is_gone(obj) or self.invoice_echo(config, obj):
				count.skipped += 1
				return
			pulled = self.map_pulled_invoice(config, client, entity, obj, fetch=False)
			for what, mid, name in pulled.missing:
				if what == "Tax code":
					to_map[f"tax:{mid}"] = (
						f"QuickBooks tax code '{name}' (ID {mid}): give it an ERPNext tax account in the QBO Tax Map"
					)
				elif what == "Item":
					item = items_seen.get(mid)
					if item is not None and item.get("Type") not in PULLED_ITEM_TYPES:
						to_map[f"item:{mid}"] = (
							f"QuickBooks item '{name}' (ID {mid}) is {item.get('Type')}, which is not pulled: "
							"create it in ERPNext and link it in QBO Link"
						)
		if entity == "Payment":
			if is_gone(obj):
				count.skipped += 1
				return
			account = (obj.get("DepositToAccountRef") or {}).get("value")
			if account and account not in set(config.account_map.values()):
				name = (obj.get("DepositToAccountRef") or {}).get("name") or ""
				to_map[f"account:{account}"] = (
					f"QuickBooks account '{name}' (ID {account}) that payments were deposited to: map it to an ERPNext "
					"account in the QBO Account Map (else the company's default receiving account is used)"
				)
		count.new += 1

	def resume_import(self, entry: LogEntry) -> ImportResult:
		"""The Retry of an import's log row: run it again; it resumes at its checkpoint."""
		first, _, last = (entry.name or "").partition("..")
		config = self._config(entry.company, entry.realm_id)
		checkpoint = self.store.get_checkpoint(config.realm_id, CHECKPOINT_KEY) if config else None
		kinds = (checkpoint or {}).get("params", {}).get("kinds") or list(IMPORT_KINDS)
		return self.import_history(str(entry.company), first, last, kinds, retry_of=entry)
