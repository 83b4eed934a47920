"""ERPNext Sales Invoice -> QBO Invoice; a return (credit note) -> QBO CreditMemo with positive amounts.

The hard part is money. QBO recomputes TotalAmt from what we send, so every figure here is chosen to make
QBO land on ERPNext's total, and where it cannot (ERPNext keeps a cent nowhere but in its grand total) the
result says so: `expected_total`, `body_total` and `known_differences` let the engine compare QBO's answer
and `explain_total_difference` tell the accountant why, in words. Nothing is absorbed silently.

Decisions (see the fixtures README for the ERPNext behaviour behind each):
- Lines carry `rate`/`amount`: line discounts are already inside `rate`, and the additional discount is
  NOT (it only reaches `net_rate`/`net_amount`), so it goes on one DiscountLineDetail line whose amount is
  the pre-tax reduction `sum(line amounts) - net_total` (= sum of distributed_discount_amount).
- Amount must equal Qty x UnitPrice to the cent (fault 6070): when ERPNext's rate does not give the amount,
  UnitPrice becomes amount / qty with the fewest decimals (2..7) that do; failing that, Qty 1 at the amount
  and the quantity and rate go into the description.
- US companies have no tax-inclusive prices: lines go net (`net_amount` + its distributed discount) with
  TAX/NON and ERPNext's tax as TotalTax; ERPNext's gross grand total may then be a cent away (reported).
  Non-US companies get GlobalTaxCalculation TaxInclusive with the gross `rate`/`amount` instead.
- Rounding (`rounded_total` != `grand_total`) becomes a non-taxable line on the configured Rounding item;
  without one there is no line and the difference is reported.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from qbo_connector.mapping.context import MappingContext, TaxCodeInfo
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import CENT, ZERO, D, fmt, json_number, q2
from qbo_connector.mapping.text import iso_date, short_hash, strip_html, truncate
from qbo_connector.mapping.validate import check_invoice_input

DOCTYPE = "Sales Invoice"
DOC_NUMBER_MAX = 21
DESCRIPTION_MAX = 4000
CUSTOMER_MEMO_MAX = 1000
PRIVATE_NOTE_MAX = 4000
EMAIL_MAX = 100
MAX_UNIT_PRICE_DECIMALS = 7
TAXABLE_LINE_LIMIT = 750
NO_REMARKS = "No Remarks"
US_TAX = "TAX"
US_NON = "NON"
# Charge types whose amount follows the lines' rates (an "Actual" row is a fixed amount, e.g. freight).
_RATE_CHARGE_TYPES = frozenset(
	("On Net Total", "On Previous Row Amount", "On Previous Row Total", "On Item Quantity")
)
_DOC_NUMBER_HEAD_MAX = 6
_DOC_NUMBER_HASH = 6

Entity = Literal["Invoice", "CreditMemo"]
GlobalTaxCalculation = Literal["TaxExcluded", "TaxInclusive", "NotApplicable"]


@dataclass(frozen=True)
class KnownDifference:
	"""A part of ERPNext's total the body cannot carry: amount = expected_total - body_total for this reason."""

	amount: Decimal
	kind: Literal[
		"grand_total_discount_cent", "tax_inclusive_cent", "erpnext_rounding_cent", "rounding_not_mapped"
	]
	reason: str


@dataclass
class MappedInvoice:
	"""A QBO Invoice or CreditMemo body and the figures the engine checks QBO's answer against.

	expected_total: what QBO's TotalAmt should be (ERPNext's rounded_total, else grand_total; positive for
	credit memos). expected_tax: ERPNext's total_taxes_and_charges (positive for credit memos).
	body_total: what the lines, the discount and ERPNext's tax add up to, i.e. QBO's TotalAmt if QBO keeps
	ERPNext's tax. known_differences: why body_total and expected_total differ, if they do.
	predicted_tax / predicted_total: the tax and TotalAmt QBO will compute from the tax codes' rates (None
	when the rates are unknown). tolerance: the rounding gap accepted between QBO's total and ERPNext's (a
	cent per tax rate involved, and a cent for ERPNext's own rounding). account_items_needed: QBO income
	Account id -> ERPNext account, for lines booked through a per-account item that has no QBO id yet.
	"""

	entity: Entity
	body: dict[str, Any]
	expected_total: Decimal
	expected_tax: Decimal
	warnings: list[str] = field(default_factory=list)
	body_total: Decimal = ZERO
	known_differences: list[KnownDifference] = field(default_factory=list)
	predicted_total: Decimal | None = None
	predicted_tax: Decimal | None = None
	tolerance: Decimal = CENT
	account_items_needed: dict[str, str] = field(default_factory=dict)


