"""ERPNext Purchase Order -> QBO PurchaseOrder; Purchase Invoice -> QBO Bill; its return (debit note) -> QBO
VendorCredit with positive amounts.

Every line keeps its account. ERPNext books each purchase line to its expense_account (or, for stock items
bought without a receipt, Stock Received But Not Billed); QBO books an item line to its item's expense
account. So a line becomes an item line (ItemBasedExpenseLineDetail) only when its item is in QBO and books
to the QBO account the line's ERPNext account is mapped to; every other line is an account line
(AccountBasedExpenseLineDetail) on that mapped account, with the item in its description. Purchase items are
never created in QBO for this.

Amounts are ERPNext's after its additional discount (net_amount), so the lines add up to net_total and no
discount line is needed (QBO purchases have none). US companies keep no purchase tax in QBO: each ERPNext
tax row that is part of the total becomes an account line on its mapped account (the tax paid is a cost),
so QBO's total is ERPNext's grand total. Non-US companies would need purchase tax codes per line; a
document with purchase taxes for one is refused, naming the taxes, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.invoice import DESCRIPTION_MAX, PRIVATE_NOTE_MAX, doc_number, fit_unit_price
from qbo_connector.mapping.money import ZERO, D, fmt, json_number, q2
from qbo_connector.mapping.text import iso_date, strip_html, truncate
from qbo_connector.mapping.validate import _Checker

PURCHASE_ORDER = "Purchase Order"
PURCHASE_INVOICE = "Purchase Invoice"
DOC_NUMBER_MAX = 21
MEMO_MAX = 4000
Entity = Literal["PurchaseOrder", "Bill", "VendorCredit"]
_HEADER_NUMBERS = (
	"grand_total",
	"rounded_total",
	"net_total",
	"total",
	"total_taxes_and_charges",
	"discount_amount",
	"conversion_rate",
)
_ROW_NUMBERS = ("qty", "rate", "amount", "net_rate", "net_amount")
_TAX_NUMBERS = ("rate", "tax_amount", "tax_amount_after_discount_amount")


@dataclass
class MappedPurchase:
	"""A QBO PurchaseOrder, Bill or VendorCredit body and the total QBO should compute (positive)."""

	entity: Entity
	body: dict[str, Any]
	expected_total: Decimal
	body_total: Decimal
	warnings: list[str] = field(default_factory=list)
	difference_reasons: list[str] = field(default_factory=list)


def _idx(row: Mapping[str, Any], position: int) -> int:
	try:
		return int(row.get("idx") or position)
	except (TypeError, ValueError):
		return position


def _qty_text(value: Decimal) -> str:
	return format(value.normalize(), "f")


def check_purchase_input(doc: Mapping[str, Any], doctype: str, date_field: str) -> None:
	"""Every number and date the purchase mapping reads is finite, parseable and within QBO's range."""
	check = _Checker(doctype, doc)
	check.numbers(doc, _HEADER_NUMBERS)
	check.date(doc.get(date_field), date_field, required=True)
	for name in ("due_date", "schedule_date", "bill_date"):
		check.date(doc.get(name), name)
	for position, row in enumerate(doc.get("items") or [], start=1):
		check.numbers(row, _ROW_NUMBERS, f"items[{_idx(row, position)}].")
	for position, row in enumerate(doc.get("taxes") or [], start=1):
		check.numbers(row, _TAX_NUMBERS, f"taxes[{_idx(row, position)}].")
	grand = check.number(doc.get("grand_total"), "grand_total")
	if doc.get("is_return") and grand > 0:
		raise check.error(
			"grand_total", f"a return (debit note) must have a negative grand total, not {fmt(grand)}"
		)
	if not doc.get("is_return") and grand < 0:
		raise check.error(
			"grand_total",
			f"QuickBooks cannot hold a purchase with a negative total ({fmt(grand)}); make it a return",
		)


