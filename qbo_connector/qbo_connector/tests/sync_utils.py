"""Set-up shared by the sync tests: QBO Test Co connected to the in-process emulator, its maps, masters
made the way a desk user makes them, and a way to run the jobs that doc_events and endpoints enqueue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import frappe
from frappe.utils import add_days, flt, nowdate

from qbo_connector.qbo_connector.settings import CONNECTION
from qbo_connector.qbo_connector.store import CONNECTION_FIELDS
from qbo_connector.qbo_connector.tests.utils import EmulatorTestCase

COMPANY = "QBO Test Co"
ABBR = "QTC"
CUSTOMER = "QBO Sync Test Customer"
SERVICE_ITEM = "QBO-SYNC-SVC"
PRODUCT_ITEM = "QBO-SYNC-PRD"
TAX_ACCOUNT = f"CA Sales Tax - {ABBR}"
TAX_TEMPLATE = f"QBO CA Sales Tax 7.25% - {ABBR}"
INCOME_ACCOUNT = f"Sales - {ABBR}"
# Our own bank account: ERPNext 15's setup wizard always made "Bank Account - <abbr>", ERPNext 16's only when
# asked for one, so a test that leans on it fails on a fresh v16 site.
BANK_ACCOUNT = f"QBO Test Bank - {ABBR}"
ENQUEUE_OPTIONS = ("queue", "job_id", "deduplicate", "enqueue_after_commit", "timeout", "at_front")


def qbo_id_by_name(emu: Any, entity: str, name: str) -> str:
	for obj in emu.objects(entity):
		if name in (obj.get("Name"), obj.get("DisplayName")):
			return str(obj["Id"])
	raise KeyError(f"{entity} {name!r} is not in the emulator")


def ensure_masters() -> None:
	"""Customer, items, a tax account, a bank account and a Sales Taxes and Charges Template of QBO Test Co
	(committed)."""
	if not frappe.db.exists("Customer", CUSTOMER):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": CUSTOMER,
				"customer_type": "Company",
				"customer_group": "Commercial",
				"territory": "United States",
			}
		).insert(ignore_permissions=True)
	for code, group in ((SERVICE_ITEM, "Services"), (PRODUCT_ITEM, "Products")):
		if not frappe.db.exists("Item", code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": code.title(),
					"item_group": group,
					"stock_uom": "Nos",
					"is_stock_item": 0,
					"item_defaults": [{"company": COMPANY, "income_account": INCOME_ACCOUNT}],
				}
			).insert(ignore_permissions=True)
	if not frappe.db.exists("Account", TAX_ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "CA Sales Tax",
				"company": COMPANY,
				"parent_account": f"Duties and Taxes - {ABBR}",
				"account_type": "Tax",
				"tax_rate": 7.25,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Account", BANK_ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "QBO Test Bank",
				"company": COMPANY,
				"parent_account": frappe.db.get_value(
					"Account", {"company": COMPANY, "account_type": "Bank", "is_group": 1}, "name"
				),
				"account_type": "Bank",
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Sales Taxes and Charges Template", TAX_TEMPLATE):
		frappe.get_doc(
			{
				"doctype": "Sales Taxes and Charges Template",
				"title": "QBO CA Sales Tax 7.25%",
				"company": COMPANY,
				"taxes": [
					{
						"charge_type": "On Net Total",
						"account_head": TAX_ACCOUNT,
						"description": "CA Sales Tax 7.25%",
						"rate": 7.25,
					}
				],
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()


def make_invoice(
	lines: list[tuple[str, float, float]],
	taxes: bool = False,
	discount_percentage: float = 0,
	apply_discount_on: str = "Grand Total",
	submit: bool = True,
) -> Any:
	"""A Sales Invoice made as the desk makes one: customer, item lines with their income account, the
	template's tax rows, an additional discount, a due date."""
	si = frappe.new_doc("Sales Invoice")
	si.company = COMPANY
	si.customer = CUSTOMER
	si.posting_date = nowdate()
	si.due_date = add_days(nowdate(), 30)
	si.currency = "USD"
	si.conversion_rate = 1
	for item_code, qty, rate in lines:
		si.append(
			"items", {"item_code": item_code, "qty": qty, "rate": rate, "income_account": INCOME_ACCOUNT}
		)
	if taxes:
		si.taxes_and_charges = TAX_TEMPLATE
		si.append_taxes_from_master()
	if discount_percentage:
		si.apply_discount_on = apply_discount_on
		si.additional_discount_percentage = discount_percentage
	si.set_missing_values()
	si.insert(ignore_permissions=True)
	if submit:
		si.submit()
	frappe.db.commit()
	return si


