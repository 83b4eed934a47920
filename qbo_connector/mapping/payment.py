"""ERPNext Payment Entry (Receive from a Customer) -> QBO Payment applied to the invoices it pays.

Each Sales Invoice reference becomes a Line linked to the QBO invoice; what ERPNext left unallocated stays
unapplied in QBO (UnappliedAmt, a customer credit), which is the same meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import ZERO, D, fmt, json_number, q2
from qbo_connector.mapping.text import iso_date, truncate
from qbo_connector.mapping.validate import check_payment_input

DOCTYPE = "Payment Entry"
REF_NUM_MAX = 21
PRIVATE_NOTE_MAX = 4000


@dataclass
class MappedPayment:
	"""A QBO Payment body and the figures QBO's answer should show (TotalAmt, UnappliedAmt)."""

	body: dict[str, Any]
	expected_total: Decimal
	expected_unapplied: Decimal
	warnings: list[str] = field(default_factory=list)
	# What ERPNext allocated to invoices but QBO's open balance could not take: it stays unapplied in QBO,
	# so the push is a Warning naming it, never a plain Success.
	left_unapplied: Decimal = ZERO


def map_payment(payment: Mapping[str, Any], ctx: MappingContext) -> MappedPayment:
	"""QBO Payment body from a submitted Payment Entry; other payment kinds are refused with a clear reason."""
	name = str(payment.get("name") or "")
	warnings: list[str] = []

	def error(fieldname: str, message: str) -> MappingError:
		return MappingError(DOCTYPE, name, fieldname, message)

	check_payment_input(payment, DOCTYPE)
	docstatus = int(payment.get("docstatus") or 0)
	if docstatus == 0:
		raise error("docstatus", "a draft is never sent to QuickBooks; submit it first")
	if docstatus == 2:
		warnings.append("the payment is cancelled in ERPNext: it should be voided in QuickBooks, not created")
	payment_type = payment.get("payment_type")
	if payment_type != "Receive":
		raise error(
			"payment_type",
			f"only payments received from customers go to QuickBooks as Payments; '{payment_type}' is not supported",
		)
	if payment.get("party_type") != "Customer":
		raise error(
			"party_type",
			f"only payments from a Customer go to QuickBooks as Payments; party type '{payment.get('party_type')}' "
			"is not supported",
		)
	if not ctx.customer_ref:
		raise error("party", f"customer '{payment.get('party')}' is not in QuickBooks yet")
	total = q2(payment.get("paid_amount"))
	if total <= 0:
		raise error("paid_amount", "the amount paid must be more than zero")

	lines: list[dict[str, Any]] = []
	applied = ZERO
	left = ZERO
	for position, row in enumerate(payment.get("references") or [], start=1):
		idx = int(row.get("idx") or position)
		allocated = q2(row.get("allocated_amount"))
		if not allocated:
			continue
		if row.get("reference_doctype") != "Sales Invoice":
			warnings.append(
				f"references[{idx}]: {fmt(allocated)} allocated to {row.get('reference_doctype')} "
				f"{row.get('reference_name')} stays unapplied in QuickBooks"
			)
			continue
		reference = row.get("reference_name")
		qbo_id = ctx.invoice_refs.get(reference)
		if not qbo_id:
			raise error(
				f"references[{idx}].reference_name",
				f"Sales Invoice {reference} is not in QuickBooks yet, so the payment cannot be applied to it",
			)
		# A negative allocation is a credit note (return) being used up by this payment.
		txn_type = "CreditMemo" if allocated < 0 else "Invoice"
		amount = abs(allocated)
		balance = ctx.invoice_balances.get(reference)
		if txn_type == "Invoice" and balance is not None and amount > q2(balance):
			warnings.append(
				f"references[{idx}]: {fmt(allocated)} allocated to {reference} but its QuickBooks balance is "
				f"{fmt(balance)}; {fmt(amount - q2(balance))} stays unapplied"
			)
			left += amount - q2(balance)
			amount = q2(balance)
		if amount <= 0:
			continue
		lines.append({"Amount": json_number(amount), "LinkedTxn": [{"TxnId": qbo_id, "TxnType": txn_type}]})
		applied += amount if txn_type == "Invoice" else -amount

	unapplied = total - applied
	if unapplied < 0:
		fieldname = "deductions" if payment.get("deductions") else "references"
		raise error(
			fieldname,
			f"{fmt(applied)} is allocated to invoices but only {fmt(total)} was paid; QuickBooks cannot apply more "
			"than the payment (write-offs and deductions need a credit memo or journal entry there)",
		)

	body: dict[str, Any] = {
		"CustomerRef": {"value": ctx.customer_ref},
		"TotalAmt": json_number(total),
		"TxnDate": iso_date(payment.get("posting_date")),
		"Line": lines,
	}
	reference_no = " ".join(str(payment.get("reference_no") or "").split())
	if reference_no:
		body["PaymentRefNum"] = reference_no[:REF_NUM_MAX]
		if len(reference_no) > REF_NUM_MAX:
			warnings.append(f"reference_no cut to {REF_NUM_MAX} characters (the full one is in the memo)")
	deposit = ctx.account_map.get(payment.get("paid_to") or "") or ctx.deposit_account_ref
	if deposit:
		body["DepositToAccountRef"] = {"value": deposit}

	currency = payment.get("paid_from_account_currency") or ctx.home_currency
	if currency == ctx.home_currency and ctx.multicurrency:
		body["CurrencyRef"] = {"value": currency}  # else QBO takes the customer's currency
	if currency != ctx.home_currency:
		if not ctx.multicurrency:
			raise error(
				"paid_from_account_currency",
				f"the payment is in {currency}, but multicurrency is off in the QuickBooks company (home currency "
				f"{ctx.home_currency})",
			)
		rate = D(payment.get("source_exchange_rate"))
		if rate <= 0:
			raise error("source_exchange_rate", f"no exchange rate for {currency}")
		body["CurrencyRef"] = {"value": currency}
		body["ExchangeRate"] = json_number(rate)

	note = [f"ERPNext {DOCTYPE} {name}"]
	if payment.get("mode_of_payment"):
		note.append(str(payment["mode_of_payment"]))
	if reference_no:
		note.append(f"reference {reference_no}")
	body["PrivateNote"] = truncate("; ".join(note), PRIVATE_NOTE_MAX)[0]
	return MappedPayment(
		body=body, expected_total=total, expected_unapplied=unapplied, warnings=warnings, left_unapplied=left
	)
