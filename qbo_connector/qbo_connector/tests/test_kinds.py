"""Every document kind on a real site: the doc_events its unit asks for queue the job, the job puts it in
QBO once with ERPNext's total, cancel does what the kind says, and its switch on the QBO Connection
stops it (sync/kinds)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import frappe
from frappe.utils import add_days, flt, nowdate

from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.tasks import CANCEL_JOB, PUSH_JOB, cancel_job_id, push_job_id
from qbo_connector.qbo_connector.tests.sync_utils import (
	BANK_ACCOUNT,
	COMPANY,
	CUSTOMER,
	PRODUCT_ITEM,
	SERVICE_ITEM,
	TAX_TEMPLATE,
	SyncTestCase,
)


def make_quotation(lines: list[tuple[str, float, float]], taxes: bool = True, submit: bool = True) -> Any:
	"""A Quotation to the test customer, as the desk makes one (the template's tax rows)."""
	qtn = frappe.new_doc("Quotation")
	qtn.company = COMPANY
	qtn.quotation_to = "Customer"
	qtn.party_name = CUSTOMER
	qtn.transaction_date = nowdate()
	qtn.valid_till = add_days(nowdate(), 30)
	qtn.currency = "USD"
	qtn.conversion_rate = 1
	qtn.order_type = "Sales"
	for item_code, qty, rate in lines:
		qtn.append("items", {"item_code": item_code, "qty": qty, "rate": rate})
	if taxes:
		qtn.taxes_and_charges = TAX_TEMPLATE
		qtn.append_taxes_from_master()
	qtn.set_missing_values()
	qtn.calculate_taxes_and_totals()
	qtn.insert(ignore_permissions=True)
	if submit:
		qtn.submit()
	frappe.db.commit()
	return qtn


class KindTestCase(SyncTestCase):
	switches: dict[str, int] = {}

	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		if cls.switches:
			frappe.db.set_value(CONNECTION, COMPANY, cls.switches, update_modified=False)
			frappe.db.commit()

	def queued(self) -> list[tuple[str, str | None]]:
		return list(zip(self.jobs.methods(), self.jobs.job_ids(), strict=True))

	def last_log(self, doctype: str, name: str, operation: str = "push") -> Any:
		return frappe.get_last_doc(
			"QBO Sync Log", {"reference_doctype": doctype, "reference_name": name, "operation": operation}
		)


class TestQuotationKind(KindTestCase):
	switches = {"push_quotations": 1}

	def test_submitted_quotation_becomes_one_estimate_and_cancel_rejects_it(self) -> None:
		qtn = make_quotation([(SERVICE_ITEM, 4, 125), (PRODUCT_ITEM, 2, 19.95)])
		self.assertGreater(qtn.total_taxes_and_charges, 0)
		self.assertEqual(self.queued(), [(PUSH_JOB, push_job_id("Quotation", qtn.name))])
		self.jobs.run()
		link = self.link_of("Quotation", qtn.name)
		self.assertEqual((link.qbo_entity, link.state), ("Estimate", "Synced"))
		estimate = self.qbo_object("Estimate", link.qbo_id)
		self.assertEqual(
			Decimal(str(estimate["TotalAmt"])), Decimal(str(qtn.rounded_total or qtn.grand_total))
		)
		self.assertEqual(estimate["TxnStatus"], "Pending")
		self.assertEqual(frappe.db.get_value("Quotation", qtn.name, "qbo_status"), "Synced")
		self.assertEqual(self.last_log("Quotation", qtn.name).status, "Success")

		qtn.reload()
		qtn.cancel()
		frappe.db.commit()
		self.assertEqual(self.queued(), [(CANCEL_JOB, cancel_job_id("Quotation", qtn.name))])
		self.jobs.run()
		self.assertEqual(self.qbo_object("Estimate", link.qbo_id)["TxnStatus"], "Rejected")
		self.assertEqual(self.link_of("Quotation", qtn.name).state, "Closed")
		log = self.last_log("Quotation", qtn.name, "cancel")
		self.assertEqual(log.status, "Success", log.message)
		self.assertIn("Rejected Estimate", log.message)

	def test_invoice_made_from_the_quotation_is_linked_to_its_estimate(self) -> None:
		from erpnext.selling.doctype.quotation.quotation import make_sales_order
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		qtn = make_quotation([(SERVICE_ITEM, 3, 80)], taxes=False)
		self.jobs.run()
		estimate_id = self.link_of("Quotation", qtn.name).qbo_id
		order = make_sales_order(qtn.name)
		order.delivery_date = add_days(nowdate(), 7)
		for row in order.items:
			row.delivery_date = order.delivery_date
		order.insert(ignore_permissions=True)
		order.submit()
		invoice = make_sales_invoice(order.name)
		invoice.due_date = add_days(nowdate(), 30)
		invoice.insert(ignore_permissions=True)
		invoice.submit()
		frappe.db.commit()
		self.jobs.run()
		link = self.link_of("Sales Invoice", invoice.name)
		qbo_invoice = self.qbo_object("Invoice", link.qbo_id)
		self.assertIn({"TxnId": estimate_id, "TxnType": "Estimate"}, qbo_invoice["LinkedTxn"])
		self.assertEqual(self.qbo_object("Estimate", estimate_id)["TxnStatus"], "Closed")
		self.assertEqual(flt(qbo_invoice["TotalAmt"]), flt(invoice.grand_total))

	def test_switch_off_queues_nothing_then_a_manual_push_sends_it(self) -> None:
		frappe.db.set_value(CONNECTION, COMPANY, "push_quotations", 0, update_modified=False)
		frappe.db.commit()
		try:
			qtn = make_quotation([(SERVICE_ITEM, 1, 10)], taxes=False)
			self.assertEqual(self.queued(), [])
		finally:
			frappe.db.set_value(CONNECTION, COMPANY, "push_quotations", 1, update_modified=False)
			frappe.db.commit()
		from qbo_connector.qbo_connector.tasks import push_document

		result = push_document("Quotation", qtn.name)
		self.assertEqual(result["status"], "Success", result["message"])  # a manual push once it is on


SUPPLIER = "QBO Sync Test Supplier"


def ensure_supplier() -> None:
	if not frappe.db.exists("Supplier", SUPPLIER):
		frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": SUPPLIER,
				"supplier_type": "Company",
				"supplier_group": frappe.db.get_value("Supplier Group", {"is_group": 0}, "name"),
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()


def make_purchase_order(lines: list[tuple[str, float, float]]) -> Any:
	po = frappe.new_doc("Purchase Order")
	po.company = COMPANY
	po.supplier = SUPPLIER
	po.transaction_date = nowdate()
	po.schedule_date = add_days(nowdate(), 7)
	po.currency = "USD"
	po.conversion_rate = 1
	for item_code, qty, rate in lines:
		po.append(
			"items", {"item_code": item_code, "qty": qty, "rate": rate, "schedule_date": po.schedule_date}
		)
	po.set_missing_values()
	po.insert(ignore_permissions=True)
	po.submit()
	frappe.db.commit()
	return po


def make_purchase_invoice(lines: list[tuple[str, float, float]], bill_no: str | None = None) -> Any:
	pi = frappe.new_doc("Purchase Invoice")
	pi.company = COMPANY
	pi.supplier = SUPPLIER
	pi.posting_date = nowdate()
	pi.due_date = add_days(nowdate(), 30)
	pi.bill_no = bill_no
	pi.currency = "USD"
	pi.conversion_rate = 1
	for item_code, qty, rate in lines:
		pi.append("items", {"item_code": item_code, "qty": qty, "rate": rate})
	pi.set_missing_values()
	pi.insert(ignore_permissions=True)
	pi.submit()
	frappe.db.commit()
	return pi


class TestPurchaseKinds(KindTestCase):
	switches = {"push_purchase_orders": 1, "push_purchase_invoices": 1, "push_supplier_payments": 1}

	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		ensure_supplier()
		from qbo_connector.qbo_connector.tests.sync_utils import qbo_id_by_name

		cls.qbo["expense"] = qbo_id_by_name(cls.emu, "Account", "Uncategorized Expense")
		frappe.db.set_value(
			CONNECTION, COMPANY, "default_expense_account", cls.qbo["expense"], update_modified=False
		)
		frappe.db.commit()

	def test_purchase_order_becomes_one_qbo_order_and_cancel_closes_it(self) -> None:
		po = make_purchase_order([(SERVICE_ITEM, 3, 40), (PRODUCT_ITEM, 10, 2.5)])
		self.assertEqual(self.queued(), [(PUSH_JOB, push_job_id("Purchase Order", po.name))])
		self.jobs.run()
		link = self.link_of("Purchase Order", po.name)
		self.assertEqual((link.qbo_entity, link.state), ("PurchaseOrder", "Synced"))
		order = self.qbo_object("PurchaseOrder", link.qbo_id)
		self.assertEqual(flt(order["TotalAmt"]), flt(po.grand_total))
		vendor = self.qbo_object("Vendor", order["VendorRef"]["value"])
		self.assertEqual(vendor["DisplayName"], SUPPLIER)
		po.reload()
		po.cancel()
		frappe.db.commit()
		self.assertEqual(self.queued(), [(CANCEL_JOB, cancel_job_id("Purchase Order", po.name))])
		self.jobs.run()
		self.assertEqual(self.qbo_object("PurchaseOrder", link.qbo_id)["POStatus"], "Closed")
		self.assertEqual(self.link_of("Purchase Order", po.name).state, "Closed")

	def test_bill_its_payment_and_their_cancels(self) -> None:
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		pi = make_purchase_invoice([(SERVICE_ITEM, 2, 150)], bill_no=f"SUP-{frappe.generate_hash(length=6)}")
		self.jobs.run()
		bill_link = self.link_of("Purchase Invoice", pi.name)
		bill = self.qbo_object("Bill", bill_link.qbo_id)
		self.assertEqual((bill_link.qbo_entity, bill["DocNumber"]), ("Bill", pi.bill_no))
		self.assertEqual(flt(bill["TotalAmt"]), flt(pi.grand_total))

		# The mapped bank the tests make (a v16 site's wizard bank is the company default, and is not mapped).
		pe = get_payment_entry("Purchase Invoice", pi.name, party_amount=100, bank_account=BANK_ACCOUNT)
		pe.reference_no = "CHK-1"
		pe.reference_date = nowdate()
		pe.references[0].allocated_amount = 100
		pe.insert(ignore_permissions=True)
		pe.submit()
		frappe.db.commit()
		self.assertEqual(self.queued(), [(PUSH_JOB, push_job_id("Payment Entry", pe.name))])
		self.jobs.run()
		pay_link = self.link_of("Payment Entry", pe.name)
		log = frappe.get_all(
			"QBO Sync Log",
			{"reference_name": pe.name},
			["status", "message"],
			order_by="creation desc",
			limit=1,
		)
		self.assertIsNotNone(pay_link, log)
		self.assertEqual(pay_link.qbo_entity, "BillPayment")
		payment = self.qbo_object("BillPayment", pay_link.qbo_id)
		self.assertEqual((payment["PayType"], flt(payment["TotalAmt"])), ("Check", 100))
		self.assertEqual(flt(self.qbo_object("Bill", bill_link.qbo_id)["Balance"]), flt(pi.grand_total) - 100)

		pe.reload()
		pe.cancel()
		frappe.db.commit()
		self.jobs.run()
		self.assertEqual(self.link_of("Payment Entry", pe.name).state, "Voided")
		self.assertEqual(flt(self.qbo_object("Bill", bill_link.qbo_id)["Balance"]), flt(pi.grand_total))
		pi.reload()
		pi.cancel()
		frappe.db.commit()
		self.jobs.run()
		self.assertIsNone(self.emu.get("Bill", bill_link.qbo_id))
		self.assertEqual(self.link_of("Purchase Invoice", pi.name).state, "Deleted")
		log = self.last_log("Purchase Invoice", pi.name, "cancel")
		self.assertEqual(log.status, "Success", log.message)
		self.assertIn("cannot void a bill", log.message)

	def test_debit_note_becomes_a_vendor_credit(self) -> None:
		from erpnext.controllers.sales_and_purchase_return import make_return_doc

		pi = make_purchase_invoice([(PRODUCT_ITEM, 4, 12.5)])
		self.jobs.run()
		note = make_return_doc("Purchase Invoice", pi.name)
		note.items[0].qty = -1
		note.insert(ignore_permissions=True)
		note.submit()
		frappe.db.commit()
		self.jobs.run()
		link = self.link_of("Purchase Invoice", note.name)
		self.assertEqual(link.qbo_entity, "VendorCredit")
		self.assertEqual(
			flt(self.qbo_object("VendorCredit", link.qbo_id)["TotalAmt"]), abs(flt(note.grand_total))
		)

	def test_switch_off_queues_no_purchase(self) -> None:
		frappe.db.set_value(CONNECTION, COMPANY, "push_purchase_invoices", 0, update_modified=False)
		frappe.db.commit()
		try:
			make_purchase_invoice([(SERVICE_ITEM, 1, 10)])
			self.assertEqual(self.queued(), [])
		finally:
			frappe.db.set_value(CONNECTION, COMPANY, "push_purchase_invoices", 1, update_modified=False)
			frappe.db.commit()


def ensure_employee(first: str, last: str, email: str | None) -> str:
	name = frappe.db.get_value("Employee", {"first_name": first, "last_name": last, "company": COMPANY})
	if name:
		return name
	employee = frappe.get_doc(
		{
			"doctype": "Employee",
			"first_name": first,
			"last_name": last,
			"gender": frappe.db.get_value("Gender", {}, "name") or "Female",
			"date_of_birth": "1990-01-01",
			"date_of_joining": "2024-01-01",
			"company": COMPANY,
			"status": "Active",
			"company_email": email,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return employee.name


def make_timesheet(employee: str, logs: list[tuple[float, int, float]], customer: str | None = None) -> Any:
	"""A submitted Timesheet: one log per (hours, billable, billing rate), one after the other today."""
	from frappe.utils import add_to_date, get_datetime

	ts = frappe.new_doc("Timesheet")
	ts.company = COMPANY
	ts.employee = employee
	ts.customer = customer
	start = get_datetime(f"{nowdate()} 09:00:00")
	for hours, billable, rate in logs:
		ts.append(
			"time_logs",
			{
				"activity_type": frappe.db.get_value("Activity Type", {}, "name"),
				"from_time": start,
				"to_time": add_to_date(start, hours=hours),
				"hours": hours,
				"is_billable": billable,
				"billing_hours": hours if billable else 0,
				"billing_rate": rate,
				"description": "QBO connector test work",
			},
		)
		start = add_to_date(start, hours=hours)
	ts.insert(ignore_permissions=True)
	ts.submit()
	frappe.db.commit()
	return ts


class TestTimesheetKind(KindTestCase):
	switches = {"push_timesheets": 1}

	def test_mapped_employee_gets_one_time_activity_per_log_and_unmapped_is_skipped(self) -> None:
		from qbo_connector.qbo_connector.tasks import pull_connection, push_document

		email = f"time.{frappe.generate_hash(length=6)}@qbotestco.example"
		mapped = ensure_employee("Quinn", f"Timekeeper{frappe.generate_hash(length=4)}", email)
		unmapped = ensure_employee("Robin", f"Nomap{frappe.generate_hash(length=4)}", None)
		self.emu.add_employee(f"Quinn QBO {frappe.generate_hash(length=4)}", email=email)
		pull_connection(COMPANY)
		employee_link = self.link_of("Employee", mapped)
		self.assertEqual((employee_link.qbo_entity, employee_link.state), ("Employee", "Synced"))

		ts = make_timesheet(mapped, [(2.5, 1, 120), (0.5, 0, 0)], customer=CUSTOMER)
		self.assertEqual(self.queued(), [(PUSH_JOB, push_job_id("Timesheet", ts.name))])
		self.jobs.run()
		log = self.last_log("Timesheet", ts.name)
		self.assertEqual(log.status, "Success", log.message)
		first = self.qbo_object("TimeActivity", self.link_of("Timesheet", ts.name).qbo_id)
		self.assertEqual((first["Hours"], first["Minutes"], first["BillableStatus"]), (2, 30, "Billable"))
		self.assertEqual(first["EmployeeRef"]["value"], employee_link.qbo_id)
		second = self.link_of("Timesheet Detail", ts.time_logs[1].name)
		self.assertEqual(self.qbo_object("TimeActivity", second.qbo_id)["BillableStatus"], "NotBillable")

		other = make_timesheet(unmapped, [(1, 0, 0)])
		self.jobs.run()
		log = self.last_log("Timesheet", other.name)
		self.assertEqual(log.status, "Skipped", log.message)
		self.assertIn(unmapped, log.message)
		self.assertIn("never booked to someone else", log.message)
		self.assertIsNone(self.link_of("Timesheet", other.name))
		result = push_document("Timesheet", other.name)
		self.assertEqual(result["status"], "Skipped")

		ts.reload()
		ts.cancel()
		frappe.db.commit()
		self.jobs.run()
		self.assertIsNone(self.emu.get("TimeActivity", first["Id"]))
		self.assertIsNone(self.emu.get("TimeActivity", second.qbo_id))


class TestInvoicePdf(KindTestCase):
	switches = {"attach_invoice_pdf": 1}

	def test_pushed_invoice_gets_the_qbo_pdf_attached_once(self) -> None:
		from qbo_connector.qbo_connector.tasks import push_document
		from qbo_connector.qbo_connector.tests.sync_utils import make_invoice

		invoice = make_invoice([(SERVICE_ITEM, 1, 99)])
		self.jobs.run()
		files = frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Sales Invoice", "attached_to_name": invoice.name},
			fields=["name", "file_name", "is_private"],
		)
		self.assertEqual(len(files), 1)
		self.assertTrue(files[0].file_name.startswith("QuickBooks Invoice "))
		self.assertEqual(files[0].is_private, 1)
		content = frappe.get_doc("File", files[0].name).get_content()
		if isinstance(content, str):  # Frappe 16 hands back text when the bytes decode
			content = content.encode()
		self.assertTrue(content.startswith(b"%PDF-"))
		push_document("Sales Invoice", invoice.name)
		self.assertEqual(
			frappe.db.count(
				"File", {"attached_to_doctype": "Sales Invoice", "attached_to_name": invoice.name}
			),
			1,
		)