def make_payment(invoice: str, amount: float | None = None) -> Any:
	"""A Payment Entry (Receive) against an invoice, as the invoice's "Create > Payment" makes it."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	pe = get_payment_entry("Sales Invoice", invoice, party_amount=amount, bank_account=BANK_ACCOUNT)
	pe.reference_no = f"CHK-{invoice[-5:]}"
	pe.reference_date = nowdate()
	if amount is not None:
		pe.references[0].allocated_amount = flt(amount)
	pe.insert(ignore_permissions=True)
	pe.submit()
	frappe.db.commit()
	return pe


class Jobs:
	"""Captures frappe.enqueue calls and runs them on demand, as a worker would."""

	def __init__(self) -> None:
		self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

	def enqueue(self, method: str, **kwargs: Any) -> None:
		options = {key: kwargs.pop(key) for key in ENQUEUE_OPTIONS if key in kwargs}
		self.calls.append((method, kwargs, options))

	def methods(self) -> list[str]:
		return [method for method, _, _ in self.calls]

	def job_ids(self) -> list[str | None]:
		return [options.get("job_id") for _, _, options in self.calls]

	def run(self) -> list[Any]:
		"""Run (and forget) every captured job, in order, as the session user the worker would be."""
		results = []
		calls, self.calls = self.calls, []
		for method, kwargs, _options in calls:
			results.append(frappe.get_attr(method)(**kwargs))
		return results


@contextlib.contextmanager
def captured_jobs() -> Iterator[Jobs]:
	jobs = Jobs()
	with patch("frappe.enqueue", side_effect=jobs.enqueue):
		yield jobs


_MAPS = (("QBO Account Map", "accounts"), ("QBO Tax Map", "taxes"))
_STATE_FIELDS = ("status", "realm_id", "enabled", "last_error", "qbo_company_name", "last_connected",
	"connected_by", "watermarks", "last_pull_at", *CONNECTION_FIELDS[4:])  # fmt: skip


def _snapshot() -> dict[str, Any]:
	"""QBO Test Co's connection (fields and tokens) and maps, to put back after the tests."""
	from qbo_connector.qbo_connector.tokens import read_tokens

	state: dict[str, Any] = {
		"tokens": read_tokens(COMPANY) if frappe.db.exists(CONNECTION, COMPANY) else None
	}
	state["connection"] = frappe.db.get_value(CONNECTION, COMPANY, list(_STATE_FIELDS), as_dict=True)
	for doctype, table in _MAPS:
		state[doctype] = (
			[
				{
					k: v
					for k, v in row.as_dict().items()
					if k not in ("name", "parent", "creation", "modified")
				}
				for row in frappe.get_doc(doctype, COMPANY).get(table)
			]
			if frappe.db.exists(doctype, COMPANY)
			else None
		)
	return state


def _restore(state: dict[str, Any]) -> None:
	from qbo_connector.qbo_connector.tokens import clear_tokens, write_tokens

	frappe.db.rollback()
	if state["connection"] is None:
		if frappe.db.exists(CONNECTION, COMPANY):
			clear_tokens(COMPANY)
			frappe.db.set_value(CONNECTION, COMPANY, {"status": "Not connected", "watermarks": None})
	else:
		if state["tokens"] is not None:
			write_tokens(COMPANY, state["tokens"])
		else:
			clear_tokens(COMPANY)
		frappe.db.set_value(CONNECTION, COMPANY, dict(state["connection"]), update_modified=False)
	for doctype, table in _MAPS:
		if state[doctype] is None:
			frappe.db.delete(doctype, {"name": COMPANY})
			frappe.db.delete(f"{doctype} Item", {"parent": COMPANY, "parenttype": doctype})
		else:
			doc = frappe.get_doc(doctype, COMPANY)
			doc.set(table, state[doctype])
			doc.save(ignore_permissions=True)
	frappe.db.commit()


