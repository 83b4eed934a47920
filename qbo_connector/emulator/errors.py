"""QBO fault bodies, built the way Intuit builds them, so clients parse the emulator like the real thing.

Error codes the emulator raises (HTTP 400 and type ValidationFault unless noted):
  610 Object Not Found (also an inactive name used on a transaction) · 2010 unknown property / unparsable body
  ("Request has invalid or unsupported property", Detail "Property Name:Failed to parse ...") · 2020 required
  param missing · 2050 string too long · 2170 invalid enumeration · 2500 invalid reference id · 4000 query parse
  error · 4001 invalid query (unknown entity or property) · 500 Unsupported Operation (delete of a name-list entity,
  writes to read-only entities, CDC older than 30 days, CDC of TaxCode/TaxRate/TimeActivity) · 5010 stale object ·
  6000 business validation (names with ':' tab or newline, overpayments, currency rules, non-US line without a
  tax code, changing a voided transaction) · 6070 Amount != Qty * UnitPrice · 6100 US line tax code not TAX/NON ·
  6140 duplicate DocNumber · 6240 duplicate name (also a name an inactive object still holds: "<name> (deleted)")
  · 6540 transaction with payments applied / deposited payment
  cannot be voided, deleted or changed · 3001 throttled (HTTP 429, type SERVICE) · 3200 authentication (HTTP 401,
  lower-case body) · 3100 token not valid for this company (HTTP 403) · 10000 system fault (HTTP 500).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from xml.sax.saxutils import escape


@dataclass
class Fault(Exception):
	"""One QBO error; raised inside the emulator and rendered as the Fault envelope."""

	code: str
	message: str
	detail: str = ""
	element: str | None = None
	fault_type: str = "ValidationFault"
	status: int = 400
	extra: list[Fault] = field(default_factory=list)

	def __str__(self) -> str:
		return f"{self.code} {self.message}: {self.detail}"

	def error_dict(self) -> dict:
		"""The entry of Fault.Error for this error."""
		out: dict = {"Message": self.message, "Detail": self.detail, "code": self.code}
		if self.element:
			out["element"] = self.element
		return out

	def fault_dict(self) -> dict:
		"""The value of the "Fault" key (batch items embed exactly this)."""
		return {"Error": [self.error_dict()] + [e.error_dict() for e in self.extra], "type": self.fault_type}

	def body(self, time_str: str) -> dict:
		return {"Fault": self.fault_dict(), "time": time_str}

	def xml(self, time_str: str) -> str:
		"""The XML form Intuit sometimes sends even when JSON was asked for (e.g. on 429)."""
		errors = "".join(
			f'<Error code="{escape(e.code)}"'
			+ (f' element="{escape(e.element)}"' if e.element else "")
			+ f"><Message>{escape(e.message)}</Message><Detail>{escape(e.detail)}</Detail></Error>"
			for e in [self, *self.extra]
		)
		return (
			'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
			f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{escape(time_str)}">'
			f'<Fault type="{escape(self.fault_type)}">{errors}</Fault></IntuitResponse>'
		)


def business(detail: str, element: str | None = None, code: str = "6000") -> Fault:
	"""A 6000-family business validation error with QBO's usual wording."""
	return Fault(
		code,
		"A business validation error has occurred while processing your request",
		f"Business Validation Error: {detail}",
		element,
	)


def required(name: str) -> Fault:
	return Fault(
		"2020",
		"Required param missing, need to supply the required value for the API",
		f"Required parameter {name} is missing in the request",
		name,
	)


def too_long(name: str, maximum: int, supplied: int) -> Fault:
	return Fault(
		"2050",
		"String length is either shorter or longer than supported by specification",
		f"String length specified does not match the supported length. Min:0 Max:{maximum} supplied length:{supplied}",
		name,
	)


def bad_enum(name: str, value: object) -> Fault:
	return Fault("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", name)


def bad_property(name: str, entity: str) -> Fault:
	return Fault(
		"2010",
		"Request has invalid or unsupported property",
		f'Property Name:Failed to parse the field "{name}" (class com.intuit.schema.finance.v3.{entity}), '
		"not marked as ignorable specified is unsupported or invalid",
		name,
	)


def bad_body(reason: str) -> Fault:
	return Fault(
		"2010",
		"Request has invalid or unsupported property",
		f"Property Name:Failed to parse the request body: {reason} specified is unsupported or invalid",
	)


