"""Import from QuickBooks (issue 15): a seeded history of 500+ invoices imported with every ERPNext grand total
equal to QBO's TotalAmt; a dry run that counts and lists what to map; a second run that makes nothing; an
import killed halfway and resumed that ends as an uninterrupted one."""

from __future__ import annotations

import pytest
from sync_support import Clock, make_config, make_engine

from qbo_connector.emulator import EmulatorServer
from qbo_connector.mapping.money import q2
from qbo_connector.qbo.budget import ReadBudgetSpent
from qbo_connector.sync import MemoryStore
from qbo_connector.sync.history import CHECKPOINT_KEY

SI, PE = "Sales Invoice", "Payment Entry"
RANGE = ("2024-01-01", "2026-12-31")


class Killed(BaseException):
	"""The worker dies (not an Exception: nothing in the engine catches it)."""


def history_setup(emu: EmulatorServer, invoices: int) -> tuple[MemoryStore, object, dict]:
	counts = emu.seed_history(invoices=invoices)
	config = make_config(emu)
	# every sales tax code of the company mapped to an ERPNext tax account
	config.tax_map = {
		f"Tax {code['Name']} - QTC": code["Id"]
		for code in emu.objects("TaxCode")
		if code["Id"] not in ("TAX", "NON")
	}
	undeposited = next(a["Id"] for a in emu.objects("Account") if a["Name"] == "Undeposited Funds")
	config.account_map = {**config.account_map, "Undeposited Funds - QTC": undeposited}
	store = MemoryStore()
	store.add_config(config)
	return store, config, counts


def pulled_invoices(store: MemoryStore, realm: str) -> dict[str, dict]:
	out = {}
	for link in store.links(realm):
		if link.doctype == SI and link.origin == "pull":
			out[f"{link.qbo_entity} {link.qbo_id}"] = store.get_doc(SI, link.name)
	return out


@pytest.fixture
def big() -> EmulatorServer:
	with EmulatorServer(port=0, limits_enabled=False, time_scale=0.01) as server:
		yield server


def test_five_hundred_invoices_imported_to_the_cent_and_a_rerun_makes_nothing(big: EmulatorServer) -> None:
	store, config, counts = history_setup(big, 520)
	engine = make_engine(big, store, Clock())
	dry = engine.import_history(config.company, *RANGE, dry_run=True)
	assert dry.status == "Success", dry.message
	assert (
		not store.docs(SI)
		and not store.links(config.realm_id)
		or all(link.doctype != SI for link in store.links(config.realm_id))
	)
	live = [inv for inv in big.objects("Invoice") if "Voided" not in str(inv.get("PrivateNote"))]
	assert dry.kinds["invoices"].new == len(live) >= 500
	assert dry.kinds["invoices"].skipped == counts["voided"]

	seen: list[tuple[int, int]] = []
	result = engine.import_history(
		config.company, *RANGE, progress=lambda done, total, _m: seen.append((done, total))
	)
	assert result.status == "Success", result.message
	assert seen and seen[-1][0] == seen[-1][1]
	made = pulled_invoices(store, config.realm_id)
	assert result.kinds["invoices"].created == dry.kinds["invoices"].new == len(live)
	assert result.kinds["credit_memos"].created == counts["CreditMemo"]
	for key, doc in made.items():
		entity, qbo_id = key.split()
		obj = big.get(entity, qbo_id)
		sign = -1 if entity == "CreditMemo" else 1
		assert doc["docstatus"] == 1, (key, doc.get("qbo_note"))
		assert q2(doc["grand_total"]) == sign * q2(obj["TotalAmt"]), key
	currencies = {doc["currency"] for doc in made.values()}
	assert {"USD", "EUR", "GBP"} <= currencies
	assert any(doc.get("discount_amount") for doc in made.values())
	assert any(doc.get("taxes") for doc in made.values())
	# partial and full payments reconciled against the imported invoices
	assert result.kinds["payments"].created == counts["Payment"]
	partly = [d for d in made.values() if 0 < d["outstanding_amount"] < d["grand_total"]]
	assert partly

	docs_before, links_before = len(store.docs(SI)) + len(store.docs(PE)), len(store.links())
	again = engine.import_history(config.company, *RANGE)
	assert sum(c.created + c.updated for c in again.kinds.values()) == 0, again.message
	assert len(store.docs(SI)) + len(store.docs(PE)) == docs_before and len(store.links()) == links_before


