"""Emulator settings (one dataclass: the CLI, EmulatorServer(**config) and POST /_emulator/config share it)."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field

COUNTRIES = ("US", "GB", "CA", "AU")
HOME_CURRENCY = {"US": "USD", "GB": "GBP", "CA": "CAD", "AU": "AUD"}
WEBHOOK_FORMATS = ("legacy", "cloudevents")


@dataclass
class EmulatorConfig:
	"""Everything a test or the CLI may turn. Durations are nominal seconds; `time_scale` shrinks them."""

	client_id: str = "emulator-client-id"
	client_secret: str = "emulator-client-secret"
	realm_id: str = "9130357766900001"
	redirect_uris: list[str] = field(default_factory=list)  # empty: any http(s) redirect_uri is accepted
	token_lifetime: float = 3600.0  # access token, nominal seconds
	refresh_token_lifetime: float = 8_640_000.0  # 100 days, nominal seconds
	# Intuit's hard maximum (since late 2025): five years from the connection, whatever the rolling lifetime;
	# token answers say what is left in x_refresh_token_hard_expires_in.
	refresh_token_hard_lifetime: float = 157_680_000.0
	code_lifetime: float = 300.0  # authorization code, nominal seconds
	time_scale: float = 1.0  # 0.01: a "minute" lasts 0.6 s (token lifetimes and rate windows shrink with it)
	webhook_url: str | None = None
	webhook_format: str = "legacy"  # or "cloudevents"
	verifier_token: str = "emulator-verifier-token"
	webhook_timeout: float = 5.0
	webhook_on_api_writes: bool = True  # QBO notifies for the app's own writes too
	webhook_content_type: str | None = (
		None  # default: application/json (legacy), application/cloudevents+json
	)
	country: str = "US"
	multicurrency: bool = False
	home_currency: str | None = None  # default from country
	custom_txn_numbers: bool = False
	automated_sales_tax: bool = False  # US only: Preferences.TaxPrefs.PartnerTaxEnabled, QBO computes the tax
	company_name: str = "Emulated Company"
	limits_enabled: bool = True
	limit_per_second: int = 10
	limit_per_minute: int = 500
	batch_limit_per_minute: int = 40
	throttle_format: str = "json"  # or "xml", as Intuit sometimes answers 429
	throttle_retry_after: bool = False  # Intuit does not document Retry-After; on: send the scaled wait
	cdc_max_days: int = 30

	def updated(self, **changes: object) -> EmulatorConfig:
		"""A copy with `changes` applied; unknown names raise so a typo in a test fails loudly."""
		names = {f.name for f in dataclasses.fields(self)}
		unknown = sorted(set(changes) - names)
		if unknown:
			raise ValueError(f"unknown emulator config option(s): {', '.join(unknown)}")
		new = dataclasses.replace(self, **changes)
		new.validate()
		return new

	def validate(self) -> None:
		if self.country.upper() not in COUNTRIES:
			raise ValueError(f"country must be one of {COUNTRIES}")
		self.country = self.country.upper()
		if self.automated_sales_tax and self.country != "US":
			raise ValueError("automated sales tax exists for US companies only")
		if self.webhook_format not in WEBHOOK_FORMATS:
			raise ValueError(f"webhook_format must be one of {WEBHOOK_FORMATS}")
		if self.throttle_format not in ("json", "xml"):
			raise ValueError("throttle_format must be json or xml")
		if self.time_scale <= 0:
			raise ValueError("time_scale must be > 0")

	@property
	def home(self) -> str:
		return (self.home_currency or HOME_CURRENCY[self.country.upper()]).upper()

	def to_dict(self) -> dict:
		out = dataclasses.asdict(self)
		out["client_secret"] = "***"
		out["verifier_token"] = "***"
		return out


class Clock:
	"""Wall time plus an offset tests can advance (token expiry, CDC look-back) without sleeping."""

	def __init__(self) -> None:
		self._offset = 0.0
		self._lock = threading.Lock()

	def now(self) -> float:
		return time.time() + self._offset

	def advance(self, seconds: float) -> None:
		with self._lock:
			self._offset += seconds

	def reset(self) -> None:
		with self._lock:
			self._offset = 0.0