def doc_number(name: str, prefix: str = "") -> str:
	"""QBO DocNumber (at most 21 characters) for an ERPNext document name.

	prefix + name when it fits. Otherwise, stably: the prefix (its first 6 characters), 6 base32 characters
	of SHA-256 over prefix + name, '~', then as much of the name's tail as fits (where the series number and
	the amendment suffix live), starting after a separator rather than mid-token. "ERP-" +
	"ACC-SINV-2026-00011-1" -> "ERP-" + hash + "~00011-1". Same input, same output; names that differ
	anywhere get different hashes, so two collide only with probability ~1e-9 even when their tails match.
	"""
	full = f"{prefix}{name}"
	if len(full) <= DOC_NUMBER_MAX:
		return full
	head = prefix[:_DOC_NUMBER_HEAD_MAX]
	marker = short_hash(full, _DOC_NUMBER_HASH) + "~"
	room = DOC_NUMBER_MAX - len(head) - len(marker)
	tail = name[-room:]
	if len(name) > room and name[-room - 1].isalnum() and tail[0].isalnum():
		for pos, char in enumerate(tail):
			if not char.isalnum():
				if len(tail) - pos - 1 >= 4:
					tail = tail[pos + 1 :]
				break
	return head + marker + tail.lstrip("-_/. ")


def fit_unit_price(qty: Decimal, amount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal, bool]:
	"""(Qty, UnitPrice, kept) with round(Qty x UnitPrice, 2) == amount, which QBO checks (fault 6070).

	ERPNext rounds rate and amount separately (33.333 -> 33.33; net_rate 24.99 with net_amount 249.92), so
	rate x qty may miss the amount. Then UnitPrice = amount / qty with the fewest decimals, 2 to 7 (QBO
	keeps about 7), that hit the cent. If none does (huge or odd quantities), kept is False and the line
	becomes Qty 1 at the amount.
	"""
	amount = q2(amount)
	if qty != 0 and q2(qty * rate) == amount:
		return qty, rate, True
	if qty == 0:
		if amount == 0:
			return qty, rate, True
		return Decimal(1), amount, False
	exact = amount / qty
	for places in range(2, MAX_UNIT_PRICE_DECIMALS + 1):
		price = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
		if q2(price * qty) == amount:
			return qty, price, True
	return Decimal(1), amount, False


def _json_dict(value: Any) -> dict[str, Any]:
	if isinstance(value, Mapping):
		return dict(value)
	if not value:
		return {}
	try:
		parsed = json.loads(value)
	except (TypeError, ValueError):
		return {}
	return parsed if isinstance(parsed, dict) else {}


def _idx(row: Mapping[str, Any], position: int) -> int:
	return int(row.get("idx") or position)


def _pct(value: Decimal) -> str:
	return f"{value.normalize():f} %"


def _qty_text(value: Decimal) -> str:
	return format(value.normalize(), "f")


