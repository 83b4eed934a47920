"""Identity on a real site: two Customers with one customer_name each get their own QBO customer and their
own invoices (the second used to fail for ever with "Unexpected error" on QBO Link's unique key); a link
that would give one QBO object a second ERPNext record is refused with a sentence naming both; the
"Check Duplicate Links" function finds QBO objects linked to several records."""

from __future__ import annotations

import random
from typing import Any
from unittest.mock import patch

import frappe
from frappe.utils import add_days, nowdate, random_string

from qbo_connector.qbo_connector.api import check_duplicate_links
from qbo_connector.qbo_connector.store import FrappeStore
from qbo_connector.qbo_connector.tests.sync_utils import (
	COMPANY,
	INCOME_ACCOUNT,
	SERVICE_ITEM,
	SyncTestCase,
)
from qbo_connector.qbo_connector.tests.utils import make_user
from qbo_connector.sync.outcome import LINK_CONFLICT_CODE, LinkConflictError
from qbo_connector.sync.store import Link

LINK = "QBO Link"
LOG = "QBO Sync Log"


def make_customer(customer_name: str) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": customer_name,
			"customer_type": "Individual",
			"customer_group": "Commercial",
			"territory": "United States",
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def make_invoice_for(customer: str, rate: float) -> Any:
	"""A submitted Sales Invoice of QBO Test Co for one customer, as the desk makes one."""
	si = frappe.new_doc("Sales Invoice")
	si.company = COMPANY
	si.customer = customer
	si.posting_date = nowdate()
	si.due_date = add_days(nowdate(), 30)
	si.currency = "USD"
	si.conversion_rate = 1
	si.append("items", {"item_code": SERVICE_ITEM, "qty": 1, "rate": rate, "income_account": INCOME_ACCOUNT})
	si.set_missing_values()
	si.insert(ignore_permissions=True)
	si.submit()
	frappe.db.commit()
	return si


def blind_once() -> Any:
	"""FrappeStore._refuse_taken_qbo_object that lets the first call pass, as if the other worker's link
	were committed just after it: then only QBO Link's unique key stands in the way."""
	real = FrappeStore._refuse_taken_qbo_object
	calls: list[Link] = []

	def check(link: Link) -> None:
		calls.append(link)
		if len(calls) > 1:
			real(link)

	return check


