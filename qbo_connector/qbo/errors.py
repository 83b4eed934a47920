"""Typed QBO errors and the one parser that turns any QBO answer into them.

QBO reports failures in several shapes (JSON "Fault"/"Error", lower-case "fault"/"error" on 401, XML
IntuitResponse on throttling, HTML from the edge, empty bodies, even a 200 carrying a Fault). The sync
engine should not care which: it catches a class (StaleObjectError -> re-read, DuplicateNameError ->
match, ThrottledError -> wait) and shows `user_message` to the accountant.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qbo_connector.qbo.redact import redact_str

_MAX_TEXT = 300


@dataclass(frozen=True)
class FaultDetail:
	"""One entry of a Fault's Error list (QBO can report several problems in one answer)."""

	code: str | None
	message: str
	detail: str
	element: str | None


class QBOError(Exception):
	"""Base of every error this package raises; carries what QBO said and a sentence for a human."""

	default_retryable = False

	def __init__(
		self,
		message: str = "",
		*,
		status: int | None = None,
		code: str | None = None,
		detail: str = "",
		element: str | None = None,
		fault_type: str | None = None,
		intuit_tid: str | None = None,
		user_message: str | None = None,
		retryable: bool | None = None,
		errors: list[FaultDetail] | None = None,
	) -> None:
		self.status = status
		self.code = str(code) if code not in (None, "") else None
		self.message = redact_str(message or "")
		self.detail = redact_str(detail or "")
		self.element = element or None
		self.fault_type = fault_type or None
		self.intuit_tid = intuit_tid or None
		self.retryable = self.default_retryable if retryable is None else retryable
		self.errors = list(errors or [])
		self.user_message = redact_str(user_message) if user_message else _user_message(self)
		super().__init__(self.user_message)

	def __str__(self) -> str:
		text = self.user_message
		if self.code and f"code {self.code}" not in text:
			text = f"{text} (code {self.code})"
		return text

	def __repr__(self) -> str:
		return (
			f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
			f"intuit_tid={self.intuit_tid!r})"
		)

	def to_dict(self) -> dict[str, Any]:
		"""Plain data for a sync log row."""
		return {
			"type": type(self).__name__,
			"status": self.status,
			"code": self.code,
			"message": self.message,
			"detail": self.detail,
			"element": self.element,
			"fault_type": self.fault_type,
			"intuit_tid": self.intuit_tid,
			"user_message": self.user_message,
			"retryable": self.retryable,
		}


class AuthenticationError(QBOError):
	"""The access token was refused (401/3200) or the user/app is not authorised (403/3100)."""


class InvalidGrantError(AuthenticationError):
	"""The refresh token was refused: the connection is dead until an admin reconnects."""


class ThrottledError(QBOError):
	"""Too many requests for this realm (429/3001)."""

	default_retryable = True

	def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
		self.retry_after = retry_after
		super().__init__(*args, **kwargs)


class StaleObjectError(QBOError):
	"""SyncToken out of date (5010): someone changed the object in QBO; re-read and re-apply."""


class DuplicateNameError(QBOError):
	"""Name already used by a Customer, Vendor or Employee (6240)."""


class DuplicateDocNumberError(QBOError):
	"""DocNumber already used by another transaction of that type (6140)."""


class NotFoundError(QBOError):
	"""The object does not exist or is inactive (610)."""


class InvalidReferenceError(QBOError):
	"""A *Ref points at an object that does not exist (2500)."""


class ValidationError(QBOError):
	"""QBO refused the data for any other reason; the message says which field."""


class ServerError(QBOError):
	"""QBO failed on its side (5xx, 10000); worth retrying later."""

	default_retryable = True


class TransportError(QBOError):
	"""No answer arrived (timeout, dropped connection). For a write, QBO may have committed it anyway."""

	default_retryable = True

	def __init__(self, *args: Any, ambiguous: bool = False, **kwargs: Any) -> None:
		self.ambiguous = ambiguous
		super().__init__(*args, **kwargs)


