// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["QBO Sync Log by Status"] = {
	method: "qbo_connector.qbo_connector.dashboard_chart_source.qbo_sync_log_by_status.qbo_sync_log_by_status.get",
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
		},
	],
};
