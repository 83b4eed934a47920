# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""The Intuit app this site uses, where QuickBooks lives, and the overview of every company's connection."""

from __future__ import annotations

from urllib.parse import urlparse

import frappe
from frappe import _
from frappe.model.document import Document

from qbo_connector.qbo_connector.redaction import forget_known_secrets
from qbo_connector.qbo_connector.settings import redirect_uri

CUSTOM_URL_FIELDS = ("api_base_url", "authorize_url", "token_url", "revoke_url", "app_base_url")


class QBOSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		api_base_url: DF.Data | None
		app_base_url: DF.Data | None
		authorize_url: DF.Data | None
		client_id: DF.Data | None
		client_secret: DF.Password | None
		connections_html: DF.HTML | None
		environment: DF.Literal["Production", "Sandbox", "Custom"]
		log_retention_days: DF.Int
		monthly_read_allowance: DF.Int
		redirect_uri: DF.Data | None
		revoke_url: DF.Data | None
		token_url: DF.Data | None
		webhook_verifier_token: DF.Password | None
	# end: auto-generated types

	def onload(self) -> None:
		# Computed, not typed in: it must match what connect() sends to Intuit, character for character.
		self.redirect_uri = redirect_uri()

	def validate(self) -> None:
		self.redirect_uri = redirect_uri()
		self.client_id = (self.client_id or "").strip()
		if self.environment == "Custom":
			for fieldname in CUSTOM_URL_FIELDS:
				value = (self.get(fieldname) or "").strip()
				if not value:
					continue
				parsed = urlparse(value)
				if parsed.scheme not in ("http", "https") or not parsed.netloc:
					frappe.throw(
						_("{0} must be a full http(s) URL.").format(_(self.meta.get_label(fieldname))),
						title=_("Custom Environment"),
					)
				self.set(fieldname, value.rstrip("/") if fieldname.endswith("base_url") else value)

	def on_update(self) -> None:
		forget_known_secrets()
