"""QBO's query language: parser and evaluator.

SELECT * | count(*) | f1, f2 FROM Entity [WHERE a = 'x' AND b IN ('1','2') AND c LIKE '%y%' ...]
[ORDERBY f [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]

Semantics the emulator applies (as QBO does): keywords and entity/field names are case-insensitive; AND only
(OR, JOIN, sub-queries -> 4000); string comparisons are case-insensitive; `%` is LIKE's only wildcard; a Ref
field (CustomerRef) compares its value; MetaData.CreateTime/LastUpdatedTime compare as instants; a condition
on a field the object lacks is false; name-list entities (Customer, Vendor, Employee, Item, Account, TaxCode,
TaxRate) return only Active = true rows unless the query filters on Active (`Active IN (true, false)` or
`Active = false` brings inactive ones); an inactive row's name compares and sorts as QBO lists it
("Acme (deleted)"); default order is by Id; STARTPOSITION is 1-based; MAXRESULTS defaults to 100 and is capped
at 1000.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import errors
from .entities import INACTIVE_NAME_FIELDS, INACTIVE_SUFFIX
from .fields import FIELDS
from .state import NAME_ENTITIES, canonical
from .util import parse_time

DEFAULT_MAX = 100
MAX_RESULTS = 1000
OPERATORS = ("=", "<", ">", "<=", ">=", "IN", "LIKE")

_TOKEN = re.compile(
	r"""\s*(?:
	(?P<str>'(?:\\.|[^'\\])*')
	|(?P<num>-?\d+(?:\.\d+)?)
	|(?P<op><=|>=|!=|<>|=|<|>)
	|(?P<punct>[(),*])
	|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
	)""",
	re.VERBOSE,
)


@dataclass
class Condition:
	path: str
	op: str
	value: object  # str | Decimal | bool | list


@dataclass
class Query:
	entity: str
	count: bool = False
	fields: list[str] | None = None  # None: SELECT *
	where: list[Condition] = field(default_factory=list)
	order: list[tuple[str, bool]] = field(default_factory=list)  # (path, descending)
	start: int = 1
	max_results: int = DEFAULT_MAX


def _tokens(text: str) -> list[tuple[str, str, int]]:
	out = []
	pos = 0
	text = text.strip().rstrip(";")
	while pos < len(text):
		if text[pos:].strip() == "":
			break
		match = _TOKEN.match(text, pos)
		if not match or match.end() == pos:
			column = pos + 1 + (len(text[pos:]) - len(text[pos:].lstrip()))
			raise errors.query_parse(f'Encountered "{text[pos:].strip()[:1]}" at line 1, column {column}.')
		kind = match.lastgroup or ""
		out.append((kind, match.group(kind), match.start(kind) + 1))
		pos = match.end()
	return out


class _Parser:
	def __init__(self, text: str) -> None:
		self.text = text
		self.toks = _tokens(text)
		self.i = 0

	def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
		j = self.i + offset
		return self.toks[j] if j < len(self.toks) else None

	def fail(self) -> errors.Fault:
		tok = self.peek()
		if tok is None:
			return errors.query_parse(f'Encountered "<EOF>" at line 1, column {len(self.text) + 1}.')
		return errors.query_parse(f'Encountered "{tok[1]}" at line 1, column {tok[2]}.')

	def word(self, *expected: str) -> str:
		tok = self.peek()
		if tok is None or tok[0] != "word" or (expected and tok[1].upper() not in expected):
			raise self.fail()
		self.i += 1
		return tok[1]

	def is_word(self, *names: str) -> bool:
		tok = self.peek()
		return tok is not None and tok[0] == "word" and tok[1].upper() in names

	def punct(self, char: str) -> None:
		tok = self.peek()
		if tok is None or tok[1] != char:
			raise self.fail()
		self.i += 1

	def is_punct(self, char: str) -> bool:
		tok = self.peek()
		return tok is not None and tok[0] == "punct" and tok[1] == char

	def literal(self) -> object:
		tok = self.peek()
		if tok is None:
			raise self.fail()
		self.i += 1
		kind, text, _ = tok
		if kind == "str":
			return re.sub(r"\\(.)", r"\1", text[1:-1])
		if kind == "num":
			return Decimal(text)
		if kind == "word" and text.lower() in ("true", "false"):
			return text.lower() == "true"
		self.i -= 1
		raise self.fail()

	def integer(self) -> int:
		tok = self.peek()
		if tok is None or tok[0] != "num" or "." in tok[1]:
			raise self.fail()
		self.i += 1
		return int(tok[1])

	def parse(self) -> Query:
		self.word("SELECT")
		count, fields = False, None
		if self.is_word("COUNT"):
			self.i += 1
			self.punct("(")
			self.punct("*")
			self.punct(")")
			count = True
		else:
			names, star = [], False
			while True:
				if self.is_punct("*"):
					self.i += 1
					star = True
				else:
					names.append(self.word())
				if not self.is_punct(","):
					break
				self.i += 1
			fields = None if star else names
		self.word("FROM")
		raw_entity = self.word()
		entity = canonical(raw_entity)
		if entity is None:
			raise errors.query_invalid(
				f"Entity '{raw_entity}' is not supported by this emulator or does not exist."
			)
		query = Query(entity=entity, count=count, fields=fields)
		if self.is_word("WHERE"):
			self.i += 1
			while True:
				query.where.append(self.condition())
				if self.is_word("AND"):
					self.i += 1
					continue
				break
		while self.peek() is not None:
			if self.is_word("ORDERBY") or (self.is_word("ORDER") and self._next_is("BY")):
				self.i += 2 if self.is_word("ORDER") else 1
				while True:
					path = self.word()
					desc = False
					if self.is_word("ASC", "DESC"):
						desc = self.word().upper() == "DESC"
					query.order.append((path, desc))
					if not self.is_punct(","):
						break
					self.i += 1
			elif self.is_word("STARTPOSITION"):
				self.i += 1
				query.start = max(1, self.integer())
			elif self.is_word("MAXRESULTS"):
				self.i += 1
				query.max_results = min(MAX_RESULTS, max(0, self.integer()))
			else:
				raise self.fail()
		return query

	def _next_is(self, name: str) -> bool:
		tok = self.peek(1)
		return tok is not None and tok[0] == "word" and tok[1].upper() == name

	def condition(self) -> Condition:
		path = self.word()
		if path.upper() in ("OR", "NOT"):
			self.i -= 1
			raise self.fail()
		tok = self.peek()
		if tok is None:
			raise self.fail()
		if tok[0] == "op":
			if tok[1] in ("!=", "<>"):
				raise self.fail()
			self.i += 1
			return Condition(path, tok[1], self.literal())
		if self.is_word("IN"):
			self.i += 1
			self.punct("(")
			values = [self.literal()]
			while self.is_punct(","):
				self.i += 1
				values.append(self.literal())
			self.punct(")")
			return Condition(path, "IN", values)
		if self.is_word("LIKE"):
			self.i += 1
			value = self.literal()
			if not isinstance(value, str):
				raise self.fail()
			return Condition(path, "LIKE", value)
		raise self.fail()


def parse(text: str) -> Query:
	"""Parse a QBO query; faults 4000 (syntax) / 4001 (unknown entity or property)."""
	if not text or not text.strip():
		raise errors.query_parse('Encountered "<EOF>" at line 1, column 1.')
	query = _Parser(text).parse()
	for path in [c.path for c in query.where] + [p for p, _ in query.order] + list(query.fields or []):
		_check_path(query.entity, path)
	return query


def _check_path(entity: str, path: str) -> None:
	head = path.split(".", 1)[0].lower()
	known = {f.lower() for f in FIELDS.get(entity, ())} | {"id", "metadata", "synctoken"}
	if entity in ("Preferences", "CompanyInfo"):
		return
	if head not in known:
		raise errors.query_invalid(f"property '{path}' is not queryable")


def _lookup(obj: dict, path: str) -> object:
	value: object = obj
	for part in path.split("."):
		if not isinstance(value, dict):
			return None
		low = part.lower()
		value = next((v for k, v in value.items() if k.lower() == low), None)
	if isinstance(value, dict) and "value" in value:
		value = value["value"]
	return value


def _is_time(path: str) -> bool:
	return path.split(".")[-1].lower() in ("createtime", "lastupdatedtime")


def _key(value: object, path: str) -> tuple:
	"""A sortable / comparable form of a value (numbers as Decimal, instants as datetimes, text folded)."""
	if value is None:
		return (0,)
	if isinstance(value, bool):
		return (1, value)
	if isinstance(value, int | float | Decimal):
		return (2, Decimal(str(value)))
	text = str(value)
	if _is_time(path):
		parsed = parse_time(text)
		if parsed is not None:
			return (3, parsed)
	try:
		return (2, Decimal(text)) if re.fullmatch(r"-?\d+(\.\d+)?", text) else (4, text.casefold())
	except InvalidOperation:
		return (4, text.casefold())


def _compare(field_value: object, op: str, literal: object, path: str) -> bool:
	if field_value is None:
		return False
	if op == "IN":
		return any(_compare(field_value, "=", item, path) for item in literal)  # type: ignore[union-attr]
	if op == "LIKE":
		pattern = "^" + ".*".join(re.escape(part) for part in str(literal).split("%")) + "$"
		return re.match(pattern, str(field_value), re.IGNORECASE | re.DOTALL) is not None
	if isinstance(literal, bool) or isinstance(field_value, bool):
		left = str(field_value).lower()
		right = str(literal).lower()
		return left == right if op == "=" else False
	a, b = _key(field_value, path), _key(literal, path)
	if a[0] != b[0]:
		# a number stored as text (Id, DocNumber) against a quoted number, or the reverse
		a, b = (4, str(field_value).casefold()), (4, str(literal).casefold())
	if op == "=":
		return a == b
	if op == "<":
		return a < b
	if op == ">":
		return a > b
	if op == "<=":
		return a <= b
	return a >= b


def _listed(row: dict, names: tuple[str, ...]) -> dict:
	"""The row with its name fields as QBO lists an inactive object (a copy only when it is inactive)."""
	if not names or row.get("Active") is not False:
		return row
	out = dict(row)
	for key in names:
		if isinstance(out.get(key), str):
			out[key] += INACTIVE_SUFFIX
	return out


def run(
	query: Query, rows: list[dict], render: Callable[[dict], dict] | None = None, *, rendered: bool = False
) -> dict:
	"""Evaluate a parsed query over stored objects; only the returned page goes through `render` (a copy as
	QBO shows it), so big tables stay cheap to query. `rendered`: the rows already are as QBO shows them.
	Returns the QueryResponse dict."""
	conditions = list(query.where)
	if query.entity in NAME_ENTITIES and not any(c.path.lower() == "active" for c in conditions):
		conditions.append(Condition("Active", "=", True))
	names = () if rendered else INACTIVE_NAME_FIELDS.get(query.entity, ())
	matched = [
		row
		for row in rows
		if all(_compare(_lookup(_listed(row, names), c.path), c.op, c.value, c.path) for c in conditions)
	]
	if query.count:
		return {"totalCount": len(matched)}
	matched.sort(key=lambda row: _key(row.get("Id"), "Id"))
	for path, desc in reversed(query.order):
		present = [r for r in matched if _lookup(r, path) is not None]
		missing = [r for r in matched if _lookup(r, path) is None]
		present.sort(key=lambda row, p=path: _key(_lookup(_listed(row, names), p), p), reverse=desc)
		matched = present + missing
	page = matched[query.start - 1 : query.start - 1 + query.max_results]
	if not page:
		return {}
	if render is not None:
		page = [render(row) for row in page]
	if query.fields is not None:
		wanted = {f.split(".")[0].lower() for f in query.fields} | {"id"}
		page = [
			{k: v for k, v in row.items() if k.lower() in wanted} | {"domain": "QBO", "sparse": True}
			for row in page
		]
	return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
