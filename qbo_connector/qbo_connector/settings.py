"""Reading QBO Settings: the Intuit app, the environment, the redirect URI.

Read on every use, never at import time: settings change while workers run, and an import-time read
breaks `bench migrate` on a site that has none yet.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_url

from qbo_connector.qbo.environments import PRODUCTION, SANDBOX, Environment, custom_environment
from qbo_connector.qbo.oauth import OAuthClient

SETTINGS = "QBO Settings"
CONNECTION = "QBO Connection"
CALLBACK_METHOD = "qbo_connector.qbo_connector.oauth.callback"


def desk_path(route: str = "") -> str:
	"""A desk page's path on the running Frappe: /desk/... from v16 (where /app/... only redirects there),
	/app/... on v15 (which has no /desk)."""
	prefix = "/desk" if int(frappe.__version__.split(".")[0]) >= 16 else "/app"
	return f"{prefix}/{route}" if route else prefix


def redirect_uri() -> str:
	"""The URL Intuit sends the browser back to; must be registered in the Intuit app exactly as shown."""
	return get_url(f"/api/method/{CALLBACK_METHOD}")


def get_settings():
	"""The QBO Settings document, fresh from the database (not the document cache)."""
	return frappe.get_single(SETTINGS)


def get_environment(settings=None) -> Environment:
	"""Production, Sandbox, or the Custom URLs (the emulator or a proxy) as a qbo.environments.Environment."""
	settings = settings or get_settings()
	name = settings.environment or "Sandbox"
	if name == "Production":
		return PRODUCTION
	if name == "Sandbox":
		return SANDBOX
	missing = [
		label
		for label, value in (
			(_("API Base URL"), settings.api_base_url),
			(_("Authorize URL"), settings.authorize_url),
			(_("Token URL"), settings.token_url),
			(_("Revoke URL"), settings.revoke_url),
		)
		if not value
	]
	if missing:
		frappe.throw(
			_("QBO Settings: the Custom environment needs {0}.").format(", ".join(missing)),
			title=_("QuickBooks not configured"),
		)
	return custom_environment(
		api_base=settings.api_base_url,
		authorize_url=settings.authorize_url,
		token_url=settings.token_url,
		revoke_url=settings.revoke_url,
		app_base=settings.app_base_url or "",
	)


def get_oauth_client(settings=None) -> OAuthClient:
	"""An OAuthClient for the configured Intuit app; the secret is decrypted only here, for this call."""
	settings = settings or get_settings()
	client_secret = settings.get_password("client_secret", raise_exception=False)
	if not settings.client_id or not client_secret:
		frappe.throw(
			_("Enter the Client ID and Client Secret of your Intuit app in QBO Settings first."),
			title=_("QuickBooks not configured"),
		)
	return OAuthClient(
		client_id=settings.client_id,
		client_secret=client_secret,
		redirect_uri=redirect_uri(),
		environment=get_environment(settings),
	)
