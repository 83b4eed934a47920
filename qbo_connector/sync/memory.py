"""MemoryStore: the whole Store in memory, thread-safe. Used by tests and by the README's offline demo.

It behaves like the Frappe store should: links keyed by (realm, doctype, name), logs append-only with a
"superseded" rule for retries, pulled Payment Entries idempotent on the QBO payment id.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from qbo_connector.qbo.constants import canonical_entity

from .identity import DuplicateLink, find_duplicate_links
from .outcome import LinkConflictError
from .store import (
	CUSTOMER,
	ITEM,
	PAYMENT_ENTRY,
	SUPPLIER,
	CompanyMode,
	ConnectionConfig,
	Link,
	LogEntry,
	LogOutcome,
)


def _parse_dt(value: Any) -> datetime | None:
	if isinstance(value, datetime):
		return value
	if not value:
		return None
	return datetime.fromisoformat(str(value))


class MemoryStore:
	"""An in-memory Store. Documents are deep-copied in and out so callers cannot mutate shared state."""

	def __init__(self) -> None:
		self._mutex = threading.RLock()
		self._configs: dict[str, ConnectionConfig] = {}
		self._docs: dict[tuple[str, str], dict[str, Any]] = {}
		self._links: dict[tuple[str, str, str], Link] = {}
		self._logs: dict[str, LogEntry] = {}
		self._log_seq = itertools.count(1)
		self._watermarks: dict[tuple[str, str], datetime] = {}
		self._events: set[str] = set()
		self._locks: dict[str, threading.Lock] = {}
		self._pulled_payments: dict[str, str] = {}
		self._name_seq = itertools.count(1)
		self._files: dict[tuple[str, str], dict[str, bytes]] = {}
		self._reconciled: dict[tuple[str, str, str], dict[str, Any]] = {}
		self._checkpoints: dict[tuple[str, str], dict[str, Any]] = {}
		self._invoice_seq = itertools.count(1)

	# -- seeding (not part of the protocol) ---------------------------------------------------------------
	def add_config(self, config: ConnectionConfig) -> None:
		with self._mutex:
			self._configs[config.company] = config

	def add_doc(self, doc: dict[str, Any]) -> None:
		with self._mutex:
			self._docs[(doc["doctype"], doc["name"])] = copy.deepcopy(doc)

	def load_fixtures(self, directory: str | Path) -> list[dict[str, Any]]:
		"""Load every ERPNext fixture JSON of a directory; returns the documents."""
		docs = []
		for path in sorted(Path(directory).glob("*.json")):
			doc = json.loads(path.read_text())
			self.add_doc(doc)
			docs.append(doc)
		return docs

	def update_doc(self, doctype: str, name: str, **values: Any) -> None:
		"""Change fields of a stored document (tests: due date changed after submit, cancel, ...)."""
		with self._mutex:
			self._docs[(doctype, name)].update(copy.deepcopy(values))

	def add_link(self, link: Link) -> None:
		"""Put a link in as it is, unchecked: a row written before QBO Link had its unique keys (tests of the
		duplicate-links check). The engine goes through save_link, which refuses such a link."""
		with self._mutex:
			self._links[(link.realm_id, link.doctype, link.name)] = copy.deepcopy(link)

	def docs(self, doctype: str) -> list[dict[str, Any]]:
		with self._mutex:
			return [copy.deepcopy(d) for (dt, _), d in self._docs.items() if dt == doctype]

	def links(self, realm_id: str | None = None) -> list[Link]:
		with self._mutex:
			return [replace(x) for x in self._links.values() if realm_id in (None, x.realm_id)]

	def logs(self) -> list[LogEntry]:
		with self._mutex:
			return [replace(x) for x in self._logs.values()]

	# -- connection -------------------------------------------------------------------------------------
	def get_config(self, company: str) -> ConnectionConfig | None:
		with self._mutex:
			config = self._configs.get(company)
			return copy.deepcopy(config) if config else None

	def get_config_for_realm(self, realm_id: str) -> ConnectionConfig | None:
		with self._mutex:
			for config in self._configs.values():
				if config.realm_id == realm_id:
					return copy.deepcopy(config)
			return None

	def save_company_mode(self, company: str, mode: CompanyMode) -> None:
		with self._mutex:
			self._configs[company].company_mode = replace(mode)

	# -- documents --------------------------------------------------------------------------------------
	def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
		with self._mutex:
			doc = self._docs.get((doctype, name))
			return copy.deepcopy(doc) if doc is not None else None

	def _linked_to(
		self, doctype: str, party: str, flag: str, party_type: str = CUSTOMER
	) -> dict[str, Any] | None:
		candidates = []
		for (dt, _), doc in self._docs.items():
			if dt != doctype:
				continue
			for link in doc.get("links") or []:
				if link.get("link_doctype") == party_type and link.get("link_name") == party:
					candidates.append(doc)
		candidates.sort(key=lambda d: -int(d.get(flag) or 0))
		return copy.deepcopy(candidates[0]) if candidates else None

	def get_primary_address(self, party: str, party_type: str = CUSTOMER) -> dict[str, Any] | None:
		with self._mutex:
			record = self._docs.get((party_type, party)) or {}
			name = record.get(f"{party_type.lower()}_primary_address")
			if name and ("Address", name) in self._docs:
				return copy.deepcopy(self._docs[("Address", name)])
			return self._linked_to("Address", party, "is_primary_address", party_type)

	def get_primary_contact(self, party: str, party_type: str = CUSTOMER) -> dict[str, Any] | None:
		with self._mutex:
			record = self._docs.get((party_type, party)) or {}
			name = record.get(f"{party_type.lower()}_primary_contact")
			if name and ("Contact", name) in self._docs:
				return copy.deepcopy(self._docs[("Contact", name)])
			return self._linked_to("Contact", party, "is_primary_contact", party_type)

	def list_unsynced(
		self,
		company: str,
		doctype: str,
		submitted_before: datetime,
		filters: dict[str, Any] | None = None,
	) -> list[str]:
		from . import kinds

		with self._mutex:
			config = self._configs.get(company)
			if not config:
				return []
			names = []
			for (dt, name), doc in self._docs.items():
				if dt != doctype or doc.get("docstatus") != 1 or doc.get("company") != company:
					continue
				if filters is not None:
					if not all(kinds.same_value(doc.get(key), want) for key, want in filters.items()):
						continue
				elif kinds.of(doctype, doc) is None:
					continue
				modified = _parse_dt(doc.get("modified"))
				if modified and modified.tzinfo is None and submitted_before.tzinfo is not None:
					modified = modified.replace(tzinfo=submitted_before.tzinfo)
				if modified and modified > submitted_before:
					continue
				link = self._links.get((config.realm_id, dt, name))
				if link and link.state != "pending":
					continue
				names.append(name)
			return sorted(names)

	def list_documents(
		self,
		company: str,
		doctype: str,
		from_date: str,
		to_date: str,
		filters: dict[str, Any] | None = None,
		date_field: str = "posting_date",
	) -> list[dict[str, Any]]:
		from . import kinds

		with self._mutex:
			out = []
			for (dt, _name), doc in self._docs.items():
				if dt != doctype or doc.get("company") != company or doc.get("docstatus") not in (1, 2):
					continue
				posted = str(doc.get(date_field) or "")[:10]
				if not from_date <= posted <= to_date:
					continue
				if not all(kinds.same_value(doc.get(key), want) for key, want in (filters or {}).items()):
					continue
				out.append(copy.deepcopy(doc))
			return sorted(out, key=lambda d: (str(d.get(date_field)), d["name"]))

	# -- links ------------------------------------------------------------------------------------------
	def get_link(self, realm_id: str, doctype: str, name: str) -> Link | None:
		with self._mutex:
			link = self._links.get((realm_id, doctype, name))
			return copy.deepcopy(link) if link else None

	def find_link(self, realm_id: str, qbo_entity: str, qbo_id: str) -> Link | None:
		with self._mutex:
			for link in self._links.values():
				if link.realm_id == realm_id and link.qbo_entity == qbo_entity and link.qbo_id == str(qbo_id):
					return copy.deepcopy(link)
			return None

	def save_link(self, link: Link) -> None:
		"""Like QBO Link's two unique keys: one link per (realm, document), and one document per (realm,
		QBO entity, QBO id); a link to a QBO object another document holds raises LinkConflictError."""
		with self._mutex:
			if link.qbo_id:
				entity = canonical_entity(link.qbo_entity)
				for other in self._links.values():
					if (
						other.realm_id == link.realm_id
						and other.qbo_id == str(link.qbo_id)
						and canonical_entity(other.qbo_entity) == entity
						and (other.doctype, other.name) != (link.doctype, link.name)
					):
						raise LinkConflictError(
							link.realm_id,
							entity,
							str(link.qbo_id),
							holder=(other.doctype, other.name),
							claimant=(link.doctype, link.name),
						)
			self._links[(link.realm_id, link.doctype, link.name)] = copy.deepcopy(link)

	def get_links(self, realm_id: str, doctype: str, names: list[str]) -> dict[str, Link]:
		with self._mutex:
			return {
				name: copy.deepcopy(self._links[(realm_id, doctype, name)])
				for name in names
				if (realm_id, doctype, name) in self._links
			}

	def mark_reconciled(self, realm_id: str, marks: list[Any], checked_at: datetime) -> None:
		with self._mutex:
			for mark in marks:
				self._reconciled[(realm_id, mark.doctype, mark.name)] = {
					"state": mark.state,
					"drift": bool(mark.drift),
					"message": mark.message,
					"checked_at": checked_at,
				}

	def reconciled(self, realm_id: str, doctype: str, name: str) -> dict[str, Any] | None:
		"""What the last drift check kept for a document (tests)."""
		with self._mutex:
			found = self._reconciled.get((realm_id, doctype, name))
			return dict(found) if found else None

	def duplicate_links(self, realm_id: str | None = None) -> list[DuplicateLink]:
		"""QBO objects linked to several records (only add_link can put such links in)."""
		return find_duplicate_links(self.links(), realm_id)

	# -- logs -------------------------------------------------------------------------------------------
	def start_log(self, entry: LogEntry) -> str:
		with self._mutex:
			log_id = f"LOG-{next(self._log_seq):06d}"
			self._logs[log_id] = replace(entry, id=log_id, status="Started")
			return log_id

	def finish_log(self, log_id: str, outcome: LogOutcome) -> None:
		with self._mutex:
			entry = self._logs[log_id]
			for key, value in vars(outcome).items():
				if value is not None or key in ("next_retry_at",):
					setattr(entry, key, value)

	def get_log(self, log_id: str) -> LogEntry | None:
		with self._mutex:
			entry = self._logs.get(log_id)
			return replace(entry) if entry else None

	def retry_candidates(self, now: datetime) -> list[LogEntry]:
		with self._mutex:
			newest: dict[tuple, LogEntry] = {}
			for entry in self._logs.values():  # insertion order == attempt order
				if entry.operation in ("bulk", "auto_push"):
					continue
				newest[(entry.realm_id, entry.operation, entry.doctype, entry.name)] = entry
			out = []
			for entry in newest.values():
				if entry.status not in ("Failed", "Interrupted"):
					continue
				if not any(
					config.realm_id == entry.realm_id or (entry.realm_id is None and company == entry.company)
					for company, config in self._configs.items()
				):
					continue  # its QuickBooks company is not connected (any more): nothing to retry into
				due = entry.next_retry_at is not None and entry.next_retry_at <= now
				waiting = not entry.retryable and entry.doc_fingerprint is not None
				if due or waiting:
					out.append(replace(entry))
			return out

	@staticmethod
	def _key(entry: LogEntry) -> tuple[str | None, str, str | None, str | None]:
		return (entry.realm_id, entry.operation, entry.doctype, entry.name)

	def open_attempts(
		self,
		realm_id: str | None,
		operation: str,
		doctype: str | None,
		name: str | None,
		before: str | None = None,
	) -> list[LogEntry]:
		key = (realm_id, operation, doctype, name)
		with self._mutex:
			out = []
			for log_id, entry in self._logs.items():  # insertion order == the order rows were opened
				if log_id == before:
					break
				if entry.status == "Started" and self._key(entry) == key:
					out.append(replace(entry))
			return out

	def last_attempt(
		self, realm_id: str | None, operation: str, doctype: str | None, name: str | None
	) -> LogEntry | None:
		key = (realm_id, operation, doctype, name)
		with self._mutex:
			for entry in reversed(self._logs.values()):
				if self._key(entry) == key:
					return replace(entry)
			return None

	def stale_attempts(self, started_before: datetime) -> list[LogEntry]:
		with self._mutex:
			return [
				replace(entry)
				for entry in self._logs.values()
				if entry.status == "Started"
				and entry.started_at is not None
				and entry.started_at < started_before
			]

	def interrupt_log(self, log_id: str, outcome: LogOutcome) -> bool:
		with self._mutex:
			entry = self._logs.get(log_id)
			if entry is None or entry.status != "Started":
				return False
			self.finish_log(log_id, outcome)
			return True

	# -- pull state -------------------------------------------------------------------------------------
	def get_watermark(self, realm_id: str, key: str = "cdc") -> datetime | None:
		with self._mutex:
			return self._watermarks.get((realm_id, key))

	def set_watermark(self, realm_id: str, value: datetime, key: str = "cdc") -> None:
		with self._mutex:
			self._watermarks[(realm_id, key)] = value

	def claim_event(self, key: str) -> bool:
		with self._mutex:
			if key in self._events:
				return False
			self._events.add(key)
			return True

	def release_event(self, key: str) -> None:
		with self._mutex:
			self._events.discard(key)

	# -- ERPNext writes on pull -------------------------------------------------------------------------
	def _upsert(
		self,
		doctype: str,
		data: dict[str, Any],
		name: str | None,
		title_field: str,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		with self._mutex:
			if name is None:
				wanted = data.get("name") or data.get(title_field)
				existing = self._docs.get((doctype, wanted)) if wanted else None
				if existing is not None and (adopt is None or adopt(wanted)):
					name = wanted
				elif existing is not None:  # refused: a new record, named as ERPNext names a duplicate
					name = next(
						f"{wanted} - {n}"
						for n in itertools.count(1)
						if (doctype, f"{wanted} - {n}") not in self._docs
					)
				else:
					name = wanted or f"{doctype}-{next(self._name_seq)}"
			doc = self._docs.get((doctype, name))
			if doc is None:
				doc = {"doctype": doctype, "name": name, "docstatus": 0}
				self._docs[(doctype, name)] = doc
			doc.update({k: copy.deepcopy(v) for k, v in data.items() if k not in ("name", "doctype")})
			return name

	def upsert_customer(
		self,
		company: str,
		data: dict[str, Any],
		name: str | None = None,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		return self._upsert(CUSTOMER, data, name, "customer_name", adopt)

	def upsert_supplier(
		self,
		company: str,
		data: dict[str, Any],
		name: str | None = None,
		adopt: Callable[[str], bool] | None = None,
	) -> str:
		return self._upsert(SUPPLIER, data, name, "supplier_name", adopt)

	def upsert_item(self, company: str, data: dict[str, Any], name: str | None = None) -> str:
		return self._upsert(ITEM, data, name, "item_code")

	def find_employees(self, company: str, email: str | None, name: str | None) -> list[tuple[str, str]]:
		with self._mutex:
			people = [
				doc
				for (doctype, _), doc in self._docs.items()
				if doctype == "Employee"
				and doc.get("company") in (None, company)
				and (doc.get("status") or "Active") == "Active"
			]
			if email:
				fields = ("company_email", "personal_email", "prefered_email", "user_id")
				found = [
					doc["name"]
					for doc in people
					if any(str(doc.get(f) or "").strip().casefold() == email.casefold() for f in fields)
				]
				if found:
					return [(employee, "e-mail") for employee in sorted(found)]
			if name:
				found = [
					doc["name"]
					for doc in people
					if " ".join(str(doc.get("employee_name") or "").split()).casefold()
					== " ".join(name.split()).casefold()
				]
				return [(employee, "name") for employee in sorted(found)]
			return []

	def create_payment_entry(self, company: str, data: dict[str, Any], qbo_payment_id: str) -> str:
		with self._mutex:
			key = f"{company}|{qbo_payment_id}"
			if key in self._pulled_payments:
				return self._pulled_payments[key]
			name = f"QBO-PAY-{next(self._name_seq):05d}"
			doc = copy.deepcopy(data)
			doc.update({"doctype": PAYMENT_ENTRY, "name": name, "docstatus": 1, "company": company})
			doc.setdefault("payment_type", "Receive")
			self._docs[(PAYMENT_ENTRY, name)] = doc
			self._pulled_payments[key] = name
			for ref in doc.get("references") or []:
				inv = self._docs.get(
					(ref.get("reference_doctype") or "Sales Invoice", ref.get("reference_name"))
				)
				if inv is not None and inv.get("outstanding_amount") is not None:
					inv["outstanding_amount"] = round(
						float(inv["outstanding_amount"]) - float(ref.get("allocated_amount") or 0), 2
					)
			return name

	def attach_file(self, doctype: str, name: str, filename: str, content: bytes) -> str:
		with self._mutex:
			self._files.setdefault((doctype, name), {}).setdefault(filename, bytes(content))
			return filename

	def files(self, doctype: str, name: str) -> dict[str, bytes]:
		"""Files attached to a document (tests)."""
		with self._mutex:
			return dict(self._files.get((doctype, name), {}))

	def flag_qbo_state(self, doctype: str, name: str, state: str, message: str) -> None:
		with self._mutex:
			doc = self._docs.get((doctype, name))
			if doc is not None:
				doc["qbo_state"] = state
				doc["qbo_message"] = message

	def set_disabled(self, doctype: str, name: str, disabled: bool) -> bool:
		with self._mutex:
			doc = self._docs.get((doctype, name))
			if doc is None or bool(doc.get("disabled")) == bool(disabled):
				return False
			doc["disabled"] = int(bool(disabled))
			return True

	def cancel_payment_entry(self, name: str, state: str, message: str) -> bool:
		with self._mutex:
			doc = self._docs.get((PAYMENT_ENTRY, name))
			if doc is None or doc.get("docstatus") != 1:
				return False
			doc["docstatus"] = 2
			doc["qbo_state"] = state
			doc["qbo_message"] = message
			for ref in doc.get("references") or []:  # what the entry paid is outstanding again
				inv = self._docs.get(
					(ref.get("reference_doctype") or "Sales Invoice", ref.get("reference_name"))
				)
				if inv is not None and inv.get("outstanding_amount") is not None:
					inv["outstanding_amount"] = round(
						float(inv["outstanding_amount"]) + float(ref.get("allocated_amount") or 0), 2
					)
			return True

	# -- invoices made in QBO ---------------------------------------------------------------------------
	@staticmethod
	def erpnext_totals(doc: dict[str, Any]) -> None:
		"""Totals the way ERPNext computes them for what the pull sends: item amount = round(qty x rate, 2),
		net total less the additional discount, plus Actual tax rows; rounded totals off."""
		from qbo_connector.mapping.money import D, q2

		total = sum((q2(D(row.get("qty")) * q2(row.get("rate"))) for row in doc.get("items") or []), D(0))
		for row in doc.get("items") or []:
			row["amount"] = float(q2(D(row.get("qty")) * q2(row.get("rate"))))
		taxes = sum((q2(row.get("tax_amount")) for row in doc.get("taxes") or []), D(0))
		grand = q2(total - q2(doc.get("discount_amount")) + taxes)
		doc.update(
			total=float(total),
			net_total=float(total - q2(doc.get("discount_amount"))),
			total_taxes_and_charges=float(taxes),
			grand_total=float(grand),
			rounded_total=0.0,
			outstanding_amount=float(grand) if doc.get("docstatus") == 1 else 0.0,
		)

	def _new_invoice(self, company: str, data: dict[str, Any], **extra: Any) -> str:
		name = f"QBO-SINV-{next(self._invoice_seq):05d}"
		doc = copy.deepcopy(data)
		doc.update({"doctype": "Sales Invoice", "name": name, "company": company, **extra})
		doc["docstatus"] = int(doc.get("docstatus") or 0)
		self.erpnext_totals(doc)
		self._docs[("Sales Invoice", name)] = doc
		return name

	def _live_invoice(self, company: str, ref: str) -> str | None:
		for (doctype, name), doc in self._docs.items():
			if (
				doctype == "Sales Invoice"
				and doc.get("company") == company
				and doc.get("qbo_txn_ref") == ref
				and doc.get("docstatus") != 2
			):
				return name
		return None

	def create_sales_invoice(self, company: str, data: dict[str, Any]) -> str:
		with self._mutex:
			existing = self._live_invoice(company, str(data.get("qbo_txn_ref")))
			if existing is not None:
				return existing
			return self._new_invoice(company, data)

	def amend_sales_invoice(self, name: str, data: dict[str, Any], reason: str) -> str:
		with self._mutex:
			doc = self._docs[("Sales Invoice", name)]
			if doc.get("docstatus") == 0:
				keep = {"name": name, "doctype": "Sales Invoice", "company": doc.get("company")}
				doc.clear()
				doc.update(copy.deepcopy(data))
				doc.update(keep)
				doc["docstatus"] = 0 if int(data.get("docstatus") or 0) == 0 else 1
				self.erpnext_totals(doc)
				return name
			if doc.get("docstatus") == 2:
				for (doctype, other), amended in self._docs.items():
					if doctype == "Sales Invoice" and amended.get("amended_from") == name:
						return other
			elif float(doc.get("outstanding_amount") or 0) != float(doc.get("grand_total") or 0):
				raise ValueError(f"Sales Invoice {name} has payments against it; cancel them first")
			doc["docstatus"] = 2
			doc["qbo_message"] = reason
			return self._new_invoice(str(doc.get("company")), data, amended_from=name, qbo_message=reason)

	def cancel_sales_invoice(self, name: str, state: str, message: str) -> bool:
		with self._mutex:
			doc = self._docs.get(("Sales Invoice", name))
			if doc is None or doc.get("docstatus") != 1:
				return False
			if float(doc.get("outstanding_amount") or 0) != float(doc.get("grand_total") or 0):
				raise ValueError(f"Sales Invoice {name} has payments against it; cancel them first")
			doc.update(docstatus=2, qbo_state=state, qbo_message=message)
			return True

	def set_due_date(self, name: str, due_date: str) -> bool:
		with self._mutex:
			doc = self._docs.get(("Sales Invoice", name))
			if doc is None or doc.get("due_date") == due_date:
				return False
			doc["due_date"] = due_date
			return True

	def delete_link(self, realm_id: str, doctype: str, name: str) -> None:
		with self._mutex:
			self._links.pop((realm_id, doctype, name), None)

	def get_checkpoint(self, realm_id: str, key: str) -> dict[str, Any] | None:
		with self._mutex:
			value = self._checkpoints.get((realm_id, key))
			return copy.deepcopy(value) if value is not None else None

	def set_checkpoint(self, realm_id: str, key: str, value: dict[str, Any] | None) -> None:
		with self._mutex:
			if value is None:
				self._checkpoints.pop((realm_id, key), None)
			else:
				self._checkpoints[(realm_id, key)] = copy.deepcopy(value)

	# -- concurrency ------------------------------------------------------------------------------------
	@contextmanager
	def lock(self, key: str) -> Iterator[None]:
		with self._mutex:
			mutex = self._locks.setdefault(key, threading.Lock())
		with mutex:
			yield
