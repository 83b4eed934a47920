"""QBO -> ERPNext: CDC pull since a watermark, webhooks, and the per-object rules both share.

- Customers, vendors (as Suppliers) and Service/NonInventory items are upserted. One made inactive (QBO's "delete" of a name) is
  disabled in ERPNext, and enabled again when QBO reactivates it; an inactive one ERPNext never had is not
  created (counted in the pull's row). Every full query asks for inactive names too (`Active IN (true,false)`):
  without it QBO answers active ones only, and a long gap would hide every name made inactive meanwhile.
- A payment made in QBO against invoices we pushed becomes one Payment Entry, linked to the QBO payment so
  it is never created twice; payments we pushed ourselves come back through CDC and are skipped (no echo).
  When that QBO payment is voided or deleted, its Payment Entry is cancelled (switch cancel_pulled_payments,
  else flagged); a payment ERPNext pushed that is voided or deleted in QBO is flagged, never cancelled.
- A pushed invoice (or estimate, purchase order, bill, vendor credit, bill payment: every entity a document
  kind makes, sync/kinds) voided or deleted in QBO is flagged on the ERPNext document, never cancelled.
- A failed row names the ERPNext record its QBO object concerns, when there is one.
- The watermark moves only after the rows before it were applied; a failed row holds it back.
- Every object is compared with what was last applied (SyncToken, LastUpdatedTime), so duplicate and
  out-of-order webhooks, and CDC re-reading what a webhook already applied, change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from qbo_connector.mapping.vendor import qbo_vendor_to_erpnext
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import NotFoundError, QBOError
from qbo_connector.qbo.query import Query
from qbo_connector.qbo.webhooks import WebhookEvent

from . import ids, kinds
from .base import Attempt, EngineBase, money, parse_time, updated_at
from .echo import is_own_echo
from .identity import adoption_guard, free_item_code, passed_over_note
from .invoice_pull import InvoicePullMixin
from .mapper import customer_to_erpnext, item_to_erpnext, payment_to_erpnext
from .outcome import PullResult, SyncError, SyncResult
from .push import _note_head, is_voided
from .store import CUSTOMER, ITEM, PAYMENT_ENTRY, SALES_INVOICE, SUPPLIER, ConnectionConfig, Link, LogEntry

logger = logging.getLogger(__name__)

# Transactions a kind pushes, whose changes in QBO are noted or flagged (payments have rules of their own).
PUSHED_ENTITIES = tuple(
	dict.fromkeys(
		entity for kind in kinds.KINDS if kind.watched for entity in kind.entities if entity != "Payment"
	)
)
# Applied in this order: payments need their customers and invoices known first.
PULL_ENTITIES = ("Customer", "Vendor", "Employee", "Item", *PUSHED_ENTITIES, "Payment")
EMPLOYEE = "Employee"
EMAIL_FIELDS = ("company_email", "personal_email", "prefered_email", "user_id")
# QBO name-list entity -> the ERPNext master it becomes.
MASTERS = {"Customer": CUSTOMER, "Vendor": SUPPLIER, "Item": ITEM}
PULLED_ITEM_TYPES = ("Service", "NonInventory")
# Name-list entities: QBO's query answers only active ones unless the WHERE asks about Active.
NAME_LIST_ENTITIES = ("Customer", "Item", "Vendor", "Employee")
CDC_MAX_ROWS = 1000
WATERMARK_KEY = "cdc"


def _sync_token(obj: dict[str, Any]) -> int | None:
	try:
		return int(obj.get("SyncToken"))  # type: ignore[arg-type]
	except (TypeError, ValueError):
		return None


def is_gone(obj: dict[str, Any]) -> bool:
	"""A QBO object deleted (CDC/webhook tombstone) or, for a transaction, voided."""
	return obj.get("status") == "Deleted" or is_voided(obj)


def is_inactive(obj: dict[str, Any]) -> bool:
	"""A name-list object made inactive in QBO (its "delete"), or a tombstone of one."""
	return obj.get("status") == "Deleted" or obj.get("Active") is False


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


class PullMixin(InvoicePullMixin, EngineBase):
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
		if entity in NAME_LIST_ENTITIES:
			query.where("Active", "IN", [True, False])  # else QBO hides every name made inactive
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
		inactive = 0
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
				elif outcome.action in ("skipped", "echo", "stale", "ignored", "inactive"):
					result.skipped += 1
					if outcome.action == "inactive":
						inactive += 1
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
		not_created = (
			f" ({inactive} of them inactive in QuickBooks and never in ERPNext: not created)"
			if inactive
			else ""
		)
		result.message = (
			f"Pulled {result.seen} QuickBooks changes by {mode}: {result.applied} applied, "
			f"{result.skipped} unchanged or not ours{not_created}, {result.failed} failed; "
			f"watermark {result.watermark}."
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
		force: bool = False,
	) -> SyncResult:
		"""Apply one QBO object to ERPNext. Quiet no-ops (echo, stale, not ours) write no log row; anything
		that changes ERPNext or fails does. force: bring invoices made in QBO whatever pull_invoices says
		(the history import)."""
		unknown = self._inactive_unknown(config, entity, obj)
		quiet = unknown or self._quiet(config, entity, obj, force) or self._note_only(config, entity, obj)
		if quiet is not None:
			return SyncResult(
				status="Skipped",
				message=quiet,
				qbo_entity=entity,
				qbo_id=str(obj.get("Id")),
				action="inactive" if unknown else "skipped",
			)
		entry = self._entry("pull_entity", config, entity, str(obj.get("Id")), retry_of=retry_of)
		entry.qbo_entity, entry.qbo_id = entity, str(obj.get("Id"))

		return self._run(entry, lambda at: self._apply_in(at, config, entity, obj))

	def _apply_in(
		self, at: Attempt, config: ConnectionConfig, entity: str, obj: dict[str, Any]
	) -> SyncResult:
		at.response = obj
		at.subject = self._subject(config, entity, str(obj.get("Id")))
		with self.store.lock(f"{config.realm_id}:qbo:{entity}:{obj.get('Id')}"):
			if entity in MASTERS:
				return self._apply_name(at, config, MASTERS[entity], obj, entity)
			if entity == EMPLOYEE:
				return self._apply_employee(at, config, obj)
			if entity in PUSHED_ENTITIES:
				link = self.store.find_link(config.realm_id, entity, str(obj.get("Id")))
				if self.pulls_invoice(config, entity, link, force=True):
					return self._apply_pulled_invoice(at, config, entity, obj)
				return self._apply_invoice(at, config, entity, obj)
			if entity == "Payment":
				return self._apply_payment(at, config, obj)
		return at.finish(
			"Skipped", f"QuickBooks {entity} changes are not applied to ERPNext.", action="ignored"
		)

	def _subject(self, config: ConnectionConfig, entity: str, qbo_id: str) -> str:
		"""How a failed pull row names what it concerns: the QBO object and the ERPNext record linked to it."""
		link = self.store.find_link(config.realm_id, entity, qbo_id)
		if link is None:
			return f"QuickBooks {entity} {qbo_id}"
		return f"QuickBooks {entity} {qbo_id} (ERPNext {link.doctype} {link.name})"

	def _inactive_unknown(self, config: ConnectionConfig, entity: str, obj: dict[str, Any]) -> str | None:
		"""A customer or item inactive (or deleted) in QBO that ERPNext never had is not created: a disabled
		copy of a name QBO retired would only be noise, and adopting a same-named ERPNext record to disable
		it could disable the wrong one."""
		if (entity not in MASTERS and entity != EMPLOYEE) or not is_inactive(obj):
			return None
		if self.store.find_link(config.realm_id, entity, str(obj.get("Id"))) is not None:
			return None
		return f"QuickBooks {entity.lower()} {obj.get('Id')} is inactive there and was never in ERPNext: not created."

	def _quiet(
		self, config: ConnectionConfig, entity: str, obj: dict[str, Any], force: bool = False
	) -> str | None:
		"""Why obj needs no work at all (so CDC re-reads and echoes do not flood the log), else None."""
		qbo_id = str(obj.get("Id"))
		link = self.store.find_link(config.realm_id, entity, qbo_id)
		if entity == ITEM and obj.get("status") != "Deleted" and obj.get("Type") not in PULLED_ITEM_TYPES:
			return f"Item {qbo_id} is {obj.get('Type')}; only Service and NonInventory items are pulled."
		if entity == EMPLOYEE:
			if not config.push_timesheets:
				return "Employees are pulled for the Employee map only while timesheets are sent."
			if link is None and not self._employee_matches(config, obj):
				return f"QuickBooks employee {qbo_id} matches no ERPNext employee by e-mail or name."
		if entity in PUSHED_ENTITIES:
			if link is None and self.pulls_invoice(config, entity, link, force):
				echo = self.invoice_echo(config, obj)
				if echo is not None:
					return echo
				if is_gone(obj):
					return f"{entity} {qbo_id} is voided or deleted in QuickBooks and was never in ERPNext."
			elif link is None:
				return f"{entity} {qbo_id} was not sent from ERPNext."
			elif link.state != "synced":
				return f"{entity} {qbo_id} is already {link.state}."
		if entity == "Payment":
			if link is not None and link.origin == "push" and not (is_gone(obj) and link.state == "synced"):
				# A payment ERPNext made that QBO voided or deleted is not an echo: it is flagged below.
				return f"Payment {qbo_id} was sent from ERPNext (echo)."
			if link is None and self._being_pushed(config, obj):
				# QBO notifies as soon as our create commits, before the pushing worker has stored the id.
				return f"Payment {qbo_id} was sent from ERPNext ({_note_head(obj)}); its link is being written (echo)."
			if link is None and not config.reconcile_payments and not force:
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
		if entity not in PUSHED_ENTITIES or obj.get("status") == "Deleted" or is_voided(obj):
			return None
		link = self.store.find_link(config.realm_id, entity, str(obj.get("Id")))
		if link is None or link.remote_total is None or money(obj.get("TotalAmt") or 0) != link.remote_total:
			return None
		if link.origin == "pull":  # made from QBO: a due date or a line may have changed at the same total
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
		return self._apply_name(at, config, CUSTOMER, obj)

	def _apply_item(self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any]) -> SyncResult:
		return self._apply_name(at, config, ITEM, obj)

	def _apply_name(
		self,
		at: Attempt,
		config: ConnectionConfig,
		doctype: str,
		obj: dict[str, Any],
		entity: str | None = None,
	) -> SyncResult:
		"""A QBO customer, vendor or item onto its ERPNext record (Customer, Supplier, Item). Active state moves
		only on QBO's transitions: made inactive (or deleted) -> disabled, reactivated -> enabled again; a
		record someone disabled in ERPNext is not re-enabled by an ordinary change in QBO."""
		entity = entity or doctype  # Customer -> Customer, Item -> Item, Vendor -> Supplier
		kind = entity.lower()
		link = self.store.find_link(config.realm_id, entity, str(obj["Id"]))
		deleted = obj.get("status") == "Deleted"
		if link is None and is_inactive(obj):  # reached by a retry; apply_change filters these quietly
			return at.finish(
				"Skipped",
				f"QuickBooks {kind} {obj['Id']} is inactive there and was never in ERPNext: not created.",
				action="ignored",
			)
		data: dict[str, Any] | None = None
		if not deleted:
			if doctype == CUSTOMER:
				data = customer_to_erpnext(obj)
			elif doctype == SUPPLIER:
				data = qbo_vendor_to_erpnext(obj)
			else:
				data = item_to_erpnext(obj)
			if data is None:
				return at.finish(
					"Skipped",
					f"QuickBooks item {obj['Id']} is not a Service or NonInventory item.",
					action="ignored",
				)
		upsert = {
			CUSTOMER: self.store.upsert_customer,
			SUPPLIER: self.store.upsert_supplier,
		}.get(doctype, self.store.upsert_item)
		if link is None:
			assert data is not None
			# One QBO record per ERPNext record: never match a record already linked to another QBO object.
			passed_over: list[str] = []
			if doctype in (CUSTOMER, SUPPLIER):
				adopt = adoption_guard(self.store, config.realm_id, doctype, obj, passed_over)
				name = upsert(config.company, data, name=None, adopt=adopt)
			else:
				data = free_item_code(self.store, config.realm_id, obj, data, passed_over)
				name = self.store.upsert_item(config.company, data, name=None)
			self._save_pull_link(config, doctype, name, entity, obj, None)
			at.produced(doctype, name)
			return at.finish(
				"Success",
				f"Created or matched {doctype} {name} from QuickBooks {kind} {obj['Id']}."
				f"{passed_over_note(passed_over)}",
				action="created",
			)
		name = link.name
		if data is not None:
			data.pop("disabled", None)  # moved below, on QBO's transitions only
			name = upsert(config.company, data, name=link.name)
		at.produced(doctype, name)
		label = f"{doctype} {name}"
		source = f"QuickBooks {kind} {obj['Id']}"
		if is_inactive(obj):
			changed = self.store.set_disabled(doctype, name, True)
			self._save_pull_link(config, doctype, name, entity, obj, link, state="deleted")
			why = "deleted" if deleted else "made inactive"
			if changed:
				message = f"{label} disabled: {source} was {why} in QuickBooks."
			else:
				message = f"{label} stays disabled: {source} is {why} in QuickBooks."
			return at.finish("Success", message, action="updated")
		if link.state == "deleted":  # reactivated in QBO
			changed = self.store.set_disabled(doctype, name, False)
			self._save_pull_link(config, doctype, name, entity, obj, link)
			word = "enabled again" if changed else "already enabled"
			return at.finish(
				"Success", f"{label} {word}: {source} was made active again in QuickBooks.", action="updated"
			)
		self._save_pull_link(config, doctype, name, entity, obj, link)
		return at.finish("Success", f"Updated {label} from {source}.", action="updated")

	@staticmethod
	def _employee_name(obj: dict[str, Any]) -> str:
		from qbo_connector.mapping.pull import active_name

		display = active_name(obj, obj.get("DisplayName"))
		parts = " ".join(str(obj.get(key) or "") for key in ("GivenName", "FamilyName")).strip()
		return str(display or parts or "")

	def _employee_matches(self, config: ConnectionConfig, obj: dict[str, Any]) -> list[tuple[str, str]]:
		"""ERPNext employees of the company a QBO employee may be: by e-mail first, else by name."""
		email = ((obj.get("PrimaryEmailAddr") or {}).get("Address") or "").strip()
		return self.store.find_employees(config.company, email or None, self._employee_name(obj) or None)

	def _apply_employee(self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any]) -> SyncResult:
		"""The Employee map: a QBO employee is linked to the one ERPNext employee of the same e-mail (else
		name) that is linked to no other; a link, once made (here or by hand), is never moved by the pull. An
		employee made inactive in QBO leaves the map until reactivated: their timesheets are not sent."""
		realm, qbo_id = config.realm_id, str(obj["Id"])
		name = self._employee_name(obj)
		link = self.store.find_link(realm, EMPLOYEE, qbo_id)
		if link is not None:
			at.produced(link.doctype, link.name)
			state = "deleted" if is_inactive(obj) else "synced"
			self._save_pull_link(config, link.doctype, link.name, EMPLOYEE, obj, link, state=state)
			what = (
				"is inactive in QuickBooks: not used for timesheets" if state == "deleted" else "stays mapped"
			)
			return at.finish(
				"Success",
				f"QuickBooks employee {qbo_id} '{name}' is ERPNext Employee {link.name}; the map {what}.",
				action="updated",
			)
		matches = self._employee_matches(config, obj)
		free = [(employee, how) for employee, how in matches if self._employee_free(realm, employee, qbo_id)]
		if len(free) != 1:
			taken = [employee for employee, _how in matches if (employee, _how) not in free]
			why = (
				f"several ERPNext employees match ({', '.join(e for e, _ in free)})"
				if free
				else "no free match"
			)
			if taken and not free:
				why = f"the matching ERPNext employees ({', '.join(taken)}) are mapped to other QuickBooks employees"
			return at.finish(
				"Warning",
				f"QuickBooks employee {qbo_id} '{name}' was not mapped: {why}. Link the right ERPNext employee to it "
				"in QBO Link.",
				action="skipped",
			)
		employee, how = free[0]
		self._save_pull_link(config, EMPLOYEE, employee, EMPLOYEE, obj, None)
		at.produced(EMPLOYEE, employee)
		return at.finish(
			"Success",
			f"Mapped ERPNext Employee {employee} to QuickBooks employee {qbo_id} '{name}' (same {how}).",
			action="created",
		)

	def _employee_free(self, realm: str, employee: str, qbo_id: str) -> bool:
		link = self.store.get_link(realm, EMPLOYEE, employee)
		return link is None or link.qbo_id in (None, qbo_id)

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
		gone = is_gone(obj)
		state = "deleted" if obj.get("status") == "Deleted" else "voided"
		if link is not None and link.origin == "push":  # ERPNext made it; QBO voided or deleted it (_quiet)
			return self._pushed_payment_gone(at, config, obj, link, state)
		if link is not None:  # made here from this payment before
			at.produced(link.doctype, link.name)
			if gone:
				return self._pulled_payment_gone(at, config, obj, link, state)
			self._save_pull_link(config, link.doctype, link.name, "Payment", obj, link)
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
				if inv is None or inv.doctype != SALES_INVOICE or inv.state != "synced":
					continue  # pays an invoice ERPNext does not have (or one voided since)
				(invoices if kind == "Invoice" else credit_notes)[txn_id] = inv.name
				customer = customer or (self.store.get_doc(SALES_INVOICE, inv.name) or {}).get("customer")
		if not invoices:
			return at.finish(
				"Skipped",
				f"QuickBooks payment {obj['Id']} pays no invoice sent from ERPNext.",
				action="ignored",
			)
		paying = ", ".join(sorted({*invoices.values(), *credit_notes.values()}))
		at.subject = f"QuickBooks Payment {obj['Id']} (for ERPNext {SALES_INVOICE} {paying})"
		data, notes = payment_to_erpnext(obj, invoices, credit_notes, customer or "", config)
		name = self.store.create_payment_entry(config.company, data, str(obj["Id"]))
		self._save_pull_link(config, PAYMENT_ENTRY, name, "Payment", obj, None)
		at.produced(PAYMENT_ENTRY, name)
		paid = ", ".join(f"{r['reference_name']} {money(r['allocated_amount'])}" for r in data["references"])
		message = f"Created Payment Entry {name} from QuickBooks payment {obj['Id']} ({paid})."
		if notes:
			message += " Notes: " + "; ".join(notes)
		return at.finish("Warning" if notes else "Success", message, action="created")

	def _pulled_payment_gone(
		self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any], link: Link, state: str
	) -> SyncResult:
		"""A QBO payment the pull turned into a Payment Entry is voided or deleted in QBO: cancel the entry
		(switch on), else flag it; when ERPNext refuses the cancel, flag it and say why. The link moves only
		once that is done, so a retry after a crash does it again."""
		name, qbo_id = link.name, obj["Id"]

		def done() -> None:
			self._save_pull_link(config, link.doctype, name, "Payment", obj, link, state=state)

		return self._cancel_or_flag_pulled(
			at,
			PAYMENT_ENTRY,
			name,
			f"QuickBooks payment {qbo_id}",
			state,
			enabled=config.cancel_pulled_payments,
			cancel=lambda reason: self.store.cancel_payment_entry(name, state, reason),
			done=done,
			not_submitted=lambda _flag: at.finish(
				"Success",
				f"Payment Entry {name} is not submitted (already cancelled?); QuickBooks payment {qbo_id} was "
				f"{state} in QuickBooks.",
				action=state,
			),
		)

	def _cancel_or_flag_pulled(
		self,
		at: Attempt,
		doctype: str,
		name: str,
		what: str,
		state: str,
		*,
		enabled: bool,
		cancel: Callable[[str], bool],
		done: Callable[[], None],
		not_submitted: Callable[[str], SyncResult],
	) -> SyncResult:
		"""What the pull made from a QBO object (`what`, e.g. "QuickBooks payment 12") that is now voided or
		deleted in QBO: cancel it (switch `enabled`; `cancel(reason)` returns False when the document was not
		submitted), else flag it; when ERPNext refuses the cancel, flag it and say why. `done` moves the link,
		only once that is decided, so a retry after a crash does it again."""
		flag = (
			f"{what} of {doctype} {name} was {state} in QuickBooks; cancel {doctype} {name} in ERPNext if that "
			"is right."
		)
		if not enabled:
			self.store.flag_qbo_state(doctype, name, state, flag)
			done()
			return at.finish("Warning", flag, action=state)
		try:
			cancelled = cancel(f"Cancelled because {what} was {state} in QuickBooks.")
		except SyncError as exc:
			if exc.retryable:
				raise
			cancelled, refused = False, exc.message
		except Exception as exc:  # noqa: BLE001 - ERPNext refused the cancel: flag the document instead
			cancelled, refused = False, str(exc) or type(exc).__name__
		else:
			refused = None
		if refused is not None:
			message = (
				f"{what} was {state} in QuickBooks, but {doctype} {name} could not be cancelled automatically "
				f"({refused}); cancel it in ERPNext."
			)
			self.store.flag_qbo_state(doctype, name, state, message)
			done()
			return at.finish("Warning", message, action=state)
		done()
		if not cancelled:
			return not_submitted(flag)
		return at.finish(
			"Success", f"{doctype} {name} cancelled: {what} was {state} in QuickBooks.", action="cancelled"
		)

	def _pushed_payment_gone(
		self, at: Attempt, config: ConnectionConfig, obj: dict[str, Any], link: Link, state: str
	) -> SyncResult:
		"""A payment ERPNext pushed was voided or deleted in QBO: flag the Payment Entry, never cancel it (it
		is the accountant's document). Our own void of a cancelled entry racing its link update is not news."""
		name = link.name
		at.produced(link.doctype, name)
		doc = self.store.get_doc(link.doctype, name) or {}
		if doc.get("docstatus") == 2:
			self._save_pull_link(config, link.doctype, name, "Payment", obj, link, state=state)
			return at.finish(
				"Skipped",
				f"{link.doctype} {name} is cancelled in ERPNext; its QuickBooks payment {obj['Id']} is {state}.",
				action="skipped",
			)
		message = (
			f"QuickBooks payment {obj['Id']} of {link.doctype} {name} was {state} in QuickBooks. The Payment "
			"Entry was not cancelled: cancel it in ERPNext if the change was intended, or record the payment "
			"in QuickBooks again."
		)
		self.store.flag_qbo_state(link.doctype, name, state, message)
		self._save_pull_link(config, link.doctype, name, "Payment", obj, link, state=state)
		return at.finish("Warning", message, action=state)

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
			if is_own_echo(self.store, event):  # our own write: its answer is on the link, no read needed
				result.skipped += 1
				continue
			# QBO announces a name made inactive as Delete: the object is still there to read.
			deleted = event.operation == "Delete" and event.entity not in NAME_LIST_ENTITIES
			outcome = self.pull_entity(config, event.entity, event.entity_id, deleted=deleted)
			if outcome.status == "Failed":
				self.store.release_event(key)  # a redelivery (or CDC) gets another go
				result.failed += 1
			elif outcome.action in ("skipped", "ignored", "inactive"):
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
			at.subject = self._subject(config, entity, str(entity_id))  # a failed read names the record
			obj: dict[str, Any] = {"Id": str(entity_id), "status": "Deleted"}
			if not deleted:
				try:
					obj = client.read(entity, entity_id)
				except NotFoundError:
					pass  # gone from QBO: treated as deleted
			at.response = obj
			unknown = self._inactive_unknown(config, entity, obj)
			quiet = unknown or self._quiet(config, entity, obj) or self._note_only(config, entity, obj)
			if quiet is not None:
				return at.finish("Skipped", quiet, action="inactive" if unknown else "skipped")
			return self._apply_in(at, config, entity, obj)

		return self._run(entry, work)