class _Purchase:
	def __init__(self, doctype: str, doc: Mapping[str, Any], ctx: MappingContext, entity: Entity) -> None:
		self.doctype = doctype
		self.doc = doc
		self.ctx = ctx
		self.entity = entity
		self.name = str(doc.get("name") or "")
		self.sign = Decimal(-1) if doc.get("is_return") else Decimal(1)
		self.warnings: list[str] = []

	def error(self, fieldname: str | None, message: str) -> MappingError:
		return MappingError(self.doctype, self.name, fieldname, message)

	def account(self, erp_account: Any, fieldname: str) -> str:
		"""The QBO account an ERPNext account is mapped to, else the connection's Default Expense Account."""
		qbo = self.ctx.account_map.get(str(erp_account or "")) or self.ctx.expense_account_ref
		if not qbo:
			raise self.error(
				fieldname,
				f"account '{erp_account}' is not mapped to a QuickBooks account and no Default Expense Account is "
				"set; map it in the QBO Account Map",
			)
		return qbo

	def item_line(self, row: Mapping[str, Any], position: int) -> tuple[dict[str, Any], Decimal]:
		idx = _idx(row, position)
		qty = D(row.get("qty")) * self.sign
		amount = q2(D(row.get("net_amount")) * self.sign)
		rate = D(row.get("net_rate") or row.get("rate"))
		account = self.account(row.get("expense_account"), f"items[{idx}].expense_account")
		code = row.get("item_code")
		text = strip_html(row.get("description")) or strip_html(row.get("item_name")) or str(code or "")
		item = self.ctx.item_refs.get(code) if code else None
		if item and self.ctx.item_expense_accounts.get(code) == account:
			out_qty, price, kept = fit_unit_price(qty, amount, rate)
			if kept:
				description, cut = truncate(text, DESCRIPTION_MAX)
				if cut:
					self.warnings.append(f"items[{idx}].description cut to {DESCRIPTION_MAX} characters")
				detail = {
					"ItemRef": {"value": item},
					"Qty": json_number(out_qty),
					"UnitPrice": json_number(price),
				}
				line: dict[str, Any] = {
					"DetailType": "ItemBasedExpenseLineDetail",
					"Amount": json_number(amount),
				}
				if description:
					line["Description"] = description
				line["ItemBasedExpenseLineDetail"] = detail
				return line, amount
		head = f"{code}: " if code and code != text else ""
		uom = row.get("uom") or row.get("stock_uom") or ""
		tail = f" ({_qty_text(qty)} {uom} x {fmt(rate)})".replace("  ", " ")
		description, cut = truncate(head + text, DESCRIPTION_MAX - len(tail))
		if cut:
			self.warnings.append(f"items[{idx}].description cut to {DESCRIPTION_MAX} characters")
		return self.account_line(amount, account, description + tail), amount

	@staticmethod
	def account_line(amount: Decimal, account: str, description: str) -> dict[str, Any]:
		return {
			"DetailType": "AccountBasedExpenseLineDetail",
			"Amount": json_number(amount),
			"Description": description,
			"AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}},
		}

	def tax_lines(self) -> tuple[list[dict[str, Any]], Decimal]:
		"""US: each tax row in the total as an account line on its mapped account (purchase tax is a cost)."""
		rows = [t for t in self.doc.get("taxes") or [] if t.get("category") != "Valuation"]
		taxed = [t for t in rows if D(t.get("tax_amount_after_discount_amount") or t.get("tax_amount"))]
		if taxed and not self.ctx.is_us:
			names = ", ".join(str(t.get("account_head")) for t in taxed)
			raise self.error(
				"taxes",
				f"purchase taxes ({names}) are only sent for US QuickBooks companies; this QuickBooks company "
				"needs purchase tax codes on each line, which the connector does not send yet. Enter this "
				f"{self.doctype.lower()} in QuickBooks, or switch its kind off on the QuickBooks connection",
			)
		lines: list[dict[str, Any]] = []
		total = ZERO
		for position, tax in enumerate(rows, start=1):
			value = D(tax.get("tax_amount_after_discount_amount") or tax.get("tax_amount"))
			amount = q2(value * self.sign * (-1 if tax.get("add_deduct_tax") == "Deduct" else 1))
			if not amount:
				continue
			idx = _idx(tax, position)
			account = self.account(tax.get("account_head"), f"taxes[{idx}].account_head")
			text = str(tax.get("description") or tax.get("account_head") or "Tax")
			lines.append(self.account_line(amount, account, truncate(text, DESCRIPTION_MAX)[0]))
			total += amount
		return lines, total

	def currency(self, body: dict[str, Any]) -> None:
		currency = self.doc.get("currency") or self.ctx.home_currency
		if currency == self.ctx.home_currency:
			if self.ctx.multicurrency:
				body["CurrencyRef"] = {"value": currency}
			return
		if not self.ctx.multicurrency:
			raise self.error(
				"currency",
				f"the {self.doctype.lower()} is in {currency}, but multicurrency is off in the QuickBooks company "
				f"(home currency {self.ctx.home_currency})",
			)
		rate = D(self.doc.get("conversion_rate"))
		if rate <= 0:
			raise self.error("conversion_rate", f"no exchange rate for {currency}")
		body["CurrencyRef"] = {"value": currency}
		body["ExchangeRate"] = json_number(rate)

	def private_note(self, extra: list[str]) -> str:
		parts = [f"ERPNext {self.doctype} {self.name}", *extra]
		if self.doc.get("amended_from"):
			parts.append(f"amends {self.doc['amended_from']}")
		return truncate("; ".join(parts), PRIVATE_NOTE_MAX)[0]

	def build(self, date_field: str) -> MappedPurchase:
		check_purchase_input(self.doc, self.doctype, date_field)
		docstatus = int(self.doc.get("docstatus") or 0)
		if docstatus == 0:
			raise self.error("docstatus", "a draft is never sent to QuickBooks; submit it first")
		if not self.ctx.vendor_ref:
			raise self.error("supplier", f"supplier '{self.doc.get('supplier')}' is not in QuickBooks yet")
		rows = [row for row in self.doc.get("items") or [] if D(row.get("qty")) or D(row.get("net_amount"))]
		if not rows:
			raise self.error("items", "there are no item rows")
		lines: list[dict[str, Any]] = []
		total = ZERO
		for position, row in enumerate(rows, start=1):
			line, amount = self.item_line(row, position)
			lines.append(line)
			total += amount
		tax_lines, tax = self.tax_lines()
		lines.extend(tax_lines)
		total += tax
		rounded = D(self.doc.get("rounded_total"))
		use_rounded = not self.doc.get("disable_rounded_total") and rounded != 0
		expected = q2(self.sign * (rounded if use_rounded else D(self.doc.get("grand_total"))))
		reasons: list[str] = []
		if expected != q2(total):
			gap = expected - q2(total)
			reasons.append(
				f"ERPNext's total {fmt(expected)} differs by {fmt(abs(gap))} from its lines and taxes "
				f"({fmt(total)}): ERPNext's rounding (rounding_adjustment {self.doc.get('rounding_adjustment')}), "
				"which QuickBooks purchases have no line for"
			)
			self.warnings.append(reasons[-1])
		body: dict[str, Any] = {
			"VendorRef": {"value": self.ctx.vendor_ref},
			"TxnDate": iso_date(self.doc.get(date_field)),
			"Line": lines,
		}
		if self.ctx.payables_account_ref:
			body["APAccountRef"] = {"value": self.ctx.payables_account_ref}
		self.currency(body)
		if not self.ctx.is_us:
			body["GlobalTaxCalculation"] = "NotApplicable"
		return MappedPurchase(
			entity=self.entity,
			body=body,
			expected_total=expected,
			body_total=q2(total),
			warnings=self.warnings,
			difference_reasons=reasons,
		)

	def number(self, value: Any, fieldname: str) -> str | None:
		"""The supplier's own document number as DocNumber (QBO keeps 21 characters; the rest is in the memo)."""
		text = " ".join(str(value or "").split())
		if not text:
			return None
		if len(text) > DOC_NUMBER_MAX:
			self.warnings.append(f"{fieldname} '{text}' cut to {DOC_NUMBER_MAX} characters for the DocNumber")
			return text[:DOC_NUMBER_MAX]
		return text


