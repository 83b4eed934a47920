"""Identity: one QBO object belongs to one ERPNext record.

Two ERPNext customers (or items) whose names are equal, or become equal once QBO's rules are applied
(case, ':' / tab / newline, the length limit), must end as two QBO records, each with its own documents;
a QBO record found by name is adopted only when no other ERPNext record is linked to it, and the log says
so; the pull never links a QBO record to a second ERPNext record nor moves an ERPNext record's link.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sync_support import fixture, renamed

from qbo_connector.emulator import EmulatorServer
from qbo_connector.mapping.text import short_hash
from qbo_connector.sync import Link, MemoryStore, SyncEngine, ids
from qbo_connector.sync.identity import find_duplicate_links, name_key
from qbo_connector.sync.outcome import LINK_CONFLICT_CODE, LinkConflictError

SI = "Sales Invoice"


def add_customer(store: MemoryStore, name: str, customer_name: str) -> None:
	"""An ERPNext customer like the fixture's, under another ID and name (no address or contact)."""
	doc = copy.deepcopy(fixture("customer_company"))
	doc.update(
		name=name,
		customer_name=customer_name,
		customer_primary_address=None,
		customer_primary_contact=None,
		email_id=None,
		mobile_no=None,
	)
	store.add_doc(doc)


def add_item(store: MemoryStore, code: str) -> None:
	doc = copy.deepcopy(fixture("item_service"))
	doc.update(name=code, item_code=code, item_name=f"Item {code}")
	store.add_doc(doc)


def add_invoice(store: MemoryStore, name: str, customer: str, item_codes: tuple[str, ...] = ()) -> None:
	"""si_basic under another name, for another customer; item_codes replace its lines' codes in order."""
	doc = renamed(fixture("si_basic"), name)
	doc.update(customer=customer, customer_name=(store.get_doc("Customer", customer) or {})["customer_name"])
	for row, code in zip(doc["items"], item_codes, strict=False):
		# the item_service fixture books to Service - QTC; a line booked elsewhere would go through the
		# per-account item (every line keeps its account), which is not what these tests are about
		row.update(item_code=code, item_name=code, income_account="Service - QTC")
	store.add_doc(doc)


def qbo_customer_of(emu: EmulatorServer, invoice: str) -> dict[str, Any]:
	found = [o for o in emu.objects("Invoice") if o.get("DocNumber") == invoice]
	assert len(found) == 1, f"{len(found)} QBO invoices numbered {invoice}"
	return emu.get("Customer", found[0]["CustomerRef"]["value"])


def customers_named(emu: EmulatorServer, plain: str) -> list[dict[str, Any]]:
	return [c for c in emu.objects("Customer") if name_key(c["DisplayName"]).startswith(name_key(plain)[:60])]


def push_ok(engine: SyncEngine, name: str) -> str:
	result = engine.push(SI, name)
	assert result.status in ("Success", "Warning"), result.message
	return result.message


