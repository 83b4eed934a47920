"""How an attempt ended: result types, error classification and the retry schedule.

One place decides which failures are worth retrying (QBO down, throttled, connection dropped) and which
need a person (bad data, a payment applied in QBO), so the log and the scheduler agree.
"""

from __future__ import annotations

import traceback as tb
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from qbo_connector.mapping.errors import MappingError
from qbo_connector.qbo.errors import (
	AuthenticationError,
	QBOError,
	ServerError,
	StaleObjectError,
	ThrottledError,
	TransportError,
)
from qbo_connector.qbo.redact import redact_str

from .store import LogStatus

# 1, 5, 15, 60, 240 minutes, then daily (seconds). Tests inject a tiny schedule.
DEFAULT_BACKOFF: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)

MAPPING_CODE = "MAPPING"
INTERNAL_CODE = "INTERNAL"
# A worker could not get a document's lock: someone else holds it, so that someone is still at work.
LOCKED_CODE = "LOCKED"
# An unexpected exception (a bug, or something the connector did not foresee) is retried with the backoff
# above, but only this many attempts in all: the fifth is Failed for good and waits for a person (or for
# the document to change). A bug does not go away by itself; retrying it daily for ever only fills the log.
MAX_INTERNAL_ATTEMPTS = 5
_MAX_TRACEBACK = 60_000
_MAX_DETAIL = 160  # characters of an unexpected error's own text shown in its message


class SyncError(Exception):
	"""A failure the engine itself detects (a dependency that could not be sent, a refused void...)."""

	def __init__(self, code: str, message: str, retryable: bool = False) -> None:
		self.code = code
		self.message = message
		self.retryable = retryable
		super().__init__(message)


class SkipDocument(Exception):
	"""A document that is not sent, by rule, until something outside it changes (a timesheet of a person the
	Employee map does not know): the attempt ends Skipped, with this code and message, before anything is
	written; the scheduler's auto-push leaves it alone until the document or its map changes."""

	def __init__(self, code: str, message: str) -> None:
		self.code = code
		self.message = message
		super().__init__(message)


LINK_CONFLICT_CODE = "LINK_CONFLICT"


class LinkConflictError(SyncError):
	"""A link would make a second ERPNext record point at a QBO object another record is linked to.

	Raised by the stores (the Frappe store turns QBO Link's unique-key clash into this). The engine checks
	before it links, so this means two workers raced for one QBO object: a retry sees the winner's link and
	takes another QBO record (the collision rule), hence retryable.
	"""

	def __init__(
		self, realm_id: str, qbo_entity: str, qbo_id: str, holder: tuple[str, str], claimant: tuple[str, str]
	) -> None:
		self.realm_id, self.qbo_entity, self.qbo_id = realm_id, qbo_entity, str(qbo_id)
		self.holder, self.claimant = holder, claimant
		super().__init__(
			LINK_CONFLICT_CODE,
			f"{claimant[0]} {claimant[1]} cannot be linked to QuickBooks {qbo_entity} {qbo_id}: that "
			f"QuickBooks record is already linked to {holder[0]} {holder[1]} (QuickBooks company {realm_id}), "
			"and one QuickBooks record belongs to one ERPNext record. Nothing was linked; a retry gives "
			f"{claimant[0]} {claimant[1]} a QuickBooks record of its own.",
			retryable=True,
		)


@dataclass
class Failure:
	"""What the log row says about an exception."""

	code: str
	message: str
	retryable: bool
	ambiguous: bool = False
	intuit_tid: str | None = None
	detail: dict[str, Any] | None = None
	traceback: str | None = None  # formatted and redacted, for admins (internal errors only)


def gave_up_sentence(attempts: int) -> str:
	"""What an internal failure says once it is no longer retried automatically."""
	return (
		f"Stopped retrying after {attempts} attempts: this looks like a fault in the connector rather than "
		"in the document. Send the traceback kept on this log row to your administrator or the "
		"connector's developer; the attempt is tried again when the document or its mappings change, or "
		"with Retry once the fault is fixed."
	)


def internal_error_sentence(exc: BaseException) -> str:
	"""What a person reads for an error nobody foresaw: that it is the connector's fault, not the document's,
	with the error's kind and (redacted, short) text for whoever fixes it; when it is tried again is said
	by the row's Next Retry At, and the traceback is on the row."""
	detail = " ".join(redact_str(str(exc)).split())
	if len(detail) > _MAX_DETAIL:
		detail = detail[: _MAX_DETAIL - 1].rstrip() + "…"
	kind = type(exc).__name__
	return (
		f"An internal error in the connector stopped this attempt ({kind}{': ' + detail if detail else ''}). "
		"This is not a problem with the document; it is tried again automatically a limited number of times."
	)


