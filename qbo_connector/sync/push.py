"""ERPNext -> QBO: push (create once, then sparse-update) and cancel (void) of one document.

Exactly-once, per (realm, document):
1. A `pending` link carrying a deterministic requestid is saved BEFORE the create is sent.
2. A retry of the same create, in any worker, sends the same requestid, so QBO replays its first answer.
3. A pending link found on a later attempt means an earlier create may have landed: look it up (DocNumber,
   else customer + date + our name in the note) before sending anything.
4. Once linked, the document is only ever updated (sparse, with the SyncToken), never created again.
With create_deposits on, a payment also gets its QBO Deposit once (deposit.py): a payment created whose
deposit failed stays linked, and the next attempt only completes the deposit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.customer import display_name_candidates, map_customer
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.item import item_name_candidates, map_item
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import (
	DuplicateDocNumberError,
	DuplicateNameError,
	NotFoundError,
	QBOError,
	StaleObjectError,
)
from qbo_connector.qbo.query import Query

from . import ids
from .base import Attempt, doc_label, money, updated_at
from .deposit import DEPOSIT_KEY, DepositMixin
from .identity import PEOPLE, name_lock_key, qbo_name, same_name
from .mapper import Mapped, explain_difference, map_document
from .outcome import INTERNAL_CODE, SyncError, SyncResult, classify, is_definitive
from .store import (
	CUSTOMER,
	ITEM,
	PAYMENT_ENTRY,
	SALES_INVOICE,
	ConnectionConfig,
	Link,
	LogEntry,
	LogStatus,
)

logger = logging.getLogger(__name__)

PUSHED_DOCTYPES = (SALES_INVOICE, PAYMENT_ENTRY)
# Header fields ERPNext lets an accountant change on a submitted invoice; a change is sent as a sparse
# update. Lines never change after submit (an amendment is a new document).
UPDATABLE_FIELDS = ("DueDate",)
PAYMENT_APPLIED_CODE = "6540"


def _ref(obj: dict[str, Any], key: str) -> str | None:
	value = (obj.get(key) or {}).get("value")
	return str(value) if value not in (None, "") else None


def _note_head(obj: dict[str, Any]) -> str:
	"""The first part of a PrivateNote, where mapping writes "ERPNext <doctype> <name>"."""
	return str(obj.get("PrivateNote") or "").split(";")[0].strip()


def _ours(obj: dict[str, Any], customer: str | None) -> bool:
	return obj.get("status") != "Deleted" and (not customer or _ref(obj, "CustomerRef") == customer)


def is_voided(obj: dict[str, Any]) -> bool:
	"""QBO keeps a voided transaction with zero amounts and "Voided" in its PrivateNote."""
	if obj.get("status") == "Voided":
		return True
	note = str(obj.get("PrivateNote") or "")
	return "Voided" in note and money(obj.get("TotalAmt") or 0) == 0


class PushMixin(DepositMixin):
	"""push() and cancel()."""

	# -- push -----------------------------------------------------------------------------------------
	def push(self, doctype: str, name: str) -> SyncResult:
		"""Send one submitted document to QBO (create once, update after); every outcome is logged."""
		return self._push(doctype, name)

	def _push(self, doctype: str, name: str, retry_of: LogEntry | None = None) -> SyncResult:
		return self._document_attempt("push", doctype, name, retry_of, self._push_work)

	def _document_attempt(
		self,
		operation: str,
		doctype: str,
		name: str,
		retry_of: LogEntry | None,
		work: Callable[..., SyncResult],
	) -> SyncResult:
		"""One logged attempt at one ERPNext document, under the connection of the document's company."""
		doc = self.store.get_doc(doctype, name)
		config = self.store.get_config(doc["company"]) if doc and doc.get("company") else None
		entry = self._entry(
			operation, config, doctype, name, company=(doc or {}).get("company"), retry_of=retry_of
		)
		return self._run(entry, lambda at: work(at, doctype, name, doc, config))

	def _guard(
		self, doctype: str, name: str, doc: dict[str, Any] | None, config: ConnectionConfig | None
	) -> str | None:
		"""Why a document must not move (None when it may): drafts never move, nor disabled connections."""
		label = doc_label(doctype, name)
		if doctype not in PUSHED_DOCTYPES:
			return f"{doctype} documents are not sent to QuickBooks."
		if doc is None:
			return f"{label} does not exist (deleted?); nothing to send."
		if config is None:
			return f"{label}: company {doc.get('company')!r} is not connected to QuickBooks."
		if not config.enabled:
			return f"{label}: the QuickBooks connection of {config.company} is disabled."
		if doc.get("docstatus") == 0:
			return f"{label} is a draft; only submitted documents go to QuickBooks."
		if doc.get("docstatus") == 2:
			return f"{label} is cancelled; cancelling voids it in QuickBooks instead."
		if doctype == PAYMENT_ENTRY:
			if doc.get("payment_type") != "Receive" or doc.get("party_type") != CUSTOMER:
				return f"{label} is not a payment received from a customer; only those go to QuickBooks."
			if not config.push_payments:
				return f"{label}: sending payments to QuickBooks is switched off in QBO Settings."
		return None

	def _push_work(
		self,
		at: Attempt,
		doctype: str,
		name: str,
		doc: dict[str, Any] | None,
		config: ConnectionConfig | None,
	) -> SyncResult:
		reason = self._guard(doctype, name, doc, config)
		if reason:
			return at.finish("Skipped", reason)
		assert doc is not None and config is not None
		at.fingerprint = lambda: self.fingerprint(config, doctype, name)
		realm = config.realm_id
		with self.store.lock(f"{realm}:{doctype}:{name}"):
			# Read again under the lock: a cancel that got the lock first found no link and voided nothing,
			# so the copy read before waiting must not be sent.
			doc = self.store.get_doc(doctype, name)
			reason = self._guard(doctype, name, doc, config)
			if reason:
				return at.finish("Skipped", reason)
			assert doc is not None
			link = self.store.get_link(realm, doctype, name)
			if link is not None and link.origin == "pull":
				at.qbo_entity, at.qbo_id = link.qbo_entity, link.qbo_id
				return at.finish(
					"Skipped",
					f"{doc_label(doctype, name)} came from QuickBooks {link.qbo_entity} {link.qbo_id}; "
					"it is not sent back.",
				)
			if link is not None and link.state in ("voided", "deleted"):
				at.qbo_entity, at.qbo_id = link.qbo_entity, link.qbo_id
				return at.finish(
					"Skipped",
					f"{doc_label(doctype, name)} is {link.state} in QuickBooks; it is not sent again.",
				)
			client = self.client(realm)
			mapped = self.prepare(client, config, doctype, doc)
			at.qbo_entity = mapped.entity
			at.request = mapped.body
			return self._write(at, client, config, doctype, doc, mapped, link)

	def prepare(
		self, client: QBOClient, config: ConnectionConfig, doctype: str, doc: dict[str, Any]
	) -> Mapped:
		"""Make sure what the document refers to exists in QBO, then map it."""
		deposits = doctype == PAYMENT_ENTRY and config.create_deposits
		if deposits and not config.deposit_bank_account:
			raise SyncError(
				"DEPOSIT_ACCOUNT",
				f"{doc_label(doctype, doc['name'])}: 'Create Deposits' is on for {config.company} but no Deposit "
				"Bank Account is chosen in its QuickBooks connection; choose one (or switch deposits off), "
				"then retry this log.",
			)
		mode = self.company_mode(config, client)
		ctx = self.context(config, mode)
		self._probe(doctype, doc, ctx)
		if doctype == SALES_INVOICE:
			ctx.customer_ref = self.ensure_customer(
				client, config, ctx, doc.get("customer"), doctype, doc["name"]
			)
			ctx.item_refs = self.ensure_items(client, config, ctx, doc)
		else:
			ctx.customer_ref = self.ensure_customer(
				client, config, ctx, doc.get("party"), doctype, doc["name"]
			)
			ctx.invoice_refs = self.ensure_invoices(config, doc)
			ctx.invoice_balances = self.invoice_balances(client, config, ctx.invoice_refs)
		mapped = map_document(doctype, doc, ctx)
		if deposits:
			# Received into Undeposited Funds (QBO's default); the Deposit moves it to the bank afterwards.
			mapped.body.pop("DepositToAccountRef", None)
			mapped.deposit_to = config.deposit_bank_account
		return mapped

	@staticmethod
	def _probe(doctype: str, doc: dict[str, Any], ctx: MappingContext) -> None:
		"""Map once with placeholder references before creating anything in QBO, so a document with bad
		data (say, EUR while multicurrency is off) leaves no customer or item behind to clean up."""
		codes = {row.get("item_code") for row in doc.get("items") or [] if row.get("item_code")}
		refs = {row.get("reference_name") for row in doc.get("references") or [] if row.get("reference_name")}
		probe = replace(
			ctx,
			customer_ref="0",
			item_refs=dict.fromkeys(codes, "0"),
			invoice_refs=dict.fromkeys(refs, "0"),
		)
		map_document(doctype, doc, probe)

	def invoice_balances(
		self, client: QBOClient, config: ConnectionConfig, refs: dict[str, str]
	) -> dict[str, Decimal]:
		"""Open balances in QBO of the invoices a payment pays (one query), so a payment never applies more
		than QBO says is open (ERPNext's stray cent, a payment recorded in QBO): the excess stays unapplied.
		Credit notes are left out: their ids are CreditMemo ids, which may equal some Invoice id."""
		invoices = {
			name: qbo_id
			for name, qbo_id in refs.items()
			if (self.store.get_link(config.realm_id, SALES_INVOICE, name) or Link("", "", "", "")).qbo_entity
			== "Invoice"
		}
		if not invoices:
			return {}
		rows = self.rows(client, Query("Invoice").where("Id", "IN", sorted(set(invoices.values()))))
		balance = {str(r["Id"]): money(r.get("Balance") or 0) for r in rows}
		return {name: balance[qbo_id] for name, qbo_id in invoices.items() if qbo_id in balance}

	def _write(
		self,
		at: Attempt,
		client: QBOClient,
		config: ConnectionConfig,
		doctype: str,
		doc: dict[str, Any],
		mapped: Mapped,
		link: Link | None,
	) -> SyncResult:
		realm, name = config.realm_id, doc["name"]
		if link is not None and link.state == "synced" and link.qbo_id:
			return self._update_linked(at, client, link, mapped)
		if link is None:
			link = Link(
				realm_id=realm,
				doctype=doctype,
				name=name,
				qbo_entity=mapped.entity,
				request_id=ids.request_id(realm, doctype, name, ids.CREATE, 0),
			)
			self.store.save_link(link)  # pending, BEFORE anything is sent
		else:
			found = self.lookup(client, mapped, doc)
			if found is not None:
				self._adopt(link, found, mapped)
				logger.info(
					"%s found in QBO as %s %s after an interrupted attempt", name, mapped.entity, found["Id"]
				)
				return self._update_linked(
					at, client, link, mapped, note="found in QuickBooks after an interrupted attempt"
				)
		obj = self.create(client, link, mapped, doc)
		self._adopt(link, obj, mapped, pushed_from=mapped.body)
		return self._created(at, link, obj, mapped)

	def create(self, client: QBOClient, link: Link, mapped: Mapped, doc: dict[str, Any]) -> dict[str, Any]:
		"""Create with the link's requestid; a refusal frees the next attempt to use a fresh one."""
		try:
			return client.create(mapped.entity, mapped.body, request_id=link.request_id)
		except DuplicateDocNumberError:
			found = self.lookup(client, mapped, doc)
			if found is not None:
				return found
			self._next_generation(link)
			raise
		except QBOError as exc:
			if is_definitive(exc):
				self._next_generation(link)
			raise

	def _next_generation(self, link: Link) -> None:
		link.generation += 1
		link.request_id = ids.request_id(link.realm_id, link.doctype, link.name, ids.CREATE, link.generation)
		self.store.save_link(link)

	def _adopt(
		self, link: Link, obj: dict[str, Any], mapped: Mapped, pushed_from: dict[str, Any] | None = None
	) -> None:
		"""Record what QBO holds on the link (id, SyncToken, total) and mark it synced."""
		source = pushed_from if pushed_from is not None else obj
		link.qbo_entity = mapped.entity
		link.qbo_id = str(obj["Id"])
		link.sync_token = str(obj.get("SyncToken", "0"))
		link.state = "synced"
		link.last_synced = self.clock()
		link.remote_total = money(obj.get("TotalAmt") or 0)
		link.remote_updated = updated_at(obj)
		kept = {k: v for k, v in link.pushed.items() if k == DEPOSIT_KEY}  # a deposit already attempted
		link.pushed = {**kept, **{k: source.get(k) for k in UPDATABLE_FIELDS if k in source}}
		self.store.save_link(link)

	def _total_verdict(self, mapped: Mapped, qbo_total: Any) -> tuple[LogStatus, str]:
		"""("Success"|"Warning", sentence) comparing QBO's TotalAmt with ERPNext's expected total."""
		if mapped.expected_total is None:
			return "Success", ""
		expected = money(abs(mapped.expected_total))
		actual = money(abs(money(qbo_total or 0)))
		if expected == actual:
			return "Success", f"total {actual} matches ERPNext"
		return "Warning", explain_difference(mapped, actual).rstrip(".")

	def _created(self, at: Attempt, link: Link, obj: dict[str, Any], mapped: Mapped) -> SyncResult:
		at.qbo_id = link.qbo_id
		at.response = obj
		status, verdict = self._total_verdict(mapped, obj.get("TotalAmt"))
		number = f" {obj['DocNumber']}" if obj.get("DocNumber") else ""
		message = f"Created {mapped.entity}{number} (id {link.qbo_id}) in QuickBooks; {verdict}."
		if mapped.warnings:
			message += " Notes: " + "; ".join(mapped.warnings)
		return self._close(at, link, mapped, status, message, "created")

	def _close(
		self, at: Attempt, link: Link, mapped: Mapped, status: LogStatus, message: str, action: str
	) -> SyncResult:
		"""Finish a push row, depositing the payment first when the connection creates deposits. A failed
		deposit fails the row (retryable when QBO may have been down) and says the payment itself is in."""
		if not self.needs_deposit(link, mapped):
			return at.finish(status, message, action=action)
		stack = self._local.__dict__.setdefault("stack", [])
		stack.append(at)  # the deposit's HTTP exchanges belong on this row (bulk runs under its own)
		try:
			sentence = self.ensure_deposit(self.client(link.realm_id), link, mapped)
		except Exception as exc:  # noqa: BLE001 - the row must say the payment is in but the deposit is not
			failure = classify(exc)
			if failure.code == INTERNAL_CODE:
				logger.error("deposit of %s %s failed unexpectedly", link.doctype, link.name, exc_info=exc)
			if failure.detail is not None:
				at.response = {"payment": at.response, "deposit_error": failure.detail}
			label = doc_label(link.doctype, link.name)
			return at.finish(
				"Failed",
				f"{label}: {message.rstrip('.')}. But the Deposit into QuickBooks bank account "
				f"{mapped.deposit_to} failed: {failure.message} The payment waits in Undeposited Funds; "
				"retrying this log only completes the deposit (the payment is not sent again).",
				code=failure.code,
				retryable=failure.retryable,
				intuit_tid=failure.intuit_tid,
				action=action,
			)
		finally:
			stack.pop()
		if action == "unchanged":
			status, action = "Success", "deposited"
			message = f"{mapped.entity} {link.qbo_id} was already in QuickBooks."
		return at.finish(status, f"{message} {sentence}", action=action)

	def _update_linked(
		self, at: Attempt, client: QBOClient, link: Link, mapped: Mapped, note: str = ""
	) -> SyncResult:
		"""A linked document is never created again: send only what changed, with its SyncToken."""
		at.qbo_id = link.qbo_id
		want = {k: mapped.body[k] for k in UPDATABLE_FIELDS if k in mapped.body}
		changes = {k: v for k, v in want.items() if link.pushed.get(k) != v}
		status, verdict = self._total_verdict(mapped, link.remote_total)
		prefix = f"{mapped.entity} {link.qbo_id}" + (f" {note}" if note else "")
		if not changes:
			action = "adopted" if note else "unchanged"
			if note:
				return self._close(at, link, mapped, status, f"{prefix}; {verdict}.", action)
			return self._close(
				at, link, mapped, "Skipped", f"Already in QuickBooks as {prefix}; nothing changed.", action
			)
		obj = self.sparse_update(client, link, changes)
		link.sync_token = str(obj.get("SyncToken", link.sync_token))
		link.pushed.update(changes)
		link.remote_total = money(obj.get("TotalAmt") or link.remote_total or 0)
		link.remote_updated = updated_at(obj) or link.remote_updated
		link.last_synced = self.clock()
		self.store.save_link(link)
		at.response = obj
		status, verdict = self._total_verdict(mapped, link.remote_total)
		fields = ", ".join(sorted(changes))
		return self._close(
			at, link, mapped, status, f"Updated {fields} of {prefix} in QuickBooks; {verdict}.", "updated"
		)

	def sparse_update(self, client: QBOClient, link: Link, changes: dict[str, Any]) -> dict[str, Any]:
		"""Sparse update; on 5010 (changed in QBO meanwhile) re-read, re-apply what still differs, retry."""
		assert link.qbo_id is not None
		for attempt in range(self.stale_retries + 1):
			body = {"Id": link.qbo_id, "SyncToken": link.sync_token, **changes}
			rid = ids.request_id(link.realm_id, link.doctype, link.name, ids.UPDATE, link.sync_token or "")
			try:
				return client.update(link.qbo_entity, body, request_id=rid, sparse=True)
			except StaleObjectError:
				if attempt >= self.stale_retries:
					raise
				fresh = client.read(link.qbo_entity, link.qbo_id)
				link.sync_token = str(fresh.get("SyncToken"))
				changes = {k: v for k, v in changes.items() if fresh.get(k) != v}
				if not changes:
					return fresh
		raise AssertionError("unreachable")  # pragma: no cover

	# -- look-ups -------------------------------------------------------------------------------------
	def lookup(self, client: QBOClient, mapped: Mapped, doc: dict[str, Any]) -> dict[str, Any] | None:
		"""Find a create that may have landed: by DocNumber, else by customer and date with our name at the
		head of the PrivateNote (QBO may renumber when custom transaction numbers are off). Only objects of
		the same customer count, so a manual invoice that happens to carry our number is not adopted."""
		body = mapped.body
		customer = _ref(body, "CustomerRef")
		rows: list[dict[str, Any]] = []
		if body.get("DocNumber"):
			rows = self.rows(client, Query(mapped.entity).where("DocNumber", "=", body["DocNumber"]))
			rows = [r for r in rows if _ours(r, customer)]
		if not rows:
			rows = self.lookup_by_note(client, mapped, doc)
		if not rows:
			return None
		return min(rows, key=lambda r: int(r["Id"]) if str(r["Id"]).isdigit() else 0)

	def lookup_by_note(self, client: QBOClient, mapped: Mapped, doc: dict[str, Any]) -> list[dict[str, Any]]:
		"""Objects of the customer on the document's date whose PrivateNote starts with our marker."""
		customer = _ref(mapped.body, "CustomerRef")
		if not customer:
			return []
		query = Query(mapped.entity).where("CustomerRef", "=", customer)
		if mapped.body.get("TxnDate"):
			query.where("TxnDate", "=", mapped.body["TxnDate"])
		marker = f"ERPNext {doc.get('doctype')} {doc['name']}"
		return [r for r in self.rows(client, query) if _note_head(r) == marker and _ours(r, customer)]

	# -- dependencies ---------------------------------------------------------------------------------
	def ensure_customer(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		ctx: MappingContext,
		customer: str | None,
		doctype: str,
		name: str,
	) -> str:
		"""The QBO Customer id: stored link, else an unlinked QBO customer of the same DisplayName (adopted,
		and the log row says so), else a new one.

		A DisplayName is taken when QBO holds it (case-insensitively) for a customer linked to another ERPNext
		customer, or answers 6240 (a Vendor, Employee or inactive customer holds it): the next candidate
		appends the ERPNext ID. The query before each create is also the look-up that makes a retried create
		safe, and each candidate keeps its own request id.
		"""
		if not customer:
			field = "customer" if doctype == SALES_INVOICE else "party"
			raise MappingError(doctype, name, field, "no customer is set")
		realm = config.realm_id
		with self.store.lock(f"{realm}:{CUSTOMER}:{customer}"):
			link = self.store.get_link(realm, CUSTOMER, customer)
			if link is not None and link.qbo_id and link.state == "synced":
				return link.qbo_id
			doc = self.store.get_doc(CUSTOMER, customer)
			if doc is None:
				field = "customer" if doctype == SALES_INVOICE else "party"
				raise MappingError(doctype, name, field, f"customer {customer!r} does not exist in ERPNext")
			mapped = map_customer(
				doc, ctx, self.store.get_primary_address(customer), self.store.get_primary_contact(customer)
			)
			qbo_id, taken = self._claim_name(
				client,
				realm,
				CUSTOMER,
				customer,
				CUSTOMER,
				"DisplayName",
				display_name_candidates(doc),
				lambda candidate: dict(mapped.body, DisplayName=candidate),
			)
		if qbo_id is not None:
			return qbo_id
		raise MappingError(
			CUSTOMER,
			customer,
			"customer_name",
			"every QuickBooks display name tried is taken (" + "; ".join(taken) + "); rename the customer "
			"or the QuickBooks record",
		)

	def ensure_items(
		self, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, doc: dict[str, Any]
	) -> dict[str, str]:
		"""QBO Item ids of the invoice's item codes: link, else an unlinked QBO item of the same Name
		(adopted, and logged), else a new Service/NonInventory item; a Name linked to another ERPNext item
		or refused with 6240 gets the collision rule (item_name_candidates). Lines without an item code use
		the default item from settings (mapping applies it)."""
		realm = config.realm_id
		refs: dict[str, str] = {}
		for position, row in enumerate(doc.get("items") or [], start=1):
			code = row.get("item_code")
			if not code or code in refs:
				continue
			with self.store.lock(f"{realm}:{ITEM}:{code}"):
				link = self.store.get_link(realm, ITEM, code)
				if link is not None and link.qbo_id and link.state == "synced":
					refs[code] = link.qbo_id
					continue
				item = self.store.get_doc(ITEM, code)
				if item is None:
					if ctx.default_item_ref:
						continue  # mapping falls back to the default item
					raise MappingError(
						doc.get("doctype") or SALES_INVOICE,
						doc["name"],
						f"items[{row.get('idx') or position}].item_code",
						f"item {code!r} does not exist in ERPNext",
					)
				body = map_item(item, ctx).body
				qbo_id, taken = self._claim_name(
					client,
					realm,
					ITEM,
					code,
					ITEM,
					"Name",
					item_name_candidates(item),
					lambda candidate, body=body: dict(body, Name=candidate),
				)
			if qbo_id is None:
				raise MappingError(
					ITEM,
					code,
					"item_code",
					"every QuickBooks item name tried is taken (" + "; ".join(taken) + "); rename the item "
					"or the QuickBooks item",
				)
			refs[code] = qbo_id
		return refs

	def _claim_name(
		self,
		client: QBOClient,
		realm: str,
		doctype: str,
		name: str,
		entity: str,
		field: str,
		candidates: list[str],
		body_for: Callable[[str], dict[str, Any]],
	) -> tuple[str | None, list[str]]:
		"""Link an ERPNext master (Customer, Item; a Supplier's Vendor the same way) to a QBO object of the
		first free candidate name: adopt an unlinked one of that name, else create it. Returns the QBO id
		(None when every name is taken) and why each name passed over was taken; the log row gets a note
		for an adoption and for a collision name."""
		label = doc_label(doctype, name)
		taken: list[str] = []
		for index, candidate in enumerate(candidates):
			# Two records of one name must not both adopt (or create) it: one name, one worker at a time.
			with self.store.lock(name_lock_key(realm, entity, candidate)):
				rows = self.rows(client, Query(entity).where(field, "=", candidate))
				rows = [r for r in rows if same_name(entity, r, candidate)]
				holder = self._linked_elsewhere(realm, entity, rows, doctype, name)
				if holder is not None:
					obj, other = holder
					taken.append(
						f"'{qbo_name(entity, obj)}' is QuickBooks {entity} {obj['Id']}, linked to "
						f"{doc_label(other.doctype, other.name)}"
					)
					continue
				if rows:
					obj = rows[0]
					self._link_master(realm, doctype, name, entity, obj, origin="push")
					if self._made_for(entity, obj, doctype, name):
						note = (
							f"Found QuickBooks {entity} {obj['Id']} '{qbo_name(entity, obj)}' made for {label} "
							"by an earlier attempt; linked it"
						)
					else:
						note = (
							f"Adopted existing QuickBooks {entity} {obj['Id']} '{qbo_name(entity, obj)}' for "
							f"{label} (same name, linked to no other ERPNext record)"
						)
					self.note(note + (f"; passed over: {'; '.join(taken)}." if taken else "."))
					return str(obj["Id"]), taken
				rid = ids.request_id(realm, doctype, name, ids.CREATE, index)
				try:
					obj = client.create(entity, body_for(candidate), request_id=rid)
				except DuplicateNameError:
					users = "customer, vendor or employee" if entity in PEOPLE else "item"
					taken.append(f"'{candidate}' is used by another (perhaps inactive) QuickBooks {users}")
					continue
				self._link_master(realm, doctype, name, entity, obj, origin="push")
				if taken:
					self.note(
						f"{label} is QuickBooks {entity} {obj['Id']} '{qbo_name(entity, obj) or candidate}', "
						f"a name of its own: {'; '.join(taken)}."
					)
				return str(obj["Id"]), taken
		return None, taken

	def _linked_elsewhere(
		self, realm: str, entity: str, rows: list[dict[str, Any]], doctype: str, name: str
	) -> tuple[dict[str, Any], Link] | None:
		"""The first QBO object of rows that another ERPNext record is linked to, with that link."""
		for obj in rows:
			other = self.store.find_link(realm, entity, str(obj["Id"]))
			if other is not None and (other.doctype, other.name) != (doctype, name):
				return obj, other
		return None

	@staticmethod
	def _made_for(entity: str, obj: dict[str, Any], doctype: str, name: str) -> bool:
		"""Whether a QBO object carries our mark for this record (an earlier attempt created it): a
		customer's (vendor's) Notes name it, an item's Sku is its code."""
		if entity in PEOPLE:
			return str(obj.get("Notes") or "").strip() == f"ERPNext {doctype} {name}"
		return str(obj.get("Sku") or "") == name[:100]

	def ensure_invoices(self, config: ConnectionConfig, doc: dict[str, Any]) -> dict[str, str]:
		"""QBO ids of the invoices a payment pays; an invoice not sent yet is sent first (its own log row)."""
		refs: dict[str, str] = {}
		for position, ref in enumerate(doc.get("references") or [], start=1):
			if ref.get("reference_doctype") != SALES_INVOICE:
				continue
			invoice = ref.get("reference_name")
			link = self.store.get_link(config.realm_id, SALES_INVOICE, invoice)
			if link is None or link.state != "synced" or not link.qbo_id:
				result = self._push(SALES_INVOICE, invoice)
				link = self.store.get_link(config.realm_id, SALES_INVOICE, invoice)
				if link is None or link.state != "synced" or not link.qbo_id:
					raise SyncError(
						"DEPENDENCY",
						f"{doc_label(PAYMENT_ENTRY, doc['name'])}: references[{ref.get('idx') or position}] "
						f"Sales Invoice {invoice} is not in QuickBooks yet: {result.message}",
						retryable=result.retryable,
					)
			refs[invoice] = link.qbo_id
		return refs

	def _link_master(
		self, realm: str, doctype: str, name: str, entity: str, obj: dict[str, Any], origin: str
	) -> Link:
		link = self.store.get_link(realm, doctype, name) or Link(realm, doctype, name, entity, origin=origin)  # type: ignore[arg-type]
		link.qbo_entity = entity
		link.qbo_id = str(obj["Id"])
		link.sync_token = str(obj.get("SyncToken", "0"))
		link.state = "synced"
		link.last_synced = self.clock()
		link.remote_updated = updated_at(obj)
		self.store.save_link(link)
		return link

	# -- cancel ---------------------------------------------------------------------------------------
	def cancel(self, doctype: str, name: str) -> SyncResult:
		"""A cancelled ERPNext document voids its QBO twin (a credit memo is deleted); never linked -> Skipped."""
		return self._cancel(doctype, name)

	def _cancel(self, doctype: str, name: str, retry_of: LogEntry | None = None) -> SyncResult:
		return self._document_attempt("cancel", doctype, name, retry_of, self._cancel_work)

	def _cancel_work(
		self,
		at: Attempt,
		doctype: str,
		name: str,
		doc: dict[str, Any] | None,
		config: ConnectionConfig | None,
	) -> SyncResult:
		label = doc_label(doctype, name)
		if config is None or not config.enabled:
			return at.finish("Skipped", f"{label}: no enabled QuickBooks connection for its company.")
		if doc is not None and doc.get("docstatus") != 2:
			return at.finish("Skipped", f"{label} is not cancelled in ERPNext; nothing to void.")
		realm = config.realm_id
		with self.store.lock(f"{realm}:{doctype}:{name}"):
			link = self.store.get_link(realm, doctype, name)
			if link is None:
				return at.finish("Skipped", f"{label} was never sent to QuickBooks; nothing to void.")
			at.qbo_entity, at.qbo_id = link.qbo_entity, link.qbo_id
			if link.origin == "pull":
				return at.finish(
					"Skipped",
					f"{label} came from QuickBooks {link.qbo_entity} {link.qbo_id}; void it in QuickBooks if needed.",
				)
			if link.state in ("voided", "deleted"):
				return at.finish("Skipped", f"{label} is already {link.state} in QuickBooks.")
			client = self.client(realm)
			if link.state == "pending" or not link.qbo_id:
				found = self._lookup_pending(client, config, doctype, doc, link)
				if found is None:
					link.state = "voided"
					self.store.save_link(link)
					return at.finish("Skipped", f"{label} never reached QuickBooks; nothing to void.")
				link.qbo_id, link.sync_token, link.state = (
					str(found["Id"]),
					str(found.get("SyncToken")),
					"synced",
				)
				self.store.save_link(link)
				at.qbo_id = link.qbo_id
			# A deposited payment cannot be voided (6540): the deposit this connector made goes first.
			removed = self.remove_deposit(client, link)
			try:
				return self._void(at, client, link, label, removed)
			except Exception as exc:  # the row must also say the deposit is already gone
				if not removed:
					raise
				failure = classify(exc)
				at.response = at.response or failure.detail
				reason = failure.message.removeprefix(f"{label}: ")
				return at.finish(
					"Failed",
					f"{label}: {removed} Then voiding {link.qbo_entity} {link.qbo_id} failed: {reason}",
					code=failure.code,
					retryable=failure.retryable,
					intuit_tid=failure.intuit_tid,
				)

	def _lookup_pending(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		doctype: str,
		doc: dict[str, Any] | None,
		link: Link,
	) -> dict[str, Any] | None:
		"""For a create that may have landed: find it without creating customers or items on the way."""
		if doc is None:
			return None
		if doctype == SALES_INVOICE:
			from qbo_connector.mapping.invoice import doc_number

			number = doc_number(doc["name"], config.doc_number_prefix or "")
			rows = self.rows(client, Query(link.qbo_entity).where("DocNumber", "=", number))
			customer = self.store.get_link(config.realm_id, CUSTOMER, doc.get("customer") or "")
			rows = [r for r in rows if customer is None or _ref(r, "CustomerRef") == customer.qbo_id]
			return rows[0] if rows else None
		customer = self.store.get_link(config.realm_id, CUSTOMER, doc.get("party") or "")
		if customer is None or not customer.qbo_id:
			return None
		mapped = Mapped(
			entity=link.qbo_entity,
			body={"CustomerRef": {"value": customer.qbo_id}, "TxnDate": doc.get("posting_date")},
		)
		return self.lookup(client, mapped, doc)

	def _void(self, at: Attempt, client: QBOClient, link: Link, label: str, before: str = "") -> SyncResult:
		"""Void; a credit memo falls back to delete where QBO does not void it (no 6540 involved)."""
		operations = [ids.VOID, ids.DELETE] if link.qbo_entity == "CreditMemo" else [ids.VOID]
		obj: dict[str, Any] = {}
		for operation in operations:
			try:
				obj = self._void_once(client, link, operation)
				break
			except QBOError as exc:
				if exc.code == PAYMENT_APPLIED_CODE:
					raise self._payment_applied(label, link) from exc
				# A refusal (HTTP 400, e.g. "Unsupported Operation", Fault code 500) moves on to delete.
				if operation == operations[-1] or exc.status != 400:
					raise
		state = "deleted" if obj.get("status") == "Deleted" else "voided"
		link.state = state  # type: ignore[assignment]
		link.sync_token = str(obj.get("SyncToken", link.sync_token))
		link.remote_total = money(obj.get("TotalAmt") or 0)
		link.remote_updated = updated_at(obj) or link.remote_updated
		link.last_synced = self.clock()
		self.store.save_link(link)
		at.response = obj
		word = "Deleted" if state == "deleted" else "Voided"
		message = f"{word} {link.qbo_entity} {link.qbo_id} in QuickBooks."
		return at.finish("Success", f"{before} {message}" if before else message, action=state)

	@staticmethod
	def _payment_applied(label: str, link: Link) -> SyncError:
		return SyncError(
			PAYMENT_APPLIED_CODE,
			f"{label} could not be voided in QuickBooks because a payment is applied to {link.qbo_entity} "
			f"{link.qbo_id} there (or it was deposited). Remove or void that payment in QuickBooks first, then "
			"retry this log.",
			retryable=False,
		)

	def _void_once(self, client: QBOClient, link: Link, operation: str) -> dict[str, Any]:
		"""One void or delete, re-reading on 5010; an object already voided/deleted counts as done."""
		assert link.qbo_id is not None
		for attempt in range(self.stale_retries + 1):
			rid = ids.request_id(link.realm_id, link.doctype, link.name, operation, link.sync_token or "")
			try:
				if operation == ids.DELETE:
					return client.delete(link.qbo_entity, link.qbo_id, link.sync_token or "0", request_id=rid)
				return client.void(link.qbo_entity, link.qbo_id, link.sync_token or "0", request_id=rid)
			except StaleObjectError:
				if attempt >= self.stale_retries:
					raise
				fresh = client.read(link.qbo_entity, link.qbo_id)
				if is_voided(fresh):
					return fresh
				link.sync_token = str(fresh.get("SyncToken"))
			except NotFoundError:
				return {"Id": link.qbo_id, "status": "Deleted"}
		raise AssertionError("unreachable")  # pragma: no cover
