"""Classes and locations: how a QBO company tracks them decides where the tags go, and every line or
transaction gets one.

QBO's Preferences.AccountingInfoPrefs says it: ClassTrackingPerTxnLine (a Class on each line),
ClassTrackingPerTxn (one Class on the transaction), TrackDepartments (a Department, which QBO shows as
"Location" or whatever DepartmentTerminology says, on the transaction). The ERPNext side, decided once:

* Class <- Cost Center. ERPNext puts a cost center on every invoice line (from the item or the company
  default) and may put one on the invoice itself: that is the per-line and per-document dimension accountants
  already keep, and it is what QBO classes are used for (departments, product lines, profit centres).
  Per line: a line's own cost center, else the invoice's. Lines the connector adds (the discount, the rounding
  line) take the invoice's class, else the connection's default class, else the first item line's.
  Per transaction: the invoice's cost center, else the one cost center all lines share, else the default.
* Location (Department) <- Branch. QBO allows one location per transaction, and ERPNext's Branch is the
  one document-level "where" it has: making Branch an Accounting Dimension adds a `branch` field to invoices.
  The connection's Location Field names that field (another accounting dimension's field works the same way),
  else the connection's default location applies.

A value with no QBO record mapped is a MappingError naming the document's field, before anything is written
(the probe maps first): QBO would otherwise keep the invoice untagged, and reports by class would quietly be
wrong. Projects are not classes here: ERPNext projects correspond to QBO's projects (sub-customers).

The other kinds follow the same rules where their QBO entity has the field (Intuit's entity references):
Estimate as an invoice; PurchaseOrder, Bill and VendorCredit on their expense lines (a PurchaseOrder also on
its form); BillPayment a location only; each TimeActivity one class and one location; a received Payment
neither (it has no DepartmentRef).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import D

CLASS_NONE, CLASS_PER_TXN, CLASS_PER_LINE = "none", "txn", "line"
LINE_DETAILS = ("SalesItemLineDetail", "DiscountLineDetail")
PURCHASE_DETAILS = ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")


def class_tracking_of(prefs: Mapping[str, Any]) -> str:
	"""CLASS_PER_LINE, CLASS_PER_TXN or CLASS_NONE from QBO Preferences (per line wins if both are on)."""
	info = prefs.get("AccountingInfoPrefs") or {}
	if info.get("ClassTrackingPerTxnLine"):
		return CLASS_PER_LINE
	if info.get("ClassTrackingPerTxn"):
		return CLASS_PER_TXN
	return CLASS_NONE


def tracks_locations(prefs: Mapping[str, Any]) -> bool:
	return bool((prefs.get("AccountingInfoPrefs") or {}).get("TrackDepartments"))


def location_terminology(prefs: Mapping[str, Any]) -> str:
	return str((prefs.get("AccountingInfoPrefs") or {}).get("DepartmentTerminology") or "Location")


def apply_dimensions(body: dict[str, Any], doc: Mapping[str, Any], ctx: MappingContext, doctype: str) -> None:
	"""Tag a mapped sales form (Invoice, CreditMemo) as the QBO company tracks classes and locations."""
	name = str(doc.get("name") or "")
	tracking = getattr(ctx, "class_tracking", CLASS_NONE) or CLASS_NONE
	if tracking == CLASS_PER_LINE:
		_per_line(body, doc, ctx, doctype, name)
	elif tracking == CLASS_PER_TXN:
		body["ClassRef"] = {"value": _document_class(doc, ctx, doctype, name)}
	if getattr(ctx, "track_locations", False):
		body["DepartmentRef"] = {"value": _location(doc, ctx, doctype, name)}


def _mapped(cost_center: Any, ctx: MappingContext) -> str | None:
	return (ctx.class_refs or {}).get(str(cost_center)) if cost_center else None


def _unmapped(doctype: str, name: str, field: str, cost_center: str) -> MappingError:
	return MappingError(
		doctype,
		name,
		field,
		f"cost center '{cost_center}' is not mapped to a QuickBooks class, and QuickBooks tracks classes; map it "
		"in the QBO Class and Location Map (or set a default class on the connection)",
	)


def apply_purchase_dimensions(
	body: dict[str, Any], doc: Mapping[str, Any], ctx: MappingContext, doctype: str, *, header_class: bool
) -> None:
	"""Tag a mapped purchase (PurchaseOrder, Bill, VendorCredit): QBO keeps a purchase's class on its
	expense lines (ItemBasedExpenseLineDetail, AccountBasedExpenseLineDetail); only a PurchaseOrder also has
	one on the form (header_class). Per line: as for invoices, each line's cost center (the tax lines take the
	document's class). Per transaction: the document's class, on the form where QBO has one, else on every
	line. The location is the form's DepartmentRef, as for invoices."""
	name = str(doc.get("name") or "")
	tracking = getattr(ctx, "class_tracking", CLASS_NONE) or CLASS_NONE
	rows = [row for row in doc.get("items") or [] if _has_amount(row)]
	lines = [line for line in body.get("Line") or [] if line.get("DetailType") in PURCHASE_DETAILS]
	if tracking == CLASS_PER_LINE:
		pairs = list(zip(rows, lines[: len(rows)], strict=False))
		_tag_lines(pairs, lines, doc, ctx, doctype, name)
	elif tracking == CLASS_PER_TXN:
		ref = _document_class(doc, ctx, doctype, name)
		if header_class:
			body["ClassRef"] = {"value": ref}
		else:
			for line in lines:
				line[line["DetailType"]]["ClassRef"] = {"value": ref}
	if getattr(ctx, "track_locations", False):
		body["DepartmentRef"] = {"value": _location(doc, ctx, doctype, name)}


