"""The engine's view of ERPNext: a small Protocol the Frappe layer implements over frappe.db.

The engine never imports frappe. Everything it needs to read or write on the ERPNext side goes through
`Store`, so the engine runs the same way under a bench, in tests (MemoryStore) and in the offline demo.
Documents travel as plain dicts shaped like `doc.as_dict()` (see tests/fixtures/erpnext/).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from qbo_connector.mapping.context import TaxCodeInfo

SALES_INVOICE = "Sales Invoice"
PAYMENT_ENTRY = "Payment Entry"
CUSTOMER = "Customer"
SUPPLIER = "Supplier"
ITEM = "Item"

# closed: the QBO object stays, closed by the cancel of its ERPNext document (a purchase order's POStatus
# Closed, an estimate Rejected); like voided and deleted, it is never sent again.
LinkState = Literal["pending", "synced", "voided", "deleted", "closed"]
# Interrupted: the row was left Started by a worker that died (killed, OOM, restarted) and was closed later,
# by a later attempt at the same thing or by the sweep (sync/interrupt.py).
LogStatus = Literal["Started", "Success", "Warning", "Failed", "Skipped", "Interrupted"]
# What one log row describes; retry() dispatches on it.
Operation = Literal["push", "cancel", "pull", "pull_entity", "bulk", "auto_push"]

TXN_DATE_POSTING = "posting_date"
TXN_DATE_INVOICE_PERIOD = "invoice_period"


@dataclass
class CompanyMode:
	"""QBO company settings that change how documents must be built; cached because they rarely change."""

	country: str = "US"
	home_currency: str = "USD"
	multicurrency: bool = False
	custom_txn_numbers: bool = True
	automated_sales_tax: bool = False
	auto_apply_credits: bool = False
	fetched_at: datetime | None = None
	# QBO TaxCode id -> name and sales rates (percent), read with the settings: the invoice mapper predicts
	# the tax QBO will compute from them. None: not read yet (a connection saved before they were kept).
	tax_codes: dict[str, TaxCodeInfo] | None = None
	# Preferences.AccountingInfoPrefs (mapping/dimensions.py): classes per line, per transaction or not at all;
	# locations (Departments) tracked, and what QBO calls them.
	class_tracking: str = "none"
	track_locations: bool = False
	location_label: str = "Location"

	@property
	def is_us(self) -> bool:
		return self.country.upper() in ("US", "USA", "UNITED STATES")


@dataclass
class ConnectionConfig:
	"""One ERPNext company connected to one QBO company (realm); the switches an admin sets in QBO Settings.

	Account/tax/item references are QBO ids (the settings form picks them from QBO lists).
	"""

	company: str
	realm_id: str
	enabled: bool = True
	push_invoices_on_submit: bool = True
	push_payments: bool = True
	reconcile_payments: bool = True
	# A Payment Entry made from a QBO payment is cancelled when that payment is voided/deleted in QBO (off: only
	# flagged). Entries made in ERPNext and pushed are only ever flagged.
	cancel_pulled_payments: bool = True
	# Invoices and credit memos made in QBO become Sales Invoices (returns) in ERPNext (off by default);
	# one pulled that is voided or deleted in QBO is cancelled (off: only flagged).
	pull_invoices: bool = False
	cancel_pulled_invoices: bool = True
	txn_date_mode: str = TXN_DATE_POSTING
	auto_push_hours: float = 0.0  # 0 = off
	pull_interval_minutes: int = 15
	# The switches of the document kinds (sync/kinds): each names its own.
	push_quotations: bool = True  # Quotation -> Estimate
	push_purchase_orders: bool = True  # Purchase Order -> PurchaseOrder
	push_purchase_invoices: bool = True  # Purchase Invoice -> Bill, its return -> VendorCredit
	push_supplier_payments: bool = True  # Payment Entry (Pay, to a Supplier) -> BillPayment
	push_timesheets: bool = False  # Timesheet -> TimeActivity per time log (needs the Employee map first)
	attach_invoice_pdf: bool = False  # after an invoice is pushed, QBO's PDF of it is attached in ERPNext
	create_deposits: bool = False
	deposit_bank_account: str | None = None  # QBO bank account id deposits go to
	doc_number_prefix: str = ""
	default_item: str | None = None  # QBO Item id used for lines without an item code
	default_tax_code: str | None = None  # QBO TaxCode id
	deposit_account: str | None = None  # QBO DepositToAccountRef for payments (None = Undeposited Funds)
	default_income_account: str | None = None  # QBO Account id for items created from ERPNext
	default_expense_account: str | None = (
		None  # QBO Account id for purchase lines whose account is not mapped
	)
	payables_account: str | None = None  # QBO APAccountRef of bills, vendor credits and bill payments
	discount_account: str | None = None  # QBO Account id for DiscountLineDetail
	rounding_item: str | None = None  # QBO Item id for ERPNext's rounding adjustment line
	us_tax_code: str | None = None  # QBO TaxCode id of the US sales-tax group (TxnTaxCodeRef)
	exempt_tax_code: str | None = None  # non-US: QBO TaxCode id for untaxed lines and the rounding line
	absorb_cent_differences: bool = False  # put ERPNext's stray cent on the rounding line (else: reported)
	account_map: dict[str, str] = field(default_factory=dict)  # ERPNext account -> QBO Account id
	tax_map: dict[str, str] = field(default_factory=dict)  # ERPNext template/account -> QBO TaxCode id
	class_map: dict[str, str] = field(default_factory=dict)  # ERPNext Cost Center -> QBO Class id
	location_map: dict[str, str] = field(
		default_factory=dict
	)  # ERPNext Branch (location_field) -> QBO Department
	default_class: str | None = None  # QBO Class id for what the class map does not cover
	default_location: str | None = None  # QBO Department id for what the location map does not cover
	location_field: str = "branch"  # the document field (an accounting dimension) locations come from
	company_mode: CompanyMode | None = None


@dataclass
class Link:
	"""Which QBO entity an ERPNext document became, per QBO company: the heart of exactly-once.

	A `pending` link is written with its `request_id` BEFORE the create is sent, so after a crash or an
	ambiguous failure the next attempt knows a create may have landed and looks it up first.
	"""

	realm_id: str
	doctype: str
	name: str
	qbo_entity: str
	qbo_id: str | None = None
	sync_token: str | None = None
	request_id: str | None = None
	state: LinkState = "pending"
	last_synced: datetime | None = None
	remote_total: Decimal | None = None
	remote_updated: str | None = None  # QBO MetaData.LastUpdatedTime last seen/applied
	origin: Literal["push", "pull"] = "push"
	generation: int = 0  # bumped when QBO definitively refused a create, so the next one gets a new requestid
	pushed: dict[str, Any] = field(default_factory=dict)  # updatable header fields last sent (sparse diffs)


@dataclass
class LogEntry:
	"""One attempt. The Frappe layer shows these in QBO Sync Log (with a Retry button)."""

	company: str | None
	realm_id: str | None
	operation: str
	doctype: str | None = None
	name: str | None = None
	id: str | None = None
	status: LogStatus = "Started"
	started_at: datetime | None = None
	attempts: int = 1
	retry_of: str | None = None
	qbo_entity: str | None = None
	qbo_id: str | None = None
	error_code: str | None = None
	message: str = ""
	intuit_tid: str | None = None
	duration_ms: int = 0
	request_json: str | None = None  # already redacted
	response_json: str | None = None  # already redacted
	retryable: bool = False
	next_retry_at: datetime | None = None
	doc_fingerprint: str | None = None  # for bad-data failures: retried when the document changes
	# The ERPNext document a pull_entity row created or changed (its doctype/name name the QBO object,
	# which retry needs); shown as the row's Document.
	erp_doctype: str | None = None
	erp_name: str | None = None
	traceback: str | None = None  # internal errors: formatted, redacted, for admins
	requests: int = 0  # HTTP requests the attempt sent to QBO (retries included)
	reads: int = 0  # metered reads among them (qbo/budget.py)


@dataclass
class LogOutcome:
	"""How an attempt ended (finish_log)."""

	status: LogStatus
	message: str = ""
	error_code: str | None = None
	intuit_tid: str | None = None
	duration_ms: int = 0
	request_json: str | None = None
	response_json: str | None = None
	retryable: bool = False
	next_retry_at: datetime | None = None
	qbo_entity: str | None = None
	qbo_id: str | None = None
	doc_fingerprint: str | None = None
	erp_doctype: str | None = None  # the ERPNext document a pull created or changed
	erp_name: str | None = None
	traceback: str | None = None  # internal errors only; already redacted
	requests: int = 0  # HTTP requests sent to QBO (retries included)
	reads: int = 0  # metered reads among them


@runtime_checkable
class Store(Protocol):
	"""Everything the engine reads or writes outside QBO. All methods are synchronous and may be called
	from several workers at once; writes must be durable when they return (the Frappe layer commits)."""

	# -- connection -------------------------------------------------------------------------------------
	def get_config(self, company: str) -> ConnectionConfig | None:
		"""The connection of an ERPNext company, or None when it is not connected."""

	def get_config_for_realm(self, realm_id: str) -> ConnectionConfig | None:
		"""The connection that owns a QBO company (webhooks and pulls arrive by realm)."""

	def save_company_mode(self, company: str, mode: CompanyMode) -> None:
		"""Cache what QBO Preferences/CompanyInfo said about the QBO company."""

	# -- documents --------------------------------------------------------------------------------------
	def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
		"""An ERPNext document (of any kind in sync/kinds, a Customer, Supplier, Item...) as `doc.as_dict()`."""

	def get_primary_address(self, party: str, party_type: str = "Customer") -> dict[str, Any] | None:
		"""The primary (billing) Address document of a Customer or Supplier."""

	def get_primary_contact(self, party: str, party_type: str = "Customer") -> dict[str, Any] | None:
		"""The primary Contact document of a Customer or Supplier."""

	def list_unsynced(
		self,
		company: str,
		doctype: str,
		submitted_before: datetime,
		filters: dict[str, Any] | None = None,
	) -> list[str]:
		"""Submitted documents (docstatus 1) last modified before the cut-off with no synced link (auto-push).

		filters (a kind's list_filters): field -> value, where 0/1 compare as false/true and None means "not
		set"; None: every document of the doctype that is of one of its kinds."""

	def list_documents(
		self,
		company: str,
		doctype: str,
		from_date: str,
		to_date: str,
		filters: dict[str, Any] | None = None,
		date_field: str = "posting_date",
	) -> list[dict[str, Any]]:
		"""Submitted and cancelled documents (docstatus 1 or 2) of a company dated (date_field: posting_date,
		or transaction_date for quotations and orders) from_date..to_date (ISO dates, both included), for
		reconciliation; filters as a kind's (0/1 compare by truth). Each dict has at least name, docstatus,
		the date field, currency, the fields filtered on and the totals: grand_total, rounded_total,
		disable_rounded_total, outstanding_amount where the doctype has them; Payment Entry: paid_amount,
		unallocated_amount, paid_from_account_currency."""

	# -- links ------------------------------------------------------------------------------------------
	def get_link(self, realm_id: str, doctype: str, name: str) -> Link | None:
		"""The link of an ERPNext document in one QBO company."""

	def find_link(self, realm_id: str, qbo_entity: str, qbo_id: str) -> Link | None:
		"""The link that points at a QBO entity (echo detection on pull)."""

	def save_link(self, link: Link) -> None:
		"""Insert or replace the link keyed by (realm_id, doctype, name)."""

	def get_links(self, realm_id: str, doctype: str, names: list[str]) -> dict[str, Link]:
		"""The links of many documents of one doctype in one QBO company, by document name (reconciliation
		reads a month of documents; one look-up each would be slow)."""

	def mark_reconciled(self, realm_id: str, marks: list[Any], checked_at: datetime) -> None:
		"""Keep what a drift check found on each linked document's link (sync.reconcile.ReconcileMark:
		doctype, name, state, drift, message); a link not in marks keeps what it had."""

	# -- logs -------------------------------------------------------------------------------------------
	def start_log(self, entry: LogEntry) -> str:
		"""Record an attempt as Started; returns its id (so a crash still leaves a row)."""

	def finish_log(self, log_id: str, outcome: LogOutcome) -> None:
		"""Close an attempt with its status, error and (redacted) request/response."""

	def get_log(self, log_id: str) -> LogEntry | None:
		"""One log row."""

	def retry_candidates(self, now: datetime) -> list[LogEntry]:
		"""Rows worth another look: the newest Failed or Interrupted attempt per (realm, operation, doctype,
		name) that no later attempt superseded and that is either due (next_retry_at <= now) or waiting for
		its document to change (retryable False, doc_fingerprint set), and whose QuickBooks company is
		connected now (the row's realm; the row's company for a row without one). A company that is
		disconnected, waiting to be reconnected or connected to another QuickBooks company since has nothing to
		retry into: its rows wait, and are not read, until it is connected to their realm again."""

	# An attempt's key is (realm_id, operation, doctype, name), as in retry_candidates; "before"/"later"
	# are in the order rows were opened (start_log), not by started_at, which two workers may share.
	def open_attempts(
		self,
		realm_id: str | None,
		operation: str,
		doctype: str | None,
		name: str | None,
		before: str | None = None,
	) -> list[LogEntry]:
		"""Rows of one key still Started, oldest first; with `before` (a log id), only rows opened before it."""

	def last_attempt(
		self, realm_id: str | None, operation: str, doctype: str | None, name: str | None
	) -> LogEntry | None:
		"""The newest row of one key, whatever its status."""

	def stale_attempts(self, started_before: datetime) -> list[LogEntry]:
		"""Rows of any operation still Started that began before the cut-off, oldest first; a store that can
		tell a row's worker is gone (the Frappe store: its RQ job has ended) may return those sooner."""

	def interrupt_log(self, log_id: str, outcome: LogOutcome) -> bool:
		"""Close a row that is still Started with outcome (status "Interrupted"), atomically: False, and
		nothing written, when the row has ended meanwhile (its worker was alive after all)."""

	# -- pull state -------------------------------------------------------------------------------------
	def get_watermark(self, realm_id: str, key: str = "cdc") -> datetime | None:
		"""Up to when QBO changes have been applied to ERPNext."""

	def set_watermark(self, realm_id: str, value: datetime, key: str = "cdc") -> None:
		"""Move the watermark (only after the rows before it were committed)."""

	def claim_event(self, key: str) -> bool:
		"""Atomically mark a webhook event as being handled; False when it already was (duplicate)."""

	def release_event(self, key: str) -> None:
		"""Forget a claim whose handling failed, so a redelivery is handled again."""

	# -- ERPNext writes on pull -------------------------------------------------------------------------
	def upsert_customer(
		self,
		company: str,
		data: dict[str, Any],
		name: str | None = None,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		"""Create or update an ERPNext Customer from QBO. `name` is the linked customer; None means: match a
		customer of the same customer_name (adopt it), else create one. Returns the ERPNext name.

		`adopt(name)`, when given, is asked before a match is adopted; a customer it refuses (linked to
		another QBO customer) is left untouched and the next match, or a new customer, is taken instead."""

	def upsert_supplier(
		self,
		company: str,
		data: dict[str, Any],
		name: str | None = None,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		"""Create or update an ERPNext Supplier from a QBO Vendor, as upsert_customer does for customers
		(match by supplier_name, adopt() asked first). Returns the ERPNext name."""

	def find_employees(self, company: str, email: str | None, name: str | None) -> list[tuple[str, str]]:
		"""(ERPNext Employee name, "e-mail" | "name") of the company's active employees a QBO employee may be:
		those with the e-mail (company, personal, preferred or user e-mail, any case) when any has it, else
		those of the same full name (any case). The Employee map's matching (the employee pull)."""

	def upsert_item(self, company: str, data: dict[str, Any], name: str | None = None) -> str:
		"""Create or update an ERPNext Item from QBO. `name` is the linked item code; None means: match the
		item_code in data, else create. Returns the item code."""

	def create_payment_entry(self, company: str, data: dict[str, Any], qbo_payment_id: str) -> str:
		"""Create and submit a Payment Entry (Receive) allocated to invoices. Idempotent on qbo_payment_id:
		a second call returns the entry made the first time. Returns its name.

		data: party, company, posting_date, paid_amount, received_amount, unallocated_amount, reference_no,
		reference_date, remarks, qbo_payment_id, references [{reference_doctype, reference_name,
		allocated_amount}] and, when known, paid_to (ERPNext account), paid_from_account_currency,
		source_exchange_rate. The store fills the rest (accounts, mode of payment) from company defaults,
		and must keep its doc_events from pushing this entry back (the engine also refuses: its link says
		origin "pull")."""

	def attach_file(self, doctype: str, name: str, filename: str, content: bytes) -> str:
		"""Attach a (private) file to an ERPNext document; a file of that name already attached to it is
		kept, not doubled. Returns the file's name."""

	def flag_qbo_state(self, doctype: str, name: str, state: str, message: str) -> None:
		"""Mark an ERPNext document as voided/deleted in QBO (a visible flag; never cancels it)."""

	def set_disabled(self, doctype: str, name: str, disabled: bool) -> bool:
		"""Disable a Customer or Item because QBO made it inactive or deleted it (disabled=True), or enable it
		again because QBO reactivated it. Written as a pull (never pushed back). Returns whether the flag
		changed (False also when the record does not exist)."""

	def cancel_payment_entry(self, name: str, state: str, message: str) -> bool:
		"""Cancel a submitted Payment Entry the pull made from a QBO payment that was voided or deleted there
		(state "voided" / "deleted"), leaving `message` on it. Written as a pull: the cancel is not sent to QBO.
		Returns False when there was nothing to cancel (not submitted, already cancelled, missing); raises
		when ERPNext refuses the cancel (the engine then flags the entry instead)."""

	# -- invoices made in QBO (pull_invoices, the history import) ----------------------------------------
	def create_sales_invoice(self, company: str, data: dict[str, Any]) -> str:
		"""Create a Sales Invoice (a return when data["is_return"]) from a QBO Invoice/CreditMemo: submitted
		when data["docstatus"] is 1, else a draft carrying data["qbo_note"] (why) as a comment. Idempotent on
		data["qbo_txn_ref"]: a document of the company with that reference that is not cancelled is returned
		instead of a second one. Written as a pull: never pushed back to QBO. Returns its name."""

	def amend_sales_invoice(self, name: str, data: dict[str, Any], reason: str) -> str:
		"""A pulled invoice changed in QBO: a draft is rewritten in place (its name returned); a submitted one
		is cancelled (as a pull: nothing is sent to QBO) and amended with data, leaving `reason` on both.
		Idempotent: when `name` is already cancelled and amended, the amendment is returned. Raises when
		ERPNext refuses the cancel (payments against it)."""

	def cancel_sales_invoice(self, name: str, state: str, message: str) -> bool:
		"""Cancel a submitted Sales Invoice the pull made from a QBO invoice voided/deleted there (as
		cancel_payment_entry does for payments). False when there was nothing to cancel; raises when ERPNext
		refuses (the engine flags it instead)."""

	def set_due_date(self, name: str, due_date: str) -> bool:
		"""Move a pulled invoice's due date (and its one-row payment schedule) as QBO's DueDate moved, without
		an amendment. Returns whether it changed."""

	def delete_link(self, realm_id: str, doctype: str, name: str) -> None:
		"""Forget the link of an ERPNext document (a pulled invoice cancelled and amended: its QBO object is
		linked to the amendment next)."""

	def get_checkpoint(self, realm_id: str, key: str) -> dict[str, Any] | None:
		"""Resumable state of a long job (the history import), or None."""

	def set_checkpoint(self, realm_id: str, key: str, value: dict[str, Any] | None) -> None:
		"""Store (durably, committed) or clear (None) the state of a long job."""

	# -- concurrency ------------------------------------------------------------------------------------
	def lock(self, key: str) -> AbstractContextManager[None]:
		"""A mutex across workers (Frappe: a DB/Redis lock) so two workers never push one document at once."""
