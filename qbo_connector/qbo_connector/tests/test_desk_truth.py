"""Issue 13 in a real site: what the desk shows about a document is what the log knows, told at once.

The browser tier (tests/browser) checks the screen; these check the server side of it: the states a form
is given (with the QuickBooks number, not the internal id), the realtime message and the timeline line when
a log row closes, documents that could not be queued (logged Waiting, sent when the connection is usable
again), which rows are current (Later Attempt), retry sentences that are true when read, the workspace's
numbers, map checks that compare rates, and a reconnect to another QuickBooks company.
"""

from __future__ import annotations

from decimal import Decimal
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, now_datetime

from qbo_connector.mapping.context import TaxCodeInfo, tax_codes_from_json
from qbo_connector.qbo_connector import overview
from qbo_connector.qbo_connector.checks import (
	check_tax_code,
	compare_tax_rates,
	erpnext_template_rate,
	validate_account_map,
	validate_tax_map,
)
from qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log import describe_retry, make_log
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.status import DOCUMENT_EVENT, document_states, retry_note
from qbo_connector.qbo_connector.tests.sync_utils import (
	COMPANY,
	INCOME_ACCOUNT,
	SERVICE_ITEM,
	TAX_TEMPLATE,
	SyncTestCase,
	make_invoice,
	make_payment,
	qbo_id_by_name,
)
from qbo_connector.qbo_connector.tests.test_never_silently_wrong import (
	SIX_TEMPLATE,
	ensure_six_percent_template,
)
from qbo_connector.qbo_connector.tests.utils import TestCase

LOG = "QBO Sync Log"


def info_lines(doctype: str, name: str) -> list[str]:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": doctype, "reference_name": name, "comment_type": "Info"},
		pluck="content",
		order_by="creation asc",
	)


def rows_of(doctype: str, name: str) -> list:
	return frappe.get_all(
		LOG,
		filters={"reference_doctype": doctype, "reference_name": name},
		fields=["name", "status", "operation", "message", "later_attempt", "retry_of", "qbo_name"],
		order_by="creation asc",
	)


