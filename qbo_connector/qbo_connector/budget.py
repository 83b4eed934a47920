"""The read budget in the Frappe layer: metered reads counted in Redis by every worker (the client's counter
hook), kept on the connection, warned about at 80 %, and reads that can wait put off at 100 % (qbo/budget.py).

Redis is the live count (one INCRBY per read, shared by all workers); the connection keeps a copy every five
minutes, from which Redis starts again if it lost its key (a restart, a flush), so a month is never counted
from zero twice."""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import escape_html, get_url_to_form

from qbo_connector.qbo.budget import (
	DEFAULT_MONTHLY_READS,
	SPENT,
	WARN,
	BudgetState,
	ReadBudget,
	month_of,
	next_month,
)
from qbo_connector.qbo_connector.notify import notify_managers
from qbo_connector.qbo_connector.settings import CONNECTION, SETTINGS

KEY_TTL = 40 * 86400  # a month's counter outlives its month


def allowance() -> int:
	"""QBO Settings' Monthly Read Allowance (0: no limit kept)."""
	value = frappe.db.get_single_value(SETTINGS, "monthly_read_allowance")
	return DEFAULT_MONTHLY_READS if value is None else int(value)


class RedisReadCounter:
	"""qbo.budget.ReadCounter in the site's Redis, per QBO company and month."""

	@staticmethod
	def _key(realm_id: str, month: str) -> str:
		return frappe.cache().make_key(f"qbo:reads:{realm_id}:{month}")

	@staticmethod
	def stored(realm_id: str, month: str) -> int:
		"""What the connection kept for that month (0 for another month or no connection)."""
		row = frappe.db.get_value(
			CONNECTION, {"realm_id": str(realm_id)}, ["reads_this_month", "reads_month"], as_dict=True
		)
		return int(row.reads_this_month or 0) if row and row.reads_month == month else 0

	def add(self, realm_id: str, count: int) -> None:
		if not count:
			return
		cache = frappe.cache()
		key = self._key(realm_id, month_of())
		if not cache.exists(key, shared=True):  # the key is made already (shared: not prefixed again)
			cache.set(key, self.stored(realm_id, month_of()), nx=True, ex=KEY_TTL)
		cache.incrby(key, int(count))

	def used(self, realm_id: str, month: str | None = None) -> int:
		month = month or month_of()
		value = frappe.cache().get(self._key(realm_id, month))
		return int(value) if value is not None else self.stored(realm_id, month)


class FrappeReadBudget(ReadBudget):
	"""The budget of this site: Redis counts against QBO Settings' allowance."""

	def __init__(self) -> None:
		super().__init__(RedisReadCounter(), allowance())


def check_deferrable(company: str, what: str) -> None:
	"""Throw (for the desk) when the company's month of reads is spent: `what` waits and the user is told why."""
	from qbo_connector.qbo.budget import ReadBudgetSpent

	realm_id = frappe.db.get_value(CONNECTION, company, "realm_id")
	if not realm_id:
		return
	try:
		FrappeReadBudget().check_deferrable(realm_id, what)
	except ReadBudgetSpent as exc:
		frappe.throw(exc.user_message, title=_("QuickBooks read allowance used up"))


def flush_reads() -> None:
	"""Cron (with flush_health): keep each connection's count of the month, and tell the managers once a month
	when a company passes 80 % and again when it reaches 100 %."""
	budget = FrappeReadBudget()
	for row in frappe.get_all(
		CONNECTION,
		filters={"realm_id": ("is", "set")},
		fields=["name", "realm_id", "reads_this_month", "reads_month", "budget_notice"],
	):
		state = budget.state(row.realm_id)
		values: dict[str, Any] = {}
		if (row.reads_month, int(row.reads_this_month or 0)) != (state.month, state.used):
			values.update(reads_this_month=state.used, reads_month=state.month)
		notice = _notice_due(state, row.budget_notice)
		if notice:
			notify_budget(row.name, state)
			values["budget_notice"] = notice
		if values:
			frappe.db.set_value(CONNECTION, row.name, values, update_modified=False)
			frappe.db.commit()


def _notice_due(state: BudgetState, sent: str | None) -> str | None:
	"""The notice to record ("2026-12:80" / "2026-12:100") when one is due and not sent this month."""
	if state.level not in (WARN, SPENT):
		return None
	mark = f"{state.month}:{100 if state.level == SPENT else 80}"
	already = sent or ""
	if already == mark or (already == f"{state.month}:100"):
		return None
	return mark


def notify_budget(company: str, state: BudgetState) -> None:
	if state.level == SPENT:
		subject = _("QuickBooks reads for {0} are used up until {1}").format(company, next_month(state.month))
		what = _(
			"Reconciliation, the drift check and Re-sync All are put off until the month ends, so pushes and"
			" payments keep the reads they need."
		)
	else:
		subject = _("QuickBooks reads for {0}: {1} of the monthly allowance used").format(
			company, f"{state.fraction:.0%}"
		)
		what = _(
			"At 100 % reconciliation, the drift check and Re-sync All stop until the month ends (pushes and"
			" payments go on)."
		)
	message = (
		f"<p>{escape_html(state.sentence())}</p><p>{escape_html(what)}</p>"
		f"<p><a href='{get_url_to_form(SETTINGS, SETTINGS)}'>{escape_html(_('Monthly Read Allowance'))}</a></p>"
	)
	notify_managers(subject, message, CONNECTION, company)
