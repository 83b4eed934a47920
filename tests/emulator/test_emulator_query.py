"""The query language: operators, escaping, nested fields, ordering, paging, count, errors."""

from __future__ import annotations

import pytest
from emulator_testkit import Api, fault_code


@pytest.fixture
def people(api: Api) -> Api:
	for name, notes in [("O'Brien Ltd", "a"), ("Oak Corp", "b"), ("Pine Inc", "c"), ("Birch LLC", "d")]:
		api.create("Customer", {"DisplayName": name, "Notes": notes})
	return api


def names(api: Api, text: str) -> list[str]:
	return [c["DisplayName"] for c in api.rows(text, "Customer")]


def test_equality_in_like_and_escaped_apostrophes(people: Api) -> None:
	assert names(people, r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien Ltd'") == ["O'Brien Ltd"]
	assert names(people, "select * from customer where displayname = 'oak corp'") == ["Oak Corp"]
	assert sorted(names(people, "SELECT * FROM Customer WHERE DisplayName IN ('Oak Corp', 'Pine Inc')")) == [
		"Oak Corp",
		"Pine Inc",
	]
	assert sorted(names(people, "SELECT * FROM Customer WHERE DisplayName LIKE 'O%'")) == [
		"O'Brien Ltd",
		"Oak Corp",
	]
	assert names(people, "SELECT * FROM Customer WHERE DisplayName LIKE '%inc'") == ["Pine Inc"]
	assert names(people, "SELECT * FROM Customer WHERE DisplayName LIKE 'Oak Corp' AND Notes = 'b'") == [
		"Oak Corp"
	]


def test_comparisons_on_numbers_dates_and_refs(api: Api) -> None:
	small = api.invoice(10, TxnDate="2024-01-10")
	big = api.invoice(500, TxnDate="2024-03-01")
	other = api.create("Customer", {"DisplayName": "Other"})
	api.invoice(70, customer=other["Id"], TxnDate="2024-02-01")

	def ids(text: str) -> list[str]:
		return [i["Id"] for i in api.rows(text, "Invoice")]

	assert ids("select * from Invoice where TotalAmt > '100'") == [big["Id"]]
	assert ids("select * from Invoice where TotalAmt <= 10") == [small["Id"]]
	assert ids("select * from Invoice where TxnDate >= '2024-02-15'") == [big["Id"]]
	assert ids("select * from Invoice where TxnDate < '2024-02-01'") == [small["Id"]]
	assert sorted(ids("select * from Invoice where CustomerRef = '1'")) == sorted([small["Id"], big["Id"]])
	assert ids(f"select * from Invoice where CustomerRef IN ('{other['Id']}')") != []
	assert ids(f"select * from Invoice where Id = '{big['Id']}'") == [big["Id"]]


def test_metadata_last_updated_time(api: Api) -> None:
	inv = api.invoice(10)
	stamp = inv["MetaData"]["LastUpdatedTime"]
	assert [
		i["Id"]
		for i in api.rows(f"select * from Invoice where MetaData.LastUpdatedTime >= '{stamp}'", "Invoice")
	] == [inv["Id"]]
	assert (
		api.rows("select * from Invoice where MetaData.LastUpdatedTime > '2999-01-01T00:00:00Z'", "Invoice")
		== []
	)
	assert api.rows(
		"select * from Invoice where MetaData.CreateTime > '2000-01-01T00:00:00-08:00'", "Invoice"
	)


def test_order_paging_and_defaults(api: Api) -> None:
	for n in range(1, 121):
		api.create("Customer", {"DisplayName": f"Page {n:03d}"})
	r = api.query("select * from Customer where DisplayName LIKE 'Page%'")
	body = r.json()["QueryResponse"]
	assert body["startPosition"] == 1
	assert body["maxResults"] == 100 == len(body["Customer"])
	second = api.query(
		"select * from Customer where DisplayName LIKE 'Page%' ORDERBY DisplayName DESC STARTPOSITION 101 MAXRESULTS 50"
	)
	rows = second.json()["QueryResponse"]["Customer"]
	assert [c["DisplayName"] for c in rows] == [f"Page {n:03d}" for n in range(20, 0, -1)]
	assert second.json()["QueryResponse"]["startPosition"] == 101
	capped = api.query("select * from Customer MAXRESULTS 5000").json()["QueryResponse"]
	assert len(capped["Customer"]) <= 1000
	spaced = names(api, "select * from Customer where DisplayName LIKE 'Page 00%' ORDER BY DisplayName")
	assert spaced == [f"Page {n:03d}" for n in range(1, 10)]


def test_count_and_empty_results(people: Api) -> None:
	r = people.query("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE '%o%'")
	assert r.json()["QueryResponse"] == {"totalCount": 3}
	empty = people.query("select * from Customer where DisplayName = 'Nobody'")
	assert empty.status_code == 200
	assert "Customer" not in empty.json()["QueryResponse"]


def test_get_with_query_parameter(people: Api) -> None:
	r = people.get("query", query="select * from Customer where DisplayName = 'Pine Inc'")
	assert r.json()["QueryResponse"]["Customer"][0]["DisplayName"] == "Pine Inc"


def test_inactive_names_are_hidden_unless_asked(people: Api) -> None:
	pine = people.rows("select * from Customer where DisplayName = 'Pine Inc'", "Customer")[0]
	people.post(
		"customer", {"Id": pine["Id"], "SyncToken": pine["SyncToken"], "sparse": True, "Active": False}
	)
	assert names(people, "select * from Customer where DisplayName = 'Pine Inc'") == []
	# QBO lists an inactive name as "<name> (deleted)", in answers and in comparisons
	assert names(people, "select * from Customer where DisplayName = 'Pine Inc' and Active = false") == []
	assert names(
		people, "select * from Customer where DisplayName = 'Pine Inc (deleted)' and Active = false"
	) == ["Pine Inc (deleted)"]
	assert names(
		people, "select * from Customer where Active IN (true, false) and DisplayName LIKE 'Pine%'"
	) == ["Pine Inc (deleted)"]
	assert "Pine Inc (deleted)" in names(people, "select * from Customer where Active = false")
	everyone = names(people, "select * from Customer where Active IN (true, false)")
	assert "Pine Inc (deleted)" in everyone and "Oak Corp" in everyone


def test_select_fields_and_python_quickbooks_style(people: Api) -> None:
	rows = people.rows("select Id, DisplayName from Customer where DisplayName = 'Oak Corp'", "Customer")
	assert set(rows[0]) >= {"Id", "DisplayName"} and "Notes" not in rows[0]
	assert people.rows("SELECT *, Sku FROM Item MAXRESULTS 100", "Item")


@pytest.mark.parametrize(
	("text", "code"),
	[
		("select * form Customer", "4000"),
		("select * from Customer where DisplayName = 'a' OR DisplayName = 'b'", "4000"),
		("select * from Customer where DisplayName = 'unterminated", "4000"),
		("select * from Customer where", "4000"),
		("delete from Customer", "4000"),
		("select * from Spaceship", "4001"),
		("select * from Customer where Colour = 'red'", "4001"),
	],
)
def test_invalid_queries(api: Api, text: str, code: str) -> None:
	r = api.query(text)
	assert r.status_code == 400
	assert fault_code(r) == code
	assert r.json()["Fault"]["type"] == "ValidationFault"
