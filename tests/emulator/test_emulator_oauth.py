"""OAuth as Intuit plays it: authorize page, code exchange, rotating refresh tokens, revoke, 401 shapes."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from emulator_testkit import TIMEOUT, Api

from qbo_connector.emulator import EmulatorServer

REDIRECT = "http://localhost:8000/callback"
SCOPE = "com.intuit.quickbooks.accounting"


def basic(client_id: str, secret: str) -> dict:
	token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
	return {"Authorization": f"Basic {token}", "Accept": "application/json"}


def authorize(emu: EmulatorServer, auto: str | None = "approve", **extra: str) -> requests.Response:
	params = {
		"client_id": emu.client_id,
		"response_type": "code",
		"scope": SCOPE,
		"redirect_uri": REDIRECT,
		"state": "st-123",
		**extra,
	}
	if auto:
		params["auto"] = auto
	return requests.get(emu.authorize_url, params=params, allow_redirects=False, timeout=TIMEOUT)


def redirect_params(response: requests.Response) -> dict[str, str]:
	assert response.status_code == 302, response.text
	location = response.headers["Location"]
	assert location.startswith(REDIRECT)
	return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(
	emu: EmulatorServer, code: str, redirect_uri: str = REDIRECT, secret: str | None = None
) -> requests.Response:
	return requests.post(
		emu.token_url,
		data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
		headers=basic(emu.client_id, secret or emu.client_secret),
		timeout=TIMEOUT,
	)


def refresh(emu: EmulatorServer, refresh_token: str) -> requests.Response:
	return requests.post(
		emu.token_url,
		data={"grant_type": "refresh_token", "refresh_token": refresh_token},
		headers=basic(emu.client_id, emu.client_secret),
		timeout=TIMEOUT,
	)


def api_status(emu: EmulatorServer, access_token: str) -> requests.Response:
	return requests.get(
		f"{emu.company_url()}/companyinfo/{emu.realm_id}",
		headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
		timeout=TIMEOUT,
	)


def test_authorize_page_offers_approve_and_deny(emu: EmulatorServer) -> None:
	r = authorize(emu, auto=None)
	assert r.status_code == 200
	assert "text/html" in r.headers["Content-Type"]
	assert "Approve" in r.text and "Deny" in r.text
	assert emu.realm_id in r.text
	assert r.headers["intuit_tid"]


def test_approve_redirects_with_code_state_realm_and_deny_with_error(emu: EmulatorServer) -> None:
	params = redirect_params(authorize(emu))
	assert params["state"] == "st-123"
	assert params["realmId"] == emu.realm_id
	assert params["code"]
	denied = redirect_params(authorize(emu, auto="deny"))
	assert denied == {"error": "access_denied", "state": "st-123"}


def test_authorize_rejects_unknown_client_and_missing_scope(emu: EmulatorServer) -> None:
	assert authorize(emu, client_id="nope").status_code == 400
	assert redirect_params(authorize(emu, scope="openid"))["error"] == "invalid_scope"


def test_code_exchange_gives_tokens_and_is_single_use(emu: EmulatorServer) -> None:
	code = redirect_params(authorize(emu))["code"]
	r = exchange(emu, code)
	assert r.status_code == 200, r.text
	tokens = r.json()
	assert tokens["token_type"] == "bearer"
	assert tokens["expires_in"] == 3600
	assert tokens["x_refresh_token_expires_in"] > 0
	assert api_status(emu, tokens["access_token"]).status_code == 200
	again = exchange(emu, code)
	assert again.status_code == 400
	assert again.json()["error"] == "invalid_grant"


def test_code_needs_the_same_redirect_uri_and_expires(emu: EmulatorServer) -> None:
	code = redirect_params(authorize(emu))["code"]
	assert exchange(emu, code, redirect_uri="http://localhost:9999/other").json()["error"] == "invalid_grant"
	code = redirect_params(authorize(emu))["code"]
	emu.advance(301)
	assert exchange(emu, code).json()["error"] == "invalid_grant"


def test_wrong_client_credentials_are_invalid_client(emu: EmulatorServer) -> None:
	code = redirect_params(authorize(emu))["code"]
	r = exchange(emu, code, secret="wrong")
	assert r.status_code == 401
	assert r.json() == {"error": "invalid_client"}
	no_auth = requests.post(
		emu.token_url, data={"grant_type": "refresh_token", "refresh_token": "x"}, timeout=TIMEOUT
	)
	assert no_auth.status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_refused(emu: EmulatorServer) -> None:
	first = emu.issue_tokens()
	r = refresh(emu, first["refresh_token"])
	assert r.status_code == 200, r.text
	second = r.json()
	assert second["refresh_token"] != first["refresh_token"]
	assert second["access_token"] != first["access_token"]
	old = refresh(emu, first["refresh_token"])
	assert old.status_code == 400
	assert old.json()["error"] == "invalid_grant"
	third = refresh(emu, second["refresh_token"])
	assert third.status_code == 200
	assert api_status(emu, third.json()["access_token"]).status_code == 200


def test_revoke_kills_the_grant(emu: EmulatorServer) -> None:
	tokens = emu.issue_tokens()
	r = requests.post(
		emu.revoke_url,
		json={"token": tokens["refresh_token"]},
		headers=basic(emu.client_id, emu.client_secret),
		timeout=TIMEOUT,
	)
	assert r.status_code == 200
	denied = api_status(emu, tokens["access_token"])
	assert denied.status_code == 401
	assert "revoked" in denied.json()["fault"]["error"][0]["detail"].lower()
	assert refresh(emu, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_access_token_gets_intuits_lower_case_401() -> None:
	with EmulatorServer(port=0, token_lifetime=3600, time_scale=0.001) as emu:  # the hour lasts 3.6 s
		tokens = emu.issue_tokens()
		assert tokens["expires_in"] == 4
		assert api_status(emu, tokens["access_token"]).status_code == 200
		emu.advance(5)
		r = api_status(emu, tokens["access_token"])
	assert r.status_code == 401
	assert r.headers["WWW-Authenticate"].startswith("Bearer")
	assert r.headers["intuit_tid"]
	error = r.json()["fault"]["error"][0]
	assert error["code"] == "3200"
	assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
	assert error["detail"].startswith("Token expired: ")
	assert r.json()["fault"]["type"] == "AUTHENTICATION"


def test_missing_or_unknown_token_is_401(emu: EmulatorServer) -> None:
	r = requests.get(f"{emu.company_url()}/companyinfo/{emu.realm_id}", timeout=TIMEOUT)
	assert r.status_code == 401
	assert r.json()["fault"]["error"][0]["code"] == "3200"
	assert api_status(emu, "not-a-token").status_code == 401


def test_expire_tokens_now_then_refresh_recovers(emu: EmulatorServer) -> None:
	tokens = emu.issue_tokens()
	assert emu.expire_tokens() >= 1
	assert api_status(emu, tokens["access_token"]).status_code == 401
	fresh = refresh(emu, tokens["refresh_token"]).json()
	assert api_status(emu, fresh["access_token"]).status_code == 200


def test_token_of_another_company_is_forbidden(emu: EmulatorServer) -> None:
	emu.set_company(realm_id="999000111", country="GB")
	tokens = emu.issue_tokens("999000111")
	r = api_status(emu, tokens["access_token"])  # asks for the default company
	assert r.status_code == 403
	assert r.json()["Fault"]["Error"][0]["code"] == "3100"
	assert Api(emu, "999000111").get("companyinfo/999000111").json()["CompanyInfo"]["Country"] == "GB"


def test_registered_redirect_uris_are_enforced() -> None:
	with EmulatorServer(port=0, redirect_uris=[REDIRECT]) as emu:
		assert authorize(emu).status_code == 302
		assert authorize(emu, redirect_uri="http://evil.example/cb").status_code == 400


def test_discovery_document_points_at_the_emulator(emu: EmulatorServer) -> None:
	doc = requests.get(emu.discovery_url, timeout=TIMEOUT).json()
	assert doc["authorization_endpoint"] == emu.authorize_url
	assert doc["token_endpoint"] == emu.token_url
	assert doc["revocation_endpoint"] == emu.revoke_url


def test_environment_matches_the_connectors_dataclass(emu: EmulatorServer) -> None:
	env = emu.environment()
	assert env.api_base == emu.api_base
	assert env.token_url == emu.token_url
	assert env.company_url(emu.realm_id) == emu.company_url()


@pytest.mark.parametrize("grant", ["password", ""])
def test_unsupported_grant_type(emu: EmulatorServer, grant: str) -> None:
	r = requests.post(
		emu.token_url,
		data={"grant_type": grant},
		headers=basic(emu.client_id, emu.client_secret),
		timeout=TIMEOUT,
	)
	assert r.status_code == 400
	assert r.json()["error"] == "unsupported_grant_type"


def test_token_answers_carry_the_hard_expiry_and_it_ends_the_grant(emu: EmulatorServer) -> None:
	first = emu.issue_tokens()
	assert first["x_refresh_token_hard_expires_in"] == 157_680_000  # five years, as Intuit
	emu.advance(86_400)
	answer = refresh(emu, first["refresh_token"]).json()
	assert (
		answer["x_refresh_token_hard_expires_in"] == 157_680_000 - 86_400
	)  # what is left, not a fresh five years
	assert answer["x_refresh_token_expires_in"] == 8_640_000
	emu.set_hard_expiry(3_600)
	near = refresh(emu, answer["refresh_token"]).json()
	# The rolling lifetime never runs past the hard end.
	assert near["x_refresh_token_hard_expires_in"] == 3_600 and near["x_refresh_token_expires_in"] == 3_600
	emu.advance(3_600)
	gone = refresh(emu, near["refresh_token"])
	assert gone.status_code == 400 and gone.json()["error"] == "invalid_grant"
	assert "maximum lifetime" in gone.json()["error_description"]
