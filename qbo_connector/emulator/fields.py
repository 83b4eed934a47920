"""Top-level properties QBO accepts per entity (an unknown one is a 2010 fault) and those the server computes.

The lists follow Intuit's entity reference plus what python-quickbooks sends, which real QBO accepts.
"""

from __future__ import annotations

_SYSTEM = "Id SyncToken sparse domain MetaData status"
_TXN = "TxnDate DocNumber PrivateNote CurrencyRef ExchangeRate CustomField TxnSource TransactionLocationType DepartmentRef LinkedTxn Line"
_SALES = (
	"CustomerRef CustomerMemo BillAddr ShipAddr ShipFromAddr BillEmail BillEmailCc BillEmailBcc SalesTermRef DueDate "
	"ShipDate ShipMethodRef TrackingNum TxnTaxDetail GlobalTaxCalculation ApplyTaxAfterDiscount PrintStatus "
	"EmailStatus ClassRef TotalAmt HomeTotalAmt FreeFormAddress ProjectRef TaxExemptionRef RecurDataRef "
	"DeliveryInfo AttachableRef"
)
_PERSON = (
	"Title GivenName MiddleName FamilyName Suffix DisplayName PrintOnCheckName Active PrimaryPhone AlternatePhone "
	"Mobile Fax PrimaryEmailAddr WebAddr CompanyName OtherContactInfo V4IDPseudonym Source"
)

_FIELDS = {
	"Customer": _PERSON
	+ " FullyQualifiedName Notes IsProject Job BillWithParent Taxable Balance BalanceWithJobs PreferredDeliveryMethod "
	"ResaleNum Level OpenBalanceDate PrimaryTaxIdentifier SecondaryTaxIdentifier BillAddr ShipAddr DefaultTaxCodeRef "
	"SalesTermRef PaymentMethodRef ParentRef ARAccountRef CurrencyRef CustomerTypeRef TaxExemptionReasonId "
	"BusinessNumber GSTIN GSTRegistrationType ClientEntityId",
	"Vendor": _PERSON
	+ " APAccountRef AcctNum BillAddr BillRate Balance CurrencyRef TaxIdentifier TaxReportingBasis TermRef Vendor1099 "
	"OtherAddr BusinessNumber GSTIN GSTRegistrationType T4AEligible T5018Eligible HasTPAR CostRate VendorPaymentBankDetail",
	"Employee": _PERSON
	+ " BillRate BillableTime BirthDate CostRate EmailAddress EmployeeNumber Gender HiredDate Organization PrimaryAddr "
	"ReleasedDate SSN",
	"Item": "Name Sku Description Active SubItem ParentRef Level FullyQualifiedName Taxable SalesTaxIncluded UnitPrice "
	"Type IncomeAccountRef PurchaseDesc PurchaseTaxIncluded PurchaseCost ExpenseAccountRef AssetAccountRef "
	"TrackQtyOnHand QtyOnHand InvStartDate SalesTaxCodeRef PurchaseTaxCodeRef AbatementRate ReverseChargeRate "
	"ServiceType ItemCategoryType ClassRef PrefVendorRef UQCId ReorderPoint",
	"Account": "Name SubAccount ParentRef Description FullyQualifiedName Active Classification AccountType "
	"AccountSubType AcctNum CurrentBalance CurrentBalanceWithSubAccounts CurrencyRef TaxCodeRef TxnLocationType "
	"AccountAlias",
	"TaxCode": "Name Description Active Hidden Taxable TaxGroup SalesTaxRateList PurchaseTaxRateList TaxCodeConfigType",
	"Class": "Name SubClass ParentRef FullyQualifiedName Active",
	"Department": "Name SubDepartment ParentRef FullyQualifiedName Active",
	"TaxRate": "Name Description Active RateValue AgencyRef TaxReturnLineRef EffectiveTaxRate SpecialTaxType "
	"DisplayType OriginalTaxRate",
	"Invoice": _TXN
	+ " "
	+ _SALES
	+ " Balance HomeBalance Deposit DepositToAccountRef AllowIPNPayment AllowOnlinePayment "
	"AllowOnlineCreditCardPayment AllowOnlineACHPayment InvoiceLink EInvoiceStatus",
	"CreditMemo": _TXN + " " + _SALES + " Balance RemainingCredit",
	"Estimate": _TXN + " " + _SALES + " TxnStatus ExpirationDate AcceptedBy AcceptedDate",
	# Intuit's Payment has no DepartmentRef (no location on a received payment), unlike the other transactions.
	"Payment": _TXN.replace(" DepartmentRef", "")
	+ " CustomerRef TotalAmt UnappliedAmt DepositToAccountRef PaymentMethodRef PaymentRefNum ARAccountRef "
	"ProcessPayment CreditCardPayment TxnStatus TaxExemptionRef",
	"Deposit": _TXN + " DepositToAccountRef TotalAmt HomeTotalAmt CashBack GlobalTaxCalculation TxnTaxDetail "
	"TxnStatus AttachableRef",
	"PurchaseOrder": _TXN
	+ " VendorRef APAccountRef TotalAmt HomeTotalAmt VendorAddr ShipAddr ShipTo ShipMethodRef POStatus POEmail DueDate "
	"SalesTermRef Memo EmailStatus ClassRef GlobalTaxCalculation TxnTaxDetail TaxCodeRef AttachableRef",
	"Bill": _TXN
	+ " VendorRef APAccountRef TotalAmt HomeTotalAmt Balance HomeBalance VendorAddr SalesTermRef DueDate "
	"GlobalTaxCalculation TxnTaxDetail AttachableRef",
	"VendorCredit": _TXN
	+ " VendorRef APAccountRef TotalAmt HomeTotalAmt Balance GlobalTaxCalculation TxnTaxDetail "
	"AttachableRef",
	"BillPayment": _TXN
	+ " VendorRef APAccountRef TotalAmt PayType CheckPayment CreditCardPayment ProcessBillPayment "
	"TxnStatus",
	"TimeActivity": "TxnDate NameOf EmployeeRef VendorRef OtherNameRef CustomerRef ItemRef ClassRef DepartmentRef "
	"PayrollItemRef BillableStatus Taxable HourlyRate CostRate Hours Minutes BreakHours BreakMinutes StartTime "
	"EndTime Description TransactionLocationType ProjectRef AttachableRef",
}

