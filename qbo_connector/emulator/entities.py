"""Validation and server-computed fields per entity: what QBO does between receiving a body and storing it.

How totals are computed (tests compare against this; Decimal throughout, ROUND_HALF_UP to cents):

  line Amount       = the Amount sent, rounded to cents. When Qty and UnitPrice are both sent (and not both 0,
                      python-quickbooks' defaults) it must equal round(Qty * UnitPrice, 2), else fault 6070.
  Subtotal          = sum of SalesItemLineDetail Amounts (DescriptionOnly lines count 0). A SubTotalLineDetail
                      line {Amount: Subtotal} is appended to the answer; subtotal lines sent by the client are dropped.
  Discount          = sum of DiscountLineDetail lines; PercentBased lines get Amount = round(Subtotal * pct / 100, 2).
  Tax base          = per tax rate, the Amounts of the lines that carry it, less their share of the discount
                      (round(Discount * base / Subtotal, 2)) when ApplyTaxAfterDiscount is not false.
     US             : lines are TAX or NON (6100 otherwise; missing -> TAX when the item and the customer are
                      taxable, else NON); the rates are those of
                      TxnTaxDetail.TxnTaxCodeRef (else the customer's DefaultTaxCodeRef; else no tax); TAX lines only.
     US, automated  : (Preferences.TaxPrefs.PartnerTaxEnabled) QBO assigns its own tax code (ast_code, one rate,
     sales tax        AST_RATE) whatever TxnTaxCodeRef says, and computes the tax of the TAX lines with it.
     non-US         : each line's TaxCodeRef (a real TaxCode) gives its rates.
  Tax per rate      = round(base * rate / 100, 2)                               (US, TaxExcluded)
                      round(base / (1 + total rate of the code / 100) * rate / 100, 2)   (TaxInclusive: Amounts
                      are taken as tax-inclusive; TaxLine.NetAmountTaxable is the net)
  TxnTaxDetail      = {TxnTaxCodeRef (US), TotalTax = sum of the rounded per-rate taxes, TaxLine: one per rate}
  Tax override (US) : a TxnTaxDetail.TotalTax sent with a TxnTaxCodeRef (automated sales tax: TotalTax alone) is
                      the transaction's tax as given; it is prorated over the code's rates (by the computed tax,
                      the last rate taking the rounding remainder) in TaxLine. Without TotalTax QBO computes it.
  TotalAmt          = Subtotal - Discount + TotalTax   (TaxInclusive: Subtotal - Discount; NotApplicable: no tax)
  Balance           = TotalAmt - Deposit - payments applied (Invoice); TotalAmt - applied (CreditMemo)
  HomeTotalAmt      = round(TotalAmt * ExchangeRate, 2) when multicurrency is on.
  Payment           : UnappliedAmt = TotalAmt - (applied to invoices - credit memos applied).
  Purchases (Bill, PurchaseOrder, VendorCredit), Deposit: TotalAmt = sum of line Amounts (+ tax for non-US
                      TaxExcluded lines). Bill and VendorCredit Balance = TotalAmt - what bill payments applied.
  BillPayment       : PayType Check (CheckPayment.BankAccountRef) or CreditCard (CreditCardPayment.CCAccountRef);
                      each Line links one Bill or VendorCredit of the vendor; bills less credits <= TotalAmt,
                      never more than a bill's open Balance. A bill cannot be voided through the API (only
                      deleted), nor deleted while a bill payment is applied to it; a bill payment is voided
                      (operation=void) or deleted, which puts its bills' balances back.

A client-sent TotalAmt / Balance on these entities is ignored (QBO computes them); so is TotalTax except as the
US override above. A sparse update that does not send TxnTaxDetail keeps an override it had and recomputes a
computed tax.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

from . import errors, seed
from .errors import Fault
from .fields import FIELDS, READONLY, SYSTEM_KEEP
from .state import PEOPLE, READ_ONLY_ENTITIES, TXN_ENTITIES, Company
from .util import blank, dec, q2, qbo_date, ref_value

ZERO = Decimal(0)
# QBO lists a name made inactive ("deleted") with this suffix; the name itself stays taken (6240).
INACTIVE_SUFFIX = " (deleted)"
INACTIVE_NAME_FIELDS = {
	"Customer": ("DisplayName", "FullyQualifiedName"),
	"Vendor": ("DisplayName",),
	"Employee": ("DisplayName",),
	"Item": ("Name", "FullyQualifiedName"),
	"Account": ("Name", "FullyQualifiedName"),
}
# Automated sales tax: the code and single combined rate QBO's engine assigns in this emulator.
AST_CODE_NAME = "Automated Sales Tax"
AST_RATE_NAME = "AST Combined Rate"
AST_RATE = Decimal("8.25")
BAD_NAME_CHARS = (":", "\t", "\n", "\r")

CURRENCIES = {
	"USD": "United States Dollar",
	"EUR": "Euro",
	"GBP": "British Pound Sterling",
	"CAD": "Canadian Dollar",
	"AUD": "Australian Dollar",
	"NZD": "New Zealand Dollar",
	"INR": "Indian Rupee",
	"JPY": "Japanese Yen",
	"CHF": "Swiss Franc",
	"SGD": "Singapore Dollar",
	"ZAR": "South African Rand",
	"MXN": "Mexican Peso",
	"SEK": "Swedish Krona",
	"NOK": "Norwegian Krone",
	"DKK": "Danish Krone",
	"CNY": "Chinese Yuan Renminbi",
	"HKD": "Hong Kong Dollar",
	"AED": "UAE Dirham",
}
# USD per unit, for default exchange rates when a foreign-currency transaction sends none.
USD_PER_UNIT = {
	"USD": "1",
	"EUR": "1.08",
	"GBP": "1.27",
	"CAD": "0.74",
	"AUD": "0.66",
	"NZD": "0.61",
	"INR": "0.012",
	"JPY": "0.0067",
	"CHF": "1.12",
	"SGD": "0.74",
	"ZAR": "0.054",
	"MXN": "0.058",
	"SEK": "0.095",
	"NOK": "0.094",
	"DKK": "0.145",
	"CNY": "0.14",
	"HKD": "0.128",
	"AED": "0.272",
}

PERSON_LIMITS = {
	"DisplayName": 500,
	"Title": 16,
	"GivenName": 100,
	"MiddleName": 100,
	"FamilyName": 100,
	"Suffix": 16,
	"CompanyName": 100,
	"PrintOnCheckName": 110,
	"Notes": 2000,
}
ACCOUNT_TYPES = tuple(seed.CLASSIFICATION)
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Group", "Category")
SALES_ENTITIES = ("Invoice", "CreditMemo", "Estimate")
ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected")
PURCHASE_ENTITIES = ("Bill", "PurchaseOrder", "VendorCredit")
PAY_TYPES = {"Check": ("CheckPayment", "BankAccountRef"), "CreditCard": ("CreditCardPayment", "CCAccountRef")}
# A bill payment's applications live in Company.applications under this payer key ("Bill:5" -> {payer: amount}),
# apart from customer payments (plain ids) whose ids may be the same numbers.
BILL_PAYER = "BillPayment:"
GTC = ("TaxExcluded", "TaxInclusive", "NotApplicable")


@dataclass
class Ctx:
	"""One write: the company, the clock, the query parameters, and the changes to announce."""

	co: Company
	now: float
	params: dict[str, str] = field(default_factory=dict)
	events: list[tuple[str, str, str]] = field(default_factory=list)
	after: list = field(default_factory=list)  # callbacks run after the main object is saved

	def event(self, entity: str, entity_id: str, operation: str) -> None:
		self.events.append((entity, entity_id, operation))

	@property
	def includes(self) -> set[str]:
		return {p.strip().lower() for p in self.params.get("include", "").split(",") if p.strip()}


# ----------------------------------------------------------------------------- small validators


def _num(obj: dict, key: str, element: str | None = None) -> Decimal | None:
	try:
		return dec(obj.get(key))
	except ValueError as exc:
		raise errors.bad_property(element or key, "Number") from exc


def _len(obj: dict | None, key: str, maximum: int, element: str | None = None) -> None:
	if not isinstance(obj, dict):
		return
	value = obj.get(key)
	if isinstance(value, str) and len(value) > maximum:
		raise errors.too_long(element or key, maximum, len(value))


def _name_chars(value: object, element: str) -> None:
	if isinstance(value, str) and any(ch in value for ch in BAD_NAME_CHARS):
		raise errors.business(
			f"The name supplied contains an invalid character. Names can't contain a colon (:), a tab or a new line: {value!r}",
			element,
		)


def _ref(
	ctx: Ctx, obj: dict, key: str, entity: str, *, required: bool = False, active: bool = True
) -> dict | None:
	"""Resolve obj[key] (a Ref) to the stored entity: 2020 when required and missing, 2500 unknown, 610 inactive."""
	value = ref_value(obj.get(key))
	if value is None:
		if required:
			raise errors.required(key)
		obj.pop(key, None)
		return None
	target = ctx.co.get(entity, value)
	if target is None:
		raise errors.bad_ref(entity, value, key)
	if active and target.get("Active") is False:
		raise errors.not_found()
	obj[key] = {"value": target["Id"], "name": _display(entity, target)}
	return target


def _display(entity: str, obj: dict) -> str:
	if entity in PEOPLE:
		return obj.get("DisplayName", "")
	if entity in ("Item", "Account", "Class", "Department"):
		return obj.get("FullyQualifiedName") or obj.get("Name", "")
	return obj.get("Name") or obj.get("DocNumber") or obj.get("Id", "")


def _date(obj: dict, key: str, ctx: Ctx, default_today: bool = False) -> None:
	value = obj.get(key)
	if blank(value):
		if default_today:
			obj[key] = qbo_date(ctx.now, ctx.co.tz)
		else:
			obj.pop(key, None)
		return
	text = str(value)[:10]
	try:
		from datetime import date

		date.fromisoformat(text)
	except ValueError as exc:
		raise errors.bad_property(key, "Date") from exc
	obj[key] = text


def _currency_ref(code: str) -> dict:
	return {"value": code, "name": CURRENCIES.get(code, code)}


def _check_currency_code(ctx: Ctx, given: str | None, element: str = "CurrencyRef") -> str:
	home = ctx.co.home_currency
	if given is None:
		return home
	code = given.upper()
	if code not in CURRENCIES or (not ctx.co.multicurrency and code != home):
		raise errors.bad_ref("Currency", given, element)
	return code


def _exchange_rate(ctx: Ctx, obj: dict, code: str) -> Decimal:
	home = ctx.co.home_currency
	if code == home:
		return Decimal(1)
	given = _num(obj, "ExchangeRate")
	if given is not None and given > 0:
		return given
	return (Decimal(USD_PER_UNIT[code]) / Decimal(USD_PER_UNIT.get(home, "1"))).quantize(Decimal("0.000001"))


def _txn_currency(ctx: Ctx, obj: dict, party: dict | None) -> Decimal:
	"""CurrencyRef/ExchangeRate of a transaction: must be the customer's (vendor's) currency."""
	home = ctx.co.home_currency
	given = ref_value(obj.get("CurrencyRef"))
	code = _check_currency_code(ctx, given)
	party_code = ref_value((party or {}).get("CurrencyRef")) or home
	if given is None:
		code = party_code
	if ctx.co.multicurrency and code != party_code:
		raise errors.business(
			f"The currency of the transaction ({code}) must match the currency of {_display('Customer', party or {})} ({party_code}).",
			"CurrencyRef",
		)
	obj["CurrencyRef"] = _currency_ref(code)
	if not ctx.co.multicurrency:
		obj.pop("ExchangeRate", None)
		return Decimal(1)
	rate = _exchange_rate(ctx, obj, code)
	obj["ExchangeRate"] = rate
	return rate


# ----------------------------------------------------------------------------- name-list entities


def _person(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	for key, maximum in PERSON_LIMITS.items():
		_len(obj, key, maximum)
	email = obj.get("PrimaryEmailAddr")
	_len(email, "Address", 100, "PrimaryEmailAddr.Address")
	if blank(obj.get("DisplayName")):
		parts = [obj.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
		derived = " ".join(str(p).strip() for p in parts if not blank(p)).strip()
		derived = derived or str(obj.get("CompanyName") or "").strip()
		if not derived:
			raise errors.required("DisplayName")
		obj["DisplayName"] = derived
		_len(obj, "DisplayName", PERSON_LIMITS["DisplayName"])
	obj["DisplayName"] = str(obj["DisplayName"]).strip()
	for key in ("DisplayName", "GivenName", "MiddleName", "FamilyName", "CompanyName", "PrintOnCheckName"):
		_name_chars(obj.get(key), key)
	clash = ctx.co.find_name(entity, obj["DisplayName"])
	if clash and clash != (entity, obj.get("Id")):
		raise errors.duplicate_name(obj["DisplayName"])
	if obj.get("Active") is None:
		obj["Active"] = True
	if blank(obj.get("PrintOnCheckName")):
		obj["PrintOnCheckName"] = obj["DisplayName"]
	if entity in ("Customer", "Vendor"):
		given = ref_value(obj.get("CurrencyRef"))
		code = _check_currency_code(ctx, given)
		previous = ref_value((old or {}).get("CurrencyRef"))
		if previous and code != previous:
			if given is None:
				code = previous
			else:
				raise errors.business(
					f"You can't change the currency of {obj['DisplayName']} ({previous}) once it has been set.",
					"CurrencyRef",
				)
		obj["CurrencyRef"] = _currency_ref(code)
	if entity == "Customer":
		fqn = obj["DisplayName"]
		level = 0
		parent = _ref(ctx, obj, "ParentRef", "Customer")
		if parent:
			fqn = f"{parent.get('FullyQualifiedName') or parent['DisplayName']}:{fqn}"
			level = int(parent.get("Level") or 0) + 1
			obj["Job"] = True
		else:
			obj["Job"] = False
		obj["FullyQualifiedName"] = fqn
		obj["Level"] = level
		if obj.get("Taxable") is None:
			obj["Taxable"] = True
		obj.setdefault("BillWithParent", False)
		_ref(ctx, obj, "DefaultTaxCodeRef", "TaxCode", active=False)
		_ref(ctx, obj, "ARAccountRef", "Account")
		for key in ("OpenBalanceDate",):
			_date(obj, key, ctx)
	if entity == "Vendor":
		_ref(ctx, obj, "APAccountRef", "Account")
	if entity == "Employee":
		for key in ("BirthDate", "HiredDate", "ReleasedDate"):
			_date(obj, key, ctx)


def _item(ctx: Ctx, obj: dict, old: dict | None) -> None:
	if blank(obj.get("Name")):
		raise errors.required("Name")
	obj["Name"] = str(obj["Name"]).strip()
	_len(obj, "Name", 100)
	_name_chars(obj["Name"], "Name")
	_len(obj, "Description", 4000)
	_len(obj, "PurchaseDesc", 4000)
	_len(obj, "Sku", 100)
	item_type = obj.get("Type")
	if blank(item_type):
		item_type = (old or {}).get("Type") or "Service"
	if item_type not in ITEM_TYPES:
		raise errors.bad_enum("Type", item_type)
	obj["Type"] = item_type
	if old and old.get("Type") and old["Type"] != item_type and "Inventory" in (old["Type"], item_type):
		raise errors.business("You can't change the type of an inventory item.", "Type")
	fqn, level = obj["Name"], 0
	parent = _ref(ctx, obj, "ParentRef", "Item")
	if parent:
		fqn = f"{parent.get('FullyQualifiedName') or parent['Name']}:{fqn}"
		level = int(parent.get("Level") or 0) + 1
		obj["SubItem"] = True
	else:
		obj["SubItem"] = False
	obj["FullyQualifiedName"], obj["Level"] = fqn, level
	clash = ctx.co.find_name("Item", fqn)
	if clash and clash != ("Item", obj.get("Id")):
		raise errors.duplicate_name(fqn, "product or service")
	if item_type in ("Service", "Inventory"):
		_ref(ctx, obj, "IncomeAccountRef", "Account", required=True)
	else:
		_ref(ctx, obj, "IncomeAccountRef", "Account")
	_ref(ctx, obj, "ExpenseAccountRef", "Account")
	if item_type == "Inventory":
		_ref(ctx, obj, "AssetAccountRef", "Account", required=True)
		if _num(obj, "QtyOnHand") is None:
			raise errors.required("QtyOnHand")
		if blank(obj.get("InvStartDate")):
			raise errors.required("InvStartDate")
		obj["TrackQtyOnHand"] = True
	else:
		_ref(ctx, obj, "AssetAccountRef", "Account")
	_date(obj, "InvStartDate", ctx)
	for key in ("UnitPrice", "PurchaseCost", "QtyOnHand"):
		value = _num(obj, key)
		if value is not None:
			obj[key] = value
	if not ctx.co.is_us:
		_ref(ctx, obj, "SalesTaxCodeRef", "TaxCode", active=False)
		_ref(ctx, obj, "PurchaseTaxCodeRef", "TaxCode", active=False)
	if obj.get("Active") is None:
		obj["Active"] = True
	if obj.get("Taxable") is None:
		obj["Taxable"] = False


def _account(ctx: Ctx, obj: dict, old: dict | None) -> None:
	if blank(obj.get("Name")):
		raise errors.required("Name")
	obj["Name"] = str(obj["Name"]).strip()
	_len(obj, "Name", 100)
	_len(obj, "Description", 100)
	_len(obj, "AcctNum", 20)
	_name_chars(obj["Name"], "Name")
	account_type = obj.get("AccountType")
	if blank(account_type):
		raise errors.required("AccountType")
	if account_type not in ACCOUNT_TYPES:
		raise errors.bad_enum("AccountType", account_type)
	if blank(obj.get("AccountSubType")):
		obj["AccountSubType"] = seed.DEFAULT_SUBTYPE[account_type]
	obj["Classification"] = seed.CLASSIFICATION[account_type]
	fqn = obj["Name"]
	parent = _ref(ctx, obj, "ParentRef", "Account")
	obj["SubAccount"] = bool(parent)
	if parent:
		fqn = f"{parent.get('FullyQualifiedName') or parent['Name']}:{fqn}"
	obj["FullyQualifiedName"] = fqn
	clash = ctx.co.find_name("Account", fqn)
	if clash and clash != ("Account", obj.get("Id")):
		raise Fault(
			"6240",
			"Duplicate Name Exists Error",
			f"Another account is already using this name ({fqn}). Please use a different name.",
			"Name",
		)
	obj["CurrencyRef"] = _currency_ref(_check_currency_code(ctx, ref_value(obj.get("CurrencyRef"))))
	obj.setdefault("CurrentBalance", ZERO)
	obj.setdefault("CurrentBalanceWithSubAccounts", ZERO)
	if obj.get("Active") is None:
		obj["Active"] = True


def _tag(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	"""Class and Department (QBO shows Departments as "Location" or its DepartmentTerminology): a name, unique
	within its kind, optionally under a parent (FullyQualifiedName "Parent:Child")."""
	if blank(obj.get("Name")):
		raise errors.required("Name")
	obj["Name"] = str(obj["Name"]).strip()
	_len(obj, "Name", 100)
	_name_chars(obj["Name"], "Name")
	fqn = obj["Name"]
	parent = _ref(ctx, obj, "ParentRef", entity)
	sub = "SubClass" if entity == "Class" else "SubDepartment"
	obj[sub] = bool(parent)
	if parent:
		fqn = f"{parent.get('FullyQualifiedName') or parent['Name']}:{fqn}"
	obj["FullyQualifiedName"] = fqn
	clash = ctx.co.find_name(entity, fqn)
	if clash and clash != (entity, obj.get("Id")):
		raise Fault(
			"6240",
			"Duplicate Name Exists Error",
			f"Another {entity.lower()} is already using this name ({fqn}). Please use a different name.",
			"Name",
		)
	if obj.get("Active") is None:
		obj["Active"] = True


SALES_TAG_DETAILS = ("SalesItemLineDetail", "DiscountLineDetail")
PURCHASE_TAG_DETAILS = ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")


def _tags(ctx: Ctx, obj: dict, details: tuple[str, ...] = SALES_TAG_DETAILS) -> None:
	"""A form's Class and Department references (on the form, and a Class on each line of the given detail
	types): each must be an active record of this company (2500 unknown, 610 inactive). Which forms may carry
	a ClassRef or DepartmentRef on the form itself is the field list's business (fields.py: 2010 otherwise)."""
	_ref(ctx, obj, "ClassRef", "Class")
	_ref(ctx, obj, "DepartmentRef", "Department")
	for line in obj.get("Line") or []:
		if not isinstance(line, dict):
			continue
		for kind in details:
			if isinstance(line.get(kind), dict):
				_ref(ctx, line[kind], "ClassRef", "Class")