class SyncTestCase(EmulatorTestCase):
	"""QBO Test Co connected to a fresh emulator, with account map, tax map and defaults set."""

	# No fixed realm: EmulatorTestCase gives each class a realm of its own. QBO ids restart at 1 in every fresh
	# emulator and links are kept per realm, so two classes sharing a realm would inherit each other's links
	# to objects their own emulator does not have.
	emulator_options = {"limits_enabled": False}

	@classmethod
	def setUpClass(cls) -> None:
		super().setUpClass()
		cls.company = COMPANY
		ensure_masters()
		# QBO Test Co is the site's own company (a person may be using its connection right now): whatever
		# these tests change on it - tokens, switches, maps - is put back as it was when they end.
		cls._saved_state = _snapshot()
		cls.addClassCleanup(_restore, cls._saved_state)
		EmulatorTestCase.connect(cls, COMPANY)
		emu = cls.emu
		cls.qbo = {
			"income": qbo_id_by_name(emu, "Account", "Sales of Product Income"),
			"services": qbo_id_by_name(emu, "Account", "Services"),
			"discounts": qbo_id_by_name(emu, "Account", "Discounts given"),
			"checking": qbo_id_by_name(emu, "Account", "Checking"),
			"california": qbo_id_by_name(emu, "TaxCode", "California"),
			"rounding_item": str(emu.add_item("Rounding", type="Service")["Id"]),
		}
		connection = frappe.get_doc(CONNECTION, COMPANY)
		connection.update(
			{
				"enabled": 1,
				"push_invoices_on_submit": 1,
				"push_payments": 1,
				"reconcile_qbo_payments": 1,
				"auto_push_hours": 0,
				"pull_interval_minutes": 15,
				"default_income_account": cls.qbo["income"],
				"discount_account": cls.qbo["discounts"],
				"us_tax_code": cls.qbo["california"],
				"rounding_item": cls.qbo["rounding_item"],
				"absorb_cent_differences": 1,
				"payments_deposit_account": None,
				"watermarks": None,
				"facts_refreshed_at": None,
			}
		)
		connection.save(ignore_permissions=True)
		cls._set_map(
			"QBO Account Map",
			"accounts",
			[
				{"purpose": "Income", "erpnext_account": INCOME_ACCOUNT, "qbo_account": cls.qbo["income"]},
				{"purpose": "Deposit", "erpnext_account": BANK_ACCOUNT, "qbo_account": cls.qbo["checking"]},
			],
		)
		cls._set_map(
			"QBO Tax Map",
			"taxes",
			[{"sales_taxes_template": TAX_TEMPLATE, "qbo_tax_code": cls.qbo["california"]}],
		)
		frappe.db.commit()

	def setUp(self) -> None:
		super().setUp()
		# Every enqueue of a test is captured (nothing reaches the real queue) and run by the test itself.
		self.jobs = Jobs()
		patcher = patch("frappe.enqueue", side_effect=self.jobs.enqueue)
		patcher.start()
		self.addCleanup(patcher.stop)

	@classmethod
	def _set_map(cls, doctype: str, table: str, rows: list[dict[str, Any]]) -> None:
		doc = (
			frappe.get_doc(doctype, COMPANY)
			if frappe.db.exists(doctype, COMPANY)
			else frappe.new_doc(doctype)
		)
		doc.company = COMPANY
		doc.set(table, rows)
		doc.save(ignore_permissions=True)

	def link_of(self, doctype: str, name: str) -> Any:
		return frappe.db.get_value(
			"QBO Link",
			{"reference_doctype": doctype, "reference_name": name},
			["qbo_entity", "qbo_id", "state", "origin", "qbo_total"],
			as_dict=True,
		)

	def qbo_object(self, entity: str, qbo_id: str) -> dict[str, Any]:
		obj = self.emu.get(entity, qbo_id)
		self.assertIsNotNone(obj, f"{entity} {qbo_id} is not in the emulator")
		return obj

	def push(self, doc: Any) -> Any:
		"""Run the push job of a submitted document directly and return its QBO Link."""
		from qbo_connector.qbo_connector.tasks import push_document

		push_document(doc.doctype, doc.name)
		return self.link_of(doc.doctype, doc.name)
