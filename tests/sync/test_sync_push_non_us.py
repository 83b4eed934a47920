"""A non-US QBO company end to end: ERPNext's tax-inclusive prices become a TaxInclusive QBO invoice whose
total QBO computes to ERPNext's grand total, and untaxed invoices carry the exempt code on every line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sync_support import make_engine, make_store

from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.tour import emulator_config, qbo_id_by_name

SI = "Sales Invoice"


@pytest.fixture
def gb():
	with EmulatorServer(
		port=0, country="GB", home_currency="USD", webhook_on_api_writes=False, limits_enabled=False
	) as emu:
		yield emu


def _config(emu: EmulatorServer):
	standard = qbo_id_by_name(emu, "TaxCode", "20.0% S")
	return emulator_config(
		emu,
		us_tax_code=None,
		tax_map={"VAT 20% Included - QTC": standard, "VAT Payable - QTC": standard},
		exempt_tax_code=qbo_id_by_name(emu, "TaxCode", "No VAT"),
	)


def test_tax_inclusive_invoice_reaches_a_vat_company_with_erpnexts_total(gb: EmulatorServer) -> None:
	store = make_store(_config(gb))
	result = make_engine(gb, store).push(SI, "ACC-SINV-2026-00005")  # si_tax_inclusive
	assert result.status in ("Success", "Warning"), result.message
	invoice = gb.get("Invoice", result.qbo_id)
	assert invoice["GlobalTaxCalculation"] == "TaxInclusive"
	standard = qbo_id_by_name(gb, "TaxCode", "20.0% S")
	sales = [line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
	assert sales and all(line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == standard for line in sales)
	# ERPNext's grand total is the sum of the gross line amounts; QBO computes the same from TaxInclusive lines.
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("453.83")
	assert result.status == "Success", result.message


def test_untaxed_invoice_in_a_vat_company_uses_the_exempt_code(gb: EmulatorServer) -> None:
	config = _config(gb)
	store = make_store(config)
	result = make_engine(gb, store).push(SI, "ACC-SINV-2026-00002")  # si_basic: no tax rows
	assert result.status == "Success", result.message
	invoice = gb.get("Invoice", result.qbo_id)
	assert Decimal(str(invoice["TotalAmt"])) == Decimal("1844.00")
	codes = {
		line["SalesItemLineDetail"].get("TaxCodeRef", {}).get("value")
		for line in invoice["Line"]
		if line["DetailType"] == "SalesItemLineDetail"
	}
	assert codes <= {config.exempt_tax_code, None}
