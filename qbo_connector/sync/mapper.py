"""The one place the engine calls the mapping package, so its shape is adapted here and nowhere else.

`Mapped` is what the engine needs from any mapper: the QBO entity, the body, the total QBO should compute
and the reasons it may not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_dimensions
from qbo_connector.mapping.invoice import MappedInvoice, explain_total_difference, map_invoice
from qbo_connector.mapping.money import fmt, q2
from qbo_connector.mapping.payment import map_payment
from qbo_connector.mapping.pull import qbo_customer_to_erpnext, qbo_item_to_erpnext, qbo_payment_to_plan

from .store import PAYMENT_ENTRY, SALES_INVOICE, ConnectionConfig


@dataclass
class Mapped:
	"""A body ready to send and what its answer must say."""

	entity: str
	body: dict[str, Any]
	expected_total: Decimal | None = None
	warnings: list[str] = field(default_factory=list)
	difference_reasons: list[str] = field(default_factory=list)
	source: Any = None  # the mapping package's own result object
	tolerance: Decimal = Decimal("0.01")  # the rounding gap accepted between QBO's total and ERPNext's
	left_unapplied: Decimal = Decimal("0")  # payments: allocated in ERPNext, unapplied in QBO
	deposit_to: str | None = None  # payments: QBO bank Account id a Deposit moves it to (create_deposits)


def map_document(doctype: str, doc: dict[str, Any], ctx: MappingContext) -> Mapped:
	"""Sales Invoice -> Invoice/CreditMemo, Payment Entry -> Payment."""
	if doctype == SALES_INVOICE:
		invoice = map_invoice(doc, ctx)
		apply_dimensions(invoice.body, doc, ctx, doctype)  # classes and locations, as QBO tracks them
		return Mapped(
			entity=invoice.entity,
			body=invoice.body,
			expected_total=invoice.expected_total,
			warnings=list(invoice.warnings),
			difference_reasons=[d.reason for d in invoice.known_differences],
			source=invoice,
			tolerance=invoice.tolerance,
		)
	if doctype == PAYMENT_ENTRY:
		payment = map_payment(doc, ctx)
		return Mapped(
			entity="Payment",
			body=payment.body,
			expected_total=payment.expected_total,
			warnings=list(payment.warnings),
			source=payment,
			left_unapplied=payment.left_unapplied,
		)
	raise ValueError(f"{doctype} is not pushed to QuickBooks")


def explain_difference(mapped: Mapped, qbo_total: Decimal) -> str:
	"""Why QBO's total differs from ERPNext's, in the mapping package's words when it has them."""
	if isinstance(mapped.source, MappedInvoice):
		return explain_total_difference(mapped.source, qbo_total)
	expected = q2(mapped.expected_total or 0)
	why = "; ".join(mapped.difference_reasons) or "check the document in QuickBooks"
	return f"QuickBooks total {fmt(qbo_total)} differs from ERPNext's {fmt(expected)}: {why}."


def customer_to_erpnext(obj: dict[str, Any]) -> dict[str, Any]:
	"""ERPNext Customer fields for a QBO Customer."""
	return qbo_customer_to_erpnext(obj)


def item_to_erpnext(obj: dict[str, Any]) -> dict[str, Any] | None:
	"""ERPNext Item fields for a QBO Service/NonInventory item (None for other types)."""
	return qbo_item_to_erpnext(obj)


def payment_to_erpnext(
	obj: dict[str, Any],
	invoices: dict[str, str],
	credit_notes: dict[str, str],
	customer: str,
	config: ConnectionConfig,
) -> tuple[dict[str, Any], list[str]]:
	"""A Payment Entry (Receive) for a QBO payment, allocated to the ERPNext invoices it pays.

	invoices/credit_notes: QBO Invoice/CreditMemo id -> ERPNext Sales Invoice name, only for documents
	sent from ERPNext. Money QBO applied to transactions ERPNext does not know is left out (it is not a
	credit of the customer), QBO's unapplied amount stays unallocated (an advance). Returns (fields, notes).
	"""
	plan = qbo_payment_to_plan(obj)
	notes = list(plan.warnings)
	references: list[dict[str, Any]] = []
	paid = plan.unallocated
	for qbo_id, amount in plan.allocations:
		name = invoices.get(qbo_id)
		if name is None:
			notes.append(
				f"{fmt(amount)} applied in QuickBooks to invoice {qbo_id}, which ERPNext did not send, is left out"
			)
			continue
		references.append(
			{"reference_doctype": SALES_INVOICE, "reference_name": name, "allocated_amount": float(amount)}
		)
		paid += amount
	for qbo_id, amount in plan.credit_allocations:
		name = credit_notes.get(qbo_id)
		if name is None:
			notes.append(f"{fmt(amount)} of credit memo {qbo_id}, which ERPNext did not send, is left out")
			continue
		references.append(
			{"reference_doctype": SALES_INVOICE, "reference_name": name, "allocated_amount": float(-amount)}
		)
		paid -= amount
	reverse_accounts = {qbo: erp for erp, qbo in config.account_map.items()}
	data: dict[str, Any] = {
		"doctype": PAYMENT_ENTRY,
		"payment_type": "Receive",
		"party_type": "Customer",
		"party": customer,
		"company": config.company,
		"posting_date": plan.posting_date,
		"paid_amount": float(q2(paid)),
		"received_amount": float(q2(paid)),
		"unallocated_amount": float(q2(plan.unallocated)),
		"reference_no": plan.reference_no,
		"reference_date": plan.posting_date,
		"references": references,
		"qbo_payment_id": plan.qbo_id,
		"remarks": f"QuickBooks payment {plan.qbo_id}"
		+ (f": {plan.private_note}" if plan.private_note else ""),
	}
	if plan.deposit_account_ref and plan.deposit_account_ref in reverse_accounts:
		data["paid_to"] = reverse_accounts[plan.deposit_account_ref]
	if plan.currency:
		data["paid_from_account_currency"] = plan.currency
	if plan.exchange_rate is not None:
		data["source_exchange_rate"] = float(plan.exchange_rate)
	return data, notes