_REF_WORDS = {
	"Customer": "Names",
	"Vendor": "Names",
	"Employee": "Names",
	"Account": "Accounts",
	"Item": "Item",
	"TaxCode": "TaxCode",
	"TaxRate": "TaxRate",
	"Currency": "Currency",
}


def bad_ref(entity: str, ref_id: object, element: str) -> Fault:
	word = _REF_WORDS.get(entity, entity)
	return Fault(
		"2500",
		"Invalid Reference Id",
		f"Invalid Reference Id : {word} element id {ref_id} not found",
		element,
	)


def not_found(entity: str | None = None, entity_id: object = None) -> Fault:
	detail = "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees."
	if entity and entity_id is not None:
		detail = f"Object Not Found : {entity} with Id {entity_id} was not found or has been deleted."
	return Fault("610", "Object Not Found", detail)


def stale() -> Fault:
	return Fault(
		"5010",
		"Stale Object Error",
		"Stale Object Error : You and Emulator User were working on this at the same time. "
		"Emulator User finished before you did, so your work was not saved.",
	)


def duplicate_name(name: str, holders: str = "customer, vendor or employee") -> Fault:
	"""6240: names are unique case-insensitively, across Customer, Vendor and Employee together (holders),
	and among items ("product or service")."""
	return Fault(
		"6240",
		"Duplicate Name Exists Error",
		f"The name supplied already exists. : Another {holders} is already using this name "
		f"({name}). Please use a different name.",
	)


def duplicate_inactive_name(entity: str, listed_as: str, holder_id: str) -> Fault:
	"""6240 for a name an inactive ("deleted") object still holds: QBO lists it as "<name> (deleted)"."""
	kind = "product or service" if entity == "Item" else "customer, vendor or employee"
	if entity == "Account":
		kind = "account"
	return Fault(
		"6240",
		"Duplicate Name Exists Error",
		f"The name supplied already exists. : Another {kind} is already using this name ({listed_as}, "
		f"inactive, Id {holder_id}). Please use a different name.",
	)


def duplicate_docnumber(doc_number: str, entity: str, txn_id: str) -> Fault:
	return Fault(
		"6140",
		"Duplicate Document Number Error",
		"Duplicate Document Number Error : You must specify a different number. This number has already been used. "
		f"DocNumber={doc_number} is assigned to TxnType={entity} with TxnId={txn_id}",
	)


def unsupported(detail: str) -> Fault:
	return Fault("500", "Unsupported Operation", detail)


def query_parse(detail: str) -> Fault:
	return Fault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> Fault:
	return Fault("4001", "Invalid query", f"QueryValidationError: {detail}")


def throttled() -> Fault:
	return Fault(
		"3001",
		"message=ThrottleExceeded; errorCode=003001; statusCode=429",
		"The request limit was reached.  Try again later",
		fault_type="SERVICE",
		status=429,
	)


def system_fault(status: int = 500) -> Fault:
	return Fault(
		"10000",
		"An application error has occurred while processing your request",
		"System Failure Error: An unexpected error occurred while accessing or saving your data. "
		"Please wait a few minutes and try again. If the problem persists, contact customer support.",
		fault_type="SystemFault",
		status=status,
	)


def auth_body(detail: str, time_str: str) -> dict:
	"""The lower-case 401 body Intuit's gateway sends for a missing, expired or revoked token."""
	return {
		"warnings": None,
		"intuitObject": None,
		"fault": {
			"error": [
				{
					"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
					"detail": detail,
					"code": "3200",
					"element": None,
				}
			],
			"type": "AUTHENTICATION",
		},
		"report": None,
		"queryResponse": None,
		"batchItemResponse": [],
		"attachableResponse": [],
		"syncErrorResponse": None,
		"requestId": None,
		"time": time_str,
		"status": None,
		"cdcresponse": [],
	}


def forbidden() -> Fault:
	return Fault(
		"3100",
		"message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
		"The token is not authorized for this company",
		fault_type="AUTHENTICATION",
		status=403,
	)


def dumps(obj: object) -> bytes:
	"""JSON with Decimal amounts written as numbers, as QBO writes them."""
	return json.dumps(obj, default=_default, separators=(",", ":")).encode()


def _default(value: object) -> object:
	from decimal import Decimal

	if isinstance(value, Decimal):
		return float(value)
	raise TypeError(f"not JSON serialisable: {type(value).__name__}")
