"""The emulator's seeded sales history (emulator/history.py): varied shapes, deterministic, reachable from the
control API and the command line."""

from __future__ import annotations

from decimal import Decimal

import requests
from emulator_testkit import TIMEOUT

from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.__main__ import build_parser


def _shapes(emu: EmulatorServer) -> dict[str, int]:
	invoices = emu.objects("Invoice")
	return {
		"invoices": len(invoices),
		"taxed": sum(
			1 for i in invoices if Decimal(str((i.get("TxnTaxDetail") or {}).get("TotalTax") or 0)) > 0
		),
		"discounted": sum(
			1 for i in invoices if any(row.get("DetailType") == "DiscountLineDetail" for row in i["Line"])
		),
		"foreign": sum(1 for i in invoices if (i.get("CurrencyRef") or {}).get("value") not in (None, "USD")),
		"partly_paid": sum(
			1 for i in invoices if 0 < Decimal(str(i["Balance"])) < Decimal(str(i["TotalAmt"]))
		),
		"voided": sum(1 for i in invoices if "Voided" in str(i.get("PrivateNote"))),
		"credit_memos": len(emu.objects("CreditMemo")),
	}


def test_history_has_every_shape_and_is_deterministic(emu: EmulatorServer) -> None:
	counts = emu.seed_history(invoices=300)
	shapes = _shapes(emu)
	assert shapes["invoices"] == counts["Invoice"] == 300
	for key in ("taxed", "discounted", "foreign", "partly_paid", "voided", "credit_memos"):
		assert shapes[key] > 0, key
	assert counts["Payment"] == len(emu.objects("Payment")) > 50
	with EmulatorServer(port=0, limits_enabled=False, time_scale=0.01) as other:
		other.seed_history(invoices=300)
		assert _shapes(other) == shapes
		totals = [i["TotalAmt"] for i in other.objects("Invoice")]
	assert totals == [i["TotalAmt"] for i in emu.objects("Invoice")]


def test_history_from_the_control_api_and_the_cli_flag(emu: EmulatorServer) -> None:
	answer = requests.post(f"{emu.control_url}/act/seed_history", json={"invoices": 40}, timeout=TIMEOUT)
	assert answer.status_code == 200, answer.text
	assert len(emu.objects("Invoice")) == 40
	assert build_parser().parse_args(["--seed-history", "250"]).seed_history == 250
	assert "--seed-history" in build_parser().format_help()
