"""Issue 9 in a real site: an invoice QBO would hold at another total, or a payment QBO could not apply, is
refused with a message naming what is wrong, and nothing is written to QBO for it."""

from __future__ import annotations

import frappe

from qbo_connector.qbo_connector.tests.sync_utils import (
	ABBR,
	COMPANY,
	SERVICE_ITEM,
	SyncTestCase,
	make_invoice,
	make_payment,
)

SIX_ACCOUNT = f"County Tax 6% - {ABBR}"
SIX_TEMPLATE = f"QBO County Tax 6% - {ABBR}"
WRITES = ("Customer", "Item", "Invoice", "Payment")


def ensure_six_percent_template() -> None:
	"""A 6 % template that the QBO Tax Map does not map (the connection's US code is California 7.25 %)."""
	if not frappe.db.exists("Account", SIX_ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "County Tax 6%",
				"company": COMPANY,
				"parent_account": f"Duties and Taxes - {ABBR}",
				"account_type": "Tax",
				"tax_rate": 6,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Sales Taxes and Charges Template", SIX_TEMPLATE):
		frappe.get_doc(
			{
				"doctype": "Sales Taxes and Charges Template",
				"title": "QBO County Tax 6%",
				"company": COMPANY,
				"taxes": [
					{
						"charge_type": "On Net Total",
						"account_head": SIX_ACCOUNT,
						"description": "County Tax 6%",
						"rate": 6,
					}
				],
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()


class TestNeverSilentlyWrong(SyncTestCase):
	def counts(self) -> dict[str, int]:
		return {entity: len(self.emu.objects(entity)) for entity in WRITES}

	def last_log(self, doctype: str, name: str):
		return frappe.get_last_doc(
			"QBO Sync Log", {"reference_doctype": doctype, "reference_name": name, "operation": "push"}
		)

	def test_unmapped_template_of_another_rate_fails_naming_it_and_creates_nothing(self) -> None:
		ensure_six_percent_template()
		si = make_invoice([(SERVICE_ITEM, 2, 150)], submit=False)
		si.taxes_and_charges = SIX_TEMPLATE
		si.set("taxes", [])
		si.append_taxes_from_master()
		si.calculate_taxes_and_totals()
		si.save(ignore_permissions=True)
		si.submit()
		frappe.db.commit()
		self.assertEqual(si.total_taxes_and_charges, 18.0)
		before = self.counts()
		self.jobs.run()
		log = self.last_log("Sales Invoice", si.name)
		self.assertEqual(log.status, "Failed", log.message)
		self.assertIn(SIX_TEMPLATE, log.message)
		self.assertIn("is not mapped", log.message)
		self.assertIn("18.00", log.message)  # ERPNext's tax
		self.assertIn("21.75", log.message)  # what California 7.25 % would make of 300.00
		self.assertFalse(log.retryable)
		self.assertEqual(self.counts(), before)  # no customer, no item, no invoice
		self.assertIsNone(self.link_of("Sales Invoice", si.name))

	def test_payment_for_an_invoice_voided_in_qbo_is_not_success(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 1, 80)])
		self.jobs.run()
		link = self.link_of("Sales Invoice", invoice.name)
		self.assertEqual(link.state, "Synced")
		self.emu.void_invoice(link.qbo_id)
		payments_before = len(self.emu.objects("Payment"))
		payment = make_payment(invoice.name)
		self.jobs.run()
		log = self.last_log("Payment Entry", payment.name)
		self.assertEqual(log.status, "Failed", log.message)
		self.assertIn("voided in QuickBooks", log.message)
		self.assertIn(invoice.name, log.message)
		self.assertEqual(len(self.emu.objects("Payment")), payments_before)
		self.assertEqual(self.link_of("Sales Invoice", invoice.name).state, "Voided")
