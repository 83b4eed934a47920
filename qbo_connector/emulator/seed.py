"""Seed data per company mode: chart of accounts, tax codes, a few items and names, so a new connection works."""

from __future__ import annotations

from decimal import Decimal

ASSET, LIABILITY, EQUITY, REVENUE, EXPENSE = "Asset", "Liability", "Equity", "Revenue", "Expense"
CLASSIFICATION = {
	"Bank": ASSET,
	"Other Current Asset": ASSET,
	"Fixed Asset": ASSET,
	"Other Asset": ASSET,
	"Accounts Receivable": ASSET,
	"Accounts Payable": LIABILITY,
	"Credit Card": LIABILITY,
	"Long Term Liability": LIABILITY,
	"Other Current Liability": LIABILITY,
	"Equity": EQUITY,
	"Income": REVENUE,
	"Other Income": REVENUE,
	"Expense": EXPENSE,
	"Other Expense": EXPENSE,
	"Cost of Goods Sold": EXPENSE,
}
DEFAULT_SUBTYPE = {
	"Bank": "Checking",
	"Other Current Asset": "OtherCurrentAssets",
	"Fixed Asset": "OtherFixedAssets",
	"Other Asset": "OtherLongTermAssets",
	"Accounts Receivable": "AccountsReceivable",
	"Accounts Payable": "AccountsPayable",
	"Credit Card": "CreditCard",
	"Long Term Liability": "OtherLongTermLiabilities",
	"Other Current Liability": "OtherCurrentLiabilities",
	"Equity": "OwnersEquity",
	"Income": "ServiceFeeIncome",
	"Other Income": "OtherMiscellaneousIncome",
	"Expense": "OtherMiscellaneousServiceCost",
	"Other Expense": "OtherMiscellaneousExpense",
	"Cost of Goods Sold": "SuppliesMaterialsCogs",
}

_TAX_PAYABLE = {"US": "Sales Tax Payable", "GB": "VAT Control", "CA": "GST/HST Payable", "AU": "GST Payable"}

# (key, Name, AccountType, AccountSubType); ids are assigned in this order, so "Accounts Receivable (A/R)" is 1.
ACCOUNTS = [
	("ar", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
	("undeposited", "Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
	("checking", "Checking", "Bank", "Checking"),
	("savings", "Savings", "Bank", "Savings"),
	("product_income", "Sales of Product Income", "Income", "SalesOfProductIncome"),
	("services", "Services", "Income", "ServiceFeeIncome"),
	("discounts", "Discounts given", "Income", "DiscountsRefundsGiven"),
	("tax_payable", None, "Other Current Liability", "GlobalTaxPayable"),
	("cogs", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
	("inventory", "Inventory Asset", "Other Current Asset", "Inventory"),
	("ap", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
	("other_income", "Other Income", "Other Income", "OtherMiscellaneousIncome"),
	("rounding", "Rounding", "Other Income", "OtherMiscellaneousIncome"),
	("uncategorized_income", "Uncategorized Income", "Income", "ServiceFeeIncome"),
	("uncategorized_expense", "Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost"),
	("office", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
	("opening_equity", "Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
	("retained", "Retained Earnings", "Equity", "RetainedEarnings"),
	("credit_card", "Visa Business", "Credit Card", "CreditCard"),
]

# Tax rates: (Name, RateValue); tax codes: (Name, [rate names], Taxable, TaxGroup). US adds TAX/NON pseudo-codes.
TAX_SETUP: dict[str, tuple[list[tuple[str, str]], list[tuple[str, list[str], bool, bool]]]] = {
	"US": (
		[("NY State", "4"), ("NYC", "4.875"), ("California", "7.25"), ("Special 20%", "20")],
		[
			("NY State+City 8.875%", ["NY State", "NYC"], True, True),
			("California", ["California"], True, False),
			("Special 20%", ["Special 20%"], True, False),
		],
	),
	"GB": (
		[("20.0% S", "20"), ("5.0% R", "5"), ("0.0% Z", "0"), ("Exempt", "0")],
		[
			("20.0% S", ["20.0% S"], True, False),
			("5.0% R", ["5.0% R"], True, False),
			("0.0% Z", ["0.0% Z"], True, False),
			("Exempt", ["Exempt"], True, False),
			("No VAT", [], False, False),
		],
	),
	"CA": (
		[("HST ON", "13"), ("GST", "5"), ("PST BC", "7"), ("Zero-rated", "0"), ("Exempt", "0")],
		[
			("HST ON", ["HST ON"], True, False),
			("GST", ["GST"], True, False),
			("GST/PST BC", ["GST", "PST BC"], True, True),
			("Zero-rated", ["Zero-rated"], True, False),
			("Exempt", ["Exempt"], True, False),
		],
	),
	"AU": (
		[("GST", "10"), ("GST free", "0"), ("Input taxed", "0")],
		[
			("GST", ["GST"], True, False),
			("GST free", ["GST free"], True, False),
			("Input taxed", ["Input taxed"], True, False),
		],
	),
}

CUSTOMERS = [
	{
		"DisplayName": "Amy's Bird Sanctuary",
		"GivenName": "Amy",
		"FamilyName": "Lauterbach",
		"CompanyName": "Amy's Bird Sanctuary",
	},
	{"DisplayName": "Bill's Windsurf Shop", "CompanyName": "Bill's Windsurf Shop", "Taxable": False},
]
VENDORS = [{"DisplayName": "Books by Bessie", "CompanyName": "Books by Bessie"}]
EMPLOYEES = [{"DisplayName": "Emily Platt", "GivenName": "Emily", "FamilyName": "Platt"}]


def items(accounts: dict[str, str]) -> list[dict]:
	"""Seed items; "Services" comes first because QBO falls back to it when a sales line has no ItemRef."""
	return [
		{
			"Name": "Services",
			"Type": "Service",
			"IncomeAccountRef": {"value": accounts["services"], "name": "Services"},
			"UnitPrice": Decimal("0"),
			"Taxable": False,
		},
		{
			"Name": "Hours",
			"Type": "Service",
			"IncomeAccountRef": {"value": accounts["services"], "name": "Services"},
			"UnitPrice": Decimal("50"),
			"Taxable": False,
		},
		{
			"Name": "Sales",
			"Type": "NonInventory",
			"IncomeAccountRef": {"value": accounts["product_income"], "name": "Sales of Product Income"},
			"UnitPrice": Decimal("0"),
			"Taxable": True,
		},
	]


def account_rows(country: str) -> list[tuple[str, str, str, str]]:
	return [(key, name or _TAX_PAYABLE[country], atype, sub) for key, name, atype, sub in ACCOUNTS]
