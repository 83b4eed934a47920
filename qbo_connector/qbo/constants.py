"""Numbers and names Intuit fixes; one module so a change in Intuit's limits is a one-line edit."""

MINOR_VERSION = 75  # anything lower is treated as 75 by Intuit since 2025-08-01
LIMIT_PER_MINUTE = 500  # requests a minute per realm and app
LIMIT_PER_SECOND = 10  # requests a second per realm and app
BATCH_LIMIT_PER_MINUTE = 40  # batch requests a minute per realm and app
BATCH_MAX_ITEMS = 30  # items in one batch request
QUERY_MAX_RESULTS = 1000  # largest MAXRESULTS QBO honours
SCOPE_ACCOUNTING = "com.intuit.quickbooks.accounting"

REQUEST_ID_MAX_LENGTH = 50  # requestid on a single write
BATCH_REQUEST_ID_MAX_LENGTH = 36  # requestid on a batch request
DEFAULT_THROTTLE_WAIT = 60.0  # seconds Intuit asks callers to wait after a 429

# Canonical spelling of QBO entity names, keyed by their lower-case form: webhook types and URL paths
# are lower-case, envelopes are not, so both directions need this table.
ENTITY_NAMES: dict[str, str] = {
	name.lower(): name
	for name in (
		"Account",
		"Attachable",
		"Bill",
		"BillPayment",
		"Budget",
		"Class",
		"CompanyCurrency",
		"CompanyInfo",
		"CreditCardPayment",
		"CreditMemo",
		"Currency",
		"Customer",
		"CustomerType",
		"Department",
		"Deposit",
		"Employee",
		"Entitlements",
		"Estimate",
		"ExchangeRate",
		"Invoice",
		"Item",
		"JournalCode",
		"JournalEntry",
		"Payment",
		"PaymentMethod",
		"Preferences",
		"Purchase",
		"PurchaseOrder",
		"RecurringTransaction",
		"RefundReceipt",
		"ReimburseCharge",
		"SalesReceipt",
		"TaxAgency",
		"TaxCode",
		"TaxPayment",
		"TaxRate",
		"TaxService",
		"Term",
		"TimeActivity",
		"Transfer",
		"Vendor",
		"VendorCredit",
	)
}


def canonical_entity(name: str) -> str:
	"""QBO's spelling of an entity name given in any case ("invoice" -> "Invoice", "creditmemo" -> "CreditMemo")."""
	name = (name or "").strip()
	known = ENTITY_NAMES.get(name.lower().replace("_", "").replace("-", ""))
	if known:
		return known
	return name[:1].upper() + name[1:]
