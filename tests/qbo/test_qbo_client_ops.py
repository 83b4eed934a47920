"""Endpoint methods of QBOClient: paths, bodies, envelopes, paging, batch, CDC, PDF."""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from qbo_testkit import BASE

from qbo_connector.qbo.client import BatchItem, BatchResult, unwrap
from qbo_connector.qbo.errors import (
	AuthenticationError,
	DuplicateDocNumberError,
	NotFoundError,
	QBOError,
	ServerError,
	ValidationError,
)
from qbo_connector.qbo.query import Query


def params(call):
	return {k: v[0] for k, v in parse_qs(urlparse(call.request.url).query).items()}


def body(call):
	return json.loads(call.request.body)


# -- single-entity calls ------------------------------------------------------------------------


def test_create_posts_to_lowercase_path_and_returns_entity(rsps, client):
	rsps.add("POST", f"{BASE}/creditmemo", json={"CreditMemo": {"Id": "7"}, "time": "t"})
	assert client.create("CreditMemo", {"CustomerRef": {"value": "1"}}) == {"Id": "7"}
	call = rsps.calls[0]
	assert urlparse(call.request.url).path.endswith("/creditmemo")
	assert body(call) == {"CustomerRef": {"value": "1"}}
	assert call.request.headers["Content-Type"] == "application/json"


def test_update_is_sparse_by_default_and_keeps_caller_body(rsps, client):
	rsps.add("POST", f"{BASE}/invoice", json={"Invoice": {"Id": "1", "SyncToken": "3"}})
	original = {"Id": "1", "SyncToken": "2", "PrivateNote": "x"}
	assert client.update("Invoice", original, request_id="u1") == {"Id": "1", "SyncToken": "3"}
	assert body(rsps.calls[0]) == {"Id": "1", "SyncToken": "2", "PrivateNote": "x", "sparse": True}
	assert params(rsps.calls[0])["requestid"] == "u1"
	assert "sparse" not in original


def test_full_update(rsps, client):
	rsps.add("POST", f"{BASE}/customer", json={"Customer": {"Id": "1"}})
	client.update("Customer", {"Id": "1", "SyncToken": "0", "DisplayName": "A"}, sparse=False)
	assert body(rsps.calls[0])["sparse"] is False


@pytest.mark.parametrize("payload", [{"SyncToken": "0"}, {"Id": "1"}, {"Id": "1", "SyncToken": ""}])
def test_update_requires_id_and_synctoken(client, payload):
	with pytest.raises(ValueError):
		client.update("Invoice", payload)


def test_void_invoice_uses_operation_void(rsps, client):
	rsps.add("POST", f"{BASE}/invoice", json={"Invoice": {"Id": "5", "PrivateNote": "Voided", "TotalAmt": 0}})
	assert client.void("Invoice", "5", "2", request_id="v1")["PrivateNote"] == "Voided"
	call = rsps.calls[0]
	assert params(call) == {"operation": "void", "minorversion": "75", "requestid": "v1"}
	assert body(call) == {"Id": "5", "SyncToken": "2"}


def test_void_payment_is_sparse_update_with_include_void(rsps, client):
	rsps.add("POST", f"{BASE}/payment", json={"Payment": {"Id": "9", "PrivateNote": "Voided"}})
	assert client.void("payment", "9", 4)["Id"] == "9"
	call = rsps.calls[0]
	p = params(call)
	assert (p["operation"], p["include"], p["minorversion"]) == ("update", "void", "75")
	assert len(p["requestid"]) == 32
	assert body(call) == {"Id": "9", "SyncToken": "4", "sparse": True}


def test_delete_returns_deleted_status(rsps, client):
	rsps.add(
		"POST",
		f"{BASE}/invoice",
		json={"Invoice": {"Id": "5", "status": "Deleted", "domain": "QBO"}, "time": "t"},
	)
	assert client.delete("Invoice", "5", "1", request_id="d1") == {
		"Id": "5",
		"status": "Deleted",
		"domain": "QBO",
	}
	assert params(rsps.calls[0]) == {"operation": "delete", "minorversion": "75", "requestid": "d1"}
	assert body(rsps.calls[0]) == {"Id": "5", "SyncToken": "1"}