class TestFormStates(SyncTestCase):
	def published(self, calls) -> list[dict]:
		return [c.args[1] for c in calls if c.args and c.args[0] == DOCUMENT_EVENT]

	def test_a_sent_invoice_shows_its_quickbooks_number_live_and_once_in_the_timeline(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 2, 60)])
		with patch("frappe.publish_realtime") as publish:
			self.jobs.run()
		link = self.link_of("Sales Invoice", invoice.name)
		number = self.qbo_object("Invoice", link.qbo_id)["DocNumber"]
		[state] = document_states("Sales Invoice", invoice.name)
		self.assertEqual((state["state"], state["color"]), ("in_qbo", "green"))
		self.assertEqual(state["reference"], f"Invoice {number}")  # the number a person knows, not the id
		self.assertTrue(state["url"].endswith(f"txnId={link.qbo_id}"))
		self.assertEqual(
			frappe.db.get_value("QBO Link", {"reference_name": invoice.name}, "qbo_name"), number
		)
		self.assertEqual(rows_of("Sales Invoice", invoice.name)[-1].qbo_name, number)
		# the open form was told when the row closed, with the state it now shows
		events = [e for e in self.published(publish.call_args_list) if e["name"] == invoice.name]
		self.assertTrue(events, "nothing was published for the open form")
		self.assertEqual(events[-1]["states"][0]["state"], "in_qbo")
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "qbo_status"), "Synced")
		lines = info_lines("Sales Invoice", invoice.name)
		self.assertEqual(len(lines), 1, lines)
		self.assertIn(f"In QuickBooks as Invoice {number}", lines[0])
		# the customer made on the way shows its QuickBooks name too
		[customer] = document_states("Customer", invoice.customer)
		self.assertTrue(customer["reference"].startswith("Customer '"), customer)
		# sent again with nothing changed: nothing new for the timeline
		self.push(invoice)
		self.assertEqual(len(info_lines("Sales Invoice", invoice.name)), 1)

	def test_a_refused_invoice_is_failed_with_why_and_when_it_is_retried(self) -> None:
		ensure_six_percent_template()
		invoice = make_invoice([(SERVICE_ITEM, 2, 150)], submit=False)
		invoice.taxes_and_charges = SIX_TEMPLATE
		invoice.set("taxes", [])
		invoice.append_taxes_from_master()
		invoice.calculate_taxes_and_totals()
		invoice.save(ignore_permissions=True)
		invoice.submit()
		frappe.db.commit()
		self.jobs.run()
		[state] = document_states("Sales Invoice", invoice.name)
		self.assertEqual((state["state"], state["color"], state["retry"]), ("failed", "red", "waits_for_fix"))
		self.assertIn(SIX_TEMPLATE, state["message"])
		self.assertFalse(state["message"].startswith("Sales Invoice"), "the form already names the document")
		self.assertIn("Not retried until", state["retry_note"])
		self.assertTrue(state["can_retry"] and state["log"])
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "qbo_status"), "Failed")
		self.assertIn("QuickBooks: Failed", info_lines("Sales Invoice", invoice.name)[-1])
		# the same failure again (a retry before the fix) adds no second line
		from qbo_connector.qbo_connector.tasks import retry_log

		retry_log(state["log"])
		self.assertEqual(len(info_lines("Sales Invoice", invoice.name)), 1)
		first, second = rows_of("Sales Invoice", invoice.name)
		self.assertEqual(first.later_attempt, second.name)  # the first is history now
		self.assertEqual(document_states("Sales Invoice", invoice.name)[0]["log"], second.name)

	def test_submitted_while_disconnected_waits_and_is_sent_when_connected_again(self) -> None:
		frappe.db.set_value(CONNECTION, COMPANY, "status", "Not connected")
		frappe.db.commit()
		try:
			frappe.clear_messages()
			invoice = make_invoice([(SERVICE_ITEM, 1, 45)])
			self.assertEqual(self.jobs.calls, [], "nothing may be queued for a disconnected company")
			[row] = rows_of("Sales Invoice", invoice.name)
			self.assertEqual((row.status, row.operation), ("Waiting", "push"))
			self.assertIn(f"{COMPANY} is not connected to QuickBooks", row.message)
			[state] = document_states("Sales Invoice", invoice.name)
			self.assertEqual((state["state"], state["message"]), ("waiting", row.message))
			self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "qbo_status"), "Waiting")
			alerts = [m for m in frappe.get_message_log() if "is not connected" in (m.get("message") or "")]
			self.assertTrue(alerts and alerts[0].get("alert"), "the submitter is told at once")
			self.assertIn("QuickBooks: Waiting", info_lines("Sales Invoice", invoice.name)[0])
			# the overview counts it as waiting, and so does the list it opens
			filters = overview._as_db_filters(overview.log_filters("waiting", COMPANY))
			self.assertIn(row.name, frappe.get_all(LOG, filters=filters, pluck="name"))
		finally:
			connection = frappe.get_doc(CONNECTION, COMPANY)
			connection.status = "Connected"
			connection.save(ignore_permissions=True)  # usable again: push_waiting is queued
			frappe.db.commit()
		self.assertIn("qbo_connector.qbo_connector.tasks.push_waiting", self.jobs.methods())
		self.jobs.run()
		self.assertEqual(self.link_of("Sales Invoice", invoice.name).state, "Synced")
		waiting, sent = rows_of("Sales Invoice", invoice.name)
		self.assertEqual(
			(sent.status, sent.retry_of, waiting.later_attempt), ("Success", waiting.name, sent.name)
		)
		self.assertEqual(document_states("Sales Invoice", invoice.name)[0]["state"], "in_qbo")

	def test_not_sent_on_submit_says_why_and_whether_the_auto_push_will_run(self) -> None:
		frappe.db.set_value(CONNECTION, COMPANY, {"push_invoices_on_submit": 0, "auto_push_hours": 2})
		frappe.db.commit()
		try:
			invoice = make_invoice([(SERVICE_ITEM, 1, 20)])
			self.assertEqual(self.jobs.calls, [], "sending on submit is off")
			with patch("qbo_connector.qbo_connector.status.scheduler_disabled", return_value=True):
				[state] = document_states("Sales Invoice", invoice.name)
			self.assertEqual(state["state"], "waiting")
			self.assertIn("does not run: the scheduler is off", state["message"])
			with patch("qbo_connector.qbo_connector.status.scheduler_disabled", return_value=False):
				[state] = document_states("Sales Invoice", invoice.name)
			self.assertIn("the auto-push sends it once it is 2 hours old", state["message"])
		finally:
			frappe.db.set_value(CONNECTION, COMPANY, {"push_invoices_on_submit": 1, "auto_push_hours": 0})
			frappe.db.commit()

	def test_a_queue_that_does_not_take_the_job_leaves_a_waiting_row(self) -> None:
		with patch("frappe.enqueue", side_effect=ConnectionError("redis is down")):
			invoice = make_invoice([(SERVICE_ITEM, 1, 12)])
		[row] = rows_of("Sales Invoice", invoice.name)
		self.assertEqual(row.status, "Waiting")
		self.assertIn("the background queue did not take the job (ConnectionError)", row.message)
		self.assertEqual(document_states("Sales Invoice", invoice.name)[0]["state"], "waiting")

	def test_a_difference_stands_after_a_resend_that_changed_nothing(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 1, 200)])
		self.jobs.run()
		self.emu.record_payment(invoice_id=self.link_of("Sales Invoice", invoice.name).qbo_id, amount="50.00")
		payment = make_payment(invoice.name)
		self.jobs.run()
		[state] = document_states("Payment Entry", payment.name)
		self.assertEqual((state["state"], state["color"]), ("difference", "orange"))
		self.assertIn("50.00 allocated in ERPNext stays unapplied in QuickBooks", state["message"])
		self.assertEqual(frappe.db.get_value("Payment Entry", payment.name, "qbo_status"), "Difference")
		warning = rows_of("Payment Entry", payment.name)[-1]
		self.push(payment)  # nothing changed: Skipped, and the difference is still true in QuickBooks
		rows = rows_of("Payment Entry", payment.name)
		self.assertEqual(rows[-1].status, "Skipped", rows[-1].message)
		self.assertIsNone(frappe.db.get_value(LOG, warning.name, "later_attempt"))
		self.assertEqual(document_states("Payment Entry", payment.name)[0]["state"], "difference")
		counted = frappe.get_all(
			LOG, filters=overview._as_db_filters(overview.log_filters("difference", COMPANY)), pluck="name"
		)
		self.assertIn(warning.name, counted)


