"""Environments and constants."""

import dataclasses

import pytest

from qbo_connector.qbo import constants
from qbo_connector.qbo.environments import (
	PRODUCTION,
	SANDBOX,
	Environment,
	custom_environment,
	get_environment,
)


def test_contract_constants():
	assert (constants.MINOR_VERSION, constants.LIMIT_PER_MINUTE, constants.LIMIT_PER_SECOND) == (75, 500, 10)
	assert (constants.BATCH_LIMIT_PER_MINUTE, constants.BATCH_MAX_ITEMS, constants.QUERY_MAX_RESULTS) == (
		40,
		30,
		1000,
	)
	assert constants.SCOPE_ACCOUNTING == "com.intuit.quickbooks.accounting"


def test_canonical_entity():
	assert constants.canonical_entity("creditmemo") == "CreditMemo"
	assert constants.canonical_entity("INVOICE") == "Invoice"
	assert constants.canonical_entity("journal_entry") == "JournalEntry"
	assert constants.canonical_entity("widget") == "Widget"
	assert constants.canonical_entity("") == ""


def test_intuit_environments():
	assert PRODUCTION.api_base == "https://quickbooks.api.intuit.com/v3"
	assert SANDBOX.api_base == "https://sandbox-quickbooks.api.intuit.com/v3"
	assert (
		PRODUCTION.token_url
		== SANDBOX.token_url
		== "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
	)
	assert PRODUCTION.authorize_url == "https://appcenter.intuit.com/connect/oauth2"
	assert PRODUCTION.revoke_url == "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
	assert get_environment(" Sandbox ") is SANDBOX and get_environment("production") is PRODUCTION
	with pytest.raises(ValueError):
		get_environment("staging")
	with pytest.raises(dataclasses.FrozenInstanceError):
		PRODUCTION.api_base = "x"


def test_custom_environment_strips_slashes():
	env = custom_environment(
		"http://127.0.0.1:8000/v3/", "http://a", "http://t", "http://r", app_base="http://app/"
	)
	assert isinstance(env, Environment)
	assert (env.name, env.api_base, env.app_base) == ("custom", "http://127.0.0.1:8000/v3", "http://app")
	assert env.company_url("123") == "http://127.0.0.1:8000/v3/company/123"


def test_app_links():
	assert PRODUCTION.app_link("Invoice", "5") == "https://app.qbo.intuit.com/app/invoice?txnId=5"
	assert PRODUCTION.app_link("Customer", "7") == "https://app.qbo.intuit.com/app/customerdetail?nameId=7"
	assert SANDBOX.app_link("Item", "1") == "https://app.sandbox.qbo.intuit.com/app/items"
	assert custom_environment("a", "b", "c", "d").app_link("Invoice", "1") == ""