def apply_location(body: dict[str, Any], doc: Mapping[str, Any], ctx: MappingContext, doctype: str) -> None:
	"""A supplier payment (BillPayment) has a location and no class in QBO; a received Payment has neither
	(Intuit's Payment has no DepartmentRef), so it is not tagged."""
	if getattr(ctx, "track_locations", False):
		body["DepartmentRef"] = {"value": _location(doc, ctx, doctype, str(doc.get("name") or ""))}


def apply_time_dimensions(
	body: dict[str, Any], doc: Mapping[str, Any], row: Mapping[str, Any], ctx: MappingContext, doctype: str
) -> None:
	"""One time log's TimeActivity: QBO has one ClassRef and one DepartmentRef on it (each activity is its
	own transaction, so per line and per transaction tracking tag it alike). The class is the log's cost
	center, else the timesheet's, else the connection's default class (ERPNext's timesheet has no cost center
	of its own unless one is added as a custom field or dimension)."""
	name = str(doc.get("name") or "")
	tracking = getattr(ctx, "class_tracking", CLASS_NONE) or CLASS_NONE
	if tracking != CLASS_NONE:
		idx = int(row.get("idx") or 1)
		cost_center = row.get("cost_center") or doc.get("cost_center")
		field = f"time_logs[{idx}].cost_center" if row.get("cost_center") else "cost_center"
		ref = _mapped(cost_center, ctx) or ctx.default_class_ref
		if ref is None:
			if cost_center:
				raise _unmapped(doctype, name, field, cost_center)
			raise MappingError(
				doctype,
				name,
				field,
				"no cost center is set and QuickBooks tracks a class on every transaction; set a default class "
				"on the connection (a timesheet has no cost center of its own)",
			)
		body["ClassRef"] = {"value": ref}
	if getattr(ctx, "track_locations", False):
		body["DepartmentRef"] = {"value": _location(doc, ctx, doctype, name)}


def _has_amount(row: Mapping[str, Any]) -> bool:
	"""The rows mapping/purchase.py makes a line of (the same filter, in the same order)."""
	return bool(D(row.get("qty")) or D(row.get("net_amount")))


