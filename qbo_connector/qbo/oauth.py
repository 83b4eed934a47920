"""OAuth 2.0 for QBO: authorization URL, code exchange, refresh with rotation, revoke.

Intuit rotates refresh tokens: a refresh may return a new refresh token and the old one then dies. A
rotated token that is not persisted means the admin must reconnect, and two workers refreshing at once
is the classic way to lose one. TokenProvider therefore refreshes only under the store's lock, re-reads
the stored token first, and saves the new pair before anyone uses the new access token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import requests

from qbo_connector.qbo.constants import SCOPE_ACCOUNTING
from qbo_connector.qbo.environments import Environment
from qbo_connector.qbo.errors import AuthenticationError, QBOError, TransportError, parse_fault

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_MARGIN = 120.0  # refresh this many seconds before the access token expires


class NotConnectedError(AuthenticationError):
	"""No tokens are stored: the company was never connected or was disconnected."""


@dataclass
class Tokens:
	"""One token pair as stored; repr hides the secrets so a stray log line leaks nothing."""

	access_token: str = field(repr=False)
	refresh_token: str = field(repr=False)
	expires_at: float  # epoch seconds
	refresh_expires_at: float | None = None
	realm_id: str | None = None

	def expired(self, now: float | None = None, margin: float = DEFAULT_EXPIRY_MARGIN) -> bool:
		"""Whether the access token is expired or will be within margin seconds."""
		return (time.time() if now is None else now) >= self.expires_at - margin

	def refresh_expired(self, now: float | None = None) -> bool:
		"""Whether the refresh token is past its known end (unknown end: assume still valid)."""
		if self.refresh_expires_at is None:
			return False
		return (time.time() if now is None else now) >= self.refresh_expires_at

	def to_dict(self) -> dict[str, Any]:
		return {
			"access_token": self.access_token,
			"refresh_token": self.refresh_token,
			"expires_at": self.expires_at,
			"refresh_expires_at": self.refresh_expires_at,
			"realm_id": self.realm_id,
		}

	@classmethod
	def from_dict(cls, data: dict[str, Any]) -> Tokens:
		refresh_expires_at = data.get("refresh_expires_at")
		return cls(
			access_token=data["access_token"],
			refresh_token=data["refresh_token"],
			expires_at=float(data["expires_at"]),
			refresh_expires_at=float(refresh_expires_at) if refresh_expires_at not in (None, "") else None,
			realm_id=data.get("realm_id") or None,
		)

	@classmethod
	def from_response(
		cls,
		data: dict[str, Any],
		now: float,
		realm_id: str | None = None,
		previous_refresh_token: str | None = None,
	) -> Tokens:
		"""Tokens from Intuit's token endpoint answer (expires_in / x_refresh_token_expires_in)."""
		access = data.get("access_token")
		refresh = data.get("refresh_token") or previous_refresh_token
		if not access or not refresh:
			raise AuthenticationError(
				"Token endpoint answer has no access_token/refresh_token",
				user_message="QuickBooks answered the sign-in without tokens; reconnect to QuickBooks in QBO Settings.",
			)
		refresh_in = data.get("x_refresh_token_expires_in")
		return cls(
			access_token=access,
			refresh_token=refresh,
			expires_at=now + float(data.get("expires_in") or 3600),
			refresh_expires_at=now + float(refresh_in) if refresh_in not in (None, "") else None,
			realm_id=realm_id,
		)


class TokenStore(Protocol):
	"""Where tokens persist (Password fields in the Frappe layer); lock() must exclude other workers."""

	def load(self) -> Tokens | None: ...

	def save(self, tokens: Tokens) -> None: ...

	def lock(self) -> AbstractContextManager: ...


class MemoryTokenStore:
	"""A TokenStore in process memory, guarded by a threading.Lock (tests, scripts, the sync engine's tests)."""

	def __init__(self, tokens: Tokens | None = None) -> None:
		self.tokens = tokens
		self._lock = threading.Lock()
		self.saves: list[Tokens] = []

	def load(self) -> Tokens | None:
		return self.tokens

	def save(self, tokens: Tokens) -> None:
		self.tokens = tokens
		self.saves.append(tokens)

	@contextmanager
	def lock(self) -> Iterator[None]:
		with self._lock:
			yield


