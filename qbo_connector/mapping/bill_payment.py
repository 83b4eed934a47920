"""ERPNext Payment Entry (Pay, to a Supplier) -> QBO BillPayment applied to the bills it pays.

How it was paid follows the QBO account the entry's paid_from account is mapped to: a Bank account makes a
check (PayType Check, CheckPayment.BankAccountRef), a Credit Card account a card payment (PayType
CreditCard, CreditCardPayment.CCAccountRef). Each Purchase Invoice reference becomes a line linked to its
Bill (partial and several bills allowed); a negative allocation is a debit note being used up (its
VendorCredit). Money allocated beyond a bill's open balance in QBO stays unapplied there (a Warning).
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
PURCHASE_INVOICE = "Purchase Invoice"
DOC_NUMBER_MAX = 21
PRIVATE_NOTE_MAX = 4000
PAY_TYPES = {
	"Bank": ("Check", "CheckPayment", "BankAccountRef"),
	"Credit Card": ("CreditCard", "CreditCardPayment", "CCAccountRef"),
}


@dataclass
class MappedBillPayment:
	body: dict[str, Any]
	expected_total: Decimal
	expected_unapplied: Decimal
	warnings: list[str] = field(default_factory=list)
	left_unapplied: Decimal = ZERO


def map_bill_payment(payment: Mapping[str, Any], ctx: MappingContext) -> MappedBillPayment:
	"""QBO BillPayment body from a submitted Payment Entry that pays a supplier."""
	name = str(payment.get("name") or "")
	warnings: list[str] = []

	def error(fieldname: str, message: str) -> MappingError:
		return MappingError(DOCTYPE, name, fieldname, message)

	check_payment_input(payment, DOCTYPE)
	if int(payment.get("docstatus") or 0) == 0:
		raise error("docstatus", "a draft is never sent to QuickBooks; submit it first")
	if payment.get("payment_type") != "Pay" or payment.get("party_type") != "Supplier":
		raise error(
			"payment_type",
			"only payments made to a Supplier go to QuickBooks as bill payments "
			f"(this is '{payment.get('payment_type')}' to a {payment.get('party_type')})",
		)
	if not ctx.vendor_ref:
		raise error("party", f"supplier '{payment.get('party')}' is not in QuickBooks yet")
	total = q2(payment.get("paid_amount"))
	if total <= 0:
		raise error("paid_amount", "the amount paid must be more than zero")

	paid_from = payment.get("paid_from")
	account = ctx.account_map.get(str(paid_from or ""))
	if not account:
		raise error(
			"paid_from",
			f"account '{paid_from}' is not mapped to a QuickBooks account; map it in the QBO Account Map to the "
			"QuickBooks bank or credit card account the supplier was paid from",
		)
	kind = PAY_TYPES.get(ctx.payment_account_type or "")
	if kind is None:
		raise error(
			"paid_from",
			f"account '{paid_from}' is mapped to QuickBooks account {account}, of type "
			f"'{ctx.payment_account_type}'; a bill payment is paid from a Bank account (a check) or a Credit Card "
			"account",
		)
	pay_type, holder, ref_key = kind

	lines: list[dict[str, Any]] = []
	applied = ZERO
	left = ZERO
	for position, row in enumerate(payment.get("references") or [], start=1):
		idx = int(row.get("idx") or position)
		allocated = q2(row.get("allocated_amount"))
		if not allocated:
			continue
		if row.get("reference_doctype") != PURCHASE_INVOICE:
			warnings.append(
				f"references[{idx}]: {fmt(allocated)} allocated to {row.get('reference_doctype')} "
				f"{row.get('reference_name')} stays unapplied in QuickBooks"
			)
			continue
		reference = row.get("reference_name")
		qbo_id = ctx.bill_refs.get(reference)
		if not qbo_id:
			raise error(
				f"references[{idx}].reference_name",
				f"Purchase Invoice {reference} is not in QuickBooks yet, so the payment cannot be applied to it",
			)
		txn_type = "VendorCredit" if allocated < 0 else "Bill"
		amount = abs(allocated)
		balance = ctx.bill_balances.get(reference)
		if txn_type == "Bill" and balance is not None and amount > q2(balance):
			warnings.append(
				f"references[{idx}]: {fmt(allocated)} allocated to {reference} but its QuickBooks balance is "
				f"{fmt(balance)}; {fmt(amount - q2(balance))} stays unapplied"
			)
			left += amount - q2(balance)
			amount = q2(balance)
		if amount <= 0:
			continue
		lines.append({"Amount": json_number(amount), "LinkedTxn": [{"TxnId": qbo_id, "TxnType": txn_type}]})
		applied += amount if txn_type == "Bill" else -amount
	if not lines:
		raise error(
			"references", "the payment pays no Purchase Invoice in QuickBooks; a bill payment needs one"
		)
	unapplied = total - applied
	if unapplied < 0:
		raise error(
			"references",
			f"{fmt(applied)} is allocated to bills but only {fmt(total)} was paid; QuickBooks cannot apply more "
			"than the payment",
		)
	if unapplied > 0:
		warnings.append(f"{fmt(unapplied)} not allocated to a bill stays unapplied in QuickBooks")

	body: dict[str, Any] = {
		"VendorRef": {"value": ctx.vendor_ref},
		"PayType": pay_type,
		holder: {ref_key: {"value": account}},
		"TotalAmt": json_number(total),
		"TxnDate": iso_date(payment.get("posting_date")),
		"Line": lines,
	}
	if ctx.payables_account_ref:
		body["APAccountRef"] = {"value": ctx.payables_account_ref}
	reference_no = " ".join(str(payment.get("reference_no") or "").split())
	if reference_no:
		body["DocNumber"] = reference_no[:DOC_NUMBER_MAX]
		if len(reference_no) > DOC_NUMBER_MAX:
			warnings.append(f"reference_no cut to {DOC_NUMBER_MAX} characters (the full one is in the memo)")
	currency = payment.get("paid_from_account_currency") or ctx.home_currency
	if currency == ctx.home_currency and ctx.multicurrency:
		body["CurrencyRef"] = {"value": currency}
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
	return MappedBillPayment(
		body=body, expected_total=total, expected_unapplied=unapplied, warnings=warnings, left_unapplied=left
	)
