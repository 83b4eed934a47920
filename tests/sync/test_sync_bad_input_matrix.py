"""The bad-input matrix (issue 9): customers, items, invoices, credit notes, payments, maps and QBO's own answers,
each pushed through the real engine to the emulator. Every case asserts what QBO holds, the log row's status and
message, that nothing is lost (every attempt ends in a row, a transient failure is retried to success) and that
nothing is doubled (one QBO object per ERPNext document, at most one QBO customer per ERPNext customer).

A case is a row: how to spoil the document or the world, and what must follow.
- "input": Failed, not retryable, code MAPPING or the engine's own, the message names the document and the
  field, nothing at all written to QBO (no customer, no item), and the scheduler does not send it again.
- "ok" / "warn": in QBO once, with the status and words given.
- "transient": Failed and retryable on the first attempt; the scheduler's retries bring it to QBO once.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sync_support import by_name, fixture

from qbo_connector.emulator import EmulatorServer
from qbo_connector.sync import ConnectionConfig, MemoryStore, SyncEngine

SI, PE = "Sales Invoice", "Payment Entry"
ENTITIES = ("Customer", "Item", "Invoice", "CreditMemo", "Payment")
NAN, INF = math.nan, math.inf


@dataclass
class World:
	emu: EmulatorServer
	store: MemoryStore
	config: ConnectionConfig
	engine: SyncEngine
	clock: Any

	def reconfigure(self, **values: Any) -> None:
		for key, value in values.items():
			setattr(self.config, key, value)
		self.store.add_config(self.config)

	def add(self, doc: dict[str, Any]) -> str:
		self.store.add_doc(doc)
		return doc["name"]


@dataclass
class Case:
	id: str
	build: Callable[[World], tuple[str, str]]  # -> (doctype, name) to push
	outcome: str  # input | ok | warn | transient
	says: tuple[str, ...] = ()
	entity: str = "Invoice"
	check: Callable[[World, dict[str, Any]], None] | None = None  # on the QBO object (ok/warn/transient)
	extra: dict[str, Any] = field(default_factory=dict)


_serial = Counter()


def doc_from(base: str, **changes: Any) -> dict[str, Any]:
	doc = copy.deepcopy(fixture(base))
	_serial[base] += 1
	doc["name"] = f"MX-{base}-{_serial[base]:03d}"
	for table in ("items", "taxes", "references"):
		for row in doc.get(table) or []:
			row["parent"] = doc["name"]
	doc.update(changes)
	return doc


def set_at(doc: dict[str, Any], where: str, value: Any) -> None:
	"""doc["items"][0]["rate"] = value for where="items[1].rate"; doc["due_date"] = value for "due_date"."""
	if "." not in where:
		doc[where] = value
		return
	table, fieldname = where.split(".")
	name, index = table.rstrip("]").split("[")
	doc[name][int(index) - 1][fieldname] = value


def spoil_invoice(base: str, where: str, value: Any) -> Callable[[World], tuple[str, str]]:
	"""items[1].rate = NaN, taxes[1].tax_amount = 'x', due_date = '2026-02-30' ..."""

	def build(w: World) -> tuple[str, str]:
		doc = doc_from(base)
		set_at(doc, where, value)
		return SI, w.add(doc)

	return build


def spoil_payment(where: str, value: Any) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		w.engine.push(SI, "ACC-SINV-2026-00002")  # the invoice it pays is in QBO first
		doc = doc_from("pe_full")
		set_at(doc, where, value)
		return PE, w.add(doc)

	return build


def plain(base: str, **changes: Any) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		return SI, w.add(doc_from(base, **changes))

	return build


def with_config(
	inner: Callable[[World], tuple[str, str]], **values: Any
) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		resolved = {k: (v(w) if callable(v) else v) for k, v in values.items()}
		w.reconfigure(**resolved)
		return inner(w)

	return build


def with_fault(inner: Callable[[World], tuple[str, str]], **rule: Any) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		target = inner(w)
		w.emu.add_fault(**rule)
		return target

	return build


def total_is(amount: str) -> Callable[[World, dict[str, Any]], None]:
	def check(w: World, obj: dict[str, Any]) -> None:
		assert Decimal(str(obj["TotalAmt"])) == Decimal(amount), obj["TotalAmt"]

	return check


CASES: list[Case] = []

# -- invoices: every number a line carries, each kind of bad value -------------------------------------------
for _field in ("qty", "rate", "amount", "net_rate", "net_amount", "distributed_discount_amount"):
	for _label, _value in (
		("nan", NAN),
		("inf", INF),
		("-inf", -INF),
		("comma", "12,50"),
		("text", "abc"),
		("huge", 1e14),
	):
		CASES.append(
			Case(
				f"invoice-items.{_field}-{_label}",
				spoil_invoice("si_us_sales_tax", f"items[1].{_field}", _value),
				"input",
				(f"items[1].{_field}",),
			)
		)
for _field in ("grand_total", "net_total", "total_taxes_and_charges", "discount_amount", "conversion_rate"):
	for _label, _value in (("nan", NAN), ("comma", "1,5")):
		CASES.append(
			Case(
				f"invoice-{_field}-{_label}",
				spoil_invoice("si_discounts", _field, _value),
				"input",
				(_field,),
			)
		)
for _field, _value in (("rate", NAN), ("tax_amount", "x"), ("total", INF)):
	CASES.append(
		Case(
			f"invoice-taxes.{_field}",
			spoil_invoice("si_us_sales_tax", f"taxes[1].{_field}", _value),
			"input",
			(f"taxes[1].{_field}",),
		)
	)
CASES += [
	Case(
		"invoice-item_tax_rate-not-json",
		spoil_invoice("si_us_sales_tax", "items[2].item_tax_rate", "{oops"),
		"input",
		("items[2].item_tax_rate",),
	),
	Case(
		"invoice-posting_date-impossible",
		spoil_invoice("si_basic", "posting_date", "2026-02-30"),
		"input",
		("posting_date",),
	),
	Case(
		"invoice-posting_date-missing",
		spoil_invoice("si_basic", "posting_date", ""),
		"input",
		("posting_date", "missing"),
	),
	Case(
		"invoice-posting_date-dmy",
		spoil_invoice("si_basic", "posting_date", "31/12/2026"),
		"input",
		("posting_date",),
	),
	Case(
		"invoice-due_date-month-13",
		spoil_invoice("si_basic", "due_date", "2026-13-01"),
		"input",
		("due_date",),
	),
	Case(
		"invoice-service_date-text",
		spoil_invoice("si_with_service_dates", "items[1].service_start_date", "soon"),
		"input",
		("items[1].service_start_date",),
	),
	Case(
		"invoice-negative-total", plain("si_basic", grand_total=-10.0), "input", ("grand_total", "negative")
	),
	Case("invoice-no-items", plain("si_basic", items=[]), "input", ("items",)),
	Case(
		"invoice-draft", plain("si_basic", docstatus=0), "ok", ("draft",), check=None, extra={"skipped": True}
	),
	Case("invoice-plain", plain("si_basic"), "ok", ("matches ERPNext",), check=total_is("1844.00")),
	Case("invoice-sales-tax", plain("si_us_sales_tax"), "ok", (), check=total_is("2181.65")),
	Case(
		"invoice-discount-cent",
		plain("si_discounts"),
		"ok",
		("rounding tolerance",),
		check=total_is("2570.75"),
	),
	Case("invoice-rounding-line", plain("si_rounding"), "ok", (), check=total_is("109.00")),
	Case("invoice-long-text", plain("si_long_text"), "ok", ("cut to 4000",)),
	Case("invoice-service-dates", plain("si_with_service_dates"), "ok", ()),
	Case(
		"invoice-html-description",
		lambda w: (
			SI,
			w.add(
				doc_from(
					"si_basic",
					items=[
						dict(
							fixture("si_basic")["items"][0],
							description="<p>Senior <b>consultant</b> &amp; co</p>",
						)
					]
					+ fixture("si_basic")["items"][1:],
				)
			),
		),
		"ok",
		(),
		check=lambda w, obj: assert_equal(obj["Line"][0]["Description"], "Senior consultant & co"),
	),
	Case(
		"invoice-zero-total",
		lambda w: (
			SI,
			w.add(
				doc_from(
					"si_basic",
					items=[
						dict(
							fixture("si_basic")["items"][0],
							rate=0.0,
							amount=0.0,
							net_rate=0.0,
							net_amount=0.0,
						)
					],
					total=0.0,
					net_total=0.0,
					grand_total=0.0,
					rounded_total=0.0,
				)
			),
		),
		"ok",
		(),
		check=total_is("0.00"),
	),
]

# -- credit notes -----------------------------------------------------------------------------------------------
CASES += [
	Case("credit-note-ok", plain("si_return"), "ok", (), entity="CreditMemo", check=total_is("201.42")),
	Case(
		"credit-note-positive-total",
		plain("si_return", grand_total=201.42),
		"input",
		("grand_total", "negative"),
	),
	Case(
		"credit-note-nan-line",
		spoil_invoice("si_return", "items[1].amount", NAN),
		"input",
		("items[1].amount",),
	),
	Case(
		"credit-note-bad-date",
		spoil_invoice("si_return", "posting_date", "20261121"),
		"input",
		("posting_date",),
	),
]

# -- payments ---------------------------------------------------------------------------------------------------
for _field, _value in (
	("paid_amount", NAN),
	("paid_amount", "1.844,00"),
	("received_amount", INF),
	("source_exchange_rate", "abc"),
	("references[1].allocated_amount", NAN),
	("references[1].outstanding_amount", "x"),
	("posting_date", "2026-11-31"),
	("reference_date", "tomorrow"),
):
	CASES.append(
		Case(
			f"payment-{_field}-{_value}", spoil_payment(_field, _value), "input", (_field,), entity="Payment"
		)
	)
CASES += [
	Case(
		"payment-zero",
		spoil_payment("paid_amount", 0),
		"input",
		("paid_amount", "more than zero"),
		entity="Payment",
	),
	Case(
		"payment-over-allocated",
		spoil_payment("paid_amount", 100.0),
		"input",
		("references", "only 100.00 was paid"),
		entity="Payment",
	),
	Case(
		"payment-ok",
		spoil_payment("mode_of_payment", "Cheque"),
		"ok",
		("matches ERPNext",),
		entity="Payment",
		check=total_is("1844.00"),
	),
	Case(
		"payment-eur-without-multicurrency",
		spoil_payment("paid_from_account_currency", "EUR"),
		"input",
		("paid_from_account_currency", "multicurrency is off"),
		entity="Payment",
	),
]


def _voided_then_paid(action: str) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		w.engine.push(SI, "ACC-SINV-2026-00002")
		qbo_id = w.store.get_link(w.emu.realm_id, SI, "ACC-SINV-2026-00002").qbo_id
		w.emu.act(action, invoice_id=qbo_id)
		return PE, w.add(doc_from("pe_full"))

	return build


CASES += [
	Case(
		"payment-invoice-voided-in-qbo",
		_voided_then_paid("void_invoice"),
		"input",
		("voided in QuickBooks", "1844.00"),
		entity="Payment",
	),
	Case(
		"payment-invoice-deleted-in-qbo",
		_voided_then_paid("delete_invoice"),
		"input",
		("deleted in QuickBooks",),
		entity="Payment",
	),
	Case(
		"payment-more-than-qbo-balance",
		lambda w: (PE, "ACC-PAY-2026-00003"),
		"warn",
		("0.01 allocated in ERPNext stays unapplied",),
		entity="Payment",
	),
]

# -- maps and settings ------------------------------------------------------------------------------------------
CASES += [
	Case(
		"map-tax-template-unmapped-other-rate",
		with_config(
			plain("si_us_sales_tax"),
			tax_map={},
			us_tax_code=lambda w: by_name(w.emu, "TaxCode", "California"),
		),
		"input",
		("NY Sales Tax 8.875% - QTC", "is not mapped", "92.25", "7.25 %"),
	),
	Case(
		"map-tax-template-mapped-other-rate",
		with_config(
			plain("si_us_sales_tax"),
			tax_map=lambda w: {"NY Sales Tax 8.875% - QTC": by_name(w.emu, "TaxCode", "California")},
		),
		"input",
		("mapped for tax template", "California"),
	),
	Case(
		"map-tax-template-unmapped-same-rate",
		with_config(plain("si_us_sales_tax"), tax_map={}),
		"ok",
		(),
		check=total_is("2181.65"),
	),
	Case(
		"map-tax-nothing-mapped",
		with_config(plain("si_us_sales_tax"), tax_map={}, us_tax_code=None, default_tax_code=None),
		"input",
		("taxes_and_charges", "no QuickBooks tax code"),
	),
	Case(
		"map-tax-code-gone-in-qbo",
		with_config(plain("si_us_sales_tax"), tax_map={}, us_tax_code="999"),
		"input",
		("no tax code with ID 999",),
	),
	Case(
		"map-income-account-unmapped-no-default",
		with_config(plain("si_basic"), account_map={}, default_income_account=None),
		"input",
		("income account",),
	),
	Case(
		"map-item-missing-no-default-item",
		lambda w: (
			SI,
			w.add(
				doc_from("si_basic", items=[dict(fixture("si_basic")["items"][0], item_code="NO-SUCH-ITEM")])
			),
		),
		"input",
		("items[1].item_code",),
	),
	Case(
		"map-line-income-account-differs",
		lambda w: (
			w.reconfigure(
				account_map=dict(
					w.config.account_map,
					**{"Consulting - QTC": by_name(w.emu, "Account", "Uncategorized Income")},
				)
			),
			(
				SI,
				w.add(
					doc_from(
						"si_basic",
						items=[dict(fixture("si_basic")["items"][0], income_account="Consulting - QTC")]
						+ fixture("si_basic")["items"][1:],
					)
				),
			),
		)[1],
		"ok",
		("differs from item CONSULT-HR's",),
	),
	Case(
		"map-line-income-account-unmapped-no-default",
		lambda w: (
			w.engine.push(SI, "ACC-SINV-2026-00002"),
			w.reconfigure(default_income_account=None),
			(
				SI,
				w.add(
					doc_from(
						"si_basic",
						items=[dict(fixture("si_basic")["items"][0], income_account="Nowhere - QTC")],
					)
				),
			),
		)[2],
		"input",
		("items[1].income_account", "Nowhere - QTC"),
	),
	Case(
		"map-deposit-bank-missing",
		with_config(
			spoil_payment("mode_of_payment", "Cash"), create_deposits=True, deposit_bank_account=None
		),
		"input",
		("Deposit Bank Account",),
		entity="Payment",
	),
]

# -- currency ---------------------------------------------------------------------------------------------------
CASES += [
	Case("currency-eur-multicurrency-off", plain("si_eur"), "input", ("currency", "multicurrency is off")),
	Case(
		"currency-eur-no-rate",
		lambda w: (w.emu.set_company(multicurrency=True), (SI, w.add(doc_from("si_eur", conversion_rate=0))))[
			1
		],
		"input",
		("conversion_rate",),
	),
	Case(
		"currency-eur-multicurrency-on",
		lambda w: (w.emu.set_company(multicurrency=True), (SI, w.add(doc_from("si_eur"))))[1],
		"ok",
		(),
		check=lambda w, obj: (assert_equal(obj["CurrencyRef"]["value"], "EUR"), total_is("10050.00")(w, obj)),
	),
]


def assert_equal(a: Any, b: Any) -> None:
	assert a == b, (a, b)


# -- customers and items: names QBO would refuse or merge ------------------------------------------------------
def _customer_named(display: str) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		customer = copy.deepcopy(w.store.get_doc("Customer", fixture("si_basic")["customer"]))
		_serial["customer"] += 1
		customer["name"] = f"CUST-MX-{_serial['customer']:03d}"
		customer["customer_name"] = display
		w.store.add_doc(customer)
		return SI, w.add(doc_from("si_basic", customer=customer["name"], customer_name=display))

	return build


for _label, _display in (
	("colon", "ACME: West"),
	("tab", "ACME\tWest"),
	("newline", "ACME\nWest"),
	("unicode", "Zoë Ørsted 株式会社"),
	("html", "<b>Bold</b> & Sons"),
	("long", "L" * 150),
	("quote", "O'Brien's \"Best\""),
):
	CASES.append(
		Case(
			f"customer-{_label}",
			_customer_named(_display),
			"ok",
			(),
			check=lambda w, obj: assert_equal(
				":" in (w.emu.get("Customer", obj["CustomerRef"]["value"])["DisplayName"]), False
			),
		)
	)


def _item_coded(code: str, description: str | None = None) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		item = copy.deepcopy(w.store.get_doc("Item", "CONSULT-HR"))
		item["name"] = item["item_code"] = code
		if description is not None:
			item["description"] = description
		w.store.add_doc(item)
		row = dict(fixture("si_basic")["items"][0], item_code=code)
		if description is not None:
			row["description"] = description
		doc = doc_from(
			"si_basic",
			items=[row],
			total=row["amount"],
			net_total=row["amount"],
			grand_total=row["amount"],
			rounded_total=row["amount"],
		)
		return SI, w.add(doc)

	return build


for _label, _code in (("colon", "PART:A"), ("long", "P" * 140), ("unicode", "Kaffee-Bohnen-Ä")):
	CASES.append(Case(f"item-{_label}", _item_coded(_code), "ok", ()))
CASES.append(Case("item-description-5000", _item_coded("DESC-LONG", "d" * 5000), "ok", ("cut to 4000",)))
CASES.append(
	Case(
		"item-description-html",
		_item_coded("DESC-HTML", "<p>Line <b>one</b></p><script>x()</script>"),
		"ok",
		(),
	)
)

# -- QBO's answers --------------------------------------------------------------------------------------------
for _status, _body in (
	(500, "json"),
	(500, "xml"),
	(500, "html"),
	(500, "empty"),
	(502, "html"),
	(503, "json"),
	(503, "empty"),
):
	CASES.append(
		Case(
			f"qbo-{_status}-{_body}-body",
			with_fault(
				plain("si_basic"),
				kind="status",
				status=_status,
				body=_body,
				method="POST",
				path="/invoice",
				count=5,
			),
			"transient",
			(),
			check=total_is("1844.00"),
		)
	)
CASES += [
	Case(
		"qbo-500-after-commit",
		with_fault(
			plain("si_basic"),
			kind="status",
			status=500,
			when="after",
			method="POST",
			path="/invoice",
			count=5,
		),
		"transient",
		(),
		check=total_is("1844.00"),
	),
	Case(
		"qbo-dropped-after-commit",
		with_fault(plain("si_basic"), kind="drop", method="POST", path="/invoice", count=5),
		"transient",
		(),
		check=total_is("1844.00"),
	),
	Case(
		"qbo-throttled-xml",
		with_fault(plain("si_basic"), kind="throttle", body="xml", method="POST", path="/invoice", count=2),
		"ok",
		(),
		check=total_is("1844.00"),
	),
	Case(
		"qbo-610-inactive-customer",
		lambda w: (
			w.engine.push(SI, "ACC-SINV-2026-00002"),
			w.emu.deactivate_customer(
				w.store.get_link(w.emu.realm_id, "Customer", fixture("si_basic")["customer"]).qbo_id
			),
			(SI, w.add(doc_from("si_basic"))),
		)[2],
		"input",
		("ERPNext Customer", "inactive"),
	),
	Case(
		"qbo-6240-name-taken-by-vendor",
		lambda w: (
			_vendor(w, fixture("si_basic")["customer_name"]),
			(SI, w.add(doc_from("si_basic"))),
		)[1],
		"ok",
		(),
		check=lambda w, obj: assert_equal(
			w.emu.get("Customer", obj["CustomerRef"]["value"])["DisplayName"]
			!= fixture("si_basic")["customer_name"],
			True,
		),
	),
]


def _vendor(w: World, name: str) -> dict[str, Any]:
	from sync_support import make_client

	return make_client(w.emu).create("Vendor", {"DisplayName": name})


def _stale_due_date(w: World) -> tuple[str, str]:
	name = w.add(doc_from("si_basic"))
	w.engine.push(SI, name)
	link = w.store.get_link(w.emu.realm_id, SI, name)
	from sync_support import make_client

	make_client(w.emu).update(
		"Invoice",
		{"Id": link.qbo_id, "SyncToken": link.sync_token, "CustomerMemo": {"value": "edited in QBO"}},
		sparse=True,
	)
	w.store.update_doc(SI, name, due_date="2027-06-30")
	return SI, name


CASES.append(
	Case(
		"qbo-5010-stale-sync-token",
		_stale_due_date,
		"ok",
		("Updated DueDate",),
		check=lambda w, obj: assert_equal(obj["DueDate"], "2027-06-30"),
	)
)


def _doc_number_taken(w: World) -> tuple[str, str]:
	doc = doc_from("si_basic")
	w.emu.set_company(custom_txn_numbers=True)
	other = w.emu.add_customer("Someone Else Entirely") if hasattr(w.emu, "add_customer") else None
	customer_id = (other or {}).get("Id") or by_name(w.emu, "Customer", "Amy's Bird Sanctuary")
	from sync_support import make_client

	make_client(w.emu).create(
		"Invoice",
		{
			"DocNumber": doc["name"],
			"CustomerRef": {"value": customer_id},
			"Line": [
				{
					"DetailType": "SalesItemLineDetail",
					"Amount": 5,
					"SalesItemLineDetail": {"ItemRef": {"value": by_name(w.emu, "Item", "Hours")}},
				}
			],
		},
	)
	return SI, w.add(doc)


CASES.append(
	Case(
		"qbo-6140-doc-number-taken-by-another-customer",
		_doc_number_taken,
		"input",
		("6140", "already has another Invoice numbered", "Invoice Number Prefix"),
		extra={"qbo_has_one_other": True},
	)
)


# -- identity: names QBO sees as one -------------------------------------------------------------------------
def _two_customers(first: str, second: str) -> Callable[[World], tuple[str, str]]:
	"""Two ERPNext customers whose names QBO would see as one; the first is pushed, the case pushes the second."""

	def build(w: World) -> tuple[str, str]:
		_, one = _customer_named(first)(w)
		assert w.engine.push(SI, one).status == "Success"
		return _customer_named(second)(w)

	return build


def _two_qbo_customers(w: World, obj: dict[str, Any]) -> None:
	linked = {
		link.qbo_id for link in w.store.links() if link.doctype == "Customer" and link.state == "synced"
	}
	assert obj["CustomerRef"]["value"] in linked and len(linked) == 2, linked


for _label, _first, _second in (
	("same-name", "John Smith", "John Smith"),
	("case", "ACME Supplies", "acme supplies"),
	("colon", "ACME: West", "ACME - West"),
	("truncation", "N" * 600 + "1", "N" * 600 + "2"),
):
	CASES.append(
		Case(
			f"identity-customers-{_label}",
			_two_customers(_first, _second),
			"ok",
			(),
			check=_two_qbo_customers,
		)
	)


def _two_items(first: str, second: str) -> Callable[[World], tuple[str, str]]:
	def build(w: World) -> tuple[str, str]:
		_, one = _item_coded(first)(w)
		assert w.engine.push(SI, one).status == "Success"
		return _item_coded(second)(w)

	return build


def _own_item(w: World, obj: dict[str, Any]) -> None:
	ref = obj["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"]
	owners = [link.name for link in w.store.links() if link.doctype == "Item" and link.qbo_id == ref]
	assert len(owners) == 1, owners


for _label, _first, _second in (("colon", "BOLT:M8", "BOLT-M8"), ("case", "bolt-m10", "BOLT-M10")):
	CASES.append(Case(f"identity-items-{_label}", _two_items(_first, _second), "ok", (), check=_own_item))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_matrix(case: Case, emu, store, config, engine, clock) -> None:
	w = World(emu, store, config, engine, clock)
	doctype, name = case.build(w)
	before = {e: len(emu.objects(e)) for e in ENTITIES}
	result = engine.push(doctype, name)
	row = store.get_log(result.log_id)
	assert row is not None and row.status == result.status, "every attempt ends in a log row"
	for words in case.says:
		assert words in result.message, f"{words!r} not in {result.message!r}"

	if case.extra.get("skipped"):
		assert result.status == "Skipped"
		assert {e: len(emu.objects(e)) for e in ENTITIES} == before
		return
	if case.outcome == "input":
		assert result.status == "Failed" and not result.retryable, result.message
		assert name in result.message, "the message names the document"
		if not case.extra.get("qbo_has_one_other"):
			assert {e: len(emu.objects(e)) for e in ENTITIES} == before, "nothing written to QBO"
		clock.advance(days=2)
		assert [r for r in engine.retry_due() if getattr(r, "name", None) == name] == [], "not retried as is"
		return
	if case.outcome == "transient":
		assert result.status == "Failed" and result.retryable, result.message
		for _ in range(6):
			clock.advance(days=2)
			engine.retry_due()
		link = store.get_link(emu.realm_id, doctype, name)
		assert link is not None and link.state == "synced", "retried to success: nothing lost"
	else:
		expected = "Warning" if case.outcome == "warn" else "Success"
		assert result.status == expected, result.message
	link = store.get_link(emu.realm_id, doctype, name)
	obj = emu.get(case.entity, link.qbo_id)
	assert obj is not None
	if case.entity in ("Invoice", "CreditMemo"):
		numbers = Counter(o.get("DocNumber") for o in emu.objects(case.entity))
		assert numbers[obj["DocNumber"]] == 1, "nothing doubled"
	if case.check:
		case.check(w, obj)
	customers = (
		Counter(
			link.qbo_id for link in store.links() if link.doctype == "Customer" and link.state == "synced"
		)
		if hasattr(store, "links")
		else Counter()
	)
	assert all(count == 1 for count in customers.values()), "one QBO customer per ERPNext customer"


def test_the_matrix_has_at_least_a_hundred_cases() -> None:
	assert len(CASES) >= 100, len(CASES)
