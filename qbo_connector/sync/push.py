"""ERPNext -> QBO: push (create once, then sparse-update) and cancel (void) of one document.

Exactly-once, per (realm, document):
1. A `pending` link carrying a deterministic requestid is saved BEFORE the create is sent.
2. A retry of the same create, in any worker, sends the same requestid, so QBO replays its first answer.
3. A pending link found on a later attempt means an earlier create may have landed: look it up (DocNumber,
   else customer + date + our name in the note) before sending anything.
4. Once linked, the document is only ever updated (sparse, with the SyncToken), never created again.
With create_deposits on, a payment also gets its QBO Deposit once (deposit.py): a payment created whose
deposit failed stays linked, and the next attempt only completes the deposit.

Everything that differs between kinds of documents (which documents, what they depend on, their mapper,
what cancel means in QBO) is read from the document's kind (kinds/); nothing here names a doctype.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.item import account_item_name, item_name_candidates, map_item
from qbo_connector.mapping.text import iso_date, short_hash
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import (
	DuplicateDocNumberError,
	DuplicateNameError,
	InvalidReferenceError,
	NotFoundError,
	QBOError,
	StaleObjectError,
)
from qbo_connector.qbo.query import Query

from . import ids, kinds
from .base import Attempt, doc_label, money, updated_at
from .deposit import DEPOSIT_KEY, DepositMixin
from .identity import PEOPLE, name_lock_key, qbo_name, same_name
from .kinds import Kind, Needs, Party
from .mapper import Mapped, explain_difference, map_document
from .outcome import INTERNAL_CODE, SkipDocument, SyncError, SyncResult, classify, is_definitive
from .store import (
	ITEM,
	CompanyMode,
	ConnectionConfig,
	Link,
	LinkState,
	LogEntry,
	LogStatus,
)

logger = logging.getLogger(__name__)

PUSHED_DOCTYPES = kinds.doctypes()
ACCOUNT = "Account"
# The keys of a QBO body that name its party (a customer, vendor or employee).
PARTY_REFS = ("CustomerRef", "VendorRef", "EmployeeRef")
# What each cancel operation leaves the link as, and the word the log row uses for it.
CANCEL_STATES: dict[str, LinkState] = {"void": "voided", "delete": "deleted", "update": "closed"}
CANCEL_WORDS = {"voided": "Voided", "deleted": "Deleted", "closed": "Closed"}
GONE_STATES = ("voided", "deleted", "closed")
# Mapping fields whose refusal the QBO company's settings may explain (multicurrency, tax codes).
FACT_FIELDS = frozenset(("currency", "paid_from_account_currency", "taxes_and_charges", "conversion_rate"))
# Words in a QBO refusal that the company's settings may explain.
FACT_WORDS = ("currency", "exchange rate", "tax", "business validation")


def mode_changes(old: CompanyMode | None, new: CompanyMode) -> list[str]:
	"""What changed in the QBO company's settings, in words ("multicurrency switched on")."""
	if old is None:
		return []
	changes = []
	if old.multicurrency != new.multicurrency:
		changes.append(f"multicurrency switched {'on' if new.multicurrency else 'off'}")
	if old.home_currency != new.home_currency:
		changes.append(f"home currency {old.home_currency} -> {new.home_currency}")
	if old.automated_sales_tax != new.automated_sales_tax:
		changes.append(f"automated sales tax switched {'on' if new.automated_sales_tax else 'off'}")
	if old.country != new.country:
		changes.append(f"country {old.country} -> {new.country}")
	if old.tax_codes is not None and new.tax_codes is not None and old.tax_codes != new.tax_codes:
		changes.append("tax codes or their rates changed")
	return changes


def describe_mode(mode: CompanyMode) -> str:
	return (
		f"country {mode.country}, home currency {mode.home_currency}, multicurrency "
		f"{'on' if mode.multicurrency else 'off'}, automated sales tax {'on' if mode.automated_sales_tax else 'off'}"
	)


INCOME_ACCOUNT_KEY = "IncomeAccountRef"  # kept in an item link's `pushed`: the QBO account its item books to
PAYMENT_APPLIED_CODE = "6540"
AFTER_KEY = "after"  # in a link's `pushed`: what Mapped.after did (the attached PDF's file name)


def _ref(obj: dict[str, Any], key: str) -> str | None:
	value = (obj.get(key) or {}).get("value")
	return str(value) if value not in (None, "") else None


def party_ref(body: dict[str, Any]) -> tuple[str | None, str | None]:
	"""(key, QBO id) of the party a body names: its CustomerRef, VendorRef or EmployeeRef."""
	for key in PARTY_REFS:
		value = _ref(body, key)
		if value:
			return key, value
	return None, None


def _note_head(obj: dict[str, Any]) -> str:
	"""The first part of a PrivateNote, where mapping writes "ERPNext <doctype> <name>"."""
	return str(obj.get("PrivateNote") or "").split(";")[0].strip()


def _ours(obj: dict[str, Any], party: str | None, key: str | None = "CustomerRef") -> bool:
	return obj.get("status") != "Deleted" and (not party or not key or _ref(obj, key) == party)


