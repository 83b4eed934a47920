"""Everything mapping needs to know about the QBO company, resolved by the engine before mapping runs.

Mapping does no look-ups of its own (no I/O): the engine fills these from settings, the account/tax maps
and the links it already holds, then calls the mappers. A missing reference shows up as a MappingError
naming the ERPNext field, never as a QBO 2500 "invalid reference" later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

TxnDateMode = Literal["posting_date", "invoice_period"]


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
