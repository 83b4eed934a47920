"""Invoices made in QuickBooks on a real site (issue 15): one made in QBO appears as a submitted Sales Invoice
with QBO's total after the webhook or the pull; edited in QBO while unpaid it is amended; an invoice pushed
from ERPNext is never pulled back; a small import: dry run, run, and a rerun that makes nothing twice."""

from __future__ import annotations

import json
from typing import Any

import frappe
from frappe.utils import add_days, flt, nowdate

from qbo_connector.qbo.webhooks import sign
from qbo_connector.qbo_connector import tasks
from qbo_connector.qbo_connector.api import import_from_quickbooks
from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.tasks import IMPORT_JOB, WEBHOOK_JOB
from qbo_connector.qbo_connector.tests.sync_utils import (
	COMPANY,
	SERVICE_ITEM,
	TAX_ACCOUNT,
	SyncTestCase,
	make_invoice,
)
from qbo_connector.qbo_connector.tests.test_sync_flow import post_webhook
from qbo_connector.qbo_connector.tests.utils import WEBHOOK_VERIFIER

SI = "Sales Invoice"


class TestPullInvoices(SyncTestCase):
	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		frappe.db.set_value(CONNECTION, COMPANY, {"pull_invoices": 1, "cancel_pulled_invoices": 1})
		frappe.db.commit()
		emu = cls.emu
		cls.customer = emu.add_customer("QBO Pull Invoice Customer")["Id"]
		cls.survey = emu.add_item("QBO Pull Survey", type="Service", unit_price=450)["Id"]
		cls.cable = emu.add_item("QBO Pull Cable", type="NonInventory", unit_price="12.5", Taxable=True)["Id"]

	def made_from(self, entity: str, qbo_id: str) -> Any:
		name = frappe.db.get_value(
			"QBO Link",
			{"realm_id": self.emu.realm_id, "qbo_entity": entity, "qbo_id": str(qbo_id), "origin": "Pull"},
			"reference_name",
		)
		self.assertTrue(name, f"QuickBooks {entity} {qbo_id} was not pulled")
		return frappe.get_doc(SI, name)

	def new_invoice(self, **fields: Any) -> dict:
		return self.emu.add_invoice(
			self.customer,
			[
				{"item_id": self.survey, "qty": 2, "price": 450, "tax_code": "NON"},
				{"item_id": self.cable, "qty": 7, "price": "12.5", "tax_code": "TAX"},
				{
					"DetailType": "DiscountLineDetail",
					"Amount": 0,
					"DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
				},
			],
			TxnTaxDetail={"TxnTaxCodeRef": {"value": self.qbo["california"]}},
			TxnDate=nowdate(),
			DueDate=add_days(nowdate(), 30),
			**fields,
		)

	def test_invoice_made_in_qbo_arrives_by_webhook_submitted_with_the_same_total(self) -> None:
		inv = self.new_invoice()
		body = json.dumps(
			{
				"eventNotifications": [
					{
						"realmId": self.emu.realm_id,
						"dataChangeEvent": {
							"entities": [
								{
									"name": "Invoice",
									"id": str(inv["Id"]),
									"operation": "Create",
									"lastUpdated": inv["MetaData"]["LastUpdatedTime"],
								}
							]
						},
					}
				]
			}
		).encode()
		status, _answer = post_webhook(body, sign(body, WEBHOOK_VERIFIER))
		self.assertEqual(status, 200)
		self.assertEqual(self.jobs.methods(), [WEBHOOK_JOB])
		self.jobs.run()
		doc = self.made_from("Invoice", inv["Id"])
		self.assertEqual(doc.docstatus, 1, doc.remarks)
		self.assertEqual(flt(doc.grand_total, 2), flt(inv["TotalAmt"], 2))
		self.assertEqual(doc.qbo_doc_number, inv["DocNumber"])
		self.assertEqual(doc.qbo_txn_ref, f"{self.emu.realm_id}:Invoice {inv['Id']}")
		self.assertEqual([t.account_head for t in doc.taxes], [TAX_ACCOUNT])
		self.assertEqual(flt(doc.total_taxes_and_charges, 2), flt(inv["TxnTaxDetail"]["TotalTax"], 2))
		self.assertEqual(self.jobs.calls[1:], [])  # the invoice made from QBO is not pushed back

	def test_edited_in_qbo_while_unpaid_is_amended_with_the_new_total(self) -> None:
		inv = self.new_invoice()
		tasks.pull_connection(COMPANY)
		first = self.made_from("Invoice", inv["Id"])
		edited = self.emu.update_invoice(
			inv["Id"], lines=[{"item_id": self.survey, "qty": 3, "price": 450, "tax_code": "NON"}]
		)
		result = tasks.pull_connection(COMPANY)
		self.assertEqual(result["status"], "Success", result["message"])
		amended = self.made_from("Invoice", inv["Id"])
		self.assertNotEqual(amended.name, first.name)
		self.assertEqual(amended.amended_from, first.name)
		self.assertEqual(amended.docstatus, 1)
		self.assertEqual(flt(amended.grand_total, 2), flt(edited["TotalAmt"], 2))
		self.assertEqual(frappe.db.get_value(SI, first.name, "docstatus"), 2)
		self.assertEqual(self.jobs.calls, [])  # neither the cancel nor the amendment goes to QBO

	def test_invoice_pushed_from_erpnext_is_never_pulled_back(self) -> None:
		invoice = make_invoice([(SERVICE_ITEM, 2, 100)])
		link = self.push(invoice)
		self.assertEqual(link.state, "Synced")
		self.emu.update_invoice(link.qbo_id, PrivateNote="touched in QuickBooks")  # and edited there
		tasks.pull_connection(COMPANY)
		self.assertFalse(frappe.db.exists(SI, {"qbo_txn_ref": f"{self.emu.realm_id}:Invoice {link.qbo_id}"}))
		self.assertEqual(self.link_of(SI, invoice.name).origin, "Push")

	def test_small_import_dry_run_then_run_then_rerun_makes_nothing_twice(self) -> None:
		self.emu.seed_history(
			invoices=30,
			customers=4,
			items=4,
			currencies=(),
			end=nowdate(),
			days=20,
			tax_codes=["California"],
			seed=1515,
		)
		start, end = add_days(nowdate(), -25), nowdate()
		kinds = ["invoices", "credit_memos", "payments"]
		dry = import_from_quickbooks(COMPANY, start, end, kinds, dry_run=1)
		live = [
			i
			for i in self.emu.objects("Invoice")
			if str((i.get("CustomerMemo") or {}).get("value")).startswith("Thank you")
			and "Voided" not in str(i.get("PrivateNote"))
		]
		self.assertEqual(dry["kinds"]["invoices"]["new"], len(live))
		before = frappe.db.count(SI, {"qbo_txn_ref": ("like", f"{self.emu.realm_id}:%")})
		queued = import_from_quickbooks(COMPANY, start, end, kinds, dry_run=0)
		self.assertEqual(self.jobs.methods(), [IMPORT_JOB])
		self.assertEqual(queued["key"], f"qbo-import::{COMPANY}")
		result = self.jobs.run()[0]
		self.assertEqual(result["kinds"]["invoices"]["failed"], 0, result["message"])
		self.assertEqual(result["kinds"]["invoices"]["created"], dry["kinds"]["invoices"]["new"])
		made = frappe.db.count(SI, {"qbo_txn_ref": ("like", f"{self.emu.realm_id}:%")})
		self.assertEqual(made - before, dry["kinds"]["invoices"]["new"] + dry["kinds"]["credit_memos"]["new"])
		for obj in live:
			doc = self.made_from("Invoice", obj["Id"])
			self.assertEqual(doc.docstatus, 1, doc.remarks)
			self.assertEqual(flt(doc.grand_total, 2), flt(obj["TotalAmt"], 2))
		again = tasks.import_history(COMPANY, start, end, kinds)
		self.assertEqual(
			sum(c["created"] + c["updated"] for c in again["kinds"].values()), 0, again["message"]
		)
		self.assertEqual(frappe.db.count(SI, {"qbo_txn_ref": ("like", f"{self.emu.realm_id}:%")}), made)