class TestIdentity(SyncTestCase):
	# A QBO company of its own: the other sync test classes share TEST_REALM, each with a fresh emulator
	# whose ids restart at 1, so links left here would name their customers (a real realm never reuses ids).
	emulator_options = {
		"limits_enabled": False,
		"realm_id": "913035775" + str(random.randint(10**6, 10**7 - 1)),
	}

	def setUp(self) -> None:
		super().setUp()
		self.realm = frappe.db.get_value("QBO Connection", COMPANY, "realm_id")
		self.store = FrappeStore()
		self.person = f"QBO John Smith {random_string(6)}"  # one name, two ERPNext customers
		self.first = make_customer(self.person)
		self.second = make_customer(self.person)
		self.assertNotEqual(self.first, self.second)

	def tearDown(self) -> None:
		frappe.set_user("Administrator")
		super().tearDown()

	def last_push_log(self, invoice: str) -> Any:
		return frappe.get_all(
			LOG,
			filters={"reference_doctype": "Sales Invoice", "reference_name": invoice, "operation": "push"},
			fields=["name", "status", "message", "error_code", "retryable"],
			order_by="creation desc",
			limit=1,
		)[0]

	def qbo_customer_of(self, invoice: str) -> dict[str, Any]:
		link = self.link_of("Sales Invoice", invoice)
		return self.qbo_object("Customer", self.qbo_object("Invoice", link.qbo_id)["CustomerRef"]["value"])

	def test_two_customers_of_one_name_get_two_qbo_customers_and_their_own_invoices(self) -> None:
		one = make_invoice_for(self.first, 110)
		two = make_invoice_for(self.second, 220)
		self.assertEqual(self.push(one).state, "Synced")
		link = self.push(two)  # used to end "Unexpected error" (UniqueValidationError on qbo_key)
		self.assertEqual(link.state, "Synced", self.last_push_log(two.name).message)

		first_link = self.link_of("Customer", self.first)
		second_link = self.link_of("Customer", self.second)
		self.assertNotEqual(first_link.qbo_id, second_link.qbo_id)
		self.assertEqual(self.qbo_customer_of(one.name)["Id"], first_link.qbo_id)
		self.assertEqual(self.qbo_customer_of(two.name)["Id"], second_link.qbo_id)
		self.assertEqual(self.qbo_customer_of(one.name)["DisplayName"], self.person)
		self.assertEqual(self.qbo_customer_of(two.name)["DisplayName"], f"{self.person} ({self.second})")
		log = self.last_push_log(two.name)
		self.assertEqual(log.status, "Success", log.message)
		self.assertIn(
			f"'{self.person}' is QuickBooks Customer {first_link.qbo_id}, linked to Customer", log.message
		)
		self.assertEqual(check_duplicate_links(COMPANY), [])

	def test_an_unlinked_qbo_customer_of_the_name_is_adopted_and_the_log_says_so(self) -> None:
		existing = self.emu.add_customer(self.person)
		one = make_invoice_for(self.first, 120)
		self.assertEqual(self.push(one).state, "Synced")
		self.assertEqual(self.link_of("Customer", self.first).qbo_id, existing["Id"])
		self.assertIn(
			f"Adopted existing QuickBooks Customer {existing['Id']} '{self.person}' for Customer {self.first}",
			self.last_push_log(one.name).message,
		)
		two = make_invoice_for(self.second, 130)
		self.assertEqual(self.push(two).state, "Synced")
		self.assertNotEqual(self.link_of("Customer", self.second).qbo_id, existing["Id"])

	def test_a_race_for_one_qbo_customer_ends_in_a_clear_retryable_failure(self) -> None:
		"""The second worker does not see the first one's link yet: QBO Link's unique key stops it, and the
		log row names both customers and the QBO customer instead of 'Unexpected error'."""
		existing = self.emu.add_customer(self.person)
		one = make_invoice_for(self.first, 140)
		self.assertEqual(self.push(one).state, "Synced")
		two = make_invoice_for(self.second, 150)
		with patch.object(FrappeStore, "find_link", return_value=None):
			self.push(two)
		log = self.last_push_log(two.name)
		self.assertEqual((log.status, log.error_code, log.retryable), ("Failed", LINK_CONFLICT_CODE, 1))
		self.assertIn(
			f"Customer {self.second} cannot be linked to QuickBooks Customer {existing['Id']}: that QuickBooks "
			f"record is already linked to Customer {self.first}",
			log.message,
		)
		self.assertNotIn("Unexpected", log.message)
		self.assertEqual(self.link_of("Customer", self.first).qbo_id, existing["Id"])  # untouched
		self.assertIsNone(self.link_of("Customer", self.second))
		# the retry (as the scheduler or the Retry button runs it) gives it a QBO customer of its own
		self.assertEqual(self.push(two).state, "Synced")
		self.assertEqual(self.qbo_customer_of(two.name)["DisplayName"], f"{self.person} ({self.second})")

	def test_save_link_refuses_a_second_record_on_one_qbo_object(self) -> None:
		qbo_id = "9" + random_string(8).lower()
		self.store.save_link(
			Link(self.realm, "Customer", self.first, "Customer", qbo_id=qbo_id, state="synced")
		)
		taken = Link(self.realm, "Customer", self.second, "Customer", qbo_id=qbo_id, state="synced")
		with self.assertRaises(LinkConflictError) as caught:
			self.store.save_link(taken)
		message = caught.exception.message
		self.assertIn(f"Customer {self.second} cannot be linked to QuickBooks Customer {qbo_id}", message)
		self.assertIn(f"already linked to Customer {self.first}", message)
		self.assertIsNone(self.store.get_link(self.realm, "Customer", self.second))
		# the same when the database's unique key is what notices (another worker won between the check and
		# the insert): the first check is blind, the one after the refused insert is real
		# and on update: a pending link of the second customer may not take the first one's QBO id
		for pending_first in (False, True):
			if pending_first:
				self.store.save_link(Link(self.realm, "Customer", self.second, "Customer"))
			with patch.object(FrappeStore, "_refuse_taken_qbo_object", side_effect=blind_once()) as check:
				with self.assertRaises(LinkConflictError) as caught:
					self.store.save_link(taken)
			self.assertEqual(check.call_count, 2)
			self.assertIn(f"already linked to Customer {self.first}", caught.exception.message)
			after = self.store.get_link(self.realm, "Customer", self.second)
			self.assertIsNone(after.qbo_id if pending_first else after)

	def test_check_duplicate_links_lists_a_qbo_object_linked_to_two_records(self) -> None:
		qbo_id = "8" + random_string(8).lower()
		self.store.save_link(
			Link(self.realm, "Customer", self.first, "Customer", qbo_id=qbo_id, state="synced")
		)
		other = Link(self.realm, "Customer", self.second, "Customer", qbo_id=qbo_id + "x", state="synced")
		self.store.save_link(other)
		self.assertEqual(check_duplicate_links(COMPANY), [])
		# QBO Link's unique key sees only what validate() computed: a row changed behind it (set_value, a
		# script, an import) can still point a second record at the QBO object, and the check finds it.
		row = frappe.db.get_value(LINK, {"reference_doctype": "Customer", "reference_name": self.second})
		frappe.db.set_value(LINK, row, "qbo_id", qbo_id, update_modified=False)
		frappe.db.commit()
		self.addCleanup(lambda: (frappe.db.delete(LINK, {"name": row}), frappe.db.commit()))
		found = check_duplicate_links(COMPANY)
		self.assertEqual(len(found), 1)
		self.assertEqual(
			(found[0]["realm_id"], found[0]["qbo_entity"], found[0]["qbo_id"]),
			(self.realm, "Customer", qbo_id),
		)
		self.assertEqual(
			sorted(record["name"] for record in found[0]["records"]), sorted([self.first, self.second])
		)
		self.assertIn(f"Customer {self.first}", found[0]["message"])
		self.assertIn(f"Customer {self.second}", found[0]["message"])
		self.assertTrue(any(d["qbo_id"] == qbo_id for d in check_duplicate_links()))  # every QBO company

		# an Accounts Manager may run the check, an Accounts User may not
		manager = make_user("qbo-id-am@example.com", ["Accounts Manager", "Accounts User"])
		user = make_user("qbo-id-au@example.com", ["Accounts User"])
		frappe.set_user(manager)
		self.assertEqual(len(check_duplicate_links(COMPANY)), 1)
		frappe.set_user(user)
		with self.assertRaises(frappe.PermissionError):
			check_duplicate_links(COMPANY)
