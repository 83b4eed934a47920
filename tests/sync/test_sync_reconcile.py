"""Reconciliation: ERPNext and QBO side by side per document, read from QBO in pages of ids, and the daily
drift check that keeps what differs on the links and writes one summary log row."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sync_support import COMPANY, Clock

from qbo_connector.emulator import EmulatorServer
from qbo_connector.qbo.errors import QBOError
from qbo_connector.sync import Link, MemoryStore, SyncEngine, SyncError
from qbo_connector.sync.reconcile import (
	CREDIT_NOTE_KIND,
	DIFFERS,
	IN_STEP,
	INVOICE_KIND,
	KINDS,
	MISSING,
	ONLY_IN_QBO,
	PAYMENT_KIND,
	VOIDED,
	ReconcileMixin,
	compare,
)

SI, PE = "Sales Invoice", "Payment Entry"
BASIC, US_TAX, DISCOUNTS = "ACC-SINV-2026-00002", "ACC-SINV-2026-00003", "ACC-SINV-2026-00004"
TAX_INCLUSIVE, ROUNDING = "ACC-SINV-2026-00005", "ACC-SINV-2026-00006"
RETURN, LONG_TEXT, CANCELLED = "ACC-SINV-2026-00008", "ACC-SINV-2026-00009", "ACC-SINV-2026-00011"
SEPTEMBER = "ACC-SINV-2026-00010"
NOVEMBER = ("2026-11-01", "2026-11-30")


def row_of(report, name):
	found = [row for row in report.rows if row.name == name]
	assert len(found) == 1, f"{len(found)} rows for {name}"
	return found[0]


def http_calls(store: MemoryStore, log_id: str) -> list[dict]:
	request = json.loads(store.get_log(log_id).request_json or "[]")
	return request.get("http", []) if isinstance(request, dict) else request


def push_all(engine: SyncEngine, *names: str, doctype: str = SI) -> None:
	for name in names:
		result = engine.push(doctype, name)
		assert result.ok, result.message


def test_every_state_of_a_month(engine: SyncEngine, store: MemoryStore, emu: EmulatorServer) -> None:
	push_all(engine, BASIC, US_TAX, ROUNDING, LONG_TEXT, TAX_INCLUSIVE, RETURN, DISCOUNTS)
	qbo = {
		name: store.get_link(emu.realm_id, SI, name).qbo_id
		for name in (US_TAX, ROUNDING, LONG_TEXT, TAX_INCLUSIVE)
	}
	emu.edit_invoice(qbo[ROUNDING], add_amount="10")  # an accountant adds a line in QBO
	emu.record_payment(invoice_id=qbo[US_TAX], amount="100")  # paid in QBO, not pulled yet
	emu.void_invoice(qbo[LONG_TEXT])
	emu.delete_invoice(qbo[TAX_INCLUSIVE])
	customer = store.get_link(emu.realm_id, "Customer", "O'Brien & Søn Ltd").qbo_id
	typed_in_qbo = emu.add_invoice(customer, "75.50", txn_date="2026-11-21", doc_number="QBO-ONLY-1")
	emu.add_invoice(customer, "12", txn_date="2026-10-31")  # another month: not in this report
	unsent = "ACC-SINV-2026-90002"
	doc = store.get_doc(SI, BASIC)
	doc["name"] = unsent
	store.add_doc(doc)

	report = engine.reconcile(COMPANY, *NOVEMBER)

	assert row_of(report, BASIC).state == IN_STEP
	assert row_of(report, RETURN).kind == CREDIT_NOTE_KIND and row_of(report, RETURN).state == IN_STEP
	changed = row_of(report, ROUNDING)
	assert (changed.state, changed.difference, changed.drift) == (DIFFERS, Decimal("10.00"), True)
	assert (changed.erp_total, changed.qbo_total) == (Decimal("109.00"), Decimal("119.00"))
	assert "changed in QuickBooks after it was sent" in changed.message
	paid = row_of(report, US_TAX)
	assert (paid.state, paid.difference, paid.drift) == (DIFFERS, Decimal("-100.00"), True)
	assert paid.qbo_status == "Partially paid" and "balance 2081.65 in QuickBooks" in paid.message
	voided = row_of(report, LONG_TEXT)
	assert (voided.state, voided.drift, voided.qbo_status) == (VOIDED, True, "Voided")
	deleted = row_of(report, TAX_INCLUSIVE)
	assert (deleted.state, deleted.drift) == (MISSING, True) and "deleted there" in deleted.message
	never = row_of(report, unsent)
	assert (never.state, never.drift) == (MISSING, False) and "never sent" in never.message
	# The push of DISCOUNTS already said QBO's total is a cent under ERPNext's: shown, not counted again.
	cent = row_of(report, DISCOUNTS)
	assert (cent.state, cent.difference, cent.drift) == (DIFFERS, Decimal("-0.01"), False)
	assert "same as QuickBooks answered when it was sent" in cent.message
	only = [row for row in report.rows if row.state == ONLY_IN_QBO]
	assert [(r.qbo_id, r.qbo_number, r.qbo_total) for r in only] == [
		(typed_in_qbo["Id"], "QBO-ONLY-1", Decimal("75.50"))
	]
	names = {row.name for row in report.rows}
	assert CANCELLED not in names  # cancelled before it was ever sent: nothing to compare
	assert SEPTEMBER not in names  # posted in September
	# Never sent: the EUR invoice, the amendment, the copy of BASIC, both payments.
	never_sent = {r.name for r in report.rows if r.state == MISSING and not r.drift}
	assert never_sent == {
		"ACC-SINV-2026-00007",
		"ACC-SINV-2026-00011-1",
		unsent,
		"ACC-PAY-2026-00002",
		"ACC-PAY-2026-00003",
	}
	assert report.counts() == {IN_STEP: 2, DIFFERS: 3, MISSING: 6, VOIDED: 1, ONLY_IN_QBO: 1}
	assert {row.name for row in report.drifted} == {ROUNDING, US_TAX, LONG_TEXT, TAX_INCLUSIVE}

	log = store.get_log(report.log_id)
	assert log.operation == "reconcile" and log.status == "Warning" and log.company == COMPANY
	assert "2 in step" in log.message and "1 only in QBO" in log.message


def test_qbo_is_read_a_page_of_ids_at_a_time(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	push_all(engine, BASIC, US_TAX, ROUNDING, LONG_TEXT, RETURN)
	push_all(engine, "ACC-PAY-2026-00002", doctype=PE)
	report = engine.reconcile(COMPANY, *NOVEMBER, only_in_qbo=False)
	calls = http_calls(store, report.log_id)
	# One query per kind holding links (invoices, credit notes, payments), whatever the number of documents.
	assert [c["method"] for c in calls] == ["GET", "GET", "GET"]
	assert all("/query?" in c["url"] for c in calls)
	invoice_ids = sorted(
		store.get_link(emu.realm_id, SI, n).qbo_id for n in (BASIC, US_TAX, ROUNDING, LONG_TEXT)
	)
	assert "Id+IN+%28" + "%2C+".join(f"%27{i}%27" for i in invoice_ids) + "%29" in calls[0]["url"]
	assert row_of(report, "ACC-PAY-2026-00002").kind == PAYMENT_KIND
	assert row_of(report, "ACC-PAY-2026-00002").state == IN_STEP

	with_period = engine.reconcile(COMPANY, *NOVEMBER)
	# "Only in QBO" reads each kind's period once (every kind the connection sends); linked documents found
	# there are not read again.
	period_calls = http_calls(store, with_period.log_id)
	assert len(period_calls) == len(with_period.kinds) >= 3
	assert all("TxnDate" in c["url"] for c in period_calls)


def test_read_by_ids_sends_at_most_a_thousand_ids_a_query() -> None:
	class Recorder:
		def __init__(self) -> None:
			self.queries: list[str] = []

		def query(self, text: str) -> dict:
			self.queries.append(text)
			ids = text.split("IN (")[1].split(")")[0].replace("'", "").split(", ")
			return {"Invoice": [{"Id": i} for i in ids if int(i) % 2]}  # even ids: deleted in QBO

	client = Recorder()
	ids = [str(n) for n in range(1, 2346)]
	found = ReconcileMixin.read_by_ids(client, "Invoice", ids)  # type: ignore[arg-type]
	assert [q.count("'") // 2 for q in client.queries] == [1000, 1000, 345]
	assert all(q.endswith("MAXRESULTS 1000") or q.endswith("MAXRESULTS 345") for q in client.queries)
	assert len(found) == 1173 and "2" not in found and found["2345"] == {"Id": "2345"}


def _doc(**values) -> dict:
	doc = {"name": "SINV-1", "docstatus": 1, "posting_date": "2026-11-21", "currency": "USD"}
	doc.update(values)
	return doc


def _link(**values) -> Link:
	link = Link("1", SI, "SINV-1", "Invoice", qbo_id="7", state="synced", remote_total=Decimal("100.00"))
	for key, value in values.items():
		setattr(link, key, value)
	return link


@pytest.mark.parametrize(
	("doc", "link", "obj", "state", "drift", "words"),
	[
		# Cancelled in ERPNext and voided in QBO: both sides agree.
		(
			_doc(docstatus=2, grand_total=100),
			_link(state="voided"),
			{"Id": "7", "TotalAmt": 0, "PrivateNote": "Voided"},
			IN_STEP,
			False,
			"Cancelled in ERPNext",
		),
		# Cancelled in ERPNext, the void never reached QBO.
		(
			_doc(docstatus=2, grand_total=100, outstanding_amount=100),
			_link(),
			{"Id": "7", "TotalAmt": 100, "Balance": 100},
			DIFFERS,
			True,
			"still open",
		),
		# A create still pending (its first attempt did not finish): not drift, the sweep and retries see to it.
		(
			_doc(grand_total=100, outstanding_amount=100),
			_link(state="pending", qbo_id=None),
			None,
			MISSING,
			False,
			"not reached",
		),
		# Rounded total is what QBO should hold.
		(
			_doc(grand_total=108.86, rounded_total=109, outstanding_amount=109),
			_link(remote_total=Decimal("109")),
			{"Id": "7", "TotalAmt": 109, "Balance": 109},
			IN_STEP,
			False,
			"agree",
		),
		# A cent the push reported, but the balance moved too (a payment on one side): that is drift.
		(
			_doc(grand_total=100, outstanding_amount=100),
			_link(remote_total=Decimal("99.99")),
			{"Id": "7", "TotalAmt": 99.99, "Balance": 49.99},
			DIFFERS,
			True,
			"balance 49.99",
		),
	],
)
def test_compare_decides_one_state(doc, link, obj, state, drift, words) -> None:
	row = compare(KINDS[INVOICE_KIND], doc, link, obj)
	assert (row.state, row.drift) == (state, drift), row.message
	assert words in row.message


def test_payments_compare_totals_and_show_unapplied() -> None:
	kind = KINDS[PAYMENT_KIND]
	doc = {
		"name": "PAY-1",
		"docstatus": 1,
		"posting_date": "2026-11-21",
		"paid_amount": 500,
		"unallocated_amount": 0,
	}
	link = Link("1", PE, "PAY-1", "Payment", qbo_id="3", state="synced", remote_total=Decimal("500"))
	row = compare(kind, doc, link, {"Id": "3", "TotalAmt": 500, "UnappliedAmt": 20})
	# QBO kept 20 unapplied (the invoice's balance there was lower; the push said so): totals agree.
	assert (row.state, row.qbo_balance, row.qbo_status) == (IN_STEP, Decimal("20.00"), "Unapplied 20.00")
	row = compare(kind, doc, link, {"Id": "3", "TotalAmt": 450, "UnappliedAmt": 0})
	assert (row.state, row.difference, row.drift) == (DIFFERS, Decimal("-50.00"), True)


def test_drift_check_keeps_states_on_links_and_writes_one_row(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	push_all(engine, BASIC, ROUNDING, DISCOUNTS)
	emu.edit_invoice(store.get_link(emu.realm_id, SI, ROUNDING).qbo_id, add_amount="5")
	clock.now = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)
	before = len(store.logs())

	checked = engine.drift_check(COMPANY, days=31)

	rows = store.logs()[before:]
	assert [row.operation for row in rows] == ["drift_check"] and rows[0].status == "Warning"
	assert checked.result.status == "Warning" and [r.name for r in checked.drifted] == [ROUNDING]
	assert "1 document differs from QuickBooks" in rows[0].message and ROUNDING in rows[0].message
	assert "only in qbo" not in rows[0].message.lower()  # the drift check does not read whole periods
	assert "total 114.00 in QuickBooks, 109.00 in ERPNext (+5.00)" in rows[0].message
	assert json.loads(rows[0].request_json)["sent"] == {
		"from_date": "2026-10-25",
		"to_date": "2026-11-25",
		"kinds": list(KINDS),
	}
	assert store.reconciled(emu.realm_id, SI, ROUNDING) == {
		"state": DIFFERS,
		"drift": True,
		"message": checked.drifted[0].message,
		"checked_at": clock.now,
	}
	assert store.reconciled(emu.realm_id, SI, BASIC)["drift"] is False
	assert store.reconciled(emu.realm_id, SI, DISCOUNTS)["state"] == DIFFERS  # the known cent
	assert store.reconciled(emu.realm_id, SI, DISCOUNTS)["drift"] is False


def test_drift_check_of_a_month_in_step_is_success(
	engine: SyncEngine, store: MemoryStore, clock: Clock
) -> None:
	push_all(engine, BASIC, US_TAX)
	clock.now = datetime(2026, 12, 3, tzinfo=timezone.utc)
	checked = engine.drift_check(COMPANY)
	assert checked.result.status == "Success", checked.result.message
	assert checked.drifted == [] and "Nothing differs" in checked.result.message


class Spent:
	"""A read-budget gate whose allowance is used up."""

	def __init__(self) -> None:
		self.asked: list[tuple[str, str]] = []

	def check_deferrable(self, realm_id: str, what: str) -> None:
		self.asked.append((realm_id, what))
		raise QBOError(
			"budget", user_message=f"The monthly read allowance is spent; {what} waits until next month."
		)


def test_spent_read_budget_stops_reconciliation_before_any_read(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, clock: Clock
) -> None:
	push_all(engine, BASIC)
	gate = Spent()
	logs = len(store.logs())
	with pytest.raises(QBOError, match="reconciliation waits"):
		engine.reconcile(COMPANY, *NOVEMBER, budget=gate)
	assert len(store.logs()) == logs and gate.asked == [(emu.realm_id, "reconciliation")]
	clock.now = datetime(2026, 11, 25, tzinfo=timezone.utc)
	checked = engine.drift_check(COMPANY, budget=gate)
	assert checked.result.status == "Skipped" and "the daily drift check waits" in checked.result.message
	assert http_calls(store, checked.result.log_id) == [] and checked.report is None


def test_unknown_company_and_kind_are_refused(engine: SyncEngine) -> None:
	with pytest.raises(SyncError, match="not connected"):
		engine.reconcile("Nobody Ltd", *NOVEMBER)
	with pytest.raises(ValueError, match="Journal Entry"):
		engine.reconcile(COMPANY, *NOVEMBER, kinds=["Journal Entry"])
	assert engine.reconcile(COMPANY, *NOVEMBER, kinds=[CREDIT_NOTE_KIND]).kinds == [CREDIT_NOTE_KIND]
