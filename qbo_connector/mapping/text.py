"""Text rules QBO enforces (lengths, forbidden characters) and ERPNext's HTML descriptions turned into text."""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from html.parser import HTMLParser

ELLIPSIS = "\u2026"

_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_BLOCK_TAGS = frozenset(
	"address article aside blockquote br dd div dl dt figcaption footer h1 h2 h3 h4 h5 h6 header hr li "
	"ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset(("script", "style", "head", "title"))
_SPACES_RE = re.compile(r"[ \t\f\v\u00a0]+")
_NAME_COLON_RE = re.compile(r"\s*:\s*")
_NAME_SPACE_RE = re.compile(r"\s+")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class _TextExtractor(HTMLParser):
	def __init__(self) -> None:
		super().__init__(convert_charrefs=True)
		self.parts: list[str] = []
		self._skip = 0

	def handle_starttag(self, tag: str, attrs: list) -> None:
		if tag in _SKIP_TAGS:
			self._skip += 1
		elif tag in _BLOCK_TAGS:
			self.parts.append("\n")

	def handle_startendtag(self, tag: str, attrs: list) -> None:
		if tag in _BLOCK_TAGS:
			self.parts.append("\n")

	def handle_endtag(self, tag: str) -> None:
		if tag in _SKIP_TAGS:
			self._skip = max(0, self._skip - 1)
		elif tag in _BLOCK_TAGS:
			self.parts.append("\n")

	def handle_data(self, data: str) -> None:
		if not self._skip:
			self.parts.append(data)


def strip_html(value: str | None) -> str:
	"""Plain text from ERPNext's Text Editor HTML: QBO prints descriptions literally, tags and all.

	Block tags become line breaks, entities are unescaped (`&amp;` -> `&`), runs of spaces collapse, blank
	lines go. Text without any tag is only trimmed, so a plain "R&D <5 units" stays as typed.
	"""
	if not value:
		return ""
	text = str(value)
	if _TAG_RE.search(text):
		parser = _TextExtractor()
		parser.feed(text)
		parser.close()
		text = "".join(parser.parts)
	lines = (_SPACES_RE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
	return "\n".join(line for line in lines if line)


def truncate(value: str, limit: int) -> tuple[str, bool]:
	"""Cut to `limit` characters ending in an ellipsis, so a reader sees the text was cut; says if it did."""
	if len(value) <= limit:
		return value, False
	return value[: limit - 1].rstrip() + ELLIPSIS, True


def clean_name(value: str | None, colon: str = " - ") -> str:
	"""A QBO name field: no ':' (QBO's sub-customer/sub-item separator), tab or newline; single spaces.

	"ACME: West" becomes "ACME - West" rather than "ACME West" so the reader still sees two parts.
	"""
	text = _NAME_COLON_RE.sub(colon, str(value or ""))
	return _NAME_SPACE_RE.sub(" ", text).strip()


def short_hash(value: str, length: int = 6) -> str:
	"""A few base32 characters of SHA-256: stable across runs and machines (unlike hash())."""
	digest = hashlib.sha256(value.encode("utf-8")).digest()
	return base64.b32encode(digest).decode("ascii")[:length]


def shorten_head(value: str, limit: int) -> str:
	"""Keep the beginning and end with " ~HASH" when too long, so two long names that share a prefix stay
	distinct (QBO names must be unique) and the same name always gives the same result."""
	if len(value) <= limit:
		return value
	marker = " ~" + short_hash(value)
	return value[: limit - len(marker)].rstrip() + marker


def iso_date(value: object) -> str | None:
	"""'YYYY-MM-DD' from a date, a datetime or ERPNext's string: as_dict() gives date objects in a live
	site and strings in the JSON fixtures, and QBO wants the plain ISO date."""
	if value is None or value == "":
		return None
	if isinstance(value, datetime.datetime):
		return value.date().isoformat()
	if isinstance(value, datetime.date):
		return value.isoformat()
	text = str(value).strip()
	if _DATE_RE.match(text):
		try:
			return datetime.date.fromisoformat(text[:10]).isoformat()  # 2026-02-30 is not a date
		except ValueError:
			pass
	raise ValueError(f"not a date: {value!r}")
