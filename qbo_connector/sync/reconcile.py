"""Do ERPNext and QuickBooks agree? Per kind, company and period: ERPNext's total and outstanding beside
QBO's TotalAmt, Balance and status, with one state per document.

QBO is read in pages of ids (`Id IN (...)`, up to 1,000 a page), never one read per document: reads on the
accounting API are metered, and a month of invoices is a handful of queries this way. "Only in QBO" needs
one more paged query per kind over the period's TxnDate.

States: In Step; Differs (by the amount in `difference`); Missing in QBO (never sent, or deleted there);
Voided in QBO (while ERPNext still has it); Only in QBO (a QBO transaction no ERPNext document is linked to).
Every kind the connector pushes as one QBO transaction (sync/kinds: invoices, credit notes, payments,
estimates, purchase orders, bills, vendor credits, bill payments) is compared through its own QBO entity;
timesheets are not (a TimeActivity has no total).
`drift` marks what the daily drift check counts and tells managers about: a document sent to QBO that QBO no
longer agrees with. A difference the push itself already reported (QBO's total is still the one it answered
to the create, and the push's log row explains it) is shown but not counted again; documents not sent yet are
the "Waiting" card's business, not drift.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from qbo_connector.mapping.money import ZERO, D, fmt, q2
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.constants import QUERY_MAX_RESULTS
from qbo_connector.qbo.errors import QBOError
from qbo_connector.qbo.query import Query

from . import kinds as units
from .base import Attempt, EngineBase, doc_label
from .kinds.base import Kind, same_value
from .outcome import SyncError, SyncResult
from .push import GONE_STATES, is_voided
from .store import ConnectionConfig, Link

logger = logging.getLogger(__name__)

IN_STEP = "In Step"
DIFFERS = "Differs"
MISSING = "Missing in QBO"
VOIDED = "Voided in QBO"
ONLY_IN_QBO = "Only in QBO"
STATES = (IN_STEP, DIFFERS, MISSING, VOIDED, ONLY_IN_QBO)

INVOICE_KIND = "Sales Invoice"
CREDIT_NOTE_KIND = "Credit Note"
PAYMENT_KIND = "Payment Entry"


@dataclass(frozen=True)
class ReconcileKind:
	"""One kind of document compared: the ERPNext doctype (and which of its documents: filters, as the
	kind's), the QBO entity, and whether the open balance is compared too (only where both sides keep it the
	same way). unit is the document kind (sync/kinds) it is made from."""

	key: str
	doctype: str
	entity: str
	filters: tuple[tuple[str, Any], ...] = ()
	compare_balance: bool = False
	date_field: str = "posting_date"
	payment: bool = False  # compared by paid_amount (a payment), else by the rounded (or grand) total
	party_ref: str = "CustomerRef"
	unit: Kind | None = None

	def matches(self, doc: dict[str, Any]) -> bool:
		return all(same_value(doc.get(name), want) for name, want in self.filters)


# The report's names for the kinds (its filter shows them); a kind added later is named by its title.
LABELS = {
	"sales_invoice": INVOICE_KIND,
	"credit_note": CREDIT_NOTE_KIND,
	"payment": PAYMENT_KIND,
	"quotation": "Quotation",
	"purchase_order": "Purchase Order",
	"purchase_invoice": "Purchase Invoice",
	"debit_note": "Debit Note",
	"supplier_payment": "Supplier Payment",
}
# Where QBO's Balance is what ERPNext calls outstanding. QBO keeps a credit memo's (vendor credit's) credit
# open until it is applied there, ERPNext applies a return to the invoice it is against: their balances are
# not comparable, their totals are. Estimates and purchase orders have no balance.
BALANCED = ("Invoice", "Bill")


def _reconcile_kind(unit: Kind) -> ReconcileKind:
	payment = unit.entity in ("Payment", "BillPayment")
	return ReconcileKind(
		key=LABELS.get(unit.key) or unit.title[:1].upper() + unit.title[1:],
		doctype=unit.doctype,
		entity=unit.entity,
		filters=unit.filters,
		compare_balance=unit.entity in BALANCED,
		date_field=unit.date_field,
		payment=payment,
		party_ref=unit.party.ref if unit.party else "CustomerRef",
		unit=unit,
	)


# Every pushed kind that becomes one QBO transaction with a total (not timesheets: one TimeActivity per log).
KINDS: dict[str, ReconcileKind] = {
	rk.key: rk
	for rk in (_reconcile_kind(unit) for unit in units.KINDS if unit.direction != "pull" and not unit.rows)
}

OPERATION_RECONCILE = "reconcile"
OPERATION_DRIFT = "drift_check"
RECENT_DAYS = 31  # the drift check looks at documents posted in the last month
_DRIFT_LISTED = 20  # documents named in the drift check's log message


@dataclass
class ReconcileRow:
	"""One document (or one QBO transaction nobody in ERPNext is linked to)."""

	kind: str
	state: str
	doctype: str | None = None
	name: str | None = None
	posting_date: str | None = None
	currency: str | None = None
	erp_status: str | None = None  # Submitted / Cancelled
	erp_total: Decimal | None = None
	erp_outstanding: Decimal | None = None
	qbo_entity: str | None = None
	qbo_id: str | None = None
	qbo_number: str | None = None
	qbo_date: str | None = None
	qbo_total: Decimal | None = None
	qbo_balance: Decimal | None = None
	qbo_status: str | None = None
	difference: Decimal | None = None  # QBO minus ERPNext, of the total (else of the balance)
	drift: bool = False
	message: str = ""
	link_state: str | None = None

	def as_dict(self) -> dict[str, Any]:
		return asdict(self)


@dataclass
class ReconcileReport:
	"""What one reconciliation found; rows in kind, then date, then name order."""

	company: str
	realm_id: str
	from_date: str
	to_date: str
	kinds: list[str]
	rows: list[ReconcileRow] = field(default_factory=list)
	log_id: str | None = None

	def counts(self) -> dict[str, int]:
		out = dict.fromkeys(STATES, 0)
		for row in self.rows:
			out[row.state] += 1
		return out

	@property
	def drifted(self) -> list[ReconcileRow]:
		return [row for row in self.rows if row.drift]

	def summary(self) -> str:
		counts = self.counts()
		# "1 missing in QBO", not "1 missing in qbo": lower case, but QBO is still a name.
		parts = [
			f"{counts[state]} {state.lower().replace('qbo', 'QBO')}" for state in STATES if counts[state]
		]
		documents = sum(1 for row in self.rows if row.name)
		return (
			f"{documents} ERPNext document{'s' if documents != 1 else ''} of {self.company} "
			f"from {self.from_date} to {self.to_date}: {', '.join(parts) or 'nothing to compare'}."
		)


@dataclass
class DriftResult:
	"""The daily drift check: its report, its one log row, and what differs from QBO."""

	report: ReconcileReport | None
	result: SyncResult

	@property
	def drifted(self) -> list[ReconcileRow]:
		return self.report.drifted if self.report else []


@dataclass(frozen=True)
class ReconcileMark:
	"""What a drift check found about one linked document (kept on its link; the workspace card counts the
	documents whose `drift` is set)."""

	doctype: str
	name: str
	state: str
	drift: bool
	message: str


class ReadBudgetGate(Protocol):
	"""What reconcile asks before it reads: raises a QBOError when the month's read allowance is spent
	(see qbo.budget). The Frappe layer passes its own; tests pass one when they test it."""

	def check_deferrable(self, realm_id: str, what: str) -> None: ...


# -- comparisons ---------------------------------------------------------------------------------------------


def _iso(value: Any) -> str:
	if isinstance(value, datetime):
		return value.date().isoformat()
	if isinstance(value, date):
		return value.isoformat()
	return str(value or "")[:10]


def erp_total(kind: ReconcileKind, doc: dict[str, Any]) -> Decimal:
	"""ERPNext's figure QBO's TotalAmt should equal: what the push sends (mapping/invoice.py's expected total:
	the rounded total unless rounding is off; positive for a credit note), or a payment's paid amount."""
	if kind.payment:
		return q2(doc.get("paid_amount"))
	rounded = D(doc.get("rounded_total"))
	use_rounded = not doc.get("disable_rounded_total") and rounded != 0
	return abs(q2(rounded if use_rounded else doc.get("grand_total")))