class _Invoice:
	"""One mapping run; holds the document, context and warnings so helpers stay short."""

	def __init__(self, invoice: Mapping[str, Any], ctx: MappingContext) -> None:
		self.doc = invoice
		self.ctx = ctx
		self.name = str(invoice.get("name") or "")
		self.warnings: list[str] = []
		self.is_return = bool(invoice.get("is_return"))
		self.sign = Decimal(-1) if self.is_return else Decimal(1)
		self.entity: Entity = "CreditMemo" if self.is_return else "Invoice"
		self.taxes = list(invoice.get("taxes") or [])
		self.rate_rows = [t for t in self.taxes if t.get("charge_type") in _RATE_CHARGE_TYPES]
		self.inclusive = any(t.get("included_in_print_rate") for t in self.taxes)
		self.items = list(invoice.get("items") or [])
		self.code_counts = Counter(row.get("item_code") for row in self.items)
		# The rate ERPNext applied per line and tax row. ERPNext 16 keeps it in the invoice's own table
		# item_wise_tax_details, one row per (item row, tax row) by their names; ERPNext 15 in each tax row's
		# item_wise_tax_detail JSON, keyed by item code. Both are read, so one branch maps either version.
		self.row_rates = {
			(str(d["item_row"]), str(d["tax_row"])): D(d.get("rate"))
			for d in invoice.get("item_wise_tax_details") or []
			if d.get("item_row") and d.get("tax_row")
		}
		self.item_wise = [_json_dict(t.get("item_wise_tax_detail")) for t in self.rate_rows]
		self.code_source: dict[str, str] = {}  # QBO TaxCode id -> why this invoice uses it, for messages
		self.account_items_needed: dict[str, str] = {}

	def error(self, fieldname: str | None, message: str) -> MappingError:
		return MappingError(DOCTYPE, self.name, fieldname, message)

	# --- tax -------------------------------------------------------------------------------------------
	def global_tax_calculation(self) -> GlobalTaxCalculation | None:
		if self.ctx.is_us:
			return None
		if not self.taxes:
			return "NotApplicable"
		flags = {bool(t.get("included_in_print_rate")) for t in self.taxes}
		if flags == {True}:
			return "TaxInclusive"
		if flags == {False}:
			return "TaxExcluded"
		raise self.error(
			"taxes",
			"some tax rows are included in the price and others are not; QuickBooks applies one setting "
			"(tax inclusive or exclusive) to the whole invoice",
		)

	def line_taxable(self, row: Mapping[str, Any]) -> bool:
		"""Taxable when any rate-based tax row taxes it at a non-zero rate.

		ERPNext 16's item_wise_tax_details row for this line and tax row wins (what ERPNext computed, per row);
		else item_tax_rate (per line, from the Item Tax Template); else ERPNext 15's item_wise_tax_detail,
		which is keyed by item code and therefore only trusted when the code appears on one line; else the
		tax row's rate.
		"""
		item_tax_rate = _json_dict(row.get("item_tax_rate"))
		code = row.get("item_code")
		for tax, item_wise in zip(self.rate_rows, self.item_wise, strict=True):
			account = tax.get("account_head")
			computed = self.row_rates.get((str(row.get("name")), str(tax.get("name"))))
			if computed is not None:
				rate = computed
			elif account in item_tax_rate:
				rate = D(item_tax_rate[account])
			elif code and self.code_counts[code] == 1 and isinstance(item_wise.get(code), list | tuple):
				rate = D(item_wise[code][0])
			else:
				rate = D(tax.get("rate"))
			if rate != 0:
				return True
		return False

	def invoice_tax_code(self) -> str | None:
		template = self.doc.get("taxes_and_charges")
		if template and template in self.ctx.tax_map:
			return self._source(self.ctx.tax_map[template], f"mapped for tax template '{template}'")
		for tax in self.taxes:
			if tax.get("account_head") in self.ctx.tax_map:
				return self._source(
					self.ctx.tax_map[tax["account_head"]], f"mapped for tax account '{tax['account_head']}'"
				)
		return None

	def _source(self, code: str, why: str) -> str:
		self.code_source.setdefault(code, why)
		return code

	def _fallback_source(self) -> str:
		template = self.doc.get("taxes_and_charges")
		unmapped = f"tax template '{template}' is not mapped" if template else "no tax row is mapped"
		return f"used because {unmapped}"

	def _missing_tax_code(self) -> MappingError:
		template = self.doc.get("taxes_and_charges")
		if template:
			return self.error(
				"taxes_and_charges", f"no QuickBooks tax code is mapped for tax template '{template}'"
			)
		account = self.taxes[0].get("account_head") if self.taxes else ""
		return self.error(
			"taxes[1].account_head", f"no QuickBooks tax code is mapped for tax account '{account}'"
		)

	def us_txn_tax_code(self) -> str:
		code = self.invoice_tax_code()
		if code:
			return code
		if self.ctx.us_tax_code_ref:
			return self._source(
				self.ctx.us_tax_code_ref, f"the connection's US Sales Tax Code, {self._fallback_source()}"
			)
		if self.ctx.default_tax_code:
			return self._source(
				self.ctx.default_tax_code, f"the connection's Default Tax Code, {self._fallback_source()}"
			)
		raise self._missing_tax_code()

	def line_tax_code(
		self, row: Mapping[str, Any], idx: int, taxable: bool, gtc: GlobalTaxCalculation | None
	) -> str | None:
		if self.ctx.is_us:
			return US_TAX if taxable else US_NON
		template = row.get("item_tax_template")
		if template and template in self.ctx.tax_map:
			return self._source(self.ctx.tax_map[template], f"mapped for item tax template '{template}'")
		if taxable:
			code = self.invoice_tax_code()
			if code:
				return code
			if not self.ctx.default_tax_code:
				raise self._missing_tax_code()
			return self._source(
				self.ctx.default_tax_code, f"the connection's Default Tax Code, {self._fallback_source()}"
			)
		if self.ctx.exempt_tax_code:
			return self._source(self.ctx.exempt_tax_code, "the connection's Exempt Tax Code")
		if gtc == "NotApplicable":
			return None
		raise self.error(
			f"items[{idx}].item_tax_template",
			"this line is not taxed in ERPNext and QuickBooks needs a tax code for it: map the Item Tax "
			f"Template{' ' + repr(template) if template else ''} or set an exempt tax code",
		)

	# --- lines -----------------------------------------------------------------------------------------
	def item_ref(self, row: Mapping[str, Any], idx: int) -> str:
		code = row.get("item_code")
		if code and code in self.ctx.item_refs:
			return self.ctx.item_refs[code]
		if self.ctx.default_item_ref:
			return self.ctx.default_item_ref
		if code:
			message = f"no QuickBooks item is mapped for item '{code}' and no default item is set"
		else:
			message = "the row has no item code and no default QuickBooks item is set"
		raise self.error(f"items[{idx}].item_code", message)

	def line_item_ref(self, row: Mapping[str, Any], idx: int) -> tuple[str, str | None]:
		"""(ItemRef, note): the line's item, or the per-account item when the line books to another income
		account than its item does in QBO. QBO takes a sales line's account from its item, so a line whose
		ERPNext income account differs would otherwise land in the item's account without a word."""
		ref = self.item_ref(row, idx)
		account = row.get("income_account")
		code = row.get("item_code")
		known = self.ctx.item_income_accounts.get(code) if code in self.ctx.item_refs else None
		if not account or known is None:
			return ref, None
		qbo_account = self.ctx.account_map.get(account)
		if qbo_account is None:
			if not self.ctx.income_account_ref:
				raise self.error(
					f"items[{idx}].income_account",
					f"income account '{account}' is not mapped to a QuickBooks account and no default income "
					"account is set; map it in the QBO Account Map",
				)
			qbo_account = self.ctx.income_account_ref
		if qbo_account == known:
			return ref, None
		account_item = self.ctx.account_item_refs.get(qbo_account)
		if account_item is None:
			self.account_items_needed[qbo_account] = str(account)
			account_item = "0"  # placeholder: the engine creates the account's item, then maps again
		note = f"ERPNext item {code}, income account {account}"
		self.warnings.append(
			f"items[{idx}]: income account '{account}' differs from item {code}'s in QuickBooks; the line is "
			f"booked through the QuickBooks item for that account (QuickBooks takes a line's account from its item)"
		)
		return account_item, note

	def base_amounts(self, row: Mapping[str, Any], net_basis: bool) -> tuple[Decimal, Decimal]:
		"""(rate, amount) before the additional discount, in ERPNext's sign."""
		if net_basis:
			amount = D(row.get("net_amount")) + D(row.get("distributed_discount_amount"))
			return D(row.get("net_rate")), amount
		return D(row.get("rate")), D(row.get("amount"))

	def service_date(self, row: Mapping[str, Any], txn_date: str | None) -> str | None:
		start = iso_date(row.get("service_start_date"))
		if start:
			return start
		posting = iso_date(self.doc.get("posting_date"))
		if self.ctx.txn_date_mode == "invoice_period" and posting and posting != txn_date:
			return posting
		return None

	def item_line(
		self,
		row: Mapping[str, Any],
		position: int,
		net_basis: bool,
		gtc: GlobalTaxCalculation | None,
		txn_date: str | None,
	) -> tuple[dict[str, Any], Decimal]:
		idx = _idx(row, position)
		rate, amount = self.base_amounts(row, net_basis)
		qty = D(row.get("qty")) * self.sign
		amount = q2(amount * self.sign)
		out_qty, unit_price, kept = fit_unit_price(qty, amount, rate)

		extra: list[str] = []
		if not kept:
			uom = row.get("uom") or row.get("stock_uom") or ""
			extra.append(" ".join(part for part in (_qty_text(qty), uom, "x", str(rate)) if part))
			self.warnings.append(
				f"items[{idx}]: no unit price with up to {MAX_UNIT_PRICE_DECIMALS} decimals gives "
				f"{_qty_text(qty)} x price = {fmt(amount)}; sent as quantity 1 at {fmt(amount)} with the "
				"quantity and rate in the description"
			)
		item_ref, account_note = self.line_item_ref(row, idx)
		if account_note:
			extra.append(account_note)
		start, end = iso_date(row.get("service_start_date")), iso_date(row.get("service_end_date"))
		if start and end:
			# QBO keeps one ServiceDate per line; the period end would otherwise be lost.
			extra.append(f"Service period {start} to {end}")
		tail = "\n".join(extra)
		plain = strip_html(row.get("description")) or strip_html(row.get("item_name"))
		description, cut = truncate(plain, DESCRIPTION_MAX - len(tail) - (1 if tail and plain else 0))
		if cut:
			self.warnings.append(
				f"items[{idx}].description cut to {DESCRIPTION_MAX} characters for QuickBooks "
				f"(its text has {len(plain)})"
			)
		description = "\n".join(part for part in (description, tail) if part)

		taxable = self.line_taxable(row)
		detail: dict[str, Any] = {
			"ItemRef": {"value": item_ref},
			"Qty": json_number(out_qty),
			"UnitPrice": json_number(unit_price),
		}
		tax_code = self.line_tax_code(row, idx, taxable, gtc)
		if tax_code:
			detail["TaxCodeRef"] = {"value": tax_code}
		service_date = self.service_date(row, txn_date)
		if service_date:
			detail["ServiceDate"] = service_date
		line: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": json_number(amount)}
		if description:
			line["Description"] = description
		line["SalesItemLineDetail"] = detail
		return line, amount

	# --- whole document --------------------------------------------------------------------------------
	def currency(self, body: dict[str, Any]) -> None:
		currency = self.doc.get("currency") or self.ctx.home_currency
		if currency == self.ctx.home_currency:
			if self.ctx.multicurrency:
				# With multicurrency on QBO otherwise takes the customer's currency, which may not be home.
				body["CurrencyRef"] = {"value": currency}
			return
		if not self.ctx.multicurrency:
			raise self.error(
				"currency",
				f"the invoice is in {currency}, but multicurrency is off in the QuickBooks company (home currency "
				f"{self.ctx.home_currency}); QuickBooks cannot hold a {currency} invoice",
			)
		rate = D(self.doc.get("conversion_rate"))
		if rate <= 0:
			raise self.error("conversion_rate", f"no exchange rate for {currency}")
		body["CurrencyRef"] = {"value": currency}
		body["ExchangeRate"] = json_number(rate)

	def txn_date(self) -> str | None:
		posting = iso_date(self.doc.get("posting_date"))
		if self.ctx.txn_date_mode == "invoice_period":
			return iso_date(self.doc.get("from_date")) or posting
		return posting

	def private_note(self, number: str) -> str:
		parts = [f"ERPNext {DOCTYPE} {self.name}"]
		if self.is_return and self.doc.get("return_against"):
			parts.append(f"return against {self.doc['return_against']}")
		if self.doc.get("amended_from"):
			parts.append(f"amends {self.doc['amended_from']}")
		if self.doc.get("po_no"):
			parts.append(f"customer PO {self.doc['po_no']}")
		full = f"{self.ctx.doc_number_prefix}{self.name}"
		if number != full:
			parts.append(f"number shortened from {full}")
		return truncate("; ".join(parts), PRIVATE_NOTE_MAX)[0]

	def customer_memo(self) -> str | None:
		remarks = " ".join(str(self.doc.get("remarks") or "").split())
		if not remarks or remarks == NO_REMARKS:
			return None
		memo, cut = truncate(remarks, CUSTOMER_MEMO_MAX)
		if cut:
			self.warnings.append(f"remarks cut to {CUSTOMER_MEMO_MAX} characters for the customer message")
		return memo

	def discount(self, base_sum: Decimal, gtc: GlobalTaxCalculation | None) -> Decimal:
		"""The additional discount in ERPNext's sign: pre-tax, except on tax-inclusive (gross) lines."""
		discount_amount = D(self.doc.get("discount_amount"))
		if gtc == "TaxInclusive":
			return discount_amount
		reduction = base_sum - D(self.doc.get("net_total"))
		if self.doc.get("is_cash_or_non_trade_discount") and discount_amount:
			# ERPNext leaves lines and tax alone and takes it off the grand total.
			self.warnings.append(
				f"cash/non-trade discount {fmt(discount_amount)} sent as a discount after tax"
			)
			reduction += discount_amount
		return reduction

	def discount_line(self, amount: Decimal) -> dict[str, Any]:
		if amount < 0:
			raise self.error(
				"discount_amount",
				f"a negative additional discount ({fmt(amount)}) cannot be sent to QuickBooks",
			)
		detail: dict[str, Any] = {"PercentBased": False}
		if self.ctx.discount_account_ref:
			detail["DiscountAccountRef"] = {"value": self.ctx.discount_account_ref}
		return {
			"DetailType": "DiscountLineDetail",
			"Amount": json_number(amount),
			"DiscountLineDetail": detail,
		}

	def rounding_line(self, amount: Decimal, description: str) -> dict[str, Any]:
		detail: dict[str, Any] = {
			"ItemRef": {"value": self.ctx.rounding_item_ref},
			"Qty": 1,
			"UnitPrice": json_number(amount),
		}
		code = US_NON if self.ctx.is_us else self.ctx.exempt_tax_code
		if code:
			detail["TaxCodeRef"] = {"value": code}
		return {
			"DetailType": "SalesItemLineDetail",
			"Amount": json_number(amount),
			"Description": description,
			"SalesItemLineDetail": detail,
		}

	def classify_residual(self, residual: Decimal, net_basis: bool, body_tax: Decimal) -> KnownDifference:
		grand = self.sign * D(self.doc.get("grand_total"))
		net = self.sign * D(self.doc.get("net_total"))
		if D(self.doc.get("discount_amount")):
			return KnownDifference(
				residual,
				"grand_total_discount_cent",
				f"ERPNext's grand total {fmt(grand)} is its pre-discount grand total less the "
				f"{fmt(abs(D(self.doc.get('discount_amount'))))} discount, rounded separately, while its net total "
				f"{fmt(net)} plus taxes {fmt(body_tax)} make {fmt(net + body_tax)}; the {fmt(abs(residual))} "
				"exists only in ERPNext's grand total (ERPNext rounding on a Grand Total discount).",
			)
		if net_basis and self.inclusive:
			return KnownDifference(
				residual,
				"tax_inclusive_cent",
				f"Prices include tax in ERPNext, whose grand total {fmt(grand)} is the sum of the tax-inclusive "
				f"line amounts; a US QuickBooks company has no tax-inclusive prices, so it got the net amounts "
				f"{fmt(net)} plus tax {fmt(body_tax)} = {fmt(net + body_tax)}; the {fmt(abs(residual))} is "
				"ERPNext's rounding of the tax-inclusive prices.",
			)
		return KnownDifference(
			residual,
			"erpnext_rounding_cent",
			f"ERPNext's grand total {fmt(grand)} differs by {fmt(abs(residual))} from its lines, discount and "
			f"taxes ({fmt(grand - residual)}) through ERPNext's own rounding.",
		)

	def build(self) -> MappedInvoice:
		check_invoice_input(self.doc, DOCTYPE)
		if int(self.doc.get("docstatus") or 0) == 0:
			raise self.error("docstatus", "a draft is never sent to QuickBooks; submit it first")
		if int(self.doc.get("docstatus") or 0) == 2:
			self.warnings.append(
				"the invoice is cancelled in ERPNext: it should be voided in QuickBooks, not created"
			)
		if not self.ctx.customer_ref:
			raise self.error("customer", f"customer '{self.doc.get('customer')}' is not in QuickBooks yet")
		if not self.items:
			raise self.error("items", "the invoice has no item rows")

		gtc = self.global_tax_calculation()
		# Net lines only where QBO cannot take tax-inclusive prices: a US company.
		net_basis = self.ctx.is_us and self.inclusive
		if net_basis:
			self.warnings.append(
				"prices include tax in ERPNext; QuickBooks US has no tax-inclusive prices, so lines are sent net of tax"
			)
		txn_date = self.txn_date()

		lines: list[dict[str, Any]] = []
		lines_total = ZERO
		base_sum = ZERO
		for position, row in enumerate(self.items, start=1):
			line, amount = self.item_line(row, position, net_basis, gtc, txn_date)
			lines.append(line)
			lines_total += amount
			base_sum += q2(self.base_amounts(row, net_basis)[1])

		discount = q2(self.sign * self.discount(base_sum, gtc))
		if discount:
			lines.append(self.discount_line(discount))

		expected_tax = q2(self.sign * D(self.doc.get("total_taxes_and_charges")))
		grand_total = self.sign * D(self.doc.get("grand_total"))
		rounded = D(self.doc.get("rounded_total"))
		use_rounded = not self.doc.get("disable_rounded_total") and rounded != 0
		expected_total = q2(self.sign * rounded if use_rounded else grand_total)
		rounding = expected_total - q2(grand_total)

		# What QBO's TotalAmt will be if it keeps ERPNext's tax; gross (tax-inclusive) lines already hold it.
		body_total = lines_total - discount + (ZERO if gtc == "TaxInclusive" else expected_tax)
		residual = expected_total - body_total - rounding
		known: list[KnownDifference] = []

		absorb = self.ctx.absorb_cent_differences and residual != 0 and self.ctx.rounding_item_ref
		round_amount = rounding + (residual if absorb else ZERO)
		if round_amount:
			if self.ctx.rounding_item_ref:
				text = "Rounding adjustment (ERPNext)"
				if absorb:
					text = "Rounding adjustment (ERPNext grand total)"
					reason = self.classify_residual(residual, net_basis, expected_tax).reason
					self.warnings.append(f"{fmt(residual)} added to the rounding line: {reason}")
				lines.append(self.rounding_line(round_amount, text))
				body_total += round_amount
			else:
				self.warnings.append(
					f"ERPNext rounded the total to {fmt(expected_total)} (rounding adjustment {fmt(rounding)}); no "
					"Rounding item is set, so QuickBooks has no line for it and its total will be "
					f"{fmt(abs(rounding))} {'lower' if rounding > 0 else 'higher'}"
				)
				known.append(
					KnownDifference(
						rounding,
						"rounding_not_mapped",
						f"ERPNext rounded its grand total {fmt(grand_total)} to {fmt(expected_total)} (rounding "
						f"adjustment {fmt(rounding)}) and no Rounding item is configured, so QuickBooks has no "
						"line for it.",
					)
				)
		if residual and not absorb:
			known.append(self.classify_residual(residual, net_basis, expected_tax))

		if self.ctx.is_us and self.rate_rows and len(lines) > TAXABLE_LINE_LIMIT:
			self.warnings.append(f"QuickBooks takes at most {TAXABLE_LINE_LIMIT} lines on a taxable invoice")
		for tax in self.taxes:
			if tax.get("charge_type") not in _RATE_CHARGE_TYPES and D(tax.get("tax_amount")):
				self.warnings.append(
					f"taxes[{tax.get('idx')}] '{tax.get('description') or tax.get('account_head')}' is a fixed "
					f"charge ({tax.get('charge_type')}); QuickBooks gets it as part of the tax"
				)

		number = doc_number(self.name, self.ctx.doc_number_prefix)
		body: dict[str, Any] = {
			"DocNumber": number,
			"TxnDate": txn_date,
			"CustomerRef": {"value": self.ctx.customer_ref},
			"Line": lines,
		}
		if self.entity == "Invoice":
			due = iso_date(self.doc.get("due_date"))
			if due:
				body["DueDate"] = due
		self.currency(body)
		if self.ctx.is_us:
			if self.taxes:
				body["TxnTaxDetail"] = {
					"TxnTaxCodeRef": {"value": self.us_txn_tax_code()},
					"TotalTax": json_number(expected_tax),
				}
			if discount:
				# ERPNext taxes after its additional discount, but not after a cash/non-trade discount; say so,
				# since QBO otherwise follows the company's own preference.
				body["ApplyTaxAfterDiscount"] = not self.doc.get("is_cash_or_non_trade_discount")
		else:
			body["GlobalTaxCalculation"] = gtc
		memo = self.customer_memo()
		if memo:
			body["CustomerMemo"] = {"value": memo}
		email = str(self.doc.get("contact_email") or "").strip()
		if email and "@" in email and len(email) <= EMAIL_MAX:
			body["BillEmail"] = {"Address": email}
		body["PrivateNote"] = self.private_note(number)
		mapped = MappedInvoice(
			entity=self.entity,
			body=body,
			expected_total=expected_total,
			expected_tax=expected_tax,
			warnings=self.warnings,
			body_total=q2(body_total),
			known_differences=known,
			account_items_needed=dict(self.account_items_needed),
		)
		self.predict(mapped, gtc)
		return mapped

	# --- what QBO will compute -------------------------------------------------------------------------
	def _code(self, code_id: str) -> TaxCodeInfo:
		assert self.ctx.tax_codes is not None
		code = self.ctx.tax_codes.get(code_id)
		if code is None:
			raise self.error(
				"taxes_and_charges",
				f"QuickBooks has no tax code with ID {code_id} ({self.code_source.get(code_id, 'in the settings')}); "
				"pick it again in the QBO Tax Map or the connection",
			)
		if not code.active:
			raise self.error(
				"taxes_and_charges",
				f"QuickBooks tax code '{code.name or code_id}' ({self.code_source.get(code_id, '')}) is inactive",
			)
		return code

	def _bases(self, body: dict[str, Any]) -> dict[str, Decimal]:
		"""Per tax code (US: TAX), the line amounts it applies to, less their share of the discount, as QBO
		splits it: round(discount x base / subtotal, 2) when tax applies after the discount."""
		bases: dict[str, Decimal] = {}
		subtotal = ZERO
		discount = ZERO
		for line in body["Line"]:
			if line.get("DetailType") == "DiscountLineDetail":
				discount += D(line.get("Amount"))
				continue
			amount = D(line.get("Amount"))
			subtotal += amount
			code = ((line.get("SalesItemLineDetail") or {}).get("TaxCodeRef") or {}).get("value")
			if code and code != US_NON:
				bases[code] = bases.get(code, ZERO) + amount
		after_discount = body.get("ApplyTaxAfterDiscount") is not False
		if discount and subtotal and after_discount:
			bases = {code: base - q2(discount * base / subtotal) for code, base in bases.items()}
		return bases

	def predict(self, mapped: MappedInvoice, gtc: GlobalTaxCalculation | None) -> None:
		"""The tax and TotalAmt QBO will compute, and a refusal (before anything is written) when they differ
		from ERPNext's by more than rounding. US companies with automated sales tax keep the TotalTax sent."""
		known = sum((k.amount for k in mapped.known_differences), ZERO)
		if self.ctx.tax_codes is None or not self.taxes:
			mapped.predicted_tax = mapped.expected_tax
			mapped.predicted_total = mapped.body_total
			mapped.tolerance = CENT
			return
		if self.ctx.is_us and self.ctx.automated_sales_tax:
			mapped.predicted_tax = mapped.expected_tax
			mapped.predicted_total = mapped.body_total
			mapped.tolerance = CENT
			return
		bases = self._bases(mapped.body)
		tax = ZERO
		rates_used = 0
		described: list[str] = []
		if self.ctx.is_us:
			code_id = mapped.body["TxnTaxDetail"]["TxnTaxCodeRef"]["value"]
			code = self._code(code_id)
			base = bases.get(US_TAX, ZERO)
			for pct in code.rates:
				tax += q2(base * pct / 100)
			rates_used = len(code.rates)
			described.append(self._describe(code_id, code))
		elif gtc != "NotApplicable":
			for code_id, base in bases.items():
				code = self._code(code_id)
				net = base / (1 + code.total_rate / 100) if gtc == "TaxInclusive" else base
				for pct in code.rates:
					tax += q2(net * pct / 100)
				rates_used += len(code.rates)
				if code.total_rate:
					described.append(self._describe(code_id, code))
		tax = q2(tax)
		tolerance = CENT * (max(rates_used, 1) + 1)
		mapped.tolerance = tolerance
		mapped.predicted_tax = tax
		if gtc == "TaxInclusive":
			mapped.predicted_total = mapped.body_total  # the tax is inside the line amounts
		else:
			mapped.predicted_total = q2(mapped.body_total - mapped.expected_tax + tax)
		gap = tax - mapped.expected_tax
		if abs(gap) > tolerance:
			erp_rate = sum((D(t.get("rate")) for t in self.rate_rows), ZERO)
			rate_text = f" ({_pct(erp_rate)})" if erp_rate else ""
			template = self.doc.get("taxes_and_charges")
			source = f"tax template '{template}'{rate_text}" if template else f"its tax rows{rate_text}"
			raise self.error(
				"taxes_and_charges",
				f"ERPNext charges {fmt(mapped.expected_tax)} tax through {source}, but QuickBooks would compute "
				f"{fmt(tax)} with {'; '.join(described) or 'no taxable line'}, a difference of {fmt(abs(gap))} "
				f"(more than the {fmt(tolerance)} rounding tolerance). Nothing was sent to QuickBooks: map the "
				"template to a QuickBooks tax code with the same rate in the QBO Tax Map",
			)
		total_gap = mapped.predicted_total - mapped.expected_total
		if abs(total_gap) > tolerance and abs(total_gap - (-known)) > tolerance:
			raise self.error(
				"grand_total",
				f"QuickBooks would compute a total of {fmt(mapped.predicted_total)} for ERPNext's grand total "
				f"{fmt(mapped.expected_total)}, a difference of {fmt(abs(total_gap))} that no rounding explains; "
				"nothing was sent to QuickBooks",
			)

	def _describe(self, code_id: str, code: TaxCodeInfo) -> str:
		why = self.code_source.get(code_id)
		return f"QuickBooks tax code '{code.name or code_id}' ({_pct(code.total_rate)}{', ' + why if why else ''})"


