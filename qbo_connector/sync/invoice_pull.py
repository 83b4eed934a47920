"""Invoices and credit memos made in QBO -> Sales Invoices (returns) in ERPNext, and their later changes.

Switch: ConnectionConfig.pull_invoices (off by default); the history import (history.py) brings them whatever
the switch says. Rules:
- No echo: a QBO invoice linked to a document we pushed (origin push), or whose PrivateNote names an ERPNext
  Sales Invoice we know, is never pulled.
- The customer and items come through their links, pulled from QBO first when missing.
- Submitted only when ERPNext's total will equal QBO's TotalAmt to the cent (mapping/invoice_pull.py);
  otherwise a draft with a note saying why.
- Changed in QBO: only the due date -> the due date moves; lines or amounts while unpaid in ERPNext ->
  cancelled and amended; after payments -> flagged. Voided or deleted -> cancelled (cancel_pulled_invoices)
  or flagged.
"""

from __future__ import annotations

from typing import Any

from qbo_connector.mapping.invoice_pull import (
	PULLED_ENTITIES,
	PulledInvoice,
	PullRefs,
	content_signature,
	qbo_invoice_to_erpnext,
	reverse_tax_map,
)
from qbo_connector.mapping.money import fmt
from qbo_connector.mapping.text import iso_date
from qbo_connector.qbo.client import QBOClient
from qbo_connector.qbo.errors import NotFoundError

from .base import Attempt, EngineBase
from .identity import adoption_guard, free_item_code
from .mapper import customer_to_erpnext, item_to_erpnext
from .outcome import SyncError, SyncResult
from .push import _note_head, is_voided
from .store import CUSTOMER, ITEM, SALES_INVOICE, ConnectionConfig, Link

ECHO_PREFIX = f"ERPNext {SALES_INVOICE} "


