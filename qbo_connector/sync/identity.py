"""Identity: a QBO object is linked to at most one ERPNext record.

QBO keeps names unique case-insensitively (Customer, Vendor and Employee DisplayNames together; Item
Names), and rejects ':', tab and newline in them, so two ERPNext records whose names differ only in case,
in those characters or beyond QBO's length limit would land on ONE QBO object if the push matched by name
alone. The engine therefore adopts a QBO object found by name only when no ERPNext record is linked to it,
treats a name held by another record as taken (the collision rule appends the ERPNext ID), and offers a
check that lists QBO objects already linked to several records (from before these rules, or written
behind the engine's back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qbo_connector.mapping.pull import ERP_NAME_MAX
from qbo_connector.mapping.text import clean_name, short_hash
from qbo_connector.qbo.constants import canonical_entity

from .store import ITEM, Link, Store

# QBO entities whose names share one uniqueness space (a Vendor named "Acme" blocks a Customer "Acme").
PEOPLE = ("Customer", "Vendor", "Employee")


def name_key(name: Any) -> str:
	"""What QBO compares when it says a name is taken: cleaned (no ':', tab, newline; single spaces) and
	case-folded, so "ACME: West" and "acme - west" are the same name."""
	return clean_name(str(name or "")).casefold()


def qbo_name(entity: str, obj: Mapping[str, Any]) -> str:
	"""The name QBO keeps unique for an object: DisplayName for people, the full name (with parents) for
	items, so a sub-item "Parts:Bolt" is not taken for a top-level "Bolt"."""
	if entity in PEOPLE:
		return str(obj.get("DisplayName") or "")
	return str(obj.get("FullyQualifiedName") or obj.get("Name") or "")


def same_name(entity: str, obj: Mapping[str, Any], candidate: str) -> bool:
	return name_key(qbo_name(entity, obj)) == name_key(candidate)


def name_lock_key(realm_id: str, entity: str, name: str) -> str:
	"""A lock per QBO name, so two records with the same name never both adopt (or create) it at once."""
	space = "people" if entity in PEOPLE else entity
	return f"{realm_id}:qbo-name:{space}:{short_hash(name_key(name), 16)}"


def record(doctype: str | None, name: str | None) -> str:
	return f"{doctype or ''} {name or ''}".strip()


# -- pull: a QBO object not linked yet is matched to an ERPNext record only when that record is free -------
def adoption_guard(
	store: Store, realm_id: str, doctype: str, obj: Mapping[str, Any], passed_over: list[str]
) -> Callable[[str], bool]:
	"""adopt(name) for the store: may this existing ERPNext record be matched to the unlinked QBO object
	obj? Not when it is linked to another QBO object of this QBO company (refusals go to passed_over)."""

	def adopt(name: str) -> bool:
		other = store.get_link(realm_id, doctype, name)
		if other is not None and other.qbo_id and other.qbo_id != str(obj.get("Id")):
			passed_over.append(
				f"{doctype} {name} of the same name, which is linked to QuickBooks {other.qbo_entity} {other.qbo_id}"
			)
			return False
		return True

	return adopt


def free_item_code(
	store: Store, realm_id: str, obj: Mapping[str, Any], data: dict[str, Any], passed_over: list[str]
) -> dict[str, Any]:
	"""Item fields for an unlinked QBO item with an item code no other QBO item holds: its own (Sku or Name)
	unless an ERPNext item of that code is linked to another QBO item; then the collision rule appends the
	QBO id within ERPNext's 140 characters ("BOLT" -> "BOLT (QBO 77)")."""
	code = str(data.get("item_code") or "")
	if not code or store.get_doc(ITEM, code) is None:
		return data
	if adoption_guard(store, realm_id, ITEM, obj, passed_over)(code):
		return data
	suffix = f" (QBO {obj.get('Id')})"
	return dict(data, item_code=code[: ERP_NAME_MAX - len(suffix)].rstrip() + suffix)


def passed_over_note(reasons: list[str]) -> str:
	"""The pull row's sentence when a same-named ERPNext record was not matched because it is linked."""
	if not reasons:
		return ""
	return " Not matched to " + "; ".join(reasons) + " (one QuickBooks record belongs to one ERPNext record)."


# -- the check -------------------------------------------------------------------------------------------
@dataclass
class DuplicateLink:
	"""One QBO object that several ERPNext records point at (in one QBO company)."""

	realm_id: str
	qbo_entity: str
	qbo_id: str
	links: list[Link] = field(default_factory=list)

	@property
	def records(self) -> list[tuple[str, str]]:
		return [(link.doctype, link.name) for link in self.links]

	@property
	def message(self) -> str:
		names = ", ".join(record(doctype, name) for doctype, name in self.records)
		return (
			f"QuickBooks {self.qbo_entity} {self.qbo_id} (QuickBooks company {self.realm_id}) is linked to "
			f"{len(self.links)} ERPNext records: {names}. Their documents all land on that one QuickBooks "
			"record; keep the link of the record it belongs to and delete the other links (the next push "
			"gives those records QuickBooks records of their own)."
		)

	def as_dict(self) -> dict[str, Any]:
		return {
			"realm_id": self.realm_id,
			"qbo_entity": self.qbo_entity,
			"qbo_id": self.qbo_id,
			"records": [
				{"doctype": link.doctype, "name": link.name, "state": link.state, "origin": link.origin}
				for link in self.links
			],
			"message": self.message,
		}


def find_duplicate_links(links: Iterable[Link], realm_id: str | None = None) -> list[DuplicateLink]:
	"""QBO objects (per realm, per entity) that more than one ERPNext record is linked to.

	Works over any collection of links (MemoryStore.links(), rows the Frappe layer read); links without a
	QBO id (a create still pending) point at nothing yet and are left out.
	"""
	groups: dict[tuple[str, str, str], dict[tuple[str, str], Link]] = {}
	for link in links:
		if not link.qbo_id or (realm_id is not None and link.realm_id != realm_id):
			continue
		key = (str(link.realm_id), canonical_entity(link.qbo_entity), str(link.qbo_id))
		groups.setdefault(key, {}).setdefault((link.doctype, link.name), link)
	found = [
		DuplicateLink(realm, entity, qbo_id, sorted(holders.values(), key=lambda x: (x.doctype, x.name)))
		for (realm, entity, qbo_id), holders in groups.items()
		if len(holders) > 1
	]
	return sorted(found, key=lambda d: (d.realm_id, d.qbo_entity, _id_order(d.qbo_id)))


def _id_order(qbo_id: str) -> tuple[int, int, str]:
	return (0, int(qbo_id), "") if qbo_id.isdigit() else (1, 0, qbo_id)