_BY_CODE: dict[str, type[QBOError]] = {
	"610": NotFoundError,
	"2500": InvalidReferenceError,
	"5010": StaleObjectError,
	"6240": DuplicateNameError,
	"6140": DuplicateDocNumberError,
	"3001": ThrottledError,
	"429": ThrottledError,
	"3200": AuthenticationError,
	"3100": AuthenticationError,
	"3202": AuthenticationError,
	"401": AuthenticationError,
	"403": AuthenticationError,
	"500": ServerError,
	"503": ServerError,
	"10000": ServerError,
	"invalid_grant": InvalidGrantError,
	"invalid_client": AuthenticationError,
	"unauthorized_client": AuthenticationError,
}

# Plain-English sentences for the codes an accountant meets most; each says what to do.
_CODE_SENTENCES: dict[str, str] = {
	"610": "QuickBooks could not find the record; it may have been deleted or made inactive in QuickBooks",
	"2020": "QuickBooks needs a value that was not sent{where}",
	"2050": "A value is longer than QuickBooks allows{where}; shorten it and try again",
	"2170": "QuickBooks does not accept the value sent{where}; check it against the allowed choices",
	"2500": "QuickBooks rejected a reference to a customer, item, account or tax code that does not exist there"
	" or is inactive{what}; check the mapping in QBO Settings",
	"4001": "QuickBooks could not understand a search the connector sent{what}",
	"5010": "QuickBooks refused the change because the record was changed in QuickBooks after the connector"
	" last read it; re-read it and try again",
	"6000": "QuickBooks rejected the document for a business rule{what}",
	"6070": "QuickBooks requires every line amount to equal quantity times rate; check the item lines for"
	" rounding",
	"6100": "QuickBooks (US) needs each line's tax code to be TAX or NON; check the tax mapping",
	"6140": "QuickBooks rejected the document number because another transaction already uses it",
	"6190": "QuickBooks refused the request because the company's subscription is not active (cancelled,"
	" suspended or in read-only mode)",
	"6210": "QuickBooks refused the change because the accounting period is closed; ask the accountant to"
	" reopen it or change the posting date",
	"6240": "QuickBooks rejected the name because another customer, vendor or employee already uses it",
	"6540": "QuickBooks will not change this transaction because it has been deposited or has a payment"
	" applied; undo that in QuickBooks first",
	"3001": "QuickBooks is limiting how fast this company can be called; the request will be retried after"
	" a pause",
	"3100": "QuickBooks refused access: the connected user or app is not authorised for this company;"
	" reconnect as a QuickBooks admin",
	"3200": "QuickBooks did not accept the connection's access token; reconnect to QuickBooks in QBO Settings"
	" if this keeps happening",
	"10000": "QuickBooks had an internal problem; the request can be retried later",
}


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
	text = " ".join((text or "").split())
	return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _user_message(err: QBOError) -> str:
	"""One sentence an accountant can act on, ending with the code so support can look it up."""
	code = err.code
	what_text = _clip(err.detail or err.message, 160)
	what = f" ({what_text})" if what_text else ""
	where = f" in field {err.element}" if err.element else ""
	if isinstance(err, InvalidGrantError):
		sentence = (
			"QuickBooks refused to renew the connection (the authorisation expired or was revoked);"
			" an administrator must reconnect to QuickBooks in QBO Settings"
		)
	elif code in _CODE_SENTENCES:
		sentence = _CODE_SENTENCES[code].format(what=what, where=where)
	elif isinstance(err, TransportError):
		if err.ambiguous:
			sentence = (
				"The connection to QuickBooks broke before an answer arrived, so QuickBooks may or may not"
				" have saved the change; the connector checks before sending it again"
			)
		else:
			sentence = (
				"The connection to QuickBooks failed before an answer arrived; the request can be retried"
			)
		if err.message:
			sentence = f"{sentence} ({_clip(err.message, 120)})"
	elif isinstance(err, ThrottledError):
		sentence = _CODE_SENTENCES["3001"]
	elif isinstance(err, AuthenticationError):
		sentence = _CODE_SENTENCES["3100" if err.status == 403 else "3200"]
	elif isinstance(err, ServerError):
		sentence = "QuickBooks had an internal problem; the request can be retried later"
	elif isinstance(err, NotFoundError):
		sentence = _CODE_SENTENCES["610"]
	elif isinstance(err, ValidationError) or code:
		sentence = f"QuickBooks rejected the data{where}{what}"
	else:
		sentence = f"QuickBooks answered with an error{what}"
	suffix = []
	if code:
		suffix.append(f"code {code}")
	elif err.status:
		suffix.append(f"HTTP {err.status}")
	return f"{sentence} ({', '.join(suffix)})." if suffix else f"{sentence}."


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
	"""Case-insensitive header lookup that also works on plain dicts."""
	if not headers:
		return None
	value = headers.get(name)
	if value is not None:
		return value
	lname = name.lower()
	for key, val in headers.items():
		if str(key).lower() == lname:
			return val
	return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
	"""Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent/garbled."""
	if value is None:
		return None
	value = str(value).strip()
	try:
		return max(0.0, float(value))
	except ValueError:
		pass
	try:
		when = email.utils.parsedate_to_datetime(value)
	except (TypeError, ValueError, IndexError):
		return None
	if when is None:  # pragma: no cover - older Pythons returned None instead of raising
		return None
	return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _get(mapping: Mapping, *names: str) -> Any:
	"""First present key among names, compared case-insensitively (QBO uses both "Fault" and "fault")."""
	for name in names:
		if name in mapping:
			return mapping[name]
	lowered = {str(k).lower(): v for k, v in mapping.items()}
	for name in names:
		if name.lower() in lowered:
			return lowered[name.lower()]
	return None


