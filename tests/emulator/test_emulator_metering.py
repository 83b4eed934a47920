"""Metered reads: the emulator counts, per company and month, the reads Intuit meters (GET, query, CDC, a
batch's queries) apart from writes, and only for requests it served."""

from __future__ import annotations

from emulator_testkit import Api

from qbo_connector.emulator import EmulatorServer


def test_reads_and_writes_are_counted_apart(emu: EmulatorServer, api: Api) -> None:
	assert (emu.reads(), emu.writes()) == (0, 0)
	created = api.create("Customer", {"DisplayName": "Metered Ltd"})
	api.read("Customer", created["Id"])
	api.get("query", query="select * from Customer")
	api.query("select * from Item")  # the long-query POST is a read too
	api.get("preferences")
	api.get("cdc", entities="Customer", changedSince="2020-01-01T00:00:00Z")
	assert (emu.reads(), emu.writes()) == (5, 1)

	api.post(
		"batch",
		{
			"BatchItemRequest": [
				{"bId": "1", "Query": "select * from Customer"},
				{"bId": "2", "Query": "select * from Item"},
				{"bId": "3", "operation": "create", "Customer": {"DisplayName": "Batch Ltd"}},
			]
		},
	)
	assert (emu.reads(), emu.writes()) == (7, 2)  # two queries read, the request wrote
	api.post("batch", {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]})
	assert (emu.reads(), emu.writes()) == (8, 2)  # a batch of queries only writes nothing


def test_refused_requests_are_not_counted_and_reset_clears(emu: EmulatorServer, api: Api) -> None:
	api.tokens["access_token"] = "not-a-token"
	assert api.get("preferences").status_code == 401
	assert emu.reads() == 0
	fresh = Api(emu)
	fresh.get("preferences")
	snapshot = emu.state.snapshot()["companies"][emu.realm_id]
	assert (snapshot["reads_this_month"], snapshot["writes_this_month"]) == (1, 0)
	emu.reset()
	assert emu.reads() == 0
