"""`python -m qbo_connector.emulator`: run the QBO emulator on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from .config import COUNTRIES, EmulatorConfig
from .server import EmulatorServer


def _bool(text: str) -> bool:
	value = text.strip().lower()
	if value in ("1", "true", "yes", "on"):
		return True
	if value in ("0", "false", "no", "off"):
		return False
	raise argparse.ArgumentTypeError(f"expected on/off, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
	d = EmulatorConfig()
	p = argparse.ArgumentParser(
		prog="python -m qbo_connector.emulator",
		description="A local QuickBooks Online (OAuth 2.0, v3 API, webhooks, throttles, fault injection) on 127.0.0.1.",
		formatter_class=argparse.ArgumentDefaultsHelpFormatter,
	)
	p.add_argument(
		"--host",
		default="127.0.0.1",
		help="address to listen on (keep loopback: the control API has no auth)",
	)
	p.add_argument("--port", type=int, default=8765, help="port to listen on (0 picks a free one)")
	p.add_argument("--client-id", default=d.client_id, help="OAuth client id the emulator accepts")
	p.add_argument(
		"--client-secret", default=d.client_secret, help="OAuth client secret the emulator accepts"
	)
	p.add_argument("--realm", default=d.realm_id, help="realm id (company id) of the seeded company")
	p.add_argument(
		"--redirect-uri",
		action="append",
		default=[],
		metavar="URI",
		help="registered redirect URI (repeatable); none registered: any http(s) URI is accepted",
	)
	p.add_argument(
		"--token-lifetime",
		type=float,
		default=d.token_lifetime,
		help="access token lifetime, nominal seconds",
	)
	p.add_argument(
		"--refresh-token-lifetime",
		type=float,
		default=d.refresh_token_lifetime,
		help="refresh token lifetime, nominal seconds",
	)
	p.add_argument(
		"--refresh-token-hard-lifetime",
		type=float,
		default=d.refresh_token_hard_lifetime,
		help="refresh token hard maximum from the connection, nominal seconds (Intuit: five years)",
	)
	p.add_argument(
		"--time-scale",
		type=float,
		default=d.time_scale,
		help="multiplies every duration: 0.01 makes a rate-limit minute 0.6 s and a token hour 36 s",
	)
	p.add_argument("--webhook-url", default=None, help="where to POST signed webhook notifications")
	p.add_argument(
		"--webhook-format",
		choices=("legacy", "cloudevents"),
		default=d.webhook_format,
		help="webhook payload format",
	)
	p.add_argument(
		"--verifier-token", default=d.verifier_token, help="webhook verifier token (HMAC-SHA256 key)"
	)
	p.add_argument(
		"--webhook-api-writes",
		type=_bool,
		default=d.webhook_on_api_writes,
		metavar="on|off",
		help="also notify for writes made through the API (QBO does)",
	)
	p.add_argument(
		"--country",
		choices=COUNTRIES,
		default=d.country,
		help="company mode: US (TAX/NON) or a non-US VAT/GST country",
	)
	p.add_argument(
		"--multicurrency",
		type=_bool,
		default=d.multicurrency,
		metavar="on|off",
		help="multicurrency on or off",
	)
	p.add_argument(
		"--home-currency", default=None, help="home currency (default from the country: USD, GBP, CAD, AUD)"
	)
	p.add_argument(
		"--custom-txn-numbers",
		type=_bool,
		default=d.custom_txn_numbers,
		metavar="on|off",
		help="custom transaction numbers",
	)
	p.add_argument(
		"--automated-sales-tax",
		type=_bool,
		default=d.automated_sales_tax,
		metavar="on|off",
		help="US automated sales tax (QBO computes the tax on TAX lines at its own rate)",
	)
	p.add_argument("--company-name", default=d.company_name, help="company name shown in CompanyInfo")
	p.add_argument(
		"--limits",
		type=_bool,
		default=d.limits_enabled,
		metavar="on|off",
		help="enforce Intuit's rate limits",
	)
	p.add_argument(
		"--limit-per-second", type=int, default=d.limit_per_second, help="requests a second per realm and app"
	)
	p.add_argument(
		"--limit-per-minute", type=int, default=d.limit_per_minute, help="requests a minute per realm and app"
	)
	p.add_argument(
		"--batch-limit-per-minute", type=int, default=d.batch_limit_per_minute, help="batch requests a minute"
	)
	p.add_argument(
		"--throttle-format", choices=("json", "xml"), default=d.throttle_format, help="body of 429 answers"
	)
	p.add_argument(
		"--throttle-retry-after",
		type=_bool,
		default=d.throttle_retry_after,
		metavar="on|off",
		help="send Retry-After on 429",
	)
	p.add_argument(
		"--seed-history",
		type=int,
		default=0,
		metavar="N",
		help="seed the company with a sales history of N invoices (credit memos, payments, voids; emulator/history.py)",
	)
	p.add_argument("-v", "--verbose", action="store_true", help="log every request")
	return p


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
	config = EmulatorConfig(
		client_id=args.client_id,
		client_secret=args.client_secret,
		realm_id=args.realm,
		redirect_uris=list(args.redirect_uri),
		token_lifetime=args.token_lifetime,
		refresh_token_lifetime=args.refresh_token_lifetime,
		refresh_token_hard_lifetime=args.refresh_token_hard_lifetime,
		time_scale=args.time_scale,
		webhook_url=args.webhook_url,
		webhook_format=args.webhook_format,
		verifier_token=args.verifier_token,
		webhook_on_api_writes=args.webhook_api_writes,
		country=args.country,
		multicurrency=args.multicurrency,
		home_currency=args.home_currency,
		custom_txn_numbers=args.custom_txn_numbers,
		automated_sales_tax=args.automated_sales_tax,
		company_name=args.company_name,
		limits_enabled=args.limits,
		limit_per_second=args.limit_per_second,
		limit_per_minute=args.limit_per_minute,
		batch_limit_per_minute=args.batch_limit_per_minute,
		throttle_format=args.throttle_format,
		throttle_retry_after=args.throttle_retry_after,
	)
	config.validate()
	return config


def banner(emu: EmulatorServer) -> str:
	cfg = emu.config
	return (
		f"QBO emulator running at {emu.base_url}\n"
		f"  authorize URL : {emu.authorize_url}\n"
		f"  token URL     : {emu.token_url}\n"
		f"  revoke URL    : {emu.revoke_url}\n"
		f"  discovery URL : {emu.discovery_url}\n"
		f"  API base      : {emu.api_base}\n"
		f"  control API   : {emu.control_url}/state\n"
		f"  client id     : {cfg.client_id}\n"
		f"  client secret : {cfg.client_secret}\n"
		f"  realm id      : {cfg.realm_id}  ({cfg.country}, home {cfg.home}, multicurrency {'on' if cfg.multicurrency else 'off'})\n"
		f"  webhooks      : {cfg.webhook_url or 'off'} ({cfg.webhook_format}); verifier token {cfg.verifier_token}\n"
		"Press Ctrl-C to stop.\n"
	)


def main(argv: list[str] | None = None) -> int:
	args = build_parser().parse_args(argv)
	logging.basicConfig(
		level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
	)
	emu = EmulatorServer(host=args.host, port=args.port, config=config_from_args(args))
	emu.start()
	if args.seed_history:
		counts = emu.seed_history(invoices=args.seed_history)
		sys.stdout.write(f"Seeded a sales history: {counts}\n")
	sys.stdout.write(banner(emu))
	sys.stdout.flush()
	try:
		threading.Event().wait()
	except KeyboardInterrupt:
		pass
	finally:
		emu.stop()
	return 0


if __name__ == "__main__":
	sys.exit(main())
