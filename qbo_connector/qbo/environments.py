"""Where QBO lives: production, sandbox, or a custom base (the local emulator)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Environment:
	"""Endpoints of one QBO deployment; the client never hard-codes a URL, so the emulator can stand in."""

	name: str
	api_base: str  # ".../v3", no trailing slash
	authorize_url: str
	token_url: str
	revoke_url: str
	app_base: str = ""  # for deep links shown to users, e.g. https://app.qbo.intuit.com/app

	def company_url(self, realm_id: str) -> str:
		"""API root of one company: every QBO path carries the realm."""
		return f"{self.api_base}/company/{quote(str(realm_id), safe='')}"

	def app_link(self, entity: str, entity_id: str) -> str:
		"""Deep link into the QBO web app for a transaction or name, or "" when there is no app base."""
		if not self.app_base:
			return ""
		kind = (entity or "").lower()
		names = {"customer": "customerdetail?nameId=", "vendor": "vendordetail?nameId="}
		if kind in names:
			return f"{self.app_base}/{names[kind]}{quote(str(entity_id), safe='')}"
		if kind == "item":
			return f"{self.app_base}/items"
		return f"{self.app_base}/{kind}?txnId={quote(str(entity_id), safe='')}"


_INTUIT_AUTHORIZE = "https://appcenter.intuit.com/connect/oauth2"
_INTUIT_TOKEN = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
_INTUIT_REVOKE = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"

PRODUCTION = Environment(
	name="production",
	api_base="https://quickbooks.api.intuit.com/v3",
	authorize_url=_INTUIT_AUTHORIZE,
	token_url=_INTUIT_TOKEN,
	revoke_url=_INTUIT_REVOKE,
	app_base="https://app.qbo.intuit.com/app",
)

SANDBOX = Environment(
	name="sandbox",
	api_base="https://sandbox-quickbooks.api.intuit.com/v3",
	authorize_url=_INTUIT_AUTHORIZE,
	token_url=_INTUIT_TOKEN,
	revoke_url=_INTUIT_REVOKE,
	app_base="https://app.sandbox.qbo.intuit.com/app",
)


def custom_environment(
	api_base: str,
	authorize_url: str,
	token_url: str,
	revoke_url: str,
	app_base: str = "",
	name: str = "custom",
) -> Environment:
	"""An Environment for the emulator or a proxy; trailing slashes are dropped so paths join cleanly."""
	return Environment(
		name=name,
		api_base=api_base.rstrip("/"),
		authorize_url=authorize_url,
		token_url=token_url,
		revoke_url=revoke_url,
		app_base=app_base.rstrip("/"),
	)


def get_environment(name: str) -> Environment:
	"""PRODUCTION or SANDBOX by name (as stored in settings); anything else is a configuration mistake."""
	key = (name or "").strip().lower()
	if key == "production":
		return PRODUCTION
	if key == "sandbox":
		return SANDBOX
	raise ValueError(f"Unknown QuickBooks environment {name!r}: expected 'production' or 'sandbox'")