def test_read_not_found(rsps, client):
	fault = {
		"Fault": {
			"Error": [
				{
					"Message": "Object Not Found",
					"Detail": "Object Not Found : Something you're trying to use has been made inactive.",
					"code": "610",
					"element": "",
				}
			],
			"type": "ValidationFault",
		}
	}
	rsps.add("GET", f"{BASE}/customer/99", status=400, json=fault)
	with pytest.raises(NotFoundError) as info:
		client.read("Customer", "99")
	assert info.value.code == "610" and "could not find" in info.value.user_message


def test_read_quotes_the_id_in_the_path(rsps, client):
	rsps.add("GET", f"{BASE}/item/a%2Fb", json={"Item": {"Id": "a/b"}})
	assert client.read("Item", "a/b") == {"Id": "a/b"}


@pytest.mark.parametrize(
	("entity", "entity_id"), [("Invoice", ""), ("Invoice", None), ("in voice", "1"), ("../x", "1")]
)
def test_bad_entity_or_id_rejected_before_http(client, entity, entity_id):
	with pytest.raises(ValueError):
		client.read(entity, entity_id)


def test_send_emails_with_send_to(rsps, client):
	rsps.add("POST", f"{BASE}/invoice/5/send", json={"Invoice": {"Id": "5", "EmailStatus": "EmailSent"}})
	assert client.send("Invoice", "5", send_to="a@example.com")["EmailStatus"] == "EmailSent"
	assert params(rsps.calls[0])["sendTo"] == "a@example.com"
	assert rsps.calls[0].request.body is None


