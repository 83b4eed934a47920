"""The offline tour: the real engine, client and mapping against the emulator, no bench and no Intuit account.

    python -m qbo_connector.emulator.tour                 # push the sample ERPNext documents, pay one in QBO, pull
    python -m qbo_connector.emulator.tour --keep-running  # then leave the emulator up to look around

It loads ERPNext documents exported from a real site (tests/fixtures/erpnext in a clone, or --fixtures DIR),
keeps them in a MemoryStore (the Store the Frappe layer implements over frappe.db) and prints what QBO ended
up holding. It lives with the emulator, not in the sync package: the engine never imports the emulator.
`connect_engine` is also what the framework-free tests build their engine with.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.oauth import MemoryTokenStore, OAuthClient, TokenProvider, Tokens
from qbo_connector.qbo.pacing import Pacer
from qbo_connector.sync.engine import SyncEngine
from qbo_connector.sync.memory import MemoryStore
from qbo_connector.sync.store import PAYMENT_ENTRY, SALES_INVOICE, ConnectionConfig

from .server import EmulatorServer

COMPANY = "QBO Test Co"
DEFAULT_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "erpnext"


def emulator_client(emu: EmulatorServer, realm_id: str | None = None, **options: Any) -> QBOClient:
	"""A real QBOClient with the real refresh rotation, holding tokens the emulator issued without a browser.

	Paced to Intuit's limits like the Frappe layer's client, unless the caller passes its own `pacer`.
	"""
	options.setdefault("pacer", Pacer())
	realm = str(realm_id or emu.realm_id)
	tokens = Tokens.from_response(emu.issue_tokens(realm), time.time(), realm_id=realm)
	oauth = OAuthClient(emu.client_id, emu.client_secret, "http://localhost/callback", emu.environment())
	return QBOClient(realm, emu.environment(), TokenProvider(oauth, MemoryTokenStore(tokens)), **options)


def qbo_id_by_name(emu: EmulatorServer, entity: str, name: str, realm_id: str | None = None) -> str:
	"""The id of a seeded QBO account, tax code or item, found the way an admin picks it: by name."""
	for obj in emu.objects(entity, realm_id):
		if obj.get("Name") == name or obj.get("DisplayName") == name:
			return str(obj["Id"])
	raise KeyError(f"{entity} {name!r} not in the emulator")


def emulator_config(emu: EmulatorServer, realm_id: str | None = None, **overrides: Any) -> ConnectionConfig:
	"""The mappings an admin would set for the fixtures' company against the seeded emulator company."""
	realm = str(realm_id or emu.realm_id)

	def ref(entity: str, name: str) -> str:
		return qbo_id_by_name(emu, entity, name, realm)

	services, checking = ref("Account", "Services"), ref("Account", "Checking")
	# The fixtures' company is in New York; a non-US emulator company has VAT/GST codes instead (the caller
	# maps those).
	us = any(o.get("Name") == "NY State+City 8.875%" for o in emu.objects("TaxCode", realm))
	ny = ref("TaxCode", "NY State+City 8.875%") if us else None
	# ERPNext's 20 % VAT-included template needs a QBO code of the same rate (the push refuses another rate).
	twenty = ref("TaxCode", "Special 20%") if us else None
	config = ConnectionConfig(
		company=COMPANY,
		realm_id=realm,
		account_map={
			"Service - QTC": services,
			"Sales - QTC": ref("Account", "Sales of Product Income"),
			"Bank Account - QTC": checking,
			"Chase Checking - QTC": checking,
			# purchases: each ERPNext expense account onto a QBO one (the rest: the default expense account)
			"Cost of Goods Sold - QTC": ref("Account", "Cost of Goods Sold"),
			"Office Maintenance Expenses - QTC": ref("Account", "Office Expenses"),
		},
		tax_map={"NY Sales Tax 8.875% - QTC": ny, "VAT 20% Included - QTC": twenty} if ny else {},
		us_tax_code=ny,
		default_income_account=services,
		default_expense_account=ref("Account", "Uncategorized Expense"),
		discount_account=ref("Account", "Discounts given"),
		rounding_item=str(emu.add_item("Rounding", type="Service", realm_id=realm)["Id"]),
	)
	for key, value in overrides.items():
		setattr(config, key, value)
	return config


def connect_engine(
	emu: EmulatorServer,
	store: MemoryStore,
	clock: Callable[[], Any] | None = None,
	backoff: tuple[float, ...] | None = None,
	**client_options: Any,
) -> SyncEngine:
	"""A SyncEngine whose clients (one per realm, cached) talk to the emulator."""
	clients: dict[str, QBOClient] = {}

	def client_for(realm_id: str) -> QBOClient:
		if realm_id not in clients:
			clients[realm_id] = emulator_client(emu, realm_id, **client_options)
		return clients[realm_id]

	extra: dict[str, Any] = {"backoff": backoff} if backoff is not None else {}
	return SyncEngine(store, client_for, clock, **extra)


def _write(line: str = "") -> None:
	sys.stdout.write(line + "\n")


