"""Customer and Item -> QBO, from the real ERPNext masters."""

from __future__ import annotations

import re

import pytest
from mapping_testkit import load, us_ctx

from qbo_connector.mapping import (
	MappingError,
	customer_sparse_changes,
	display_name_candidates,
	item_name,
	item_name_candidates,
	item_sparse_changes,
	item_type,
	map_address,
	map_customer,
	map_item,
)


def _company():
	return load("customer_company"), load("customer_company_address"), load("customer_company_contact")


def test_company_customer_with_address_and_contact():
	customer, address, contact = _company()
	mapped = map_customer(customer, us_ctx(), address, contact)
	body = mapped.body
	assert body["DisplayName"] == "O'Brien & S\u00f8n Ltd"  # apostrophe, ampersand and o-slash kept
	assert body["CompanyName"] == "O'Brien & S\u00f8n Ltd"
	assert (body["GivenName"], body["FamilyName"]) == ("Siobh\u00e1n", "O'Brien")
	assert "MiddleName" not in body
	assert body["PrimaryEmailAddr"] == {"Address": "siobhan.obrien@obrien-son.example.com"}
	assert body["PrimaryPhone"] == {"FreeFormNumber": "+1 212-555-0148"}
	assert body["Mobile"] == {"FreeFormNumber": "+1 917-555-0199"}
	assert body["WebAddr"] == {"URI": "https://obrien-son.example.com"}
	expected_address = {
		"Line1": "1450 Broadway",
		"Line2": "Suite 1207",
		"City": "New York",
		"CountrySubDivisionCode": "NY",
		"PostalCode": "10018",
		"Country": "United States",
	}
	assert body["BillAddr"] == expected_address
	assert body["ShipAddr"] == expected_address  # is_shipping_address 1
	assert body["Taxable"] is True and body["Active"] is True
	assert "CurrencyRef" not in body
	assert body["Notes"] == "ERPNext Customer O'Brien & S\u00f8n Ltd"
	assert mapped.warnings == []


def test_customer_without_address_or_contact_uses_its_own_fields():
	customer, _, _ = _company()
	body = map_customer(customer, us_ctx()).body
	assert body["PrimaryEmailAddr"]["Address"] == "siobhan.obrien@obrien-son.example.com"
	assert body["Mobile"]["FreeFormNumber"] == "+1 917-555-0199"
	assert "BillAddr" not in body and "GivenName" not in body and "PrimaryPhone" not in body


def test_shipping_only_and_separate_shipping_address():
	customer, address, _ = _company()
	address.update(address_type="Shipping", is_primary_address=0, is_shipping_address=1)
	body = map_customer(customer, us_ctx(), address).body
	assert "BillAddr" not in body and body["ShipAddr"]["City"] == "New York"
	billing = dict(address, address_type="Billing", is_primary_address=1, is_shipping_address=0)
	shipping = dict(address, city="Newark", state="NJ")
	body = map_customer(customer, us_ctx(), billing, shipping_address=shipping).body
	assert body["BillAddr"]["City"] == "New York" and body["ShipAddr"]["City"] == "Newark"
	assert map_address(None) is None and map_address({"name": "x"}) is None


def test_candidates_when_id_equals_name():
	customer, _, _ = _company()
	candidates = display_name_candidates(customer)
	assert candidates[:2] == ["O'Brien & S\u00f8n Ltd", "O'Brien & S\u00f8n Ltd (Customer)"]
	# the last resort: IDs that clean to one name ("ACME: West", "ACME - West") differ in their hash
	assert len(candidates) == 3 and re.fullmatch(
		r"O'Brien & S\u00f8n Ltd \(Customer ~[A-Z2-7]{6}\)", candidates[2]
	)
	assert candidates[2] == display_name_candidates(customer)[2]  # stable


def test_candidates_with_a_series_id():
	customer, _, _ = _company()
	customer["name"] = "CUST-2026-00007"
	assert display_name_candidates(customer) == [
		"O'Brien & S\u00f8n Ltd",
		"O'Brien & S\u00f8n Ltd (CUST-2026-00007)",
		"O'Brien & S\u00f8n Ltd (Customer CUST-2026-00007)",
	]


def test_long_name_keeps_display_name_and_cuts_company_name():
	customer = load("customer_long_name")
	name = customer["customer_name"]
	assert len(name) == 140
	mapped = map_customer(customer, us_ctx())
	assert mapped.body["DisplayName"] == name
	assert mapped.body["CompanyName"] == name[:100].rstrip() and len(mapped.body["CompanyName"]) <= 100
	assert mapped.body["CompanyName"] == map_customer(customer, us_ctx()).body["CompanyName"]  # stable
	assert any(w.startswith("CompanyName cut to 100") for w in mapped.warnings)
	candidates = display_name_candidates(customer)
	assert candidates[0] == name and len(candidates) == 3
	assert all(len(c) <= 500 for c in candidates)


def test_display_name_candidates_fit_500_and_stay_distinct():
	customer = {"name": "CUST-1", "customer_name": "N" * 600, "customer_type": "Individual"}
	candidates = display_name_candidates(customer)
	assert all(len(c) <= 500 for c in candidates)
	assert len(set(candidates)) == len(candidates) == 3
	assert candidates[1].endswith(" (CUST-1)")