def map_purchase_order(order: Mapping[str, Any], ctx: MappingContext) -> MappedPurchase:
	"""QBO PurchaseOrder from a submitted ERPNext Purchase Order: item and account lines, the terms as the
	memo to the vendor, the shipping address as ShipAddr, the required-by date as DueDate."""
	mapper = _Purchase(PURCHASE_ORDER, order, ctx, "PurchaseOrder")
	mapped = mapper.build("transaction_date")
	body = mapped.body
	number = doc_number(mapper.name, ctx.doc_number_prefix)
	body["DocNumber"] = number
	due = iso_date(order.get("schedule_date"))
	if due:
		body["DueDate"] = due
	terms = " ".join(strip_html(order.get("terms")).split())
	if terms:
		memo, cut = truncate(terms, MEMO_MAX)
		if cut:
			mapper.warnings.append(f"terms cut to {MEMO_MAX} characters for the memo")
		body["Memo"] = memo
	if ctx.ship_address:
		body["ShipAddr"] = dict(ctx.ship_address)
	body["POStatus"] = "Open"
	extra = []
	full = f"{ctx.doc_number_prefix}{mapper.name}"
	if number != full:
		extra.append(f"number shortened from {full}")
	body["PrivateNote"] = mapper.private_note(extra)
	return mapped


def map_bill(invoice: Mapping[str, Any], ctx: MappingContext) -> MappedPurchase:
	"""QBO Bill from a submitted Purchase Invoice (VendorCredit for a return): the supplier's invoice number
	(bill_no) as DocNumber when set, the due date, item, account and tax lines."""
	entity: Entity = "VendorCredit" if invoice.get("is_return") else "Bill"
	mapper = _Purchase(PURCHASE_INVOICE, invoice, ctx, entity)
	mapped = mapper.build("posting_date")
	body = mapped.body
	number = mapper.number(invoice.get("bill_no"), "bill_no")
	if number:
		body["DocNumber"] = number
	if entity == "Bill":
		due = iso_date(invoice.get("due_date"))
		if due:
			body["DueDate"] = due
	extra = []
	if invoice.get("bill_no"):
		extra.append(f"supplier invoice {invoice['bill_no']}")
	if invoice.get("bill_date"):
		extra.append(f"dated {iso_date(invoice.get('bill_date'))}")
	if invoice.get("is_return") and invoice.get("return_against"):
		extra.append(f"return against {invoice['return_against']}")
	remarks = " ".join(str(invoice.get("remarks") or "").split())
	if remarks and remarks != "No Remarks":
		extra.append(remarks)
	body["PrivateNote"] = mapper.private_note(extra)
	return mapped