def erp_outstanding(kind: ReconcileKind, doc: dict[str, Any]) -> Decimal:
	"""What is still open in ERPNext: an invoice's outstanding amount, a payment's unallocated amount."""
	if kind.payment:
		return q2(doc.get("unallocated_amount"))
	return q2(doc.get("outstanding_amount"))


def qbo_balance(kind: ReconcileKind, obj: dict[str, Any]) -> Decimal:
	if kind.entity == "Payment":
		return q2(obj.get("UnappliedAmt") or 0)
	return q2(obj.get("Balance") or 0)


def qbo_status(kind: ReconcileKind, obj: dict[str, Any] | None) -> str:
	"""QBO's state of a transaction in words."""
	if obj is None:
		return "Deleted"
	if is_voided(obj):
		return "Voided"
	if not kind.payment and kind.entity not in BALANCED and kind.entity != "CreditMemo":
		return str(obj.get("TxnStatus") or obj.get("POStatus") or "Open")  # Estimate, PurchaseOrder
	total, balance = q2(obj.get("TotalAmt") or 0), qbo_balance(kind, obj)
	if kind.payment:
		return f"Unapplied {fmt(balance)}" if balance else "Applied"
	if balance == 0 and total != 0:
		return "Paid" if kind.entity in BALANCED else "Applied"
	if balance != total:
		return "Partially paid" if kind.entity in BALANCED else "Partly applied"
	return "Open"