class InvoicePullMixin(EngineBase):
	"""Pulling invoices made in QBO (used by the pull, webhooks and the history import)."""

	def pulls_invoice(self, config: ConnectionConfig, entity: str, link: Link | None, force: bool) -> bool:
		"""Whether a QBO Invoice/CreditMemo is the pull's to bring or follow (not one we pushed)."""
		if entity not in PULLED_ENTITIES:
			return False
		if link is not None:
			return link.origin == "pull"
		return bool(config.pull_invoices or force)

	def invoice_echo(self, config: ConnectionConfig, obj: dict[str, Any]) -> str | None:
		"""Why an unlinked QBO invoice is ours after all (its create's link not written yet, or lost)."""
		head = _note_head(obj)
		if not head.startswith(ECHO_PREFIX):
			return None
		name = head[len(ECHO_PREFIX) :].strip()
		link = self.store.get_link(config.realm_id, SALES_INVOICE, name)
		if (link is not None and link.origin == "push") or self.store.get_doc(
			SALES_INVOICE, name
		) is not None:
			return f"QuickBooks invoice {obj.get('Id')} was sent from ERPNext {SALES_INVOICE} {name} (echo)."
		return None

	# -- references -------------------------------------------------------------------------------------
	def ensure_master(
		self, config: ConnectionConfig, client: QBOClient, entity: str, qbo_id: str
	) -> str | None:
		"""The ERPNext Customer/Item of a QBO one, pulled (created or matched, and linked) when missing; None
		for an item ERPNext does not take (Inventory, Group, Category) or one gone from QBO."""
		link = self.store.find_link(config.realm_id, entity, qbo_id)
		if link is not None:
			return link.name
		try:
			obj = client.read(entity, qbo_id)
		except NotFoundError:
			return None
		passed: list[str] = []
		if entity == "Customer":
			adopt = adoption_guard(self.store, config.realm_id, CUSTOMER, obj, passed)
			name = self.store.upsert_customer(
				config.company, customer_to_erpnext(obj), name=None, adopt=adopt
			)
			self._save_pull_link(config, CUSTOMER, name, entity, obj, None)  # type: ignore[attr-defined]
			return name
		data = item_to_erpnext(obj)
		if data is None:
			return None
		data = free_item_code(self.store, config.realm_id, obj, data, passed)
		name = self.store.upsert_item(config.company, data, name=None)
		self._save_pull_link(config, ITEM, name, entity, obj, None)  # type: ignore[attr-defined]
		return name

	def pull_refs(
		self, config: ConnectionConfig, client: QBOClient, obj: dict[str, Any], fetch: bool = True
	) -> PullRefs:
		"""ERPNext names for what a QBO invoice refers to; fetch=False (a dry run) only reads existing links."""
		mode = self.company_mode(config, client)
		realm = config.realm_id

		def resolve(entity: str, qbo_id: str | None) -> str | None:
			if not qbo_id:
				return None
			if fetch:
				return self.ensure_master(config, client, entity, qbo_id)
			link = self.store.find_link(realm, entity, qbo_id)
			return link.name if link is not None else None

		customer = resolve("Customer", (obj.get("CustomerRef") or {}).get("value"))
		items: dict[str, str] = {}
		for line in _all_lines(obj.get("Line") or []):
			ref = ((line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}).get("value")
			if ref and str(ref) not in items:
				name = resolve("Item", str(ref))
				if name is not None:
					items[str(ref)] = name
		default_item = None
		if config.default_item:
			default_item = resolve("Item", config.default_item)
		tax_accounts = reverse_tax_map(config.tax_map)
		if mode.is_us and config.us_tax_code and config.us_tax_code in tax_accounts:
			tax_accounts.setdefault("", tax_accounts[config.us_tax_code])
		return PullRefs(
			company=config.company,
			customer=customer,
			items=items,
			tax_accounts=tax_accounts,
			tax_codes=mode.tax_codes,
			is_us=mode.is_us,
			home_currency=mode.home_currency,
			default_item=default_item,
		)

	def map_pulled_invoice(
		self,
		config: ConnectionConfig,
		client: QBOClient,
		entity: str,
		obj: dict[str, Any],
		fetch: bool = True,
	) -> PulledInvoice:
		return qbo_invoice_to_erpnext(obj, entity, self.pull_refs(config, client, obj, fetch=fetch))

	# -- one QBO invoice ---------------------------------------------------------------------------------
	def _apply_pulled_invoice(
		self, at: Attempt, config: ConnectionConfig, entity: str, obj: dict[str, Any]
	) -> SyncResult:
		realm, qbo_id = config.realm_id, str(obj["Id"])
		link = self.store.find_link(realm, entity, qbo_id)
		deleted = obj.get("status") == "Deleted"
		if deleted or is_voided(obj):
			state = "deleted" if deleted else "voided"
			if link is None:
				return at.finish(
					"Skipped",
					f"QuickBooks {entity} {qbo_id} is {state} and was never in ERPNext.",
					action="ignored",
				)
			return self._pulled_invoice_gone(at, config, entity, obj, link, state)
		client = self.client(realm)
		pulled = self.map_pulled_invoice(config, client, entity, obj)
		label = f"QuickBooks {entity} {obj.get('DocNumber') or qbo_id}"
		if pulled.data.get("customer") is None or not pulled.data.get("items"):
			what = ", ".join(f"{kind} '{name or mid}' (ID {mid})" for kind, mid, name in pulled.missing)
			return at.finish(
				"Warning",
				f"{label} was not brought into ERPNext: {what or 'it has no lines ERPNext can take'} could not be "
				"found or pulled. Map or create it, then retry this row.",
				action="skipped",
			)
		if link is None:
			name = self.store.create_sales_invoice(config.company, pulled.data)
			at.produced(SALES_INVOICE, name)
			self._save_pull_link(config, SALES_INVOICE, name, entity, obj, None)  # type: ignore[attr-defined]
			return self._said(at, pulled, f"Created {SALES_INVOICE} {name} from {label}", "created")
		at.produced(link.doctype, link.name)
		doc = self.store.get_doc(link.doctype, link.name) or {}
		if content_signature(doc) == content_signature(pulled.data) and doc.get("docstatus") == 1:
			due = pulled.data.get("due_date")
			if due and iso_date(doc.get("due_date")) != due:
				self.store.set_due_date(link.name, due)
				self._save_pull_link(config, link.doctype, link.name, entity, obj, link)  # type: ignore[attr-defined]
				return at.finish(
					"Success",
					f"Due date of {SALES_INVOICE} {link.name} moved to {due}: {label} was changed in QuickBooks.",
					action="updated",
				)
			self._save_pull_link(config, link.doctype, link.name, entity, obj, link)  # type: ignore[attr-defined]
			return at.finish(
				"Success",
				f"{label} changed in QuickBooks; {SALES_INVOICE} {link.name} needs no change.",
				action="updated",
			)
		paid = doc.get("docstatus") == 1 and _money(doc.get("outstanding_amount")) != _money(
			doc.get("grand_total")
		)
		if paid:
			message = (
				f"{label} was changed in QuickBooks (total now {fmt(pulled.qbo_total)}), but {SALES_INVOICE} "
				f"{link.name} has payments against it in ERPNext and was not amended: amend it by hand."
			)
			self.store.flag_qbo_state(link.doctype, link.name, "changed", message)
			self._save_pull_link(config, link.doctype, link.name, entity, obj, link)  # type: ignore[attr-defined]
			return at.finish("Warning", message, action="updated")
		reason = f"Amended because {label} was changed in QuickBooks."
		try:
			name = self.store.amend_sales_invoice(link.name, pulled.data, reason)
		except SyncError:
			raise
		except Exception as exc:  # noqa: BLE001 - ERPNext refused the cancel: flag it instead
			message = (
				f"{label} was changed in QuickBooks, but {SALES_INVOICE} {link.name} could not be amended "
				f"automatically ({str(exc) or type(exc).__name__}); amend it in ERPNext."
			)
			self.store.flag_qbo_state(link.doctype, link.name, "changed", message)
			self._save_pull_link(config, link.doctype, link.name, entity, obj, link)  # type: ignore[attr-defined]
			return at.finish("Warning", message, action="updated")
		if name != link.name:
			self.store.delete_link(realm, link.doctype, link.name)
			link = Link(realm, SALES_INVOICE, name, entity, origin="pull")
		at.produced(SALES_INVOICE, name)
		self._save_pull_link(config, SALES_INVOICE, name, entity, obj, link)  # type: ignore[attr-defined]
		verb = "Amended" if name != doc.get("name") else "Rewrote the draft"
		old = doc.get("name") or ""
		return self._said(
			at,
			pulled,
			f"{verb} {SALES_INVOICE} {old} as {name}" if old != name else f"{verb} {name}",
			"updated",
			label,
		)

	@staticmethod
	def _said(
		at: Attempt, pulled: PulledInvoice, head: str, action: str, label: str | None = None
	) -> SyncResult:
		source = f" from {label}" if label else ""
		notes = f" Notes: {'; '.join(pulled.notes)}." if pulled.notes else ""
		if pulled.data.get("docstatus") == 1:
			return at.finish(
				"Success",
				f"{head}{source}, submitted with total {fmt(pulled.qbo_total)}.{notes}",
				action=action,
			)
		return at.finish("Warning", f"{head}{source} as a draft. {pulled.why()}{notes}", action=action)

	def _pulled_invoice_gone(
		self, at: Attempt, config: ConnectionConfig, entity: str, obj: dict[str, Any], link: Link, state: str
	) -> SyncResult:
		name, qbo_id = link.name, obj["Id"]
		at.produced(link.doctype, name)

		def done() -> None:
			self._save_pull_link(config, link.doctype, name, entity, obj, link, state=state)  # type: ignore[attr-defined]

		def not_submitted(flag: str) -> SyncResult:
			self.store.flag_qbo_state(SALES_INVOICE, name, state, flag)
			return at.finish(
				"Warning", f"{SALES_INVOICE} {name} is not submitted; flagged: {flag}", action=state
			)

		return self._cancel_or_flag_pulled(  # type: ignore[attr-defined]
			at,
			SALES_INVOICE,
			name,
			f"QuickBooks {entity} {qbo_id}",
			state,
			enabled=config.cancel_pulled_invoices,
			cancel=lambda reason: self.store.cancel_sales_invoice(name, state, reason),
			done=done,
			not_submitted=not_submitted,
		)


def _all_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
	out: list[dict[str, Any]] = []
	for line in lines:
		out.append(line)
		if line.get("DetailType") == "GroupLineDetail":
			out.extend(_all_lines((line.get("GroupLineDetail") or {}).get("Line") or []))
	return out


def _money(value: Any) -> Any:
	from .base import money

	return money(value or 0)