def cancel_verb(kind: Kind) -> str:
	"""What cancelling does in QBO, as a verb: "voids", "deletes", "closes"."""
	first = kind.cancel[0] if kind.cancel else "void"
	if first == "update":
		return {"Rejected": "rejects"}.get(kind.cancel_word, "closes")
	return {"void": "voids", "delete": "deletes"}[first]


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
		"""Why a document must not move (None when it may): drafts never move, nor documents of no kind,
		of a kind switched off, or of a disabled connection."""
		label = doc_label(doctype, name)
		if not kinds.for_doctype(doctype):
			return f"{doctype} documents are not sent to QuickBooks."
		if doc is None:
			return f"{label} does not exist (deleted?); nothing to send."
		if config is None:
			return f"{label}: company {doc.get('company')!r} is not connected to QuickBooks."
		if not config.enabled:
			return f"{label}: the QuickBooks connection of {config.company} is disabled."
		if doc.get("docstatus") == 0:
			return f"{label} is a draft; only submitted documents go to QuickBooks."
		kind = kinds.of(doctype, doc)
		if kind is None:
			return f"{label} {kinds.not_sent_reason(doctype)}"
		if doc.get("docstatus") == 2:
			return f"{label} is cancelled; cancelling {cancel_verb(kind)} it in QuickBooks instead."
		if not kind.enabled(config):
			return f"{label}: sending {kind.plural} to QuickBooks is switched off in QBO Settings."
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
			if link is not None and link.state in GONE_STATES:
				at.qbo_entity, at.qbo_id = link.qbo_entity, link.qbo_id
				return at.finish(
					"Skipped",
					f"{doc_label(doctype, name)} is {link.state} in QuickBooks; it is not sent again.",
				)
			client = self.client(realm)
			try:
				mapped = self.prepare(client, config, doctype, doc)
			except SkipDocument as skip:
				return at.finish("Skipped", skip.message, code=skip.code)
			at.qbo_entity = mapped.entity
			at.request = mapped.body
			try:
				return self._write(at, client, config, doctype, doc, mapped, link)
			except QBOError as exc:
				explained = self.explain_inactive(
					config, client, mapped, exc
				) or self.explain_with_fresh_facts(config, client, exc)
				if explained is None:
					raise
				at.response = exc.to_dict()
				raise explained from exc

	def prepare(
		self, client: QBOClient, config: ConnectionConfig, doctype: str, doc: dict[str, Any]
	) -> Mapped:
		"""Make sure what the document refers to exists in QBO, then map it. Before anything is written
		the document is mapped once with placeholder references (the probe): bad data fails here, with
		nothing created in QBO."""
		kind = self.kind(doctype, doc)
		if kind.preflight is not None:
			kind.preflight(self, config, doc)
		cached = config.company_mode
		mode = self.company_mode(config, client)
		read_now = mode is not cached
		ctx = self._groundwork(client, config, mode, doctype, doc)
		try:
			probe = self._probe(doctype, doc, ctx)
		except MappingError as exc:
			# The company's settings are cached for a day; a refusal they explain (multicurrency off, a tax
			# code gone) is checked against QBO's current settings before it is reported.
			if read_now or exc.field not in FACT_FIELDS:
				raise
			old = mode
			mode = self.company_mode(config, client, refresh=True)
			if not mode_changes(old, mode):
				raise
			ctx = self._groundwork(client, config, mode, doctype, doc)
			probe = self._probe(doctype, doc, ctx)
		if kind.prepare is not None:
			kind.prepare(self, client, config, ctx, doc, probe)
		mapped = map_document(doctype, doc, ctx)
		missing = getattr(mapped.source, "account_items_needed", None)
		if missing:
			raise SyncError(
				"ACCOUNT_ITEM",
				f"{doc_label(doctype, doc['name'])}: no QuickBooks item books to income account(s) "
				f"{', '.join(sorted(missing.values()))}; retry this log",
				retryable=True,
			)
		if kind.finish is not None:
			kind.finish(self, config, doc, mapped)
		return mapped

	def kind(self, doctype: str, doc: dict[str, Any]) -> Kind:
		"""The document's kind (the guard has let only documents of a kind through)."""
		kind = kinds.of(doctype, doc)
		if kind is None:
			raise SyncError("KIND", f"{doc_label(doctype, doc.get('name'))} {kinds.not_sent_reason(doctype)}")
		return kind

	def _groundwork(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		mode: CompanyMode,
		doctype: str,
		doc: dict[str, Any],
	) -> MappingContext:
		"""The mapping context, with the read-only facts the probe checks lines against (item accounts)."""
		ctx = self.context(config, mode)
		kind = self.kind(doctype, doc)
		if kind.groundwork is not None:
			kind.groundwork(self, client, config, ctx, doc)
		return ctx

	def explain_with_fresh_facts(
		self, config: ConnectionConfig, client: QBOClient, exc: QBOError
	) -> SyncError | None:
		"""When QBO refuses a write for a reason the company's settings explain (currency, tax, a business
		rule), read the settings again: a change (multicurrency switched on, automated sales tax, another
		home currency) is said and the failure retried soon with them; otherwise say what to check."""
		text = f"{exc.code} {exc.message} {exc.detail or ''}".lower()
		if exc.status not in (400, None) or not any(word in text for word in FACT_WORDS):
			return None
		old = config.company_mode
		try:
			mode = self.company_mode(config, client, refresh=True)
		except QBOError:
			return None
		changes = mode_changes(old, mode)
		base = str(exc).rstrip(".")
		if changes:
			return SyncError(
				exc.code or "QBO",
				f"{base}. The QuickBooks company's settings changed since they were read ({'; '.join(changes)}); "
				"they are read again now and this document is retried with them.",
				retryable=True,
			)
		return SyncError(
			exc.code or "QBO",
			f"{base}. QuickBooks company settings, read again just now: {describe_mode(mode)}. Check the "
			"document's currency and tax against them (a QuickBooks customer keeps one currency for good), "
			"fix it or the QBO Tax Map, then retry this log.",
			retryable=False,
		)

	def explain_inactive(
		self, config: ConnectionConfig, client: QBOClient, mapped: Mapped, exc: QBOError
	) -> SyncError | None:
		"""QBO's 610 ("made inactive") names no record: find which customer or item the body refers to is
		inactive in QBO and name the ERPNext record linked to it, with what to do."""
		if not (isinstance(exc, InvalidReferenceError | NotFoundError) or "inactive" in str(exc).lower()):
			return None
		refs: list[tuple[str, str]] = []
		key, party = party_ref(mapped.body)
		if key and party:
			refs.append((key[: -len("Ref")], party))
		for line in mapped.body.get("Line") or []:
			detail = line.get(line.get("DetailType") or "") or line.get("SalesItemLineDetail") or {}
			item = _ref(detail, "ItemRef") if isinstance(detail, dict) else None
			if item and (ITEM, item) not in refs:
				refs.append((ITEM, item))
		found: list[str] = []
		for entity, qbo_id in refs:
			try:
				obj = client.read(entity, qbo_id)
			except NotFoundError:
				obj = {"Id": qbo_id, "Active": False, "deleted": True}
			except QBOError:
				continue
			if obj.get("Active") is not False:
				continue
			link = self.store.find_link(config.realm_id, entity, qbo_id)
			record = (
				f"ERPNext {link.doctype} {link.name}"
				if link
				else f"a record ERPNext does not link ({entity})"
			)
			what = "no longer exists" if obj.get("deleted") else "is inactive"
			name = obj.get("DisplayName") or obj.get("Name") or ""
			found.append(
				f"{record} is linked to QuickBooks {entity} {qbo_id}{' ' + repr(name) if name else ''}, which {what} in QuickBooks"
			)
		if not found:
			return None
		return SyncError(
			exc.code or "610",
			f"{str(exc).rstrip('.')}: {'; '.join(found)}. Make it active in QuickBooks (or merge it there), then "
			"retry this log.",
			retryable=False,
		)

	def _probe(self, doctype: str, doc: dict[str, Any], ctx: MappingContext) -> Mapped:
		"""Map once with placeholder references before creating anything in QBO, so a document with bad
		data (a NaN, an unmapped account, a tax code of another rate, EUR while multicurrency is off) leaves
		no customer or item behind to clean up. The customer and items are checked the same way: their
		mappers run here too, without writing."""
		kind = self.kind(doctype, doc)
		placeholders: dict[str, Any] = {}
		if kind.party is not None:
			placeholders[kind.party.ctx_field] = "0"
		codes = kind.item_codes(doc)
		placeholders["item_refs"] = {
			code: ctx.item_refs.get(code, "0") for code in codes if self._item_exists(code, ctx)
		}
		for needs in kind.needs:
			names = {name for name, _position in self._needed(doc, needs)}
			placeholders[needs.ctx_field] = dict.fromkeys(names, "0")
		probe = replace(ctx, **placeholders)
		self._probe_parties(kind, doc, ctx)
		return map_document(doctype, doc, probe)

	def _item_exists(self, code: str, ctx: MappingContext) -> bool:
		"""Codes the mapper should see as items (a code ERPNext does not have goes to the default item)."""
		return code in ctx.item_income_accounts or self.store.get_doc(ITEM, code) is not None

	def _probe_parties(self, kind: Kind, doc: dict[str, Any], ctx: MappingContext) -> None:
		"""Run the party and item mappers on what a push would create, without writing anything."""
		realm = ctx.realm_id
		party, name = kind.party, kind.party_name(doc)
		link = self.store.get_link(realm, party.doctype, name) if party and name else None
		if party is not None and name and party.map is not None and (link is None or link.state != "synced"):
			record = self.store.get_doc(party.doctype, name)
			if record is not None:
				self._party_body(party, name, record, ctx)
		for code in kind.item_codes(doc):
			link = self.store.get_link(realm, ITEM, code)
			item = self.store.get_doc(ITEM, code)
			if item is not None and (link is None or link.state != "synced"):
				map_item(item, ctx)

	def item_income_accounts(
		self, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, doc: dict[str, Any]
	) -> dict[str, str]:
		"""ERPNext item code -> the QBO income Account id its QBO item books to: kept on the item's link
		(read from QBO once for links made before it was kept), else what the item would be created with."""
		realm = config.realm_id
		accounts: dict[str, str] = {}
		for code in {row.get("item_code") for row in doc.get("items") or [] if row.get("item_code")}:
			link = self.store.get_link(realm, ITEM, code)
			if link is not None and link.state == "synced" and link.qbo_id:
				account = link.pushed.get(INCOME_ACCOUNT_KEY)
				if account is None:
					obj = client.read(ITEM, link.qbo_id)
					account = _ref(obj, "IncomeAccountRef") or ""
					link.pushed[INCOME_ACCOUNT_KEY] = account
					self.store.save_link(link)
				if account:
					accounts[code] = account
				continue
			item = self.store.get_doc(ITEM, code)
			if item is not None:
				account = _ref(map_item(item, ctx).body, "IncomeAccountRef")
				if account:
					accounts[code] = account
		return accounts

	def ensure_account_items(
		self, client: QBOClient, config: ConnectionConfig, ctx: MappingContext, needed: dict[str, str]
	) -> dict[str, str]:
		"""A QBO Service item per ERPNext income account that lines book to when it differs from their
		item's: QBO takes a sales line's account from its item, so this is how the line keeps its account.
		Linked to the ERPNext Account; found by name before creating (a retried create stays single)."""
		realm = config.realm_id
		refs: dict[str, str] = {}
		for qbo_account, account in sorted(needed.items()):
			with self.store.lock(f"{realm}:{ACCOUNT}:{account}"):
				link = self.store.get_link(realm, ACCOUNT, account)
				if link is not None and link.qbo_id and link.state == "synced":
					refs[qbo_account] = link.qbo_id
					continue
				name = account_item_name(account)
				body = {
					"Type": "Service",
					"IncomeAccountRef": {"value": qbo_account},
					"Description": f"Sales booked to ERPNext income account {account}",
				}
				qbo_id, taken = self._claim_name(
					client,
					realm,
					ACCOUNT,
					account,
					ITEM,
					"Name",
					[name, f"{name[:92]} ~{short_hash(account)}"],
					lambda candidate, body=body: dict(body, Name=candidate),
				)
				if qbo_id is None:
					raise SyncError(
						"ACCOUNT_ITEM",
						f"No QuickBooks item can be made for ERPNext income account {account}: "
						+ "; ".join(taken)
						+ ". Rename the QuickBooks items holding those names, then retry this log.",
					)
				linked = self.store.get_link(realm, ACCOUNT, account)
				booked = (linked.pushed if linked else {}).get(INCOME_ACCOUNT_KEY)
				if booked and booked != qbo_account:
					raise SyncError(
						"ACCOUNT_ITEM",
						f"QuickBooks item {qbo_id} '{name}', linked to ERPNext income account {account}, books to "
						f"QuickBooks account {booked}, not {qbo_account} as the QBO Account Map says; change the "
						"item's income account in QuickBooks (or the map), then retry this log.",
					)
				refs[qbo_account] = qbo_id
		return refs

	def open_balances(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		refs: dict[str, str],
		doc: dict[str, Any],
		needs: Needs,
		entity: str,
	) -> dict[str, Decimal]:
		"""Open balances in QBO of the documents a payment pays (one query), so a payment never applies more
		than QBO says is open (ERPNext's stray cent, a payment recorded in QBO): the excess stays unapplied.
		A document voided or deleted in QBO refuses the payment before it is sent: QBO would keep the money
		unapplied while ERPNext says the document is paid. Documents linked to another entity (a credit
		note's CreditMemo, whose id may equal some Invoice id) are left out."""
		open_ = {
			name: qbo_id
			for name, qbo_id in refs.items()
			if (self.store.get_link(config.realm_id, needs.doctype, name) or Link("", "", "", "")).qbo_entity
			== entity
		}
		if not open_:
			return {}
		rows = self.rows(client, Query(entity).where("Id", "IN", sorted(set(open_.values()))))
		by_id = {str(r["Id"]): r for r in rows}
		label = doc_label(doc.get("doctype"), doc["name"])
		for name, idx in self._needed(doc, needs):
			if name not in open_:
				continue
			qbo_id = open_[name]
			row = by_id.get(qbo_id)
			state = "deleted" if row is None else ("voided" if is_voided(row) else None)
			if state is None:
				continue
			link = self.store.get_link(config.realm_id, needs.doctype, name)
			if link is not None and link.state == "synced":
				link.state = state  # type: ignore[assignment]
				self.store.save_link(link)
				self.store.flag_qbo_state(
					needs.doctype, name, state, f"{entity} {qbo_id} is {state} in QuickBooks"
				)
			allocated = next(
				(
					row.get("allocated_amount")
					for row in doc.get(needs.table) or []
					if row.get(needs.name_field) == name
				),
				0,
			)
			raise SyncError(
				f"{entity.upper()}_{state.upper()}",
				f"{label}: {needs.table}[{idx}] {needs.doctype} {name} is {state} in QuickBooks "
				f"({entity} {qbo_id}), so the {money(allocated or 0)} allocated to it could not be "
				f"applied there and would stay unapplied. Nothing was sent. Cancel the {needs.doctype.lower()} "
				"and this payment in ERPNext (or allocate the payment to another one), then retry this log.",
			)
		return {name: money(by_id[qbo_id].get("Balance") or 0) for name, qbo_id in open_.items()}

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
		if mapped.parts:
			return self._write_parts(at, client, config, doctype, doc, mapped, link)
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

	def _write_parts(
		self,
		at: Attempt,
		client: QBOClient,
		config: ConnectionConfig,
		doctype: str,
		doc: dict[str, Any],
		mapped: Mapped,
		link: Link | None,
	) -> SyncResult:
		"""A document that becomes several QBO objects: each part the way one document is sent (a pending link
		with its request id saved first; a pending one looked up before it is sent again; a synced one left
		alone), in order, so a retry after a failure or a crash sends only what is missing."""
		realm = config.realm_id
		created: list[str] = []
		kept: list[str] = []
		for index, part in enumerate(mapped.parts):
			key = (doctype, doc["name"]) if index == 0 else (part.doctype, part.name)
			plink = link if index == 0 else self.store.get_link(realm, *key)
			if plink is not None and plink.state in GONE_STATES:
				continue
			if plink is not None and plink.state == "synced" and plink.qbo_id:
				kept.append(plink.qbo_id)
				continue
			if plink is None:
				plink = Link(
					realm_id=realm,
					doctype=key[0],
					name=key[1],
					qbo_entity=part.mapped.entity,
					request_id=ids.request_id(realm, key[0], key[1], ids.CREATE, 0),
				)
				self.store.save_link(plink)  # pending, BEFORE anything is sent
			else:
				found = self.lookup(client, part.mapped, doc)
				if found is not None:
					self._adopt(plink, found, part.mapped)
					kept.append(plink.qbo_id or "")
					self.note(
						f"{part.mapped.entity} {found['Id']} found in QuickBooks after an interrupted attempt."
					)
					continue
			obj = self.create(client, plink, part.mapped, doc)
			self._adopt(plink, obj, part.mapped, pushed_from=part.mapped.body)
			created.append(str(obj["Id"]))
			if index == 0:
				at.qbo_id = plink.qbo_id
		at.qbo_id = at.qbo_id or (link.qbo_id if link else None) or (created or kept or [None])[0]
		entity = mapped.entity
		notes = f" Notes: {'; '.join(mapped.warnings)}" if mapped.warnings else ""
		if not created:
			return at.finish(
				"Skipped",
				f"Already in QuickBooks as {entity} {', '.join(kept)}; nothing changed.{notes}",
				action="unchanged",
			)
		there = f"; {len(kept)} already there ({', '.join(kept)})" if kept else ""
		return at.finish(
			"Success",
			f"Created {len(created)} {entity} ({', '.join(created)}) in QuickBooks{there}.{notes}",
			action="created",
		)

	def create(self, client: QBOClient, link: Link, mapped: Mapped, doc: dict[str, Any]) -> dict[str, Any]:
		"""Create with the link's requestid; a refusal frees the next attempt to use a fresh one."""
		try:
			return client.create(mapped.entity, mapped.body, request_id=link.request_id)
		except DuplicateDocNumberError as exc:
			found = self.lookup(client, mapped, doc)
			if found is not None:
				return found
			self._next_generation(link)
			number = mapped.body.get("DocNumber")
			label = doc_label(link.doctype, link.name)
			original = doc.get("amended_from")
			held = self.store.get_link(link.realm_id, link.doctype, original) if original else None
			if held is not None and held.qbo_id and held.state not in GONE_STATES:
				# An amendment keeping the number (a supplier's bill number) while the document it amends is
				# still in QBO: its cancel is queued or on its way; once done, this goes through.
				raise SyncError(
					exc.code or "6140",
					f"{label}: its number {number} is still held in QuickBooks by {held.qbo_entity} {held.qbo_id} "
					f"of {original}, which it amends and which is cancelled there first; this document is sent "
					"again once that is done.",
					retryable=True,
				) from exc
			kind = kinds.of(link.doctype, doc)
			if kind is not None and kind.number_taken:
				message = kind.number_taken.format(
					label=label, entity=mapped.entity, number=number, code=exc.code or "6140"
				)
			else:
				message = (
					f"{label}: QuickBooks already has another {mapped.entity} numbered {number} that is not this "
					"document (another customer's, or entered in QuickBooks), so it was not sent. Set an Invoice "
					f"Number Prefix on the QuickBooks connection, or renumber that {mapped.entity} in QuickBooks, "
					f"then retry this log (code {exc.code or '6140'})."
				)
			raise SyncError(exc.code or "6140", message) from exc
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
		# what was done after an earlier create (a deposit attempted, a PDF attached) is kept
		kept = {k: v for k, v in link.pushed.items() if k in (DEPOSIT_KEY, AFTER_KEY)}
		link.pushed = {**kept, **{k: source.get(k) for k in mapped.updatable if k in source}}
		self.store.save_link(link)

	def _total_verdict(self, mapped: Mapped, qbo_total: Any) -> tuple[LogStatus, str]:
		"""("Success"|"Warning", sentence) comparing QBO's TotalAmt with ERPNext's expected total: equal is
		Success; within the mapping's rounding tolerance Success with a note; beyond it a Warning naming the
		cause found or saying it is unexplained. Money a payment could not apply is always a Warning."""
		if mapped.expected_total is None:
			return "Success", ""
		expected = money(abs(mapped.expected_total))
		actual = money(abs(money(qbo_total or 0)))
		unapplied = ""
		if mapped.left_unapplied > 0:
			unapplied = (
				f"; {money(mapped.left_unapplied)} allocated in ERPNext stays unapplied in QuickBooks (more than "
				"the invoices' open balance there)"
			)
		if expected == actual:
			return ("Warning" if unapplied else "Success"), f"total {actual} matches ERPNext{unapplied}"
		if abs(expected - actual) <= mapped.tolerance:
			return ("Warning" if unapplied else "Success"), (
				f"total {actual} is within the {mapped.tolerance} rounding tolerance of ERPNext's {expected} ("
				+ explain_difference(mapped, actual).rstrip(".")
				+ f"){unapplied}"
			)
		return "Warning", explain_difference(mapped, actual).rstrip(".") + unapplied

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
		if mapped.after is not None and link.state == "synced" and not link.pushed.get(AFTER_KEY):
			status, message, action = self._after(at, link, mapped, status, message, action)
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

	def _after(
		self, at: Attempt, link: Link, mapped: Mapped, status: LogStatus, message: str, action: str
	) -> tuple[LogStatus, str, str]:
		"""What a kind does once its object is in QBO (attach the QBO invoice PDF), once per link: a failure
		leaves the push itself standing, makes the row a Warning saying so, and is tried again by the next
		push of the document (Push to QuickBooks, Sync Now)."""
		assert mapped.after is not None
		stack = self._local.__dict__.setdefault("stack", [])
		stack.append(at)  # its HTTP exchanges belong on this row
		try:
			sentence = mapped.after(self, self.client(link.realm_id), link)
		except Exception as exc:  # noqa: BLE001 - the document is in QBO; only the extra step failed
			failure = classify(exc)
			return "Warning", f"{message.rstrip('.')}. But {failure.message}", action
		finally:
			stack.pop()
		if action == "unchanged":
			return (
				"Success",
				f"{mapped.entity} {link.qbo_id} was already in QuickBooks. {sentence}",
				"updated",
			)
		return status, f"{message} {sentence}", action

	def _update_linked(
		self, at: Attempt, client: QBOClient, link: Link, mapped: Mapped, note: str = ""
	) -> SyncResult:
		"""A linked document is never created again: send only what changed, with its SyncToken."""
		at.qbo_id = link.qbo_id
		want = {k: mapped.body[k] for k in mapped.updatable if k in mapped.body}
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
		"""Find a create that may have landed: by DocNumber, else by party and date with our name at the
		head of the PrivateNote (QBO may renumber when custom transaction numbers are off). Only objects of
		the same party count, so a manual invoice that happens to carry our number is not adopted."""
		body = mapped.body
		key, party = party_ref(body)
		rows: list[dict[str, Any]] = []
		if body.get("DocNumber") and self.finds_by_number(doc):
			rows = self.rows(client, Query(mapped.entity).where("DocNumber", "=", body["DocNumber"]))
			rows = [r for r in rows if _ours(r, party, key)]
		if not rows:
			rows = self.lookup_by_note(client, mapped, doc)
		if not rows:
			return None
		return min(rows, key=lambda r: int(r["Id"]) if str(r["Id"]).isdigit() else 0)

	@staticmethod
	def finds_by_number(doc: dict[str, Any]) -> bool:
		"""Whether a document's QBO object is found again by its DocNumber: not when the number is someone
		else's (a bill carries the supplier's invoice number, which a bill typed into QBO may share)."""
		kind = kinds.of(doc.get("doctype"), doc)
		return kind is None or "DocNumber" in kind.lookup

	def lookup_by_note(self, client: QBOClient, mapped: Mapped, doc: dict[str, Any]) -> list[dict[str, Any]]:
		"""Objects of the party on the document's date whose PrivateNote starts with our marker (or whose
		marker_field holds the mapping's own marker)."""
		key, party = party_ref(mapped.body)
		if not key or not party:
			return []
		query = Query(mapped.entity)
		if mapped.party_filterable:
			query.where(key, "=", party)
		if mapped.body.get("TxnDate"):
			query.where("TxnDate", "=", mapped.body["TxnDate"])
		elif not mapped.party_filterable:
			return []
		if mapped.marker:
			return [
				r
				for r in self.rows(client, query)
				if mapped.marker in str(r.get(mapped.marker_field) or "") and _ours(r, party, key)
			]
		marker = f"ERPNext {doc.get('doctype')} {doc['name']}"
		return [r for r in self.rows(client, query) if _note_head(r) == marker and _ours(r, party, key)]

	# -- dependencies ---------------------------------------------------------------------------------
	def ensure_party(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		ctx: MappingContext,
		kind: Kind,
		doc: dict[str, Any],
	) -> str:
		"""The QBO id of the document's party (customer, vendor): see _ensure_party."""
		assert kind.party is not None
		return self._ensure_party(
			client,
			config,
			ctx,
			kind.party,
			kind.party_name(doc),
			doc.get("doctype") or kind.doctype,
			doc["name"],
			kind.party_field or kind.party.label,
		)

	def _party_body(
		self, party: Party, name: str, record: dict[str, Any], ctx: MappingContext
	) -> dict[str, Any]:
		"""The QBO body a party is created with (its mapper checks it: also the probe's check)."""
		assert party.map is not None
		address = self.store.get_primary_address(name, party.doctype)
		contact = self.store.get_primary_contact(name, party.doctype)
		return party.map(record, ctx, address, contact).body

	def _ensure_party(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		ctx: MappingContext,
		party: Party | None,
		record_name: str | None,
		doctype: str,
		name: str,
		field: str,
	) -> str:
		"""The QBO id of a party: stored link, else an unlinked QBO record of the same DisplayName (adopted,
		and the log row says so), else a new one.

		A DisplayName is taken when QBO holds it (case-insensitively) for a record linked to another ERPNext
		record, or answers 6240 (a Customer, Vendor or Employee, perhaps inactive, holds it: they share one
		name space): the next candidate appends the ERPNext ID. The query before each create is also the
		look-up that makes a retried create safe, and each candidate keeps its own request id.
		"""
		assert party is not None
		if not record_name:
			raise MappingError(doctype, name, field, f"no {party.label} is set")
		realm = config.realm_id
		with self.store.lock(f"{realm}:{party.doctype}:{record_name}"):
			link = self.store.get_link(realm, party.doctype, record_name)
			if link is not None and link.qbo_id and link.state == "synced":
				return link.qbo_id
			record = self.store.get_doc(party.doctype, record_name)
			if record is None:
				raise MappingError(
					doctype, name, field, f"{party.label} {record_name!r} does not exist in ERPNext"
				)
			if party.map is None or party.candidates is None:
				raise MappingError(
					doctype,
					name,
					field,
					f"{party.label} {record_name!r} is not linked to a QuickBooks {party.entity}; link it first",
				)
			body = self._party_body(party, record_name, record, ctx)
			qbo_id, taken = self._claim_name(
				client,
				realm,
				party.doctype,
				record_name,
				party.entity,
				party.name_field,
				party.candidates(record),
				lambda candidate: dict(body, **{party.name_field: candidate}),
			)
		if qbo_id is not None:
			return qbo_id
		raise MappingError(
			party.doctype,
			record_name,
			party.title_field or "name",
			"every QuickBooks display name tried is taken ("
			+ "; ".join(taken)
			+ f"); rename the {party.label} "
			"or the QuickBooks record",
		)

	def ensure_items(
		self,
		client: QBOClient,
		config: ConnectionConfig,
		ctx: MappingContext,
		doc: dict[str, Any],
		table: str = "items",
		skip: tuple[str, ...] = (),
	) -> dict[str, str]:
		"""QBO Item ids of the invoice's item codes: link, else an unlinked QBO item of the same Name
		(adopted, and logged), else a new Service/NonInventory item; a Name linked to another ERPNext item
		or refused with 6240 gets the collision rule (item_name_candidates). Lines without an item code use
		the default item from settings (mapping applies it)."""
		realm = config.realm_id
		refs: dict[str, str] = {}
		for position, row in enumerate(doc.get(table) or [], start=1):
			code = row.get("item_code")
			if not code or code in refs or any(row.get(field) for field in skip):
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
						doc.get("doctype") or "",
						doc["name"],
						f"{table}[{row.get('idx') or position}].item_code",
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

	@staticmethod
	def _needed(doc: dict[str, Any], needs: Needs) -> list[tuple[str, int]]:
		"""(name, row number) of the documents of needs.doctype a document's rows refer to."""
		out = []
		for position, row in enumerate(doc.get(needs.table) or [], start=1):
			if row.get(needs.doctype_field) == needs.doctype and row.get(needs.name_field):
				out.append((str(row[needs.name_field]), int(row.get("idx") or position)))
		return out

	def ensure_documents(self, config: ConnectionConfig, doc: dict[str, Any], needs: Needs) -> dict[str, str]:
		"""QBO ids of the documents a document refers to (a payment's invoices, a bill payment's bills); one
		not sent yet is sent first, on its own log row."""
		refs: dict[str, str] = {}
		label = doc_label(doc.get("doctype"), doc["name"])
		for other, idx in self._needed(doc, needs):
			link = self.store.get_link(config.realm_id, needs.doctype, other)
			if link is None or link.state != "synced" or not link.qbo_id:
				result = self._push(needs.doctype, other)
				link = self.store.get_link(config.realm_id, needs.doctype, other)
				if link is None or link.state != "synced" or not link.qbo_id:
					raise SyncError(
						"DEPENDENCY",
						f"{label}: {needs.table}[{idx}] {needs.doctype} {other} is not in QuickBooks yet: "
						f"{result.message}",
						retryable=result.retryable,
					)
			refs[other] = link.qbo_id
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
		if entity == ITEM and _ref(obj, "IncomeAccountRef"):
			link.pushed[INCOME_ACCOUNT_KEY] = _ref(obj, "IncomeAccountRef")
		self.store.save_link(link)
		return link

	# -- cancel ---------------------------------------------------------------------------------------
	def cancel(self, doctype: str, name: str) -> SyncResult:
		"""A cancelled ERPNext document cancels its QBO twin as its kind says (void, delete, close); never
		linked -> Skipped."""
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
			return at.finish("Skipped", f"{label} is not cancelled in ERPNext; nothing to cancel.")
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
			if link.state in GONE_STATES:
				return at.finish("Skipped", f"{label} is already {link.state} in QuickBooks.")
			client = self.client(realm)
			kind = self._kind_of_link(link, doc)
			if link.state == "pending" or not link.qbo_id:
				found = self._lookup_pending(client, config, doctype, doc, link)
				if found is None:
					link.state = "voided"
					self.store.save_link(link)
					return at.finish("Skipped", f"{label} never reached QuickBooks; nothing to cancel.")
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
				result = self._void(at, client, link, label, removed, kind, rows=(config, doc))
				return result
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
		"""For a create that may have landed: find it without creating parties or items on the way, by the
		kind's look-up key (its DocNumber with the party when it has one, else party, date and memo)."""
		if doc is None:
			return None
		kind = self._kind_of_link(link, doc)
		if kind is None:
			return None
		body: dict[str, Any] = {"TxnDate": iso_date(doc.get(kind.date_field))}
		party_id = None
		if kind.party is not None and kind.party_name(doc):
			party = self.store.get_link(config.realm_id, kind.party.doctype, kind.party_name(doc) or "")
			party_id = party.qbo_id if party is not None and party.state == "synced" else None
			if party_id:
				body[kind.party.ref] = {"value": party_id}
		if "DocNumber" in kind.lookup and kind.number is not None:
			body["DocNumber"] = kind.number(doc, config)
		if not body.get("DocNumber") and not party_id:
			return None
		located = kind.locate(doc, link.doctype, link.name) if kind.locate is not None else None
		if located is not None:  # one object of several: its own date and marker
			located.body.update({k: v for k, v in body.items() if k != "TxnDate" or not located.body.get(k)})
			return self.lookup(client, located, doc)
		return self.lookup(client, Mapped(entity=link.qbo_entity, body=body), doc)

	def _cancel_rows(
		self, client: QBOClient, config: ConnectionConfig, kind: Kind | None, doc: dict[str, Any] | None
	) -> str:
		"""Cancel the objects a document's rows became (a timesheet's other time logs) as its kind says; the
		sentence for the log row. A row whose create may have landed is looked up first."""
		if kind is None or not kind.rows or not kind.row_doctype or doc is None:
			return ""
		done: list[str] = []
		for row in doc.get(kind.rows) or []:
			link = self.store.get_link(config.realm_id, kind.row_doctype, str(row.get("name")))
			if link is None or link.state in GONE_STATES:
				continue
			if link.state == "pending" or not link.qbo_id:
				found = self._lookup_pending(client, config, kind.doctype, doc, link)
				if found is None:
					link.state = "voided"
					self.store.save_link(link)
					continue
				link.qbo_id, link.sync_token, link.state = (
					str(found["Id"]),
					str(found.get("SyncToken")),
					"synced",
				)
				self.store.save_link(link)
			operation = kind.cancel[0]
			obj = self._cancel_once(client, link, operation, kind)
			link.state = "deleted" if obj.get("status") == "Deleted" else CANCEL_STATES[operation]
			link.sync_token = str(obj.get("SyncToken", link.sync_token))
			link.last_synced = self.clock()
			self.store.save_link(link)
			done.append(str(link.qbo_id))
		if not done:
			return ""
		return f" Also {CANCEL_WORDS[CANCEL_STATES[kind.cancel[0]]].lower()} {kind.entity} {', '.join(done)}."

	@staticmethod
	def _kind_of_link(link: Link, doc: dict[str, Any] | None) -> Kind | None:
		"""The kind a link was made by: the document's, else the one making the link's QBO entity."""
		return kinds.of(link.doctype, doc) or kinds.by_entity(link.qbo_entity, link.doctype)

	def _void(
		self,
		at: Attempt,
		client: QBOClient,
		link: Link,
		label: str,
		before: str = "",
		kind: Kind | None = None,
		rows: tuple[ConnectionConfig, dict[str, Any] | None] | None = None,
	) -> SyncResult:
		"""Cancel in QBO as the kind says, trying its operations in order: void; delete (a credit memo where
		QBO does not void it, no 6540 involved; a bill, which QBO cannot void); or a sparse update that
		closes the object (a purchase order's POStatus Closed)."""
		kind = kind or self._kind_of_link(link, None)
		operations = kind.cancel if kind is not None else ("void",)
		obj: dict[str, Any] = {}
		done = operations[0]
		for operation in operations:
			try:
				obj = self._cancel_once(client, link, operation, kind)
				done = operation
				break
			except QBOError as exc:
				if exc.code == PAYMENT_APPLIED_CODE:
					raise self._payment_applied(label, link) from exc
				# A refusal (HTTP 400, e.g. "Unsupported Operation", Fault code 500) moves on to the next.
				if operation == operations[-1] or exc.status != 400:
					raise
		state: LinkState = "deleted" if obj.get("status") == "Deleted" else CANCEL_STATES[done]
		link.state = state
		link.sync_token = str(obj.get("SyncToken", link.sync_token))
		if state != "closed":
			link.remote_total = money(obj.get("TotalAmt") or 0)
		link.remote_updated = updated_at(obj) or link.remote_updated
		link.last_synced = self.clock()
		self.store.save_link(link)
		at.response = obj
		word = (kind.cancel_word if kind is not None and state == "closed" else "") or CANCEL_WORDS[state]
		how = ""
		if state == "closed" and kind is not None:
			how = " (" + ", ".join(f"{key} {value}" for key, value in kind.cancel_fields.items()) + ")"
		message = f"{word} {link.qbo_entity} {link.qbo_id} in QuickBooks{how}."
		if rows is not None:
			message += self._cancel_rows(client, rows[0], kind, rows[1])
		if kind is not None and kind.cancel_note:
			message += f" {kind.cancel_note}"
		return at.finish("Success", f"{before} {message}" if before else message, action=state)

	def _cancel_once(
		self, client: QBOClient, link: Link, operation: str, kind: Kind | None
	) -> dict[str, Any]:
		if operation != "update":
			return self._void_once(client, link, ids.VOID if operation == "void" else ids.DELETE)
		assert kind is not None and link.qbo_id is not None
		try:
			return self.sparse_update(client, link, dict(kind.cancel_fields))
		except NotFoundError:
			return {"Id": link.qbo_id, "status": "Deleted"}

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
