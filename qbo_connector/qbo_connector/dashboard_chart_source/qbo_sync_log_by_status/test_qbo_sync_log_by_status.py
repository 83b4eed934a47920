# Copyright (c) 2025, qbo_connector contributors
# License: MIT. See license.txt

"""The workspace chart colours each status like the log's list indicators, where frappe reads colours."""

from __future__ import annotations

import json

import frappe

from qbo_connector.qbo_connector.dashboard_chart_source.qbo_sync_log_by_status import (
	qbo_sync_log_by_status as source,
)
from qbo_connector.qbo_connector.tests.utils import TestCase

INDICATOR = {
	"Success": "#29CD42",
	"Warning": "#ECAD4B",
	"Failed": "#E24C4C",
	"Skipped": "#98A1A9",
	"Interrupted": "#525252",
}


class TestQBOSyncActivityChart(TestCase):
	def test_colours_follow_the_datasets_in_custom_options(self) -> None:
		chart = frappe.get_doc("Dashboard Chart", "QBO Sync Activity")
		colors = json.loads(chart.custom_options)["colors"]
		data = source.get(chart_name=chart.name, no_cache=1)
		names = [d["name"] for d in data["datasets"]]
		self.assertEqual(names, list(source.STATUSES))
		self.assertEqual(dict(zip(names, colors, strict=True)), INDICATOR)

	def test_default_is_a_week_by_day(self) -> None:
		chart = frappe.get_doc("Dashboard Chart", "QBO Sync Activity")
		self.assertEqual((chart.timespan, chart.time_interval), ("Last Week", "Daily"))
		data = source.get(chart_name=chart.name, no_cache=1)
		self.assertLessEqual(len(data["labels"]), 8)
