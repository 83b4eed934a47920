"""Acting as a QBO user: changes made "in the QuickBooks UI", each a real write plus a signed webhook.

Used by POST /_emulator/act/<action> and the matching EmulatorServer methods. Every action bumps SyncToken and
LastUpdatedTime, is visible to CDC, and sends a webhook whether or not `webhook_on_api_writes` is on.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from . import entities, errors
from .entities import Ctx
from .util import dec

if TYPE_CHECKING:
	from .state import Company, EmulatorState


def _company(state: EmulatorState, realm_id: str | None) -> Company:
	company = state.company(realm_id or state.config.realm_id)
	if company is None:
		raise errors.Fault("610", "Object Not Found", f"No company with realm id {realm_id}")
	return company


def _run(state: EmulatorState, realm_id: str | None, fn) -> dict:
	with state.lock:
		company = _company(state, realm_id)
		ctx = Ctx(company, state.now())
		result = fn(ctx)
		out = entities.render(company, result[0], result[1]) if isinstance(result, tuple) else result
	state.webhooks.notify(company.realm_id, ctx.events, ctx.now)
	return out


def _obj(ctx: Ctx, entity: str, entity_id: object) -> dict:
	obj = ctx.co.get(entity, entity_id)
	if obj is None:
		raise errors.not_found(entity, entity_id)
	return obj


def record_payment(
	state: EmulatorState,
	invoice_id: str | None = None,
	amount: object = None,
	invoices: list[dict] | None = None,
	total: object = None,
	customer_id: str | None = None,
	realm_id: str | None = None,
	**fields: Any,
) -> dict:
	"""Receive a payment: full or partial, against one invoice (`invoice_id`, `amount`) or several
	(`invoices=[{"id": .., "amount": ..}]`); `total` above the sum leaves UnappliedAmt."""

	def go(ctx: Ctx):
		wanted = list(invoices or [])
		if invoice_id is not None:
			wanted.append({"id": invoice_id, "amount": amount})
		lines, applied, customer = [], Decimal(0), customer_id
		for entry in wanted:
			invoice = _obj(ctx, "Invoice", entry.get("id"))
			value = dec(entry.get("amount"))
			value = invoice.get("Balance", Decimal(0)) if value is None else value
			customer = customer or invoice["CustomerRef"]["value"]
			applied += value
			lines.append({"Amount": value, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]})
		if customer is None:
			raise errors.required("CustomerRef")
		body = {
			"CustomerRef": {"value": customer},
			"TotalAmt": dec(total) if total is not None else applied,
			"Line": lines,
		}
		body.update(fields)
		return ("Payment", entities.create(ctx, "Payment", body))

	return _run(state, realm_id, go)


def void_invoice(state: EmulatorState, invoice_id: str, realm_id: str | None = None) -> dict:
	def go(ctx: Ctx):
		obj = _obj(ctx, "Invoice", invoice_id)
		return ("Invoice", entities.void(ctx, "Invoice", {"Id": obj["Id"], "SyncToken": obj["SyncToken"]}))

	return _run(state, realm_id, go)


def _services_line(ctx: Ctx, amount: object) -> dict[str, Any]:
	"""An untaxed sales line of `amount` on the seeded "Services" item."""
	services = ctx.co.find_name("Item", "Services")
	detail: dict[str, Any] = {"ItemRef": {"value": services[1] if services else "1"}}
	if ctx.co.is_us:
		detail["TaxCodeRef"] = {"value": "NON"}
	return {"DetailType": "SalesItemLineDetail", "Amount": dec(amount), "SalesItemLineDetail": detail}


def add_invoice(
	state: EmulatorState,
	customer_id: str,
	amount: object = None,
	txn_date: str | None = None,
	doc_number: str | None = None,
	realm_id: str | None = None,
	lines: list[dict] | None = None,
	entity: str = "Invoice",
	**fields: Any,
) -> dict:
	"""An invoice (or, entity="CreditMemo", a credit memo) entered in QBO by a user. Either `amount` (one
	untaxed line on the "Services" item) or `lines`: QBO Line objects, or the short form
	{"item_id", "qty", "price", "tax_code"?, "description"?}."""
	if (amount is None) == (lines is None):
		raise ValueError("add_invoice takes either amount or lines")

	def go(ctx: Ctx):
		body: dict[str, Any] = {
			"CustomerRef": {"value": customer_id},
			"Line": [_services_line(ctx, amount)] if lines is None else [_line(line) for line in lines],
			**fields,
		}
		if txn_date:
			body["TxnDate"] = txn_date
		if doc_number:
			body["DocNumber"] = doc_number
		return (entity, entities.create(ctx, entity, body))

	return _run(state, realm_id, go)


def edit_invoice(
	state: EmulatorState,
	invoice_id: str,
	add_amount: object = None,
	realm_id: str | None = None,
	**fields: Any,
) -> dict:
	"""An accountant changes an invoice in QBO: `add_amount` adds an untaxed line of that amount on the
	"Services" item (the total and balance move); other keyword arguments are set as they are (sparse)."""

	def go(ctx: Ctx):
		obj = _obj(ctx, "Invoice", invoice_id)
		body: dict[str, Any] = {"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True, **fields}
		if add_amount is not None:
			lines = [line for line in obj.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
			body["Line"] = [*lines, _services_line(ctx, add_amount)]
		return ("Invoice", entities.update(ctx, "Invoice", body))

	return _run(state, realm_id, go)


def void_payment(state: EmulatorState, payment_id: str, realm_id: str | None = None) -> dict:
	def go(ctx: Ctx):
		obj = _obj(ctx, "Payment", payment_id)
		return ("Payment", entities.void(ctx, "Payment", {"Id": obj["Id"], "SyncToken": obj["SyncToken"]}))

	return _run(state, realm_id, go)


def delete_invoice(state: EmulatorState, invoice_id: str, realm_id: str | None = None) -> dict:
	def go(ctx: Ctx):
		obj = _obj(ctx, "Invoice", invoice_id)
		return entities.delete(ctx, "Invoice", {"Id": obj["Id"], "SyncToken": obj["SyncToken"]})

	return _run(state, realm_id, go)


def delete_payment(state: EmulatorState, payment_id: str, realm_id: str | None = None) -> dict:
	"""Delete a payment: the invoices it paid are open again; CDC shows {"status": "Deleted"}."""

	def go(ctx: Ctx):
		obj = _obj(ctx, "Payment", payment_id)
		return entities.delete(ctx, "Payment", {"Id": obj["Id"], "SyncToken": obj["SyncToken"]})

	return _run(state, realm_id, go)


def add_customer(state: EmulatorState, display_name: str, realm_id: str | None = None, **fields: Any) -> dict:
	def go(ctx: Ctx):
		return ("Customer", entities.create(ctx, "Customer", {"DisplayName": display_name, **fields}))

	return _run(state, realm_id, go)


def add_vendor(state: EmulatorState, display_name: str, realm_id: str | None = None, **fields: Any) -> dict:
	def go(ctx: Ctx):
		return ("Vendor", entities.create(ctx, "Vendor", {"DisplayName": display_name, **fields}))

	return _run(state, realm_id, go)


def add_employee(
	state: EmulatorState,
	display_name: str,
	email: str | None = None,
	realm_id: str | None = None,
	**fields: Any,
) -> dict:
	"""An employee added in QBO (what the Employee map matches ERPNext employees to, by e-mail then name)."""

	def go(ctx: Ctx):
		body: dict[str, Any] = {"DisplayName": display_name, **fields}
		if email:
			body["PrimaryEmailAddr"] = {"Address": email}
		return ("Employee", entities.create(ctx, "Employee", body))

	return _run(state, realm_id, go)


def rename_customer(
	state: EmulatorState, customer_id: str, display_name: str, realm_id: str | None = None
) -> dict:
	def go(ctx: Ctx):
		obj = _obj(ctx, "Customer", customer_id)
		body = {"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True, "DisplayName": display_name}
		return ("Customer", entities.update(ctx, "Customer", body))

	return _run(state, realm_id, go)


def _set_active(
	state: EmulatorState, entity: str, entity_id: str, active: bool, realm_id: str | None
) -> dict:
	"""Make a name inactive (QBO's "delete": webhook operation Delete) or active again (Update)."""

	def go(ctx: Ctx):
		obj = _obj(ctx, entity, entity_id)
		body = {"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True, "Active": active}
		return (entity, entities.update(ctx, entity, body))

	return _run(state, realm_id, go)


def deactivate_customer(state: EmulatorState, customer_id: str, realm_id: str | None = None) -> dict:
	return _set_active(state, "Customer", customer_id, False, realm_id)


def reactivate_customer(state: EmulatorState, customer_id: str, realm_id: str | None = None) -> dict:
	return _set_active(state, "Customer", customer_id, True, realm_id)


def deactivate_item(state: EmulatorState, item_id: str, realm_id: str | None = None) -> dict:
	return _set_active(state, "Item", item_id, False, realm_id)


def reactivate_item(state: EmulatorState, item_id: str, realm_id: str | None = None) -> dict:
	return _set_active(state, "Item", item_id, True, realm_id)


def add_item(
	state: EmulatorState,
	name: str,
	type: str = "Service",
	unit_price: object = 0,
	income_account_id: str | None = None,
	realm_id: str | None = None,
	**fields: Any,
) -> dict:
	def go(ctx: Ctx):
		account = income_account_id or ctx.co.accounts["services"]
		body = {
			"Name": name,
			"Type": type,
			"UnitPrice": dec(unit_price) or Decimal(0),
			"IncomeAccountRef": {"value": account},
			**fields,
		}
		return ("Item", entities.create(ctx, "Item", body))

	return _run(state, realm_id, go)


def _add_tag(entity: str):
	def add(
		state: EmulatorState, name: str, parent_id: str | None = None, realm_id: str | None = None
	) -> dict:
		def go(ctx: Ctx):
			body: dict[str, Any] = {"Name": name}
			if parent_id:
				body["ParentRef"] = {"value": parent_id}
			return (entity, entities.create(ctx, entity, body))

		return _run(state, realm_id, go)

	add.__doc__ = f"A {entity} made in QBO (optionally under parent_id)."
	return add


add_class = _add_tag("Class")
add_department = _add_tag("Department")


def _line(line: dict) -> dict:
	if "DetailType" in line:
		return line
	qty, price = dec(line.get("qty")) or Decimal(1), dec(line.get("price")) or Decimal(0)
	detail: dict[str, Any] = {"ItemRef": {"value": str(line["item_id"])}, "Qty": qty, "UnitPrice": price}
	if line.get("tax_code"):
		detail["TaxCodeRef"] = {"value": str(line["tax_code"])}
	out = {
		"DetailType": "SalesItemLineDetail",
		"Amount": (qty * price).quantize(Decimal("0.01"), ROUND_HALF_UP),
		"SalesItemLineDetail": detail,
	}
	if line.get("description"):
		out["Description"] = line["description"]
	return out


def update_invoice(
	state: EmulatorState,
	invoice_id: str,
	lines: list[dict] | None = None,
	entity: str = "Invoice",
	realm_id: str | None = None,
	**fields: Any,
) -> dict:
	"""A user edits an invoice in QBO: new lines (all of them, as QBO requires) and/or header fields (DueDate...)."""

	def go(ctx: Ctx):
		obj = _obj(ctx, entity, invoice_id)
		body: dict[str, Any] = {"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True, **fields}
		if lines is not None:
			body["Line"] = [_line(line) for line in lines]
		return (entity, entities.update(ctx, entity, body))

	return _run(state, realm_id, go)


def seed_history(
	state: EmulatorState, invoices: int = 300, seed: int = 15, realm_id: str | None = None, **options: Any
) -> dict:
	"""Fill the company with a sales history (see history.py); returns its counts."""
	from .history import seed_history as make_history

	with state.lock:
		company = _company(state, realm_id)
		ctx = Ctx(company, state.now())
		counts = make_history(ctx, invoices=invoices, seed=seed, **options)
	return counts


ACTIONS = {
	"update_invoice": update_invoice,
	"seed_history": seed_history,
	"record_payment": record_payment,
	"void_invoice": void_invoice,
	"add_invoice": add_invoice,
	"edit_invoice": edit_invoice,
	"void_payment": void_payment,
	"delete_invoice": delete_invoice,
	"delete_payment": delete_payment,
	"add_customer": add_customer,
	"add_vendor": add_vendor,
	"add_employee": add_employee,
	"rename_customer": rename_customer,
	"deactivate_customer": deactivate_customer,
	"reactivate_customer": reactivate_customer,
	"add_item": add_item,
	"add_class": add_class,
	"add_department": add_department,
	"deactivate_item": deactivate_item,
	"reactivate_item": reactivate_item,
}
