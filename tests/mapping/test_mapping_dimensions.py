"""Classes and locations: Cost Center -> Class on every line or on the transaction, Branch -> Location on the
transaction, as QBO's preferences say; what is not mapped fails naming the field, before anything is sent."""

from __future__ import annotations

import copy

import pytest
from mapping_testkit import load, us_ctx

from qbo_connector.mapping import MappingError
from qbo_connector.mapping.dimensions import (
	CLASS_NONE,
	CLASS_PER_LINE,
	CLASS_PER_TXN,
	apply_dimensions,
	class_tracking_of,
	location_terminology,
	tracks_locations,
)
from qbo_connector.mapping.invoice import map_invoice

SI = "Sales Invoice"


def context(**overrides):
	ctx = us_ctx()
	for key, value in {"class_refs": {"Main - QTC": "10", "Retail - QTC": "11"}, **overrides}.items():
		setattr(ctx, key, value)
	return ctx


def mapped(doc, ctx):
	body = map_invoice(doc, ctx).body
	apply_dimensions(body, doc, ctx, SI)
	return body


def classes(body) -> list:
	return [
		(line["DetailType"], (line.get(line["DetailType"]) or {}).get("ClassRef", {}).get("value"))
		for line in body["Line"]
	]


def test_preferences_say_how_classes_and_locations_are_tracked() -> None:
	def prefs(**info):
		return {"AccountingInfoPrefs": info}

	assert class_tracking_of(prefs()) == CLASS_NONE
	assert class_tracking_of(prefs(ClassTrackingPerTxn=True)) == CLASS_PER_TXN
	assert class_tracking_of(prefs(ClassTrackingPerTxn=True, ClassTrackingPerTxnLine=True)) == CLASS_PER_LINE
	assert tracks_locations(prefs(TrackDepartments=True)) and not tracks_locations({})
	assert location_terminology(prefs(DepartmentTerminology="Store")) == "Store"
	assert location_terminology({}) == "Location"


def test_nothing_is_tagged_when_qbo_tracks_nothing() -> None:
	doc = load("si_discounts")
	body = mapped(doc, context(class_tracking=CLASS_NONE))
	assert "ClassRef" not in body and "DepartmentRef" not in body
	assert all(cls is None for _kind, cls in classes(body))


def test_per_line_every_line_gets_its_cost_centers_class() -> None:
	doc = load("si_discounts")  # item lines and a discount line
	doc["cost_center"] = "Main - QTC"
	doc["items"][0]["cost_center"] = "Retail - QTC"
	for row in doc["items"][1:]:
		row["cost_center"] = "Main - QTC"
	body = mapped(doc, context(class_tracking=CLASS_PER_LINE))
	tags = classes(body)
	assert tags[0] == ("SalesItemLineDetail", "11")
	assert all(cls == "10" for _kind, cls in tags[1:]), tags  # other lines, the discount line: the invoice's
	assert ("DiscountLineDetail", "10") in tags and "ClassRef" not in body


def test_per_line_unmapped_cost_center_fails_naming_the_line() -> None:
	doc = load("si_basic")
	doc["items"][1]["cost_center"] = "Projects - QTC"
	with pytest.raises(MappingError) as failed:
		mapped(doc, context(class_tracking=CLASS_PER_LINE))
	assert failed.value.field == f"items[{doc['items'][1].get('idx') or 2}].cost_center"
	assert "'Projects - QTC' is not mapped to a QuickBooks class" in str(failed.value)
	# A default class on the connection takes what is not mapped.
	body = mapped(copy.deepcopy(doc), context(class_tracking=CLASS_PER_LINE, default_class_ref="99"))
	assert classes(body)[1] == ("SalesItemLineDetail", "99")


def test_per_transaction_one_class_from_the_invoice_or_its_lines() -> None:
	doc = load("si_basic")
	for row in doc["items"]:
		row["cost_center"] = "Retail - QTC"
	body = mapped(doc, context(class_tracking=CLASS_PER_TXN))
	assert body["ClassRef"] == {"value": "11"} and all(cls is None for _kind, cls in classes(body))
	doc["cost_center"] = "Main - QTC"
	assert mapped(doc, context(class_tracking=CLASS_PER_TXN))["ClassRef"] == {"value": "10"}
	doc["cost_center"] = None
	doc["items"][0]["cost_center"] = "Main - QTC"
	with pytest.raises(MappingError, match="lines have different cost centers"):
		mapped(doc, context(class_tracking=CLASS_PER_TXN))


def test_location_from_the_branch_on_the_transaction() -> None:
	doc = load("si_basic")
	ctx = context(track_locations=True, location_refs={"Brooklyn": "5"}, location_label="Store")
	doc["branch"] = "Brooklyn"
	assert mapped(doc, ctx)["DepartmentRef"] == {"value": "5"}
	doc["branch"] = "Queens"
	with pytest.raises(MappingError) as failed:
		mapped(doc, ctx)
	assert failed.value.field == "branch" and "'Queens' is not mapped to a QuickBooks store" in str(
		failed.value
	)
	doc["branch"] = None
	with pytest.raises(MappingError, match="has no branch"):
		mapped(doc, ctx)
	ctx.default_location_ref = "6"
	assert mapped(doc, ctx)["DepartmentRef"] == {"value": "6"}
	doc["region"] = "East"
	ctx.location_field, ctx.location_refs = "region", {"East": "7"}  # another accounting dimension
	assert mapped(doc, ctx)["DepartmentRef"] == {"value": "7"}
