"""Create, read, full and sparse update, SyncToken, void, delete, requestid replay."""

from __future__ import annotations

import uuid

from emulator_testkit import Api, fault_code

from qbo_connector.emulator import EmulatorServer


def test_create_sets_server_fields(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Zed Ltd", "PrimaryEmailAddr": {"Address": "z@example.com"}})
	assert isinstance(c["Id"], str) and c["Id"].isdigit()
	assert c["SyncToken"] == "0"
	assert c["MetaData"]["CreateTime"] == c["MetaData"]["LastUpdatedTime"]
	assert c["FullyQualifiedName"] == "Zed Ltd"
	assert c["Active"] is True
	assert c["Balance"] == 0
	assert api.read("Customer", c["Id"])["DisplayName"] == "Zed Ltd"


def test_display_name_is_derived_from_name_parts(api: Api) -> None:
	c = api.create("Customer", {"GivenName": "Ada", "FamilyName": "Lovelace"})
	assert c["DisplayName"] == "Ada Lovelace"


def test_sparse_update_keeps_other_fields_and_bumps_sync_token(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Sparse Co", "Notes": "keep me"})
	r = api.post(
		"customer", {"Id": c["Id"], "SyncToken": c["SyncToken"], "sparse": True, "CompanyName": "Sparse Inc"}
	)
	assert r.status_code == 200, r.text
	updated = r.json()["Customer"]
	assert updated["SyncToken"] == "1"
	assert updated["Notes"] == "keep me"
	assert updated["CompanyName"] == "Sparse Inc"
	assert updated["MetaData"]["CreateTime"] == c["MetaData"]["CreateTime"]


def test_full_update_nulls_omitted_fields(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Full Co", "Notes": "gone soon", "CompanyName": "Full"})
	r = api.post("customer", {"Id": c["Id"], "SyncToken": "0", "DisplayName": "Full Co"})
	assert r.status_code == 200, r.text
	updated = r.json()["Customer"]
	assert "Notes" not in updated and "CompanyName" not in updated
	assert updated["SyncToken"] == "1"


def test_stale_sync_token_is_5010(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Stale Co"})
	api.post("customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "first"})
	r = api.post("customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "second"})
	assert r.status_code == 400
	assert r.json()["Fault"]["type"] == "ValidationFault"
	assert fault_code(r) == "5010"
	assert r.json()["Fault"]["Error"][0]["Message"] == "Stale Object Error"


def test_read_unknown_id_is_610(api: Api) -> None:
	r = api.get("invoice/9999")
	assert r.status_code == 400
	assert fault_code(r) == "610"


def test_invoice_computed_fields(api: Api) -> None:
	inv = api.create(
		"Invoice",
		{
			"CustomerRef": {"value": "1"},
			"Line": [
				{
					"Amount": 30,
					"DetailType": "SalesItemLineDetail",
					"SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 3, "UnitPrice": 10},
				},
				{
					"Amount": 20,
					"DetailType": "SalesItemLineDetail",
					"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
				},
				{"DetailType": "DescriptionOnly", "Description": "thanks"},
			],
		},
	)
	assert inv["TotalAmt"] == 50
	assert inv["Balance"] == 50
	assert inv["DocNumber"] == "1001"
	assert [line["Id"] for line in inv["Line"] if "Id" in line] == ["1", "2", "3"]
	assert inv["Line"][-1] == {"Amount": 50.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
	assert inv["TxnTaxDetail"]["TotalTax"] == 0
	assert inv["CustomerRef"]["name"] == "Amy's Bird Sanctuary"
	assert api.invoice(10)["DocNumber"] == "1002"


def test_custom_txn_numbers_leave_doc_number_empty(emu: EmulatorServer) -> None:
	emu.set_company(custom_txn_numbers=True)
	api = Api(emu)
	assert "DocNumber" not in api.invoice(10)
	assert api.invoice(10, DocNumber="INV-7")["DocNumber"] == "INV-7"
	prefs = api.get("preferences").json()["Preferences"]
	assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True


def test_void_invoice_keeps_number_and_zeroes_amounts(api: Api) -> None:
	inv = api.invoice(75, DocNumber="V-1", PrivateNote="note")
	r = api.post("invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"]}, operation="void")
	assert r.status_code == 200, r.text
	voided = r.json()["Invoice"]
	assert voided["DocNumber"] == "V-1"
	assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
	assert voided["PrivateNote"] == "Voided"
	assert all(line["Amount"] == 0 for line in voided["Line"])
	assert voided["SyncToken"] == "1"
	changed = api.post("invoice", {"Id": inv["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "again"})
	assert fault_code(changed) == "6000"


def test_delete_transaction_answers_deleted_and_then_610(api: Api) -> None:
	inv = api.invoice(10)
	r = api.post("invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"]}, operation="delete")
	assert r.status_code == 200, r.text
	assert r.json()["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": inv["Id"]}
	assert fault_code(api.get(f"invoice/{inv['Id']}")) == "610"


def test_name_list_entities_cannot_be_deleted_only_deactivated(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Keep Me"})
	r = api.post("customer", {"Id": c["Id"], "SyncToken": "0"}, operation="delete")
	assert r.status_code == 400
	assert fault_code(r) == "500"
	r = api.post("customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Active": False})
	assert r.json()["Customer"]["Active"] is False


def test_unknown_top_level_property_is_2010(api: Api) -> None:
	r = api.post("customer", {"DisplayName": "X", "Colour": "blue"})
	assert r.status_code == 400
	error = r.json()["Fault"]["Error"][0]
	assert error["code"] == "2010"
	assert error["Detail"].startswith("Property Name:Failed to parse")
	assert "Colour" in error["Detail"]
	assert fault_code(api.session.post(f"{api.base}/customer", data="{nope", headers=api.headers())) == "2010"


def test_read_only_entities_reject_writes(api: Api) -> None:
	assert fault_code(api.post("taxcode", {"Name": "X"})) == "500"


def test_requestid_replays_the_original_answer_without_a_second_write(api: Api) -> None:
	rid = uuid.uuid4().hex
	body = {"DisplayName": "Replay Co"}
	first = api.post("customer", body, requestid=rid)
	second = api.post("customer", body, requestid=rid)
	assert first.status_code == second.status_code == 200
	assert first.content == second.content
	assert len(api.rows("select * from Customer where DisplayName = 'Replay Co'", "Customer")) == 1
	other = api.post("customer", {"DisplayName": "Replay Co"}, requestid=uuid.uuid4().hex)
	assert fault_code(other) == "6240"


def test_requestid_replay_of_an_update_and_a_fault(api: Api) -> None:
	c = api.create("Customer", {"DisplayName": "Upd Co"})
	rid = uuid.uuid4().hex
	body = {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "once"}
	assert api.post("customer", body, requestid=rid).status_code == 200
	again = api.post("customer", body, requestid=rid)
	assert again.status_code == 200
	assert again.json()["Customer"]["SyncToken"] == "1"
	assert api.read("Customer", c["Id"])["SyncToken"] == "1"
	bad_rid = uuid.uuid4().hex
	assert fault_code(api.post("invoice", {"Line": []}, requestid=bad_rid)) == "2020"
	assert fault_code(api.post("invoice", {"Line": []}, requestid=bad_rid)) == "2020"


def test_minorversion_is_accepted(api: Api) -> None:
	assert api.get("companyinfo/" + api.realm_id, minorversion=4).status_code == 200
	assert api.get("companyinfo/" + api.realm_id, minorversion=75).status_code == 200


def test_every_answer_has_an_intuit_tid(api: Api) -> None:
	for r in (api.get("customer/1"), api.get("customer/999"), api.query("select * from Item")):
		assert r.headers.get("intuit_tid")


def test_estimate_purchase_order_bill_time_activity_deposit(api: Api) -> None:
	est = api.create("Estimate", {"CustomerRef": {"value": "1"}, "Line": [_line(40)]})
	assert est["TotalAmt"] == 40 and est["TxnStatus"] == "Pending"
	vendor = api.rows("select * from Vendor", "Vendor")[0]
	expense = {
		"Amount": 12.5,
		"DetailType": "AccountBasedExpenseLineDetail",
		"AccountBasedExpenseLineDetail": {"AccountRef": {"value": "15"}},
	}
	item_line = {
		"Amount": 20,
		"DetailType": "ItemBasedExpenseLineDetail",
		"ItemBasedExpenseLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": 10},
	}
	po = api.create("PurchaseOrder", {"VendorRef": {"value": vendor["Id"]}, "Line": [item_line]})
	assert po["TotalAmt"] == 20 and po["POStatus"] == "Open"
	bill = api.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [expense, item_line]})
	assert bill["TotalAmt"] == 32.5 and bill["Balance"] == 32.5
	employee = api.rows("select * from Employee", "Employee")[0]
	ta = api.create(
		"TimeActivity",
		{
			"NameOf": "Employee",
			"EmployeeRef": {"value": employee["Id"]},
			"TxnDate": "2024-05-01",
			"Hours": 3,
			"Minutes": 15,
		},
	)
	assert ta["Hours"] == 3
	assert (
		fault_code(api.post("timeactivity", {"NameOf": "Employee", "Hours": 1, "TxnDate": "2024-05-01"}))
		== "2020"
	)
	assert fault_code(api.post("timeactivity", {"NameOf": "Employee", "Hours": 1})) == "2020"
	dep = api.create(
		"Deposit",
		{
			"DepositToAccountRef": {"value": "3"},
			"Line": [
				{
					"Amount": 15,
					"DetailType": "DepositLineDetail",
					"DepositLineDetail": {"AccountRef": {"value": "12"}},
				}
			],
		},
	)
	assert dep["TotalAmt"] == 15
	cm = api.create("CreditMemo", {"CustomerRef": {"value": "1"}, "Line": [_line(25)]})
	assert cm["Balance"] == 25 and cm["RemainingCredit"] == 25


def test_pdf_is_a_small_valid_pdf(api: Api) -> None:
	inv = api.invoice(42)
	r = api.session.get(
		f"{api.base}/invoice/{inv['Id']}/pdf", headers=api.headers({"Accept": "application/pdf"})
	)
	assert r.status_code == 200
	assert r.headers["Content-Type"] == "application/pdf"
	assert r.content.startswith(b"%PDF-1.4") and r.content.rstrip().endswith(b"%%EOF")
	xref_at = int(r.content.rsplit(b"startxref", 1)[1].split()[0])
	assert r.content[xref_at:].startswith(b"xref")
	assert b"Total: 42" in r.content


def test_send_marks_the_invoice_emailed(api: Api) -> None:
	inv = api.invoice(10)
	r = api.session.post(f"{api.base}/invoice/{inv['Id']}/send", headers=api.headers())
	assert r.status_code == 200
	assert r.json()["Invoice"]["EmailStatus"] == "EmailSent"


def _line(amount: float) -> dict:
	return {
		"Amount": amount,
		"DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": {"ItemRef": {"value": "1"}},
	}