def run_tour(emu: EmulatorServer, fixtures: Path) -> MemoryStore:
	"""Push every submitted sample document, cancel the cancelled one, pay one in QBO, pull it back.

	Returns the store, whose links and log rows say what happened (the tests read them)."""
	store = MemoryStore()
	docs = store.load_fixtures(fixtures)
	store.add_config(emulator_config(emu))
	engine = connect_engine(emu, store)

	invoices = [d for d in docs if d["doctype"] == SALES_INVOICE]
	_write(f"QBO emulator at {emu.base_url}, realm {emu.realm_id}")
	_write(f"Pushing {len(invoices)} Sales Invoices (the cancelled one is voided after its push)")
	for doc in sorted(invoices, key=lambda d: d["name"]):
		if doc["docstatus"] == 2:
			store.update_doc(SALES_INVOICE, doc["name"], docstatus=1)
			engine.push(SALES_INVOICE, doc["name"])
			store.update_doc(SALES_INVOICE, doc["name"], docstatus=2)
			result = engine.cancel(SALES_INVOICE, doc["name"])
		else:
			result = engine.push(SALES_INVOICE, doc["name"])
		qbo = emu.get(result.qbo_entity, result.qbo_id) if result.qbo_id and result.qbo_entity else None
		erp_total = Decimal(str(doc.get("rounded_total") or doc["grand_total"]))
		qbo_total = qbo.get("TotalAmt") if qbo else "-"
		_write(
			f"  {doc['name']:<24} {result.status:<8} {result.action or '':<8} -> {result.qbo_entity} "
			f"{result.qbo_id}  ERPNext {erp_total}  QBO {qbo_total}"
		)
		if result.status in ("Warning", "Failed") or "rounding tolerance" in result.message:
			_write(f"      {result.message}")

	_write("Pushing a quotation, a purchase order, purchase invoices (a bill, a debit note)")
	for doctype in ("Quotation", "Purchase Order", "Purchase Invoice"):
		for doc in sorted((d for d in docs if d["doctype"] == doctype), key=lambda d: d["name"]):
			result = engine.push(doctype, doc["name"])
			qbo = emu.get(result.qbo_entity, result.qbo_id) if result.qbo_id and result.qbo_entity else None
			erp_total = abs(Decimal(str(doc.get("rounded_total") or doc["grand_total"])))
			_write(
				f"  {doc['name']:<24} {result.status:<8} -> {result.qbo_entity} {result.qbo_id}  ERPNext "
				f"{erp_total}  QBO {qbo.get('TotalAmt') if qbo else '-'}"
			)

	_write("Pushing Payment Entries (received from customers, paid to a supplier)")
	for doc in (d for d in docs if d["doctype"] == PAYMENT_ENTRY):
		result = engine.push(PAYMENT_ENTRY, doc["name"])
		_write(
			f"  {doc['name']:<24} {result.status:<8} -> {result.qbo_entity} {result.qbo_id}  {result.message}"
		)

	link = store.get_link(emu.realm_id, SALES_INVOICE, "ACC-SINV-2026-00010")
	if link and link.qbo_id:
		balance = Decimal(str(emu.get("Invoice", link.qbo_id)["Balance"]))
		half = (balance / 2).quantize(Decimal("0.01"))
		emu.record_payment(invoice_id=link.qbo_id, amount=float(half))
		_write(f"A customer pays {half} of ACC-SINV-2026-00010 in QBO; pulling changes back")
		pulled = engine.pull(company=COMPANY)
		_write(f"  pull: {pulled.status} {pulled.message}")
		for pe in store.docs(PAYMENT_ENTRY):
			if pe.get("qbo_payment_id"):
				refs = ", ".join(f"{r['reference_name']} {r['allocated_amount']}" for r in pe["references"])
				_write(f"  new Payment Entry {pe['name']}: {pe['paid_amount']} allocated to {refs}")

	logs = store.logs()
	_write(f"{len(logs)} sync log rows; by status: " + _count(entry.status for entry in logs))
	return store


def _count(values: Any) -> str:
	counts: dict[str, int] = {}
	for value in values:
		counts[value] = counts.get(value, 0) + 1
	return ", ".join(f"{key} {n}" for key, n in sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(
		prog="python -m qbo_connector.emulator.tour", description=__doc__.split("\n")[0]
	)
	parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="folder of ERPNext JSON docs")
	parser.add_argument("--port", type=int, default=0, help="emulator port (0: any free port)")
	parser.add_argument("--keep-running", action="store_true", help="leave the emulator up until Ctrl-C")
	args = parser.parse_args(argv)
	if not args.fixtures.is_dir():
		parser.error(
			f"no fixtures at {args.fixtures}: pass --fixtures DIR (tests/fixtures/erpnext in a clone)"
		)
	# Retry-After on a 429: should the machine be so busy that a throttle slips through the pacer, the tour
	# waits the real remaining second instead of Intuit's blanket 60 s.
	with EmulatorServer(port=args.port, webhook_on_api_writes=False, throttle_retry_after=True) as emu:
		run_tour(emu, args.fixtures)
		if args.keep_running:
			_write(f"Emulator still up: {emu.base_url}/_emulator/state?entity=Invoice (Ctrl-C to stop)")
			try:
				while True:
					time.sleep(3600)
			except KeyboardInterrupt:
				pass
	return 0


if __name__ == "__main__":
	sys.exit(main())
