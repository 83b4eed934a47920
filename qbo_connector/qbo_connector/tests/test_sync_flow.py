"""The main paths on a real site against the emulator: submit -> queued job -> QBO invoice with the same
total (tax and an additional discount included), cancel -> voided, a Payment Entry closes the QBO balance,
a QBO payment of half an invoice comes back as a Payment Entry (pull and webhook, duplicates harmless),
bad signatures are refused, and a submit while QBO is down succeeds and leaves a retryable Failed row."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import frappe
from frappe.utils import flt
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from qbo_connector.qbo.webhooks import sign
from qbo_connector.qbo_connector import tasks
from qbo_connector.qbo_connector.store import payment_key
from qbo_connector.qbo_connector.tasks import CANCEL_JOB, PUSH_JOB, WEBHOOK_JOB, push_job_id
from qbo_connector.qbo_connector.tests.sync_utils import (
	COMPANY,
	PRODUCT_ITEM,
	SERVICE_ITEM,
	SyncTestCase,
	make_invoice,
	make_payment,
)
from qbo_connector.qbo_connector.tests.utils import WEBHOOK_VERIFIER


def post_webhook(body: bytes, signature: str | None) -> tuple[int, Any]:
	"""Call the endpoint as Intuit would: a guest POST with the raw body and its signature header."""
	from qbo_connector.qbo_connector.webhook import receive

	headers = {"Content-Type": "application/json"}
	if signature is not None:
		headers["intuit-signature"] = signature
	environ = EnvironBuilder(method="POST", data=body, headers=headers).get_environ()
	frappe.local.request = Request(environ)
	frappe.local.request_ip = "127.0.0.1"
	frappe.local.response = frappe._dict()
	user = frappe.session.user
	frappe.set_user("Guest")
	try:
		answer = receive(**json.loads(body) if body.startswith(b"{") else {})
	finally:
		frappe.set_user(user)
	status = frappe.local.response.pop("http_status_code", 200)
	frappe.db.commit()  # what Frappe does after a POST
	return status, answer


class TestSyncFlow(SyncTestCase):
	def submit_and_push(self, invoice: Any) -> Any:
		"""The submit enqueued exactly the push job; run it as the worker would."""
		self.assertIn((PUSH_JOB, push_job_id("Sales Invoice", invoice.name)), self._queued())
		self.jobs.run()
		return self.link_of("Sales Invoice", invoice.name)

	def _queued(self) -> list[tuple[str, str | None]]:
		return list(zip(self.jobs.methods(), self.jobs.job_ids(), strict=True))

	def test_submit_queues_one_deduplicated_job_after_commit(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 1, 75)])
		self.assertEqual(len(self.jobs.calls), 1)
		method, kwargs, options = self.jobs.calls[0]
		self.assertEqual(method, PUSH_JOB)
		self.assertEqual(kwargs, {"doctype": "Sales Invoice", "name": invoice.name})
		self.assertEqual(options["job_id"], f"qbo-push::Sales Invoice::{invoice.name}")
		self.assertTrue(options["deduplicate"] and options["enqueue_after_commit"])
		self.assertEqual(options["queue"], "default")
		link = self.submit_and_push(invoice)
		self.assertEqual((link.qbo_entity, link.state), ("Invoice", "Synced"))
		self.assertEqual(flt(self.qbo_object("Invoice", link.qbo_id)["TotalAmt"]), flt(invoice.grand_total))
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "qbo_status"), "Synced")

	def test_invoice_with_tax_and_additional_discount_has_the_same_total(self) -> None:
		for apply_on in ("Grand Total", "Net Total"):
			with self.subTest(apply_discount_on=apply_on):
				invoice = make_invoice(
					[(SERVICE_ITEM, 3, 120), (PRODUCT_ITEM, 1, 45.5)],
					taxes=True,
					discount_percentage=10,
					apply_discount_on=apply_on,
				)
				self.assertGreater(invoice.total_taxes_and_charges, 0)
				self.assertGreater(invoice.discount_amount, 0)
				started = time.monotonic()
				link = self.submit_and_push(invoice)
				elapsed = time.monotonic() - started
				obj = self.qbo_object("Invoice", link.qbo_id)
				self.assertEqual(
					Decimal(str(obj["TotalAmt"])), Decimal(str(invoice.rounded_total or invoice.grand_total))
				)
				self.assertTrue(any(line.get("DetailType") == "DiscountLineDetail" for line in obj["Line"]))
				self.assertGreater(flt((obj.get("TxnTaxDetail") or {}).get("TotalTax")), 0)
				self.assertLess(elapsed, 10)
				log = frappe.get_last_doc(
					"QBO Sync Log", {"reference_name": invoice.name, "operation": "push"}
				)
				self.assertEqual(log.status, "Success", log.message)

	def test_cancel_voids_the_qbo_invoice(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 2, 50)], taxes=True)
		link = self.submit_and_push(invoice)
		invoice.reload()
		invoice.cancel()
		frappe.db.commit()
		self.assertEqual(self._queued(), [(CANCEL_JOB, f"qbo-cancel::Sales Invoice::{invoice.name}")])
		self.jobs.run()
		obj = self.qbo_object("Invoice", link.qbo_id)
		self.assertEqual(flt(obj["TotalAmt"]), 0)
		self.assertIn("Voided", obj.get("PrivateNote") or "")
		self.assertEqual(self.link_of("Sales Invoice", invoice.name).state, "Voided")
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "docstatus"), 2)

	def test_payment_entry_push_brings_the_qbo_balance_to_zero(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 4, 61.25)], taxes=True)
		link = self.submit_and_push(invoice)
		self.assertEqual(flt(self.qbo_object("Invoice", link.qbo_id)["Balance"]), flt(invoice.grand_total))
		payment = make_payment(invoice.name)
		self.assertEqual(self._queued(), [(PUSH_JOB, f"qbo-push::Payment Entry::{payment.name}")])
		self.jobs.run()
		pay_link = self.link_of("Payment Entry", payment.name)
		self.assertEqual((pay_link.qbo_entity, pay_link.state), ("Payment", "Synced"))
		self.assertEqual(
			flt(self.qbo_object("Payment", pay_link.qbo_id)["TotalAmt"]), flt(invoice.grand_total)
		)
		self.assertEqual(flt(self.qbo_object("Invoice", link.qbo_id)["Balance"]), 0)

	def _half_paid_in_qbo(self) -> tuple[Any, Any, dict[str, Any]]:
		invoice = make_invoice([(SERVICE_ITEM, 2, 100)])
		link = self.submit_and_push(invoice)
		half = flt(invoice.grand_total) / 2
		payment = self.emu.record_payment(invoice_id=link.qbo_id, amount=half)
		return invoice, link, payment

	def _assert_half_paid(self, invoice: Any, payment: dict[str, Any]) -> str:
		key = payment_key(self.emu.realm_id, payment["Id"])
		entries = frappe.get_all(
			"Payment Entry", {"qbo_payment_id": key}, ["name", "docstatus", "paid_amount"]
		)
		self.assertEqual(len(entries), 1)
		self.assertEqual(entries[0].docstatus, 1)
		self.assertEqual(flt(entries[0].paid_amount), flt(invoice.grand_total) / 2)
		row = frappe.db.get_value(
			"Sales Invoice", invoice.name, ["outstanding_amount", "status"], as_dict=True
		)
		self.assertEqual(flt(row.outstanding_amount), flt(invoice.grand_total) / 2)
		self.assertEqual(row.status, "Partly Paid")
		link = self.link_of("Payment Entry", entries[0].name)
		self.assertEqual((link.origin, link.qbo_id), ("Pull", str(payment["Id"])))
		return entries[0].name

	def test_qbo_payment_of_half_becomes_a_payment_entry_on_pull(self) -> None:
		invoice, _link, payment = self._half_paid_in_qbo()
		result = tasks.pull_connection(COMPANY)
		self.assertIn(result["status"], ("Success", "Warning"), result["message"])
		entry = self._assert_half_paid(invoice, payment)
		self.assertEqual(self.jobs.calls, [])  # the entry made from QBO is not pushed back
		# Its log row links the Payment Entry, so the log filters by it; qbo_entity/qbo_id name the payment.
		row = frappe.db.get_value(
			"QBO Sync Log",
			{"operation": "pull_entity", "reference_doctype": "Payment Entry", "reference_name": entry},
			["qbo_entity", "qbo_id"],
			as_dict=True,
		)
		self.assertEqual((row.qbo_entity, row.qbo_id), ("Payment", str(payment["Id"])))
		# Pulling again changes nothing: no second entry.
		tasks.pull_connection(COMPANY)
		self.assertEqual(self._assert_half_paid(invoice, payment), entry)

	def test_qbo_payment_voided_after_the_pull_cancels_its_payment_entry(self) -> None:
		invoice, _link, payment = self._half_paid_in_qbo()
		tasks.pull_connection(COMPANY)
		entry = self._assert_half_paid(invoice, payment)
		self.emu.void_payment(payment["Id"])
		result = tasks.pull_connection(COMPANY)
		self.assertEqual(result["status"], "Success", result["message"])
		self.assertEqual(frappe.db.get_value("Payment Entry", entry, "docstatus"), 2)
		self.assertEqual(
			flt(frappe.db.get_value("Sales Invoice", invoice.name, "outstanding_amount")),
			flt(invoice.grand_total),
		)
		self.assertEqual(self.link_of("Payment Entry", entry).state, "Voided")
		message = frappe.db.get_value(
			"QBO Sync Log",
			{
				"operation": "pull_entity",
				"reference_name": entry,
				"status": "Success",
				"qbo_id": payment["Id"],
			},
			"message",
			order_by="creation desc",
		)
		self.assertIn(f"Payment Entry {entry} cancelled", message)
		self.assertEqual(self.jobs.calls, [])  # the cancel made from QBO is not sent back as a void

	def test_duplicate_webhook_is_harmless(self) -> None:
		invoice, link, payment = self._half_paid_in_qbo()
		body = json.dumps(
			{
				"eventNotifications": [
					{
						"realmId": self.emu.realm_id,
						"dataChangeEvent": {
							"entities": [
								{
									"name": "Payment",
									"id": str(payment["Id"]),
									"operation": "Create",
									"lastUpdated": payment["MetaData"]["LastUpdatedTime"],
								},
								{
									"name": "Invoice",
									"id": link.qbo_id,
									"operation": "Update",
									"lastUpdated": payment["MetaData"]["LastUpdatedTime"],
								},
							]
						},
					}
				]
			}
		).encode()
		signature = sign(body, WEBHOOK_VERIFIER)
		started = time.monotonic()
		first = post_webhook(body, signature)
		answer_seconds = time.monotonic() - started
		second = post_webhook(body, signature)
		self.assertEqual(first, (200, {"ok": True, "events": 2}))
		self.assertEqual(second, (200, {"ok": True, "events": 2}))
		self.assertLess(answer_seconds, 3)
		self.assertEqual(self.jobs.methods(), [WEBHOOK_JOB, WEBHOOK_JOB])
		self.assertEqual(len(set(self.jobs.job_ids())), 1)  # same body, same job id: deduplicated
		self.jobs.run()  # both copies run (as if the second arrived after the first finished)
		self._assert_half_paid(invoice, payment)
		log = frappe.get_last_doc("QBO Sync Log", {"direction": "Webhook", "status": ("!=", "Failed")})
		self.assertIn(log.status, ("Success", "Warning"))

	def test_redelivery_while_the_first_copy_waits_is_not_queued_twice(self) -> None:
		body = json.dumps(
			{
				"eventNotifications": [
					{
						"realmId": self.emu.realm_id,
						"dataChangeEvent": {
							"entities": [
								{
									"name": "Customer",
									"id": "1",
									"operation": "Update",
									"lastUpdated": "2026-11-21T06:00:00Z",
								}
							]
						},
					}
				]
			}
		).encode()
		with patch("qbo_connector.qbo_connector.webhook.is_job_enqueued", return_value=True):
			status, answer = post_webhook(body, sign(body, WEBHOOK_VERIFIER))
		self.assertEqual((status, answer["ok"]), (200, True))
		self.assertEqual(self.jobs.calls, [])
		row = frappe.get_last_doc("QBO Sync Log", {"direction": "Webhook"})
		self.assertEqual(row.status, "Skipped")  # not left "Queued" for a job that will never close it

	def test_bad_signature_is_refused_with_a_log_row(self) -> None:
		body = b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": []}}]}'
		before = frappe.db.count("QBO Sync Log", {"direction": "Webhook", "status": "Failed"})
		for signature in (None, "bm90IGEgc2lnbmF0dXJl", sign(body, "some other verifier")):
			with self.subTest(signature=signature):
				status, answer = post_webhook(body, signature)
				self.assertEqual((status, answer), (401, {"ok": False}))
		self.assertEqual(
			frappe.db.count("QBO Sync Log", {"direction": "Webhook", "status": "Failed"}), before + 3
		)
		row = frappe.get_last_doc("QBO Sync Log", {"direction": "Webhook", "status": "Failed"})
		self.assertEqual(row.error_code, "BAD_SIGNATURE")
		self.assertNotIn("eventNotifications", row.request or "")  # an untrusted body is not stored
		self.assertEqual(self.jobs.calls, [])

	def test_submit_while_qbo_is_down_succeeds_and_fails_retryably_later(self) -> None:
		settings = frappe.get_single("QBO Settings")
		good = settings.api_base_url
		settings.api_base_url = "http://127.0.0.1:9/v3"  # nothing listens there
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		try:
			invoice = make_invoice([(SERVICE_ITEM, 1, 99)])  # must not raise
			self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "docstatus"), 1)
			real = tasks.client_for_realm

			def quick(realm_id: str):
				client = real(realm_id)
				client.sleep = lambda seconds: None  # the client's backoff, without the wait
				return client

			with patch.object(tasks, "client_for_realm", side_effect=quick):
				self.jobs.run()
		finally:
			settings.reload()
			settings.api_base_url = good
			settings.save(ignore_permissions=True)
			frappe.db.commit()
		log = frappe.get_last_doc("QBO Sync Log", {"reference_name": invoice.name, "operation": "push"})
		self.assertEqual(log.status, "Failed")
		self.assertTrue(log.retryable)
		self.assertTrue(log.next_retry_at)
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "qbo_status"), "Failed")
		# QBO is back: the scheduler's retry sends it.
		frappe.db.set_value("QBO Sync Log", log.name, "next_retry_at", frappe.utils.add_days(None, -1))
		frappe.db.commit()
		tasks.retry_due()
		link = self.link_of("Sales Invoice", invoice.name)
		self.assertEqual(link.state, "Synced")
		self.assertEqual(flt(self.qbo_object("Invoice", link.qbo_id)["TotalAmt"]), flt(invoice.grand_total))

	def test_due_date_change_is_sent_as_an_update(self) -> None:
		# Stock ERPNext locks the due date on submit; sites that allow changing it (Customize Form) get
		# the change sent as a sparse update.
		from frappe.custom.doctype.property_setter.property_setter import make_property_setter

		make_property_setter("Sales Invoice", "due_date", "allow_on_submit", 1, "Check")
		self.addCleanup(self._lock_due_date)
		invoice = make_invoice([(SERVICE_ITEM, 1, 40)])
		link = self.submit_and_push(invoice)
		invoice.reload()
		invoice.due_date = frappe.utils.add_days(invoice.due_date, 10)
		invoice.save()  # allowed after submit: on_update_after_submit
		frappe.db.commit()
		self.assertEqual(self._queued(), [(PUSH_JOB, push_job_id("Sales Invoice", invoice.name))])
		self.jobs.run()
		self.assertEqual(self.qbo_object("Invoice", link.qbo_id)["DueDate"], str(invoice.due_date))

	@staticmethod
	def _lock_due_date() -> None:
		frappe.db.delete(
			"Property Setter",
			{"doc_type": "Sales Invoice", "field_name": "due_date", "property": "allow_on_submit"},
		)
		frappe.clear_cache(doctype="Sales Invoice")
		frappe.db.commit()

	def test_push_now_and_sync_buttons_queue_and_check_roles(self) -> None:
		from qbo_connector.qbo_connector import api
		from qbo_connector.qbo_connector.tests.utils import make_user

		invoice = make_invoice([(SERVICE_ITEM, 1, 11)])
		self.jobs.calls.clear()
		self.assertEqual(api.push_now("Sales Invoice", invoice.name)["queued"], True)
		self.assertEqual(self._queued(), [(PUSH_JOB, push_job_id("Sales Invoice", invoice.name))])
		self.jobs.calls.clear()
		answer = api.push_selected("Sales Invoice", json.dumps([invoice.name, "NO-SUCH-INVOICE"]))
		self.assertEqual((answer["queued"], answer["skipped"]), (1, ["NO-SUCH-INVOICE"]))
		self.assertEqual(self.jobs.methods(), [tasks.PUSH_MANY_JOB])
		summary = self.jobs.run()[0]
		self.assertEqual(summary["total"], 1)
		self.assertEqual(self.link_of("Sales Invoice", invoice.name).state, "Synced")
		# Sync Now: a pull, then what is not in QuickBooks yet. Each test class has a QuickBooks company of its
		# own, so every invoice earlier runs left on this site is "not in QuickBooks yet" for it too: the look-up
		# is real, and only its answer is narrowed to this test's invoices, or the test would send them all.
		waiting = make_invoice([(SERVICE_ITEM, 1, 12)])
		from qbo_connector.qbo_connector.store import FrappeStore

		real_list_unsynced = FrappeStore.list_unsynced
		found: list[str] = []

		def only_this_tests(store, company, doctype, *args, **kwargs):
			names = real_list_unsynced(store, company, doctype, *args, **kwargs)
			found.extend(names)
			return [n for n in names if n in (invoice.name, waiting.name)]

		self.jobs.calls.clear()
		self.assertEqual(api.sync_now(COMPANY)["key"], f"qbo-sync::{COMPANY}")
		with patch.object(FrappeStore, "list_unsynced", only_this_tests):
			result = self.jobs.run()[0]
		self.assertIn("Pulled", result["message"])
		self.assertIn(waiting.name, found)
		self.assertNotIn(invoice.name, found)  # already in QuickBooks
		self.assertEqual(result["pushed"], 1)
		self.assertEqual(self.link_of("Sales Invoice", waiting.name).state, "Synced")
		clerk = make_user("qbo-sync-clerk@example.com", ["Accounts User"])
		frappe.set_user(clerk)
		try:
			with self.assertRaises(frappe.PermissionError):
				api.push_now("Sales Invoice", invoice.name)
			with self.assertRaises(frappe.PermissionError):
				api.resync_all(COMPANY)
		finally:
			frappe.set_user("Administrator")
