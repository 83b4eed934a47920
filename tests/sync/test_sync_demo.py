"""The README's offline tour runs end to end and shows what it claims: exact totals, reported cents,
a bad-data failure naming its field, a void, and a QBO payment pulled back as a Payment Entry."""

from __future__ import annotations

from decimal import Decimal

from sync_support import FIXTURES

from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.tour import main, run_tour


def test_tour_pushes_the_samples_and_pulls_a_qbo_payment_back(capsys):
	with EmulatorServer(port=0, webhook_on_api_writes=False, throttle_retry_after=True) as emu:
		store = run_tour(emu, FIXTURES)
		invoices = {obj["DocNumber"]: obj for obj in emu.objects("Invoice")}

	by_doc = {}
	for entry in store.logs():
		if entry.operation in ("push", "cancel") and entry.name:
			by_doc.setdefault(entry.name, []).append(entry)
	assert by_doc["ACC-SINV-2026-00002"][-1].status == "Success"
	assert Decimal(str(invoices["ACC-SINV-2026-00002"]["TotalAmt"])) == Decimal("1844.00")
	# ERPNext's stray cent on a Grand-Total discount is within the rounding tolerance: Success, with a note.
	assert by_doc["ACC-SINV-2026-00004"][-1].status == "Success"
	assert "rounding tolerance" in by_doc["ACC-SINV-2026-00004"][-1].message
	assert "0.01" in by_doc["ACC-SINV-2026-00004"][-1].message
	# EUR into a company without multicurrency: bad data, named by document and field, nothing created.
	eur = by_doc["ACC-SINV-2026-00007"][-1]
	assert eur.status == "Failed" and "field 'currency'" in eur.message
	assert "ACC-SINV-2026-00007" not in invoices
	assert invoices["ACC-SINV-2026-00011"]["TotalAmt"] == 0  # voided keeps its number with zero amounts
	pulled = [pe for pe in store.docs("Payment Entry") if pe.get("qbo_payment_id")]
	assert len(pulled) == 1
	assert pulled[0]["references"][0]["reference_name"] == "ACC-SINV-2026-00010"
	assert Decimal(str(pulled[0]["paid_amount"])) == Decimal("1550.00")
	out = capsys.readouterr().out
	assert "new Payment Entry" in out
	# Paced to Intuit's limits: nothing failed for throttling (a rare 429 under load is waited out and retried).
	assert not [e for e in store.logs() if e.status == "Failed" and e.error_code in ("3001", "429")]


def test_cli_rejects_a_missing_fixture_folder(tmp_path, capsys):
	try:
		main(["--fixtures", str(tmp_path / "nowhere")])
	except SystemExit as exc:
		assert exc.code == 2
	assert "no fixtures" in capsys.readouterr().err