def test_preferences_and_company_info(rsps, client):
	rsps.add(
		"GET", f"{BASE}/preferences", json={"Preferences": {"CurrencyPrefs": {"MultiCurrencyEnabled": True}}}
	)
	rsps.add("GET", f"{BASE}/companyinfo/{client.realm_id}", json={"CompanyInfo": {"Country": "US"}})
	assert client.preferences()["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
	assert client.company_info() == {"Country": "US"}


def test_unwrap_falls_back_to_first_object_and_fails_clearly():
	assert unwrap({"time": "t", "Invoice": {"Id": "1"}}) == {"Id": "1"}
	assert unwrap({"time": "t", "invoice": {"Id": "1"}}, "Invoice") == {"Id": "1"}
	with pytest.raises(QBOError):
		unwrap({"time": "t"}, "Invoice")


# -- query --------------------------------------------------------------------------------------


def test_query_sends_get_with_query_param(rsps, client):
	rsps.add(
		"GET",
		f"{BASE}/query",
		json={"QueryResponse": {"Customer": [{"Id": "1"}], "startPosition": 1, "maxResults": 1}},
	)
	result = client.query(Query("Customer").where("DisplayName", "=", "O'Brien"))
	assert result["Customer"] == [{"Id": "1"}]
	assert params(rsps.calls[0]) == {
		"query": "SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien'",
		"minorversion": "75",
	}
	assert "requestid" not in params(rsps.calls[0])


def test_query_with_no_match_returns_empty_dict(rsps, client):
	rsps.add("GET", f"{BASE}/query", json={"QueryResponse": {}, "time": "t"})
	assert client.query("select * from Customer where Id = '0'") == {}
	rsps.replace("GET", f"{BASE}/query", json={"time": "t"})
	assert client.query("select * from Customer") == {}


def _page(entity, start, count):
	rows = [{"Id": str(start + i)} for i in range(count)]
	qr = {"startPosition": start, "maxResults": count}
	if count:
		qr[entity] = rows
	return {"QueryResponse": qr, "time": "t"}


def test_query_all_pages_until_a_short_page(rsps, client):
	for start, count in ((1, 3), (4, 3), (7, 1)):
		rsps.add("GET", f"{BASE}/query", json=_page("Customer", start, count))
	rows = list(client.query_all(Query("Customer").order_by("Id"), page_size=3))
	assert [r["Id"] for r in rows] == [str(i) for i in range(1, 8)]
	assert [params(c)["query"] for c in rsps.calls] == [
		"SELECT * FROM Customer ORDERBY Id STARTPOSITION 1 MAXRESULTS 3",
		"SELECT * FROM Customer ORDERBY Id STARTPOSITION 4 MAXRESULTS 3",
		"SELECT * FROM Customer ORDERBY Id STARTPOSITION 7 MAXRESULTS 3",
	]


def test_query_all_stops_on_an_empty_page(rsps, client):
	rsps.add("GET", f"{BASE}/query", json=_page("Item", 1, 2))
	rsps.add("GET", f"{BASE}/query", json=_page("Item", 3, 0))
	rows = list(client.query_all("select * from Item where Active = true", page_size=2))
	assert len(rows) == 2 and len(rsps.calls) == 2
	assert (
		params(rsps.calls[1])["query"]
		== "select * from Item where Active = true STARTPOSITION 3 MAXRESULTS 2"
	)


def test_query_all_defaults_to_1000_rows_a_page(rsps, client):
	rsps.add("GET", f"{BASE}/query", json=_page("Customer", 1, 1000))
	rsps.add("GET", f"{BASE}/query", json=_page("Customer", 1001, 5))
	assert len(list(client.query_all(Query("Customer")))) == 1005
	assert params(rsps.calls[1])["query"].endswith("STARTPOSITION 1001 MAXRESULTS 1000")


def test_query_all_is_lazy(rsps, client):
	rsps.add("GET", f"{BASE}/query", json=_page("Customer", 1, 2))
	rows = client.query_all(Query("Customer"), page_size=2)
	assert len(rsps.calls) == 0
	assert next(rows)["Id"] == "1"
	assert len(rsps.calls) == 1


def test_query_all_finds_rows_under_any_key(rsps, client):
	rsps.add("GET", f"{BASE}/query", json={"QueryResponse": {"startPosition": 1, "Customer": [{"Id": "1"}]}})
	assert list(client.query_all("select Id from customer", page_size=5)) == [{"Id": "1"}]
	rsps.replace("GET", f"{BASE}/query", json={"QueryResponse": {"Vendor": [{"Id": "2"}]}})
	assert list(client.query_all("no from clause here", page_size=5)) == [{"Id": "2"}]


@pytest.mark.parametrize("page_size", [0, 1001])
def test_query_all_rejects_bad_page_size(client, page_size):
	with pytest.raises(ValueError):
		list(client.query_all(Query("Customer"), page_size=page_size))


def test_query_all_rejects_string_with_paging(client):
	with pytest.raises(ValueError):
		list(client.query_all("select * from Customer MAXRESULTS 10"))


def test_count_with_query_and_string(rsps, client):
	rsps.add("GET", f"{BASE}/query", json={"QueryResponse": {"totalCount": 42}})
	assert client.count(Query("Invoice").where("Balance", ">", 0).order_by("Id")) == 42
	assert params(rsps.calls[0])["query"] == "SELECT COUNT(*) FROM Invoice WHERE Balance > '0'"
	assert client.count("select * from Invoice where Balance > '0'") == 42
	assert params(rsps.calls[1])["query"] == "SELECT COUNT(*) FROM Invoice where Balance > '0'"
	assert client.count("SELECT count(*) FROM Item") == 42
	rsps.replace("GET", f"{BASE}/query", json={"QueryResponse": {}})
	assert client.count("select count(*) from Item") == 0


# -- CDC ----------------------------------------------------------------------------------------

CDC_BODY = {
	"CDCResponse": [
		{
			"QueryResponse": [
				{
					"Customer": [{"Id": "1", "DisplayName": "A"}, {"Id": "2", "status": "Deleted"}],
					"startPosition": 1,
				},
				{"Payment": [{"Id": "9", "TotalAmt": 10}], "maxResults": 1},
				{"startPosition": 1},
			],
			"size": 3,
		}
	],
	"time": "2025-01-02T00:00:00-08:00",
}


def test_cdc_flattens_envelope_and_lists_every_entity(rsps, client):
	rsps.add("GET", f"{BASE}/cdc", json=CDC_BODY)
	since = datetime(2025, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=-8)))
	result = client.cdc(["customer", "Payment", "Item"], since)
	assert result == {
		"Customer": [{"Id": "1", "DisplayName": "A"}, {"Id": "2", "status": "Deleted"}],
		"Payment": [{"Id": "9", "TotalAmt": 10}],
		"Item": [],
	}
	assert params(rsps.calls[0]) == {
		"entities": "Customer,Payment,Item",
		"changedSince": "2025-01-01T08:00:00-08:00",
		"minorversion": "75",
	}