def compare(
	kind: ReconcileKind, doc: dict[str, Any], link: Link | None, obj: dict[str, Any] | None
) -> ReconcileRow:
	"""One ERPNext document against what QBO holds for it (obj None: not found in QBO)."""
	cancelled = int(doc.get("docstatus") or 0) == 2
	row = ReconcileRow(
		kind=kind.key,
		state=IN_STEP,
		doctype=kind.doctype,
		name=doc["name"],
		posting_date=_iso(doc.get(kind.date_field) or doc.get("posting_date")),
		currency=doc.get("currency") or doc.get("paid_from_account_currency"),
		erp_status="Cancelled" if cancelled else "Submitted",
		erp_total=erp_total(kind, doc),
		erp_outstanding=erp_outstanding(kind, doc),
		qbo_entity=(link.qbo_entity if link else None) or kind.entity,
		qbo_id=link.qbo_id if link else None,
		link_state=link.state if link else None,
	)
	label = doc_label(kind.doctype, doc["name"])
	sent = link is not None and link.qbo_id and link.state != "pending"
	if obj is not None:
		row.qbo_number = obj.get("DocNumber") or obj.get("PaymentRefNum")
		row.qbo_date = obj.get("TxnDate")
		row.qbo_total = q2(obj.get("TotalAmt") or 0)
		row.qbo_balance = qbo_balance(kind, obj)
	row.qbo_status = qbo_status(kind, obj) if sent else None
	where = f"QuickBooks {row.qbo_entity} {row.qbo_id}" if row.qbo_id else "QuickBooks"

	if not sent:
		row.state = MISSING
		row.message = (
			f"{label} was never sent to QuickBooks."
			if link is None
			else f"{label} has not reached QuickBooks yet (its first attempt did not finish)."
		)
		return row
	if cancelled:
		if obj is None or is_voided(obj) or (link is not None and link.state in GONE_STATES):
			row.message = f"Cancelled in ERPNext; {row.qbo_status.lower()} in QuickBooks."
			return row
		row.state, row.drift = DIFFERS, True
		row.difference = row.qbo_total
		row.message = f"{label} is cancelled in ERPNext but {where} is still {row.qbo_status.lower()} there."
		return row
	if obj is None:
		row.state, row.drift = MISSING, True
		row.message = f"{where}, linked to {label}, is not in QuickBooks any more (deleted there)."
		return row
	if is_voided(obj):
		row.state, row.drift = VOIDED, True
		row.message = f"{where} is voided in QuickBooks while {label} is still submitted in ERPNext."
		return row
	total_diff = row.qbo_total - row.erp_total
	balance_diff = row.qbo_balance - row.erp_outstanding if kind.compare_balance else ZERO
	if total_diff == 0 and balance_diff == 0:
		row.message = "Total" + (" and balance agree." if kind.compare_balance else " agrees.")
		return row
	row.state = DIFFERS
	row.difference = total_diff if total_diff else balance_diff
	parts = []
	if total_diff:
		parts.append(
			f"total {fmt(row.qbo_total)} in QuickBooks, {fmt(row.erp_total)} in ERPNext "
			f"({'+' if total_diff > 0 else '-'}{fmt(abs(total_diff))})"
		)
	if balance_diff:
		parts.append(
			f"balance {fmt(row.qbo_balance)} in QuickBooks, outstanding {fmt(row.erp_outstanding)} in ERPNext "
			f"({'+' if balance_diff > 0 else '-'}{fmt(abs(balance_diff))})"
		)
	# The push compared QBO's answer with ERPNext's total and reported the gap on its log row; while QBO
	# still holds that answer (and no payment diverged), this is not new drift.
	known = (
		total_diff != 0
		and link is not None
		and link.remote_total is not None
		and q2(link.remote_total) == row.qbo_total
		and (not kind.compare_balance or balance_diff == total_diff)
	)
	row.drift = not known
	why = (
		"; the same as QuickBooks answered when it was sent (its sync log row says why)"
		if known
		else "; changed in QuickBooks after it was sent"
		if total_diff and link is not None and link.remote_total is not None
		else ""
	)
	row.message = f"{label}: " + "; ".join(parts) + why + "."
	return row


