"""ERPNext Quotation (submitted, to a Customer) -> QBO Estimate.

A quotation carries what a sales invoice does (items, tax rows, additional discount, rounding), so the
estimate is built by the invoice mapper with the quotation's own names for its fields: transaction_date
is the TxnDate, party_name the customer, valid_till the ExpirationDate, terms the customer message.
Alternative items (is_alternative) are not in ERPNext's totals, so they are left off the estimate and
named in a note. Errors name the Quotation and its fields, never the invoice the mapper was written for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.invoice import CUSTOMER_MEMO_MAX, PRIVATE_NOTE_MAX, MappedInvoice, _Invoice
from qbo_connector.mapping.text import iso_date, strip_html, truncate
from qbo_connector.mapping.validate import check_invoice_input

DOCTYPE = "Quotation"
# The invoice mapper's field names -> the quotation's.
FIELDS = {"posting_date": "transaction_date", "customer": "party_name", "due_date": "valid_till"}


def _field(name: str | None) -> str | None:
	if not name:
		return name
	head, dot, rest = name.partition(".")
	return FIELDS.get(head, head) + dot + rest


def _words(message: str) -> str:
	return message.replace("the invoice", "the quotation").replace("an invoice", "a quotation")


def _quotation_error(exc: MappingError, name: str) -> MappingError:
	return MappingError(DOCTYPE, name, _field(exc.field), _words(exc.message))


class _Estimate(_Invoice):
	"""The invoice mapper run over a quotation seen with invoice field names."""

	def __init__(self, quotation: Mapping[str, Any], ctx: MappingContext) -> None:
		rows = list(quotation.get("items") or [])
		self.alternatives = [row for row in rows if row.get("is_alternative")]
		view = dict(quotation)
		view.update(
			posting_date=quotation.get("transaction_date"),
			customer=quotation.get("party_name"),
			due_date=None,
			is_return=0,
			items=[row for row in rows if not row.get("is_alternative")],
		)
		super().__init__(view, ctx)
		self.quotation = quotation
		self.entity = "Estimate"  # type: ignore[assignment]

	def error(self, fieldname: str | None, message: str) -> MappingError:
		return MappingError(DOCTYPE, self.name, _field(fieldname), _words(message))

	def txn_date(self) -> str | None:
		return iso_date(self.quotation.get("transaction_date"))

	def service_date(self, row: Mapping[str, Any], txn_date: str | None) -> str | None:
		return None  # a quotation has no service periods

	def private_note(self, number: str) -> str:
		parts = [f"ERPNext {DOCTYPE} {self.name}"]
		if self.quotation.get("amended_from"):
			parts.append(f"amends {self.quotation['amended_from']}")
		if self.quotation.get("valid_till"):
			parts.append(f"valid till {iso_date(self.quotation.get('valid_till'))}")
		full = f"{self.ctx.doc_number_prefix}{self.name}"
		if number != full:
			parts.append(f"number shortened from {full}")
		return truncate("; ".join(parts), PRIVATE_NOTE_MAX)[0]

	def customer_memo(self) -> str | None:
		terms = " ".join(strip_html(self.quotation.get("terms")).split())
		if not terms:
			return None
		memo, cut = truncate(terms, CUSTOMER_MEMO_MAX)
		if cut:
			self.warnings.append(f"terms cut to {CUSTOMER_MEMO_MAX} characters for the customer message")
		return memo


def map_estimate(quotation: Mapping[str, Any], ctx: MappingContext) -> MappedInvoice:
	"""QBO Estimate body (and the totals QBO's answer is checked against) from a submitted Quotation."""
	name = str(quotation.get("name") or "")
	if quotation.get("quotation_to") not in (None, "", "Customer"):
		raise MappingError(
			DOCTYPE,
			name,
			"quotation_to",
			f"the quotation is to a {quotation.get('quotation_to')}; a QuickBooks estimate needs a customer",
		)
	mapper = _Estimate(quotation, ctx)
	try:
		check_invoice_input(mapper.doc, DOCTYPE)
		if not mapper.items:
			raise mapper.error("items", "the quotation has no item rows (alternative items are not sent)")
		mapped = mapper.build()
	except MappingError as exc:  # the invoice mapper's names -> the quotation's (idempotent)
		raise _quotation_error(exc, name) from None
	valid_till = iso_date(quotation.get("valid_till"))
	if valid_till:
		mapped.body["ExpirationDate"] = valid_till
	if mapper.alternatives:
		codes = ", ".join(str(row.get("item_code") or row.get("item_name")) for row in mapper.alternatives)
		mapped.warnings.append(f"alternative items left off the estimate (not in ERPNext's total): {codes}")
	return mapped