def test_forbidden_characters_are_replaced():
	customer = {"name": "ACME: West", "customer_name": "ACME: West\tBranch\nNY", "customer_type": "Company"}
	body = map_customer(customer, us_ctx()).body
	assert body["DisplayName"] == "ACME - West Branch NY"
	assert body["CompanyName"] == "ACME - West Branch NY"
	assert display_name_candidates(customer)[1] == "ACME - West Branch NY (ACME - West)"


def test_customer_without_name_is_refused():
	with pytest.raises(MappingError) as caught:
		map_customer({"name": "", "customer_name": "  "}, us_ctx())
	assert caught.value.field == "customer_name"


def test_individual_and_disabled_and_exempt():
	customer = {"name": "Jane Roe", "customer_name": "Jane Roe", "customer_type": "Individual"}
	customer.update(disabled=1, exempt_from_sales_tax=1)
	body = map_customer(customer, us_ctx()).body
	assert "CompanyName" not in body and body["Active"] is False and body["Taxable"] is False
	assert "Taxable" not in map_customer(customer, us_ctx(is_us=False)).body


def test_eur_customer_currency():
	customer = load("customer_eur")
	assert map_customer(customer, us_ctx()).body["CurrencyRef"] == {"value": "EUR"}
	mapped = map_customer(customer, us_ctx(multicurrency=False))
	assert "CurrencyRef" not in mapped.body
	assert any("multicurrency is off" in w for w in mapped.warnings)


def test_bad_email_and_phone_are_left_out():
	customer, _, _ = _company()
	customer["email_id"] = "a" * 95 + "@example.com"
	customer["mobile_no"] = "+1 " + "9" * 40
	mapped = map_customer(customer, us_ctx())
	assert "PrimaryEmailAddr" not in mapped.body and "Mobile" not in mapped.body
	assert len(mapped.warnings) == 2


def test_customer_sparse_changes():
	customer, address, contact = _company()
	current = dict(map_customer(customer, us_ctx(), address, contact).body, Id="58", SyncToken="3")
	current["BillAddr"] = dict(current["BillAddr"], Id="101")
	assert customer_sparse_changes(customer, current, address, contact) is None
	customer["email_id"] = "ap@obrien-son.example.com"
	address["city"] = "Brooklyn"
	changes = customer_sparse_changes(customer, current, address, contact)
	assert changes["sparse"] is True and (changes["Id"], changes["SyncToken"]) == ("58", "3")
	assert changes["PrimaryEmailAddr"] == {"Address": "ap@obrien-son.example.com"}
	assert changes["BillAddr"]["City"] == "Brooklyn" and changes["ShipAddr"]["City"] == "Brooklyn"
	assert "DisplayName" not in changes and "Notes" not in changes


def test_customer_sparse_keeps_a_collision_display_name_but_follows_a_rename():
	customer, _, _ = _company()
	current = dict(map_customer(customer, us_ctx()).body, Id="58", SyncToken="0")
	current["DisplayName"] = "O'Brien & S\u00f8n Ltd (Customer)"
	assert customer_sparse_changes(customer, current) is None
	customer["customer_name"] = "O'Brien & Sons Ltd"
	changes = customer_sparse_changes(customer, current)
	assert changes["DisplayName"] == "O'Brien & Sons Ltd" and changes["CompanyName"] == "O'Brien & Sons Ltd"


# --- items -----------------------------------------------------------------------------------------------
ITEM_CTX = {"account_map": {"Service - QTC": "11", "Sales - QTC": "12"}}


@pytest.mark.parametrize(
	("fixture", "qbo_type", "account", "price"),
	[
		("item_service", "Service", "11", 175.0),
		("item_stock", "NonInventory", "12", 18.5),
		("item_non_stock", "Service", "12", 24.95),
		("item_long_description", "Service", "12", 1249.0),
		("item_deferred_service", "Service", "11", 2400.0),
	],
)
def test_items_from_fixtures(fixture, qbo_type, account, price):
	item = load(fixture)
	mapped = map_item(item, us_ctx(income_account_ref="79", **ITEM_CTX))
	body = mapped.body
	assert body["Name"] == item["item_code"] and body["Sku"] == item["item_code"]
	assert body["Type"] == qbo_type == item_type(item)
	assert body["IncomeAccountRef"] == {"value": account or "79"}
	assert body["UnitPrice"] == price and body["Active"] is True
	assert ("TrackQtyOnHand" in body) == (qbo_type == "NonInventory")
	assert "<" not in body["Description"] and len(body["Description"]) <= 4000


def test_service_item_body():
	mapped = map_item(load("item_service"), us_ctx(**ITEM_CTX))
	assert mapped.body == {
		"Name": "CONSULT-HR",
		"Type": "Service",
		"Sku": "CONSULT-HR",
		"Active": True,
		"IncomeAccountRef": {"value": "11"},
		"Description": "Senior consultant time, billed per hour",
		"UnitPrice": 175.0,
	}
	assert mapped.warnings == []