class OAuthClient:
	"""Talks to Intuit's OAuth endpoints with plain requests and HTTP Basic auth, as Intuit documents."""

	def __init__(
		self,
		client_id: str,
		client_secret: str,
		redirect_uri: str,
		environment: Environment,
		scope: str = SCOPE_ACCOUNTING,
		timeout: float | tuple[float, float] = 30,
		session: requests.Session | None = None,
		clock: Callable[[], float] = time.time,
	) -> None:
		self.client_id = client_id
		self._client_secret = client_secret
		self.redirect_uri = redirect_uri
		self.environment = environment
		self.scope = scope
		self.timeout = timeout
		self.session = session or requests.Session()
		self.clock = clock

	def __repr__(self) -> str:
		return f"OAuthClient(client_id={self.client_id!r}, environment={self.environment.name!r})"

	def authorization_url(self, state: str) -> str:
		"""Where to send the admin's browser; state must be checked on the callback (CSRF)."""
		if not state:
			raise ValueError("state is required: the callback must be able to check it")
		params = {
			"client_id": self.client_id,
			"response_type": "code",
			"scope": self.scope,
			"redirect_uri": self.redirect_uri,
			"state": state,
		}
		sep = "&" if "?" in self.environment.authorize_url else "?"
		return f"{self.environment.authorize_url}{sep}{urlencode(params)}"

	def _post(
		self, url: str, *, data: dict | None = None, json: dict | None = None, what: str
	) -> requests.Response:
		try:
			response = self.session.post(
				url,
				data=data,
				json=json,
				auth=(self.client_id, self._client_secret),
				headers={"Accept": "application/json"},
				timeout=self.timeout,
			)
		except requests.RequestException as exc:
			logger.warning("QBO OAuth %s failed: %s", what, type(exc).__name__)
			raise TransportError(
				f"{what}: {type(exc).__name__}",
				ambiguous=what == "refresh",
				user_message=(
					"The connection to QuickBooks' sign-in service failed; try again in a few minutes"
					f" ({what})."
				),
			) from exc
		if response.status_code >= 400:
			error = parse_fault(response.status_code, response.content, response.headers)
			logger.warning(
				"QBO OAuth %s refused: HTTP %s %s (intuit_tid=%s)",
				what,
				response.status_code,
				error.code,
				error.intuit_tid,
			)
			raise error
		return response

	def _tokens(
		self, response: requests.Response, realm_id: str | None, previous: str | None = None
	) -> Tokens:
		try:
			data = response.json()
		except ValueError as exc:
			raise QBOError(
				"Token endpoint answer is not JSON",
				status=response.status_code,
				user_message="QuickBooks' sign-in service gave an unreadable answer; try again later.",
			) from exc
		return Tokens.from_response(data, self.clock(), realm_id=realm_id, previous_refresh_token=previous)

	def exchange_code(self, code: str, realm_id: str) -> Tokens:
		"""Trade the callback's authorization code for the first token pair."""
		response = self._post(
			self.environment.token_url,
			data={"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri},
			what="code exchange",
		)
		tokens = self._tokens(response, realm_id)
		logger.info("QBO connected realm %s", realm_id)
		return tokens

	def refresh(self, refresh_token: str, realm_id: str | None = None) -> Tokens:
		"""A new pair from a refresh token; InvalidGrantError when Intuit refuses it (reconnect needed).

		The answer may carry a new refresh token: the caller must persist it before using the access token.
		"""
		response = self._post(
			self.environment.token_url,
			data={"grant_type": "refresh_token", "refresh_token": refresh_token},
			what="refresh",
		)
		tokens = self._tokens(response, realm_id, previous=refresh_token)
		logger.info(
			"QBO token refreshed for realm %s (refresh token %s)",
			realm_id,
			"rotated" if tokens.refresh_token != refresh_token else "unchanged",
		)
		return tokens

	def revoke(self, token: str) -> None:
		"""Revoke an access or refresh token (disconnect)."""
		self._post(self.environment.revoke_url, json={"token": token}, what="revoke")
		logger.info("QBO token revoked")


class TokenProvider:
	"""Hands the client a valid access token, refreshing safely across threads and workers."""

	def __init__(
		self,
		oauth: OAuthClient,
		store: TokenStore,
		clock: Callable[[], float] = time.time,
		margin: float = DEFAULT_EXPIRY_MARGIN,
	) -> None:
		self.oauth = oauth
		self.store = store
		self.clock = clock
		self.margin = margin

	def _load(self) -> Tokens:
		tokens = self.store.load()
		if tokens is None:
			raise NotConnectedError(
				"No QBO tokens stored",
				user_message="QuickBooks is not connected; connect it in QBO Settings.",
			)
		return tokens

	def _refresh_locked(self, tokens: Tokens) -> str:
		new = self.oauth.refresh(tokens.refresh_token, realm_id=tokens.realm_id)
		if new.realm_id is None:
			new.realm_id = tokens.realm_id
		# Persist first: if saving fails we must not use (and thereby commit to) the rotated pair.
		self.store.save(new)
		return new.access_token

	def access_token(self) -> str:
		"""A usable access token; refreshes under the store lock when the stored one is (nearly) expired."""
		tokens = self._load()
		if not tokens.expired(self.clock(), self.margin):
			return tokens.access_token
		with self.store.lock():
			tokens = self._load()  # another worker may have refreshed while we waited for the lock
			if not tokens.expired(self.clock(), self.margin):
				return tokens.access_token
			return self._refresh_locked(tokens)

	def force_refresh(self, failed_access_token: str) -> str:
		"""After a 401: refresh, unless the stored access token already differs from the one that failed."""
		with self.store.lock():
			tokens = self._load()
			if tokens.access_token != failed_access_token:
				return tokens.access_token
			return self._refresh_locked(tokens)


class StaticTokenProvider:
	"""A fixed access token (scripts, tests, the emulator's own checks); a 401 cannot be fixed by refreshing."""

	def __init__(self, token: str) -> None:
		self._token = token

	def access_token(self) -> str:
		return self._token

	def force_refresh(self, failed_access_token: str) -> str:
		raise AuthenticationError(
			"Static token refused",
			status=401,
			user_message="QuickBooks did not accept the access token and it cannot be renewed here.",
		)
