"""What the desk scripts need to know at boot: the document kinds, so a form shows "Push to QuickBooks"
only on documents of a kind (a Payment Entry received from a customer, not an internal transfer)."""

from __future__ import annotations

from typing import Any

from qbo_connector.sync import kinds


def desk_kinds() -> list[dict[str, Any]]:
	"""Each kind as the desk reads it: doctype, title, filters (0/1 by truth) and the not_pulled field."""
	return [
		{
			"doctype": kind.doctype,
			"title": kind.title,
			"entity": kind.entity,
			"filters": dict(kind.filters),
			"not_pulled": kind.not_pulled,
		}
		for kind in kinds.KINDS
		if kind.direction != "pull"
	]


def extend_bootinfo(bootinfo: Any) -> None:
	bootinfo.qbo_connector_kinds = desk_kinds()
