"""The document kinds are the one place that says which documents move and how: every engine path reads
them, nothing in the engine names a doctype, and the engine never imports the emulator."""

from __future__ import annotations

import ast
import copy
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sync_support import FIXTURES, fixture

from qbo_connector.sync import ConnectionConfig, MemoryStore, kinds
from qbo_connector.sync.kinds import KINDS, Kind

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "qbo_connector"
# The engine's own modules: they must work for any kind without knowing one.
ENGINE_MODULES = ("push.py", "bulk.py", "base.py", "engine.py", "deposit.py", "interrupt.py")
DOCTYPE_NAMES = ("Sales Invoice", "Payment Entry", "Purchase Invoice", "Quotation", "Purchase Order")


@pytest.mark.parametrize(
	("name", "key"),
	[
		("si_basic", "sales_invoice"),
		("si_cancelled", "sales_invoice"),
		("si_return", "credit_note"),
		("pe_full", "payment"),
		("pe_partial_multi", "payment"),
	],
)
def test_each_fixture_is_of_the_kind_its_filters_say(name: str, key: str) -> None:
	doc = fixture(name)
	kind = kinds.of(doc["doctype"], doc)
	assert kind is not None and kind.key == key
	assert kind.doctype == doc["doctype"]


def test_a_document_of_no_kind_is_refused_by_the_guard(engine, store) -> None:
	transfer = copy.deepcopy(fixture("pe_full"))
	transfer.update(name="ACC-PAY-XFER-1", payment_type="Internal Transfer", party_type=None, party=None)
	store.add_doc(transfer)
	assert kinds.of("Payment Entry", transfer) is None
	result = engine.push("Payment Entry", "ACC-PAY-XFER-1")
	assert result.status == "Skipped"
	assert "only those go to QuickBooks" in result.message
	assert (
		engine.store.get_link(
			engine.store.get_config("QBO Test Co").realm_id, "Payment Entry", "ACC-PAY-XFER-1"
		)
		is None
	)


def test_a_document_made_from_qbo_is_not_of_a_kind_to_push() -> None:
	pulled = dict(fixture("pe_full"), qbo_payment_id="9130:42")
	kind = kinds.of("Payment Entry", pulled)
	assert kind is not None and kind.pulled(pulled)
	assert kind.list_filters()["qbo_payment_id"] is None


def test_filters_compare_checks_by_truth() -> None:
	invoice = dict(fixture("si_basic"))
	invoice.pop("is_return")  # a document without the field counts as is_return 0
	assert kinds.of("Sales Invoice", invoice).key == "sales_invoice"
	invoice["is_return"] = True
	assert kinds.of("Sales Invoice", invoice).key == "credit_note"


def test_list_unsynced_follows_each_kinds_filters() -> None:
	store = MemoryStore()
	store.load_fixtures(FIXTURES)
	store.add_config(ConnectionConfig(company="QBO Test Co", realm_id="1"))
	later = datetime(2100, 1, 1, tzinfo=timezone.utc)
	invoices = store.list_unsynced("QBO Test Co", "Sales Invoice", later, kinds.KINDS[0].list_filters())
	returns = store.list_unsynced("QBO Test Co", "Sales Invoice", later, kinds.KINDS[1].list_filters())
	assert "ACC-SINV-2026-00008" in returns and "ACC-SINV-2026-00008" not in invoices
	assert "ACC-SINV-2026-00002" in invoices
	every = store.list_unsynced("QBO Test Co", "Sales Invoice", later)
	assert sorted(every) == sorted(invoices + returns)


def test_every_kind_states_its_unit_in_full() -> None:
	keys = [kind.key for kind in KINDS]
	assert len(keys) == len(set(keys))
	for kind in KINDS:
		assert isinstance(kind, Kind)
		assert kind.doctype and kind.entity and kind.title and kind.plural
		assert kind.entity in kind.entities
		assert callable(kind.map)
		assert kind.cancel, kind.key
		assert set(kind.cancel) <= {"void", "delete", "update"}
		assert ("update" in kind.cancel) == bool(kind.cancel_fields), kind.key
		assert "on_submit" in kind.events and "on_cancel" in kind.events
		assert set(kind.updatable) <= set() or kind.update_fields, kind.key
		if kind.party is not None:
			assert kind.party_field
		assert kinds.by_entity(kind.entity, kind.doctype) is not None


def test_doc_events_cover_every_kind() -> None:
	events = kinds.doc_events("handlers.")
	for kind in KINDS:
		for event in kind.events:
			assert events[kind.doctype][event] == f"handlers.{event}"
	assert set(events) == set(kinds.doctypes())


def test_hooks_wire_the_kinds() -> None:
	from qbo_connector import hooks

	for doctype in kinds.doctypes():
		assert doctype in hooks.doc_events
		assert doctype in hooks.doctype_js and doctype in hooks.doctype_list_js
	assert hooks.doc_events["Sales Invoice"]["on_update_after_submit"].endswith(".on_update_after_submit")


def test_every_kind_form_gets_preview_and_every_migrate_runs_both_install_hooks() -> None:
	from qbo_connector import hooks

	for doctype in kinds.doctypes():
		assert "public/js/qbo_preview.js" in hooks.doctype_js[doctype], doctype
	# a second plain assignment of after_migrate used to replace the first (the overview block was not synced)
	assert hooks.after_migrate == [
		"qbo_connector.qbo_connector.install.after_migrate",
		"qbo_connector.qbo_connector.install.add_custom_fields",
	]


def _imports(path: Path) -> set[str]:
	tree = ast.parse(path.read_text())
	names: set[str] = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.Import):
			names.update(alias.name for alias in node.names)
		elif isinstance(node, ast.ImportFrom) and node.module:
			names.add(node.module if node.level == 0 else f"{'.' * node.level}{node.module}")
	return names


def test_no_module_outside_the_emulator_and_tests_imports_the_emulator() -> None:
	offenders = []
	for path in PACKAGE.rglob("*.py"):
		relative = path.relative_to(PACKAGE).as_posix()
		if relative.startswith("emulator/") or "/tests/" in relative or relative.startswith("tests/"):
			continue
		if any("emulator" in name for name in _imports(path)):
			offenders.append(relative)
	assert offenders == []


def _code_words(path: Path) -> set[str]:
	"""Names and string constants of a module's code (docstrings left out: examples may name doctypes)."""
	tree = ast.parse(path.read_text())
	docstrings = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
			first = node.body[0] if node.body else None
			if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
				docstrings.add(id(first.value))
	words: set[str] = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.Name):
			words.add(node.id)
		elif isinstance(node, ast.alias):
			words.add(node.asname or node.name)
		elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
			words.update(name for name in DOCTYPE_NAMES if name in node.value)
	return words


def test_the_engine_never_names_a_doctype() -> None:
	for module in ENGINE_MODULES:
		words = _code_words(PACKAGE / "sync" / module)
		for name in (*DOCTYPE_NAMES, "SALES_INVOICE", "PAYMENT_ENTRY"):
			assert name not in words, f"sync/{module} names {name}: read it from the document's kind"


def test_the_pull_asks_qbo_only_for_entities_its_change_data_capture_covers() -> None:
	from qbo_connector.emulator.state import CDC_EXCLUDED
	from qbo_connector.sync.pull import PULL_ENTITIES

	assert not set(PULL_ENTITIES) & set(CDC_EXCLUDED)
	for kind in KINDS:
		if kind.watched:
			assert set(kind.entities) <= set(PULL_ENTITIES), kind.key