class TestLaterAttempts(TestCase):
	"""Which rows are current: the latest verdict of each document, QuickBooks object or company action."""

	def row(self, status: str, operation: str = "push", name: str = "Accounts User", **extra) -> str:
		fields = (
			{"reference_doctype": "Role", "reference_name": name} if operation in ("push", "cancel") else {}
		)
		return make_log(
			direction="Push", operation=operation, status=status, realm_id="111", **fields, **extra
		)

	def setUp(self) -> None:
		frappe.db.delete(LOG, {"realm_id": "111"})

	def later(self, name: str) -> str | None:
		return frappe.db.get_value(LOG, name, "later_attempt")

	def test_a_verdict_makes_earlier_rows_history_and_a_running_attempt_does_not(self) -> None:
		failed = self.row("Failed")
		running = self.row("Running")
		self.assertIsNone(self.later(failed), "while the retry runs, the failure is still the last verdict")
		doc = frappe.get_doc(LOG, running)
		doc.status = "Success"
		doc.save(ignore_permissions=True)
		self.assertEqual(self.later(failed), running)
		self.assertIsNone(self.later(running))
		other = self.row("Failed", name="Accounts Manager")  # another document: its own story
		self.assertIsNone(self.later(other))
		cancel = self.row("Skipped", operation="cancel")  # a cancel ends the document's push story too
		self.assertEqual(self.later(running), cancel)

	def test_an_unchanged_resend_leaves_a_warning_current(self) -> None:
		warning = self.row("Warning")
		skipped = self.row("Skipped")
		self.assertIsNone(self.later(warning))
		success = self.row("Success")
		self.assertEqual((self.later(warning), self.later(skipped)), (success, success))

	def test_company_actions_and_quickbooks_objects_have_stories_of_their_own(self) -> None:
		failed = self.row("Failed", operation="connect", company=COMPANY)
		webhook = self.row("Warning", operation="webhook", company=COMPANY)
		ok = self.row("Success", operation="connect", company=COMPANY)
		self.assertEqual(self.later(failed), ok)
		self.row("Success", operation="webhook", company=COMPANY)
		self.assertIsNone(self.later(webhook), "a webhook delivery is never made history by another")
		one = self.row("Failed", operation="pull_entity", qbo_entity="Customer", qbo_id="7")
		two = self.row("Failed", operation="pull_entity", qbo_entity="Customer", qbo_id="8")
		three = self.row("Success", operation="pull_entity", qbo_entity="Customer", qbo_id="7")
		self.assertEqual((self.later(one), self.later(two)), (three, None))

	def test_the_retry_sentence_is_true_when_it_is_read(self) -> None:
		past = add_to_date(now_datetime(), hours=-1)
		future = add_to_date(now_datetime(), hours=1)
		log = frappe._dict(retryable=1, next_retry_at=future, doc_fingerprint=None, later_attempt=None)
		connected = frappe._dict(name=COMPANY, status="Connected", enabled=1)
		with patch("qbo_connector.qbo_connector.status.scheduler_disabled", return_value=False):
			self.assertEqual(retry_note(log, connected)[0], "scheduled")
			self.assertEqual(retry_note(frappe._dict(log, next_retry_at=past), connected)[0], "overdue")
			kind, sentence = retry_note(log, frappe._dict(connected, status="Not connected"))
			self.assertEqual(kind, "waits_for_connection")
			self.assertIn(f"once {COMPANY} is connected", sentence)
			# Connected since to another QuickBooks company: the scheduler leaves the row alone, and says so.
			here = frappe._dict(connected, realm_id="111")
			self.assertEqual(retry_note(frappe._dict(log, realm_id="111"), here)[0], "scheduled")
			kind, sentence = retry_note(frappe._dict(log, realm_id="222"), here)
			self.assertEqual(kind, "waits_for_connection")
			self.assertIn("connected to another QuickBooks company", sentence)
		with patch("qbo_connector.qbo_connector.status.scheduler_disabled", return_value=True):
			kind, sentence = retry_note(frappe._dict(log, next_retry_at=past), connected)
			self.assertEqual(kind, "scheduler_off")
			self.assertIn("the scheduler is off", sentence)
		self.assertEqual(retry_note(frappe._dict(log, later_attempt="x"))[0], "retried")
		first = self.row("Failed", retryable=1, next_retry_at=past)
		second = self.row("Success")
		info = describe_retry(first)
		self.assertEqual(
			(info["kind"], info["later_attempt"], info["later_status"]), ("retried", second, "Success")
		)
		self.assertIn("Tried again on", info["sentence"])


