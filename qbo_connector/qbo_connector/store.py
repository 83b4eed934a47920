"""FrappeStore: the sync engine's Store over this site's database (sync/store.py is the contract).

Three rules shape everything here:

* Every write commits before it returns. The engine saves a `pending` link before it sends a create; that
  promise is only worth something if a crash a second later cannot roll the link back.
* Reads inside `lock()` see what other workers committed. MariaDB's REPEATABLE READ would otherwise show a
  worker the snapshot its transaction started with, so taking a lock commits (which starts a new snapshot).
* Documents made from QBO (customers, items, payment entries) are written with `frappe.flags.qbo_from_pull`
  set, and payment entries carry `qbo_payment_id`, so our own doc_events never push them back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import flt, get_datetime, get_system_timezone, getdate, nowdate
from frappe.utils.background_jobs import get_redis_conn
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from qbo_connector.mapping.context import tax_codes_from_json, tax_codes_to_json
from qbo_connector.mapping.money import q2
from qbo_connector.qbo.constants import canonical_entity
from qbo_connector.qbo_connector.doctype.qbo_account_map.qbo_account_map import (
	get_account_map,
	get_default_account,
)
from qbo_connector.qbo_connector.doctype.qbo_class_and_location_map.qbo_class_and_location_map import (
	get_class_map,
	get_location_map,
)
from qbo_connector.qbo_connector.doctype.qbo_link.qbo_link import qbo_key, ref_key
from qbo_connector.qbo_connector.doctype.qbo_tax_map.qbo_tax_map import get_tax_map
from qbo_connector.qbo_connector.install import DOC_NUMBER_FIELD, INVOICE_REF_FIELD, PAYMENT_ID_FIELD
from qbo_connector.qbo_connector.locks import LockTimeout, redis_lock
from qbo_connector.qbo_connector.qbo_refs import display_name, names_in, sent_number
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.status import (
	DOCUMENT_OPERATIONS,
	STATUS_DOCTYPES,
	publish_document_states,
	refresh_document,
	set_reference_status,
)
from qbo_connector.sync import kinds
from qbo_connector.sync.identity import DuplicateLink, find_duplicate_links
from qbo_connector.sync.outcome import LOCKED_CODE, LinkConflictError, SyncError
from qbo_connector.sync.store import (
	CUSTOMER,
	ITEM,
	PAYMENT_ENTRY,
	SALES_INVOICE,
	SUPPLIER,
	TXN_DATE_INVOICE_PERIOD,
	TXN_DATE_POSTING,
	CompanyMode,
	ConnectionConfig,
	Link,
	LogEntry,
	LogOutcome,
)

LINK = "QBO Link"
# QBO Connection's Classes in QuickBooks <-> CompanyMode.class_tracking (mapping/dimensions.py)
CLASS_TRACKING_LABELS = {"none": "", "txn": "Per Transaction", "line": "Per Line"}
CLASS_TRACKING_VALUES = {label: value for value, label in CLASS_TRACKING_LABELS.items()}
LOG = "QBO Sync Log"
FROM_PULL_FLAG = "qbo_from_pull"

# Link.state <-> QBO Link.state ("Flagged" is set by people, not the engine: it still points at QBO).
LINK_STATES = {
	"pending": "Pending",
	"synced": "Synced",
	"voided": "Voided",
	"deleted": "Deleted",
	"closed": "Closed",
}
LINK_STATES_BACK = {value: key for key, value in LINK_STATES.items()}
ORIGINS = {"push": "Push", "pull": "Pull"}
# LogEntry.status <-> QBO Sync Log.status: the engine's "Started" is the form's "Running".
LOG_STATUSES = {"Started": "Running"}
LOG_STATUSES_BACK = {"Running": "Started", "Queued": "Started"}
# Rows whose work has not ended (a webhook row waits "Queued" for its job): what the sweep looks at.
OPEN_STATUSES = ("Running", "Queued")
# RQ job states in which the job's worker may still be at work on the rows it opened.
LIVE_JOB_STATES = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
DIRECTIONS = {"pull": "Pull", "pull_entity": "Pull", "webhook": "Webhook"}
# What the engine can re-run (SyncEngine._rerun); the scheduler looks at nothing else.
RERUN_OPERATIONS = ("push", "cancel", "pull", "pull_entity")
# A pull_entity row names a QBO object, not an ERPNext document: it lives in qbo_entity / qbo_id.
QBO_NAMED_OPERATIONS = ("pull_entity",)

EVENT_TTL = 7 * 24 * 3600  # Intuit redelivers for a few days at most
LOCK_TIMEOUT = 300  # seconds a crashed holder can keep others out of one document
PULL_LOCK_TIMEOUT = 1800  # a first full pull of a big QBO company takes a while
LOCK_WAIT = 120  # seconds a worker waits before its attempt fails (retryable) and is retried later

CONNECTION_FIELDS = (
	"name",
	"enabled",
	"status",
	"realm_id",
	"push_invoices_on_submit",
	"push_payments",
	"reconcile_qbo_payments",
	"cancel_pulled_payments",
	"pull_invoices",
	"cancel_pulled_invoices",
	"txn_date_from",
	"auto_push_hours",
	"pull_interval_minutes",
	"create_deposits",
	"attach_invoice_pdf",
	"deposit_bank_account",
	"invoice_number_prefix",
	"default_item",
	"default_tax_code",
	"payments_deposit_account",
	"default_income_account",
	"default_expense_account",
	"payables_account",
	"discount_account",
	"rounding_item",
	"us_tax_code",
	"exempt_tax_code",
	"absorb_cent_differences",
	"qbo_country",
	"is_us_company",
	"home_currency",
	"multicurrency_enabled",
	"custom_txn_numbers",
	"automated_sales_tax",
	"auto_apply_credits",
	"facts_refreshed_at",
	"tax_code_rates",
	"class_tracking",
	"track_locations",
	"location_label",
	"location_field",
	"default_class",
	"default_location",
)
# What reconciliation compares (sync/reconcile.py); fields a doctype lacks are left out.
RECONCILE_FIELDS = (
	"name",
	"docstatus",
	"posting_date",
	"currency",
	"is_return",
	"grand_total",
	"rounded_total",
	"disable_rounded_total",
	"outstanding_amount",
	"payment_type",
	"party_type",
	"paid_amount",
	"unallocated_amount",
	"paid_from_account_currency",
)
# The document kinds' switches (sync/kinds): each is a Check on QBO Connection named like the
# ConnectionConfig attribute it fills.
KIND_SWITCHES = tuple(
	name
	for name in dict.fromkeys(
		name for kind in kinds.KINDS for name in (kind.switch, kind.submit_switch) if name
	)
	if name not in CONNECTION_FIELDS
)
CONNECTION_FIELDS = CONNECTION_FIELDS + KIND_SWITCHES
LINK_FIELDS = (
	"name",
	"realm_id",
	"reference_doctype",
	"reference_name",
	"qbo_entity",
	"qbo_id",
	"sync_token",
	"request_id",
	"state",
	"last_synced",
	"qbo_total",
	"remote_updated",
	"origin",
	"generation",
	"pushed",
)


# -- time ----------------------------------------------------------------------------------------------------


def to_db_datetime(value: datetime | None) -> datetime | None:
	"""An aware datetime as Frappe stores Datetime fields: naive, in the site's time zone."""
	if value is None:
		return None
	if value.tzinfo is None:
		return value
	return value.astimezone(ZoneInfo(get_system_timezone())).replace(tzinfo=None)


