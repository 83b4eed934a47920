"""QBO Invoice / CreditMemo -> ERPNext Sales Invoice (a CreditMemo: a return), for invoices made in QBO.

The money rule is the push's, read the other way: the ERPNext document must come to QBO's TotalAmt to the
cent. Every figure is chosen so ERPNext's own arithmetic lands there, and `predicted_total` is that
arithmetic done here (item amount = round(qty x rate, 2), less the discount, plus the tax rows). Where it
cannot land on TotalAmt (a tax code with no ERPNext tax account, a line whose amount no 2-decimal rate
gives), `reasons` says why in words and the engine makes a draft, never a submitted invoice that is wrong.

Decisions:
- Taxes become "Actual" rows of QBO's own tax amounts (TotalTax, split per tax code for non-US companies),
  on the ERPNext account the QBO Tax Map names for that code (the map read in reverse). ERPNext keeps an
  Actual amount as given, so the tax is QBO's to the cent whatever the rates.
- A QBO discount line becomes ERPNext's additional discount on the net total (its amount, not a percent).
- Tax-inclusive QBO invoices (GlobalTaxCalculation TaxInclusive) come net of tax: each line (and the
  discount) scaled so that lines - discount = TotalAmt - TotalTax, the last cent on the largest line.
- ERPNext rounds a rate to 2 decimals: a line whose Qty x 2-decimal UnitPrice is not its Amount comes as
  one unit at the Amount, with the quantity and unit price in its description.
- Rounded totals are off (disable_rounded_total): QBO has no rounding of its own to mirror.
- A CreditMemo is a return: negative quantities, discount and tax, positive rates.
- DocNumber, the QBO id and QBO's notes go into remarks; qbo_txn_ref ("Invoice 123") is the key the
  store makes the document idempotent on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.context import TaxCodeInfo
from qbo_connector.mapping.money import CENT, ZERO, D, fmt, q2
from qbo_connector.mapping.text import iso_date, strip_html

DOCTYPE = "Sales Invoice"
PULLED_ENTITIES = ("Invoice", "CreditMemo")
US_NON = "NON"
RATE_DECIMALS = 2  # ERPNext's currency precision for a rate


@dataclass
class PullRefs:
	"""What the engine resolved before mapping: ERPNext names for QBO ids, and the company's tax facts."""

	company: str
	customer: str | None
	items: dict[str, str] = field(default_factory=dict)  # QBO Item id -> ERPNext item code
	tax_accounts: dict[str, str] = field(default_factory=dict)  # QBO TaxCode id -> ERPNext tax map key
	tax_codes: dict[str, TaxCodeInfo] | None = None
	is_us: bool = True
	home_currency: str = "USD"
	default_item: str | None = None  # ERPNext item for a line with no ItemRef (the connection's Default Item)


@dataclass
class PulledInvoice:
	"""An ERPNext Sales Invoice (fields as for frappe.get_doc) and what it will total."""

	entity: str
	qbo_id: str
	data: dict[str, Any]
	qbo_total: Decimal
	predicted_total: Decimal
	reasons: list[str] = field(default_factory=list)  # why ERPNext's total would differ from QBO's
	missing: list[tuple[str, str, str]] = field(default_factory=list)  # (what, QBO id, name) to map first
	notes: list[str] = field(default_factory=list)  # what was adapted, for the log

	@property
	def agrees(self) -> bool:
		return not self.reasons and self.predicted_total == self.qbo_total

	def why(self) -> str:
		"""The draft note: in words, why the invoice was not submitted."""
		reasons = list(self.reasons)
		if self.predicted_total != self.qbo_total:
			reasons.append(
				f"ERPNext would total {fmt(self.predicted_total)} against QuickBooks' {fmt(self.qbo_total)}"
			)
		return (
			f"Kept as a draft: {'; '.join(reasons)}. Fix this and submit it, or correct it in QuickBooks "
			"(the next change there is pulled again)."
		)


def qbo_txn_ref(entity: str, qbo_id: Any) -> str:
	"""The value of a pulled Sales Invoice's qbo_txn_ref field, e.g. "Invoice 123"."""
	return f"{entity} {qbo_id}"


def _ref(value: Any) -> str | None:
	if isinstance(value, Mapping) and value.get("value") not in (None, ""):
		return str(value["value"])
	return None


def _sales_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
	"""Item lines, with a bundle's (GroupLineDetail) own lines in its place."""
	out: list[dict[str, Any]] = []
	for line in lines or []:
		kind = line.get("DetailType")
		if kind == "SalesItemLineDetail":
			out.append(line)
		elif kind == "GroupLineDetail":
			out.extend(_sales_lines((line.get("GroupLineDetail") or {}).get("Line") or []))
	return out


def _qty_text(value: Decimal) -> str:
	return format(value.normalize(), "f")


