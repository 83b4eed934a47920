"""QBO -> ERPNext: customers, items (Service and NonInventory only) and payments made in QBO.

These return plain dicts/plans; the engine resolves QBO ids to ERPNext names (it holds the links) and
writes through its Store, so this module stays free of frappe and of look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qbo_connector.mapping.money import ZERO, D, q2
from qbo_connector.mapping.text import iso_date, shorten_head, strip_html

ERP_NAME_MAX = 140  # ERPNext Data fields (customer_name, item_code, item_name)
PULLED_ITEM_TYPES = frozenset(("Service", "NonInventory"))
# QBO lists a name made inactive ("deleted") as "<name> (deleted)"; the ERPNext record keeps its own name.
INACTIVE_SUFFIX = " (deleted)"


def _ref(value: Any) -> str | None:
	if isinstance(value, Mapping):
		return str(value.get("value")) if value.get("value") not in (None, "") else None
	return None


def _sub(value: Any, key: str) -> str | None:
	if isinstance(value, Mapping) and value.get(key):
		return str(value[key]).strip() or None
	return None


def _erp_name(value: Any) -> str:
	"""Within ERPNext's 140 characters, stably (QBO allows 500 for a DisplayName)."""
	return shorten_head(" ".join(str(value or "").split()), ERP_NAME_MAX)


def active_name(qbo: Mapping[str, Any], value: Any) -> Any:
	"""A name of a QBO object without the " (deleted)" QBO shows after it while the object is inactive."""
	if qbo.get("Active") is False and isinstance(value, str) and value.endswith(INACTIVE_SUFFIX):
		return value[: -len(INACTIVE_SUFFIX)]
	return value


def qbo_customer_to_erpnext(qbo: Mapping[str, Any]) -> dict[str, Any]:
	"""ERPNext Customer fields from a QBO Customer; the engine adds group, territory and the link."""
	display = (
		active_name(qbo, qbo.get("DisplayName"))
		or qbo.get("CompanyName")
		or active_name(qbo, qbo.get("FullyQualifiedName"))
		or ""
	)
	out: dict[str, Any] = {
		"doctype": "Customer",
		"customer_name": _erp_name(display),
		"customer_type": "Company" if qbo.get("CompanyName") else "Individual",
		"disabled": 0 if qbo.get("Active", True) else 1,
	}
	email = _sub(qbo.get("PrimaryEmailAddr"), "Address")
	if email:
		out["email_id"] = email
	mobile = _sub(qbo.get("Mobile"), "FreeFormNumber") or _sub(qbo.get("PrimaryPhone"), "FreeFormNumber")
	if mobile:
		out["mobile_no"] = mobile
	currency = _ref(qbo.get("CurrencyRef"))
	if currency:
		out["default_currency"] = currency
	website = _sub(qbo.get("WebAddr"), "URI")
	if website:
		out["website"] = website
	if qbo.get("Taxable") is False:
		out["exempt_from_sales_tax"] = 1
	return out


def qbo_address_to_erpnext(
	qbo_address: Mapping[str, Any] | None, customer_name: str, address_type: str = "Billing"
) -> dict[str, Any] | None:
	"""ERPNext Address fields from a QBO BillAddr/ShipAddr, linked to the customer.

	None when it lacks a street line or a city: ERPNext requires both, and inventing them would be worse
	than having no address.
	"""
	if not qbo_address:
		return None
	lines = [str(qbo_address.get(f"Line{n}") or "").strip() for n in range(1, 6)]
	lines = [line for line in lines if line]
	city = str(qbo_address.get("City") or "").strip()
	if not lines or not city:
		return None
	return {
		"doctype": "Address",
		"address_title": customer_name,
		"address_type": address_type,
		"address_line1": lines[0],
		"address_line2": ", ".join(lines[1:]) or None,
		"city": city,
		"state": qbo_address.get("CountrySubDivisionCode"),
		"pincode": qbo_address.get("PostalCode"),
		"country": qbo_address.get("Country"),
		"links": [{"link_doctype": "Customer", "link_name": customer_name}],
	}


