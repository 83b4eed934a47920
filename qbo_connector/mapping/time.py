"""ERPNext Timesheet (submitted) -> one QBO TimeActivity per time log.

The worker is the timesheet's employee as the Employee map says (a QBO Employee; the engine resolves it, and
a person without a map is never sent as someone else). The duration is the log's hours as Hours and Minutes,
the date the day the log starts, the description the activity type and the log's text. A billable log
(is_billable, with a billing rate) is Billable at its billing rate for the timesheet's customer; others are
NotBillable. Each activity's Description ends with a marker naming the timesheet and row, which is how a
create whose answer was lost is found again (QBO's TimeActivity has no private note, and no change data
capture: time is pushed, never pulled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.errors import MappingError
from qbo_connector.mapping.money import ZERO, D, json_number
from qbo_connector.mapping.text import iso_date, strip_html, truncate
from qbo_connector.mapping.validate import _Checker

DOCTYPE = "Timesheet"
ROW_DOCTYPE = "Timesheet Detail"
DESCRIPTION_MAX = 4000
MAX_HOURS = Decimal(24)  # one log is one day's work at most (QBO keeps one TxnDate per activity)


@dataclass
class TimePart:
	"""One time log's TimeActivity: the row it comes from and its body."""

	row: str  # the Timesheet Detail name
	idx: int
	body: dict[str, Any]
	marker: str


@dataclass
class MappedTimesheet:
	parts: list[TimePart]
	hours: Decimal
	warnings: list[str] = field(default_factory=list)


def marker(name: str, idx: int) -> str:
	"""What ends each activity's Description: how the engine recognises its own TimeActivity."""
	return f"[ERPNext {DOCTYPE} {name} #{idx}]"


def hours_and_minutes(hours: Decimal) -> tuple[int, int]:
	"""3.5 -> (3, 30); minutes rounded half up, 60 carried into the hour."""
	whole = int(hours)
	minutes = int(((hours - whole) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
	if minutes == 60:
		whole, minutes = whole + 1, 0
	return whole, minutes


def map_timesheet(timesheet: Mapping[str, Any], ctx: MappingContext) -> MappedTimesheet:
	"""One TimeActivity body per time log with hours; ctx.employee_ref is the worker's QBO Employee and
	ctx.customer_ref the timesheet's customer (needed for billable time)."""
	name = str(timesheet.get("name") or "")
	check = _Checker(DOCTYPE, timesheet)

	def error(fieldname: str, message: str) -> MappingError:
		return MappingError(DOCTYPE, name, fieldname, message)

	if int(timesheet.get("docstatus") or 0) == 0:
		raise error("docstatus", "a draft is never sent to QuickBooks; submit it first")
	if not ctx.employee_ref:
		raise error(
			"employee", f"employee '{timesheet.get('employee')}' has no QuickBooks employee in the map"
		)
	warnings: list[str] = []
	parts: list[TimePart] = []
	total = ZERO
	for position, row in enumerate(timesheet.get("time_logs") or [], start=1):
		idx = int(row.get("idx") or position)
		prefix = f"time_logs[{idx}]."
		hours = check.number(row.get("hours"), prefix + "hours")
		rate = check.number(row.get("billing_rate"), prefix + "billing_rate")
		check.number(row.get("billing_hours"), prefix + "billing_hours")
		day = check.date(row.get("from_time"), prefix + "from_time") or check.date(
			timesheet.get("start_date"), "start_date", required=True
		)
		if hours <= 0:
			warnings.append(f"time_logs[{idx}] has no hours; not sent")
			continue
		if hours > MAX_HOURS:
			raise error(
				prefix + "hours", f"{hours} hours in one log; QuickBooks keeps one day per time activity"
			)
		whole, minutes = hours_and_minutes(hours)
		mark = marker(name, idx)
		text = ": ".join(
			part for part in (str(row.get("activity_type") or ""), strip_html(row.get("description"))) if part
		)
		description, cut = truncate(text, DESCRIPTION_MAX - len(mark) - 1)
		if cut:
			warnings.append(f"{prefix}description cut for QuickBooks")
		body: dict[str, Any] = {
			"NameOf": "Employee",
			"EmployeeRef": {"value": ctx.employee_ref},
			"TxnDate": iso_date(day),
			"Hours": whole,
			"Minutes": minutes,
			"Description": f"{description} {mark}".strip(),
		}
		billable = bool(row.get("is_billable")) and rate > 0
		if billable:
			if not timesheet.get("customer"):
				raise error(
					"customer",
					f"time_logs[{idx}] is billable, and QuickBooks bills time to a customer: set the timesheet's "
					"customer",
				)
			body["BillableStatus"] = "Billable"
			body["HourlyRate"] = json_number(rate)
			billed = D(row.get("billing_hours"))
			if billed and billed != hours:
				warnings.append(
					f"time_logs[{idx}]: {billed} billable hours of {hours}; QuickBooks bills the whole duration"
				)
		else:
			body["BillableStatus"] = "NotBillable"
		if ctx.customer_ref:
			body["CustomerRef"] = {"value": ctx.customer_ref}
		parts.append(TimePart(row=str(row.get("name") or idx), idx=idx, body=body, marker=mark))
		total += hours
	if not parts:
		raise error("time_logs", "no time log has hours; nothing to send")
	return MappedTimesheet(parts=parts, hours=total, warnings=warnings)