def reverse_tax_map(tax_map: Mapping[str, str]) -> dict[str, str]:
	"""QBO TaxCode id -> the ERPNext key (tax account or template) mapped to it; the first by name when
	several are."""
	out: dict[str, str] = {}
	for key in sorted(tax_map):
		out.setdefault(str(tax_map[key]), key)
	return out


def _split(total: Decimal, weights: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
	"""total split in cents by weight; the remainder on the largest share, so the parts sum to total."""
	whole = sum((w for _, w in weights), ZERO)
	if not weights:
		return {}
	if not whole:
		return {weights[0][0]: total}
	parts = {key: q2(total * w / whole) for key, w in weights}
	biggest = max(weights, key=lambda kw: kw[1])[0]
	parts[biggest] += total - sum(parts.values(), ZERO)
	return parts


def qbo_invoice_to_erpnext(obj: Mapping[str, Any], entity: str, refs: PullRefs) -> PulledInvoice:
	"""The ERPNext Sales Invoice a QBO Invoice (or CreditMemo, as a return) becomes."""
	if entity not in PULLED_ENTITIES:
		raise ValueError(f"{entity} is not pulled as a Sales Invoice")
	qbo_id = str(obj.get("Id"))
	sign = Decimal(-1) if entity == "CreditMemo" else Decimal(1)
	label = f"QuickBooks {entity} {obj.get('DocNumber') or qbo_id}"
	reasons: list[str] = []
	missing: list[tuple[str, str, str]] = []
	notes: list[str] = []
	if not refs.customer:
		customer_ref = obj.get("CustomerRef") or {}
		missing.append(("Customer", str(customer_ref.get("value")), str(customer_ref.get("name") or "")))

	# -- lines --------------------------------------------------------------------------------------------
	sales = _sales_lines(list(obj.get("Line") or []))
	amounts = [q2(line.get("Amount")) for line in sales]
	discount = sum(
		(
			q2(line.get("Amount"))
			for line in obj.get("Line") or []
			if line.get("DetailType") == "DiscountLineDetail"
		),
		ZERO,
	)
	tax_detail = obj.get("TxnTaxDetail") or {}
	total_tax = q2(tax_detail.get("TotalTax"))
	qbo_total = q2(obj.get("TotalAmt"))
	gtc = obj.get("GlobalTaxCalculation")
	if not refs.is_us and gtc == "NotApplicable":
		total_tax = ZERO
	if gtc == "TaxInclusive" and total_tax:
		gross = sum(amounts, ZERO) - discount
		net_target = qbo_total - total_tax
		if gross > 0 and net_target >= 0:
			factor = net_target / gross
			scaled = [q2(a * factor) for a in amounts]
			discount = q2(discount * factor)
			if scaled:
				biggest = max(range(len(scaled)), key=lambda i: scaled[i])
				scaled[biggest] += net_target - (sum(scaled, ZERO) - discount)
			amounts = scaled
			notes.append("prices include tax in QuickBooks; lines brought net of tax")

	items: list[dict[str, Any]] = []
	line_total = ZERO
	code_bases: dict[str, Decimal] = {}
	for line, amount in zip(sales, amounts, strict=True):
		detail = line.get("SalesItemLineDetail") or {}
		item_id = _ref(detail.get("ItemRef"))
		item_code = refs.items.get(item_id) if item_id else refs.default_item
		if item_code is None:
			name = str((detail.get("ItemRef") or {}).get("name") or "")
			missing.append(("Item", str(item_id), name))
			continue
		qty = D(detail.get("Qty")) if detail.get("Qty") not in (None, "") else Decimal(1)
		unit = D(detail.get("UnitPrice")) if detail.get("UnitPrice") not in (None, "") else None
		description = strip_html(line.get("Description")) or ""
		rate = q2(unit) if unit is not None else None
		if not qty or rate is None or q2(qty * rate) != amount:
			if qty and unit is not None:
				description = (f"{description} ({_qty_text(qty)} x {unit.normalize():f})").strip()
			qty, rate = Decimal(1), amount
		row: dict[str, Any] = {"item_code": item_code, "qty": float(sign * qty), "rate": float(rate)}
		if description:
			row["description"] = description
		items.append(row)
		line_total += q2(sign * qty * rate)
		code = _ref(detail.get("TaxCodeRef"))
		if code and code != US_NON:
			code_bases[code] = code_bases.get(code, ZERO) + amount

	# -- taxes ----------------------------------------------------------------------------------------------
	taxes: list[dict[str, Any]] = []
	tax_rows_total = ZERO
	if total_tax:
		if refs.is_us:
			code = _ref(tax_detail.get("TxnTaxCodeRef"))
			shares = {code or "": total_tax}
		else:
			weights: list[tuple[str, Decimal]] = []
			for code, base in sorted(code_bases.items()):
				info = (refs.tax_codes or {}).get(code)
				rate_pct = info.total_rate if info is not None else None
				if rate_pct is not None and not rate_pct:
					continue  # zero-rated / exempt: no tax of its own
				weights.append((code, base * (rate_pct if rate_pct is not None else Decimal(1))))
			shares = _split(total_tax, weights) if weights else {"": total_tax}
		for code, amount in shares.items():
			if not amount:
				continue
			key = refs.tax_accounts.get(code) if code else None
			info = (refs.tax_codes or {}).get(code) if code else None
			code_name = info.name if info is not None and info.name else code
			if key is None:
				if code:
					missing.append(("Tax code", code, code_name))
					reasons.append(
						f"QuickBooks tax code '{code_name}' (ID {code}) has no ERPNext tax account in the QBO "
						f"Tax Map, so its tax of {fmt(amount)} is not on the invoice"
					)
				else:
					reasons.append(
						f"QuickBooks charged {fmt(amount)} tax without naming a tax code, so it is not on the invoice"
					)
				continue
			taxes.append(
				{
					"charge_type": "Actual",
					"account_head": key,
					"tax_amount": float(sign * amount),
					"description": f"{code_name or 'Tax'} (QuickBooks)",
				}
			)
			tax_rows_total += sign * amount

	signed_discount = sign * discount
	predicted = q2(line_total - signed_discount + tax_rows_total)

	# -- header ---------------------------------------------------------------------------------------------
	posting = iso_date(obj.get("TxnDate"))
	due = iso_date(obj.get("DueDate")) if entity == "Invoice" else None
	if due and posting and due < posting:
		notes.append(f"due date {due} is before the invoice date in QuickBooks; ERPNext keeps {posting}")
		due = posting
	remark_parts = [f"{label} (QuickBooks ID {qbo_id})"]
	memo = strip_html((obj.get("CustomerMemo") or {}).get("value")) if obj.get("CustomerMemo") else ""
	if memo:
		remark_parts.append(memo)
	if obj.get("PrivateNote"):
		remark_parts.append(str(obj["PrivateNote"]))
	currency = _ref(obj.get("CurrencyRef")) or refs.home_currency
	rate = D(obj.get("ExchangeRate")) if obj.get("ExchangeRate") not in (None, "") else Decimal(1)
	data: dict[str, Any] = {
		"doctype": DOCTYPE,
		"company": refs.company,
		"customer": refs.customer,
		"posting_date": posting,
		"set_posting_time": 1,
		"currency": currency,
		"conversion_rate": float(rate if currency != refs.home_currency else Decimal(1)),
		"is_return": 1 if entity == "CreditMemo" else 0,
		"update_stock": 0,
		"ignore_pricing_rule": 1,
		"disable_rounded_total": 1,
		"items": items,
		"taxes": taxes,
		"remarks": "\n".join(remark_parts),
		"qbo_txn_ref": qbo_txn_ref(entity, qbo_id),
		"qbo_doc_number": str(obj.get("DocNumber") or ""),
	}
	if due or entity == "Invoice":
		data["due_date"] = due or posting
	if discount:
		data["apply_discount_on"] = "Net Total"
		data["discount_amount"] = float(signed_discount)
	if not items:
		reasons.append("no line could be brought into ERPNext")
	if missing:
		for what, mid, name in missing:
			if what == "Item":
				reasons.append(f"QuickBooks item '{name}' (ID {mid}) is not in ERPNext")
	pulled = PulledInvoice(
		entity=entity,
		qbo_id=qbo_id,
		data=data,
		qbo_total=q2(sign * qbo_total),
		predicted_total=predicted,
		reasons=reasons,
		missing=missing,
		notes=notes,
	)
	data["docstatus"] = 1 if pulled.agrees else 0
	if not pulled.agrees:
		data["qbo_note"] = pulled.why()
	return pulled


def content_signature(doc: Mapping[str, Any]) -> tuple:
	"""What makes two versions of a pulled invoice different beyond its due date: party, dates, currency,
	lines (item, amount), discount and tax amounts, in cents. A stored ERPNext document and a freshly mapped dict compare equal
	when QBO changed nothing of these."""

	def num(value: Any, places: Decimal = CENT) -> Decimal:
		return D(value).quantize(places)

	# Per line its item and amount: a store may write a fractional quantity as one unit at the amount.
	lines = tuple(
		(str(row.get("item_code") or ""), num(D(row.get("qty")) * D(row.get("rate"))))
		for row in doc.get("items") or []
	)
	# Amounts only: the store may resolve a tax map key (a template) to its account.
	taxes = tuple(sorted(num(row.get("tax_amount")) for row in doc.get("taxes") or []))
	return (
		str(doc.get("customer") or ""),
		str(iso_date(doc.get("posting_date")) or ""),
		str(doc.get("currency") or ""),
		num(doc.get("conversion_rate") or 1, Decimal("0.000001")),
		lines,
		num(doc.get("discount_amount")),
		taxes,
	)
