"""Everything mapping needs to know about the QBO company, resolved by the engine before mapping runs.

Mapping does no look-ups of its own (no I/O): the engine fills these from settings, the account/tax maps
and the links it already holds, then calls the mappers. A missing reference shows up as a MappingError
naming the ERPNext field, never as a QBO 2500 "invalid reference" later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

TxnDateMode = Literal["posting_date", "invoice_period"]


@dataclass(frozen=True)
class TaxCodeInfo:
	"""A QBO TaxCode as the prediction needs it: its name and the percentages of its sales rates."""

	id: str
	name: str = ""
	rates: tuple[Decimal, ...] = ()
	taxable: bool = True
	active: bool = True

	@property
	def total_rate(self) -> Decimal:
		return sum(self.rates, Decimal(0))


def tax_codes_to_json(codes: dict[str, TaxCodeInfo] | None) -> str | None:
	"""Tax codes as JSON for a settings field (rates as strings: no float noise)."""
	if codes is None:
		return None
	rows = [
		{
			"id": c.id,
			"name": c.name,
			"rates": [str(r) for r in c.rates],
			"taxable": c.taxable,
			"active": c.active,
		}
		for c in codes.values()
	]
	return json.dumps(rows, ensure_ascii=False, sort_keys=True)


def tax_codes_from_json(text: str | None) -> dict[str, TaxCodeInfo] | None:
	"""The reverse of tax_codes_to_json; None (not read yet) for empty or unreadable text."""
	if not text:
		return None
	try:
		rows = json.loads(text)
		return {
			str(row["id"]): TaxCodeInfo(
				id=str(row["id"]),
				name=str(row.get("name") or ""),
				rates=tuple(Decimal(str(r)) for r in row.get("rates") or ()),
				taxable=bool(row.get("taxable", True)),
				active=bool(row.get("active", True)),
			)
			for row in rows
		}
	except (ValueError, TypeError, KeyError, ArithmeticError):
		return None


@dataclass
class MappingContext:
	"""QBO company facts and resolved references for one document.

	- is_us: US companies use TAX/NON line codes and TxnTaxDetail; others use real tax codes per line and
	  GlobalTaxCalculation.
	- tax_map: ERPNext Sales Taxes and Charges Template name, tax account (account_head) or Item Tax
	  Template name -> QBO TaxCode id. Looked up in that order of specificity.
	- us_tax_code_ref: the US TxnTaxCodeRef (tax group/rate) when tax_map has nothing for the invoice.
	- exempt_tax_code: non-US only: the QBO code for zero-rated/exempt lines and the rounding line.
	- invoice_refs: ERPNext Sales Invoice name -> QBO Invoice/CreditMemo id (payments).
	- invoice_balances: optional ERPNext Sales Invoice name -> open balance in QBO; when given, a payment
	  never applies more than QBO's balance (the excess stays unapplied, with a warning).
	- absorb_cent_differences: put ERPNext's unexplained cent (see invoice.py) on the rounding line so QBO's
	  total equals ERPNext's; off by default, the difference is then reported instead.
	- tax_codes: QBO TaxCode id -> its sales rates, read from QBO with the company's settings. When known,
	  the invoice mapper predicts the tax QBO will compute and refuses a document whose tax would differ
	  (None: unknown, no prediction; mapping unit tests that are not about tax).
	- automated_sales_tax: US companies with AST keep the TotalTax we send (Intuit: "the AST engine honors
	  the amount"), so their tax is ERPNext's whatever the code.
	- item_income_accounts: ERPNext item code -> the QBO income Account id its QBO item books to (as
	  created or read); account_item_refs: QBO income Account id -> the QBO item that books to it, used for
	  lines whose income account differs from their item's (see invoice.py).
	- class_tracking, class_refs, track_locations, location_refs...: see dimensions.py.
	"""

	realm_id: str = ""
	is_us: bool = True
	home_currency: str = "USD"
	multicurrency: bool = False
	doc_number_prefix: str = ""
	txn_date_mode: TxnDateMode = "posting_date"
	company: str | None = None
	customer_ref: str | None = None
	item_refs: dict[str, str] = field(default_factory=dict)
	default_item_ref: str | None = None
	account_map: dict[str, str] = field(default_factory=dict)
	income_account_ref: str | None = None
	tax_map: dict[str, str] = field(default_factory=dict)
	default_tax_code: str | None = None
	us_tax_code_ref: str | None = None
	exempt_tax_code: str | None = None
	discount_account_ref: str | None = None
	rounding_item_ref: str | None = None
	deposit_account_ref: str | None = None
	invoice_refs: dict[str, str] = field(default_factory=dict)
	invoice_balances: dict[str, Decimal] = field(default_factory=dict)
	absorb_cent_differences: bool = False
	tax_codes: dict[str, TaxCodeInfo] | None = None
	automated_sales_tax: bool = False
	item_income_accounts: dict[str, str] = field(default_factory=dict)
	account_item_refs: dict[str, str] = field(default_factory=dict)
	# Purchases (mapping/purchase.py, bill_payment.py): the supplier's QBO Vendor, the QBO expense account each
	# linked item books to, the connection's Default Expense and Payables accounts, a purchase order's ship-to
	# address (QBO PhysicalAddress), the QBO ids and open balances of the purchase invoices a payment pays,
	# and the QBO AccountType of the account a supplier payment is paid from (Bank: a check; Credit Card).
	vendor_ref: str | None = None
	item_expense_accounts: dict[str, str] = field(default_factory=dict)
	expense_account_ref: str | None = None
	payables_account_ref: str | None = None
	ship_address: dict[str, str] | None = None
	bill_refs: dict[str, str] = field(default_factory=dict)
	bill_balances: dict[str, Decimal] = field(default_factory=dict)
	payment_account_type: str | None = None
	# Time (mapping/time.py): the worker's QBO Employee, from the Employee map.
	employee_ref: str | None = None
	# Classes and locations (dimensions.py): how the QBO company tracks them and the maps to its records.
	class_tracking: str = "none"  # none | txn | line
	class_refs: dict[str, str] = field(default_factory=dict)  # ERPNext Cost Center -> QBO Class id
	default_class_ref: str | None = None
	track_locations: bool = False
	location_refs: dict[str, str] = field(
		default_factory=dict
	)  # value of location_field -> QBO Department id
	default_location_ref: str | None = None
	location_field: str = "branch"
	location_label: str = "Location"  # QBO's DepartmentTerminology
