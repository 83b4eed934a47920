"""FrappeStore keeps the promises of sync.store.Store on a real site: links unique per (realm, document),
log rows that round-trip and a retry rule that ignores superseded attempts, watermarks, atomic event
claims, locks that give way with a retryable error, and the ERPNext writes a pull makes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest.mock import patch

import frappe
from frappe.utils import random_string

from qbo_connector.qbo_connector import store as store_module
from qbo_connector.qbo_connector.store import FrappeStore
from qbo_connector.qbo_connector.tests.sync_utils import COMPANY, CUSTOMER, SERVICE_ITEM, SyncTestCase
from qbo_connector.sync.outcome import SyncError
from qbo_connector.sync.store import Link, LogEntry, LogOutcome, Store


class TestFrappeStore(SyncTestCase):
	def setUp(self) -> None:
		super().setUp()
		self.store = FrappeStore()
		self.realm = frappe.db.get_value("QBO Connection", COMPANY, "realm_id")

	def test_is_a_store(self) -> None:
		self.assertIsInstance(self.store, Store)

	def test_config_carries_connection_maps_and_defaults(self) -> None:
		config = self.store.get_config(COMPANY)
		self.assertEqual(config.realm_id, self.realm)
		self.assertTrue(config.enabled and config.reconcile_payments and config.absorb_cent_differences)
		self.assertEqual(config.us_tax_code, self.qbo["california"])
		self.assertEqual(config.default_income_account, self.qbo["income"])
		self.assertEqual(config.discount_account, self.qbo["discounts"])
		self.assertEqual(config.account_map["Sales - QTC"], self.qbo["income"])
		self.assertEqual(config.tax_map["QBO CA Sales Tax 7.25% - QTC"], self.qbo["california"])
		self.assertEqual(self.store.get_config_for_realm(self.realm).company, COMPANY)
		self.assertIsNone(self.store.get_config("No Such Company"))
		self.assertIsNone(self.store.get_config_for_realm("0000"))

	def test_get_doc_is_shaped_like_the_fixtures(self) -> None:
		doc = self.store.get_doc("Customer", CUSTOMER)
		self.assertEqual(doc["doctype"], "Customer")
		self.assertIsInstance(doc["modified"], str)  # dates as strings, as json.dumps(default=str) made them
		self.assertIsNone(self.store.get_doc("Customer", "No such customer " + random_string(6)))

	def test_links_are_unique_per_realm_and_document(self) -> None:
		name = "ACC-SINV-TEST-" + random_string(8)
		link = Link(self.realm, "Sales Invoice", name, "Invoice", request_id="rid-1")
		self.store.save_link(link)
		self.assertEqual(self.store.get_link(self.realm, "Sales Invoice", name).state, "pending")
		link.qbo_id, link.sync_token, link.state = "777", "0", "synced"
		link.remote_total = Decimal("12.34")
		link.pushed = {"DueDate": "2026-12-01"}
		link.last_synced = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
		self.store.save_link(link)
		rows = frappe.get_all("QBO Link", {"reference_name": name}, ["state", "qbo_id", "company"])
		self.assertEqual(len(rows), 1)
		self.assertEqual((rows[0].state, rows[0].qbo_id, rows[0].company), ("Synced", "777", COMPANY))
		back = self.store.find_link(self.realm, "invoice", "777")
		self.assertEqual((back.name, back.state, back.origin), (name, "synced", "push"))
		self.assertEqual(back.remote_total, Decimal("12.34"))
		self.assertEqual(back.pushed, {"DueDate": "2026-12-01"})
		self.assertEqual(back.last_synced, link.last_synced)
		self.assertIsNone(self.store.get_link("other-realm", "Sales Invoice", name))
		# The database refuses a second row for the same document, whoever writes it.
		with self.assertRaises(frappe.UniqueValidationError):
			frappe.get_doc(
				{
					"doctype": "QBO Link",
					"realm_id": self.realm,
					"reference_doctype": "Sales Invoice",
					"reference_name": name,
					"qbo_entity": "Invoice",
					"state": "Pending",
				}
			).insert(ignore_permissions=True, ignore_links=True)
		frappe.db.rollback()

	def test_a_racing_insert_becomes_an_update(self) -> None:
		name = "ACC-SINV-RACE-" + random_string(8)
		self.store.save_link(Link(self.realm, "Sales Invoice", name, "Invoice", request_id="first"))
		real_get_value = frappe.db.get_value
		missed = []

		def racing(*args, **kwargs):
			# The racing worker's existence check misses the row the first worker has just committed.
			if args[:1] == ("QBO Link",) and args[2:3] == ("name",) and not missed:
				missed.append(args)
				return None
			return real_get_value(*args, **kwargs)

		with patch.object(frappe.db, "get_value", side_effect=racing):
			FrappeStore().save_link(Link(self.realm, "Sales Invoice", name, "Invoice", request_id="second"))
		self.assertTrue(missed)
		self.assertEqual(frappe.db.count("QBO Link", {"reference_name": name}), 1)
		self.assertEqual(self.store.get_link(self.realm, "Sales Invoice", name).request_id, "second")

	def test_log_rows_round_trip_and_retry_candidates(self) -> None:
		name = "ACC-SINV-LOG-" + random_string(8)
		now = datetime.now(timezone.utc)
		entry = LogEntry(COMPANY, self.realm, "push", "Sales Invoice", name, started_at=now)
		log_id = self.store.start_log(entry)
		self.assertEqual(frappe.db.get_value("QBO Sync Log", log_id, "status"), "Running")
		self.assertEqual(self.store.get_log(log_id).status, "Started")
		self.store.finish_log(
			log_id,
			LogOutcome(
				"Failed",
				"Sales Invoice x: QuickBooks is down",
				error_code="503",
				retryable=True,
				next_retry_at=now + timedelta(minutes=1),
				request_json=json.dumps({"Line": []}),
				response_json=json.dumps({"Fault": {}}),
			),
		)
		back = self.store.get_log(log_id)
		self.assertEqual((back.status, back.error_code, back.retryable), ("Failed", "503", True))
		self.assertEqual(back.message, "Sales Invoice x: QuickBooks is down")
		self.assertEqual(
			back.next_retry_at.replace(microsecond=0), (now + timedelta(minutes=1)).replace(microsecond=0)
		)
		self.assertEqual(json.loads(frappe.db.get_value("QBO Sync Log", log_id, "request")), {"Line": []})
		mine = lambda when: [e.id for e in self.store.retry_candidates(when) if e.name == name]  # noqa: E731
		self.assertEqual(mine(now), [])  # not due yet
		self.assertEqual(mine(now + timedelta(minutes=2)), [log_id])
		# A later attempt of the same document supersedes the failed one.
		later = self.store.start_log(
			LogEntry(COMPANY, self.realm, "push", "Sales Invoice", name, attempts=2, retry_of=log_id)
		)
		self.store.finish_log(later, LogOutcome("Success", "Created Invoice 1"))
		self.assertEqual(mine(now + timedelta(minutes=2)), [])
		self.assertEqual(self.store.get_log(later).retry_of, log_id)

	def test_retry_candidates_are_only_of_the_realm_a_company_is_connected_to(self) -> None:
		name = "ACC-SINV-LOG-" + random_string(8)
		now = datetime.now(timezone.utc)
		outcome = LogOutcome("Failed", "QuickBooks is down", retryable=True, next_retry_at=now)
		here = self.store.start_log(LogEntry(COMPANY, self.realm, "push", "Sales Invoice", name))
		self.store.finish_log(here, outcome)
		# The same company's row from when it was connected to another QuickBooks company.
		there = self.store.start_log(LogEntry(COMPANY, "9130350000000001", "push", "Sales Invoice", name))
		self.store.finish_log(there, outcome)
		mine = lambda: [e.id for e in self.store.retry_candidates(now) if e.name == name]  # noqa: E731
		self.assertEqual(mine(), [here])
		frappe.db.set_value("QBO Connection", COMPANY, "status", "Reconnect needed")
		try:
			self.assertEqual(mine(), [])  # nothing to retry into until it is reconnected
		finally:
			frappe.db.set_value("QBO Connection", COMPANY, "status", "Connected")
			frappe.db.commit()
		self.assertEqual(mine(), [here])

	def test_pull_entity_rows_name_the_qbo_object(self) -> None:
		qbo_id = random_string(6)
		log_id = self.store.start_log(LogEntry(COMPANY, self.realm, "pull_entity", "Payment", qbo_id))
		self.store.finish_log(log_id, LogOutcome("Failed", "read failed", retryable=True))
		row = frappe.db.get_value(
			"QBO Sync Log", log_id, ["reference_doctype", "qbo_entity", "qbo_id"], as_dict=True
		)
		self.assertEqual((row.reference_doctype, row.qbo_entity, row.qbo_id), (None, "Payment", qbo_id))
		back = self.store.get_log(log_id)
		self.assertEqual((back.doctype, back.name, back.operation), ("Payment", qbo_id, "pull_entity"))

	def test_pull_entity_rows_link_the_erpnext_document_they_made(self) -> None:
		qbo_id = random_string(6)
		log_id = self.store.start_log(LogEntry(COMPANY, self.realm, "pull_entity", "Customer", qbo_id))
		self.store.finish_log(
			log_id,
			LogOutcome(
				"Success",
				f"Created or matched Customer {CUSTOMER}",
				erp_doctype="Customer",
				erp_name=CUSTOMER,
			),
		)
		row = frappe.db.get_value(
			"QBO Sync Log",
			log_id,
			["reference_doctype", "reference_name", "qbo_entity", "qbo_id"],
			as_dict=True,
		)
		self.assertEqual(
			(row.reference_doctype, row.reference_name, row.qbo_entity, row.qbo_id),
			("Customer", CUSTOMER, "Customer", qbo_id),
		)
		back = self.store.get_log(log_id)  # a retry still re-reads the QBO object
		self.assertEqual((back.doctype, back.name), ("Customer", qbo_id))
		self.assertEqual((back.erp_doctype, back.erp_name), ("Customer", CUSTOMER))

	def test_watermarks(self) -> None:
		self.assertIsNone(self.store.get_watermark("no-such-realm"))
		mark = datetime(2026, 11, 21, 10, 30, 15, tzinfo=timezone.utc)
		self.store.set_watermark(self.realm, mark)
		self.assertEqual(self.store.get_watermark(self.realm), mark)
		self.store.set_watermark(self.realm, mark + timedelta(hours=1))
		self.assertEqual(self.store.get_watermark(self.realm), mark + timedelta(hours=1))
		self.assertIsNone(self.store.get_watermark(self.realm, key="other"))

	def test_claim_event_is_atomic_and_releasable(self) -> None:
		key = "realm\x1fPayment\x1f" + random_string(8)
		self.assertTrue(self.store.claim_event(key))
		self.assertFalse(self.store.claim_event(key))
		self.assertFalse(FrappeStore().claim_event(key))
		self.store.release_event(key)
		self.assertTrue(self.store.claim_event(key))

	def test_lock_gives_way_with_a_retryable_error(self) -> None:
		key = f"{self.realm}:Sales Invoice:LOCK-{random_string(6)}"
		with patch.object(store_module, "LOCK_WAIT", 0.2), self.store.lock(key):
			with self.assertRaises(SyncError) as raised, FrappeStore().lock(key):
				pass
		self.assertTrue(raised.exception.retryable)
		with self.store.lock(key):  # released: free again
			pass

	def test_list_unsynced_leaves_out_synced_and_pulled_documents(self) -> None:
		from qbo_connector.qbo_connector.tests.sync_utils import make_invoice

		first = make_invoice([(SERVICE_ITEM, 1, 10)])
		second = make_invoice([(SERVICE_ITEM, 1, 20)])
		cutoff = datetime.now(timezone.utc) + timedelta(seconds=5)
		names = self.store.list_unsynced(COMPANY, "Sales Invoice", cutoff)
		self.assertIn(first.name, names)
		self.assertIn(second.name, names)
		self.store.save_link(
			Link(
				self.realm,
				"Sales Invoice",
				second.name,
				"Invoice",
				qbo_id="9" + random_string(5),
				state="synced",
			)
		)
		names = self.store.list_unsynced(COMPANY, "Sales Invoice", cutoff)
		self.assertIn(first.name, names)
		self.assertNotIn(second.name, names)
		self.assertNotIn(
			first.name, self.store.list_unsynced(COMPANY, "Sales Invoice", cutoff - timedelta(hours=1))
		)
		self.jobs.calls.clear()  # their on_submit pushes are not what this test is about

	def test_upsert_customer_and_item_from_qbo(self) -> None:
		name = f"QBO Pulled {random_string(6)}"
		made = self.store.upsert_customer(
			COMPANY, {"customer_name": name, "customer_type": "Company", "disabled": 0}
		)
		customer = frappe.get_doc("Customer", made)
		self.assertEqual(customer.customer_name, name)
		self.assertTrue(customer.customer_group and customer.territory)
		# Same name again: the existing customer is adopted and updated, not duplicated.
		self.assertEqual(self.store.upsert_customer(COMPANY, {"customer_name": name, "disabled": 1}), made)
		self.assertEqual(frappe.db.get_value("Customer", made, "disabled"), 1)
		code = f"QBO-PULLED-{random_string(6)}"
		item = self.store.upsert_item(
			COMPANY, {"item_code": code, "item_name": "Pulled", "is_stock_item": 0, "standard_rate": 12.5}
		)
		self.assertEqual(item, code)
		row = frappe.db.get_value("Item", code, ["item_group", "stock_uom", "is_stock_item"], as_dict=True)
		self.assertTrue(row.item_group and row.stock_uom)
		self.assertEqual(row.is_stock_item, 0)
		self.assertEqual(self.store.upsert_item(COMPANY, {"disabled": 1}, name=code), code)
		self.assertEqual(frappe.db.get_value("Item", code, "disabled"), 1)
		self.assertEqual(self.jobs.calls, [])  # nothing made from QBO is queued for QBO

	def test_cancel_pulled_payments_is_read_from_the_connection(self) -> None:
		self.assertTrue(self.store.get_config(COMPANY).cancel_pulled_payments)  # on by default
		frappe.db.set_value("QBO Connection", COMPANY, "cancel_pulled_payments", 0)
		try:
			self.assertFalse(self.store.get_config(COMPANY).cancel_pulled_payments)
			self.assertFalse(self.store.get_config_for_realm(self.realm).cancel_pulled_payments)
		finally:
			frappe.db.set_value("QBO Connection", COMPANY, "cancel_pulled_payments", 1)
			frappe.db.commit()

	def test_set_disabled_disables_and_enables_customers_and_items(self) -> None:
		customer = self.store.upsert_customer(
			COMPANY, {"customer_name": f"QBO Retired {random_string(6)}", "disabled": 0}
		)
		code = f"QBO-RETIRED-{random_string(6)}"
		self.store.upsert_item(COMPANY, {"item_code": code, "item_name": "Retired", "is_stock_item": 0})
		for doctype, name in (("Customer", customer), ("Item", code)):
			self.assertTrue(self.store.set_disabled(doctype, name, True))
			self.assertEqual(frappe.db.get_value(doctype, name, "disabled"), 1)
			self.assertFalse(self.store.set_disabled(doctype, name, True))  # no change, no save
			self.assertTrue(self.store.set_disabled(doctype, name, False))
			self.assertEqual(frappe.db.get_value(doctype, name, "disabled"), 0)
		self.assertFalse(self.store.set_disabled("Customer", "No such customer " + random_string(6), True))
		self.assertEqual(self.jobs.calls, [])  # nothing is sent back to QBO

	def test_cancel_payment_entry_made_from_qbo(self) -> None:
		from frappe.utils import flt, nowdate

		from qbo_connector.qbo_connector.tests.sync_utils import BANK_ACCOUNT, make_invoice

		invoice = make_invoice([(SERVICE_ITEM, 1, 80)])
		self.jobs.calls.clear()  # its on_submit push is not what this test is about
		qbo_id = "9" + random_string(6)
		name = self.store.create_payment_entry(
			COMPANY,
			{
				"party": CUSTOMER,
				"posting_date": nowdate(),
				"paid_amount": 30,
				"received_amount": 30,
				"paid_to": BANK_ACCOUNT,
				"reference_no": f"QBO Payment {qbo_id}",
				"references": [
					{
						"reference_doctype": "Sales Invoice",
						"reference_name": invoice.name,
						"allocated_amount": 30,
					}
				],
			},
			qbo_id,
		)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 50)
		message = f"Cancelled because QuickBooks payment {qbo_id} was voided in QuickBooks."
		self.assertTrue(self.store.cancel_payment_entry(name, "voided", message))
		self.assertEqual(frappe.db.get_value("Payment Entry", name, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Payment Entry", name, "qbo_status"), "Voided")
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")), 80)
		comments = frappe.get_all(
			"Comment", {"reference_doctype": "Payment Entry", "reference_name": name}, pluck="content"
		)
		self.assertTrue(any(qbo_id in (c or "") for c in comments))
		self.assertFalse(self.store.cancel_payment_entry(name, "voided", message))  # already cancelled
		self.assertFalse(self.store.cancel_payment_entry("ACC-PAY-NONE-" + random_string(6), "voided", "x"))
		self.assertEqual(self.jobs.calls, [])  # the cancel is not sent to QBO as a void