def test_cdc_naive_datetime_is_utc_and_tolerates_odd_shapes(rsps, client):
	odd = {"CDCResponse": {"QueryResponse": {"Invoice": [{"Id": "3"}, "junk"], "Extra": [{"Id": "x"}]}}}
	rsps.add("GET", f"{BASE}/cdc", json=odd)
	result = client.cdc(["Invoice"], datetime(2025, 1, 1))
	assert result == {"Invoice": [{"Id": "3"}], "Extra": [{"Id": "x"}]}
	assert params(rsps.calls[0])["changedSince"] == "2025-01-01T00:00:00+00:00"
	rsps.replace("GET", f"{BASE}/cdc", json={"CDCResponse": ["junk", {"QueryResponse": ["junk"]}]})
	assert client.cdc(["Invoice"], datetime(2025, 1, 1)) == {"Invoice": []}


def test_cdc_needs_entities(client):
	with pytest.raises(ValueError):
		client.cdc([], datetime(2025, 1, 1))


# -- PDF ----------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF"


def test_pdf_returns_bytes_and_logs_size_not_content(rsps, client, exchanges):
	rsps.add("GET", f"{BASE}/invoice/5/pdf", body=PDF, content_type="application/pdf")
	assert client.pdf("Invoice", "5") == PDF
	assert rsps.calls[0].request.headers["Accept"] == "application/pdf"
	assert exchanges[0].response_body == f"<{len(PDF)} bytes application/pdf>"


def test_pdf_fault_in_200_is_raised(rsps, client):
	fault = {"Fault": {"Error": [{"Message": "Object Not Found", "code": "610"}]}}
	rsps.add("GET", f"{BASE}/invoice/5/pdf", json=fault)
	with pytest.raises(NotFoundError):
		client.pdf("Invoice", "5")


