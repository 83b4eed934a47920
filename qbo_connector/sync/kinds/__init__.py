"""Every kind of document the connector moves, one unit each (see base.py for what a unit says).

The engine, bulk work, the guard, the Frappe hooks and the desk buttons read KINDS; nothing else knows a
doctype by name. Adding a kind is one module here plus its tests: a Kind instance listed in KINDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import (
	credit_note,
	debit_note,
	payment,
	purchase_invoice,
	purchase_order,
	quotation,
	sales_invoice,
	supplier_payment,
	timesheet,
)
from .base import Kind, Needs, Party, same_value, switch_on

# Order matters where several kinds share a doctype: the first whose filters match a document is its kind.
KINDS: tuple[Kind, ...] = (
	sales_invoice.KIND,
	credit_note.KIND,
	payment.KIND,
	quotation.KIND,
	purchase_order.KIND,
	purchase_invoice.KIND,
	debit_note.KIND,
	supplier_payment.KIND,
	timesheet.KIND,
)

__all__ = [
	"KINDS",
	"Kind",
	"Needs",
	"Party",
	"by_entity",
	"doc_events",
	"doctypes",
	"for_doctype",
	"of",
	"same_value",
	"switch_on",
]


def for_doctype(doctype: str | None) -> tuple[Kind, ...]:
	"""The kinds of one doctype (several: a Sales Invoice is an invoice or a credit note)."""
	return tuple(kind for kind in KINDS if kind.doctype == doctype)


def of(doctype: str | None, doc: Mapping[str, Any] | Any | None) -> Kind | None:
	"""The kind of a document; None when the doctype is not pushed or the document is of none of its kinds
	(a Payment Entry that is an internal transfer)."""
	if doc is None:
		return None
	return next((kind for kind in for_doctype(doctype) if kind.matches(doc)), None)


def by_entity(entity: str | None, doctype: str | None = None) -> Kind | None:
	"""The kind that makes a QBO entity (optionally of one doctype): how a link finds its kind."""
	for kind in KINDS:
		if entity in kind.entities and (doctype is None or kind.doctype == doctype):
			return kind
	return None


def doctypes() -> tuple[str, ...]:
	"""Every doctype some kind pushes, in KINDS order."""
	return tuple(dict.fromkeys(kind.doctype for kind in KINDS))


def not_sent_reason(doctype: str) -> str:
	"""Why a document of a pushed doctype that is of none of its kinds stays in ERPNext."""
	titles = [kind.title for kind in for_doctype(doctype)]
	what = ", ".join(titles[:-1]) + (" or " if len(titles) > 1 else "") + titles[-1] if titles else doctype
	article = "an" if what[:1].lower() in "aeiou" else "a"
	return f"is not {article} {what}; only those go to QuickBooks."


def doc_events(handlers: str) -> dict[str, dict[str, str]]:
	"""hooks.doc_events for every kind: {doctype: {event: handlers + event}} (events.py dispatches)."""
	events: dict[str, dict[str, str]] = {}
	for kind in KINDS:
		for event in kind.events:
			events.setdefault(kind.doctype, {})[event] = handlers + event
	return events