def from_db_datetime(value: Any) -> datetime | None:
	"""A Datetime field value (naive, site time zone) as an aware UTC datetime, as the engine uses them."""
	if not value:
		return None
	parsed = get_datetime(value)
	if parsed.tzinfo is None:
		parsed = parsed.replace(tzinfo=ZoneInfo(get_system_timezone()))
	return parsed.astimezone(timezone.utc)


def _parse_iso(value: Any) -> datetime | None:
	if not value:
		return None
	parsed = datetime.fromisoformat(str(value))
	return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _plain(doc: Any) -> dict[str, Any]:
	"""doc.as_dict() with dates, times and decimals as strings and floats, like the ERPNext fixtures."""
	return json.loads(json.dumps(doc.as_dict(no_default_fields=False), default=str))


def payment_key(realm_id: str | None, qbo_payment_id: str) -> str:
	"""What Payment Entry.qbo_payment_id holds: QBO ids are per QBO company, so the realm is part of it
	(payment 42 of one QBO company is not payment 42 of another)."""
	return f"{realm_id}:{qbo_payment_id}"


@contextmanager
def from_pull() -> Iterator[None]:
	"""Mark ERPNext writes made from QBO data, so events.py does not send them straight back."""
	previous = frappe.flags.get(FROM_PULL_FLAG)
	frappe.flags[FROM_PULL_FLAG] = True
	try:
		yield
	finally:
		frappe.flags[FROM_PULL_FLAG] = previous


