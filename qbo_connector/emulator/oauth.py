"""Intuit's OAuth 2.0 as the emulator plays it: codes, grants, rotating refresh tokens, revocation.

A *grant* is one connection (app x company). It has one live refresh token at a time: every refresh returns a
new one and the previous one is then refused with 400 {"error": "invalid_grant"} (rotation). Access tokens
live `token_lifetime * time_scale` seconds; revoking any token of a grant kills the whole grant. A grant also
has a hard end (`refresh_token_hard_lifetime` after it was made, five years as at Intuit): every token answer
says what is left in `x_refresh_token_hard_expires_in`, the rolling refresh lifetime never runs past it, and
after it a refresh is invalid_grant, so the admin must reconnect.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
	from .state import EmulatorState

SCOPE_ACCOUNTING = "com.intuit.quickbooks.accounting"


class OAuthError(Exception):
	"""An OAuth endpoint answer other than 200: `status` and the JSON body {"error": ...}."""

	def __init__(self, status: int, error: str, description: str = "") -> None:
		super().__init__(error)
		self.status = status
		self.error = error
		self.description = description

	def body(self) -> dict:
		out = {"error": self.error}
		if self.description:
			out["error_description"] = self.description
		return out


@dataclass
class Code:
	client_id: str
	redirect_uri: str
	realm_id: str
	expires_at: float
	used: bool = False


@dataclass
class Grant:
	grant_id: str
	client_id: str
	realm_id: str
	refresh_token: str
	refresh_expires_at: float
	hard_expires_at: float = float("inf")
	revoked: bool = False
	old_refresh_tokens: set[str] = field(default_factory=set)


@dataclass
class AccessToken:
	grant_id: str
	realm_id: str
	expires_at: float
	forced_expired: bool = False


class AuthFailure(Exception):
	"""An API call whose bearer token is missing, unknown, expired or revoked (-> 401 3200)."""

	def __init__(self, detail: str) -> None:
		super().__init__(detail)
		self.detail = detail


def _token(prefix: str, length: int) -> str:
	alphabet = string.ascii_letters + string.digits
	return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


class OAuthStore:
	"""Codes, grants and tokens of all companies; methods are called under EmulatorState.lock."""

	def __init__(self, state: EmulatorState) -> None:
		self.state = state
		self.codes: dict[str, Code] = {}
		self.grants: dict[str, Grant] = {}
		self.access: dict[str, AccessToken] = {}
		self.refresh_index: dict[str, str] = {}  # refresh token (current or old) -> grant id

	def clear(self) -> None:
		self.codes.clear()
		self.grants.clear()
		self.access.clear()
		self.refresh_index.clear()

	def summary(self) -> list[dict]:
		now = self.state.now()
		return [
			{
				"grant": g.grant_id,
				"realm_id": g.realm_id,
				"revoked": g.revoked,
				"live_access_tokens": sum(
					1
					for t in self.access.values()
					if t.grant_id == g.grant_id and t.expires_at > now and not t.forced_expired
				),
			}
			for g in self.grants.values()
		]

	# ----- client authentication and the authorize step

	def check_client(self, client_id: str | None, client_secret: str | None) -> None:
		cfg = self.state.config
		if client_id != cfg.client_id or client_secret != cfg.client_secret:
			raise OAuthError(401, "invalid_client")

	def redirect_allowed(self, redirect_uri: str) -> bool:
		allowed = self.state.config.redirect_uris
		if allowed:
			return redirect_uri in allowed
		return redirect_uri.startswith(("http://", "https://"))

	def new_code(self, client_id: str, redirect_uri: str, realm_id: str) -> str:
		code = _token("AB11", 40)
		with self.state.lock:
			self.codes[code] = Code(
				client_id,
				redirect_uri,
				str(realm_id),
				self.state.now() + self.state.scaled(self.state.config.code_lifetime),
			)
		return code

	# ----- token endpoint

	def exchange_code(self, client_id: str, code: str | None, redirect_uri: str | None) -> dict:
		with self.state.lock:
			if not code:
				raise OAuthError(400, "invalid_request", "code is required")
			entry = self.codes.get(code)
			if entry is None or entry.used or entry.client_id != client_id:
				raise OAuthError(400, "invalid_grant")
			if entry.expires_at <= self.state.now():
				raise OAuthError(400, "invalid_grant", "authorization code expired")
			if redirect_uri != entry.redirect_uri:
				raise OAuthError(400, "invalid_grant", "redirect_uri does not match")
			entry.used = True
			return self.new_grant(entry.realm_id, client_id)

	def new_grant(self, realm_id: str, client_id: str | None = None) -> dict:
		"""A fresh connection to `realm_id` and its first token pair (what the browser flow ends with)."""
		with self.state.lock:
			grant = Grant(
				grant_id=_token("g", 12),
				client_id=client_id or self.state.config.client_id,
				realm_id=str(realm_id),
				refresh_token="",
				refresh_expires_at=0.0,
				hard_expires_at=self.state.now()
				+ self.state.scaled(self.state.config.refresh_token_hard_lifetime),
			)
			self.grants[grant.grant_id] = grant
			return self._issue(grant)

	def _issue(self, grant: Grant) -> dict:
		cfg = self.state.config
		now = self.state.now()
		access_life = self.state.scaled(cfg.token_lifetime)
		hard_left = max(0.0, grant.hard_expires_at - now)
		refresh_life = min(self.state.scaled(cfg.refresh_token_lifetime), hard_left)
		if grant.refresh_token:
			grant.old_refresh_tokens.add(grant.refresh_token)
		grant.refresh_token = _token("AB11", 46)
		grant.refresh_expires_at = now + refresh_life
		self.refresh_index[grant.refresh_token] = grant.grant_id
		access = _token("eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..", 120)
		self.access[access] = AccessToken(grant.grant_id, grant.realm_id, now + access_life)
		return {
			"token_type": "bearer",
			"access_token": access,
			"refresh_token": grant.refresh_token,
			"expires_in": max(1, round(access_life)),
			"x_refresh_token_expires_in": max(1, round(refresh_life)),
			"x_refresh_token_hard_expires_in": max(1, round(hard_left)),
			"realmId": grant.realm_id,
		}

	def refresh(self, client_id: str, refresh_token: str | None) -> dict:
		with self.state.lock:
			if not refresh_token:
				raise OAuthError(400, "invalid_request", "refresh_token is required")
			grant = self.grants.get(self.refresh_index.get(refresh_token, ""))
			if grant is None or grant.revoked or grant.client_id != client_id:
				raise OAuthError(400, "invalid_grant")
			if refresh_token != grant.refresh_token:
				raise OAuthError(400, "invalid_grant", "refresh token has been rotated; use the newest one")
			if grant.hard_expires_at <= self.state.now():
				raise OAuthError(
					400,
					"invalid_grant",
					"refresh token reached its maximum lifetime; the user must reconnect",
				)
			if grant.refresh_expires_at <= self.state.now():
				raise OAuthError(400, "invalid_grant", "refresh token expired")
			return self._issue(grant)

	def revoke(self, token: str | None) -> bool:
		"""Revoke the grant an access or refresh token belongs to; False when the token is unknown."""
		with self.state.lock:
			if not token:
				raise OAuthError(400, "invalid_request", "token is required")
			grant_id = self.refresh_index.get(token) or (
				self.access[token].grant_id if token in self.access else None
			)
			if grant_id is None or grant_id not in self.grants:
				return False
			self.grants[grant_id].revoked = True
			return True

	# ----- API calls

	def check_access(self, token: str | None) -> str:
		"""Realm the bearer token may use; AuthFailure when missing, unknown, expired or revoked."""
		with self.state.lock:
			if not token:
				raise AuthFailure("Authorization header missing or not a Bearer token")
			entry = self.access.get(token)
			if entry is None:
				raise AuthFailure(f"Token invalid: {token[:12]}...")
			grant = self.grants.get(entry.grant_id)
			if grant is None or grant.revoked:
				raise AuthFailure(f"Token revoked: {token[:12]}...")
			if entry.forced_expired or entry.expires_at <= self.state.now():
				raise AuthFailure(f"Token expired: {token[:12]}...")
			return entry.realm_id

	def set_hard_expiry(self, seconds: float, realm_id: str | None = None) -> int:
		"""Make the hard end of every grant of a realm (or all) `seconds` from now (tests, demos); returns how
		many grants changed. The next token answer says so."""
		with self.state.lock:
			count = 0
			for grant in self.grants.values():
				if realm_id is None or grant.realm_id == str(realm_id):
					grant.hard_expires_at = self.state.now() + float(seconds)
					count += 1
			return count

	def expire(self, token: str | None = None, realm_id: str | None = None) -> int:
		"""Expire one access token, or all of a realm's, or all; returns how many."""
		with self.state.lock:
			count = 0
			for value, entry in self.access.items():
				if (token is None or value == token) and (
					realm_id is None or entry.realm_id == str(realm_id)
				):
					if not entry.forced_expired:
						entry.forced_expired = True
						count += 1
			return count