def qbo_item_to_erpnext(qbo: Mapping[str, Any]) -> dict[str, Any] | None:
	"""ERPNext Item fields from a QBO Service or NonInventory item; None for Inventory, Group, Category.

	Pulled items are never stock items: stock lives in ERPNext's ledger, not in QBO.
	"""
	if qbo.get("Type") not in PULLED_ITEM_TYPES:
		return None
	name = active_name(qbo, qbo.get("Name")) or ""
	code = qbo.get("Sku") or name
	return {
		"doctype": "Item",
		"item_code": _erp_name(code),
		"item_name": _erp_name(name or code),
		"description": strip_html(qbo.get("Description")) or str(name),
		"is_stock_item": 0,
		"standard_rate": float(q2(qbo.get("UnitPrice"))),
		"disabled": 0 if qbo.get("Active", True) else 1,
	}


@dataclass
class PaymentPlan:
	"""What an ERPNext Payment Entry for a QBO Payment should hold, in QBO ids for the engine to resolve.

	allocations: (QBO Invoice id, amount) per invoice paid; credit_allocations: (QBO CreditMemo id, amount)
	used up by the payment; unallocated: QBO's UnappliedAmt (customer credit, an ERPNext advance).
	"""

	qbo_id: str
	customer_ref: str | None
	posting_date: str | None
	paid_amount: Decimal
	reference_no: str
	allocations: list[tuple[str, Decimal]] = field(default_factory=list)
	credit_allocations: list[tuple[str, Decimal]] = field(default_factory=list)
	unallocated: Decimal = ZERO
	currency: str | None = None
	exchange_rate: Decimal | None = None
	deposit_account_ref: str | None = None
	private_note: str = ""
	voided: bool = False
	warnings: list[str] = field(default_factory=list)


def qbo_payment_to_plan(qbo: Mapping[str, Any]) -> PaymentPlan:
	"""Payment Entry plan from a QBO Payment: who paid, how much, and which invoices it went to."""
	qbo_id = str(qbo.get("Id") or "")
	warnings: list[str] = []
	invoices: dict[str, Decimal] = {}
	credits: dict[str, Decimal] = {}
	for position, line in enumerate(qbo.get("Line") or [], start=1):
		linked = line.get("LinkedTxn") or []
		amount = q2(line.get("Amount"))
		kinds = [(str(txn.get("TxnId")), txn.get("TxnType")) for txn in linked]
		if len(kinds) != 1:
			warnings.append(
				f"Line {position}: {len(kinds)} linked transactions; its {amount} is left unallocated"
			)
			continue
		txn_id, txn_type = kinds[0]
		if txn_type == "Invoice":
			invoices[txn_id] = invoices.get(txn_id, ZERO) + amount
		elif txn_type == "CreditMemo":
			credits[txn_id] = credits.get(txn_id, ZERO) + amount
		else:
			warnings.append(f"Line {position}: {amount} applied to a {txn_type} is not brought into ERPNext")
	total = q2(qbo.get("TotalAmt"))
	if qbo.get("UnappliedAmt") is not None:
		unallocated = q2(qbo.get("UnappliedAmt"))
	else:
		unallocated = total - sum(invoices.values(), ZERO) + sum(credits.values(), ZERO)
	note = str(qbo.get("PrivateNote") or "")
	rate = qbo.get("ExchangeRate")
	return PaymentPlan(
		qbo_id=qbo_id,
		customer_ref=_ref(qbo.get("CustomerRef")),
		posting_date=iso_date(qbo.get("TxnDate")),
		paid_amount=total,
		reference_no=str(qbo.get("PaymentRefNum") or "").strip() or f"QBO Payment {qbo_id}",
		allocations=list(invoices.items()),
		credit_allocations=list(credits.items()),
		unallocated=unallocated,
		currency=_ref(qbo.get("CurrencyRef")),
		exchange_rate=D(rate) if rate not in (None, "") else None,
		deposit_account_ref=_ref(qbo.get("DepositToAccountRef")),
		private_note=note,
		voided=total == 0 and "voided" in note.lower(),
		warnings=warnings,
	)
