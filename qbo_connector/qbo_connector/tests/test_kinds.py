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
