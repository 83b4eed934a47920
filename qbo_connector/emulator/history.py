"""A sales history for a company: what a business moving to ERPNext brings (tests, the import, the tour).

Deterministic for a seed: customers (some in foreign currencies when `currencies` are given: multicurrency is
switched on), Service and NonInventory items (some with unit prices of more than 2 decimals), invoices of
1-5 lines over `days` days before `end`, with taxes (US: a tax group on TAX lines; elsewhere a tax code per
line; `tax_codes` limits them by name), discounts (percent and amount), credit memos, full and partial payments,
and voids.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import entities
from .entities import Ctx

CENT = Decimal("0.01")


def _tax_code_ids(ctx: Ctx) -> list[str]:
	"""Ids of the company's seeded taxable codes with a rate (not TAX/NON, not zero-rated)."""
	out = []
	for obj in ctx.co.table("TaxCode").values():
		details = (obj.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
		if obj.get("Id") in ("TAX", "NON") or not details:
			continue
		rates = [ctx.co.get("TaxRate", d["TaxRateRef"]["value"]) for d in details]
		if any(r and Decimal(str(r.get("RateValue") or 0)) for r in rates):
			out.append(str(obj["Id"]))
	return sorted(out, key=int)


def seed_history(
	ctx: Ctx,
	invoices: int = 300,
	seed: int = 15,
	customers: int = 40,
	items: int = 12,
	end: str = "2026-10-31",
	days: int = 540,
	currencies: tuple[str, ...] | list[str] = ("EUR", "GBP"),
	credit_memos: int | None = None,
	voids: float = 0.03,
	tax_codes: list[str] | tuple[str, ...] | None = None,
) -> dict[str, int]:
	"""Create the history in the company of ctx (no webhooks: it is the past). Returns counts per entity."""
	rnd = random.Random(seed)
	co = ctx.co
	counts = {"Customer": 0, "Item": 0, "Invoice": 0, "CreditMemo": 0, "Payment": 0, "voided": 0}
	foreign = [c for c in currencies if c != co.home_currency]
	if foreign:
		co.multicurrency = True
	made_customers: list[dict] = []
	for n in range(customers):
		body: dict[str, Any] = {
			"DisplayName": f"History Customer {seed}-{n:03d}",
			"CompanyName": f"History {n:03d} Ltd",
		}
		if foreign and n % 5 == 4:
			body["CurrencyRef"] = {"value": foreign[(n // 5) % len(foreign)]}
		made_customers.append(entities.create(Ctx(co, ctx.now), "Customer", body))
		counts["Customer"] += 1
	made_items: list[dict] = []
	for n in range(items):
		price = Decimal(rnd.randint(500, 50000)) / 100
		if n % 6 == 5:
			price = (Decimal(rnd.randint(1000, 9000)) / 3).quantize(Decimal("0.0001"))  # 4-decimal unit price
		body = {
			"Name": f"History Item {seed}-{n:02d}",
			"Type": "Service" if n % 2 else "NonInventory",
			"UnitPrice": price,
			"IncomeAccountRef": {"value": co.accounts["services" if n % 2 else "product_income"]},
			"Taxable": n % 4 != 3,
		}
		made_items.append(entities.create(Ctx(co, ctx.now), "Item", body))
		counts["Item"] += 1
	codes = _tax_code_ids(ctx)
	if tax_codes is not None:  # only these (by name): a test whose tax map covers a few codes
		wanted = {name.lower() for name in tax_codes}
		codes = [c for c in codes if str(co.get("TaxCode", c).get("Name") or "").lower() in wanted]
	last = date.fromisoformat(end)
	made: list[dict] = []  # invoices
	memo_count = credit_memos if credit_memos is not None else max(1, invoices // 10)
	for n in range(invoices + memo_count):
		entity = "Invoice" if n < invoices else "CreditMemo"
		customer = made_customers[rnd.randrange(len(made_customers))]
		txn = last - timedelta(days=rnd.randrange(days))
		lines = []
		taxed = rnd.random() < 0.6 and codes
		line_code = codes[rnd.randrange(len(codes))] if taxed else None
		for _ in range(rnd.randint(1, 5)):
			item = made_items[rnd.randrange(len(made_items))]
			qty = Decimal(rnd.choice([1, 1, 2, 3, 5, 7, 10, 12]))
			if rnd.random() < 0.1:
				qty = Decimal(rnd.randint(1, 40)) / 4  # quarter hours
			price = item["UnitPrice"]
			detail: dict[str, Any] = {"ItemRef": {"value": item["Id"]}, "Qty": qty, "UnitPrice": price}
			if co.is_us:
				detail["TaxCodeRef"] = {"value": "TAX" if taxed and item.get("Taxable") else "NON"}
			elif taxed:
				detail["TaxCodeRef"] = {"value": line_code}
			lines.append(
				{
					"DetailType": "SalesItemLineDetail",
					"Amount": (qty * price).quantize(CENT, ROUND_HALF_UP),
					"Description": f"{item['Name']} for {customer['DisplayName']}",
					"SalesItemLineDetail": detail,
				}
			)
		roll = rnd.random()
		if roll < 0.12:
			lines.append(
				{
					"DetailType": "DiscountLineDetail",
					"Amount": Decimal(0),
					"DiscountLineDetail": {
						"PercentBased": True,
						"DiscountPercent": Decimal(rnd.choice([5, 10, 15])),
					},
				}
			)
		elif roll < 0.2:
			subtotal = sum((line["Amount"] for line in lines), Decimal(0))
			lines.append(
				{
					"DetailType": "DiscountLineDetail",
					"Amount": min(Decimal(rnd.randint(100, 5000)) / 100, subtotal / 2).quantize(
						CENT, ROUND_HALF_UP
					),
					"DiscountLineDetail": {"PercentBased": False},
				}
			)
		body = {
			"CustomerRef": {"value": customer["Id"]},
			"TxnDate": txn.isoformat(),
			"Line": lines,
			"CustomerMemo": {"value": f"Thank you ({n})"},
		}
		if entity == "Invoice":
			body["DueDate"] = (txn + timedelta(days=rnd.choice([0, 14, 30, 45]))).isoformat()
		if co.is_us and taxed:
			body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": line_code}}
		elif not co.is_us:
			body["GlobalTaxCalculation"] = "TaxInclusive" if taxed and rnd.random() < 0.3 else "TaxExcluded"
		if customer.get("CurrencyRef"):
			body["CurrencyRef"] = dict(customer["CurrencyRef"])
			body["ExchangeRate"] = Decimal(rnd.randint(9000, 13000)) / 10000
		saved = entities.create(Ctx(co, ctx.now), entity, body)
		counts[entity] += 1
		if entity == "Invoice":
			made.append(saved)
	for obj in made:
		roll = rnd.random()
		total = obj["TotalAmt"]
		if roll < voids:
			entities.void(
				Ctx(co, ctx.now),
				"Invoice",
				{"Id": obj["Id"], "SyncToken": co.get("Invoice", obj["Id"])["SyncToken"]},
			)
			counts["voided"] += 1
		elif roll < 0.45 and total > 0:
			amount = total if roll < 0.3 else (total / 2).quantize(CENT, ROUND_HALF_UP)
			body = {
				"CustomerRef": dict(obj["CustomerRef"]),
				"TotalAmt": amount,
				"TxnDate": obj["TxnDate"],
				"Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": obj["Id"], "TxnType": "Invoice"}]}],
			}
			if obj.get("CurrencyRef"):
				body["CurrencyRef"] = dict(obj["CurrencyRef"])
				body["ExchangeRate"] = obj.get("ExchangeRate")
			entities.create(Ctx(co, ctx.now), "Payment", body)
			counts["Payment"] += 1
	return counts