def test_pdf_json_without_fault_is_server_error(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/5/pdf", json={"unexpected": True})
	with pytest.raises(ServerError):
		client.pdf("Invoice", "5")


def test_pdf_unknown_binary_is_returned_as_is(rsps, client):
	rsps.add("GET", f"{BASE}/invoice/5/pdf", body=b"\x00\x01", content_type="application/octet-stream")
	assert client.pdf("Invoice", "5") == b"\x00\x01"


# -- batch --------------------------------------------------------------------------------------


def _batch_echo(request):
	"""A fake batch endpoint: answers each item, out of order, with a Fault for bodies marked bad."""
	items = json.loads(request.body)["BatchItemRequest"]
	answers = []
	for item in reversed(items):
		if "Query" in item:
			answers.append(
				{"bId": item["bId"], "QueryResponse": {"Customer": [{"Id": "q"}], "maxResults": 1}}
			)
			continue
		entity = next(k for k in item if k not in ("bId", "operation", "optionsData"))
		payload = item[entity]
		if payload.get("bad"):
			answers.append(
				{
					"bId": item["bId"],
					"Fault": {
						"Error": [
							{
								"Message": "Duplicate Document Number Error",
								"Detail": "Duplicate",
								"code": "6140",
							}
						],
						"type": "ValidationFault",
					},
				}
			)
		else:
			answers.append({"bId": item["bId"], entity: {"Id": f"id-{item['bId']}", "op": item["operation"]}})
	return (200, {"intuit_tid": "tid-b"}, json.dumps({"BatchItemResponse": answers, "time": "t"}))


def test_batch_chunks_65_items_into_30_30_5_in_input_order(rsps, client):
	rsps.add_callback("POST", f"{BASE}/batch", callback=_batch_echo, content_type="application/json")
	items = [
		BatchItem(bid=f"b{i}", operation="create", entity="Invoice", body={"n": i, "bad": i == 40})
		for i in range(65)
	]
	results = client.batch(items)
	sizes = [len(body(c)["BatchItemRequest"]) for c in rsps.calls]
	assert sizes == [30, 30, 5]
	assert [r.bid for r in results] == [f"b{i}" for i in range(65)]
	assert all(isinstance(r, BatchResult) for r in results)
	assert results[0].entity == {"Id": "id-b0", "op": "create"} and results[0].entity_name == "Invoice"
	assert results[0].ok
	bad = results[40]
	assert isinstance(bad.error, DuplicateDocNumberError) and bad.entity is None and not bad.ok
	assert bad.error.intuit_tid == "tid-b"
	assert all(r.error is None for i, r in enumerate(results) if i != 40)
	ids = [params(c)["requestid"] for c in rsps.calls]
	assert len(set(ids)) == 3 and all(len(i) <= 36 for i in ids)


def test_batch_mixed_operations_and_wire_format(rsps, client):
	rsps.add_callback("POST", f"{BASE}/batch", callback=_batch_echo, content_type="application/json")
	items = [
		BatchItem("1", "create", "customer", {"DisplayName": "A"}),
		BatchItem("2", "update", "Invoice", {"Id": "3", "SyncToken": "0"}),
		BatchItem("3", "delete", "Invoice", {"Id": "4", "SyncToken": "1"}),
		BatchItem("4", "void", "Invoice", {"Id": "5", "SyncToken": "1"}),
		BatchItem("5", "void", "Payment", {"Id": "6", "SyncToken": "2"}),
		BatchItem("6", "query", query="select * from Customer"),
	]
	results = client.batch(items, request_id="run-1")
	sent = body(rsps.calls[0])["BatchItemRequest"]
	assert sent == [
		{"bId": "1", "operation": "create", "Customer": {"DisplayName": "A"}},
		{"bId": "2", "operation": "update", "Invoice": {"Id": "3", "SyncToken": "0", "sparse": True}},
		{"bId": "3", "operation": "delete", "Invoice": {"Id": "4", "SyncToken": "1"}},
		{"bId": "4", "operation": "void", "Invoice": {"Id": "5", "SyncToken": "1"}},
		{
			"bId": "5",
			"operation": "update",
			"optionsData": "void",
			"Payment": {"Id": "6", "SyncToken": "2", "sparse": True},
		},
		{"bId": "6", "Query": "select * from Customer"},
	]
	assert params(rsps.calls[0])["requestid"] == "run-1-0"
	assert results[5].query_response == {"Customer": [{"Id": "q"}], "maxResults": 1}
	assert [r.bid for r in results] == ["1", "2", "3", "4", "5", "6"]


def test_batch_request_id_is_stable_per_chunk(rsps, client):
	rsps.add_callback("POST", f"{BASE}/batch", callback=_batch_echo, content_type="application/json")
	items = [BatchItem(str(i), "create", "Item", {"Name": str(i)}) for i in range(31)]
	client.batch(items, request_id="x" * 40)
	client.batch(items, request_id="x" * 40)
	ids = [params(c)["requestid"] for c in rsps.calls]
	assert ids[0] == ids[2] and ids[1] == ids[3] and ids[0] != ids[1]


def test_batch_is_paced_as_batch(rsps, tokens, sleeps):
	from qbo_testkit import ENV, REALM

	from qbo_connector.qbo.client import QBOClient

	seen = []

	class SpyPacer:
		def wait(self, realm_id, batch=False):
			seen.append(batch)
			return 0.0

	client = QBOClient(REALM, ENV, tokens, pacer=SpyPacer(), sleep=sleeps)
	rsps.add_callback("POST", f"{BASE}/batch", callback=_batch_echo, content_type="application/json")
	client.batch([BatchItem("1", "create", "Item", {"Name": "x"})])
	assert seen == [True]


def test_batch_missing_answer_and_empty_answer_item(rsps, client):
	rsps.add(
		"POST",
		f"{BASE}/batch",
		json={
			"BatchItemResponse": [
				{"bId": "1"},
				{"bId": "zzz", "Item": {}},
				"junk",
				{"bId": "3", "QueryResponse": {}},
			]
		},
	)
	items = [
		BatchItem("1", "create", "Item", {"Name": "x"}),
		BatchItem("2", "create", "Item", {"Name": "y"}),
		BatchItem("3", "query", query="select * from Item where Id = '0'"),
	]
	r1, r2, r3 = client.batch(items)
	assert r1.error is None and r1.entity is None and r1.query_response is None
	assert isinstance(r2.error, ServerError) and "did not answer" in r2.error.user_message
	assert r3.query_response == {} and r3.ok


def test_batch_whole_request_failure_marks_that_chunk_only(rsps, client, sleeps):
	rsps.add(
		"POST",
		f"{BASE}/batch",
		json={"BatchItemResponse": [{"bId": str(i), "Item": {"Id": str(i)}} for i in range(30)]},
	)
	rsps.add(
		"POST", f"{BASE}/batch", status=400, json={"Fault": {"Error": [{"Message": "bad", "code": "4000"}]}}
	)
	items = [BatchItem(str(i), "create", "Item", {"Name": str(i)}) for i in range(35)]
	results = client.batch(items)
	assert all(r.ok for r in results[:30])
	assert all(isinstance(r.error, ValidationError) for r in results[30:])


def test_batch_auth_failure_stops_remaining_chunks(rsps, client, tokens):
	rsps.add("POST", f"{BASE}/batch", status=401, json={"fault": {"error": [{"code": "3200"}]}})
	items = [BatchItem(str(i), "create", "Item", {"Name": str(i)}) for i in range(61)]
	results = client.batch(items)
	assert len(rsps.calls) == 2  # first chunk: one try, one refresh-and-retry; later chunks not sent
	assert all(isinstance(r.error, AuthenticationError) for r in results)
	assert tokens.refreshes == ["tok-1"]


def test_batch_transport_failure_is_ambiguous_for_its_items(rsps, client):
	rsps.add("POST", f"{BASE}/batch", body=requests.ConnectionError("reset"))
	(result,) = client.batch([BatchItem("1", "create", "Item", {"Name": "x"})])
	assert result.error.ambiguous is True


@pytest.mark.parametrize(
	"item",
	[
		BatchItem("1", "query"),
		BatchItem("1", "merge", "Item", {}),
		BatchItem("1", "create", None, {}),
		BatchItem("1", "create", "Item", None),
	],
)
def test_batch_rejects_malformed_items_before_sending(rsps, client, item):
	with pytest.raises(ValueError):
		client.batch([item])
	assert len(rsps.calls) == 0


def test_batch_rejects_duplicate_bids(client):
	with pytest.raises(ValueError):
		client.batch([BatchItem("1", "query", query="q"), BatchItem("1", "query", query="q")])


def test_batch_of_nothing_sends_nothing(rsps, client):
	assert client.batch([]) == []
	assert len(rsps.calls) == 0


def test_long_query_is_posted_as_application_text(rsps, client, exchanges):
	rsps.add("POST", f"{BASE}/query", json={"QueryResponse": {"Invoice": [{"Id": "1"}]}})
	ids = [str(i) for i in range(2000)]
	q = Query("Invoice").where("Id", "IN", ids)
	assert client.query(q) == {"Invoice": [{"Id": "1"}]}
	request = rsps.calls[0].request
	assert request.headers["Content-Type"] == "application/text"
	assert request.body.decode() == q.build()
	assert params(rsps.calls[0]) == {"minorversion": "75"}
	assert exchanges[0].request_body == {"text": q.build()}
