"""Proof of faithfulness: the third-party python-quickbooks client, unchanged but for its base URLs, works here.

Only addresses change: intuitlib's AuthClient takes the emulator's discovery document URL as its `environment`
(it reads the OAuth endpoints from it), and the QuickBooks client's `api_url_v3` points at the emulator. Plain
http on loopback needs OAUTHLIB_INSECURE_TRANSPORT=1 for requests-oauthlib, as any local OAuth test does.
"""

from __future__ import annotations

import warnings
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

from qbo_connector.emulator import EmulatorServer

REDIRECT = "http://localhost:8000/qbo/callback"


@pytest.fixture
def qb(emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> QuickBooks:
	monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
	auth_client = AuthClient(
		client_id=emu.client_id,
		client_secret=emu.client_secret,
		redirect_uri=REDIRECT,
		environment=emu.discovery_url,
	)
	url = auth_client.get_authorization_url([Scopes.ACCOUNTING])
	redirect = requests.get(url + "&auto=approve", allow_redirects=False, timeout=10)
	params = {k: v[0] for k, v in parse_qs(urlsplit(redirect.headers["Location"]).query).items()}
	assert params["state"] == auth_client.state_token
	auth_client.get_bearer_token(params["code"], realm_id=params["realmId"])
	assert auth_client.access_token and auth_client.refresh_token
	with warnings.catch_warnings():
		warnings.simplefilter("ignore", DeprecationWarning)
		client = QuickBooks(
			auth_client=auth_client,
			refresh_token=auth_client.refresh_token,
			company_id=params["realmId"],
			minorversion=75,
		)
	client.api_url_v3 = emu.api_base  # the base URL, and nothing else, changes
	return client


def test_python_quickbooks_customer_invoice_round_trip(qb: QuickBooks) -> None:
	customer = Customer()
	customer.DisplayName = "PyQB Customer"
	customer.CompanyName = "PyQB Ltd"
	customer = customer.save(qb=qb)
	assert customer.Id and customer.SyncToken == "0"

	found = Customer.filter(DisplayName="PyQB Customer", qb=qb)
	assert [c.Id for c in found] == [customer.Id]

	services = next(i for i in Item.all(qb=qb) if i.Name == "Services")
	line = SalesItemLine()
	line.Amount = 150
	line.Description = "Consulting"
	line.SalesItemLineDetail = SalesItemLineDetail()
	line.SalesItemLineDetail.ItemRef = services.to_ref()
	invoice = Invoice()
	invoice.CustomerRef = customer.to_ref()
	invoice.Line.append(line)
	invoice = invoice.save(qb=qb)
	assert invoice.Id and float(invoice.TotalAmt) == 150.0
	assert invoice.DocNumber

	read = Invoice.get(invoice.Id, qb=qb)
	assert read.CustomerRef.value == customer.Id
	assert invoice.Id in [i.Id for i in Invoice.all(qb=qb)]
	assert Invoice.count(qb=qb) >= 1

	read.PrivateNote = "updated by python-quickbooks"
	updated = read.save(qb=qb)  # a full update with everything python-quickbooks carries
	assert updated.SyncToken == "1"
	assert updated.PrivateNote == "updated by python-quickbooks"
	assert float(updated.TotalAmt) == 150.0

	updated.void(qb=qb)
	voided = Invoice.get(invoice.Id, qb=qb)
	assert float(voided.TotalAmt) == 0.0
	assert voided.PrivateNote == "Voided"
	assert voided.DocNumber == invoice.DocNumber

	pdf = voided.download_pdf(qb=qb)
	assert pdf.startswith(b"%PDF")


def test_python_quickbooks_sees_faults(qb: QuickBooks) -> None:
	duplicate = Customer()
	duplicate.DisplayName = "Amy's Bird Sanctuary"
	with pytest.raises(QuickbooksException) as info:
		duplicate.save(qb=qb)
	assert info.value.error_code == 6240
	bad = Invoice()
	bad.Line = []
	with pytest.raises(ValidationException):
		bad.save(qb=qb)
