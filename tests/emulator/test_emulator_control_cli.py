"""The control API (state, reset, config, tokens, clock) and the command line (help, banner)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests
from emulator_testkit import TIMEOUT, Api

from qbo_connector.emulator import EmulatorServer
from qbo_connector.emulator.__main__ import build_parser


def test_state_counts_and_entities(emu: EmulatorServer, api: Api) -> None:
	api.invoice(10)
	state = requests.get(f"{emu.control_url}/state", timeout=TIMEOUT).json()
	company = state["companies"][emu.realm_id]
	assert company["counts"]["Invoice"] == 1
	assert company["country"] == "US"
	assert state["config"]["client_secret"] == "***"
	one = requests.get(f"{emu.control_url}/state", params={"entity": "invoice"}, timeout=TIMEOUT).json()
	assert one["companies"][emu.realm_id]["entities"]["Invoice"][0]["TotalAmt"] == 10


def test_reset_returns_to_the_seed(emu: EmulatorServer, api: Api) -> None:
	api.create("Customer", {"DisplayName": "Temporary"})
	assert requests.post(f"{emu.control_url}/reset", timeout=TIMEOUT).json() == {"ok": True}
	assert api.get("customer/1").status_code == 401  # grants are gone too
	fresh = Api(emu)
	assert fresh.rows("select * from Customer where DisplayName = 'Temporary'", "Customer") == []
	assert fresh.rows("select * from Customer", "Customer")


def test_tokens_config_and_clock_routes(emu: EmulatorServer) -> None:
	tokens = requests.post(f"{emu.control_url}/tokens", json={}, timeout=TIMEOUT).json()
	assert tokens["access_token"] and tokens["refresh_token"] and tokens["realmId"] == emu.realm_id
	headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
	assert (
		requests.get(f"{emu.company_url()}/customer/1", headers=headers, timeout=TIMEOUT).status_code == 200
	)
	r = requests.post(f"{emu.control_url}/config", json={"token_lifetime": 60}, timeout=TIMEOUT)
	assert r.json()["token_lifetime"] == 60
	assert (
		requests.post(f"{emu.control_url}/config", json={"nonsense": 1}, timeout=TIMEOUT).status_code == 400
	)
	short = requests.post(f"{emu.control_url}/tokens", json={}, timeout=TIMEOUT).json()
	assert short["expires_in"] == 60
	requests.post(f"{emu.control_url}/clock/advance", json={"seconds": 61}, timeout=TIMEOUT)
	short_headers = {"Authorization": f"Bearer {short['access_token']}"}
	assert (
		requests.get(f"{emu.company_url()}/customer/1", headers=short_headers, timeout=TIMEOUT).status_code
		== 401
	)
	expired = requests.post(f"{emu.control_url}/tokens/expire", json={}, timeout=TIMEOUT).json()
	assert expired["expired"] >= 1


def test_second_company_and_unknown_route(emu: EmulatorServer) -> None:
	r = requests.post(
		f"{emu.control_url}/company", json={"realm_id": "4620816365000000", "country": "AU"}, timeout=TIMEOUT
	)
	assert r.json()["home_currency"] == "AUD"
	api = Api(emu, "4620816365000000")
	assert api.read("CompanyInfo", "4620816365000000")["Country"] == "AU"
	assert requests.get(f"{emu.control_url}/nothing", timeout=TIMEOUT).status_code == 404


def test_help_documents_every_option() -> None:
	text = build_parser().format_help()
	for option in (
		"--port",
		"--client-id",
		"--client-secret",
		"--realm",
		"--redirect-uri",
		"--token-lifetime",
		"--time-scale",
		"--webhook-url",
		"--webhook-format",
		"--verifier-token",
		"--country",
		"--multicurrency",
		"--home-currency",
		"--custom-txn-numbers",
		"--limits",
		"--throttle-format",
	):
		assert option in text


def test_cli_prints_the_banner_and_serves() -> None:
	env = dict(os.environ, PYTHONUNBUFFERED="1")
	proc = subprocess.Popen(
		[
			sys.executable,
			"-m",
			"qbo_connector.emulator",
			"--port",
			"0",
			"--client-id",
			"cli-id",
			"--country",
			"GB",
		],
		stdout=subprocess.PIPE,
		stderr=subprocess.DEVNULL,
		text=True,
		env=env,
	)
	try:
		lines = []
		deadline = time.monotonic() + 15
		while time.monotonic() < deadline:
			line = proc.stdout.readline()  # type: ignore[union-attr]
			lines.append(line)
			if line.startswith("Press Ctrl-C"):
				break
		banner = "".join(lines)
		for label in (
			"authorize URL",
			"token URL",
			"revoke URL",
			"API base",
			"client id     : cli-id",
			"client secret",
			"realm id",
		):
			assert label in banner
		base = banner.split("running at ")[1].split()[0]
		state = requests.get(f"{base}/_emulator/state", timeout=TIMEOUT).json()
		assert list(state["companies"].values())[0]["country"] == "GB"
	finally:
		proc.terminate()
		proc.wait(timeout=10)