def format_traceback(exc: BaseException) -> str:
	"""The exception's traceback as text, with tokens, secrets and credentials taken out by shape
	(qbo.redact): it is stored on the log row, where every admin can read it."""
	text = redact_str("".join(tb.format_exception(type(exc), exc, exc.__traceback__)))  # before any cut
	if len(text) > _MAX_TRACEBACK:  # the innermost frames and the error itself are at the end
		text = text[: _MAX_TRACEBACK // 4] + "\n...\n" + text[-(_MAX_TRACEBACK * 3 // 4) :]
	return text


def is_ambiguous(exc: BaseException) -> bool:
	"""A write that got no clear answer may have committed: look it up before sending it again."""
	return isinstance(exc, TransportError | ServerError)


def is_definitive(exc: BaseException) -> bool:
	"""QBO answered and refused: nothing was written, so a later attempt may use a new request id."""
	return isinstance(exc, QBOError) and not isinstance(
		exc, TransportError | ServerError | ThrottledError | AuthenticationError
	)


def classify(exc: BaseException, attempts: int = 1) -> Failure:
	"""Turn an exception into a log verdict; the message is the accountant-facing sentence.

	attempts is the attempt's number in its retry chain (LogEntry.attempts): an unexpected error is retried
	until MAX_INTERNAL_ATTEMPTS, then Failed for good, with its traceback kept for admins."""
	if isinstance(exc, MappingError):
		return Failure(MAPPING_CODE, str(exc), retryable=False)
	if isinstance(exc, SyncError):
		return Failure(exc.code, exc.message, retryable=exc.retryable)
	if isinstance(exc, QBOError):
		retryable = bool(exc.retryable) or isinstance(exc, AuthenticationError | StaleObjectError)
		return Failure(
			exc.code or type(exc).__name__,
			str(exc),
			retryable=retryable,
			ambiguous=is_ambiguous(exc),
			intuit_tid=exc.intuit_tid,
			detail=exc.to_dict(),
		)
	message = internal_error_sentence(exc)
	retryable = attempts < MAX_INTERNAL_ATTEMPTS
	if not retryable:
		message = f"{message} {gave_up_sentence(attempts)}"
	return Failure(INTERNAL_CODE, message, retryable=retryable, traceback=format_traceback(exc))


def next_retry_at(now: datetime, attempts: int, schedule: tuple[float, ...] = DEFAULT_BACKOFF) -> datetime:
	"""When attempt number `attempts` (1-based) should be retried: the schedule, then its last step."""
	step = schedule[min(max(attempts, 1), len(schedule)) - 1]
	return now + timedelta(seconds=step)


@dataclass
class SyncResult:
	"""What push/cancel/retry return: the verdict of one attempt and where its log row is."""

	status: LogStatus
	message: str
	doctype: str | None = None
	name: str | None = None
	qbo_entity: str | None = None
	qbo_id: str | None = None
	log_id: str | None = None
	retryable: bool = False
	code: str | None = None
	action: str | None = None  # created | adopted | updated | deposited | unchanged | voided | deleted

	@property
	def ok(self) -> bool:
		return self.status in ("Success", "Warning", "Skipped")


@dataclass
class BulkSummary:
	"""Counts of a push_many/auto_push run, for the summary log row and the progress bar."""

	total: int = 0
	created: int = 0
	updated: int = 0
	unchanged: int = 0
	warnings: int = 0
	failed: int = 0
	skipped: int = 0
	log_id: str | None = None
	results: list[SyncResult] = field(default_factory=list)

	def add(self, result: SyncResult) -> None:
		self.results.append(result)
		if result.action == "unchanged":
			self.unchanged += 1
		elif result.status == "Failed":
			self.failed += 1
		elif result.status == "Skipped":
			self.skipped += 1
		else:
			if result.status == "Warning":
				self.warnings += 1
			if result.action in ("updated", "deposited"):  # deposited: a missing deposit completed
				self.updated += 1
			else:
				self.created += 1

	def as_dict(self) -> dict[str, Any]:
		data = asdict(self)
		data.pop("results")
		return data


@dataclass
class PullResult:
	"""What a pull or a webhook batch did."""

	status: LogStatus
	message: str = ""
	full: bool = False
	seen: int = 0
	applied: int = 0
	skipped: int = 0
	failed: int = 0
	duplicates: int = 0
	watermark: datetime | None = None
	log_id: str | None = None