def test_dry_run_lists_what_to_map_first(big: EmulatorServer) -> None:
	store, config, _ = history_setup(big, 60)
	config.tax_map = {}
	store.add_config(config)
	engine = make_engine(big, store, Clock())
	dry = engine.import_history(config.company, *RANGE, ["invoices"], dry_run=True)
	assert dry.status == "Warning"
	assert any("tax code" in line and "QBO Tax Map" in line for line in dry.to_map), dry.to_map
	assert not store.docs(SI)


def test_import_killed_halfway_resumes_and_ends_the_same(big: EmulatorServer) -> None:
	store, config, _ = history_setup(big, 150)
	engine = make_engine(big, store, Clock())
	create = store.create_sales_invoice
	calls = {"n": 0}

	def dying(company: str, data: dict) -> str:
		calls["n"] += 1
		if calls["n"] == 70:
			raise Killed()
		return create(company, data)

	store.create_sales_invoice = dying  # type: ignore[method-assign]
	with pytest.raises(Killed):
		engine.import_history(config.company, *RANGE, page_size=25)
	checkpoint = store.get_checkpoint(config.realm_id, CHECKPOINT_KEY)
	assert checkpoint["kind"] == "invoices" and 1 < checkpoint["position"] < 150
	store.create_sales_invoice = create  # type: ignore[method-assign]
	resumed = engine.import_history(config.company, *RANGE, page_size=25)
	assert resumed.resumed_from and resumed.resumed_from.startswith("invoices"), resumed.message
	made = pulled_invoices(store, config.realm_id)

	fresh_store = MemoryStore()
	fresh_store.add_config(config)
	fresh = make_engine(big, fresh_store, Clock())
	fresh.import_history(config.company, *RANGE, page_size=25)
	expected = pulled_invoices(fresh_store, config.realm_id)
	assert {k: (d["grand_total"], d["docstatus"]) for k, d in made.items()} == {
		k: (d["grand_total"], d["docstatus"]) for k, d in expected.items()
	}
	refs = [d.get("qbo_txn_ref") for d in store.docs(SI)]
	assert len(refs) == len(set(refs)) == len(expected)  # nothing made twice
	assert store.get_checkpoint(config.realm_id, CHECKPOINT_KEY)["done"] is True


class SpentAfter:
	"""A read-budget gate whose month's allowance runs out after `reads` asks."""

	def __init__(self, reads: int) -> None:
		self.left = reads
		self.asked: list[str] = []

	def check_deferrable(self, realm_id: str, what: str) -> None:
		self.asked.append(what)
		self.left -= 1
		if self.left < 0:
			raise ReadBudgetSpent(
				"spent", code="READ_BUDGET", user_message=f"{what} is put off until next month"
			)


def test_an_import_stops_when_the_read_budget_is_spent_and_its_retry_goes_on(big: EmulatorServer) -> None:
	store, config, _ = history_setup(big, 60)
	engine = make_engine(big, store, Clock())
	gate = SpentAfter(3)  # the counts, then two pages of 25
	stopped = engine.import_history(config.company, *RANGE, ["invoices"], page_size=25, budget=gate)
	assert stopped.status == "Failed" and "put off until next month" in stopped.message, stopped.message
	assert gate.asked[0] == "the import from QuickBooks"
	row = store.get_log(stopped.log_id)
	assert row.status == "Failed" and not row.retryable  # not retried by itself before the month turns
	assert store.get_checkpoint(config.realm_id, CHECKPOINT_KEY)["position"] == 51
	made = len(pulled_invoices(store, config.realm_id))
	assert made == 50  # the two pages read before the allowance ran out, nothing of the third
	resumed = engine.retry(stopped.log_id)  # an admin's Retry (the allowance raised): from page three
	assert resumed.status == "Success", resumed.message
	assert resumed.resumed_from == "invoices from row 51"
	refs = [d.get("qbo_txn_ref") for d in store.docs(SI)]
	assert len(refs) == len(set(refs)) == len(pulled_invoices(store, config.realm_id)) > made