def only_in_qbo_row(kind: ReconcileKind, obj: dict[str, Any]) -> ReconcileRow:
	"""A QBO transaction of the period that no ERPNext document is linked to."""
	number = obj.get("DocNumber") or obj.get("PaymentRefNum")
	return ReconcileRow(
		kind=kind.key,
		state=ONLY_IN_QBO,
		qbo_entity=kind.entity,
		qbo_id=str(obj.get("Id")),
		qbo_number=number,
		qbo_date=obj.get("TxnDate"),
		qbo_total=q2(obj.get("TotalAmt") or 0),
		qbo_balance=qbo_balance(kind, obj),
		qbo_status=qbo_status(kind, obj),
		currency=(obj.get("CurrencyRef") or {}).get("value"),
		message=(
			f"QuickBooks {kind.entity} {obj.get('Id')}{' ' + str(number) if number else ''} of "
			f"{obj.get('TxnDate')} ({(obj.get(kind.party_ref) or {}).get('name') or 'no party'}) is not "
			"linked to any ERPNext document."
		),
	)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
	for start in range(0, len(items), size):
		yield items[start : start + size]


# -- the engine side -----------------------------------------------------------------------------------------


class ReconcileMixin(EngineBase):
	"""reconcile() and drift_check()."""

	def reconcile(
		self,
		company: str,
		from_date: date | str,
		to_date: date | str,
		kinds: list[str] | None = None,
		*,
		only_in_qbo: bool = True,
		budget: ReadBudgetGate | None = None,
	) -> ReconcileReport:
		"""Compare a company's documents of a period with QBO; one log row says what was read and found, and
		each linked document's link keeps its state (Store.mark_reconciled).

		Raises SyncError when the company is not connected, and whatever the budget gate raises when the
		month's read allowance is spent (before anything is read)."""
		config = self._require_config(company)
		if budget is not None:
			budget.check_deferrable(config.realm_id, "reconciliation")
		report = ReconcileReport(
			company=company,
			realm_id=config.realm_id,
			from_date=_iso(from_date),
			to_date=_iso(to_date),
			kinds=self._kinds(kinds, config),
		)

		def work(at: Attempt) -> SyncResult:
			at.request = {"from_date": report.from_date, "to_date": report.to_date, "kinds": report.kinds}
			self._compare_period(config, report, only_in_qbo)
			at.response = {"counts": report.counts(), "kinds": report.kinds}
			status = "Warning" if report.drifted else "Success"
			return at.finish(status, report.summary())

		result = self._run(self._entry(OPERATION_RECONCILE, config), work)
		report.log_id = result.log_id
		if result.status == "Failed":
			raise SyncError(result.code or "RECONCILE", result.message, retryable=result.retryable)
		return report

	def drift_check(
		self, company: str, days: int = RECENT_DAYS, *, budget: ReadBudgetGate | None = None
	) -> DriftResult:
		"""The daily check: documents posted in the last `days` against QBO, without the "only in QBO" query.
		Writes one summary log row (Warning when something differs); like reconcile() it keeps each linked
		document's state on its link, so the workspace card can count what differs."""
		config = self._require_config(company)
		today = self.clock().date()
		report = ReconcileReport(
			company=company,
			realm_id=config.realm_id,
			from_date=(today - timedelta(days=days)).isoformat(),
			to_date=today.isoformat(),
			kinds=self._kinds(None, config),
		)

		def work(at: Attempt) -> SyncResult:
			at.request = {"from_date": report.from_date, "to_date": report.to_date, "kinds": report.kinds}
			if budget is not None:
				try:
					budget.check_deferrable(config.realm_id, "the daily drift check")
				except QBOError as exc:  # the allowance is spent: the check waits, and says why
					return at.finish("Skipped", exc.user_message or str(exc))
			self._compare_period(config, report, only_in_qbo=False)
			drifted = report.drifted
			at.response = {
				"counts": report.counts(),
				"differ": [
					{
						"doctype": row.doctype,
						"name": row.name,
						"state": row.state,
						"difference": str(row.difference) if row.difference is not None else None,
						"message": row.message,
					}
					for row in drifted
				],
			}
			if not drifted:
				return at.finish(
					"Success", f"Drift check: {report.summary()} Nothing differs from QuickBooks."
				)
			named = "; ".join(row.message for row in drifted[:_DRIFT_LISTED])
			more = f" (and {len(drifted) - _DRIFT_LISTED} more)" if len(drifted) > _DRIFT_LISTED else ""
			return at.finish(
				"Warning",
				f"Drift check: {len(drifted)} document{'s differ' if len(drifted) != 1 else ' differs'} from "
				f"QuickBooks{more}: {named} {report.summary()}",
			)

		result = self._run(self._entry(OPERATION_DRIFT, config), work)
		report.log_id = result.log_id
		return DriftResult(report=report if result.status in ("Success", "Warning") else None, result=result)

	# -- helpers ---------------------------------------------------------------------------------------------
	def _require_config(self, company: str) -> ConnectionConfig:
		config = self.store.get_config(company)
		if config is None:
			raise SyncError("NOT_CONNECTED", f"{company} is not connected to QuickBooks.")
		return config

	@staticmethod
	def _kinds(kinds: list[str] | None, config: ConnectionConfig | None = None) -> list[str]:
		"""The kinds asked for; by default those the connection sends (a kind switched off would only show
		its documents as never sent)."""
		default = [
			key
			for key, kind in KINDS.items()
			if config is None or kind.unit is None or kind.unit.enabled(config)
		]
		chosen = list(dict.fromkeys(kinds or default))
		unknown = [k for k in chosen if k not in KINDS]
		if unknown:
			raise ValueError(f"Unknown reconciliation kind(s) {unknown}; known: {', '.join(KINDS)}")
		return chosen

	def _compare_period(self, config: ConnectionConfig, report: ReconcileReport, only_in_qbo: bool) -> None:
		client = self.client(config.realm_id)
		for key in report.kinds:
			kind = KINDS[key]
			docs = [
				doc
				for doc in self.store.list_documents(
					config.company,
					kind.doctype,
					report.from_date,
					report.to_date,
					filters=dict(kind.filters),
					date_field=kind.date_field,
				)
				if kind.matches(doc)
			]
			links = self.store.get_links(config.realm_id, kind.doctype, [doc["name"] for doc in docs])
			found: dict[str, dict[str, Any]] = {}
			if only_in_qbo:
				period = (
					Query(kind.entity)
					.where("TxnDate", ">=", report.from_date)
					.where("TxnDate", "<=", report.to_date)
					.order_by("Id")
				)
				for obj in client.query_all(period):
					found[str(obj.get("Id"))] = obj
			wanted = sorted(
				{
					str(link.qbo_id)
					for link in links.values()
					if link.qbo_id and link.state != "pending" and link.qbo_entity == kind.entity
				}
				- set(found)
			)
			found.update(self.read_by_ids(client, kind.entity, wanted))
			rows = []
			linked_ids: set[str] = set()
			for doc in docs:
				link = links.get(doc["name"])
				if int(doc.get("docstatus") or 0) == 2 and (link is None or not link.qbo_id):
					continue  # cancelled before it was ever sent: nothing to compare
				obj = found.get(str(link.qbo_id)) if link is not None and link.qbo_id else None
				if link is not None and link.qbo_id:
					linked_ids.add(str(link.qbo_id))
				rows.append(compare(kind, doc, link, obj))
			if only_in_qbo:
				for qbo_id, obj in found.items():
					if qbo_id in linked_ids or is_voided(obj):
						continue
					if self.store.find_link(config.realm_id, kind.entity, qbo_id) is not None:
						continue  # linked to a document of another period
					rows.append(only_in_qbo_row(kind, obj))
			rows.sort(key=lambda r: (r.posting_date or r.qbo_date or "", r.name or "", r.qbo_id or ""))
			report.rows.extend(rows)
		# What was found is kept on each linked document's link (the workspace card counts the drifted ones),
		# whether a person ran the report or the scheduler ran the drift check: the newest look wins.
		marks = [
			ReconcileMark(row.doctype, row.name, row.state, row.drift, row.message)
			for row in report.rows
			if row.doctype and row.name and row.qbo_id and row.link_state != "pending"
		]
		self.store.mark_reconciled(config.realm_id, marks, self.clock())

	@staticmethod
	def read_by_ids(
		client: QBOClient, entity: str, ids: list[str], page: int = QUERY_MAX_RESULTS
	) -> dict[str, dict[str, Any]]:
		"""QBO objects by id, `page` ids to one query (`Id IN (...)`), so N documents cost N/1000 reads; an
		id QBO does not return is deleted there (a query shows voided transactions, not deleted ones)."""
		found: dict[str, dict[str, Any]] = {}
		for chunk in _chunks(ids, page):
			query = Query(entity).where("Id", "IN", chunk)
			page_rows = client.query(query.build(max_results=min(len(chunk), QUERY_MAX_RESULTS)))
			for key, rows in page_rows.items():
				if key.lower() == entity.lower() and isinstance(rows, list):
					found.update((str(obj.get("Id")), obj) for obj in rows if isinstance(obj, dict))
		return found