class TestOverview(TestCase):
	def test_numbers_are_the_counts_of_the_lists_they_open_uncapped_and_per_company(self) -> None:
		frappe.db.delete(LOG, {"realm_id": "overview-test"})
		names = []
		for i in range(105):  # 105 documents whose latest attempt failed (100 used to look like a cap)
			row = frappe.get_doc({"doctype": LOG, "direction": "Push", "operation": "push", "status": "Failed",
				"realm_id": "overview-test", "company": COMPANY, "reference_doctype": "Role",
				"reference_name": f"Overview Role {i}"})  # fmt: skip
			row.flags.ignore_links = True
			names.append(row.insert(ignore_permissions=True).name)
		data = overview.get_overview(COMPANY)
		tiles = {tile["key"]: tile for tile in data["tiles"]}
		for key, tile in tiles.items():
			self.assertEqual(
				tile["value"], frappe.db.count(tile["doctype"], overview._as_db_filters(tile["filters"])), key
			)
		self.assertGreaterEqual(tiles["failed"]["value"], 105, "never capped")
		self.assertEqual(
			tiles["not_connected"]["value"],
			frappe.db.count(CONNECTION, {"status": ("!=", "Connected"), "company": COMPANY}),
		)
		everyone = {tile["key"]: tile["value"] for tile in overview.get_overview()["tiles"]}
		self.assertEqual(
			everyone["not_connected"], frappe.db.count(CONNECTION, {"status": ("!=", "Connected")})
		)
		self.assertGreaterEqual(everyone["failed"], tiles["failed"]["value"])
		frappe.db.delete(LOG, {"name": ("in", names)})