def map_invoice(invoice: Mapping[str, Any], ctx: MappingContext) -> MappedInvoice:
	"""QBO Invoice (or CreditMemo for a return) body from a submitted ERPNext Sales Invoice (as_dict())."""
	return _Invoice(invoice, ctx).build()


def explain_total_difference(mapped: MappedInvoice, qbo_total: Any) -> str:
	"""One plain-English paragraph on why QBO's TotalAmt differs from ERPNext's total (or that it does not)."""
	qbo = q2(qbo_total)
	expected = q2(mapped.expected_total)
	diff = qbo - expected
	if diff == 0:
		return f"QuickBooks total {fmt(qbo)} equals ERPNext's {fmt(expected)}."
	direction = "more" if diff > 0 else "less"
	parts = [f"QuickBooks total {fmt(qbo)} is {fmt(abs(diff))} {direction} than ERPNext's {fmt(expected)}."]
	parts.extend(known.reason for known in mapped.known_differences)
	rest = qbo - q2(mapped.body_total)
	if rest:
		predicted = mapped.predicted_total
		if (
			predicted is not None
			and predicted != mapped.body_total
			and abs(qbo - q2(predicted)) <= mapped.tolerance
		):
			parts.append(
				f"QuickBooks computed the tax from its tax code's rates ({fmt(mapped.predicted_tax)} against ERPNext's "
				f"{fmt(mapped.expected_tax)}), as predicted before the push, within the rounding tolerance."
			)
		else:
			parts.append(
				f"Unexplained: beyond the reasons above, QuickBooks' total is {fmt(abs(rest))} "
				f"{'more' if rest > 0 else 'less'} than the {fmt(mapped.body_total)} the lines, discount and ERPNext's "
				f"tax {fmt(mapped.expected_tax)} add up to"
				+ (
					f", and it is not the {fmt(predicted)} predicted from the tax codes' rates"
					if predicted
					else ""
				)
				+ ". The invoice may have been changed in QuickBooks, or QuickBooks applied a rule the connector "
				"does not know: compare the two documents."
			)
	return " ".join(parts)


def invoice_sparse_changes(
	erp_invoice: Mapping[str, Any], qbo_invoice: Mapping[str, Any], ctx: MappingContext
) -> dict[str, Any] | None:
	"""Sparse update for what ERPNext lets change after submit and QBO should follow: the due date.

	Lines and amounts cannot change on a submitted ERPNext invoice (that is cancel and amend, a new
	document), so only DueDate is compared; a credit memo has none. ctx is taken for symmetry with the
	other mappers and for fields added later.
	"""
	if erp_invoice.get("is_return"):
		return None
	due = iso_date(erp_invoice.get("due_date"))
	if not due or due == qbo_invoice.get("DueDate"):
		return None
	return {
		"Id": qbo_invoice.get("Id"),
		"SyncToken": qbo_invoice.get("SyncToken"),
		"sparse": True,
		"DueDate": due,
	}
