"""What a document kind is: one plain dataclass that says, in one place, everything the engine, the bulk
path, the guard, the Frappe hooks and the desk buttons need to know about one kind of ERPNext document.

A kind is data plus a few small functions (its mapper and how it finds what it depends on); the engine
calls them and never asks for a doctype by name. OCA's connector apps keep one folder per model with its
mapper, importer and exporter; this is the same shape without their component registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qbo_connector.mapping.context import MappingContext

if TYPE_CHECKING:  # the engine imports the kinds, never the other way round at run time
	from qbo_connector.qbo.client import QBOClient

	from ..mapper import Mapped
	from ..push import PushMixin
	from ..store import ConnectionConfig

# What cancelling the ERPNext document does to its QuickBooks object, tried in order until one is
# accepted: "void" (QBO keeps it with zero amounts), "delete", "update" (a sparse update of
# Kind.cancel_fields, e.g. POStatus Closed: the object stays, closed).
CancelOperation = Literal["void", "delete", "update"]
Direction = Literal["push", "pull", "both"]

Mapper = Callable[[Mapping[str, Any], MappingContext], "Mapped"]
# (engine, client, config, ctx, doc, probe): fill ctx with the QBO ids the document refers to, creating
# or pushing what is missing. probe is the mapping made before anything was written (its findings, e.g.
# items needed per income account, say what to create).
Prepare = Callable[
	["PushMixin", "QBOClient", "ConnectionConfig", MappingContext, dict[str, Any], "Mapped"], None
]
# (engine, client, config, ctx, doc): read-only facts the probe needs (no writes).
Groundwork = Callable[["PushMixin", "QBOClient", "ConnectionConfig", MappingContext, dict[str, Any]], None]
# (engine, config, doc): a setting the kind cannot go without, checked before QBO is asked anything.
Preflight = Callable[["PushMixin", "ConnectionConfig", dict[str, Any]], None]
# (engine, config, doc, mapped): last touches on the body once every reference is known.
Finish = Callable[["PushMixin", "ConnectionConfig", dict[str, Any], "Mapped"], None]


@dataclass(frozen=True)
class Party:
	"""Who a document is with: the ERPNext master, the QBO name-list entity it becomes, and how.

	QBO keeps Customer, Vendor and Employee DisplayNames unique together, so a party created from ERPNext
	claims a name the way customers do (sync/identity.py): adopt an unlinked QBO record of that name,
	else create one, else the next candidate name. A party without a mapper is never created from ERPNext
	(employees: mapped by hand or by the Employee map's matching)."""

	doctype: str  # ERPNext master: Customer, Supplier, Employee
	entity: str  # QBO entity: Customer, Vendor, Employee
	ref: str  # the key of a QBO body that points at it: CustomerRef, VendorRef, EmployeeRef
	ctx_field: str  # the MappingContext field its QBO id goes into
	label: str  # "customer", "supplier", "employee" (messages)
	name_field: str = "DisplayName"  # the QBO name kept unique
	# (record, ctx, address, contact) -> an object with .body: the QBO body a new record is created with
	map: Callable[..., Any] | None = None
	candidates: Callable[[Mapping[str, Any]], list[str]] | None = None  # names to claim, in order
	title_field: str = ""  # the ERPNext field holding the record's name as people read it


@dataclass(frozen=True)
class Needs:
	"""Other ERPNext documents a kind's QBO object refers to (a payment's invoices): each not yet in QBO is
	pushed first, on a log row of its own; their QBO ids go into ctx.<ctx_field>."""

	doctype: str  # Sales Invoice
	table: str = "references"
	name_field: str = "reference_name"
	doctype_field: str = "reference_doctype"
	ctx_field: str = "invoice_refs"


@dataclass(frozen=True)
class Kind:
	"""One kind of ERPNext document and the QBO object it becomes.

	- doctype + filters: which documents are of this kind. filters are field -> value tests that also work
	  as list filters (0/1 compare as false/true, so a missing is_return counts as 0); not_pulled names a
	  field that, when set, marks a document made from QBO data, which is never pushed back.
	- entity/entities: the QBO entity it becomes (entities: every one it may become).
	- party, party_field: who it is with, and the document field naming them.
	- items: the child table whose item_code rows need QBO items (None: no items are created for it).
	- needs: other documents it refers to, pushed first.
	- lookup: how a create that may have landed is found again before anything is re-sent: "DocNumber"
	  (with the party), "note" (party + date + our name at the head of the memo).
	- cancel: what cancelling the ERPNext document does in QBO (tried in order); cancel_fields for "update";
	  cancel_note is said in the log row. amend: what an amendment means (always a new QBO document: the
	  amended document has a new name; the cancelled one was handled by cancel).
	- switch: the QBO Connection check (and ConnectionConfig attribute) that turns the kind on; None: always
	  on. submit_switch: the check that sends it on submit (None: the same as switch).
	- events: the doc_events it needs; update_fields: ERPNext fields whose change after submit is sent as a
	  sparse update of the QBO fields in updatable.
	"""

	key: str
	doctype: str
	title: str  # "Sales Invoice", "credit note": a document of this kind in a sentence
	plural: str  # "sales invoices"
	entity: str
	map: Mapper
	party: Party | None = None
	party_field: str | None = None
	entities: tuple[str, ...] = ()
	filters: tuple[tuple[str, Any], ...] = ()
	not_pulled: str | None = None
	direction: Direction = "push"
	items: str | None = None
	skip_rows: tuple[str, ...] = ()  # item rows with one of these fields set are not sent (is_alternative)
	needs: tuple[Needs, ...] = ()
	depends: tuple[str, ...] = ()  # in words, for people: "party", "items", "accounts", "documents"
	lookup: tuple[str, ...] = ("DocNumber", "note")
	cancel: tuple[CancelOperation, ...] = ("void",)
	cancel_fields: dict[str, Any] = field(default_factory=dict)
	cancel_note: str = ""
	cancel_word: str = ""  # what the log says an "update" cancel did ("Rejected"); default "Closed"
	amend: str = "an amended document is a new document: it becomes a new QuickBooks object"
	switch: str | None = None
	submit_switch: str | None = None
	events: tuple[str, ...] = ("on_submit", "on_cancel")
	update_fields: tuple[str, ...] = ()
	updatable: tuple[str, ...] = ()
	date_field: str = "posting_date"  # the document date (TxnDate of a look-up by memo)
	# Documents that become several QBO objects: the child table whose rows each become one (the first is
	# linked to the document, the others to their rows, doctype row_doctype), and locate(doc, doctype, name)
	# -> a Mapped to look a row's object up by (its date, party and marker) when its create may have landed.
	# Whether the pull watches its QBO objects (voided or deleted there: the document is flagged). Not for
	# entities QBO's change data capture does not cover (TimeActivity).
	watched: bool = True
	rows: str | None = None
	row_doctype: str | None = None
	locate: Callable[[Mapping[str, Any], str, str], Any] | None = None
	# (doc, config) -> the DocNumber its QBO object carries, found again without mapping (look-up key)
	number: Callable[[Mapping[str, Any], Any], str | None] | None = None
	# What the log says when QBO holds the DocNumber for another object (fault 6140); {label}, {entity},
	# {number}, {code}. Default: our own numbers, so a prefix on the connection avoids the clash.
	number_taken: str = ""
	groundwork: Groundwork | None = None
	prepare: Prepare | None = None
	preflight: Preflight | None = None
	finish: Finish | None = None

	def __post_init__(self) -> None:
		if not self.entities:
			object.__setattr__(self, "entities", (self.entity,))

	def matches(self, doc: Mapping[str, Any] | None) -> bool:
		"""Whether a document (as_dict(), or a Frappe document) is of this kind."""
		if doc is None:
			return False
		doctype = doc.get("doctype")
		if doctype and doctype != self.doctype:
			return False
		return all(same_value(doc.get(name), want) for name, want in self.filters)

	def pulled(self, doc: Mapping[str, Any]) -> bool:
		"""A document the pull made from QBO data (sending it back would be an echo)."""
		return bool(self.not_pulled and doc.get(self.not_pulled))

	def list_filters(self) -> dict[str, Any]:
		"""filters for a list query, with not_pulled as "not set" (None)."""
		out: dict[str, Any] = dict(self.filters)
		if self.not_pulled:
			out[self.not_pulled] = None
		return out

	def enabled(self, config: Any) -> bool:
		"""The kind's switch on a connection (ConnectionConfig or a QBO Connection row)."""
		return switch_on(config, self.switch)

	def on_submit(self, config: Any) -> bool:
		"""Whether a submit sends it at once (the submit switch, else the kind's switch)."""
		return self.enabled(config) and switch_on(config, self.submit_switch)

	def party_name(self, doc: Mapping[str, Any]) -> str | None:
		value = doc.get(self.party_field) if self.party_field else None
		return str(value) if value else None

	def item_codes(self, doc: Mapping[str, Any]) -> list[str]:
		"""The document's item codes, once each, in row order."""
		return list(dict.fromkeys(row["item_code"] for row in self.item_rows(doc) if row.get("item_code")))

	def item_rows(self, doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
		"""The rows of the item table that are sent (alternative items of a quotation are not)."""
		if not self.items:
			return []
		rows = doc.get(self.items) or []
		return [row for row in rows if not any(row.get(field) for field in self.skip_rows)]


def same_value(value: Any, want: Any) -> bool:
	"""A filter test: 0/1 (Check fields) compare by truth, so None or a missing field counts as 0."""
	if isinstance(want, bool) or (isinstance(want, int) and want in (0, 1)):
		return bool(value) == bool(want)
	if want is None:
		return not value
	return value == want


def switch_on(config: Any, name: str | None) -> bool:
	if not name:
		return True
	if isinstance(config, Mapping):
		return bool(config.get(name))
	return bool(getattr(config, name, False))
