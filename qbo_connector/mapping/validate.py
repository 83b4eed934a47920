"""Input checks that run before anything is built or written: every number and date the mappers read.

ERPNext's own validation keeps a submitted document sane, but documents also arrive through the REST API,
data imports and client scripts, and a float NaN, "12,50" or "2026-02-30" must end as one clear, permanent
error naming the document and the cell, never as `"Amount": NaN` in QBO or an internal error retried forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import BadNumber, D, fmt
from qbo_connector.mapping.text import iso_date

# QBO keeps amounts as decimals of at most 15 significant digits; with cents that is below 10^13.
AMOUNT_LIMIT = Decimal("1e13")

_INVOICE_HEADER_NUMBERS = (
	"grand_total",
	"rounded_total",
	"net_total",
	"total",
	"total_taxes_and_charges",
	"discount_amount",
	"conversion_rate",
)
_INVOICE_ROW_NUMBERS = ("qty", "rate", "amount", "net_rate", "net_amount", "distributed_discount_amount")
_TAX_ROW_NUMBERS = ("rate", "tax_amount", "total")
_PAYMENT_HEADER_NUMBERS = (
	"paid_amount",
	"received_amount",
	"unallocated_amount",
	"source_exchange_rate",
	"target_exchange_rate",
)
_PAYMENT_ROW_NUMBERS = ("allocated_amount", "outstanding_amount", "total_amount")


class _Checker:
	def __init__(self, doctype: str, doc: Mapping[str, Any]) -> None:
		self.doctype = doctype
		self.name = str(doc.get("name") or "")

	def error(self, fieldname: str, message: str) -> MappingError:
		return MappingError(self.doctype, self.name, fieldname, message)

	def number(self, value: Any, fieldname: str) -> Decimal:
		if isinstance(value, bool | list | dict):
			raise self.error(fieldname, f"{value!r} is not a number")
		try:
			number = D(value)
		except BadNumber:
			hint = " (use a point for decimals)" if isinstance(value, str) and "," in value else ""
			raise self.error(fieldname, f"{value!r} is not a number{hint}") from None
		if abs(number) >= AMOUNT_LIMIT:
			raise self.error(
				fieldname,
				f"{fmt(number)} is too large for QuickBooks (amounts stay below {AMOUNT_LIMIT:,.0f})",
			)
		return number

	def numbers(self, row: Mapping[str, Any], fields: Iterable[str], prefix: str = "") -> None:
		for fieldname in fields:
			if fieldname in row:
				self.number(row.get(fieldname), prefix + fieldname)

	def date(self, value: Any, fieldname: str, required: bool = False) -> str | None:
		try:
			parsed = iso_date(value)
		except (TypeError, ValueError):
			raise self.error(fieldname, f"{value!r} is not a valid date (YYYY-MM-DD)") from None
		if parsed is None and required:
			raise self.error(fieldname, "the date is missing")
		return parsed

	def json_numbers(self, value: Any, fieldname: str) -> None:
		"""item_tax_rate / item_wise_tax_detail: JSON whose leaves are rates or [rate, amount] pairs."""
		if not value:
			return
		data = value
		if isinstance(value, str):
			try:
				data = json.loads(value)
			except ValueError:
				raise self.error(fieldname, "is not valid JSON") from None
		if not isinstance(data, Mapping):
			return
		for key, leaf in data.items():
			for part in leaf if isinstance(leaf, list | tuple) else [leaf]:
				if part is None or isinstance(part, Mapping):
					continue  # a dict leaf is checked key by key below
				self.number(part, f"{fieldname}[{key}]")
			if isinstance(leaf, Mapping):
				for sub, part in leaf.items():
					if isinstance(part, int | float | str) and sub.endswith(("rate", "amount")):
						self.number(part, f"{fieldname}[{key}].{sub}")


def _idx(row: Mapping[str, Any], position: int) -> int:
	try:
		return int(row.get("idx") or position)
	except (TypeError, ValueError):
		return position


def check_invoice_input(doc: Mapping[str, Any], doctype: str = "Sales Invoice") -> None:
	"""Every number and date a Sales Invoice mapping reads is finite, parseable and within QBO's range."""
	check = _Checker(doctype, doc)
	check.numbers(doc, _INVOICE_HEADER_NUMBERS)
	check.date(doc.get("posting_date"), "posting_date", required=True)
	check.date(doc.get("due_date"), "due_date")
	check.date(doc.get("from_date"), "from_date")
	for position, row in enumerate(doc.get("items") or [], start=1):
		prefix = f"items[{_idx(row, position)}]."
		check.numbers(row, _INVOICE_ROW_NUMBERS, prefix)
		check.json_numbers(row.get("item_tax_rate"), prefix + "item_tax_rate")
		check.date(row.get("service_start_date"), prefix + "service_start_date")
		check.date(row.get("service_end_date"), prefix + "service_end_date")
	for position, row in enumerate(doc.get("taxes") or [], start=1):
		prefix = f"taxes[{_idx(row, position)}]."
		check.numbers(row, _TAX_ROW_NUMBERS, prefix)
		check.json_numbers(row.get("item_wise_tax_detail"), prefix + "item_wise_tax_detail")
	for position, row in enumerate(doc.get("item_wise_tax_details") or [], start=1):
		prefix = f"item_wise_tax_details[{_idx(row, position)}]."
		check.numbers(row, ("rate", "amount", "taxable_amount"), prefix)
	grand = check.number(doc.get("grand_total"), "grand_total")
	if doc.get("is_return") and grand > 0:
		raise check.error(
			"grand_total", f"a return (credit note) must have a negative grand total, not {fmt(grand)}"
		)
	if not doc.get("is_return") and grand < 0:
		raise check.error(
			"grand_total",
			f"QuickBooks cannot hold an invoice with a negative total ({fmt(grand)}); make it a return "
			"(credit note) instead",
		)


def check_payment_input(doc: Mapping[str, Any], doctype: str = "Payment Entry") -> None:
	"""Every number and date a Payment Entry mapping reads is finite, parseable and within QBO's range."""
	check = _Checker(doctype, doc)
	check.numbers(doc, _PAYMENT_HEADER_NUMBERS)
	check.date(doc.get("posting_date"), "posting_date", required=True)
	check.date(doc.get("reference_date"), "reference_date")
	for position, row in enumerate(doc.get("references") or [], start=1):
		check.numbers(row, _PAYMENT_ROW_NUMBERS, f"references[{_idx(row, position)}].")
	for position, row in enumerate(doc.get("deductions") or [], start=1):
		check.numbers(row, ("amount",), f"deductions[{_idx(row, position)}].")