class TestMapChecks(SyncTestCase):
	def test_rates_are_compared_and_both_are_named(self) -> None:
		ny = TaxCodeInfo(id="3", name="NY State+City 8.875%", rates=(Decimal("4"), Decimal("4.875")))
		ok, message = compare_tax_rates("ERPNext template 'County 6%'", Decimal("6"), ny)
		self.assertFalse(ok)
		self.assertIn("6 % in ERPNext, 8.875 % in QuickBooks", message)
		self.assertIn("a tax group of 4 % + 4.875 %", message)
		ok, message = compare_tax_rates("ERPNext template 'NY'", Decimal("8.875"), ny)
		self.assertTrue(ok, message)
		self.assertFalse(check_tax_code("TAX", None, is_us=True, on_invoice=True)[0])
		self.assertTrue(check_tax_code("TAX", None, is_us=True, on_invoice=False)[0])
		self.assertEqual(erpnext_template_rate(TAX_TEMPLATE), Decimal("7.25"))

	def test_validate_tax_map_refuses_a_code_of_another_rate(self) -> None:
		ensure_six_percent_template()
		ny = qbo_id_by_name(self.emu, "TaxCode", "NY State+City 8.875%")
		self._set_map("QBO Tax Map", "taxes", [
			{"sales_taxes_template": TAX_TEMPLATE, "qbo_tax_code": self.qbo["california"]},
			{"sales_taxes_template": SIX_TEMPLATE, "qbo_tax_code": ny},
		])  # fmt: skip
		frappe.db.set_value(CONNECTION, COMPANY, {"us_tax_code": "TAX", "tax_code_rates": None})
		try:
			results = validate_tax_map(COMPANY)
		finally:
			self._set_map("QBO Tax Map", "taxes",
				[{"sales_taxes_template": TAX_TEMPLATE, "qbo_tax_code": self.qbo["california"]}])  # fmt: skip
			frappe.db.set_value(CONNECTION, COMPANY, "us_tax_code", self.qbo["california"])
			frappe.db.commit()
		by_row = {r["row"]: r for r in results}
		self.assertTrue(by_row[1]["ok"], by_row[1])
		self.assertIn("the same rate", by_row[1]["message"])
		self.assertFalse(by_row[2]["ok"])
		self.assertIn("6 % in ERPNext, 8.875 % in QuickBooks", by_row[2]["message"])
		us = next(r for r in results if "US Sales Tax Code" in r["label"])
		self.assertFalse(us["ok"], "TAX marks lines; the invoice needs a code with a rate")
		codes = tax_codes_from_json(frappe.db.get_value(CONNECTION, COMPANY, "tax_code_rates"))
		self.assertEqual(codes[ny].total_rate, Decimal("8.875"), "the rates read are kept for the push")

	def test_an_erpnext_account_of_the_wrong_kind_is_named(self) -> None:
		receivable = frappe.get_all(
			"Account",
			{"company": COMPANY, "account_type": "Receivable", "is_group": 0},
			pluck="name",
			limit=1,
		)[0]
		self._set_map("QBO Account Map", "accounts", [
			{"purpose": "Income", "erpnext_account": INCOME_ACCOUNT, "qbo_account": self.qbo["income"]},
			{"purpose": "Income", "erpnext_account": receivable, "qbo_account": self.qbo["services"]},
		])  # fmt: skip
		try:
			results = {r["row"]: r for r in validate_account_map(COMPANY)}
		finally:
			self._set_map("QBO Account Map", "accounts",
				[{"purpose": "Income", "erpnext_account": INCOME_ACCOUNT, "qbo_account": self.qbo["income"]}])  # fmt: skip
			frappe.db.commit()
		self.assertTrue(results[1]["ok"], results[1])
		self.assertIn("Sales of Product Income", results[1]["message"])
		self.assertFalse(results[1]["message"].startswith("OK"), "the pill says OK; the sentence says what")
		self.assertFalse(results[2]["ok"])
		self.assertIn(f"'{receivable}' is a Receivable account", results[2]["message"])