# -- push: customers -----------------------------------------------------------------------------------
def test_two_john_smiths_become_two_qbo_customers_each_with_its_invoices(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	add_customer(store, "CUST-0001", "John Smith")
	add_customer(store, "CUST-0002", "John Smith")
	add_invoice(store, "SINV-JS-1", "CUST-0001")
	add_invoice(store, "SINV-JS-2", "CUST-0002")
	add_invoice(store, "SINV-JS-3", "CUST-0001")
	push_ok(engine, "SINV-JS-1")
	second = push_ok(engine, "SINV-JS-2")
	push_ok(engine, "SINV-JS-3")

	first_customer = qbo_customer_of(emu, "SINV-JS-1")
	second_customer = qbo_customer_of(emu, "SINV-JS-2")
	assert first_customer["Id"] != second_customer["Id"]
	assert first_customer["DisplayName"] == "John Smith"
	assert second_customer["DisplayName"] == "John Smith (CUST-0002)"
	assert qbo_customer_of(emu, "SINV-JS-3")["Id"] == first_customer["Id"]
	assert store.get_link(emu.realm_id, "Customer", "CUST-0001").qbo_id == first_customer["Id"]
	assert store.get_link(emu.realm_id, "Customer", "CUST-0002").qbo_id == second_customer["Id"]
	# the log says why the second customer has another name in QuickBooks
	assert (
		f"Customer CUST-0002 is QuickBooks Customer {second_customer['Id']} 'John Smith (CUST-0002)', a name of "
		f"its own: 'John Smith' is QuickBooks Customer {first_customer['Id']}, linked to Customer CUST-0001."
	) in second
	assert store.duplicate_links(emu.realm_id) == []


@pytest.mark.parametrize(
	("first", "second"),
	[
		# (ERPNext ID, customer name) of two customers whose QBO DisplayNames collide
		(("CUST-A", "Harbour Supplies"), ("CUST-B", "HARBOUR SUPPLIES")),  # case
		(("CUST-A", "ACME: West"), ("CUST-B", "ACME - West")),  # ':' becomes ' - '
		(("CUST-A", "ACME\tWest\nBranch"), ("CUST-B", "ACME West Branch")),  # tab, newline
		(("ACME: West", "ACME: West"), ("ACME - West", "ACME - West")),  # named by customer name
		(("CUST-A", "N" * 510 + " Alpha"), ("CUST-B", "N" * 510 + " Beta")),  # equal in QBO's 500
	],
	ids=["case", "colon", "tab-newline", "named-by-name", "truncation"],
)
def test_names_equal_after_qbo_rules_become_two_qbo_customers(
	engine: SyncEngine,
	store: MemoryStore,
	emu: EmulatorServer,
	first: tuple[str, str],
	second: tuple[str, str],
) -> None:
	add_customer(store, *first)
	add_customer(store, *second)
	add_invoice(store, "SINV-EQ-1", first[0])
	add_invoice(store, "SINV-EQ-2", second[0])
	push_ok(engine, "SINV-EQ-1")
	message = push_ok(engine, "SINV-EQ-2")
	one, two = qbo_customer_of(emu, "SINV-EQ-1"), qbo_customer_of(emu, "SINV-EQ-2")
	assert one["Id"] != two["Id"], f"both invoices on QBO customer {one['DisplayName']!r}"
	assert store.get_link(emu.realm_id, "Customer", first[0]).qbo_id == one["Id"]
	assert store.get_link(emu.realm_id, "Customer", second[0]).qbo_id == two["Id"]
	assert name_key(two["DisplayName"]) != name_key(one["DisplayName"])
	assert all(len(c["DisplayName"]) <= 500 for c in (one, two))
	assert f"linked to Customer {first[0]}" in message


def test_unlinked_qbo_customer_of_the_same_name_is_adopted_and_logged(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	existing = emu.add_customer("John Smith")  # made by the accountant in QBO
	add_customer(store, "CUST-0001", "john smith")  # QBO compares names case-insensitively
	add_customer(store, "CUST-0002", "John Smith")
	add_invoice(store, "SINV-AD-1", "CUST-0001")
	add_invoice(store, "SINV-AD-2", "CUST-0002")
	result = engine.push(SI, "SINV-AD-1")
	assert result.status == "Success", result.message
	assert qbo_customer_of(emu, "SINV-AD-1")["Id"] == existing["Id"]
	expected = (
		f"Adopted existing QuickBooks Customer {existing['Id']} 'John Smith' for Customer CUST-0001 "
		"(same name, linked to no other ERPNext record)."
	)
	assert expected in result.message
	assert expected in store.get_log(result.log_id).message

	# the second John Smith may not adopt it too
	second = push_ok(engine, "SINV-AD-2")
	other = qbo_customer_of(emu, "SINV-AD-2")
	assert other["Id"] != existing["Id"] and other["DisplayName"] == "John Smith (CUST-0002)"
	assert "Adopted" not in second


def test_unlinked_qbo_item_of_the_same_name_is_adopted_and_logged(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	existing = emu.add_item("consult-hr")  # case differs; QBO item names are unique case-insensitively
	add_customer(store, "CUST-0001", "John Smith")
	add_invoice(store, "SINV-IT-1", "CUST-0001")
	message = push_ok(engine, "SINV-IT-1")
	assert store.get_link(emu.realm_id, "Item", "CONSULT-HR").qbo_id == existing["Id"]
	assert (
		f"Adopted existing QuickBooks Item {existing['Id']} 'consult-hr' for Item CONSULT-HR (same name, "
		"linked to no other ERPNext record)."
	) in message
	assert len([i for i in emu.objects("Item") if name_key(i["Name"]) == "consult-hr"]) == 1


# -- push: items -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
	("code_one", "code_two"),
	[
		("BOLT:M8", "BOLT-M8"),  # ':' becomes '-' in an item name
		("PART:" + "X" * 130 + "1", "PART-" + "X" * 130 + "1"),  # equal once cleaned and cut to 100
	],
	ids=["colon", "long"],
)
def test_items_differing_only_in_forbidden_characters_become_two_qbo_items(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, code_one: str, code_two: str
) -> None:
	add_item(store, code_one)
	add_item(store, code_two)
	add_customer(store, "CUST-0001", "John Smith")
	add_invoice(store, "SINV-ITEMS-1", "CUST-0001", (code_one, code_two))
	message = push_ok(engine, "SINV-ITEMS-1")
	one = emu.get("Item", store.get_link(emu.realm_id, "Item", code_one).qbo_id)
	two = emu.get("Item", store.get_link(emu.realm_id, "Item", code_two).qbo_id)
	assert one["Id"] != two["Id"]
	assert (one["Sku"], two["Sku"]) == (code_one[:100], code_two[:100])
	assert len(one["Name"]) <= 100 and len(two["Name"]) <= 100
	# the collision rule: a stable hash of the item code (what QBO cannot show) within 100 characters
	assert two["Name"].rsplit(" ~", 1)[1].startswith(short_hash(code_two))
	invoice = next(o for o in emu.objects("Invoice") if o.get("DocNumber") == "SINV-ITEMS-1")
	refs = [
		line["SalesItemLineDetail"]["ItemRef"]["value"]
		for line in invoice["Line"]
		if "SalesItemLineDetail" in line
	]
	assert refs == [one["Id"], two["Id"]]  # each line on its own item
	assert f"linked to Item {code_one}" in message


# -- retries -------------------------------------------------------------------------------------------
def test_retry_after_a_crash_mid_create_makes_no_second_customer(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	add_customer(store, "CUST-0001", "John Smith")
	add_customer(store, "CUST-0002", "John Smith")
	add_invoice(store, "SINV-CR-1", "CUST-0001")
	add_invoice(store, "SINV-CR-2", "CUST-0002")
	push_ok(engine, "SINV-CR-1")

	# The create of "John Smith (CUST-0002)" commits in QBO, but no answer ever comes back.
	emu.add_fault(kind="drop", method="POST", path="/customer", count=50)
	failed = engine.push(SI, "SINV-CR-2")
	assert failed.status == "Failed" and failed.retryable, failed.message
	assert store.get_link(emu.realm_id, "Customer", "CUST-0002") is None
	made = [c for c in emu.objects("Customer") if c["DisplayName"] == "John Smith (CUST-0002)"]
	assert len(made) == 1
	emu.state.faults.clear()

	retried = engine.retry(failed.log_id)
	assert retried.status == "Success", retried.message
	assert qbo_customer_of(emu, "SINV-CR-2")["Id"] == made[0]["Id"]
	assert len(customers_named(emu, "John Smith")) == 2
	assert (
		f"Found QuickBooks Customer {made[0]['Id']} 'John Smith (CUST-0002)' made for Customer CUST-0002 by an "
		"earlier attempt; linked it"
	) in retried.message


def test_a_collision_name_create_is_replayed_by_its_request_id_when_the_look_up_misses(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
	"""Each candidate name keeps its own request id, so even a retry whose look-up by name misses the
	customer an earlier attempt created (QBO's query index lagging) gets QBO's replay, not a second one."""
	add_customer(store, "CUST-0001", "John Smith")
	add_customer(store, "CUST-0002", "John Smith")
	add_invoice(store, "SINV-RID-1", "CUST-0001")
	add_invoice(store, "SINV-RID-2", "CUST-0002")
	push_ok(engine, "SINV-RID-1")
	emu.add_fault(kind="drop", method="POST", path="/customer", count=50)
	failed = engine.push(SI, "SINV-RID-2")
	assert failed.status == "Failed" and failed.retryable, failed.message
	emu.state.faults.clear()

	real_rows = SyncEngine.rows
	monkeypatch.setattr(
		engine, "rows", lambda client, query: [] if query.entity == "Customer" else real_rows(client, query)
	)
	retried = engine.retry(failed.log_id)
	assert retried.status == "Success", retried.message
	assert len(customers_named(emu, "John Smith")) == 2
	customer = qbo_customer_of(emu, "SINV-RID-2")
	assert customer["DisplayName"] == "John Smith (CUST-0002)"
	assert store.get_link(emu.realm_id, "Customer", "CUST-0002").qbo_id == customer["Id"]
	rid = ids.request_id(emu.realm_id, "Customer", "CUST-0002", "create", 1)  # the second candidate's id
	assert f"requestid={rid}" in store.get_log(retried.log_id).request_json


def test_a_race_for_one_qbo_customer_fails_plainly_and_the_retry_takes_a_name_of_its_own(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
	"""Two workers adopt one unlinked QBO customer at once: the loser's link is refused (in a site: QBO
	Link's unique key) with a message naming both records, never 'Unexpected error'; its retry is fine."""
	existing = emu.add_customer("John Smith")
	add_customer(store, "CUST-0001", "John Smith")
	add_customer(store, "CUST-0002", "John Smith")
	add_invoice(store, "SINV-RACE-1", "CUST-0001")
	add_invoice(store, "SINV-RACE-2", "CUST-0002")
	push_ok(engine, "SINV-RACE-1")
	monkeypatch.setattr(store, "find_link", lambda *args: None)  # the winner's link not seen yet
	lost = engine.push(SI, "SINV-RACE-2")
	monkeypatch.undo()
	assert lost.status == "Failed" and lost.code == LINK_CONFLICT_CODE and lost.retryable
	assert (
		f"Customer CUST-0002 cannot be linked to QuickBooks Customer {existing['Id']}: that QuickBooks record is "
		"already linked to Customer CUST-0001"
	) in lost.message
	assert "Unexpected" not in lost.message
	assert store.get_link(emu.realm_id, "Customer", "CUST-0001").qbo_id == existing["Id"]
	assert [x for x in emu.objects("Invoice") if x.get("DocNumber") == "SINV-RACE-2"] == []  # nothing sent
	retried = engine.retry(lost.log_id)
	assert retried.status == "Success", retried.message
	assert qbo_customer_of(emu, "SINV-RACE-2")["DisplayName"] == "John Smith (CUST-0002)"


# -- the duplicate-links check ---------------------------------------------------------------------------
def test_duplicate_links_check_names_every_record_of_a_shared_qbo_object(
	store: MemoryStore, emu: EmulatorServer
) -> None:
	realm = emu.realm_id
	# Rows as a store without QBO Link's unique key (or an import) could hold them.
	store.add_link(Link(realm, "Customer", "CUST-0001", "Customer", qbo_id="58", state="synced"))
	store.add_link(Link(realm, "Customer", "CUST-0002", "customer", qbo_id="58", state="synced"))
	store.add_link(Link(realm, "Customer", "CUST-0003", "Customer", qbo_id="59", state="synced"))
	store.add_link(
		Link(realm, "Item", "BOLT-M8", "Item", qbo_id="58", state="synced")
	)  # Item 58 != Customer 58
	store.add_link(Link("other-realm", "Customer", "CUST-0004", "Customer", qbo_id="58", state="synced"))
	store.add_link(Link(realm, SI, "SINV-1", "Invoice"))  # pending: no QBO id yet
	store.add_link(Link(realm, SI, "SINV-2", "Invoice"))

	found = store.duplicate_links(realm)
	assert len(found) == 1
	duplicate = found[0]
	assert (duplicate.realm_id, duplicate.qbo_entity, duplicate.qbo_id) == (realm, "Customer", "58")
	assert duplicate.records == [("Customer", "CUST-0001"), ("Customer", "CUST-0002")]
	assert "QuickBooks Customer 58" in duplicate.message
	assert "Customer CUST-0001, Customer CUST-0002" in duplicate.message
	assert duplicate.as_dict()["records"][1] == {
		"doctype": "Customer",
		"name": "CUST-0002",
		"state": "synced",
		"origin": "push",
	}
	assert find_duplicate_links(store.links()) == found  # every realm: the other realm has one link only

	# and the engine's own path refuses to make such a pair
	with pytest.raises(LinkConflictError) as caught:
		store.save_link(Link(realm, "Customer", "CUST-0005", "Customer", qbo_id="59", state="synced"))
	assert "Customer CUST-0005 cannot be linked to QuickBooks Customer 59" in caught.value.message
	assert "already linked to Customer CUST-0003" in caught.value.message


# -- pull ------------------------------------------------------------------------------------------------
def test_pull_does_not_move_a_linked_customer_to_another_qbo_customer_of_its_name(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	add_customer(store, "John Smith", "John Smith")  # ERPNext named by customer name
	add_invoice(store, "SINV-PULL-1", "John Smith")
	push_ok(engine, "SINV-PULL-1")
	ours = store.get_link(emu.realm_id, "Customer", "John Smith").qbo_id
	emu.rename_customer(ours, "John Smith Sr")  # the accountant renames it ...
	newcomer = emu.add_customer("John Smith")  # ... and makes another John Smith
	result = engine.pull(realm_id=emu.realm_id)
	assert result.status == "Success", result.message

	assert store.get_link(emu.realm_id, "Customer", "John Smith").qbo_id == ours  # not moved
	theirs = store.find_link(emu.realm_id, "Customer", newcomer["Id"])
	assert theirs is not None and theirs.name != "John Smith"
	assert store.get_doc("Customer", theirs.name)["customer_name"] == "John Smith"
	assert store.duplicate_links(emu.realm_id) == []
	row = next(log for log in store.logs() if log.operation == "pull_entity" and log.name == newcomer["Id"])
	assert (
		f"Not matched to Customer John Smith of the same name, which is linked to QuickBooks Customer {ours}"
	) in row.message


def test_pull_does_not_link_a_second_qbo_item_to_a_linked_item_code(
	engine: SyncEngine, store: MemoryStore, emu: EmulatorServer
) -> None:
	add_customer(store, "CUST-0001", "John Smith")
	add_invoice(store, "SINV-PULL-2", "CUST-0001")
	push_ok(engine, "SINV-PULL-2")
	ours = store.get_link(emu.realm_id, "Item", "CONSULT-HR").qbo_id
	copy_in_qbo = emu.add_item("Consulting (new rate)", Sku="CONSULT-HR")  # same Sku, another item
	result = engine.pull(realm_id=emu.realm_id)
	assert result.status == "Success", result.message

	assert store.get_link(emu.realm_id, "Item", "CONSULT-HR").qbo_id == ours
	theirs = store.find_link(emu.realm_id, "Item", copy_in_qbo["Id"])
	assert theirs is not None and theirs.name == f"CONSULT-HR (QBO {copy_in_qbo['Id']})"
	assert store.get_doc("Item", "CONSULT-HR")["item_name"] != "Consulting (new rate)"  # not overwritten
	assert store.get_doc("Item", theirs.name)["item_name"] == "Consulting (new rate)"
	assert store.duplicate_links(emu.realm_id) == []
	row = next(
		log for log in store.logs() if log.operation == "pull_entity" and log.name == copy_in_qbo["Id"]
	)
	assert (
		f"Not matched to Item CONSULT-HR of the same name, which is linked to QuickBooks Item {ours}"
		in row.message
	)
