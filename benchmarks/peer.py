"""The peer: what a user would otherwise run, a loop over python-quickbooks (the library most QBO scripts use).

Written the way its README shows and most scripts do: for each ERPNext invoice, find the customer by
DisplayName (create it when missing), find each item by Name (create it when missing), then create the
invoice with its lines. No pacing, no requestid, no look-up before re-creating: the library offers none of
that by itself. QBO numbers the invoices (the README's example sets no DocNumber); the ERPNext name goes at
the head of PrivateNote, where our engine puts it too, so duplicates can be counted the same way for both.

Only addresses change from a script aimed at Intuit: the OAuth discovery URL and api_url_v3 point at the
emulator (as tests/emulator/test_emulator_python_quickbooks.py does), and the "retry" variant's pauses use the
benchmark's virtual clock.
"""

from __future__ import annotations

import os
import warnings
from decimal import Decimal
from typing import Any

import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.tax import TxnTaxDetail

from benchmarks.harness import EmulatorProcess, Meter, with_round_trip
from benchmarks.vclock import SharedClock
from qbo_connector.sync.store import ConnectionConfig

RETRY_PAUSES = (1, 2, 4, 8)  # seconds before the 2nd..5th try of a document


def _ref(value: str) -> Ref:
	ref = Ref()
	ref.value = str(value)
	return ref


class PeerScript:
	def __init__(
		self,
		emu: EmulatorProcess,
		clock: SharedClock,
		meter: Meter,
		config: ConnectionConfig,
		retry: bool = False,
		round_trip: float = 0.0,
	) -> None:
		os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback
		self.clock = clock
		self.retry = retry
		self.config = config
		tokens = emu.issue_tokens()
		auth = AuthClient(
			client_id=emu.client_id,
			client_secret=emu.client_secret,
			redirect_uri="http://localhost/callback",
			environment=emu.discovery_url,
		)
		auth.access_token = tokens["access_token"]
		auth.refresh_token = tokens["refresh_token"]
		with warnings.catch_warnings():
			warnings.simplefilter("ignore", DeprecationWarning)
			self.qb = QuickBooks(
				auth_client=auth,
				refresh_token=auth.refresh_token,
				company_id=emu.realm_id,
				minorversion=75,
			)
		self.qb.api_url_v3 = emu.api_base

		def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
			meter.record(response.request.method or "", response.request.url or "", response.status_code,
				response.text if response.request.url and "/batch" in response.request.url else None)  # fmt: skip

		self.qb.session.hooks["response"].append(count)
		with_round_trip(self.qb.session, clock, round_trip)

	# -- one document ---------------------------------------------------------------------------------------
	def push(self, doc: dict[str, Any]) -> bool:
		"""Send one invoice; True when the script saw it succeed."""
		tries = 1 + (len(RETRY_PAUSES) if self.retry else 0)
		for attempt in range(tries):
			try:
				self._push_once(doc)
				return True
			except (QuickbooksException, requests.RequestException, ValueError, KeyError):
				if attempt == tries - 1:
					return False
				self.clock.sleep(RETRY_PAUSES[attempt])
		return False

	def _push_once(self, doc: dict[str, Any]) -> None:
		customer = self._customer(doc["customer"])
		items = {row["item_code"]: self._item(row) for row in doc["items"]}
		invoice = Invoice()
		invoice.CustomerRef = customer.to_ref()
		invoice.TxnDate = doc["posting_date"]
		invoice.DueDate = doc.get("due_date") or doc["posting_date"]
		invoice.PrivateNote = f"ERPNext Sales Invoice {doc['name']}"
		taxed = bool(doc.get("taxes"))
		for row in doc["items"]:
			line = SalesItemLine()
			line.Amount = Decimal(str(row["amount"]))
			line.Description = row.get("description") or row["item_name"]
			line.SalesItemLineDetail = SalesItemLineDetail()
			line.SalesItemLineDetail.ItemRef = items[row["item_code"]].to_ref()
			line.SalesItemLineDetail.Qty = Decimal(str(row["qty"]))
			line.SalesItemLineDetail.UnitPrice = Decimal(str(row["rate"]))
			line.SalesItemLineDetail.TaxCodeRef = _ref("TAX" if taxed else "NON")
			invoice.Line.append(line)
		if taxed:
			invoice.TxnTaxDetail = TxnTaxDetail()
			invoice.TxnTaxDetail.TxnTaxCodeRef = _ref(self.config.us_tax_code or "")
		invoice.save(qb=self.qb)

	def _customer(self, name: str) -> Customer:
		found = Customer.filter(DisplayName=name, qb=self.qb)
		if found:
			return found[0]
		customer = Customer()
		customer.DisplayName = name
		customer.CompanyName = name
		return customer.save(qb=self.qb)

	def _item(self, row: dict[str, Any]) -> Item:
		found = Item.filter(Name=row["item_code"], qb=self.qb)
		if found:
			return found[0]
		item = Item()
		item.Name = row["item_code"]
		item.Type = "Service"
		account = self.config.account_map.get(row.get("income_account") or "")
		item.IncomeAccountRef = _ref(account or self.config.default_income_account or "")
		return item.save(qb=self.qb)
