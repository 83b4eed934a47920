"""What QuickBooks calls the records an attempt touched, read from the attempt's own request and response.

A person knows a QuickBooks invoice by its number (DocNumber) and a customer or item by its name, not by
QuickBooks' internal id. The engine records every HTTP exchange of an attempt on its log row; these helpers
find in those bodies the number or name of each QuickBooks object, so the log, the links and the forms can
show it. No frappe here: plain JSON in, names out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# The field QuickBooks lists each kind of record by; transactions are known by their DocNumber.
NAME_FIELDS = {
	"Customer": "DisplayName",
	"Vendor": "DisplayName",
	"Employee": "DisplayName",
	"Item": "Name",
	"Account": "FullyQualifiedName",
}
_MAX_DEPTH = 12


def _loads(value: Any) -> Any:
	if isinstance(value, str | bytes):
		try:
			return json.loads(value)
		except ValueError:
			return None
	return value


def _walk(value: Any, depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
	"""Every (entity, object) found in a JSON value: {"Invoice": {...}}, {"QueryResponse": {"Customer":
	[...]}}, batch answers, and bodies kept as JSON text inside the log's exchange records."""
	if depth > _MAX_DEPTH:
		return
	if isinstance(value, dict):
		for key, item in value.items():
			if key[:1].isupper() and isinstance(item, dict) and "Id" in item:
				yield key, item
			elif key[:1].isupper() and isinstance(item, list):
				for element in item:
					if isinstance(element, dict) and "Id" in element:
						yield key, element
			if key == "body" and isinstance(item, str | bytes):
				yield from _walk(_loads(item), depth + 1)
			elif isinstance(item, dict | list):
				yield from _walk(item, depth + 1)
	elif isinstance(value, list):
		for item in value:
			yield from _walk(item, depth + 1)


def display_name(entity: str, obj: dict[str, Any]) -> str | None:
	"""The number (transactions) or name (customers, items, ...) QuickBooks shows for an object."""
	field = NAME_FIELDS.get(entity)
	value = obj.get(field) if field else obj.get("DocNumber")
	if field and not value:
		value = obj.get("Name")
	if value in (None, ""):
		return None
	return str(value).strip() or None


def names_in(*bodies: Any) -> dict[tuple[str, str], str]:
	"""{(entity, id): number or name} of every QuickBooks object in the given request/response bodies."""
	found: dict[tuple[str, str], str] = {}
	for body in bodies:
		for entity, obj in _walk(_loads(body)):
			name = display_name(entity, obj)
			if name and obj.get("Id") not in (None, ""):
				found[(entity, str(obj["Id"]))] = name
	return found


def sent_number(request: Any, entity: str | None) -> str | None:
	"""The DocNumber an attempt sent for its transaction (QuickBooks keeps the one it is sent when custom
	transaction numbers are on): {"sent": {...body...}, "http": [...]} or the body itself."""
	body = _loads(request)
	if isinstance(body, dict) and isinstance(body.get("sent"), dict):
		body = body["sent"]
	if not isinstance(body, dict) or entity in NAME_FIELDS:
		return None
	number = body.get("DocNumber")
	return str(number) if number not in (None, "") else None
