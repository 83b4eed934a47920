"""A small builder for QBO's query language, so callers never glue user data into SQL-ish strings.

QBO queries are one entity, AND-only, with backslash-escaped apostrophes; values from ERPNext (customer
names like O'Brien) must be quoted here and nowhere else.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from qbo_connector.qbo.constants import QUERY_MAX_RESULTS, canonical_entity

OPERATORS = ("=", "<", ">", "<=", ">=", "IN", "LIKE")

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_SELECT = re.compile(
	r"^(\*|count\(\*\)|[A-Za-z][A-Za-z0-9_.]*(\s*,\s*[A-Za-z][A-Za-z0-9_.]*)*)$", re.IGNORECASE
)
_PAGING = re.compile(r"\b(STARTPOSITION|MAXRESULTS)\b", re.IGNORECASE)
_FROM = re.compile(r"\bFROM\s+([A-Za-z]+)", re.IGNORECASE)


def quote(value: Any) -> str:
	"""A QBO query literal: strings quoted with \\ and ' escaped, bools bare, numbers and dates quoted."""
	if value is None:
		raise ValueError("QBO queries cannot compare with NULL")
	if isinstance(value, bool):
		return "true" if value else "false"
	if isinstance(value, list | tuple | set | frozenset):
		items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
		if not items:
			raise ValueError("IN needs at least one value")
		return "(" + ", ".join(quote(v) for v in items) + ")"
	if isinstance(value, datetime):
		text = value.isoformat()
	elif isinstance(value, date):
		text = value.isoformat()
	elif isinstance(value, int | float | Decimal):
		text = str(value)
	else:
		text = str(value)
	return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def check_field(field: str) -> str:
	"""Field names go into the query unquoted, so only identifiers (and dotted paths) are allowed."""
	if not isinstance(field, str) or not _FIELD.match(field):
		raise ValueError(f"Not a QBO field name: {field!r}")
	return field


def entity_of(query: str) -> str | None:
	"""The entity a query string selects from, in QBO spelling (None if it has no FROM)."""
	match = _FROM.search(query or "")
	return canonical_entity(match.group(1)) if match else None


def has_paging(query: str) -> bool:
	"""Whether a query string already pins STARTPOSITION/MAXRESULTS (query_all must add its own)."""
	return bool(_PAGING.search(query or ""))


def add_paging(query: str, start_position: int | None, max_results: int | None) -> str:
	"""Append STARTPOSITION/MAXRESULTS to a query string (both optional)."""
	parts = [query.strip()]
	if start_position is not None:
		if int(start_position) < 1:
			raise ValueError("STARTPOSITION is 1-based")
		parts.append(f"STARTPOSITION {int(start_position)}")
	if max_results is not None:
		if not 1 <= int(max_results) <= QUERY_MAX_RESULTS:
			raise ValueError(f"MAXRESULTS must be between 1 and {QUERY_MAX_RESULTS}")
		parts.append(f"MAXRESULTS {int(max_results)}")
	return " ".join(parts)


class Query:
	"""SELECT ... FROM entity WHERE ... ORDERBY ...; every method returns self so calls chain."""

	def __init__(self, entity: str) -> None:
		if not isinstance(entity, str) or not re.fullmatch(r"[A-Za-z]+", entity or ""):
			raise ValueError(f"Not a QBO entity name: {entity!r}")
		self.entity = canonical_entity(entity)
		self._select = "*"
		self._where: list[str] = []
		self._order: list[str] = []

	def select(self, what: str) -> Query:
		"""Columns to return: "*", "count(*)" or a comma-separated field list."""
		what = (what or "").strip()
		if not _SELECT.match(what):
			raise ValueError(f"Unsupported SELECT list: {what!r}")
		self._select = "COUNT(*)" if what.lower() == "count(*)" else what
		return self

	def where(self, field: str, op: str, value: Any) -> Query:
		"""Add an AND condition (QBO has no OR); IN takes a non-empty list, LIKE takes % wildcards."""
		op_norm = (op or "").strip().upper()
		if op_norm not in OPERATORS:
			raise ValueError(f"Unsupported operator {op!r}; QBO allows {', '.join(OPERATORS)}")
		if op_norm == "IN":
			if isinstance(value, str) or not isinstance(value, Iterable):
				raise ValueError("IN takes a list of values")
			literal = quote(list(value))
		else:
			if isinstance(value, list | tuple | set | frozenset):
				raise ValueError(f"{op_norm} takes a single value")
			literal = quote(value)
		self._where.append(f"{check_field(field)} {op_norm} {literal}")
		return self

	def order_by(self, field: str, desc: bool = False) -> Query:
		"""Sort order; a stable order keeps paging from skipping or repeating rows."""
		self._order.append(f"{check_field(field)}{' DESC' if desc else ''}")
		return self

	@property
	def is_count(self) -> bool:
		return self._select == "COUNT(*)"

	def count_query(self) -> Query:
		"""A copy that counts the same rows (ordering dropped: QBO does not need it for a count)."""
		clone = copy.deepcopy(self)
		clone._select = "COUNT(*)"
		clone._order = []
		return clone

	def build(self, start_position: int | None = None, max_results: int | None = None) -> str:
		"""The query text, optionally with one page's STARTPOSITION/MAXRESULTS."""
		parts = [f"SELECT {self._select} FROM {self.entity}"]
		if self._where:
			parts.append("WHERE " + " AND ".join(self._where))
		if self._order:
			parts.append("ORDERBY " + ", ".join(self._order))
		return add_paging(" ".join(parts), start_position, max_results)

	def __str__(self) -> str:
		return self.build()

	def __repr__(self) -> str:
		return f"Query({self.build()!r})"
