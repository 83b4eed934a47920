"""Where a connection's OAuth tokens live, and how they are refreshed without ever losing a rotated one.

Intuit rotates refresh tokens: after a refresh the old refresh token is dead. If two workers refresh at
once, or a refreshed pair is lost to a rollback, the company has to be reconnected by hand. So:

* `lock()` is a Redis lock per company, shared by every worker and web process of the site;
* `load()` inside the lock reads the committed tokens through a separate, short-lived database
  connection. MariaDB's REPEATABLE READ would otherwise show this worker the snapshot its transaction
  started with, i.e. the pair another worker has just rotated away;
* `save()` writes the new pair and commits at once, before anybody uses the new access token.

`qbo.oauth.TokenProvider` does the rest (re-check after taking the lock, refresh, save before returning).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_datetime, get_system_timezone, get_url_to_form
from frappe.utils.password import decrypt, remove_encrypted_password, set_encrypted_password

from qbo_connector.qbo.errors import InvalidGrantError
from qbo_connector.qbo.oauth import OAuthClient, TokenProvider, Tokens
from qbo_connector.qbo_connector.locks import redis_lock
from qbo_connector.qbo_connector.redaction import forget_known_secrets
from qbo_connector.qbo_connector.settings import CONNECTION

TOKEN_FIELDS = ("access_token", "refresh_token")
MASK = "*" * 10  # what the Password columns hold; the real values are encrypted in __Auth
LOCK_TIMEOUT = 60  # seconds a crashed holder can keep others out (a refresh takes well under that)
LOCK_WAIT = 90  # seconds a worker waits for another worker's refresh
NOTIFY_ROLES = ("System Manager", "Accounts Manager")


def epoch_to_datetime(value: float | None) -> datetime | None:
	"""Epoch seconds as a naive datetime in the site's time zone (how Frappe stores Datetime)."""
	if not value:
		return None
	return datetime.fromtimestamp(float(value), ZoneInfo(get_system_timezone())).replace(tzinfo=None)


def datetime_to_epoch(value: datetime | str | None) -> float | None:
	"""The inverse of epoch_to_datetime."""
	if not value:
		return None
	return get_datetime(value).replace(tzinfo=ZoneInfo(get_system_timezone())).timestamp()


def _fresh_db():
	"""A new connection to the site database: its first read sees everything committed so far."""
	from frappe.database import get_db

	conf = frappe.conf
	return get_db(
		socket=conf.db_socket,
		host=conf.db_host,
		port=conf.db_port,
		user=conf.get("db_user") or conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)


def read_tokens(company: str, db=None) -> Tokens | None:
	"""The stored pair of a connection, or None when it has none (never connected or disconnected)."""
	db = db or frappe.db
	rows = db.sql(
		"""select realm_id, access_token_expires_at, refresh_token_expires_at, refresh_token_hard_expires_at
		from `tabQBO Connection` where name = %s""",
		(company,),
		as_dict=True,
	)
	if not rows:
		return None
	secrets = dict(
		db.sql(
			"""select fieldname, `password` from `__Auth`
			where doctype = %s and name = %s and fieldname in %s and encrypted = 1""",
			(CONNECTION, company, TOKEN_FIELDS),
		)
	)
	if not secrets.get("access_token") or not secrets.get("refresh_token"):
		return None
	row = rows[0]
	return Tokens(
		access_token=decrypt(secrets["access_token"], key=f"{CONNECTION}.{company}.access_token"),
		refresh_token=decrypt(secrets["refresh_token"], key=f"{CONNECTION}.{company}.refresh_token"),
		expires_at=datetime_to_epoch(row.access_token_expires_at) or 0.0,
		refresh_expires_at=datetime_to_epoch(row.refresh_token_expires_at),
		realm_id=row.realm_id or None,
		hard_expires_at=datetime_to_epoch(row.refresh_token_hard_expires_at),
	)


def write_tokens(company: str, tokens: Tokens) -> None:
	"""Store a pair in the connection's Password fields (encrypted) and their expiry times. No commit."""
	set_encrypted_password(CONNECTION, company, tokens.access_token, "access_token")
	set_encrypted_password(CONNECTION, company, tokens.refresh_token, "refresh_token")
	values = {
		"access_token": MASK,
		"refresh_token": MASK,
		"access_token_expires_at": epoch_to_datetime(tokens.expires_at),
		"refresh_token_expires_at": epoch_to_datetime(tokens.refresh_expires_at),
	}
	if tokens.hard_expires_at is not None:
		hard = epoch_to_datetime(tokens.hard_expires_at)
		stored = frappe.db.get_value(CONNECTION, company, "refresh_token_hard_expires_at")
		# Intuit says what is left on every answer, so the end moves by a second or two from one answer to
		# the next; only a new end (a reconnect) starts the 30- and 7-day notices over.
		if stored is None or abs((get_datetime(stored) - hard).total_seconds()) > 3600:
			values["expiry_notice"] = None
		values["refresh_token_hard_expires_at"] = hard
	if tokens.realm_id:
		values["realm_id"] = tokens.realm_id
	frappe.db.set_value(CONNECTION, company, values, update_modified=False)
	forget_known_secrets()