# ----------------------------------------------------------------------------- transactions: shared parts


def _doc_number(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	co = ctx.co
	number = obj.get("DocNumber")
	if blank(number):
		obj.pop("DocNumber", None)
		if old is None and not co.custom_txn_numbers and entity in SALES_ENTITIES + ("PurchaseOrder",):
			obj["DocNumber"] = _next_doc_number(co, entity)
		return
	obj["DocNumber"] = str(number)
	_len(obj, "DocNumber", 21)
	if "allowduplicatedocnum" in ctx.includes:
		return
	key = co.doc_key(entity, obj)
	if key is None:
		return
	others = co.docnumbers.get(key, set()) - {obj.get("Id")}
	if others:
		raise errors.duplicate_docnumber(obj["DocNumber"], entity, sorted(others, key=_id_order)[0])


def _id_order(value: str) -> tuple[int, str]:
	return (int(value), "") if str(value).isdigit() else (1 << 62, str(value))


def _next_doc_number(co: Company, entity: str) -> str:
	key = f"doc:{entity}"
	number = max(co.seq.get(key, 1000), 1000)
	while True:
		number += 1
		if not co.docnumbers.get((entity, str(number))):
			co.seq[key] = number
			return str(number)


def _txn_common(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	if old is not None and _is_voided(old):
		raise errors.business(f"This {entity} has been voided and can't be changed.", "Id")
	_date(obj, "TxnDate", ctx, default_today=entity != "TimeActivity")
	_len(obj, "PrivateNote", 4000)
	memo = obj.get("CustomerMemo")
	_len(memo, "value", 1000, "CustomerMemo")
	if entity != "TimeActivity" and entity != "Payment":
		_doc_number(ctx, entity, obj, old)


def _is_voided(obj: dict) -> bool:
	return obj.get("_voided") is True


def _line_ids(lines: list[dict]) -> None:
	"""Keep client line Ids that are unique numbers, number the rest after them (QBO's line Id behaviour)."""
	seen: set[str] = set()
	for line in lines:
		lid = line.get("Id")
		if lid is not None and str(lid).isdigit() and str(lid) not in seen:
			line["Id"] = str(lid)
			seen.add(str(lid))
		else:
			line.pop("Id", None)
	next_id = max((int(x) for x in seen), default=0)
	for position, line in enumerate(lines, start=1):
		if "Id" not in line:
			next_id += 1
			line["Id"] = str(next_id)
		line["LineNum"] = position


def _check_amount(line: dict, detail: dict, index: int) -> Decimal:
	element = f"Line[{index}].Amount"
	amount = _num(line, "Amount", element)
	qty = _num(detail, "Qty", f"Line[{index}].Qty")
	price = _num(detail, "UnitPrice", f"Line[{index}].UnitPrice")
	if amount is None:
		if qty is not None and price is not None:
			raise errors.required("Line.Amount")
		amount = ZERO
	if qty is not None and price is not None and not (qty == 0 and price == 0):
		if q2(qty * price) != q2(amount):
			raise errors.business(
				f"Amount is not equal to UnitPrice * Qty. Supplied value:{q2(amount)}", element, code="6070"
			)
	if qty is not None:
		detail["Qty"] = qty
	if price is not None:
		detail["UnitPrice"] = price
	line["Amount"] = q2(amount)
	return line["Amount"]


def _tax_code(ctx: Ctx, detail: dict, index: int, gtc: str, taxable_default: str = "NON") -> str | None:
	"""The line's tax code id after the mode's rules (US: TAX/NON; elsewhere: a real TaxCode)."""
	co = ctx.co
	value = ref_value(detail.get("TaxCodeRef"))
	element = f"Line[{index}].TaxCodeRef"
	if co.is_us:
		if value is None:
			value = taxable_default
		if value not in ("TAX", "NON"):
			raise errors.business(
				f"Invalid tax code {value}: on a US company a line's TaxCodeRef must be TAX or NON.",
				element,
				code="6100",
			)
		detail["TaxCodeRef"] = {"value": value}
		return value
	if value is None:
		if gtc == "NotApplicable":
			detail.pop("TaxCodeRef", None)
			return None
		raise errors.business("Make sure all your transactions have a VAT rate before you save.", element)
	code = co.get("TaxCode", value)
	if code is None:
		raise errors.bad_ref("TaxCode", value, element)
	detail["TaxCodeRef"] = {"value": code["Id"]}
	return code["Id"]


def _code_rates(co: Company, code_id: str, purchase: bool = False) -> list[tuple[str, Decimal]]:
	code = co.get("TaxCode", code_id) or {}
	key = "PurchaseTaxRateList" if purchase else "SalesTaxRateList"
	rates = []
	for detail in (code.get(key) or {}).get("TaxRateDetail") or []:
		rate_id = ref_value(detail.get("TaxRateRef"))
		rate = co.get("TaxRate", rate_id)
		if rate is not None:
			rates.append((rate["Id"], dec(rate.get("RateValue")) or ZERO))
	return rates


def _compute_tax(
	ctx: Ctx,
	obj: dict,
	bases: dict[str, Decimal],
	subtotal: Decimal,
	discount: Decimal,
	gtc: str,
	*,
	purchase: bool = False,
) -> Decimal:
	"""Fill TxnTaxDetail from per-code bases; returns TotalTax (see the module docstring)."""
	co = ctx.co
	after_discount = obj.get("ApplyTaxAfterDiscount") is not False
	rate_base: dict[str, Decimal] = {}
	rate_pct: dict[str, Decimal] = {}
	detail = obj.get("TxnTaxDetail") if isinstance(obj.get("TxnTaxDetail"), dict) else {}
	out: dict = {}
	override: Decimal | None = None
	code_rates: list[tuple[str, Decimal]] = []
	if co.is_us:
		code_id = ref_value(detail.get("TxnTaxCodeRef"))
		sent_tax = None if purchase else _num(detail, "TotalTax", "TxnTaxDetail.TotalTax")
		if co.automated_sales_tax and not purchase and co.ast_code is not None:
			if code_id is not None and co.get("TaxCode", code_id) is None:
				raise errors.bad_ref("TaxCode", code_id, "TxnTaxDetail.TxnTaxCodeRef")
			code_id = co.ast_code  # AST assigns its code; an explicit tax amount is still honoured
			override = sent_tax
		elif code_id is not None:
			override = sent_tax  # TxnTaxCodeRef + TotalTax: the tax as given
		if code_id is None and not purchase:
			customer = co.get("Customer", ref_value(obj.get("CustomerRef"))) or {}
			code_id = ref_value(customer.get("DefaultTaxCodeRef"))
			if code_id in ("TAX", "NON"):
				code_id = None
		if code_id is not None:
			code = co.get("TaxCode", code_id)
			if code is None or code_id in ("TAX", "NON"):
				raise errors.bad_ref("TaxCode", code_id, "TxnTaxDetail.TxnTaxCodeRef")
			out["TxnTaxCodeRef"] = {"value": code["Id"], "name": code.get("Name", "")}
			base = bases.get("TAX", ZERO)
			if after_discount and discount and subtotal:
				base -= q2(discount * base / subtotal)
			code_rates = _code_rates(co, code_id)
			if base:
				for rate_id, pct in code_rates:
					rate_base[rate_id] = rate_base.get(rate_id, ZERO) + base
					rate_pct[rate_id] = pct
	elif gtc != "NotApplicable":
		for code_id, base in bases.items():
			if after_discount and discount and subtotal:
				base -= q2(discount * base / subtotal)
			rates = _code_rates(co, code_id, purchase)
			total_pct = sum((pct for _, pct in rates), ZERO)
			net = base / (1 + total_pct / 100) if gtc == "TaxInclusive" else base
			for rate_id, pct in rates:
				rate_base[rate_id] = rate_base.get(rate_id, ZERO) + net
				rate_pct[rate_id] = pct
	tax_lines = []
	total_tax = ZERO
	for rate_id in sorted(rate_base, key=_id_order):
		base, pct = rate_base[rate_id], rate_pct[rate_id]
		amount = q2(base * pct / 100)
		total_tax += amount
		tax_lines.append(
			{
				"Amount": amount,
				"DetailType": "TaxLineDetail",
				"TaxLineDetail": {
					"TaxRateRef": {"value": rate_id},
					"PercentBased": True,
					"TaxPercent": pct,
					"NetAmountTaxable": q2(base),
				},
			}
		)
	if override is not None:
		total_tax = _override_tax(override, tax_lines, code_rates)
		obj["_tax_override"] = True
	else:
		obj.pop("_tax_override", None)
	out["TotalTax"] = total_tax
	if tax_lines:
		out["TaxLine"] = tax_lines
	obj["TxnTaxDetail"] = out
	return total_tax


def _override_tax(given: Decimal, tax_lines: list[dict], code_rates: list[tuple[str, Decimal]]) -> Decimal:
	"""The client's TotalTax as the transaction's tax, prorated over the code's rates in TaxLine (in place)."""
	total = q2(given)
	if total < 0:
		raise errors.business("The sales tax amount (TotalTax) can't be negative.", "TxnTaxDetail.TotalTax")
	if not tax_lines and code_rates:  # nothing taxable computed: the whole amount goes on the code's rates
		for rate_id, pct in code_rates:
			tax_lines.append(
				{
					"Amount": ZERO,
					"DetailType": "TaxLineDetail",
					"TaxLineDetail": {
						"TaxRateRef": {"value": rate_id},
						"PercentBased": True,
						"TaxPercent": pct,
						"NetAmountTaxable": ZERO,
					},
				}
			)
	if not tax_lines:
		return total
	weights = [line["Amount"] or line["TaxLineDetail"]["TaxPercent"] for line in tax_lines]
	if not any(weights):
		weights = [Decimal(1)] * len(tax_lines)
	weight_sum = sum(weights, ZERO)
	left = total
	for index, (line, weight) in enumerate(zip(tax_lines, weights, strict=True)):
		share = left if index == len(tax_lines) - 1 else q2(total * weight / weight_sum)
		line["Amount"] = share
		left -= share
	return total


def _gtc(ctx: Ctx, obj: dict) -> str:
	if ctx.co.is_us:
		return "TaxExcluded"
	value = obj.get("GlobalTaxCalculation")
	if blank(value):
		value = "TaxExcluded"
	if value not in GTC:
		raise errors.bad_enum("GlobalTaxCalculation", value)
	obj["GlobalTaxCalculation"] = value
	return value


# ----------------------------------------------------------------------------- sales forms


def _sales(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	co = ctx.co
	_txn_common(ctx, entity, obj, old)
	customer = _ref(ctx, obj, "CustomerRef", "Customer", required=True)
	lines = obj.get("Line")
	if not isinstance(lines, list):
		raise errors.required("Line")
	_tags(ctx, obj)
	lines = [
		copy.deepcopy(x) for x in lines if isinstance(x, dict) and x.get("DetailType") != "SubTotalLineDetail"
	]
	if not lines:
		raise errors.required("Line")
	rate = _txn_currency(ctx, obj, customer)
	gtc = _gtc(ctx, obj)
	subtotal = ZERO
	bases: dict[str, Decimal] = {}
	discounts = []
	for index, line in enumerate(lines):
		kind = line.get("DetailType") or _infer_detail_type(line)
		line["DetailType"] = kind
		_len(line, "Description", 4000, f"Line[{index}].Description")
		if kind == "SalesItemLineDetail":
			detail = line.get(kind) if isinstance(line.get(kind), dict) else {}
			line[kind] = detail
			if ref_value(detail.get("ItemRef")) is None:
				services = co.find_name("Item", "Services")
				detail["ItemRef"] = {"value": services[1] if services else "1"}
			item = _ref(ctx, detail, "ItemRef", "Item", required=True)
			if item and item.get("IncomeAccountRef"):
				detail["ItemAccountRef"] = copy.deepcopy(item["IncomeAccountRef"])
			amount = _check_amount(line, detail, index)
			default_code = (
				"TAX" if (item or {}).get("Taxable") and (customer or {}).get("Taxable", True) else "NON"
			)
			code = _tax_code(ctx, detail, index, gtc, default_code)
			_date(detail, "ServiceDate", ctx)
			subtotal += amount
			if code is not None:
				bases[code] = bases.get(code, ZERO) + amount
		elif kind == "DiscountLineDetail":
			discounts.append(line)
		elif kind == "DescriptionOnly":
			line["Amount"] = q2(_num(line, "Amount") or ZERO)
			line.setdefault("DescriptionLineDetail", {})
		else:
			raise errors.bad_enum(f"Line[{index}].DetailType", kind)
	discount = ZERO
	for line in discounts:
		detail = line.get("DiscountLineDetail") if isinstance(line.get("DiscountLineDetail"), dict) else {}
		line["DiscountLineDetail"] = detail
		if detail.get("PercentBased"):
			pct = _num(detail, "DiscountPercent") or ZERO
			detail["DiscountPercent"] = pct
			line["Amount"] = q2(subtotal * pct / 100)
		else:
			detail["PercentBased"] = False
			line["Amount"] = q2(_num(line, "Amount") or ZERO)
		if ref_value(detail.get("DiscountAccountRef")) is None:
			detail["DiscountAccountRef"] = {"value": co.accounts.get("discounts", "")}
		_ref(ctx, detail, "DiscountAccountRef", "Account")
		discount += line["Amount"]
	_line_ids(lines)
	if co.is_us:
		bases.pop("NON", None)
	total_tax = _compute_tax(ctx, obj, bases, subtotal, discount, gtc)
	lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
	obj["Line"] = lines
	total = subtotal - discount + (total_tax if gtc == "TaxExcluded" else ZERO)
	obj["TotalAmt"] = q2(total)
	if co.multicurrency:
		obj["HomeTotalAmt"] = q2(total * rate)
	_date(obj, "DueDate", ctx)
	_date(obj, "ShipDate", ctx)
	for key in ("PrintStatus", "EmailStatus"):
		if blank(obj.get(key)):
			obj[key] = "NotSet"
	if entity == "Invoice":
		_link_estimates(ctx, obj, customer, old)
		if blank(obj.get("DueDate")):
			obj["DueDate"] = obj["TxnDate"]
		deposit = _num(obj, "Deposit") or ZERO
		obj["Deposit"] = q2(deposit)
		if deposit:
			_ref(ctx, obj, "DepositToAccountRef", "Account")
		_balance_of(ctx, "Invoice", obj)
	elif entity == "CreditMemo":
		_balance_of(ctx, "CreditMemo", obj)
	elif entity == "Estimate":
		_date(obj, "ExpirationDate", ctx)
		if blank(obj.get("TxnStatus")):
			obj["TxnStatus"] = "Pending"
		if obj["TxnStatus"] not in ESTIMATE_STATUSES:
			raise errors.bad_enum("TxnStatus", obj["TxnStatus"])


def _link_estimates(ctx: Ctx, obj: dict, customer: dict | None, old: dict | None) -> None:
	"""An invoice made from estimates names them in LinkedTxn (TxnType Estimate): each must exist and be for
	the invoice's customer. Once the invoice is saved, a newly linked estimate is Closed and links back to it
	(QBO closes an estimate converted into an invoice)."""
	co = ctx.co
	before = {
		str(x.get("TxnId"))
		for x in (old or {}).get("LinkedTxn") or []
		if isinstance(x, dict) and x.get("TxnType") == "Estimate"
	}
	fresh: list[str] = []
	for index, link in enumerate(obj.get("LinkedTxn") or []):
		if not isinstance(link, dict) or link.get("TxnType") == "Payment":
			continue
		if link.get("TxnType") != "Estimate":
			raise errors.bad_enum(f"LinkedTxn[{index}].TxnType", link.get("TxnType"))
		estimate = co.get("Estimate", link.get("TxnId"))
		if estimate is None:
			raise errors.bad_ref("Estimate", link.get("TxnId"), f"LinkedTxn[{index}].TxnId")
		if customer is not None and ref_value(estimate.get("CustomerRef")) != customer.get("Id"):
			raise errors.business(
				f"Estimate {estimate['Id']} is for another customer than this invoice.", "LinkedTxn"
			)
		link["TxnId"] = str(estimate["Id"])
		if link["TxnId"] not in before and link["TxnId"] not in fresh:
			fresh.append(link["TxnId"])
	if fresh:
		ctx.after.append(lambda saved: _close_estimates(ctx, saved, fresh))


def _close_estimates(ctx: Ctx, invoice: dict, estimate_ids: list[str]) -> None:
	for estimate_id in estimate_ids:
		estimate = copy.deepcopy(ctx.co.get("Estimate", estimate_id))
		if estimate is None:
			continue
		estimate["TxnStatus"] = "Closed"
		links = [x for x in estimate.get("LinkedTxn") or [] if isinstance(x, dict)]
		links.append({"TxnId": invoice["Id"], "TxnType": "Invoice"})
		estimate["LinkedTxn"] = links
		ctx.co.save("Estimate", estimate, ctx.now, new=False)
		ctx.event("Estimate", estimate_id, "Update")


def _infer_detail_type(line: dict) -> str:
	for kind in (
		"SalesItemLineDetail",
		"DiscountLineDetail",
		"DescriptionLineDetail",
		"ItemBasedExpenseLineDetail",
		"AccountBasedExpenseLineDetail",
		"DepositLineDetail",
	):
		if kind in line:
			return "DescriptionOnly" if kind == "DescriptionLineDetail" else kind
	raise errors.required("Line.DetailType")


def _balance_of(ctx: Ctx, entity: str, obj: dict) -> None:
	"""Balance from TotalAmt and the payments applied to this invoice / credit memo (kept in co.applications)."""
	co = ctx.co
	applied = (
		sum(co.applications.get(f"{entity}:{obj.get('Id')}", {}).values(), ZERO) if obj.get("Id") else ZERO
	)
	deposit = obj.get("Deposit") or ZERO
	balance = obj["TotalAmt"] - deposit - applied
	if balance < 0:
		raise errors.business(
			f"The new total ({obj['TotalAmt']}) is less than the {applied} already paid on this {entity}.",
			"Line",
		)
	obj["Balance"] = q2(balance)
	if entity == "CreditMemo":
		obj["RemainingCredit"] = obj["Balance"]
	if co.multicurrency:
		obj["HomeBalance"] = q2(balance * (obj.get("ExchangeRate") or 1))
	if entity == "Invoice":
		links = [
			x for x in obj.get("LinkedTxn") or [] if isinstance(x, dict) and x.get("TxnType") != "Payment"
		]
		for payment_id in sorted(co.applications.get(f"Invoice:{obj.get('Id')}", {}), key=_id_order):
			links.append({"TxnId": payment_id, "TxnType": "Payment"})
		obj["LinkedTxn"] = links


# ----------------------------------------------------------------------------- payment and deposit


def _payment(ctx: Ctx, obj: dict, old: dict | None) -> None:
	co = ctx.co
	if old is not None and old["Id"] in co.deposited:
		raise Fault(
			"6540",
			"Deposited Transaction cannot be changed",
			"This payment has been deposited; it can't be changed.",
		)
	_txn_common(ctx, "Payment", obj, old)
	customer = _ref(ctx, obj, "CustomerRef", "Customer", required=True)
	total = _num(obj, "TotalAmt")
	if total is None:
		raise errors.required("TotalAmt")
	total = q2(total)
	obj["TotalAmt"] = total
	_len(obj, "PaymentRefNum", 21)
	_txn_currency(ctx, obj, customer)
	previous = _payment_apps(co, old["Id"]) if old else {}
	apps: dict[str, Decimal] = {}
	lines = obj.get("Line") or []
	if not isinstance(lines, list):
		raise errors.bad_property("Line", "Payment")
	for index, line in enumerate(lines):
		amount = q2(_num(line, "Amount", f"Line[{index}].Amount") or ZERO)
		line["Amount"] = amount
		linked = line.get("LinkedTxn") or []
		if not isinstance(linked, list) or len(linked) != 1:
			raise errors.business(
				"Each payment line must link exactly one transaction.", f"Line[{index}].LinkedTxn"
			)
		link = linked[0]
		txn_type = link.get("TxnType")
		if txn_type not in ("Invoice", "CreditMemo"):
			raise errors.bad_enum(f"Line[{index}].LinkedTxn.TxnType", txn_type)
		txn_id = str(link.get("TxnId") or "")
		target = co.get(txn_type, txn_id)
		if target is None:  # never existed, or deleted
			raise errors.bad_ref(txn_type, txn_id, f"Line[{index}].LinkedTxn.TxnId")
		if _is_voided(target) and (old is None or f"{txn_type}:{target['Id']}" not in previous):
			raise errors.business(
				f"{txn_type} {target.get('DocNumber') or txn_id} has been voided; a payment can't be applied to it.",
				f"Line[{index}].LinkedTxn",
			)
		if ref_value(target.get("CustomerRef")) != ref_value(obj.get("CustomerRef")):
			raise errors.business(
				f"{txn_type} {target.get('DocNumber') or txn_id} belongs to another customer.",
				f"Line[{index}].LinkedTxn",
			)
		link["TxnId"] = target["Id"]
		key = f"{txn_type}:{target['Id']}"
		apps[key] = apps.get(key, ZERO) + amount
	for key, amount in apps.items():
		entity, txn_id = key.split(":")
		target = co.get(entity, txn_id)
		open_balance = (target.get("Balance") or ZERO) + previous.get(key, ZERO)
		if amount > open_balance:
			raise errors.business(
				f"The amount applied ({amount}) is more than the open balance ({open_balance}) of {entity} "
				f"{target.get('DocNumber') or txn_id}.",
				"Line.Amount",
			)
		if amount < 0:
			raise errors.business("An amount applied can't be negative.", "Line.Amount")
	applied = sum((v for k, v in apps.items() if k.startswith("Invoice:")), ZERO) - sum(
		(v for k, v in apps.items() if k.startswith("CreditMemo:")), ZERO
	)
	if applied > total:
		raise errors.business(
			f"The amount applied to invoices ({applied}) is more than the payment's TotalAmt ({total}).",
			"TotalAmt",
		)
	obj["UnappliedAmt"] = q2(total - applied)
	if ref_value(obj.get("DepositToAccountRef")) is None:
		obj["DepositToAccountRef"] = {"value": co.accounts["undeposited"]}
	_ref(ctx, obj, "DepositToAccountRef", "Account")
	obj.setdefault("ProcessPayment", False)
	_line_ids_simple(lines)
	obj["Line"] = lines
	ctx.after.append(lambda saved: _apply_payment(ctx, saved["Id"], apps))


def _line_ids_simple(lines: list[dict]) -> None:
	for line in lines:
		line.pop("Id", None)
		line.pop("LineNum", None)


def _payment_apps(co: Company, payment_id: str) -> dict[str, Decimal]:
	out = {}
	for key, by_payment in co.applications.items():
		if payment_id in by_payment:
			out[key] = by_payment[payment_id]
	return out


def _apply_payment(ctx: Ctx, payment_id: str, apps: dict[str, Decimal]) -> None:
	"""Replace what `payment_id` applies, then recompute and re-save every invoice / credit memo it touches."""
	co = ctx.co
	touched = set(apps)
	for key, by_payment in co.applications.items():
		if payment_id in by_payment:
			touched.add(key)
			del by_payment[payment_id]
	for key, amount in apps.items():
		co.applications.setdefault(key, {})[payment_id] = amount
	for key in sorted(touched):
		entity, txn_id = key.split(":")
		target = co.get(entity, txn_id)
		if target is None:
			continue
		before = (target.get("Balance"), [dict(x) for x in target.get("LinkedTxn") or []])
		updated = copy.deepcopy(target)
		_balance_of(ctx, entity, updated)
		if (updated.get("Balance"), updated.get("LinkedTxn") or []) != (before[0], before[1]):
			co.save(entity, updated, ctx.now, new=False)
			ctx.event(entity, txn_id, "Update")


def _deposit(ctx: Ctx, obj: dict, old: dict | None) -> None:
	co = ctx.co
	_txn_common(ctx, "Deposit", obj, old)
	_ref(ctx, obj, "DepositToAccountRef", "Account", required=True)
	lines = obj.get("Line")
	if not isinstance(lines, list) or not lines:
		raise errors.required("Line")
	# A deposit of payments is in their currency (the bank account's); otherwise the home currency.
	first = next(
		(
			co.get("Payment", str(link.get("TxnId")))
			for line in lines
			if isinstance(line, dict)
			for link in line.get("LinkedTxn") or []
			if isinstance(link, dict) and link.get("TxnType") == "Payment"
		),
		None,
	)
	_txn_currency(ctx, obj, {"CurrencyRef": first.get("CurrencyRef")} if first else None)
	total = ZERO
	payments: list[str] = []
	for index, line in enumerate(lines):
		amount = q2(_num(line, "Amount", f"Line[{index}].Amount") or ZERO)
		line["Amount"] = amount
		linked = line.get("LinkedTxn") or []
		if linked:
			for link in linked:
				if link.get("TxnType") != "Payment":
					raise errors.bad_enum(f"Line[{index}].LinkedTxn.TxnType", link.get("TxnType"))
				payment = co.get("Payment", link.get("TxnId"))
				if payment is None:
					raise errors.bad_ref("Payment", link.get("TxnId"), f"Line[{index}].LinkedTxn.TxnId")
				holder = co.deposited.get(payment["Id"])
				if holder and (old is None or holder != old["Id"]):
					raise errors.business(
						f"Payment {payment['Id']} has already been deposited.", "Line.LinkedTxn"
					)
				if ref_value(payment.get("DepositToAccountRef")) != co.accounts["undeposited"]:
					raise errors.business(
						f"Payment {payment['Id']} was not received into Undeposited Funds.", "Line.LinkedTxn"
					)
				if amount != payment.get("TotalAmt"):
					raise errors.business(
						f"The deposit line amount ({amount}) must equal payment {payment['Id']}'s amount.",
						"Line.Amount",
					)
				link["TxnId"] = payment["Id"]
				link.setdefault("TxnLineId", "0")
				payments.append(payment["Id"])
		else:
			line["DetailType"] = "DepositLineDetail"
			detail = line.get("DepositLineDetail") if isinstance(line.get("DepositLineDetail"), dict) else {}
			line["DepositLineDetail"] = detail
			_ref(ctx, detail, "AccountRef", "Account", required=True)
		total += amount
	_line_ids(lines)
	obj["Line"] = lines
	obj["TotalAmt"] = q2(total)

	def link(saved: dict) -> None:
		_release_deposited(co, saved["Id"])
		for pid in payments:
			co.deposited[pid] = saved["Id"]

	ctx.after.append(link)


def _release_deposited(co: Company, deposit_id: str) -> None:
	"""The payments a deposit held are undeposited again (deposit deleted, voided or re-lined)."""
	for pid, holder in list(co.deposited.items()):
		if holder == deposit_id:
			del co.deposited[pid]


# ----------------------------------------------------------------------------- purchases and time


def _purchase(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	co = ctx.co
	_txn_common(ctx, entity, obj, old)
	vendor = _ref(ctx, obj, "VendorRef", "Vendor", required=True)
	lines = obj.get("Line")
	if not isinstance(lines, list) or not lines:
		raise errors.required("Line")
	_tags(ctx, obj, PURCHASE_TAG_DETAILS)
	lines = [copy.deepcopy(x) for x in lines if isinstance(x, dict)]
	rate = _txn_currency(ctx, obj, vendor)
	gtc = _gtc(ctx, obj)
	subtotal = ZERO
	bases: dict[str, Decimal] = {}
	for index, line in enumerate(lines):
		kind = line.get("DetailType") or _infer_detail_type(line)
		line["DetailType"] = kind
		_len(line, "Description", 4000, f"Line[{index}].Description")
		detail = line.get(kind) if isinstance(line.get(kind), dict) else {}
		line[kind] = detail
		if kind == "ItemBasedExpenseLineDetail":
			_ref(ctx, detail, "ItemRef", "Item", required=True)
			amount = _check_amount(line, detail, index)
		elif kind == "AccountBasedExpenseLineDetail":
			_ref(ctx, detail, "AccountRef", "Account", required=True)
			amount = q2(_num(line, "Amount", f"Line[{index}].Amount") or ZERO)
			line["Amount"] = amount
		else:
			raise errors.bad_enum(f"Line[{index}].DetailType", kind)
		_ref(ctx, detail, "CustomerRef", "Customer")
		if not co.is_us:
			code = _tax_code(ctx, detail, index, gtc)
			if code is not None:
				bases[code] = bases.get(code, ZERO) + amount
		subtotal += amount
	_line_ids(lines)
	obj["Line"] = lines
	total_tax = ZERO
	if not co.is_us:
		total_tax = _compute_tax(ctx, obj, bases, subtotal, ZERO, gtc, purchase=True)
	total = subtotal + (total_tax if gtc == "TaxExcluded" else ZERO)
	obj["TotalAmt"] = q2(total)
	if co.multicurrency:
		obj["HomeTotalAmt"] = q2(total * rate)
	if ref_value(obj.get("APAccountRef")) is None:
		obj["APAccountRef"] = {"value": co.accounts["ap"]}
	_ref(ctx, obj, "APAccountRef", "Account")
	_date(obj, "DueDate", ctx)
	if entity == "Bill":
		if blank(obj.get("DueDate")):
			obj["DueDate"] = obj["TxnDate"]
		_purchase_balance(ctx, entity, obj)
	elif entity == "VendorCredit":
		obj.pop("DueDate", None)
		_purchase_balance(ctx, entity, obj)
	else:
		if blank(obj.get("POStatus")):
			obj["POStatus"] = "Open"
		if obj["POStatus"] not in ("Open", "Closed"):
			raise errors.bad_enum("POStatus", obj["POStatus"])
		if blank(obj.get("EmailStatus")):
			obj["EmailStatus"] = "NotSet"


def _purchase_balance(ctx: Ctx, entity: str, obj: dict) -> None:
	"""Balance of a bill (or vendor credit): TotalAmt less what bill payments applied to it; the bill's
	LinkedTxn lists those bill payments."""
	co = ctx.co
	by_payer = co.applications.get(f"{entity}:{obj.get('Id')}", {}) if obj.get("Id") else {}
	applied = sum(by_payer.values(), ZERO)
	balance = obj["TotalAmt"] - applied
	if balance < 0:
		raise errors.business(
			f"The new total ({obj['TotalAmt']}) is less than the {applied} already paid on this {entity}.",
			"Line",
		)
	obj["Balance"] = q2(balance)
	if entity == "Bill":
		if co.multicurrency:
			obj["HomeBalance"] = q2(balance * (obj.get("ExchangeRate") or 1))
		links = [
			x for x in obj.get("LinkedTxn") or [] if isinstance(x, dict) and x.get("TxnType") != "BillPayment"
		]
		for payer in sorted(by_payer, key=lambda p: _id_order(p.removeprefix(BILL_PAYER))):
			links.append({"TxnId": payer.removeprefix(BILL_PAYER), "TxnType": "BillPayment"})
		obj["LinkedTxn"] = links


def _bill_payment(ctx: Ctx, obj: dict, old: dict | None) -> None:
	co = ctx.co
	_txn_common(ctx, "BillPayment", obj, old)
	vendor = _ref(ctx, obj, "VendorRef", "Vendor", required=True)
	_ref(ctx, obj, "DepartmentRef", "Department")
	total = _num(obj, "TotalAmt")
	if total is None:
		raise errors.required("TotalAmt")
	total = q2(total)
	if total < 0:
		raise errors.business("A bill payment's TotalAmt can't be negative.", "TotalAmt")
	obj["TotalAmt"] = total
	pay_type = obj.get("PayType")
	if blank(pay_type):
		raise errors.required("PayType")
	if pay_type not in PAY_TYPES:
		raise errors.bad_enum("PayType", pay_type)
	holder, key = PAY_TYPES[pay_type]
	detail = obj.get(holder) if isinstance(obj.get(holder), dict) else None
	if detail is None:
		raise errors.required(f"{holder}.{key}")
	account = _ref(ctx, detail, key, "Account", required=True)
	wanted = ("Bank",) if pay_type == "Check" else ("Credit Card",)
	if (account or {}).get("AccountType") not in wanted:
		raise errors.business(
			f"{holder}.{key} must be a {' or '.join(wanted)} account, not {(account or {}).get('AccountType')}.",
			f"{holder}.{key}",
		)
	obj.pop("CreditCardPayment" if pay_type == "Check" else "CheckPayment", None)
	_txn_currency(ctx, obj, vendor)
	payer = BILL_PAYER + str(old["Id"]) if old else None
	previous = _payment_apps(co, payer) if payer else {}
	apps: dict[str, Decimal] = {}
	lines = obj.get("Line") or []
	if not isinstance(lines, list) or not lines:
		raise errors.required("Line")
	for index, line in enumerate(lines):
		amount = q2(_num(line, "Amount", f"Line[{index}].Amount") or ZERO)
		line["Amount"] = amount
		linked = line.get("LinkedTxn") or []
		if not isinstance(linked, list) or len(linked) != 1:
			raise errors.business(
				"Each bill payment line must link exactly one transaction.", f"Line[{index}].LinkedTxn"
			)
		link = linked[0]
		txn_type = link.get("TxnType")
		if txn_type not in ("Bill", "VendorCredit"):
			raise errors.bad_enum(f"Line[{index}].LinkedTxn.TxnType", txn_type)
		txn_id = str(link.get("TxnId") or "")
		target = co.get(txn_type, txn_id)
		if target is None:
			raise errors.bad_ref(txn_type, txn_id, f"Line[{index}].LinkedTxn.TxnId")
		if ref_value(target.get("VendorRef")) != ref_value(obj.get("VendorRef")):
			raise errors.business(
				f"{txn_type} {target.get('DocNumber') or txn_id} belongs to another vendor.",
				f"Line[{index}].LinkedTxn",
			)
		if amount < 0:
			raise errors.business("An amount applied can't be negative.", "Line.Amount")
		link["TxnId"] = target["Id"]
		app_key = f"{txn_type}:{target['Id']}"
		apps[app_key] = apps.get(app_key, ZERO) + amount
	for app_key, amount in apps.items():
		entity, txn_id = app_key.split(":")
		target = co.get(entity, txn_id)
		open_balance = (target.get("Balance") or ZERO) + previous.get(app_key, ZERO)
		if amount > open_balance:
			raise errors.business(
				f"The amount applied ({amount}) is more than the open balance ({open_balance}) of {entity} "
				f"{target.get('DocNumber') or txn_id}.",
				"Line.Amount",
			)
	applied = sum((v for k, v in apps.items() if k.startswith("Bill:")), ZERO) - sum(
		(v for k, v in apps.items() if k.startswith("VendorCredit:")), ZERO
	)
	if applied > total:
		raise errors.business(
			f"The amount applied to bills ({applied}) is more than the bill payment's TotalAmt ({total}).",
			"TotalAmt",
		)
	_line_ids_simple(lines)
	obj["Line"] = lines
	if ref_value(obj.get("APAccountRef")) is None:
		obj["APAccountRef"] = {"value": co.accounts["ap"]}
	_ref(ctx, obj, "APAccountRef", "Account")
	ctx.after.append(lambda saved: _apply_bill_payment(ctx, saved["Id"], apps))


def _apply_bill_payment(ctx: Ctx, payment_id: str, apps: dict[str, Decimal]) -> None:
	"""Replace what a bill payment applies, then recompute and re-save every bill / vendor credit it touches."""
	co = ctx.co
	payer = BILL_PAYER + str(payment_id)
	touched = set(apps)
	for key, by_payer in co.applications.items():
		if payer in by_payer:
			touched.add(key)
			del by_payer[payer]
	for key, amount in apps.items():
		co.applications.setdefault(key, {})[payer] = amount
	for key in sorted(touched):
		entity, txn_id = key.split(":")
		target = co.get(entity, txn_id)
		if target is None:
			continue
		updated = copy.deepcopy(target)
		_purchase_balance(ctx, entity, updated)
		if (updated.get("Balance"), updated.get("LinkedTxn")) != (
			target.get("Balance"),
			target.get("LinkedTxn"),
		):
			co.save(entity, updated, ctx.now, new=False)
			ctx.event(entity, txn_id, "Update")


def _time_activity(ctx: Ctx, obj: dict, old: dict | None) -> None:
	_txn_common(ctx, "TimeActivity", obj, old)
	if blank(obj.get("TxnDate")):
		raise errors.required("TxnDate")
	name_of = obj.get("NameOf")
	if blank(name_of):
		raise errors.required("NameOf")
	if name_of not in ("Employee", "Vendor"):
		raise errors.bad_enum("NameOf", name_of)
	if name_of == "Employee":
		_ref(ctx, obj, "EmployeeRef", "Employee", required=True)
		obj.pop("VendorRef", None)
	else:
		_ref(ctx, obj, "VendorRef", "Vendor", required=True)
		obj.pop("EmployeeRef", None)
	_ref(ctx, obj, "CustomerRef", "Customer")
	_ref(ctx, obj, "ItemRef", "Item")
	_ref(ctx, obj, "ClassRef", "Class")
	_ref(ctx, obj, "DepartmentRef", "Department")
	hours, minutes = _num(obj, "Hours"), _num(obj, "Minutes")
	if hours is None and minutes is None and blank(obj.get("StartTime")):
		raise errors.required("Hours")
	if not blank(obj.get("StartTime")) and blank(obj.get("EndTime")):
		raise errors.required("EndTime")
	status = obj.get("BillableStatus")
	if blank(status):
		obj["BillableStatus"] = "NotBillable"
	elif status not in ("Billable", "NotBillable", "HasBeenBilled"):
		raise errors.bad_enum("BillableStatus", status)
	if obj["BillableStatus"] == "Billable" and ref_value(obj.get("CustomerRef")) is None:
		raise errors.required("CustomerRef")  # billable time is billed to a customer
	_len(obj, "Description", 4000)
	for key in ("Hours", "Minutes", "BreakHours", "BreakMinutes"):
		value = _num(obj, key)
		if value is not None:
			obj[key] = int(value)
	for key in ("HourlyRate", "CostRate"):
		value = _num(obj, key)
		if value is not None:
			obj[key] = value


def _prepare(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	if entity in PEOPLE:
		_person(ctx, entity, obj, old)
	elif entity == "Item":
		_item(ctx, obj, old)
	elif entity == "Account":
		_account(ctx, obj, old)
	elif entity in ("Class", "Department"):
		_tag(ctx, entity, obj, old)
	elif entity in SALES_ENTITIES:
		_sales(ctx, entity, obj, old)
	elif entity == "Payment":
		_payment(ctx, obj, old)
	elif entity == "Deposit":
		_deposit(ctx, obj, old)
	elif entity in PURCHASE_ENTITIES:
		_purchase(ctx, entity, obj, old)
	elif entity == "BillPayment":
		_bill_payment(ctx, obj, old)
	elif entity == "TimeActivity":
		_time_activity(ctx, obj, old)


def _prepare_named(ctx: Ctx, entity: str, obj: dict, old: dict | None) -> None:
	"""_prepare, with a 6240 caused by an inactive name told as QBO lists that name: "<name> (deleted)"."""
	try:
		_prepare(ctx, entity, obj, old)
	except Fault as fault:
		if fault.code != "6240" or entity not in INACTIVE_NAME_FIELDS:
			raise
		name = obj.get("FullyQualifiedName") if entity in ("Item", "Account") else obj.get("DisplayName")
		holder = ctx.co.find_name(entity, str(name or ""))
		target = ctx.co.get(*holder) if holder else None
		if target is None or target.get("Active") is not False:
			raise
		raise errors.duplicate_inactive_name(
			holder[0], _display(holder[0], target) + INACTIVE_SUFFIX, target["Id"]
		) from None


# ----------------------------------------------------------------------------- operations


def _clean_input(entity: str, body: object) -> dict:
	if not isinstance(body, dict):
		raise errors.bad_body(f"expected a JSON object for {entity}")
	known = FIELDS[entity]
	for key in body:
		if key not in known:
			raise errors.bad_property(key, entity)
	ro = READONLY[entity]
	return {k: copy.deepcopy(v) for k, v in body.items() if k not in ro and k not in ("sparse", "domain")}


def create(ctx: Ctx, entity: str, body: dict) -> dict:
	"""Create one entity; returns the stored object (QBO's answer)."""
	if entity in READ_ONLY_ENTITIES:
		raise errors.unsupported(f"Operation Create is not supported for {entity}.")
	obj = _clean_input(entity, body)
	obj.pop("Id", None)
	obj.pop("SyncToken", None)
	_prepare_named(ctx, entity, obj, None)
	saved = ctx.co.save(entity, obj, ctx.now, new=True)
	ctx.event(entity, saved["Id"], "Create")
	for callback in ctx.after:
		callback(saved)
	return saved


def _current(ctx: Ctx, entity: str, body: dict) -> dict:
	if not isinstance(body, dict):
		raise errors.bad_body(f"expected a JSON object for {entity}")
	entity_id = body.get("Id")
	if blank(entity_id):
		raise errors.required("Id")
	old = ctx.co.get(entity, entity_id)
	if old is None:
		raise errors.not_found(entity, entity_id)
	token = body.get("SyncToken")
	if blank(token):
		raise errors.required("SyncToken")
	if str(token) != str(old.get("SyncToken")):
		raise errors.stale()
	return old


def update(ctx: Ctx, entity: str, body: dict) -> dict:
	"""Full update (omitted writable fields become null) or sparse update ("sparse": true)."""
	if entity in READ_ONLY_ENTITIES:
		raise errors.unsupported(f"Operation Update is not supported for {entity}.")
	sparse = isinstance(body, dict) and str(body.get("sparse")).lower() == "true"
	clean = _clean_input(entity, body)
	old = _current(ctx, entity, body)
	if sparse:
		obj = copy.deepcopy(old)
		obj.update(clean)
		if entity in SALES_ENTITIES and "TxnTaxDetail" not in clean and not old.get("_tax_override"):
			# The stored tax was QBO's own computation, not an amount the client sent: compute it again.
			code = (old.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef")
			obj["TxnTaxDetail"] = {"TxnTaxCodeRef": copy.deepcopy(code)} if code else {}
	else:
		obj = {k: copy.deepcopy(v) for k, v in old.items() if k in SYSTEM_KEEP or k.startswith("_")}
		obj.update(clean)
		if entity in ("Customer", "Vendor") and "CurrencyRef" not in clean and old.get("CurrencyRef"):
			obj["CurrencyRef"] = copy.deepcopy(old["CurrencyRef"])
	obj["Id"] = old["Id"]
	_prepare_named(ctx, entity, obj, old)
	saved = ctx.co.save(entity, obj, ctx.now, new=False)
	# a name made inactive is QBO's "delete" of a name-list entity, and its webhook says Delete
	deactivated = (
		entity not in TXN_ENTITIES and old.get("Active") is not False and saved.get("Active") is False
	)
	ctx.event(entity, saved["Id"], "Delete" if deactivated else "Update")
	for callback in ctx.after:
		callback(saved)
	return saved


def _zero_lines(obj: dict) -> None:
	for line in obj.get("Line") or []:
		line["Amount"] = ZERO
		for key in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
			if isinstance(line.get(key), dict) and "Qty" in line[key]:
				line[key]["Qty"] = ZERO
	detail = obj.get("TxnTaxDetail")
	if isinstance(detail, dict):
		detail["TotalTax"] = ZERO
		for tax_line in detail.get("TaxLine") or []:
			tax_line["Amount"] = ZERO
			if isinstance(tax_line.get("TaxLineDetail"), dict):
				tax_line["TaxLineDetail"]["NetAmountTaxable"] = ZERO
	for key in (
		"TotalAmt",
		"Balance",
		"HomeTotalAmt",
		"HomeBalance",
		"UnappliedAmt",
		"RemainingCredit",
		"Deposit",
	):
		if key in obj:
			obj[key] = ZERO
	obj["PrivateNote"] = "Voided"
	obj["_voided"] = True


def _has_payments(ctx: Ctx, entity: str, entity_id: str) -> bool:
	return bool(ctx.co.applications.get(f"{entity}:{entity_id}"))


def void(ctx: Ctx, entity: str, body: dict) -> dict:
	"""Void: the transaction keeps its number; amounts become zero and PrivateNote "Voided". A Bill cannot be
	voided through the API (Intuit: delete it instead)."""
	if entity not in ("Invoice", "Payment", "CreditMemo", "BillPayment", "Deposit"):
		raise errors.unsupported(f"Operation Void is not supported for {entity}.")
	old = _current(ctx, entity, body)
	if entity in ("Invoice", "CreditMemo") and _has_payments(ctx, entity, old["Id"]):
		raise Fault(
			"6540",
			"A business validation error has occurred while processing your request",
			f"Business Validation Error: This {entity} has payments applied to it. Void or delete the payments first.",
		)
	if entity == "Payment" and old["Id"] in ctx.co.deposited:
		raise Fault(
			"6540",
			"Deposited Transaction cannot be changed",
			"This payment has been deposited; it can't be voided.",
		)
	obj = copy.deepcopy(old)
	_zero_lines(obj)
	if entity == "Payment":
		ctx.after.append(lambda saved: _apply_payment(ctx, saved["Id"], {}))
	if entity == "BillPayment":  # its bills are open again
		ctx.after.append(lambda saved: _apply_bill_payment(ctx, saved["Id"], {}))
	if entity == "Deposit":  # a voided deposit puts its payments back into Undeposited Funds
		ctx.after.append(lambda saved: _release_deposited(ctx.co, saved["Id"]))
	saved = ctx.co.save(entity, obj, ctx.now, new=False)
	ctx.event(entity, saved["Id"], "Void")
	for callback in ctx.after:
		callback(saved)
	return saved


def delete(ctx: Ctx, entity: str, body: dict) -> dict:
	"""Delete a transaction; name-list entities answer 'Unsupported Operation' (make them inactive instead)."""
	if entity not in TXN_ENTITIES:
		raise errors.unsupported(f"Operation Delete is not supported for {entity}. Make it inactive instead.")
	old = _current(ctx, entity, body)
	co = ctx.co
	if entity in ("Invoice", "CreditMemo") and _has_payments(ctx, entity, old["Id"]):
		raise Fault(
			"6540",
			"A business validation error has occurred while processing your request",
			f"Business Validation Error: This {entity} has payments applied to it. Void or delete the payments first.",
		)
	if entity == "Payment":
		if old["Id"] in co.deposited:
			raise Fault(
				"6540",
				"Deposited Transaction cannot be changed",
				"This payment has been deposited; it can't be deleted.",
			)
		_apply_payment(ctx, old["Id"], {})
	if entity in ("Bill", "VendorCredit") and co.applications.get(f"{entity}:{old['Id']}"):
		raise Fault(
			"6540",
			"A business validation error has occurred while processing your request",
			f"Business Validation Error: This {entity} has bill payments applied to it. Delete or void the bill "
			"payments first.",
		)
	if entity == "BillPayment":
		_apply_bill_payment(ctx, old["Id"], {})
	if entity == "Deposit":
		_release_deposited(co, old["Id"])
	co.remove(entity, old["Id"], ctx.now)
	ctx.event(entity, old["Id"], "Delete")
	return {"status": "Deleted", "domain": "QBO", "Id": old["Id"]}


def render(co: Company, entity: str, obj: dict) -> dict:
	"""The object as QBO shows it: internal markers dropped, Customer.Balance filled in, an inactive name
	listed as QBO lists it ("Acme (deleted)"; the stored name stays what it was, and stays taken)."""
	out = {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}
	if out.get("Active") is False:
		for key in INACTIVE_NAME_FIELDS.get(entity, ()):
			if isinstance(out.get(key), str):
				out[key] += INACTIVE_SUFFIX
	if entity == "Customer" and "Id" in out:
		balance = q2(co.balances.get(out["Id"], ZERO))
		out["Balance"] = balance
		out["BalanceWithJobs"] = balance
	return out


def read(co: Company, entity: str, entity_id: str) -> dict:
	if entity == "Preferences":
		return preferences(co)
	if entity == "CompanyInfo":
		return company_info(co)
	obj = co.get(entity, entity_id)
	if obj is None:
		raise errors.not_found(entity, entity_id)
	return render(co, entity, obj)


def all_objects(co: Company, entity: str) -> list[dict]:
	"""Every current object of an entity, rendered (for queries)."""
	if entity == "Preferences":
		return [preferences(co)]
	if entity == "CompanyInfo":
		return [company_info(co)]
	return [render(co, entity, obj) for obj in co.table(entity).values()]


# ----------------------------------------------------------------------------- settings entities


def preferences(co: Company) -> dict:
	"""Preferences reflect the company mode the emulator runs in."""
	tax_prefs: dict = {"UsingSalesTax": True, "PartnerTaxEnabled": co.automated_sales_tax}
	if co.is_us:
		group = co.find_name("TaxCode", "NY State+City 8.875%")
		tax_prefs["TaxGroupCodeRef"] = {"value": group[1]} if group else None
	return {
		"AccountingInfoPrefs": {
			"TrackDepartments": co.track_departments,
			"DepartmentTerminology": co.department_terminology,
			"ClassTrackingPerTxn": co.class_tracking == "txn",
			"ClassTrackingPerTxnLine": co.class_tracking == "line",
			"CustomerTerminology": "Customers",
			"FirstMonthOfFiscalYear": "January",
			"TaxYearMonth": "January",
			"UseAccountNumbers": False,
		},
		"ProductAndServicesPrefs": {
			"ForSales": True,
			"ForPurchase": True,
			"QuantityWithPriceAndRate": True,
			"QuantityOnHand": True,
		},
		"SalesFormsPrefs": {
			"CustomField": [],
			"CustomTxnNumbers": co.custom_txn_numbers,
			"AllowDelayedCharges": False,
			"AllowDeposit": True,
			"AllowDiscount": True,
			"DefaultDiscountAccount": co.accounts.get("discounts"),
			"AllowEstimates": True,
			"AllowServiceDate": True,
			"AllowShipping": False,
			"AutoApplyCredit": False,
			"IPNSupportEnabled": False,
			"ETransactionEnabledStatus": "NotApplicable",
			"UsingPriceLevels": False,
			"UsingProgressInvoicing": False,
		},
		"VendorAndPurchasesPrefs": {
			"TrackingByCustomer": True,
			"BillableExpenseTracking": True,
			"POCustomField": [],
		},
		"TaxPrefs": tax_prefs,
		"CurrencyPrefs": {
			"MultiCurrencyEnabled": co.multicurrency,
			"HomeCurrency": {"value": co.home_currency},
		},
		"TimeTrackingPrefs": {
			"UseServices": True,
			"BillCustomers": True,
			"ShowBillRateToAll": False,
			"WorkWeekStartDate": "Monday",
			"MarkTimeEntriesBillable": True,
		},
		"OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""}]},
		"domain": "QBO",
		"sparse": False,
		"Id": "1",
		"SyncToken": str(co.settings_sync.get("Preferences", 0)),
		"MetaData": co.settings_meta("Preferences"),
	}


def company_info(co: Company) -> dict:
	addr = {
		"Id": "1",
		"Line1": "123 Emulator Way",
		"City": "Mountain View",
		"Country": co.country,
		"PostalCode": "94043",
	}
	return {
		"CompanyName": co.name,
		"LegalName": co.name,
		"CompanyAddr": addr,
		"CustomerCommunicationAddr": dict(addr),
		"LegalAddr": dict(addr),
		"PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"},
		"CompanyStartDate": qbo_date(co.created_ts, co.tz),
		"FiscalYearStartMonth": "January",
		"Country": co.country,
		"Email": {"Address": "books@example.com"},
		"WebAddr": {},
		"SupportedLanguages": "en",
		"NameValue": [
			{"Name": "NeoEnabled", "Value": "true"},
			{"Name": "IsQbdtMigrated", "Value": "false"},
			{"Name": "SubscriptionStatus", "Value": "PAID"},
			{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
			{"Name": "PayrollFeature", "Value": "false"},
			{"Name": "AccountantFeature", "Value": "false"},
			{"Name": "ItemCategoriesFeature", "Value": "true"},
		],
		"domain": "QBO",
		"sparse": False,
		"Id": "1",
		"SyncToken": str(co.settings_sync.get("CompanyInfo", 0)),
		"MetaData": co.settings_meta("CompanyInfo"),
	}


# ----------------------------------------------------------------------------- seeding


def set_automated_sales_tax(co: Company, on: bool, now: float) -> None:
	"""Switch automated sales tax; the first switch-on seeds the tax code and rate QBO's engine assigns."""
	if on and not co.is_us:
		raise ValueError("automated sales tax exists for US companies only")
	if on and co.ast_code is None:
		rate = {
			"Name": AST_RATE_NAME,
			"Description": "Rate computed by automated sales tax",
			"RateValue": AST_RATE,
			"Active": True,
			"AgencyRef": {"value": "1"},
			"SpecialTaxType": "NONE",
			"DisplayType": "ReadOnly",
			"EffectiveTaxRate": [{"RateValue": AST_RATE, "EffectiveDate": "2000-01-01T00:00:00-08:00"}],
		}
		rate_id = co.save("TaxRate", rate, now, new=True)["Id"]
		detail = [
			{"TaxRateRef": {"value": rate_id, "name": AST_RATE_NAME}, "TaxTypeApplicable": "TaxOnAmount"}
		]
		code = {
			"Name": AST_CODE_NAME,
			"Description": AST_CODE_NAME,
			"Active": True,
			"Hidden": False,
			"Taxable": True,
			"TaxGroup": True,
			"SalesTaxRateList": {"TaxRateDetail": detail},
			"PurchaseTaxRateList": {"TaxRateDetail": []},
		}
		saved = co.save("TaxCode", code, now, new=True)
		co.names[("TaxCode", AST_CODE_NAME.lower())] = ("TaxCode", saved["Id"])
		co.ast_code = saved["Id"]
	co.automated_sales_tax = bool(on)
	co.touch_settings("Preferences", now)


def seed_company(co: Company, now: float) -> None:
	"""Fill a new company with the seed data of its mode (accounts, tax codes, items, a few names)."""
	ctx = Ctx(co, now)
	for key, name, account_type, subtype in seed.account_rows(co.country):
		saved = create(ctx, "Account", {"Name": name, "AccountType": account_type, "AccountSubType": subtype})
		co.accounts[key] = saved["Id"]
	rates, codes = seed.TAX_SETUP[co.country]
	rate_ids = {}
	for name, value in rates:
		obj = {
			"Name": name,
			"Description": name,
			"RateValue": Decimal(value),
			"Active": True,
			"AgencyRef": {"value": "1"},
			"SpecialTaxType": "NONE",
			"DisplayType": "ReadOnly",
			"EffectiveTaxRate": [{"RateValue": Decimal(value), "EffectiveDate": "2000-01-01T00:00:00-08:00"}],
		}
		rate_ids[name] = co.save("TaxRate", obj, now, new=True)["Id"]
	if co.is_us:
		for code in ("TAX", "NON"):
			obj = {
				"Id": code,
				"Name": code,
				"Description": code,
				"Active": True,
				"Taxable": code == "TAX",
				"TaxGroup": False,
			}
			co.save("TaxCode", obj, now, new=True)
	co.seq["TaxCode"] = 1
	for name, rate_names, taxable, group in codes:
		details = [
			{
				"TaxRateRef": {"value": rate_ids[r], "name": r},
				"TaxTypeApplicable": "TaxOnAmount",
				"TaxOrder": 0,
			}
			for r in rate_names
		]
		obj = {
			"Name": name,
			"Description": name,
			"Active": True,
			"Hidden": False,
			"Taxable": taxable,
			"TaxGroup": group,
			"SalesTaxRateList": {"TaxRateDetail": details},
			"PurchaseTaxRateList": {"TaxRateDetail": copy.deepcopy(details)},
		}
		saved = co.save("TaxCode", obj, now, new=True)
		co.names[("TaxCode", name.lower())] = ("TaxCode", saved["Id"])
	for item in seed.items(co.accounts):
		create(ctx, "Item", item)
	for customer in seed.CUSTOMERS:
		create(ctx, "Customer", dict(customer))
	for vendor in seed.VENDORS:
		create(ctx, "Vendor", dict(vendor))
	for employee in seed.EMPLOYEES:
		create(ctx, "Employee", dict(employee))