def test_long_description_is_plain_text_cut_with_a_warning():
	mapped = map_item(load("item_long_description"), us_ctx(income_account_ref="79"))
	description = mapped.body["Description"]
	assert len(description) == 4000 and description.endswith("\u2026")
	assert "&amp;" not in description and "direct-thermal & thermal-transfer" in description
	assert "\u2013" in description and "\u00d7" in description  # non-ASCII kept
	assert any(w.startswith("Description cut to 4000") for w in mapped.warnings)


def test_unmapped_income_account():
	with pytest.raises(MappingError) as caught:
		map_item(load("item_service"), us_ctx(account_map={}))
	assert caught.value.field == "item_defaults[1].income_account"
	assert "Service - QTC" in str(caught.value)
	item = load("item_service")
	item["item_defaults"] = []
	with pytest.raises(MappingError) as caught:
		map_item(item, us_ctx(account_map={}))
	assert caught.value.field == "item_defaults"
	assert map_item(item, us_ctx(income_account_ref="79")).body["IncomeAccountRef"] == {"value": "79"}


def test_income_account_of_this_company():
	item = load("item_service")
	item["item_defaults"].insert(0, {"idx": 0, "company": "Other Co", "income_account": "Other - OC"})
	ctx = us_ctx(account_map={"Service - QTC": "11", "Other - OC": "99"})
	assert map_item(item, ctx).body["IncomeAccountRef"] == {"value": "11"}


def test_long_and_colon_item_codes():
	one = {"item_code": "PART:" + "X" * 130 + "1", "item_name": "Part", "is_stock_item": 1}
	two = dict(one, item_code="PART:" + "X" * 130 + "2")
	assert item_name(one) != item_name(two) and len(item_name(one)) == 100
	assert item_name(one).startswith("PART-XXX") and ":" not in item_name(one)
	mapped = map_item(one, us_ctx(income_account_ref="79"))
	assert len(mapped.body["Sku"]) == 100 and mapped.body["Description"] == "Part"
	assert any(w.startswith("Sku cut") for w in mapped.warnings)
	assert any(w.startswith("Name shortened") for w in mapped.warnings)
	with pytest.raises(MappingError):
		item_name({"item_code": "", "name": None})


def test_disabled_item_and_sparse_changes():
	item = load("item_service")
	ctx = us_ctx(**ITEM_CTX)
	current = dict(map_item(item, ctx).body, Id="1", SyncToken="4")
	assert item_sparse_changes(item, current, ctx) is None
	item.update(disabled=1, standard_rate=180.0)
	assert item_sparse_changes(item, current, ctx) == {
		"Id": "1",
		"SyncToken": "4",
		"sparse": True,
		"Active": False,
		"UnitPrice": 180.0,
	}


def test_display_name_over_500_is_cut_with_a_warning():
	mapped = map_customer({"name": "CUST-1", "customer_name": "N" * 600}, us_ctx())
	assert len(mapped.body["DisplayName"]) == 500
	assert "DisplayName cut to 500 characters" in mapped.warnings


def test_unmapped_income_account_falls_back_to_the_default():
	mapped = map_item(load("item_service"), us_ctx(account_map={}, income_account_ref="79"))
	assert mapped.body["IncomeAccountRef"] == {"value": "79"}


# -- collision names (identity: two ERPNext records never share one QBO name) ---------------------------
def test_customer_ids_equal_after_cleaning_get_distinct_last_candidates():
	colon = {"name": "ACME: West", "customer_name": "ACME: West"}
	dash = {"name": "ACME - West", "customer_name": "ACME - West"}
	one, two = display_name_candidates(colon), display_name_candidates(dash)
	assert one[:2] == two[:2] == ["ACME - West", "ACME - West (Customer)"]  # QBO cannot tell them apart
	assert one[2] != two[2] and all(":" not in c for c in one + two)


@pytest.mark.parametrize(
	("one", "two"),
	[("BOLT:M8", "BOLT-M8"), ("PART:" + "X" * 130, "PART-" + "X" * 130), ("A : B", "A-B")],
)
def test_item_codes_equal_after_cleaning_get_distinct_collision_names(one: str, two: str):
	first, second = item_name_candidates({"item_code": one}), item_name_candidates({"item_code": two})
	assert first[0] == second[0] == item_name({"item_code": two})  # the same plain name in QBO
	assert set(first[1:]).isdisjoint(second[1:]) and len(first) >= 2 and len(second) >= 2
	assert all(len(c) <= 100 and ":" not in c for c in first + second)
	assert item_name_candidates({"item_code": one}) == first  # stable across runs


def test_item_sparse_changes_keep_a_collision_name():
	item = load("item_service")
	ctx = us_ctx(**ITEM_CTX)
	collision = item_name_candidates(item)[1]
	current = dict(map_item(item, ctx).body, Id="1", SyncToken="4", Name=collision)
	assert item_sparse_changes(item, current, ctx) is None
	renamed_in_qbo = dict(current, Name="Something else")
	assert item_sparse_changes(item, renamed_in_qbo, ctx)["Name"] == item_name(item)