class TestAnotherQuickBooksCompany(SyncTestCase):
	def test_connecting_to_another_realm_clears_the_old_references_and_says_so(self) -> None:
		from qbo_connector.qbo_connector.doctype.qbo_connection.qbo_connection import (
			dismiss_realm_change_note,
		)
		from qbo_connector.qbo_connector.oauth import callback, issue_state
		from qbo_connector.qbo_connector.settings import redirect_uri

		other = str(int(self.emu.realm_id) + 1)
		self.emu.set_company(realm_id=other, name="Other Books")
		frappe.db.set_value(CONNECTION, COMPANY, {"default_income_account_name": "Sales of Product Income",
			"tax_code_rates": '[{"id": "1", "name": "x", "rates": ["5"]}]'})  # fmt: skip
		old_realm = frappe.db.get_value(CONNECTION, COMPANY, "realm_id")
		class_map = "QBO Class and Location Map"
		frappe.delete_doc(class_map, COMPANY, ignore_missing=True, force=True)
		cost_center = frappe.get_cached_value("Company", COMPANY, "cost_center")
		frappe.get_doc({"doctype": class_map, "company": COMPANY,
			"classes": [{"cost_center": cost_center, "qbo_class": "1", "qbo_class_name": "Retail"}],
			"locations": [{"erpnext_value": "Main", "qbo_location": "2", "qbo_location_name": "Downtown"}],
		}).insert(ignore_permissions=True)  # fmt: skip
		frappe.db.commit()
		frappe.set_user("Administrator")
		code = self.emu.state.oauth.new_code(self.emu.client_id, redirect_uri(), other)
		frappe.local.response = frappe._dict({"docs": []})
		callback(code=code, state=issue_state(COMPANY), realmId=other)
		try:
			connection = frappe.get_doc(CONNECTION, COMPANY)
			self.assertEqual((connection.realm_id, connection.status), (other, "Connected"))
			for field in ("default_income_account", "discount_account", "us_tax_code", "rounding_item"):
				self.assertFalse(connection.get(field), field)
			self.assertIsNone(connection.tax_code_rates, "the old company's tax codes are not used")
			note = connection.realm_change_note
			self.assertIn("'Other Books'", note)
			self.assertIn(old_realm, note.split(", not ")[1], "the old QuickBooks company is named")
			self.assertIn("Default Income Account 'Sales of Product Income'", note)
			self.assertIn("QBO Account Map: the QuickBooks side of 2 row(s)", note)
			rows = frappe.get_all(
				"QBO Account Map Item", {"parent": COMPANY}, ["erpnext_account", "qbo_account"]
			)
			self.assertTrue(rows and all(not r.qbo_account and r.erpnext_account for r in rows), rows)
			# the classes and locations were the other company's records too
			self.assertIn("QBO Class and Location Map: the QuickBooks side of 2 row(s)", note)
			mapped = frappe.get_doc(class_map, COMPANY)
			self.assertEqual(
				[(r.cost_center, r.qbo_class, r.qbo_class_name) for r in mapped.classes],
				[(cost_center, None, None)],
			)
			self.assertEqual([(r.erpnext_value, r.qbo_location) for r in mapped.locations], [("Main", None)])
			self.assertIn("now connected to QuickBooks", info_lines(CONNECTION, COMPANY)[-1])
			dismiss_realm_change_note(COMPANY)
			self.assertIsNone(frappe.db.get_value(CONNECTION, COMPANY, "realm_change_note"))
		finally:
			frappe.db.set_value(CONNECTION, COMPANY, {"realm_id": old_realm, "realm_change_note": None})
			frappe.delete_doc(class_map, COMPANY, ignore_missing=True, force=True)
			frappe.db.commit()