class FrappeStore:
	"""sync.store.Store over frappe.db and the QBO doctypes. One instance per job is plenty."""

	def __init__(self, commit: bool = True) -> None:
		self._commit_enabled = commit
		self._companies: dict[str, str | None] = {}

	def commit(self) -> None:
		"""Make a write durable now (see the module docstring); tests may switch it off."""
		if self._commit_enabled:
			frappe.db.commit()

	# -- connection -------------------------------------------------------------------------------------
	def get_config(self, company: str) -> ConnectionConfig | None:
		row = frappe.db.get_value(CONNECTION, company, CONNECTION_FIELDS, as_dict=True)
		return self._config(row)

	def get_config_for_realm(self, realm_id: str) -> ConnectionConfig | None:
		rows = frappe.get_all(
			CONNECTION,
			filters={"realm_id": str(realm_id), "status": ("!=", "Not connected")},
			fields=list(CONNECTION_FIELDS),
			order_by="enabled desc, modified desc",
			limit=1,
		)
		return self._config(rows[0] if rows else None)

	def _config(self, row: Any) -> ConnectionConfig | None:
		if not row or not row.realm_id or row.status == "Not connected":
			return None
		company = row.name
		mode = None
		if row.facts_refreshed_at:
			mode = CompanyMode(
				country=row.qbo_country or ("US" if row.is_us_company else ""),
				home_currency=row.home_currency or "USD",
				multicurrency=bool(row.multicurrency_enabled),
				custom_txn_numbers=bool(row.custom_txn_numbers),
				automated_sales_tax=bool(row.automated_sales_tax),
				auto_apply_credits=bool(row.auto_apply_credits),
				fetched_at=from_db_datetime(row.facts_refreshed_at),
				tax_codes=tax_codes_from_json(row.tax_code_rates),
				class_tracking=CLASS_TRACKING_VALUES.get(row.class_tracking or "", "none"),
				track_locations=bool(row.track_locations),
				location_label=row.location_label or "Location",
			)
		config = ConnectionConfig(
			company=company,
			realm_id=str(row.realm_id),
			enabled=bool(row.enabled),
			push_invoices_on_submit=bool(row.push_invoices_on_submit),
			push_payments=bool(row.push_payments),
			reconcile_payments=bool(row.reconcile_qbo_payments),
			cancel_pulled_payments=bool(row.cancel_pulled_payments),
			pull_invoices=bool(row.pull_invoices),
			cancel_pulled_invoices=bool(row.cancel_pulled_invoices),
			txn_date_mode=TXN_DATE_INVOICE_PERIOD
			if row.txn_date_from == "Invoice Period"
			else TXN_DATE_POSTING,
			auto_push_hours=float(row.auto_push_hours or 0),
			pull_interval_minutes=int(row.pull_interval_minutes or 0),
			create_deposits=bool(row.create_deposits),
			attach_invoice_pdf=bool(row.attach_invoice_pdf),
			deposit_bank_account=row.deposit_bank_account or None,
			doc_number_prefix=row.invoice_number_prefix or "",
			default_item=row.default_item or None,
			default_tax_code=row.default_tax_code or None,
			deposit_account=row.payments_deposit_account or None,
			# The connection's own pickers win; the Account Map's default rows are the fallback.
			default_income_account=row.default_income_account or get_default_account(company, "Income"),
			default_expense_account=row.default_expense_account or None,
			payables_account=row.payables_account or None,
			discount_account=row.discount_account or get_default_account(company, "Discount"),
			rounding_item=row.rounding_item or None,
			us_tax_code=row.us_tax_code or None,
			exempt_tax_code=row.exempt_tax_code or None,
			absorb_cent_differences=bool(row.absorb_cent_differences),
			account_map=get_account_map(company),
			tax_map=get_tax_map(company),
			class_map=get_class_map(company),
			location_map=get_location_map(company),
			default_class=row.default_class or None,
			default_location=row.default_location or None,
			location_field=(row.location_field or "branch").strip(),
			company_mode=mode,
		)
		for name in KIND_SWITCHES:
			setattr(config, name, bool(row.get(name)))
		return config

	def save_company_mode(self, company: str, mode: CompanyMode) -> None:
		from qbo_connector.qbo_connector.client import US_NAMES

		frappe.db.set_value(
			CONNECTION,
			company,
			{
				"qbo_country": mode.country,
				"is_us_company": int(mode.country.upper() in US_NAMES),
				"home_currency": mode.home_currency,
				"multicurrency_enabled": int(mode.multicurrency),
				"custom_txn_numbers": int(mode.custom_txn_numbers),
				"automated_sales_tax": int(mode.automated_sales_tax),
				"auto_apply_credits": int(mode.auto_apply_credits),
				"facts_refreshed_at": to_db_datetime(mode.fetched_at) or frappe.utils.now_datetime(),
				"tax_code_rates": tax_codes_to_json(mode.tax_codes),
				"class_tracking": CLASS_TRACKING_LABELS.get(mode.class_tracking, ""),
				"track_locations": int(mode.track_locations),
				"location_label": mode.location_label,
			},
			update_modified=False,
		)
		self.commit()

	def _company_of_realm(self, realm_id: str | None) -> str | None:
		if not realm_id:
			return None
		if realm_id not in self._companies:
			self._companies[realm_id] = frappe.db.get_value(CONNECTION, {"realm_id": realm_id}, "name")
		return self._companies[realm_id]

	# -- documents --------------------------------------------------------------------------------------
	def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
		if not name or not frappe.db.exists(doctype, name):
			return None
		return _plain(frappe.get_doc(doctype, name))

	def get_primary_address(self, party: str, party_type: str = CUSTOMER) -> dict[str, Any] | None:
		from frappe.contacts.doctype.address.address import get_default_address

		field = f"{party_type.lower()}_primary_address"
		meta = frappe.get_meta(party_type)
		name = (
			frappe.db.get_value(party_type, party, field) if meta.has_field(field) else None
		) or get_default_address(party_type, party)
		return self.get_doc("Address", name) if name else None

	def get_primary_contact(self, party: str, party_type: str = CUSTOMER) -> dict[str, Any] | None:
		from frappe.contacts.doctype.contact.contact import get_default_contact

		field = f"{party_type.lower()}_primary_contact"
		meta = frappe.get_meta(party_type)
		name = (
			frappe.db.get_value(party_type, party, field) if meta.has_field(field) else None
		) or get_default_contact(party_type, party)
		return self.get_doc("Contact", name) if name else None

	def list_unsynced(
		self,
		company: str,
		doctype: str,
		submitted_before: datetime,
		filters: dict[str, Any] | None = None,
	) -> list[str]:
		"""Per kind (sync/kinds): a kind's list_filters, or every kind of the doctype when filters is None."""
		config = self.get_config(company)
		doctype_kinds = kinds.for_doctype(doctype)
		if config is None or not doctype_kinds:
			return []
		if filters is None:
			names: dict[str, None] = {}
			for kind in doctype_kinds:
				for name in self.list_unsynced(company, doctype, submitted_before, kind.list_filters()):
					names.setdefault(name)
			return list(names)
		table = frappe.qb.DocType(doctype)
		link = frappe.qb.DocType(LINK)
		synced = (
			frappe.qb.from_(link)
			.select(link.reference_name)
			.where(
				(link.realm_id == config.realm_id)
				& (link.reference_doctype == doctype)
				& (link.state != "Pending")
			)
		)
		query = (
			frappe.qb.from_(table)
			.select(table.name)
			.where(
				(table.company == company)
				& (table.docstatus == 1)
				& (table.modified <= to_db_datetime(submitted_before))
			)
			.where(table.name.notin(synced))
			.orderby(table[doctype_kinds[0].date_field])
			.orderby(table.name)
		)
		# The kind's filters: which documents of the doctype go (money received from customers), and
		# not_pulled as "not set" (entries made from QBO payments stay here).
		for field, want in filters.items():
			if want is None:
				query = query.where(table[field].isnull() | (table[field] == ""))
			else:
				query = query.where(table[field] == want)
		return [row[0] for row in query.run()]

	def list_documents(
		self,
		company: str,
		doctype: str,
		from_date: str,
		to_date: str,
		filters: dict[str, Any] | None = None,
		date_field: str = "posting_date",
	) -> list[dict[str, Any]]:
		query: dict[str, Any] = {
			"company": company,
			"docstatus": ("in", (1, 2)),
			date_field: ("between", (from_date, to_date)),
		}
		for field, want in (filters or {}).items():
			query[field] = ("is", "not set") if want is None else want
		meta = frappe.get_meta(doctype)
		wanted = list(
			dict.fromkeys(
				field
				for field in (*RECONCILE_FIELDS, date_field, *(filters or {}))
				if field in ("name", "docstatus") or meta.has_field(field)
			)
		)
		rows = frappe.get_all(
			doctype,
			filters=query,
			fields=wanted,
			order_by=f"{date_field} asc, name asc",
			limit_page_length=0,
		)
		return [json.loads(json.dumps(row, default=str)) for row in rows]

	# -- links ------------------------------------------------------------------------------------------
	def get_link(self, realm_id: str, doctype: str, name: str) -> Link | None:
		row = frappe.db.get_value(
			LINK, {"ref_key": ref_key(realm_id, doctype, name)}, LINK_FIELDS, as_dict=True
		)
		return self._link(row)

	def find_link(self, realm_id: str, qbo_entity: str, qbo_id: str) -> Link | None:
		key = qbo_key(realm_id, qbo_entity, str(qbo_id))
		row = frappe.db.get_value(LINK, {"qbo_key": key}, LINK_FIELDS, as_dict=True) if key else None
		return self._link(row)

	@staticmethod
	def _link(row: Any) -> Link | None:
		if not row:
			return None
		state = LINK_STATES_BACK.get(row.state) or ("synced" if row.qbo_id else "pending")
		try:
			pushed = json.loads(row.pushed) if row.pushed else {}
		except ValueError:
			pushed = {}
		return Link(
			realm_id=row.realm_id,
			doctype=row.reference_doctype,
			name=row.reference_name,
			qbo_entity=row.qbo_entity,
			qbo_id=row.qbo_id or None,
			sync_token=row.sync_token or None,
			request_id=row.request_id or None,
			state=state,  # type: ignore[arg-type]
			last_synced=from_db_datetime(row.last_synced),
			remote_total=q2(row.qbo_total) if row.qbo_total is not None and row.qbo_id else None,
			remote_updated=row.remote_updated or None,
			origin="pull" if row.origin == "Pull" else "push",
			generation=int(row.generation or 0),
			pushed=pushed if isinstance(pushed, dict) else {},
		)

	def save_link(self, link: Link) -> None:
		values = {
			"realm_id": link.realm_id,
			"reference_doctype": link.doctype,
			"reference_name": link.name,
			"company": self._company_of_realm(link.realm_id),
			"qbo_entity": link.qbo_entity,
			"qbo_id": link.qbo_id,
			"sync_token": link.sync_token,
			"request_id": link.request_id,
			"state": LINK_STATES.get(link.state, "Pending"),
			"last_synced": to_db_datetime(link.last_synced),
			"qbo_total": flt(link.remote_total) if link.remote_total is not None else None,
			"remote_updated": link.remote_updated,
			"origin": ORIGINS.get(link.origin, "Push"),
			"generation": int(link.generation or 0),
			"pushed": json.dumps(link.pushed, default=str, sort_keys=True) if link.pushed else None,
		}
		key = ref_key(link.realm_id, link.doctype, link.name)
		self._refuse_taken_qbo_object(link)
		existing = frappe.db.get_value(LINK, {"ref_key": key}, "name")
		if existing is None:
			frappe.db.savepoint("qbo_link_insert")
			try:
				doc = frappe.get_doc({"doctype": LINK, **values})
				doc.flags.ignore_links = True
				doc.insert(ignore_permissions=True)
			except frappe.UniqueValidationError:
				frappe.db.rollback(save_point="qbo_link_insert")
				frappe.clear_last_message()
				# Another worker linked this QBO object to another record in between: say so plainly.
				self._refuse_taken_qbo_object(link)
				# Or it inserted this document's link: update theirs (the key is the identity).
				existing = frappe.db.get_value(LINK, {"ref_key": key}, "name")
				if existing is None:
					raise
		if existing is not None:
			doc = frappe.get_doc(LINK, existing)
			doc.update(values)
			doc.flags.ignore_links = True
			frappe.db.savepoint("qbo_link_update")
			try:
				doc.save(ignore_permissions=True)
			except frappe.UniqueValidationError:
				frappe.db.rollback(save_point="qbo_link_update")
				frappe.clear_last_message()
				self._refuse_taken_qbo_object(link)
				raise
		self.commit()

	def get_links(self, realm_id: str, doctype: str, names: list[str]) -> dict[str, Link]:
		out: dict[str, Link] = {}
		names = list(dict.fromkeys(names))
		for start in range(0, len(names), 500):
			rows = frappe.get_all(
				LINK,
				filters={
					"realm_id": str(realm_id),
					"reference_doctype": doctype,
					"reference_name": ("in", names[start : start + 500]),
				},
				fields=list(LINK_FIELDS),
				limit_page_length=0,
			)
			for link in map(self._link, rows):
				if link is not None:
					out[link.name] = link
		return out

	def mark_reconciled(self, realm_id: str, marks: list[Any], checked_at: datetime) -> None:
		at = to_db_datetime(checked_at)
		for mark in marks:
			frappe.db.set_value(
				LINK,
				{"ref_key": ref_key(realm_id, mark.doctype, mark.name)},
				{
					"reconcile_state": mark.state,
					"drift": int(bool(mark.drift)),
					"reconcile_message": (mark.message or "")[:1000],
					"reconciled_at": at,
				},
				update_modified=False,
			)
		self.commit()

	@staticmethod
	def _refuse_taken_qbo_object(link: Link) -> None:
		"""QBO Link's unique qbo_key keeps one ERPNext record per QBO object; a link that would break it is
		refused with the engine's LinkConflictError (naming both records and the QBO object) instead of the
		database's UniqueValidationError, which the log could only call an unexpected error."""
		key = qbo_key(link.realm_id, link.qbo_entity, link.qbo_id)
		if key is None:
			return
		holder = frappe.db.get_value(
			LINK, {"qbo_key": key}, ["reference_doctype", "reference_name"], as_dict=True
		)
		if holder and (holder.reference_doctype, holder.reference_name) != (link.doctype, link.name):
			raise LinkConflictError(
				link.realm_id,
				canonical_entity(link.qbo_entity),
				str(link.qbo_id),
				holder=(holder.reference_doctype, holder.reference_name),
				claimant=(link.doctype, link.name),
			)

	def duplicate_links(self, realm_id: str | None = None) -> list[DuplicateLink]:
		"""QBO objects linked to several ERPNext records (per realm, per entity). qbo_key is unique, so these
		are rows whose key was never filled or went stale (written with db_set/set_value or by a script,
		or before the key existed): grouped here by the fields themselves, not by the key."""
		conditions = "ifnull(qbo_id, '') != ''"
		values: dict[str, Any] = {}
		if realm_id:
			conditions += " and realm_id = %(realm_id)s"
			values["realm_id"] = str(realm_id)
		groups = frappe.db.sql(
			f"""
			select realm_id, qbo_entity, qbo_id from `tabQBO Link`
			where {conditions}
			group by realm_id, qbo_entity, qbo_id
			having count(*) > 1
			""",
			values,
			as_dict=True,
		)
		links: list[Link] = []
		for group in groups:
			rows = frappe.get_all(
				LINK,
				filters={"realm_id": group.realm_id, "qbo_entity": group.qbo_entity, "qbo_id": group.qbo_id},
				fields=list(LINK_FIELDS),
			)
			links += [link for link in map(self._link, rows) if link is not None]
		return find_duplicate_links(links, realm_id)

	# -- logs -------------------------------------------------------------------------------------------
	def start_log(self, entry: LogEntry) -> str:
		values: dict[str, Any] = {
			"doctype": LOG,
			"status": LOG_STATUSES.get(entry.status, "Running"),
			"direction": DIRECTIONS.get(entry.operation, "Push"),
			"operation": entry.operation,
			"company": entry.company,
			"realm_id": entry.realm_id,
			"attempts": entry.attempts or 1,
			"started_at": to_db_datetime(entry.started_at) or frappe.utils.now_datetime(),
			"retry_of": entry.retry_of,
			"qbo_entity": entry.qbo_entity,
			"qbo_id": entry.qbo_id,
			"job_id": current_job_id(),
		}
		if entry.operation in QBO_NAMED_OPERATIONS:
			values["qbo_entity"] = entry.qbo_entity or entry.doctype
			values["qbo_id"] = entry.qbo_id or entry.name
			values["reference_doctype"] = entry.erp_doctype
			values["reference_name"] = entry.erp_name
		else:
			values["reference_doctype"] = entry.doctype
			values["reference_name"] = entry.name
		doc = frappe.get_doc(values)
		doc.flags.ignore_links = True  # a deleted document must still get its row
		doc.insert(ignore_permissions=True)
		self.commit()
		return doc.name

	def finish_log(self, log_id: str, outcome: LogOutcome) -> None:
		# Lock the row before reading it: the sweep may close it (interrupt_log) at the same moment, and a
		# row changed between our read and our save would fail the save with TimestampMismatchError.
		frappe.db.sql("select name from `tabQBO Sync Log` where name = %s for update", (log_id,))
		doc = frappe.get_doc(LOG, log_id)
		message = outcome.message or ""
		doc.update(
			{
				"status": LOG_STATUSES.get(outcome.status, outcome.status),
				"message": message,
				"error_message": message if outcome.status in ("Failed", "Warning", "Interrupted") else None,
				"error_code": outcome.error_code,
				"duration_ms": outcome.duration_ms,
				"request": outcome.request_json,
				"response": outcome.response_json,
				"retryable": int(bool(outcome.retryable)),
				"next_retry_at": to_db_datetime(outcome.next_retry_at),
				"doc_fingerprint": outcome.doc_fingerprint,
				"traceback": outcome.traceback,  # validate() scrubs it again, by value as well
				"requests": int(outcome.requests or 0),
				"reads": int(outcome.reads or 0),
			}
		)
		if outcome.intuit_tid:
			doc.intuit_tid = outcome.intuit_tid
		if doc.operation not in QBO_NAMED_OPERATIONS:
			doc.qbo_entity = outcome.qbo_entity or doc.qbo_entity
			doc.qbo_id = outcome.qbo_id or doc.qbo_id
		elif outcome.erp_doctype and outcome.erp_name:
			# The ERPNext document the pull made or changed: the row's Document (retry uses qbo_entity/qbo_id).
			doc.reference_doctype = outcome.erp_doctype
			doc.reference_name = outcome.erp_name
		self._keep_qbo_names(doc, outcome)
		doc.flags.ignore_links = True
		doc.save(ignore_permissions=True)
		if doc.operation in DOCUMENT_OPERATIONS and outcome.status != "Started":
			# the document's timeline line, before the commit that makes the verdict durable
			refresh_document(doc.reference_doctype, doc.reference_name, log=doc, publish=False)
		self.commit()
		if doc.reference_doctype and doc.reference_name:
			publish_document_states(doc.reference_doctype, doc.reference_name)

	@staticmethod
	def _keep_qbo_names(doc: Any, outcome: LogOutcome) -> None:
		"""The QuickBooks number or name of what the attempt touched, from its own request and response: on
		the row (for its QuickBooks object) and on the links of every object the bodies show (the invoice,
		and the customer and items made or adopted on the way), so people see "Invoice 1001", not "5"."""
		try:
			found = names_in(outcome.response_json, outcome.request_json)
			entity = canonical_entity(doc.qbo_entity) if doc.qbo_entity else None
			own = found.get((entity, str(doc.qbo_id))) if entity and doc.qbo_id else None
			if own is None and entity and doc.qbo_id:
				body = frappe.parse_json(outcome.response_json) if outcome.response_json else None
				if isinstance(body, dict) and str(body.get("Id")) == str(doc.qbo_id):
					own = display_name(entity, body)
			if own is None and doc.operation == "push" and outcome.status in ("Success", "Warning"):
				own = sent_number(outcome.request_json, entity)
			if own:
				doc.qbo_name = own
				if doc.operation in DOCUMENT_OPERATIONS and doc.reference_doctype and doc.reference_name:
					found[(entity, str(doc.qbo_id or ""))] = own
			realm = doc.realm_id
			if not realm:
				return
			for (obj_entity, qbo_id), name in found.items():
				key = qbo_key(realm, obj_entity, qbo_id) if qbo_id else None
				link = (
					frappe.db.get_value(LINK, {"qbo_key": key}, ["name", "qbo_name"], as_dict=True)
					if key
					else None
				)
				if link is None and obj_entity == entity and doc.reference_doctype and doc.reference_name:
					link = frappe.db.get_value(
						LINK,
						{"ref_key": ref_key(realm, doc.reference_doctype, doc.reference_name)},
						["name", "qbo_name"],
						as_dict=True,
					)
				if link is not None and link.qbo_name != name:
					frappe.db.set_value(LINK, link.name, "qbo_name", name, update_modified=False)
		except Exception:  # noqa: BLE001 - a name is a nicety; the verdict must be saved whatever happens
			frappe.log_error(title=f"QuickBooks: could not read names from sync log {doc.name}")

	def get_log(self, log_id: str) -> LogEntry | None:
		if not log_id or not frappe.db.exists(LOG, log_id):
			return None
		return self._log(frappe.get_doc(LOG, log_id))

	@staticmethod
	def _log(doc: Any) -> LogEntry:
		named_by_qbo = doc.operation in QBO_NAMED_OPERATIONS
		return LogEntry(
			company=doc.company or None,
			realm_id=doc.realm_id or None,
			operation=doc.operation,
			doctype=(doc.qbo_entity if named_by_qbo else doc.reference_doctype) or None,
			name=(doc.qbo_id if named_by_qbo else doc.reference_name) or None,
			id=doc.name,
			status=LOG_STATUSES_BACK.get(doc.status, doc.status),
			started_at=from_db_datetime(doc.started_at),
			attempts=int(doc.attempts or 1),
			retry_of=doc.retry_of or None,
			qbo_entity=doc.qbo_entity or None,
			qbo_id=doc.qbo_id or None,
			error_code=doc.error_code or None,
			message=doc.message or doc.error_message or "",
			intuit_tid=doc.intuit_tid or None,
			duration_ms=int(doc.duration_ms or 0),
			request_json=doc.request,
			response_json=doc.response,
			retryable=bool(doc.retryable),
			next_retry_at=from_db_datetime(doc.next_retry_at),
			doc_fingerprint=doc.doc_fingerprint or None,
			erp_doctype=(doc.reference_doctype if named_by_qbo else None) or None,
			erp_name=(doc.reference_name if named_by_qbo else None) or None,
			traceback=doc.traceback or None,
			requests=int(doc.get("requests") or 0),
			reads=int(doc.get("reads") or 0),
		)

	def retry_candidates(self, now: datetime) -> list[LogEntry]:
		names = frappe.db.sql(
			"""
			select l.name from `tabQBO Sync Log` l
			where l.status in ('Failed', 'Interrupted')
				and l.operation in %(operations)s
				and exists (
					select 1 from `tabQBO Connection` c
					where c.status = 'Connected'
						and (c.realm_id = l.realm_id or (l.realm_id is null and c.name = l.company))
				)
				and (
					(l.next_retry_at is not null and l.next_retry_at <= %(now)s)
					or (l.retryable = 0 and ifnull(l.doc_fingerprint, '') != '')
				)
				and not exists (
					select 1 from `tabQBO Sync Log` n
					where n.operation = l.operation
						and n.creation > l.creation
						and n.realm_id <=> l.realm_id
						and (
							case when l.operation in %(qbo_named)s
							then n.qbo_entity <=> l.qbo_entity and n.qbo_id <=> l.qbo_id
							else n.reference_doctype <=> l.reference_doctype
								and n.reference_name <=> l.reference_name
							end
						)
				)
			order by l.creation
			""",
			{
				"operations": RERUN_OPERATIONS,
				"qbo_named": QBO_NAMED_OPERATIONS,
				"now": to_db_datetime(now),
			},
			pluck=True,
		)
		return [self._log(frappe.get_doc(LOG, name)) for name in names]

	@staticmethod
	def _key_condition(operation: str, doctype: str | None, name: str | None) -> str:
		"""SQL matching one attempt key in `tabQBO Sync Log` l (a pull_entity row names a QBO object)."""
		if operation in QBO_NAMED_OPERATIONS:
			return "l.qbo_entity <=> %(doctype)s and l.qbo_id <=> %(name)s"
		return "l.reference_doctype <=> %(doctype)s and l.reference_name <=> %(name)s"

	def open_attempts(
		self,
		realm_id: str | None,
		operation: str,
		doctype: str | None,
		name: str | None,
		before: str | None = None,
	) -> list[LogEntry]:
		values = {
			"realm": realm_id,
			"operation": operation,
			"doctype": doctype,
			"name": name,
			"open": OPEN_STATUSES,
			"before": before,
		}
		earlier = ""
		if before:
			earlier = (
				"and l.creation < (select b.creation from `tabQBO Sync Log` b where b.name = %(before)s)"
			)
		names = frappe.db.sql(
			f"""
			select l.name from `tabQBO Sync Log` l
			where l.status in %(open)s and l.operation = %(operation)s and l.realm_id <=> %(realm)s
				and {self._key_condition(operation, doctype, name)} {earlier}
			order by l.creation
			""",
			values,
			pluck=True,
		)
		return [self._log(frappe.get_doc(LOG, log)) for log in names]

	def last_attempt(
		self, realm_id: str | None, operation: str, doctype: str | None, name: str | None
	) -> LogEntry | None:
		names = frappe.db.sql(
			f"""
			select l.name from `tabQBO Sync Log` l
			where l.operation = %(operation)s and l.realm_id <=> %(realm)s
				and {self._key_condition(operation, doctype, name)}
			order by l.creation desc
			limit 1
			""",
			{"realm": realm_id, "operation": operation, "doctype": doctype, "name": name},
			pluck=True,
		)
		return self._log(frappe.get_doc(LOG, names[0])) if names else None

	def stale_attempts(self, started_before: datetime) -> list[LogEntry]:
		"""Open rows begun before the cut-off, and also, sooner, open rows whose background job has ended:
		RQ marks a job failed as soon as its work horse dies (killed, out of memory), so its rows need not
		wait for the timeout. (A whole worker killed leaves its job "started" until RQ cleans it up: those
		rows wait for the timeout.)"""
		rows = frappe.db.sql(
			"""
			select l.name, l.job_id, coalesce(l.started_at, l.creation) < %(cutoff)s as old
			from `tabQBO Sync Log` l
			where l.status in %(open)s
			order by l.creation
			""",
			{"open": OPEN_STATUSES, "cutoff": to_db_datetime(started_before)},
			as_dict=True,
		)
		current = current_job_id()
		stale = [
			row.name
			for row in rows
			if row.old or (row.job_id and row.job_id != current and job_has_ended(row.job_id))
		]
		return [self._log(frappe.get_doc(LOG, log)) for log in stale]

	def interrupt_log(self, log_id: str, outcome: LogOutcome) -> bool:
		# Lock the row, then look: a worker finishing it at this moment either wrote first (and we leave
		# its verdict) or waits for this transaction and overwrites Interrupted with what really happened.
		status = frappe.db.sql(
			"select status from `tabQBO Sync Log` where name = %s for update", (log_id,), pluck=True
		)
		if not status or status[0] not in OPEN_STATUSES:
			self.commit()  # release the row lock
			return False
		self.finish_log(log_id, outcome)
		return True

	# -- pull state -------------------------------------------------------------------------------------
	def _watermarks(self, realm_id: str) -> tuple[str | None, dict[str, str]]:
		row = frappe.db.get_value(CONNECTION, {"realm_id": realm_id}, ["name", "watermarks"], as_dict=True)
		if not row:
			return None, {}
		try:
			marks = json.loads(row.watermarks) if row.watermarks else {}
		except ValueError:
			marks = {}
		return row.name, marks if isinstance(marks, dict) else {}

	def get_watermark(self, realm_id: str, key: str = "cdc") -> datetime | None:
		_, marks = self._watermarks(realm_id)
		return _parse_iso((marks.get(str(realm_id)) or {}).get(key))

	def set_watermark(self, realm_id: str, value: datetime, key: str = "cdc") -> None:
		company, marks = self._watermarks(realm_id)
		if company is None:
			return
		if value.tzinfo is None:
			value = value.replace(tzinfo=timezone.utc)
		realm_marks = marks.get(str(realm_id)) or {}
		realm_marks[key] = value.astimezone(timezone.utc).isoformat()
		marks = {str(realm_id): realm_marks}  # marks of a realm this company left behind are dropped
		frappe.db.set_value(
			CONNECTION, company, "watermarks", json.dumps(marks, indent=1), update_modified=False
		)
		self.commit()

	@staticmethod
	def _event_key(key: str) -> str:
		return frappe.cache().make_key("qbo:event:" + hashlib.sha256(key.encode()).hexdigest())

	def claim_event(self, key: str) -> bool:
		# SET NX is atomic in Redis: of two workers handling one delivery twice, exactly one gets True.
		return bool(frappe.cache().set(self._event_key(key), "1", nx=True, ex=EVENT_TTL))

	def release_event(self, key: str) -> None:
		frappe.cache().delete(self._event_key(key))

	# -- ERPNext writes on pull -------------------------------------------------------------------------
	def upsert_customer(
		self,
		company: str,
		data: dict[str, Any],
		name: str | None = None,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		if name is None and data.get("customer_name"):
			matches = frappe.get_all(CUSTOMER, filters={"customer_name": data["customer_name"]}, pluck="name")
			# A customer linked to another QBO customer is not adopted (adopt says no): the next one is,
			# or a new customer is made.
			name = next((match for match in matches if adopt is None or adopt(match)), None)
		if name is not None and frappe.db.exists(CUSTOMER, name):
			doc = frappe.get_doc(CUSTOMER, name)
			# Contact details live on the Contact; on the Customer they are fetched copies.
			self._apply(doc, data, skip=("email_id", "mobile_no", "customer_name"))
			if doc.get("customer_name") != data.get("customer_name") and data.get("customer_name"):
				doc.customer_name = data["customer_name"]
			return self._save_master(doc)
		doc = frappe.new_doc(CUSTOMER)
		self._apply(doc, data)
		doc.customer_group = doc.customer_group or _default_customer_group()
		doc.territory = doc.territory or _default_territory()
		return self._save_master(doc)

	def upsert_supplier(
		self,
		company: str,
		data: dict[str, Any],
		name: str | None = None,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		if name is None and data.get("supplier_name"):
			matches = frappe.get_all(SUPPLIER, filters={"supplier_name": data["supplier_name"]}, pluck="name")
			name = next((match for match in matches if adopt is None or adopt(match)), None)
		if name is not None and frappe.db.exists(SUPPLIER, name):
			doc = frappe.get_doc(SUPPLIER, name)
			self._apply(doc, data, skip=("email_id", "mobile_no", "supplier_name"))
			if doc.get("supplier_name") != data.get("supplier_name") and data.get("supplier_name"):
				doc.supplier_name = data["supplier_name"]
			return self._save_master(doc)
		doc = frappe.new_doc(SUPPLIER)
		self._apply(doc, data, skip=("email_id", "mobile_no"))
		doc.supplier_group = doc.supplier_group or _default_supplier_group()
		return self._save_master(doc)

	def find_employees(self, company: str, email: str | None, name: str | None) -> list[tuple[str, str]]:
		base = {"company": company, "status": "Active"}
		if email:
			found: dict[str, None] = {}
			for field in ("company_email", "personal_email", "prefered_email", "user_id"):
				for employee in frappe.get_all("Employee", filters={**base, field: email}, pluck="name"):
					found.setdefault(employee)
			if found:
				return [(employee, "e-mail") for employee in sorted(found)]
		if name:
			found_names = frappe.get_all(
				"Employee", filters={**base, "employee_name": " ".join(name.split())}, pluck="name"
			)
			return [(employee, "name") for employee in sorted(found_names)]
		return []

	def upsert_item(self, company: str, data: dict[str, Any], name: str | None = None) -> str:
		if name is None and data.get("item_code") and frappe.db.exists(ITEM, data["item_code"]):
			name = data["item_code"]
		if name is not None and frappe.db.exists(ITEM, name):
			doc = frappe.get_doc(ITEM, name)
			# Stock behaviour and price are ERPNext's business once the item exists.
			self._apply(doc, data, skip=("item_code", "is_stock_item", "standard_rate"))
			return self._save_master(doc)
		doc = frappe.new_doc(ITEM)
		self._apply(doc, data)
		doc.item_group = doc.item_group or _default_item_group()
		doc.stock_uom = doc.stock_uom or frappe.db.get_single_value("Stock Settings", "stock_uom") or "Nos"
		doc.is_stock_item = 0
		doc.include_item_in_manufacturing = 0
		return self._save_master(doc)

	@staticmethod
	def _apply(doc: Any, data: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
		meta = frappe.get_meta(doc.doctype)
		for key, value in data.items():
			if key in ("doctype", "name", *skip) or not meta.has_field(key):
				continue
			doc.set(key, value)

	def _save_master(self, doc: Any) -> str:
		doc.flags.ignore_permissions = True
		doc.flags[FROM_PULL_FLAG] = True
		with from_pull():
			doc.save()
		self.commit()
		return doc.name

	def create_payment_entry(self, company: str, data: dict[str, Any], qbo_payment_id: str) -> str:
		key = payment_key(frappe.db.get_value(CONNECTION, company, "realm_id"), qbo_payment_id)
		existing = frappe.db.get_value(PAYMENT_ENTRY, {PAYMENT_ID_FIELD: key}, "name")
		if existing:
			return existing
		frappe.db.savepoint("qbo_payment_entry")
		try:
			entry = self._build_payment_entry(company, data, str(qbo_payment_id), key)
			with from_pull():
				entry.insert()
				entry.submit()
		except frappe.UniqueValidationError:
			# Another worker made the entry for this payment first: theirs is the one.
			frappe.db.rollback(save_point="qbo_payment_entry")
			frappe.clear_last_message()
			existing = frappe.db.get_value(PAYMENT_ENTRY, {PAYMENT_ID_FIELD: key}, "name")
			if existing:
				return existing
			raise
		except Exception:
			frappe.db.rollback(save_point="qbo_payment_entry")  # no half-made entry stays behind
			raise
		self.commit()
		return entry.name

	def _build_payment_entry(self, company: str, data: dict[str, Any], qbo_payment_id: str, key: str) -> Any:
		"""A Receive entry as the desk makes one: ERPNext fills the party account and reference details."""
		posting_date = getdate(data.get("posting_date") or nowdate())
		entry = frappe.new_doc(PAYMENT_ENTRY)
		entry.update(
			{
				"payment_type": "Receive",
				"company": company,
				"posting_date": posting_date,
				"party_type": CUSTOMER,
				"party": data.get("party"),
				"paid_to": data.get("paid_to") or _deposit_account(company),
				"paid_amount": flt(data.get("paid_amount")),
				"received_amount": flt(data.get("received_amount") or data.get("paid_amount")),
				"source_exchange_rate": flt(data.get("source_exchange_rate")) or 1,
				"target_exchange_rate": flt(data.get("source_exchange_rate")) or 1,
				"reference_no": (data.get("reference_no") or f"QBO Payment {qbo_payment_id}")[:140],
				"reference_date": getdate(data.get("reference_date") or posting_date),
				"remarks": data.get("remarks") or _("QuickBooks payment {0}").format(qbo_payment_id),
				PAYMENT_ID_FIELD: key,
			}
		)
		if data.get("paid_from_account_currency"):
			entry.paid_from_account_currency = data["paid_from_account_currency"]
		for ref in data.get("references") or []:
			entry.append(
				"references",
				{
					"reference_doctype": ref.get("reference_doctype") or SALES_INVOICE,
					"reference_name": ref["reference_name"],
					"allocated_amount": flt(ref.get("allocated_amount")),
				},
			)
		entry.flags.ignore_permissions = True
		entry.flags[FROM_PULL_FLAG] = True
		return entry

	def attach_file(self, doctype: str, name: str, filename: str, content: bytes) -> str:
		existing = frappe.db.get_value(
			"File", {"attached_to_doctype": doctype, "attached_to_name": name, "file_name": filename}, "name"
		)
		if existing:
			return existing
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": filename,
				"attached_to_doctype": doctype,
				"attached_to_name": name,
				"is_private": 1,
				"content": content,
			}
		)
		file.flags.ignore_permissions = True
		file.insert()
		self.commit()
		return file.name

	def flag_qbo_state(self, doctype: str, name: str, state: str, message: str) -> None:
		if not frappe.db.exists(doctype, name):
			return
		if doctype in STATUS_DOCTYPES:
			set_reference_status(doctype, name, state.capitalize())
		frappe.get_doc(doctype, name).add_comment("Comment", text=frappe.utils.escape_html(message))
		self.commit()

	def set_disabled(self, doctype: str, name: str, disabled: bool) -> bool:
		if not name or not frappe.db.exists(doctype, name):
			return False
		if bool(frappe.db.get_value(doctype, name, "disabled")) == bool(disabled):
			return False
		doc = frappe.get_doc(doctype, name)
		doc.disabled = int(bool(disabled))
		self._save_master(doc)  # a saved document (validations, version history), marked as from QBO
		return True

	def cancel_payment_entry(self, name: str, state: str, message: str) -> bool:
		return self._cancel_pulled(PAYMENT_ENTRY, name, state, message)

	def _cancel_pulled(self, doctype: str, name: str, state: str, message: str) -> bool:
		"""Cancel a submitted document the pull made, as a pull (no push back), with `message` as its comment;
		False when it is not submitted. A refused cancel leaves nothing half-done and raises."""
		if not name or frappe.db.get_value(doctype, name, "docstatus") != 1:
			return False
		savepoint = "qbo_cancel_pulled"
		frappe.db.savepoint(savepoint)
		try:
			doc = frappe.get_doc(doctype, name)
			doc.flags.ignore_permissions = True
			doc.flags[FROM_PULL_FLAG] = True
			with from_pull():
				doc.cancel()
		except Exception:
			frappe.db.rollback(save_point=savepoint)  # nothing half-cancelled stays
			frappe.clear_last_message()
			raise
		set_reference_status(doctype, name, state.capitalize())
		doc.add_comment("Comment", text=frappe.utils.escape_html(message))
		self.commit()
		return True

	# -- invoices made in QBO ---------------------------------------------------------------------------
	# Header fields of a pulled invoice taken as the mapping gives them (mapping/invoice_pull.py).
	_INVOICE_HEADER = (
		"customer",
		"posting_date",
		"set_posting_time",
		"due_date",
		"currency",
		"conversion_rate",
		"is_return",
		"update_stock",
		"ignore_pricing_rule",
		"disable_rounded_total",
		"apply_discount_on",
		"discount_amount",
		"remarks",
		INVOICE_REF_FIELD,
		DOC_NUMBER_FIELD,
	)

	@staticmethod
	def _tax_account(key: str, company: str) -> str:
		"""The ERPNext account a QBO Tax Map key stands for: an account, or a template's first tax account."""
		if frappe.db.exists("Account", key):
			return key
		if frappe.db.exists("Sales Taxes and Charges Template", key):
			account = frappe.db.get_value(
				"Sales Taxes and Charges",
				{"parent": key, "parenttype": "Sales Taxes and Charges Template"},
				"account_head",
				order_by="idx asc",
			)
			if account:
				return account
		raise SyncError(
			"tax_map",
			f"QBO Tax Map of {company}: '{key}' is neither an Account nor a Sales Taxes and Charges Template with "
			"a tax row; map the QuickBooks tax code to an ERPNext tax account.",
		)

	@staticmethod
	def _txn_key(company: str, ref: Any) -> str:
		"""What Sales Invoice.qbo_txn_ref holds: "<realm>:Invoice 123". QBO ids are per QBO company, so the
		realm is part of it (as for qbo_payment_id)."""
		return f"{frappe.db.get_value(CONNECTION, company, 'realm_id')}:{ref}"

	def _fill_invoice(self, doc: Any, company: str, data: dict[str, Any]) -> None:
		doc.company = company
		for key in self._INVOICE_HEADER:
			if key in data:
				doc.set(key, data[key])
		doc.set(INVOICE_REF_FIELD, self._txn_key(company, data.get(INVOICE_REF_FIELD)))
		if not data.get("apply_discount_on"):
			doc.discount_amount = 0
		doc.set("items", [])
		doc.set("taxes", [])
		doc.taxes_and_charges = None
		for row in data.get("items") or []:
			doc.append("items", {k: row[k] for k in ("item_code", "qty", "rate", "description") if k in row})
		cost_center = frappe.get_cached_value("Company", company, "cost_center")
		for row in data.get("taxes") or []:
			doc.append(
				"taxes",
				{
					"charge_type": "Actual",
					"account_head": self._tax_account(row["account_head"], company),
					"tax_amount": flt(row.get("tax_amount")),
					"description": row.get("description") or row["account_head"],
					"cost_center": cost_center,
				},
			)
		doc.flags.ignore_permissions = True
		doc.flags[FROM_PULL_FLAG] = True
		doc.set_missing_values()
		# set_missing_values may bring the customer's default taxes or price list rates back: what QBO said wins
		for row, wanted in zip(doc.get("items"), data.get("items") or [], strict=False):
			row.rate = flt(wanted.get("rate"))
			row.price_list_rate = 0
			row.discount_percentage = 0
			row.discount_amount = 0
			row.margin_type = None
			if wanted.get("description"):
				row.description = wanted["description"]
			qty = flt(wanted.get("qty"))
			if qty != int(qty) and any(
				frappe.get_cached_value("UOM", uom, "must_be_whole_number")
				for uom in {row.uom, row.stock_uom}
				if uom
			):
				# QBO sells fractions of anything; a whole-number UOM here takes one unit at the line's amount
				# (the same amount, so the same total) with the quantity kept in words.
				sign = 1 if qty > 0 else -1
				row.description = (
					f"{row.description or ''} ({abs(qty):g} x {flt(wanted.get('rate')):g})".strip()
				)
				row.qty = sign
				row.rate = flt(qty * flt(wanted.get("rate")), 2) * sign
		if doc.taxes_and_charges or len(doc.get("taxes")) != len(data.get("taxes") or []):
			doc.taxes_and_charges = None
			doc.set(
				"taxes",
				[t for t in doc.get("taxes") if t.charge_type == "Actual"][: len(data.get("taxes") or [])],
			)

	def _save_invoice(self, doc: Any, data: dict[str, Any], savepoint: str) -> str:
		frappe.db.savepoint(savepoint)
		try:
			with from_pull():
				if doc.is_new():
					doc.insert()
				else:
					doc.save()
				if int(data.get("docstatus") or 0) == 1:
					doc.submit()
		except Exception:
			frappe.db.rollback(save_point=savepoint)  # no half-made invoice stays behind
			raise
		if int(data.get("docstatus") or 0) != 1 and data.get("qbo_note"):
			doc.add_comment("Comment", text=frappe.utils.escape_html(data["qbo_note"]))
		self.commit()
		return doc.name

	def _live_invoice(self, company: str, ref: str) -> str | None:
		key = self._txn_key(company, ref)
		return frappe.db.get_value(
			SALES_INVOICE, {"company": company, INVOICE_REF_FIELD: key, "docstatus": ("<", 2)}, "name"
		)

	def create_sales_invoice(self, company: str, data: dict[str, Any]) -> str:
		existing = self._live_invoice(company, str(data.get(INVOICE_REF_FIELD)))
		if existing:
			return existing
		doc = frappe.new_doc(SALES_INVOICE)
		self._fill_invoice(doc, company, data)
		return self._save_invoice(doc, data, "qbo_pull_invoice")

	def amend_sales_invoice(self, name: str, data: dict[str, Any], reason: str) -> str:
		old = frappe.get_doc(SALES_INVOICE, name)
		if old.docstatus == 0:  # a draft (its totals disagreed): rewritten in place
			self._fill_invoice(old, old.company, data)
			return self._save_invoice(old, data, "qbo_pull_invoice")
		if old.docstatus == 1:
			frappe.db.savepoint("qbo_amend_invoice")
			try:
				old.flags.ignore_permissions = True
				old.flags[FROM_PULL_FLAG] = True
				with from_pull():
					old.cancel()
			except Exception:
				frappe.db.rollback(save_point="qbo_amend_invoice")
				frappe.clear_last_message()
				raise
			old.add_comment("Comment", text=frappe.utils.escape_html(reason))
			self.commit()
		else:
			amended = frappe.db.get_value(
				SALES_INVOICE, {"amended_from": name, "docstatus": ("<", 2)}, "name"
			)
			if amended:
				return amended
		doc = frappe.new_doc(SALES_INVOICE)
		doc.amended_from = name
		self._fill_invoice(doc, old.company, data)
		return self._save_invoice(doc, data, "qbo_pull_invoice")

	def cancel_sales_invoice(self, name: str, state: str, message: str) -> bool:
		return self._cancel_pulled(SALES_INVOICE, name, state, message)

	def set_due_date(self, name: str, due_date: str) -> bool:
		row = frappe.db.get_value(SALES_INVOICE, name, ["due_date", "posting_date"], as_dict=True)
		if row is None or str(row.due_date) == str(due_date):
			return False
		# A field ERPNext lets change after submit only through its own dialog: set where it lives (the
		# invoice, a one-row payment schedule, the payment ledger), as a pull.
		frappe.db.set_value(SALES_INVOICE, name, "due_date", due_date)
		schedule = frappe.get_all(
			"Payment Schedule", filters={"parent": name, "parenttype": SALES_INVOICE}, pluck="name"
		)
		if len(schedule) == 1:
			frappe.db.set_value("Payment Schedule", schedule[0], "due_date", due_date)
		if frappe.db.has_column("Payment Ledger Entry", "due_date"):
			frappe.db.set_value(
				"Payment Ledger Entry",
				{"voucher_type": SALES_INVOICE, "voucher_no": name},
				"due_date",
				due_date,
			)
		self.commit()
		return True

	def delete_link(self, realm_id: str, doctype: str, name: str) -> None:
		frappe.db.delete(
			"QBO Link", {"realm_id": str(realm_id), "reference_doctype": doctype, "reference_name": name}
		)
		self.commit()

	def _checkpoints(self, realm_id: str) -> tuple[str | None, dict[str, Any]]:
		row = frappe.db.get_value(
			CONNECTION, {"realm_id": realm_id}, ["name", "import_checkpoint"], as_dict=True
		)
		if not row:
			return None, {}
		try:
			state = json.loads(row.import_checkpoint) if row.import_checkpoint else {}
		except ValueError:
			state = {}
		return row.name, state if isinstance(state, dict) else {}

	def get_checkpoint(self, realm_id: str, key: str) -> dict[str, Any] | None:
		_, state = self._checkpoints(realm_id)
		value = (state.get(str(realm_id)) or {}).get(key)
		return value if isinstance(value, dict) else None

	def set_checkpoint(self, realm_id: str, key: str, value: dict[str, Any] | None) -> None:
		company, state = self._checkpoints(realm_id)
		if company is None:
			return
		realm_state = state.get(str(realm_id)) or {}
		if value is None:
			realm_state.pop(key, None)
		else:
			realm_state[key] = value
		frappe.db.set_value(
			CONNECTION,
			company,
			"import_checkpoint",
			json.dumps({str(realm_id): realm_state}, indent=1),
			update_modified=False,
		)
		self.commit()

	# -- concurrency ------------------------------------------------------------------------------------
	@contextmanager
	def lock(self, key: str) -> Iterator[None]:
		timeout = PULL_LOCK_TIMEOUT if key.endswith(":pull") else LOCK_TIMEOUT
		try:
			with redis_lock(f"sync:{key}", timeout=timeout, blocking_timeout=LOCK_WAIT):
				# A new snapshot: what we read from here on includes what the previous holder committed.
				frappe.db.commit()
				yield
		except LockTimeout as exc:
			raise SyncError(
				LOCKED_CODE,
				_("Another background job is still working on {0}; this attempt will be retried.").format(
					key
				),
				retryable=True,
			) from exc


# -- background jobs -----------------------------------------------------------------------------------------


def current_job_id() -> str | None:
	"""The id of the RQ job this code runs in (None in a web request, the console or a test run)."""
	job = get_current_job()
	return str(job.id) if job is not None else None


def job_has_ended(job_id: str) -> bool:
	"""Whether an RQ job is over (finished, failed, stopped, cancelled, or gone from Redis). Unknown (Redis
	unreachable) counts as not ended: the timeout decides then."""
	try:
		status = Job.fetch(job_id, connection=get_redis_conn()).get_status()
	except NoSuchJobError:
		return True
	except Exception:  # noqa: BLE001 - no answer is not proof of death
		return False
	return status not in LIVE_JOB_STATES


# -- defaults for documents made from QBO -----------------------------------------------------------------


def _default_customer_group() -> str:
	return (
		frappe.db.get_single_value("Selling Settings", "customer_group")
		or frappe.db.get_value("Customer Group", {"is_group": 0}, "name", order_by="lft")
		or frappe.db.get_value("Customer Group", {}, "name", order_by="lft")
	)


def _default_territory() -> str:
	return (
		frappe.db.get_single_value("Selling Settings", "territory")
		or frappe.db.get_value("Territory", {"is_group": 0}, "name", order_by="lft")
		or frappe.db.get_value("Territory", {}, "name", order_by="lft")
	)


def _default_supplier_group() -> str:
	return (
		frappe.db.get_single_value("Buying Settings", "supplier_group")
		or frappe.db.get_value("Supplier Group", {"is_group": 0}, "name", order_by="lft")
		or frappe.db.get_value("Supplier Group", {}, "name", order_by="lft")
	)


def _default_item_group() -> str:
	return (
		frappe.db.get_single_value("Stock Settings", "item_group")
		or (frappe.db.exists("Item Group", "Services") and "Services")
		or frappe.db.get_value("Item Group", {"is_group": 0}, "name", order_by="lft")
		or frappe.db.get_value("Item Group", {}, "name", order_by="lft")
	)


def _deposit_account(company: str) -> str:
	"""Where a QBO payment lands in ERPNext when its QBO deposit account is not mapped back."""
	account = frappe.get_cached_value("Company", company, "default_bank_account") or frappe.get_cached_value(
		"Company", company, "default_cash_account"
	)
	if not account:
		frappe.throw(
			_(
				"Company {0} has no Default Bank Account or Default Cash Account for payments from QuickBooks."
			).format(company)
		)
	return account
