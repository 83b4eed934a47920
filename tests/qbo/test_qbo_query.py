"""Query builder: literals are escaped so names like O'Brien neither break nor inject."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from qbo_connector.qbo.query import Query, add_paging, check_field, entity_of, has_paging, quote


@pytest.mark.parametrize(
	("value", "expected"),
	[
		("O'Brien", "'O\\'Brien'"),
		("back\\slash", "'back\\\\slash'"),
		("a\\'b", "'a\\\\\\'b'"),
		("plain", "'plain'"),
		("", "''"),
		(42, "'42'"),
		(Decimal("12.50"), "'12.50'"),
		(1.5, "'1.5'"),
		(True, "true"),
		(False, "false"),
		(date(2025, 1, 31), "'2025-01-31'"),
		(datetime(2025, 1, 31, 8, 30, tzinfo=timezone.utc), "'2025-01-31T08:30:00+00:00'"),
		(["1", 2], "('1', '2')"),
		(("x",), "('x')"),
		({"b", "a"}, "('a', 'b')"),
	],
)
def test_quote(value, expected):
	assert quote(value) == expected


def test_quote_rejects_none_and_empty_list():
	with pytest.raises(ValueError):
		quote(None)
	with pytest.raises(ValueError):
		quote([])


def test_obrien_query():
	q = Query("customer").where("DisplayName", "=", "O'Brien")
	assert q.build() == "SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien'"
	assert str(q) == q.build()
	assert repr(q) == f"Query({q.build()!r})"


def test_full_query_with_paging():
	q = (
		Query("Invoice")
		.where("MetaData.LastUpdatedTime", ">=", "2025-01-01T00:00:00-08:00")
		.where("Id", "in", ["1", "2"])
		.where("DocNumber", "like", "SINV-%")
		.order_by("MetaData.LastUpdatedTime")
		.order_by("Id", desc=True)
	)
	assert q.build(start_position=1001, max_results=1000) == (
		"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2025-01-01T00:00:00-08:00' AND Id IN ('1', '2')"
		" AND DocNumber LIKE 'SINV-%' ORDERBY MetaData.LastUpdatedTime, Id DESC STARTPOSITION 1001 MAXRESULTS 1000"
	)


def test_select_variants_and_count_query():
	assert Query("Item").select("count(*)").build() == "SELECT COUNT(*) FROM Item"
	assert Query("Item").select("Id, Name").build() == "SELECT Id, Name FROM Item"
	q = Query("Item").where("Active", "=", True).order_by("Name")
	counted = q.count_query()
	assert counted.is_count and not q.is_count
	assert counted.build() == "SELECT COUNT(*) FROM Item WHERE Active = true"
	assert q.build() == "SELECT * FROM Item WHERE Active = true ORDERBY Name"


@pytest.mark.parametrize("what", ["", "Id; DROP", "*, Id", "count(Id)"])
def test_select_rejects_garbage(what):
	with pytest.raises(ValueError):
		Query("Item").select(what)


@pytest.mark.parametrize(
	("field", "op", "value"),
	[
		("Name", "!=", "x"),
		("Name", "OR", "x"),
		("Name = 'x' OR 1", "=", "x"),
		("", "=", "x"),
		("Id", "IN", "1,2"),
		("Id", "IN", 5),
		("Id", "IN", []),
		("Id", "=", ["1"]),
		("Id", "=", None),
	],
)
def test_where_rejects_bad_input(field, op, value):
	with pytest.raises(ValueError):
		Query("Item").where(field, op, value)


@pytest.mark.parametrize("entity", ["", "Item; x", "Invoice Line", None])
def test_entity_must_be_a_name(entity):
	with pytest.raises(ValueError):
		Query(entity)


def test_order_by_checks_field():
	with pytest.raises(ValueError):
		Query("Item").order_by("Name; x")
	assert check_field("MetaData.CreateTime") == "MetaData.CreateTime"


def test_paging_helpers():
	assert add_paging("SELECT * FROM Item ", None, None) == "SELECT * FROM Item"
	assert add_paging("SELECT * FROM Item", 1, None) == "SELECT * FROM Item STARTPOSITION 1"
	for start, size in ((0, None), (None, 0), (None, 1001)):
		with pytest.raises(ValueError):
			add_paging("SELECT * FROM Item", start, size)
	assert has_paging("select * from Item maxresults 5") and not has_paging("select * from Item")
	assert entity_of("select * from creditmemo where x = 'y'") == "CreditMemo"
	assert entity_of("no entity") is None
