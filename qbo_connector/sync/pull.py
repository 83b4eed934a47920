"""QBO -> ERPNext: CDC pull since a watermark, webhooks, and the per-object rules both share.

- Customers and Service/NonInventory items are upserted (inactive/deleted in QBO -> disabled).
- A payment made in QBO against invoices we pushed becomes one Payment Entry, linked to the QBO payment so
  it is never created twice; payments we pushed ourselves come back through CDC and are skipped (no echo).
- A pushed invoice voided or deleted in QBO is flagged on the ERPNext invoice, never cancelled.
- The watermark moves only after the rows before it were applied; a failed row holds it back.
- Every object is compared with what was last applied (SyncToken, LastUpdatedTime), so duplicate and
  out-of-order webhooks, and CDC re-reading what a webhook already applied, change nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import NotFoundError, QBOError
from qbo_connector.qbo.query import Query
from qbo_connector.qbo.webhooks import WebhookEvent

from . import ids
from .base import Attempt, EngineBase, money, parse_time, updated_at
from .identity import adoption_guard, free_item_code, passed_over_note
from .mapper import customer_to_erpnext, item_to_erpnext, payment_to_erpnext
from .outcome import PullResult, SyncResult
from .push import _note_head, is_voided
from .store import CUSTOMER, ITEM, PAYMENT_ENTRY, SALES_INVOICE, ConnectionConfig, Link, LogEntry

logger = logging.getLogger(__name__)

# Applied in this order: payments need their customers and invoices known first.
PULL_ENTITIES = ("Customer", "Item", "Invoice", "CreditMemo", "Payment")
PULLED_ITEM_TYPES = ("Service", "NonInventory")
CDC_MAX_ROWS = 1000
WATERMARK_KEY = "cdc"


def _sync_token(obj: dict[str, Any]) -> int | None:
	try:
		return int(obj.get("SyncToken"))  # type: ignore[arg-type]
	except (TypeError, ValueError):
		return None


def is_newer(obj: dict[str, Any], link: Link | None) -> bool:
	"""Whether obj is a later state than the one last applied through link (stale/echo -> False)."""
	if link is None:
		return True
	if obj.get("status") == "Deleted":
		return link.state != "deleted"
	mine, theirs = _sync_token(obj), _sync_token({"SyncToken": link.sync_token})
	if mine is not None and theirs is not None:
		if mine != theirs:
			return mine > theirs
	seen, applied = parse_time(updated_at(obj)), parse_time(link.remote_updated)
	if seen is not None and applied is not None:
		return seen > applied
	return mine is None or theirs is None


class PullMixin(EngineBase):
	"""pull() and handle_webhook()."""

	def pull(self, company: str | None = None, realm_id: str | None = None) -> PullResult:
		"""Apply QBO changes since the watermark (a full query the first time or after 30 days)."""
		config = self._config(company, realm_id)
		return self._pull(config, company=company)

	def _pull(
		self, config: ConnectionConfig | None, company: str | None = None, retry_of: LogEntry | None = None
	) -> PullResult:
		entry = self._entry("pull", config, company=company, retry_of=retry_of)
		result = PullResult(status="Started")

		def work(at: Attempt) -> SyncResult:
			if config is None or not config.enabled:
				result.status = "Skipped"
				result.message = "No enabled QuickBooks connection for this company."
				return at.finish("Skipped", result.message)
			with self.store.lock(f"{config.realm_id}:pull"):
				return self._pull_locked(at, config, result)

		verdict = self._run(entry, work)
		result.log_id = verdict.log_id
		if verdict.status == "Failed":
			result.status, result.message = "Failed", verdict.message
		return result

	def _changes(
		self, client: QBOClient, since: datetime | None, full: bool
	) -> dict[str, list[dict[str, Any]]]:
		if not full:
			assert since is not None
			try:
				changes = client.cdc(list(PULL_ENTITIES), since)
			except QBOError as exc:
				# QBO refuses a look-back beyond 30 days by its clock as HTTP 400 "Unsupported Operation"
				# (Fault code 500, which errors.py types as ServerError): the query below covers it.
				if exc.status != 400:
					raise
				logger.warning("CDC since %s refused (%s); querying by LastUpdatedTime instead", since, exc)
			else:
				if sum(len(rows) for rows in changes.values()) < CDC_MAX_ROWS:
					return changes
				# CDC caps one answer at 1000 objects across all entities: page through queries instead.
		return {entity: self._query_since(client, entity, since) for entity in PULL_ENTITIES}

	@staticmethod
	def _query_since(client: QBOClient, entity: str, since: datetime | None) -> list[dict[str, Any]]:
		query = Query(entity)
		if since is not None:
			query.where("MetaData.LastUpdatedTime", ">=", since.isoformat())
		query.order_by("MetaData.LastUpdatedTime")
		return list(client.query_all(query))

	def _pull_locked(self, at: Attempt, config: ConnectionConfig, result: PullResult) -> SyncResult:
		realm = config.realm_id
		client = self.client(realm)
		now = self.clock()
		since = self.store.get_watermark(realm, WATERMARK_KEY)
		full = since is None or now - since >= self.cdc_max_age
		result.full = full
		changes = self._changes(client, since, full)
		latest: datetime | None = None
		failed_at: datetime | None = None
		unstamped_failure = False
		for entity in PULL_ENTITIES:
			rows = sorted(changes.get(entity) or [], key=lambda r: parse_time(updated_at(r)) or now)
			for obj in rows:
				result.seen += 1
				stamp = parse_time(updated_at(obj))
				outcome = self.apply_change(config, client, entity, obj)
				if outcome.status == "Failed":
					result.failed += 1
					if stamp is None:
						unstamped_failure = True
					else:
						failed_at = stamp if failed_at is None else min(failed_at, stamp)
				elif outcome.action in ("skipped", "echo", "stale", "ignored"):
					result.skipped += 1
				else:
					result.applied += 1
				if stamp is not None:
					latest = stamp if latest is None else max(latest, stamp)
		if unstamped_failure:
			target: datetime | None = None  # no safe point is known: stay where we were
		elif failed_at is not None:
			# Hold the watermark just before the first failure so the next pull reads that row again;
			# rows after it are re-read too and change nothing (they compare equal to what was applied).
			target = failed_at - timedelta(seconds=1)
		else:
			target = latest
		if target is not None and (since is None or target > since):
			self.store.set_watermark(realm, target, WATERMARK_KEY)
			result.watermark = target
		else:
			result.watermark = since
		mode = "full query" if full else "CDC"
		result.message = (
			f"Pulled {result.seen} QuickBooks changes by {mode}: {result.applied} applied, "
			f"{result.skipped} unchanged or not ours, {result.failed} failed; watermark {result.watermark}."
		)
		result.status = "Warning" if result.failed else "Success"
		return at.finish(result.status, result.message, retryable=False)

	# -- one object ---------------------------------------------------------------------------------------
	def apply_change(
		self,
		config: ConnectionConfig,
		client: QBOClient,
		entity: str,
		obj: dict[str, Any],
		retry_of: LogEntry | None = None,
	) -> SyncResult:
		"""Apply one QBO object to ERPNext. Quiet no-ops (echo, stale, not ours) write no log row; anything
		that changes ERPNext or fails does."""
		quiet = self._quiet(config, entity, obj) or self._note_only(config, entity, obj)
		if quiet is not None:
			return SyncResult(
				status="Skipped",
				message=quiet,
				qbo_entity=entity,
				qbo_id=str(obj.get("Id")),
				action="skipped",
			)
		entry = self._entry("pull_entity", config, entity, str(obj.get("Id")), retry_of=retry_of)
		entry.qbo_entity, entry.qbo_id = entity, str(obj.get("Id"))

		return self._run(entry, lambda at: self._apply_in(at, config, entity, obj))

	def _apply_in(
		self, at: Attempt, config: ConnectionConfig, entity: str, obj: dict[str, Any]
	) -> SyncResult:
		at.response = obj
		with self.store.lock(f"{config.realm_id}:qbo:{entity}:{obj.get('Id')}"):
			if entity == CUSTOMER:
				return self._apply_customer(at, config, obj)
			if entity == ITEM:
				return self._apply_item(at, config, obj)
			if entity in ("Invoice", "CreditMemo"):
				return self._apply_invoice(at, config, entity, obj)
			if entity == "Payment":
				return self._apply_payment(at, config, obj)
		return at.finish(
			"Skipped", f"QuickBooks {entity} changes are not applied to ERPNext.", action="ignored"
		)

	def _quiet(self, config: ConnectionConfig, entity: str, obj: dict[str, Any]) -> str | None:
		"""Why obj needs no work at all (so CDC re-reads and echoes do not flood the log), else None."""
		qbo_id = str(obj.get("Id"))
		link = self.store.find_link(config.realm_id, entity, qbo_id)
		if entity == ITEM and obj.get("status") != "Deleted" and obj.get("Type") not in PULLED_ITEM_TYPES:
			return f"Item {qbo_id} is {obj.get('Type')}; only Service and NonInventory items are pulled."
		if entity in ("Invoice", "CreditMemo"):
			if link is None:
				return f"{entity} {qbo_id} was not sent from ERPNext."
			if link.state != "synced":
				return f"{entity} {qbo_id} is already {link.state}."
		if entity == "Payment":
			if link is not None and link.origin == "push":
				return f"Payment {qbo_id} was sent from ERPNext (echo)."
			if link is None and self._being_pushed(config, obj):
				# QBO notifies as soon as our create commits, before the pushing worker has stored the id.
				return f"Payment {qbo_id} was sent from ERPNext ({_note_head(obj)}); its link is being written (echo)."
			if link is None and not config.reconcile_payments:
				return "Reconciling QuickBooks payments is switched off."
		if link is not None and not is_newer(obj, link):
			return f"{entity} {qbo_id} is unchanged since it was last applied."
		return None

	def _being_pushed(self, config: ConnectionConfig, obj: dict[str, Any]) -> bool:
		"""A payment whose PrivateNote names one of our Payment Entries that has a push link in this realm
		(pending while its create is in flight) is ours, even before the link carries its QBO id."""
		head = _note_head(obj)
		prefix = f"ERPNext {PAYMENT_ENTRY} "
		if not head.startswith(prefix):
			return False
		link = self.store.get_link(config.realm_id, PAYMENT_ENTRY, head[len(prefix) :].strip())
		return link is not None and link.origin == "push" and link.qbo_id in (None, str(obj.get("Id")))

	def _note_only(self, config: ConnectionConfig, entity: str, obj: dict[str, Any]) -> str | None:
		"""A pushed invoice that changed in QBO without a change of total (a payment moved its Balance):
		remember its SyncToken so our next sparse update is not stale, without a log row."""
		if entity not in ("Invoice", "CreditMemo") or obj.get("status") == "Deleted" or is_voided(obj):
			return None
		link = self.store.find_link(config.realm_id, entity, str(obj.get("Id")))
		if link is None or link.remote_total is None or money(obj.get("TotalAmt") or 0) != link.remote_total:
			return None
		self._save_pull_link(config, link.doctype, link.name, entity, obj, link)
		return f"{entity} {obj.get('Id')}: noted its new SyncToken {obj.get('SyncToken')}."

	def _save_pull_link(
		self,
		config: ConnectionConfig,
		doctype: str,
		name: str,
		entity: str,
		obj: dict[str, Any],
		link: Link | None,
		state: str = "synced",
	) -> None:
		link = link or Link(config.realm_id, doctype, name, entity, origin="pull")
		link.qbo_id = str(obj.get("Id"))
		if obj.get("SyncToken") is not None:
			link.sync_token = str(obj["SyncToken"])
		link.state = state  # type: ignore[assignment]
		link.last_synced = self.clock()
		link.remote_updated = updated_at(obj) or link.remote_updated
		if obj.get("TotalAmt") is not None:
			link.remote_total = money(obj["TotalAmt"])
		self.store.save_link(link)

	def _apply_customer(self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any]) -> SyncResult:
		link = self.store.find_link(config.realm_id, CUSTOMER, str(obj["Id"]))
		if obj.get("status") == "Deleted":
			if link is None:
				return at.finish(
					"Skipped",
					f"Deleted QuickBooks customer {obj['Id']} was never in ERPNext.",
					action="ignored",
				)
			self.store.upsert_customer(config.company, {"disabled": 1}, name=link.name)
			self._save_pull_link(config, CUSTOMER, link.name, CUSTOMER, obj, link, state="deleted")
			at.produced(CUSTOMER, link.name)
			return at.finish(
				"Success", f"Customer {link.name} disabled: deleted in QuickBooks.", action="updated"
			)
		data = customer_to_erpnext(obj)
		passed_over: list[str] = []
		if link is None:
			adopt = adoption_guard(self.store, config.realm_id, CUSTOMER, obj, passed_over)
			name = self.store.upsert_customer(config.company, data, name=None, adopt=adopt)
		else:
			name = self.store.upsert_customer(config.company, data, name=link.name)
		self._save_pull_link(config, CUSTOMER, name, CUSTOMER, obj, link)
		at.produced(CUSTOMER, name)
		verb = "Updated" if link else "Created or matched"
		state = " (disabled: inactive in QuickBooks)" if data.get("disabled") else ""
		return at.finish(
			"Success",
			f"{verb} Customer {name} from QuickBooks customer {obj['Id']}{state}.{passed_over_note(passed_over)}",
			action="updated" if link else "created",
		)

	def _apply_item(self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any]) -> SyncResult:
		link = self.store.find_link(config.realm_id, ITEM, str(obj["Id"]))
		if obj.get("status") == "Deleted":
			if link is None:
				return at.finish(
					"Skipped", f"Deleted QuickBooks item {obj['Id']} was never in ERPNext.", action="ignored"
				)
			self.store.upsert_item(config.company, {"disabled": 1}, name=link.name)
			self._save_pull_link(config, ITEM, link.name, ITEM, obj, link, state="deleted")
			at.produced(ITEM, link.name)
			return at.finish(
				"Success", f"Item {link.name} disabled: deleted in QuickBooks.", action="updated"
			)
		data = item_to_erpnext(obj)
		if data is None:
			return at.finish(
				"Skipped",
				f"QuickBooks item {obj['Id']} is not a Service or NonInventory item.",
				action="ignored",
			)
		passed_over: list[str] = []
		if link is None:
			data = free_item_code(self.store, config.realm_id, obj, data, passed_over)
		name = self.store.upsert_item(config.company, data, name=link.name if link else None)
		self._save_pull_link(config, ITEM, name, ITEM, obj, link)
		at.produced(ITEM, name)
		verb = "Updated" if link else "Created or matched"
		return at.finish(
			"Success",
			f"{verb} Item {name} from QuickBooks item {obj['Id']}.{passed_over_note(passed_over)}",
			action="updated" if link else "created",
		)

	def _apply_invoice(
		self, at: Attempt, config: ConnectionConfig, entity: str, obj: dict[str, Any]
	) -> SyncResult:
		link = self.store.find_link(config.realm_id, entity, str(obj["Id"]))
		assert link is not None  # _quiet() filtered invoices we did not push
		at.produced(link.doctype, link.name)
		deleted = obj.get("status") == "Deleted"
		if deleted or is_voided(obj):
			state = "deleted" if deleted else "voided"
			message = (
				f"{entity} {obj['Id']} of {link.doctype} {link.name} was {state} in QuickBooks. The ERPNext "
				"document was not cancelled: cancel or amend it in ERPNext if the change was intended, or "
				"re-create the transaction in QuickBooks."
			)
			self.store.flag_qbo_state(link.doctype, link.name, state, message)
			self._save_pull_link(config, link.doctype, link.name, entity, obj, link, state=state)
			return at.finish("Warning", message, action=state)
		before = link.remote_total
		self._save_pull_link(config, link.doctype, link.name, entity, obj, link)
		total = money(obj.get("TotalAmt") or 0)
		if before is not None and total != before:
			return at.finish(
				"Warning",
				f"{entity} {obj['Id']} of {link.doctype} {link.name} was changed in QuickBooks: total now "
				f"{total} (was {before}).",
				action="updated",
			)
		return at.finish(
			"Success",
			f"{entity} {obj['Id']} of {link.doctype} {link.name} changed in QuickBooks; noted its new SyncToken.",
			action="updated",
		)

	def _apply_payment(self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any]) -> SyncResult:
		realm = config.realm_id
		link = self.store.find_link(realm, "Payment", str(obj["Id"]))
		gone = obj.get("status") == "Deleted" or is_voided(obj)
		if link is not None:  # made here from this payment before
			at.produced(link.doctype, link.name)
			self._save_pull_link(
				config, link.doctype, link.name, "Payment", obj, link, state="voided" if gone else "synced"
			)
			if gone:
				message = (
					f"QuickBooks payment {obj['Id']} was voided or deleted; cancel Payment Entry {link.name} "
					"in ERPNext if that is right."
				)
				self.store.flag_qbo_state(PAYMENT_ENTRY, link.name, "voided", message)
				return at.finish("Warning", message, action="voided")
			return at.finish(
				"Warning",
				f"QuickBooks payment {obj['Id']} changed after Payment Entry {link.name} was made from it; "
				"check the amounts.",
				action="updated",
			)
		if gone:
			return at.finish(
				"Skipped", f"QuickBooks payment {obj['Id']} is voided or deleted.", action="ignored"
			)
		invoices: dict[str, str] = {}
		credit_notes: dict[str, str] = {}
		customer = None
		for line in obj.get("Line") or []:
			for txn in line.get("LinkedTxn") or []:
				kind, txn_id = txn.get("TxnType"), str(txn.get("TxnId"))
				if kind not in ("Invoice", "CreditMemo"):
					continue
				inv = self.store.find_link(realm, kind, txn_id)
				if inv is None or inv.doctype != SALES_INVOICE or inv.origin != "push":
					continue
				(invoices if kind == "Invoice" else credit_notes)[txn_id] = inv.name
				customer = customer or (self.store.get_doc(SALES_INVOICE, inv.name) or {}).get("customer")
		if not invoices:
			return at.finish(
				"Skipped",
				f"QuickBooks payment {obj['Id']} pays no invoice sent from ERPNext.",
				action="ignored",
			)
		data, notes = payment_to_erpnext(obj, invoices, credit_notes, customer or "", config)
		name = self.store.create_payment_entry(config.company, data, str(obj["Id"]))
		self._save_pull_link(config, PAYMENT_ENTRY, name, "Payment", obj, None)
		at.produced(PAYMENT_ENTRY, name)
		paid = ", ".join(f"{r['reference_name']} {money(r['allocated_amount'])}" for r in data["references"])
		message = f"Created Payment Entry {name} from QuickBooks payment {obj['Id']} ({paid})."
		if notes:
			message += " Notes: " + "; ".join(notes)
		return at.finish("Warning" if notes else "Success", message, action="created")

	# -- webhooks -----------------------------------------------------------------------------------------
	def handle_webhook(self, events: list[WebhookEvent]) -> PullResult:
		"""Apply what webhook events name: each object is re-read (the payload is only a hint), duplicates
		are dropped by their (realm, entity, id, operation, time) key, stale re-reads change nothing."""
		result = PullResult(status="Success")
		for event in events:
			key = ids.event_key(
				event.realm_id, event.entity, event.entity_id, event.operation, event.occurred_at
			)
			if not self.store.claim_event(key):
				result.duplicates += 1
				continue
			result.seen += 1
			config = self.store.get_config_for_realm(event.realm_id)
			if config is None or not config.enabled or event.entity not in PULL_ENTITIES:
				result.skipped += 1
				continue
			outcome = self.pull_entity(
				config, event.entity, event.entity_id, deleted=event.operation == "Delete"
			)
			if outcome.status == "Failed":
				self.store.release_event(key)  # a redelivery (or CDC) gets another go
				result.failed += 1
			elif outcome.action in ("skipped", "ignored"):
				result.skipped += 1
			else:
				result.applied += 1
		if result.failed:
			result.status = "Warning"
		result.message = (
			f"{len(events)} webhook events: {result.applied} applied, {result.skipped} unchanged or not ours, "
			f"{result.duplicates} duplicates, {result.failed} failed."
		)
		return result

	def pull_entity(
		self,
		config: ConnectionConfig,
		entity: str,
		entity_id: str,
		deleted: bool = False,
		retry_of: LogEntry | None = None,
	) -> SyncResult:
		"""Read one QBO object and apply it, on one log row; a failed read is a retryable Failed row."""
		client = self.client(config.realm_id)
		entry = self._entry("pull_entity", config, entity, str(entity_id), retry_of=retry_of)
		entry.qbo_entity, entry.qbo_id = entity, str(entity_id)

		def work(at: Attempt) -> SyncResult:
			obj: dict[str, Any] = {"Id": str(entity_id), "status": "Deleted"}
			if not deleted:
				try:
					obj = client.read(entity, entity_id)
				except NotFoundError:
					pass  # gone from QBO: treated as deleted
			at.response = obj
			quiet = self._quiet(config, entity, obj) or self._note_only(config, entity, obj)
			if quiet is not None:
				return at.finish("Skipped", quiet, action="skipped")
			return self._apply_in(at, config, entity, obj)

		return self._run(entry, work)