def _text(value: Any) -> str:
	return "" if value is None else str(value)


def _from_json(data: dict | list) -> tuple[list[FaultDetail], str | None]:
	"""Fault details from a decoded JSON body: Fault/Error either casing, or an OAuth-style error."""
	if isinstance(data, list):
		data = data[0] if data and isinstance(data[0], Mapping) else {}
	fault = _get(data, "Fault")
	if isinstance(fault, Mapping):
		entries = _get(fault, "Error") or []
		if isinstance(entries, Mapping):
			entries = [entries]
		details = [
			FaultDetail(
				code=_text(_get(e, "code")) or None,
				message=_text(_get(e, "Message")),
				detail=_text(_get(e, "Detail")),
				element=_text(_get(e, "element")) or None,
			)
			for e in entries
			if isinstance(e, Mapping)
		]
		return details, _text(_get(fault, "type")) or None
	error = _get(data, "error")
	if isinstance(error, str):  # OAuth token endpoint: {"error": "invalid_grant", "error_description": ...}
		desc = _text(_get(data, "error_description"))
		return [FaultDetail(code=error, message=error, detail=desc, element=None)], "OAuth"
	if isinstance(error, Mapping):
		return [
			FaultDetail(
				code=_text(_get(error, "code")) or None,
				message=_text(_get(error, "message")),
				detail=_text(_get(error, "detail")),
				element=None,
			)
		], None
	message = _get(data, "message")
	if message:
		return [
			FaultDetail(
				code=_text(_get(data, "code")) or None, message=_text(message), detail="", element=None
			)
		], None
	return [], None


def _local(tag: str) -> str:
	return tag.rsplit("}", 1)[-1].lower()