def _per_line(
	body: dict[str, Any], doc: Mapping[str, Any], ctx: MappingContext, doctype: str, name: str
) -> None:
	items = list(doc.get("items") or [])
	lines = [line for line in body.get("Line") or [] if line.get("DetailType") in LINE_DETAILS]
	item_lines = [line for line in lines if line.get("DetailType") == "SalesItemLineDetail"][: len(items)]
	_tag_lines(list(zip(items, item_lines, strict=False)), lines, doc, ctx, doctype, name)


def _tag_lines(
	pairs: list[tuple[Mapping[str, Any], dict[str, Any]]],
	lines: list[dict[str, Any]],
	doc: Mapping[str, Any],
	ctx: MappingContext,
	doctype: str,
	name: str,
) -> None:
	"""A class on each (row, line) pair from the row's cost center, else the document's; the other lines
	(discount, rounding, tax) take the document's class, else the default, else the first row's."""
	header_cc = doc.get("cost_center")
	header = _mapped(header_cc, ctx)
	if header_cc and header is None and not ctx.default_class_ref:
		raise _unmapped(doctype, name, "cost_center", header_cc)
	fallback = header or ctx.default_class_ref
	item_lines = [line for _, line in pairs]
	classes: list[str] = []
	for position, (row, line) in enumerate(pairs, start=1):
		idx = int(row.get("idx") or position)
		cost_center = row.get("cost_center") or header_cc
		ref = _mapped(cost_center, ctx) or (None if cost_center else fallback) or ctx.default_class_ref
		if ref is None:
			if cost_center:
				raise _unmapped(doctype, name, f"items[{idx}].cost_center", cost_center)
			raise MappingError(
				doctype,
				name,
				f"items[{idx}].cost_center",
				"no cost center is set and QuickBooks tracks a class on every line; set one (or a default class "
				"on the connection)",
			)
		line[line["DetailType"]]["ClassRef"] = {"value": ref}
		classes.append(ref)
	others = fallback or (classes[0] if classes else None)
	tagged = {id(line) for line in item_lines}
	for line in lines:
		if id(line) in tagged or others is None:
			continue
		line[line["DetailType"]]["ClassRef"] = {"value": others}


def _document_class(doc: Mapping[str, Any], ctx: MappingContext, doctype: str, name: str) -> str:
	header_cc = doc.get("cost_center")
	if header_cc:
		ref = _mapped(header_cc, ctx) or ctx.default_class_ref
		if ref is None:
			raise _unmapped(doctype, name, "cost_center", header_cc)
		return ref
	line_ccs = {row.get("cost_center") for row in doc.get("items") or [] if row.get("cost_center")}
	if len(line_ccs) == 1:
		only = next(iter(line_ccs))
		ref = _mapped(only, ctx) or ctx.default_class_ref
		if ref is None:
			raise _unmapped(doctype, name, "items[1].cost_center", only)
		return ref
	if ctx.default_class_ref:
		return ctx.default_class_ref
	why = "its lines have different cost centers" if line_ccs else "no cost center is set"
	raise MappingError(
		doctype,
		name,
		"cost_center",
		f"QuickBooks tracks one class per transaction and {why}; set the invoice's cost center (or a default "
		"class on the connection)",
	)


def _location(doc: Mapping[str, Any], ctx: MappingContext, doctype: str, name: str) -> str:
	field = getattr(ctx, "location_field", None) or "branch"
	value = doc.get(field)
	label = getattr(ctx, "location_label", None) or "Location"
	if value:
		ref = (ctx.location_refs or {}).get(str(value)) or ctx.default_location_ref
		if ref is None:
			raise MappingError(
				doctype,
				name,
				field,
				f"'{value}' is not mapped to a QuickBooks {label.lower()}, and QuickBooks tracks them; map it in the "
				"QBO Class and Location Map (or set a default location on the connection)",
			)
		return ref
	if ctx.default_location_ref:
		return ctx.default_location_ref
	raise MappingError(
		doctype,
		name,
		field,
		f"QuickBooks tracks a {label.lower()} on every transaction and this {doctype} has no {field}; set it (or a "
		"default location on the connection)",
	)
