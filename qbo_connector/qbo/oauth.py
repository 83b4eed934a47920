"""OAuth 2.0 for QBO: authorization URL, code exchange, refresh with rotation, revoke.

The grant itself is requests-oauthlib's (OAuth2Session: the authorization URL with its state, the code
exchange, the refresh); Intuit's answers are checked before oauthlib parses them, so a refusal is our typed
error (InvalidGrantError: reconnect) with Intuit's intuit_tid, and a token answer keeps Intuit's own fields
(`x_refresh_token_expires_in`, `x_refresh_token_hard_expires_in`). Revoke is a plain JSON POST, as Intuit
documents it (requests-oauthlib has no revocation).

Intuit rotates refresh tokens: a refresh may return a new refresh token and the old one then dies. A
rotated token that is not persisted means the admin must reconnect, and two workers refreshing at once
is the classic way to lose one. TokenProvider therefore refreshes only under the store's lock, re-reads
the stored token first, and hands the new pair to the store (the refresh's token updater) before anyone
uses the new access token.

oauthlib refuses plain http unless the process-wide OAUTHLIB_INSECURE_TRANSPORT is set. Production talks
https to Intuit and never sets it. Only a URL on this machine (the emulator on 127.0.0.1) may be plain http:
for such a call alone the variable is set, under a lock, and put back as it was (`transport_allowed`); any
other http URL is refused before a secret is sent.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from qbo_connector.qbo.constants import SCOPE_ACCOUNTING
from qbo_connector.qbo.environments import Environment
from qbo_connector.qbo.errors import AuthenticationError, QBOError, TransportError, parse_fault

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_MARGIN = 120.0  # refresh this many seconds before the access token expires
INSECURE_TRANSPORT = "OAUTHLIB_INSECURE_TRANSPORT"
_TRANSPORT_LOCK = threading.Lock()
_FORM_HEADERS = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}


class InsecureURLError(QBOError):
	"""An OAuth URL that is neither https nor on this machine: refused before any secret is sent."""


def is_loopback(host: str | None) -> bool:
	"""127.0.0.0/8, ::1 or localhost: a URL that never leaves this machine."""
	if not host:
		return False
	if host.lower() == "localhost":
		return True
	try:
		return ipaddress.ip_address(host.strip("[]")).is_loopback
	except ValueError:
		return False


@contextmanager
def transport_allowed(url: str) -> Iterator[None]:
	"""Let oauthlib use `url` for the duration of one call: https as it is; http only to this machine, with
	OAUTHLIB_INSECURE_TRANSPORT set for that call alone (under a lock) and put back as it was."""
	parts = urlsplit(url or "")
	if parts.scheme == "https":
		yield
		return
	if parts.scheme != "http" or not is_loopback(parts.hostname):
		raise InsecureURLError(
			f"Refusing OAuth over {parts.scheme or 'no scheme'}://{parts.hostname or ''}",
			user_message=(
				"QuickBooks sign-in URLs must use https (plain http only to this machine, for the emulator); "
				"check the URLs in QBO Settings."
			),
		)
	with _TRANSPORT_LOCK:
		previous = os.environ.get(INSECURE_TRANSPORT)
		os.environ[INSECURE_TRANSPORT] = "1"
		try:
			yield
		finally:
			if previous is None:
				os.environ.pop(INSECURE_TRANSPORT, None)
			else:
				os.environ[INSECURE_TRANSPORT] = previous


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
	# The refresh token's hard end (Intuit: at most five years after the connection was made), after which
	# the admin must reconnect whatever the rolling expiry says. None: Intuit did not say.
	hard_expires_at: float | None = None

	def expired(self, now: float | None = None, margin: float = DEFAULT_EXPIRY_MARGIN) -> bool:
		"""Whether the access token is expired or will be within margin seconds."""
		return (time.time() if now is None else now) >= self.expires_at - margin

	def refresh_expired(self, now: float | None = None) -> bool:
		"""Whether the refresh token is past its known end, rolling or hard (unknown: assume still valid)."""
		ends = [end for end in (self.refresh_expires_at, self.hard_expires_at) if end is not None]
		if not ends:
			return False
		return (time.time() if now is None else now) >= min(ends)

	def to_dict(self) -> dict[str, Any]:
		return {
			"access_token": self.access_token,
			"refresh_token": self.refresh_token,
			"expires_at": self.expires_at,
			"refresh_expires_at": self.refresh_expires_at,
			"realm_id": self.realm_id,
			"hard_expires_at": self.hard_expires_at,
		}

	@classmethod
	def from_dict(cls, data: dict[str, Any]) -> Tokens:
		refresh_expires_at = data.get("refresh_expires_at")
		hard = data.get("hard_expires_at")
		return cls(
			access_token=data["access_token"],
			refresh_token=data["refresh_token"],
			expires_at=float(data["expires_at"]),
			refresh_expires_at=float(refresh_expires_at) if refresh_expires_at not in (None, "") else None,
			realm_id=data.get("realm_id") or None,
			hard_expires_at=float(hard) if hard not in (None, "") else None,
		)

	@classmethod
	def from_response(
		cls,
		data: dict[str, Any],
		now: float,
		realm_id: str | None = None,
		previous_refresh_token: str | None = None,
	) -> Tokens:
		"""Tokens from Intuit's token endpoint answer (expires_in, x_refresh_token_expires_in and
		x_refresh_token_hard_expires_in, all seconds from now)."""
		access = data.get("access_token")
		refresh = data.get("refresh_token") or previous_refresh_token
		if not access or not refresh:
			raise AuthenticationError(
				"Token endpoint answer has no access_token/refresh_token",
				user_message="QuickBooks answered the sign-in without tokens; reconnect to QuickBooks in QBO Settings.",
			)
		refresh_in = data.get("x_refresh_token_expires_in")
		hard_in = data.get("x_refresh_token_hard_expires_in")
		return cls(
			access_token=access,
			refresh_token=refresh,
			expires_at=now + float(data.get("expires_in") or 3600),
			refresh_expires_at=now + float(refresh_in) if refresh_in not in (None, "") else None,
			realm_id=realm_id,
			hard_expires_at=now + float(hard_in) if hard_in not in (None, "") else None,
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
	"""Intuit's OAuth endpoints through requests-oauthlib, with HTTP Basic client authentication as Intuit
	documents it; `session` carries the revoke call (and tests' transports)."""

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
		grant = OAuth2Session(self.client_id, redirect_uri=self.redirect_uri, scope=[self.scope], state=state)
		with transport_allowed(self.environment.authorize_url):
			url, _state = grant.authorization_url(self.environment.authorize_url, state=state)
		return url

	def _grant(self, what: str, redirect_uri: str | None = None) -> OAuth2Session:
		"""An OAuth2Session for one token call whose answers are checked before oauthlib reads them."""
		grant = OAuth2Session(self.client_id, redirect_uri=redirect_uri)
		grant.mount("https://", self.session.get_adapter("https://"))
		grant.mount("http://", self.session.get_adapter("http://"))
		hook = self._checked(what)
		grant.register_compliance_hook("access_token_response", hook)
		grant.register_compliance_hook("refresh_token_response", hook)
		return grant

	def _checked(self, what: str) -> Callable[[requests.Response], requests.Response]:
		def check(response: requests.Response) -> requests.Response:
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
			try:
				data = response.json()
			except ValueError as exc:
				raise QBOError(
					"Token endpoint answer is not JSON",
					status=response.status_code,
					user_message="QuickBooks' sign-in service gave an unreadable answer; try again later.",
				) from exc
			if not isinstance(data, dict) or not data.get("access_token"):
				raise AuthenticationError(
					"Token endpoint answer has no access_token",
					user_message="QuickBooks answered the sign-in without tokens; reconnect to QuickBooks in QBO Settings.",
				)
			return response

		return check

	def _token_call(self, what: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
		with transport_allowed(self.environment.token_url):
			try:
				return dict(call())
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
			except (OAuth2Error, Warning) as exc:  # an answer oauthlib rejects (our checks passed it)
				raise AuthenticationError(
					f"{what}: {type(exc).__name__}",
					user_message="QuickBooks' sign-in service gave an answer that cannot be used; reconnect to QuickBooks.",
				) from exc

	def exchange_code(self, code: str, realm_id: str) -> Tokens:
		"""Trade the callback's authorization code for the first token pair."""
		grant = self._grant("code exchange", self.redirect_uri)
		data = self._token_call(
			"code exchange",
			lambda: grant.fetch_token(
				self.environment.token_url,
				code=code,
				auth=(self.client_id, self._client_secret),
				include_client_id=False,
				timeout=self.timeout,
				headers=dict(_FORM_HEADERS),
			),
		)
		tokens = Tokens.from_response(data, self.clock(), realm_id=realm_id)
		logger.info("QBO connected realm %s", realm_id)
		return tokens

	def refresh(
		self,
		refresh_token: str,
		realm_id: str | None = None,
		token_updater: Callable[[Tokens], None] | None = None,
	) -> Tokens:
		"""A new pair from a refresh token; InvalidGrantError when Intuit refuses it (reconnect needed).

		The answer may carry a new refresh token: `token_updater` (the store's save) gets the new pair before
		this returns, and a caller without one must persist it before using the access token."""
		grant = self._grant("refresh")
		data = self._token_call(
			"refresh",
			lambda: grant.refresh_token(
				self.environment.token_url,
				refresh_token=refresh_token,
				auth=(self.client_id, self._client_secret),
				timeout=self.timeout,
				headers=dict(_FORM_HEADERS),
			),
		)
		tokens = Tokens.from_response(
			data, self.clock(), realm_id=realm_id, previous_refresh_token=refresh_token
		)
		logger.info(
			"QBO token refreshed for realm %s (refresh token %s)",
			realm_id,
			"rotated" if tokens.refresh_token != refresh_token else "unchanged",
		)
		if token_updater is not None:
			token_updater(tokens)
		return tokens

	def revoke(self, token: str) -> None:
		"""Revoke an access or refresh token (disconnect): JSON {"token": ...} with Basic auth."""
		url = self.environment.revoke_url
		with transport_allowed(url):
			try:
				response = self.session.post(
					url,
					json={"token": token},
					auth=(self.client_id, self._client_secret),
					headers={"Accept": "application/json"},
					timeout=self.timeout,
				)
			except requests.RequestException as exc:
				logger.warning("QBO OAuth revoke failed: %s", type(exc).__name__)
				raise TransportError(
					f"revoke: {type(exc).__name__}",
					ambiguous=False,
					user_message="The connection to QuickBooks' sign-in service failed; try again in a few minutes (revoke).",
				) from exc
		if response.status_code >= 400:
			error = parse_fault(response.status_code, response.content, response.headers)
			logger.warning("QBO OAuth revoke refused: HTTP %s %s", response.status_code, error.code)
			raise error
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
		def persist(new: Tokens) -> None:
			if new.realm_id is None:
				new.realm_id = tokens.realm_id
			if new.hard_expires_at is None:
				new.hard_expires_at = tokens.hard_expires_at  # Intuit did not repeat it: the end stands
			# Persist first: if saving fails we must not use (and thereby commit to) the rotated pair.
			self.store.save(new)

		new = self.oauth.refresh(tokens.refresh_token, realm_id=tokens.realm_id, token_updater=persist)
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
