"""Mapping suggestions: account number, then name, then type; tax codes by rate; the rest left unmatched.

The chart test is the issue's bar: between ERPNext's Standard chart for a US company and a new US QBO
company's default chart, at least 90 % of the rows right and not one wrong guess."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from qbo_connector.mapping.context import TaxCodeInfo
from qbo_connector.mapping.suggest import (
	HIGH,
	LOW,
	MEDIUM,
	UNMATCHED,
	suggest_accounts,
	suggest_by_name,
	suggest_tax_codes,
	words,
)

CHARTS = Path(__file__).resolve().parent.parent / "fixtures" / "charts"


def chart(name: str) -> list[dict]:
	return json.loads((CHARTS / name).read_text())


def qbo(id_: str, name: str, account_type: str, subtype: str | None = None, **extra) -> dict:
	return {"Id": id_, "Name": name, "AccountType": account_type, "AccountSubType": subtype, **extra}


def test_standard_erpnext_chart_against_qbo_default_chart() -> None:
	erp, default = chart("erpnext_standard_us.json"), chart("qbo_default_us.json")
	suggestions = suggest_accounts(erp, default, abbr="QTC")
	assert [s.key for s in suggestions] == [row["name"] for row in erp]
	right = [s for s, row in zip(suggestions, erp, strict=True) if s.qbo_name == row["expected"]]
	wrong = [
		(row["account_name"], s.qbo_name)
		for s, row in zip(suggestions, erp, strict=True)
		if s.qbo_name is not None and s.qbo_name != row["expected"]
	]
	assert wrong == []  # nothing guessed: what is not right is left unmatched
	assert len(right) / len(erp) >= 0.9, f"{len(right)} of {len(erp)} right"
	by_name = {row["account_name"]: s for s, row in zip(suggestions, erp, strict=True)}
	assert (by_name["Debtors"].qbo_name, by_name["Debtors"].confidence) == ("Accounts Receivable (A/R)", HIGH)
	assert by_name["Freight and Forwarding Charges"].confidence == MEDIUM
	# Three ERPNext tax accounts, one QBO sales tax liability: many-to-one, by type.
	assert {by_name[n].qbo_name for n in ("ST 4%", "ST 6.25%", "ST 6%")} == {"Sales Tax Payable"}
	assert by_name["ST 6%"].confidence == LOW and "only QuickBooks" in by_name["ST 6%"].reason
	assert by_name["Round Off"].confidence == UNMATCHED and by_name["Round Off"].qbo_id is None


def test_account_number_wins_over_names() -> None:
	erp = [
		{
			"name": "1310 - Debtors - QTC",
			"account_name": "Debtors",
			"account_number": "1310",
			"root_type": "Asset",
		},
		{
			"name": "4100 - Sales - QTC",
			"account_name": "Sales",
			"account_number": "4100",
			"root_type": "Income",
		},
	]
	accounts = [
		qbo("7", "Trade receivables", "Accounts Receivable", AcctNum="1310"),
		qbo("8", "Sales", "Income", AcctNum="4000"),
		qbo("9", "Product revenue", "Income", AcctNum="4100"),
	]
	first, second = suggest_accounts(erp, accounts)
	assert (first.qbo_id, first.confidence, first.reason) == ("7", HIGH, "same account number 1310")
	assert (second.qbo_id, second.qbo_name) == ("9", "Product revenue")  # the number, not the same name


def test_one_qbo_account_per_erpnext_account_and_only_fitting_kinds() -> None:
	erp = [
		{"name": "Sales - A", "root_type": "Income"},
		{"name": "Sales - B", "root_type": "Income"},
		{"name": "Sales Expenses - A", "root_type": "Expense"},
		{"name": "Bank One - A", "root_type": "Asset", "account_type": "Bank"},
		{"name": "Consulting - A", "root_type": "Income", "purpose": "Deposit", "allowed_types": ("Bank",)},
	]
	accounts = [
		qbo("1", "Sales", "Income"),
		qbo("2", "Checking", "Bank", "Checking"),
		qbo("3", "Savings", "Bank", "Savings"),
		qbo("4", "Consulting", "Income", Active=False),
		qbo("5", "Consulting", "Income"),
	]
	a, b, expense, bank, deposit = suggest_accounts(erp, accounts)
	assert (a.qbo_id, b.qbo_id) == ("1", None)  # taken once
	assert expense.qbo_id is None  # an income account never answers for an expense
	assert bank.qbo_id is None  # two QBO bank accounts: the type alone cannot tell
	assert deposit.qbo_id is None  # the purpose allows bank accounts only
	named = suggest_accounts([{"name": "Consulting - A", "root_type": "Income"}], accounts)[0]
	assert named.qbo_id == "5"  # never the inactive one
	# A Rounding row takes income or expense accounts, whatever ERPNext's own root type says.
	rounding = {
		"name": "Round Off - A",
		"root_type": "Expense",
		"purpose": "Rounding",
		"allowed_types": ("Other Income", "Expense"),
	}
	assert suggest_accounts([rounding], [qbo("6", "Rounding", "Other Income")])[0].qbo_id == "6"


@pytest.mark.parametrize(
	("name", "expected"),
	[
		("Accounts Receivable (A/R)", {"receivable"}),
		("Debtors - QTC", {"receivable"}),
		("Exchange Gain/Loss - QTC", {"exchange", "gain", "loss"}),
		("Utility Expenses - QTC", {"utility"}),
		("Meals & Entertainment", {"meal", "entertainment"}),
		("Other Income", {"other", "income"}),  # only stop words: kept as they are
	],
)
def test_words(name: str, expected: set[str]) -> None:
	assert words(name) == expected


def codes(*rows: tuple[str, str, tuple[str, ...]]) -> dict[str, TaxCodeInfo]:
	return {
		id_: TaxCodeInfo(id_, name, tuple(Decimal(r) for r in rates), taxable=bool(rates))
		for id_, name, rates in rows
	}


def test_tax_codes_by_rate_then_name() -> None:
	us = codes(
		("3", "NY State+City 8.875%", ("4", "4.875")),
		("4", "California", ("7.25",)),
		("5", "Special 20%", ("20",)),
	)
	gb = codes(
		("1", "20.0% S", ("20",)), ("2", "0.0% Z", ("0",)), ("3", "Exempt", ("0",)), ("4", "No VAT", ())
	)
	ca, ny, six = suggest_tax_codes(
		[
			{"name": "CA Sales Tax 7.25%", "rate": 7.25},
			{"name": "NY 8.875", "rate": "8.875"},
			{"name": "ST 6%", "rate": 6},
		],
		us,
	)
	assert (ca.qbo_id, ca.confidence) == ("4", HIGH) and "7.25 %" in ca.reason
	assert ny.qbo_id == "3"  # a group: its rates add up
	assert (six.qbo_id, six.confidence) == (None, UNMATCHED) and "6 %" in six.reason
	standard, exempt, zero = suggest_tax_codes(
		[
			{"name": "UK VAT 20%", "rate": 20},
			{"name": "Exempt Sales", "rate": 0},
			{"name": "Zero", "rate": 0},
		],
		gb,
	)
	assert standard.qbo_id == "1"
	assert (exempt.qbo_id, exempt.confidence) == ("3", MEDIUM)  # two codes at 0 %: the name decides
	assert zero.qbo_id is None and "several" in zero.reason
	inactive = {"9": TaxCodeInfo("9", "Old 7.25", (Decimal("7.25"),), active=False), **us}
	assert suggest_tax_codes([{"name": "CA", "rate": 7.25}], inactive)[0].qbo_id == "4"


def test_classes_and_locations_by_name() -> None:
	classes = [
		{"Id": "1", "Name": "Main"},
		{"Id": "2", "Name": "Retail Stores"},
		{"Id": "3", "Name": "Wholesale"},
	]
	main, retail, unknown = suggest_by_name(
		[{"name": "Main - QTC"}, {"name": "Retail - QTC"}, {"name": "Projects - QTC"}], classes, abbr="QTC"
	)
	assert (main.qbo_id, main.confidence) == ("1", HIGH)
	assert (retail.qbo_id, retail.confidence) == ("2", MEDIUM)
	assert (unknown.qbo_id, unknown.confidence) == (None, UNMATCHED)
