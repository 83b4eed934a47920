"""ERPNext Supplier (+ primary Address and Contact) -> QBO Vendor body, and a QBO Vendor -> Supplier fields.

A Vendor's DisplayName shares one name space with Customers and Employees (fault 6240), so a supplier
claims its name as a customer does (display names, then the ID or "(Supplier)", then a short hash). QBO
Vendors have no Notes field, so nothing in QBO marks a vendor as made from ERPNext; the link does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.customer import (
	DISPLAY_NAME_MAX,
	NAME_PART_MAX,
	WEB_MAX,
	_email,
	_fit,
	_phone,
	_with_suffix,
	map_address,
)
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.pull import _erp_name, _sub, active_name
from qbo_connector.mapping.text import clean_name, short_hash

DOCTYPE = "Supplier"


@dataclass
class MappedVendor:
	body: dict[str, Any]
	warnings: list[str] = field(default_factory=list)


def _plain(supplier: Mapping[str, Any]) -> str:
	plain = clean_name(supplier.get("supplier_name") or supplier.get("name"))
	if not plain:
		raise MappingError(
			DOCTYPE, str(supplier.get("name") or ""), "supplier_name", "the supplier has no name"
		)
	return plain


def vendor_name_candidates(supplier: Mapping[str, Any]) -> list[str]:
	"""DisplayNames to try in order: the supplier name; with the ERPNext ID in brackets (or "(Supplier)"
	when the ID is the name, ERPNext's default naming); with a short stable hash of the ID. A customer of
	the same name is what usually holds the plain name."""
	plain = _plain(supplier)
	name = str(supplier.get("name") or "")
	ident = clean_name(name)
	suffix = f" ({ident})" if ident and ident != plain else " (Supplier)"
	candidates = [plain[:DISPLAY_NAME_MAX].rstrip(), _with_suffix(plain, suffix)]
	if ident and ident != plain:
		candidates.append(_with_suffix(plain, f" (Supplier {ident})"))
	else:
		candidates.append(_with_suffix(plain, f" (Supplier ~{short_hash(name or plain)})"))
	return list(dict.fromkeys(candidates))


def map_vendor(
	supplier: Mapping[str, Any],
	ctx: MappingContext,
	address: Mapping[str, Any] | None = None,
	contact: Mapping[str, Any] | None = None,
) -> MappedVendor:
	"""QBO Vendor body for a create; the engine retries 6240 with vendor_name_candidates()[1:]."""
	warnings: list[str] = []
	plain = _plain(supplier)
	body: dict[str, Any] = {"DisplayName": vendor_name_candidates(supplier)[0]}
	if len(plain) > DISPLAY_NAME_MAX:
		warnings.append(f"DisplayName cut to {DISPLAY_NAME_MAX} characters")
	if supplier.get("supplier_type") != "Individual":
		company = _fit(
			supplier.get("supplier_name") or supplier.get("name"),
			NAME_PART_MAX,
			"CompanyName",
			warnings,
			" - ",
		)
		if company:
			body["CompanyName"] = company
	contact = contact or {}
	for qbo_key, erp_key in (
		("GivenName", "first_name"),
		("MiddleName", "middle_name"),
		("FamilyName", "last_name"),
	):
		value = _fit(contact.get(erp_key), NAME_PART_MAX, qbo_key, warnings, " - ")
		if value:
			body[qbo_key] = value
	email = _email(supplier.get("email_id") or contact.get("email_id"), "E-mail", warnings)
	if email:
		body["PrimaryEmailAddr"] = {"Address": email}
	phone = _phone(contact.get("phone") or (address or {}).get("phone"), "Phone", warnings)
	if phone:
		body["PrimaryPhone"] = {"FreeFormNumber": phone}
	mobile = _phone(supplier.get("mobile_no") or contact.get("mobile_no"), "Mobile", warnings)
	if mobile:
		body["Mobile"] = {"FreeFormNumber": mobile}
	website = str(supplier.get("website") or "").strip()
	if website and len(website) <= WEB_MAX:
		body["WebAddr"] = {"URI": website}
	addr = map_address(address, warnings)
	if addr:
		body["BillAddr"] = addr
	currency = supplier.get("default_currency")
	if currency:
		if ctx.multicurrency:
			body["CurrencyRef"] = {"value": currency}
		elif currency != ctx.home_currency:
			warnings.append(
				f"default currency {currency} not set in QuickBooks: multicurrency is off, so the vendor is in "
				f"{ctx.home_currency} and {currency} bills will be refused"
			)
	body["Active"] = not supplier.get("disabled")
	return MappedVendor(body=body, warnings=warnings)


def qbo_vendor_to_erpnext(obj: Mapping[str, Any]) -> dict[str, Any]:
	"""ERPNext Supplier fields for a QBO Vendor (pull): its name (without QBO's " (deleted)" on an inactive
	one), type, contact details and state; the store adds the supplier group."""
	display = active_name(obj, obj.get("DisplayName")) or obj.get("CompanyName") or ""
	data: dict[str, Any] = {
		"doctype": DOCTYPE,
		"supplier_name": _erp_name(display),
		"supplier_type": "Company" if obj.get("CompanyName") else "Individual",
		"disabled": 0 if obj.get("Active", True) else 1,
	}
	email = _sub(obj.get("PrimaryEmailAddr"), "Address")
	if email:
		data["email_id"] = email
	mobile = _sub(obj.get("Mobile"), "FreeFormNumber") or _sub(obj.get("PrimaryPhone"), "FreeFormNumber")
	if mobile:
		data["mobile_no"] = mobile
	website = _sub(obj.get("WebAddr"), "URI")
	if website:
		data["website"] = website
	currency = (obj.get("CurrencyRef") or {}).get("value")
	if currency:
		data["default_currency"] = currency
	return data