FIELDS: dict[str, frozenset[str]] = {k: frozenset((v + " " + _SYSTEM).split()) for k, v in _FIELDS.items()}

_COMMON_RO = "MetaData domain status"
_READONLY = {
	"Customer": "Balance BalanceWithJobs FullyQualifiedName Level",
	"Vendor": "Balance",
	"Employee": "",
	"Item": "FullyQualifiedName Level",
	"Account": "CurrentBalance CurrentBalanceWithSubAccounts FullyQualifiedName Classification",
	"TaxCode": "",
	"TaxRate": "",
	"Class": "FullyQualifiedName",
	"Department": "FullyQualifiedName",
	"Invoice": "TotalAmt HomeTotalAmt Balance HomeBalance InvoiceLink EInvoiceStatus",
	"CreditMemo": "TotalAmt HomeTotalAmt Balance RemainingCredit",
	"Estimate": "TotalAmt HomeTotalAmt",
	"Payment": "UnappliedAmt",
	"Deposit": "TotalAmt HomeTotalAmt",
	"PurchaseOrder": "TotalAmt HomeTotalAmt",
	"Bill": "TotalAmt HomeTotalAmt Balance HomeBalance",
	"VendorCredit": "TotalAmt HomeTotalAmt Balance",
	"BillPayment": "",
	"TimeActivity": "",
}
READONLY: dict[str, frozenset[str]] = {
	k: frozenset((v + " " + _COMMON_RO).split()) for k, v in _READONLY.items()
}

# Kept from the stored version on a full update (everything else omitted becomes null).
SYSTEM_KEEP = frozenset({"Id", "SyncToken", "MetaData", "domain"})
