"""Purchase Invoice return (debit note) -> QBO VendorCredit with positive amounts (mapping/purchase.py flips
the signs); the supplier's credit note number (bill_no) is its DocNumber when set. Cancel deletes it: QBO
cannot void a vendor credit through its API."""

from __future__ import annotations

from .base import Kind
from .parties import SUPPLIER
from .purchase_invoice import DOCTYPE, NUMBER_TAKEN, groundwork, map_purchase_invoice, prepare

KIND = Kind(
	key="debit_note",
	doctype=DOCTYPE,
	title="debit note",
	plural="purchase invoices",
	entity="VendorCredit",
	map=map_purchase_invoice,
	party=SUPPLIER,
	party_field="supplier",
	filters=(("is_return", 1),),
	items="items",
	depends=("party", "accounts"),
	lookup=("note",),
	number_taken=NUMBER_TAKEN,
	cancel=("delete",),
	cancel_note="QuickBooks cannot void a vendor credit through its API, so it was deleted there.",
	switch="push_purchase_invoices",
	groundwork=groundwork,
	prepare=prepare,
)