def clear_tokens(company: str) -> None:
	"""Forget a connection's tokens (disconnect). No commit."""
	for fieldname in TOKEN_FIELDS:
		remove_encrypted_password(CONNECTION, company, fieldname)
	frappe.db.set_value(
		CONNECTION,
		company,
		{
			"access_token": None,
			"refresh_token": None,
			"access_token_expires_at": None,
			"refresh_token_expires_at": None,
			"refresh_token_hard_expires_at": None,
			"expiry_notice": None,
		},
		update_modified=False,
	)
	forget_known_secrets()


class FrappeTokenStore:
	"""qbo.oauth.TokenStore over a QBO Connection's Password fields, locked in Redis."""

	def __init__(
		self, company: str, lock_timeout: float = LOCK_TIMEOUT, lock_wait: float = LOCK_WAIT
	) -> None:
		self.company = company
		self.lock_timeout = lock_timeout
		self.lock_wait = lock_wait
		self._locked = False
		# The newest pair this process has seen committed (fresh read or own save). Outside the lock the
		# request's own snapshot may still show an older pair; preferring the newer one saves a lock round.
		self._latest: Tokens | None = None

	def __repr__(self) -> str:
		return f"FrappeTokenStore(company={self.company!r})"

	@contextmanager
	def lock(self) -> Iterator[None]:
		with redis_lock(f"token:{self.company}", timeout=self.lock_timeout, blocking_timeout=self.lock_wait):
			self._locked = True
			try:
				yield
			finally:
				self._locked = False

	def load(self) -> Tokens | None:
		if self._locked:
			db = _fresh_db()
			try:
				tokens = read_tokens(self.company, db)
			finally:
				db.close()
			self._latest = tokens
			return tokens
		tokens = read_tokens(self.company)
		if tokens is not None and self._latest is not None and self._latest.expires_at > tokens.expires_at:
			return self._latest
		return tokens

	def save(self, tokens: Tokens) -> None:
		# Commit now: a rotated refresh token that a later rollback takes with it cannot be recovered.
		write_tokens(self.company, tokens)
		frappe.db.commit()
		self._latest = tokens


class FrappeTokenProvider(TokenProvider):
	"""TokenProvider that turns a refused refresh token into "Reconnect needed" and tells the admins."""

	def __init__(
		self, company: str, oauth: OAuthClient, store: FrappeTokenStore | None = None, **kwargs
	) -> None:
		self.company = company
		super().__init__(oauth, store or FrappeTokenStore(company), **kwargs)

	def access_token(self) -> str:
		try:
			return super().access_token()
		except InvalidGrantError as error:
			mark_reconnect_needed(self.company, error)
			raise

	def force_refresh(self, failed_access_token: str) -> str:
		try:
			return super().force_refresh(failed_access_token)
		except InvalidGrantError as error:
			mark_reconnect_needed(self.company, error)
			raise


def mark_reconnect_needed(company: str, error: Exception | str) -> None:
	"""The refresh token is dead: say so on the connection, commit, and tell the people who can fix it."""
	message = getattr(error, "user_message", None) or str(error)
	previous = frappe.db.get_value(CONNECTION, company, "status")
	frappe.db.set_value(
		CONNECTION,
		company,
		{"status": "Reconnect needed", "last_error": message},
		update_modified=False,
	)
	frappe.db.commit()
	if previous != "Reconnect needed":  # tell people once, not on every job that hits the dead token
		notify_reconnect_needed(company, message)
		frappe.db.commit()


def notify_reconnect_needed(company: str, message: str) -> None:
	"""Notification Log (bell icon, and e-mail for users who enabled it) plus a realtime toast."""
	from frappe.desk.doctype.notification_log.notification_log import make_notification_logs
	from frappe.utils.user import get_users_with_role

	users = {"Administrator"}
	for role in NOTIFY_ROLES:
		users.update(get_users_with_role(role))
	emails = [
		email for email in frappe.get_all("User", {"name": ("in", list(users))}, pluck="email") if email
	]
	subject = _("QuickBooks needs to be reconnected for {0}").format(company)
	make_notification_logs(
		frappe._dict(
			{
				"type": "Alert",
				"document_type": CONNECTION,
				"document_name": company,
				"subject": subject,
				"email_content": _(
					"QuickBooks refused to renew access for {0}: {1} Nothing is sent to QuickBooks until a System"
					" Manager reconnects on <a href='{2}'>the connection</a>."
				).format(
					frappe.bold(company),
					frappe.utils.escape_html(message),
					get_url_to_form(CONNECTION, company),
				),
				"from_user": "Administrator",
			}
		),
		emails,
	)
	for user in users:
		frappe.publish_realtime(
			"qbo_reconnect_needed",
			{"company": company, "message": subject},
			user=user,
			after_commit=True,
		)


def token_provider(company: str, oauth: OAuthClient | None = None) -> FrappeTokenProvider:
	"""The provider a QBOClient for company should use."""
	from qbo_connector.qbo_connector.settings import get_oauth_client

	return FrappeTokenProvider(company, oauth or get_oauth_client(), clock=time.time)
