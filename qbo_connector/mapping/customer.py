"""ERPNext Customer (+ primary Address and Contact) -> QBO Customer body.

QBO's Customer is stricter than ERPNext's: DisplayName <= 500 and unique across Customer, Vendor and
Employee together (fault 6240), name parts <= 100, no ':' (QBO's sub-customer separator), tab or newline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.text import clean_name, short_hash, truncate

DOCTYPE = "Customer"
DISPLAY_NAME_MAX = 500
NAME_PART_MAX = 100
EMAIL_MAX = 100
PHONE_MAX = 30
WEB_MAX = 1000
NOTES_MAX = 2000
_ADDRESS_FIELDS = (
	# (QBO key, ERPNext Address field, QBO limit)
	("Line1", "address_line1", 500),
	("Line2", "address_line2", 500),
	("City", "city", 255),
	("CountrySubDivisionCode", "state", 255),
	("PostalCode", "pincode", 30),
	("Country", "country", 255),
)
# Fields a sparse update may change; Notes, Taxable and CurrencyRef belong to the accountant once created
# (and QBO refuses a CurrencyRef change anyway).
_SPARSE_FIELDS = ("CompanyName", "GivenName", "MiddleName", "FamilyName", "Active")
_SPARSE_NESTED = (
	("PrimaryEmailAddr", "Address"),
	("PrimaryPhone", "FreeFormNumber"),
	("Mobile", "FreeFormNumber"),
	("WebAddr", "URI"),
)


@dataclass
class MappedCustomer:
	"""A QBO Customer body ready to create, and what was changed to fit QBO."""

	body: dict[str, Any]
	warnings: list[str] = field(default_factory=list)


def _name(customer: Mapping[str, Any]) -> str:
	return str(customer.get("name") or "")


def _plain_display_name(customer: Mapping[str, Any]) -> str:
	plain = clean_name(customer.get("customer_name") or customer.get("name"))
	if not plain:
		raise MappingError(DOCTYPE, _name(customer), "customer_name", "the customer has no name")
	return plain


def _with_suffix(plain: str, suffix: str) -> str:
	room = DISPLAY_NAME_MAX - len(suffix)
	return plain[:room].rstrip() + suffix


def display_name_candidates(customer: Mapping[str, Any]) -> list[str]:
	"""DisplayNames to try in order when QBO answers 6240 (name taken by a Customer, Vendor or Employee).

	First the plain customer name; then the name with the ERPNext customer ID in brackets, which is unique
	in ERPNext. When the ID equals the name (ERPNext's default naming by Customer Name) the bracket says
	"Customer" instead, which is what usually tells it apart from the Vendor or Employee of the same name;
	and as QBO cannot show what may tell two such IDs apart (':', tab, newline, case), the last candidate
	carries a short stable hash of the ID ("ACME: West" and "ACME - West" both clean to "ACME - West").
	The engine also moves on when the name is held by a QBO customer linked to another ERPNext customer.
	"""
	plain = _plain_display_name(customer)
	ident = clean_name(_name(customer))
	suffix = f" ({ident})" if ident and ident != plain else " (Customer)"
	candidates = [plain[:DISPLAY_NAME_MAX].rstrip(), _with_suffix(plain, suffix)]
	if ident and ident != plain:
		candidates.append(_with_suffix(plain, f" (Customer {ident})"))
	else:
		candidates.append(_with_suffix(plain, f" (Customer ~{short_hash(_name(customer) or plain)})"))
	return list(dict.fromkeys(candidates))


def _fit(value: Any, limit: int, label: str, warnings: list[str], colon: str | None = None) -> str | None:
	text = clean_name(value, colon) if colon is not None else " ".join(str(value or "").split())
	if not text:
		return None
	if len(text) > limit:
		warnings.append(f"{label} cut to {limit} characters for QuickBooks (was {len(text)})")
		text = text[:limit].rstrip()
	return text


def map_address(
	address: Mapping[str, Any] | None, warnings: list[str] | None = None
) -> dict[str, str] | None:
	"""QBO PhysicalAddress from an ERPNext Address; state stays free text, country the full name, as typed."""
	if not address:
		return None
	warnings = warnings if warnings is not None else []
	out: dict[str, str] = {}
	for qbo_key, erp_key, limit in _ADDRESS_FIELDS:
		value = _fit(address.get(erp_key), limit, f"Address {address.get('name')} {erp_key}", warnings)
		if value:
			out[qbo_key] = value
	return out or None


def _email(value: Any, label: str, warnings: list[str]) -> str | None:
	text = str(value or "").strip()
	if not text:
		return None
	if len(text) > EMAIL_MAX or "@" not in text:
		# A cut e-mail address would send invoices to a stranger; leave it out instead.
		warnings.append(
			f"{label} '{text[:60]}' left out: QuickBooks takes a valid address of at most {EMAIL_MAX} characters"
		)
		return None
	return text


def _phone(value: Any, label: str, warnings: list[str]) -> str | None:
	text = " ".join(str(value or "").split())
	if not text:
		return None
	if len(text) > PHONE_MAX:
		warnings.append(f"{label} '{text}' left out: QuickBooks takes at most {PHONE_MAX} characters")
		return None
	return text


def map_customer(
	customer: Mapping[str, Any],
	ctx: MappingContext,
	address: Mapping[str, Any] | None = None,
	contact: Mapping[str, Any] | None = None,
	shipping_address: Mapping[str, Any] | None = None,
) -> MappedCustomer:
	"""QBO Customer body for a create; the engine retries 6240 with display_name_candidates()[1:]."""
	warnings: list[str] = []
	name = _name(customer)
	plain = _plain_display_name(customer)
	body: dict[str, Any] = {"DisplayName": display_name_candidates(customer)[0]}
	if len(plain) > DISPLAY_NAME_MAX:
		warnings.append(f"DisplayName cut to {DISPLAY_NAME_MAX} characters")

	if customer.get("customer_type") == "Company":
		company = _fit(customer.get("customer_name") or name, NAME_PART_MAX, "CompanyName", warnings, " - ")
		if company:
			body["CompanyName"] = company
	if contact:
		for qbo_key, erp_key in (
			("GivenName", "first_name"),
			("MiddleName", "middle_name"),
			("FamilyName", "last_name"),
		):
			value = _fit(contact.get(erp_key), NAME_PART_MAX, qbo_key, warnings, " - ")
			if value:
				body[qbo_key] = value

	contact = contact or {}
	email = _email(customer.get("email_id") or contact.get("email_id"), "E-mail", warnings)
	if email:
		body["PrimaryEmailAddr"] = {"Address": email}
	phone = _phone(contact.get("phone") or (address or {}).get("phone"), "Phone", warnings)
	if phone:
		body["PrimaryPhone"] = {"FreeFormNumber": phone}
	mobile = _phone(customer.get("mobile_no") or contact.get("mobile_no"), "Mobile", warnings)
	if mobile:
		body["Mobile"] = {"FreeFormNumber": mobile}
	website = str(customer.get("website") or "").strip()
	if website and len(website) <= WEB_MAX:
		body["WebAddr"] = {"URI": website}

	if address:
		addr = map_address(address, warnings)
		shipping_only = address.get("address_type") == "Shipping" and not address.get("is_primary_address")
		if addr and not shipping_only:
			body["BillAddr"] = addr
		if addr and (shipping_only or address.get("is_shipping_address")):
			body["ShipAddr"] = dict(addr)
	if shipping_address:
		ship = map_address(shipping_address, warnings)
		if ship:
			body["ShipAddr"] = ship

	if ctx.is_us:
		body["Taxable"] = not customer.get("exempt_from_sales_tax")
	currency = customer.get("default_currency")
	if currency:
		if ctx.multicurrency:
			body["CurrencyRef"] = {"value": currency}
		elif currency != ctx.home_currency:
			warnings.append(
				f"default currency {currency} not set in QuickBooks: multicurrency is off, so the customer "
				f"is in {ctx.home_currency} and {currency} invoices will be refused"
			)
	body["Active"] = not customer.get("disabled")
	body["Notes"] = truncate(f"ERPNext Customer {name}", NOTES_MAX)[0]
	return MappedCustomer(body=body, warnings=warnings)


def customer_sparse_changes(
	erp_customer: Mapping[str, Any],
	qbo_customer: Mapping[str, Any],
	address: Mapping[str, Any] | None = None,
	contact: Mapping[str, Any] | None = None,
	ctx: MappingContext | None = None,
) -> dict[str, Any] | None:
	"""Sparse update body for what changed in ERPNext, or None when QBO is already current.

	Only fields ERPNext owns are compared; a DisplayName QBO holds that is one of our candidates is kept (it
	was chosen to dodge a 6240), addresses are compared only when the caller passes the Address, and a value
	removed in ERPNext is not blanked in QBO (the accountant may have typed it there).
	"""
	desired = map_customer(erp_customer, ctx or MappingContext(), address, contact).body
	changes: dict[str, Any] = {}
	if qbo_customer.get("DisplayName") not in display_name_candidates(erp_customer):
		changes["DisplayName"] = desired["DisplayName"]
	for key in _SPARSE_FIELDS:
		if key in desired and desired[key] != qbo_customer.get(key):
			changes[key] = desired[key]
	for key, sub in _SPARSE_NESTED:
		if key in desired and desired[key][sub] != (qbo_customer.get(key) or {}).get(sub):
			changes[key] = desired[key]
	for key in ("BillAddr", "ShipAddr"):
		want = desired.get(key)
		have = qbo_customer.get(key) or {}
		if want and any(have.get(k) != v for k, v in want.items()):
			changes[key] = want
	if not changes:
		return None
	return {
		"Id": qbo_customer.get("Id"),
		"SyncToken": qbo_customer.get("SyncToken"),
		"sparse": True,
		**changes,
	}