def _from_xml(text: str) -> tuple[list[FaultDetail], str | None] | None:
	"""Fault details from an XML IntuitResponse; None when the text is not XML (e.g. HTML)."""
	try:
		root = ET.fromstring(text)
	except ET.ParseError:
		return None
	if _local(root.tag) == "html":
		return None
	fault = (
		root
		if _local(root.tag) == "fault"
		else next((el for el in root.iter() if _local(el.tag) == "fault"), None)
	)
	if fault is None:
		return [], None
	details = []
	for err in (el for el in fault.iter() if _local(el.tag) == "error"):
		parts = {_local(child.tag): (child.text or "").strip() for child in err}
		details.append(
			FaultDetail(
				code=err.get("code") or parts.get("code") or None,
				message=parts.get("message", ""),
				detail=parts.get("detail", ""),
				element=err.get("element") or parts.get("element") or None,
			)
		)
	return details, fault.get("type")


_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")
_TAGS = re.compile(r"(?s)<(script|style)[^>]*>.*?</\1>|<[^>]+>")


def _from_html(text: str) -> FaultDetail:
	"""An edge/proxy error page: keep its title and a short text snippet, never the whole page."""
	title = _TITLE.search(text)
	body = html.unescape(_TAGS.sub(" ", text))
	return FaultDetail(
		code=None,
		message=_clip(html.unescape(title.group(1)) if title else "", 120),
		detail=_clip(body),
		element=None,
	)


# Fault codes that name an HTTP status ("500" "Unsupported Operation") say what QBO thinks of the request,
# but a 4xx answer means "do not send this again": only a 5xx answer makes them a retryable server error.
_STATUS_LIKE_CODES = frozenset({"500", "503"})


def _class_for(status: int | None, code: str | None, fault_type: str | None) -> type[QBOError]:
	if code in _STATUS_LIKE_CODES and status is not None and 400 <= status < 500 and status != 429:
		return ValidationError
	if code and code in _BY_CODE:
		return _BY_CODE[code]
	if status == 429:
		return ThrottledError
	if status in (401, 403):
		return AuthenticationError
	if status is not None and status >= 500:
		return ServerError
	ftype = (fault_type or "").lower()
	if ftype in ("authenticationfault", "authentication"):
		return AuthenticationError
	if ftype == "systemfault":
		return ServerError
	if status == 404:
		return NotFoundError
	return ValidationError


def parse_fault(
	status: int | None, body: bytes | str | None, headers: Mapping[str, str] | None = None
) -> QBOError:
	"""The typed error for a QBO answer, whatever shape its body has (JSON either casing, XML, HTML, empty)."""
	if isinstance(body, bytes):
		body = body.decode("utf-8", errors="replace")
	text = (body or "").strip()
	details: list[FaultDetail] = []
	fault_type: str | None = None
	if text[:1] in ("{", "["):
		try:
			details, fault_type = _from_json(json.loads(text))
		except ValueError:
			details = [FaultDetail(code=None, message="", detail=_clip(text), element=None)]
	elif text.startswith("<"):
		parsed = _from_xml(text)
		if parsed is None:
			details = [_from_html(text)]
		else:
			details, fault_type = parsed
	elif text:
		details = [FaultDetail(code=None, message="", detail=_clip(text), element=None)]

	first = details[0] if details else FaultDetail(code=None, message="", detail="", element=None)
	code = first.code
	cls = _class_for(status, code, fault_type)
	kwargs: dict[str, Any] = {
		"status": status,
		"code": code,
		"detail": first.detail,
		"element": first.element,
		"fault_type": fault_type,
		"intuit_tid": header(headers, "intuit_tid"),
		"errors": details,
	}
	if cls is ThrottledError:
		kwargs["retry_after"] = parse_retry_after(header(headers, "Retry-After"))
	return cls(first.message or (f"HTTP {status}" if status else ""), **kwargs)


def fault_in(data: Any) -> bool:
	"""Whether a decoded 200 answer is really a Fault (QBO does that)."""
	return isinstance(data, Mapping) and isinstance(_get(data, "Fault"), Mapping)
