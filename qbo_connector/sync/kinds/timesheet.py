"""Timesheet (submitted) -> one QBO TimeActivity per time log (mapping/time.py).

The worker is the timesheet's employee through the Employee map: QBO Link rows (Employee -> QBO Employee)
that the employee pull fills by matching e-mail, then name, and that an admin may set or change by hand. A
timesheet of a person with no map is Skipped, its log row naming the person, and nothing is sent: time is
never booked to someone else; it goes once the person is mapped (Push to QuickBooks, Sync Now, auto-push).
A billable log is billed to the timesheet's customer (created or adopted in QBO like any customer).

Exactly once per time log: the first log's activity is linked to the timesheet, each other log's to its row
(Timesheet Detail), every link saved pending before its create. Cancel deletes them all (QBO has no void for
time); an amended timesheet is new time. Time is pushed, never pulled (QBO has no change data capture for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qbo_connector.mapping.context import MappingContext
from qbo_connector.mapping.dimensions import apply_time_dimensions
from qbo_connector.mapping.money import D
from qbo_connector.mapping.text import iso_date
from qbo_connector.mapping.time import ROW_DOCTYPE, map_timesheet, marker

from ..mapper import Mapped, Part
from ..outcome import SkipDocument
from .base import Kind
from .parties import CUSTOMER, EMPLOYEE

if TYPE_CHECKING:
	from qbo_connector.qbo.client import QBOClient

	from ..push import PushMixin
	from ..store import ConnectionConfig

DOCTYPE = "Timesheet"
ENTITY = "TimeActivity"
NOT_MAPPED = "EMPLOYEE_NOT_MAPPED"


def _part(body: dict[str, Any], mark: str) -> Mapped:
	# QBO queries time by date, not by employee: the marker at the end of the Description finds ours.
	return Mapped(entity=ENTITY, body=body, marker=mark, marker_field="Description", party_filterable=False)


def map_time(doc: Mapping[str, Any], ctx: MappingContext) -> Mapped:
	sheet = map_timesheet(doc, ctx)
	rows = {int(row.get("idx") or pos): row for pos, row in enumerate(doc.get("time_logs") or [], start=1)}
	for part in sheet.parts:
		apply_time_dimensions(part.body, doc, rows.get(part.idx) or {"idx": part.idx}, ctx, DOCTYPE)
	parts = [
		Part(
			doctype=DOCTYPE if index == 0 else ROW_DOCTYPE,
			name=str(doc["name"]) if index == 0 else part.row,
			mapped=_part(part.body, part.marker),
		)
		for index, part in enumerate(sheet.parts)
	]
	first = parts[0].mapped
	return Mapped(
		entity=ENTITY,
		body=first.body,
		warnings=list(sheet.warnings),
		source=sheet,
		marker=first.marker,
		marker_field=first.marker_field,
		party_filterable=False,
		parts=parts,
	)


def locate(doc: Mapping[str, Any], doctype: str, name: str) -> Mapped | None:
	"""The date and marker of the activity a link stands for: the document's is its first log with hours."""
	rows = [row for row in doc.get("time_logs") or [] if D(row.get("hours")) > 0]
	if doctype != ROW_DOCTYPE:
		row = rows[0] if rows else None
	else:
		row = next((r for r in rows if str(r.get("name")) == name), None)
	if row is None:
		return None
	idx = int(row.get("idx") or 0)
	day = iso_date(row.get("from_time")) or iso_date(doc.get("start_date"))
	return _part({"TxnDate": day}, marker(str(doc["name"]), idx))


def prepare(
	engine: PushMixin,
	client: QBOClient,
	config: ConnectionConfig,
	ctx: MappingContext,
	doc: dict[str, Any],
	probe: Mapped,
) -> None:
	"""The employee's QBO Employee from the map, or Skipped naming the person; then the customer."""
	employee = KIND.party_name(doc)
	link = engine.store.get_link(config.realm_id, EMPLOYEE.doctype, employee) if employee else None
	if link is None or link.state != "synced" or not link.qbo_id:
		person = doc.get("employee_name") or employee
		raise SkipDocument(
			NOT_MAPPED,
			f"{DOCTYPE} {doc['name']} was not sent: employee {employee} ({person}) has no QuickBooks employee in "
			"the Employee map, and time is never booked to someone else. Pull QuickBooks employees on the QBO "
			"Connection (a QuickBooks employee of the same e-mail or name is mapped), or link the employee to "
			"one in QBO Link; the timesheet is sent once the employee is mapped.",
		)
	ctx.employee_ref = link.qbo_id
	if doc.get("customer"):
		ctx.customer_ref = engine._ensure_party(
			client, config, ctx, CUSTOMER, str(doc["customer"]), DOCTYPE, doc["name"], "customer"
		)


KIND = Kind(
	key="timesheet",
	doctype=DOCTYPE,
	title="timesheet",
	plural="timesheets",
	entity=ENTITY,
	map=map_time,
	party=EMPLOYEE,
	party_field="employee",
	depends=("party", "customer"),
	lookup=("note",),
	cancel=("delete",),
	cancel_note="QuickBooks has no void for time, so the activities were deleted there.",
	switch="push_timesheets",
	date_field="start_date",
	watched=False,
	rows="time_logs",
	row_doctype=ROW_DOCTYPE,
	locate=locate,
	prepare=prepare,
)
