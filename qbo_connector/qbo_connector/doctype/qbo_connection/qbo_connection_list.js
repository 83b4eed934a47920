// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

// Every company's connection at a glance: connected or not (and paused), and to which QuickBooks company.
frappe.listview_settings["QBO Connection"] = {
	add_fields: ["status", "enabled", "qbo_company_name", "realm_id", "last_error"],
	get_indicator(doc) {
		if (!doc.enabled) return [__("Paused"), "gray", "enabled,=,0"];
		const colors = { Connected: "green", "Not connected": "orange", "Reconnect needed": "red" };
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
	formatters: {
		realm_id(value, df, doc) {
			if (!value) return "";
			const name = doc.qbo_company_name ? `${frappe.utils.escape_html(doc.qbo_company_name)} ` : "";
			// one element: Frappe 16's list measures a column with $(html), which reads bare text as a selector
			// (and then draws no rows at all)
			return `<span class="qbo-realm">${name}<span class="text-muted">(${frappe.utils.escape_html(value)})</span></span>`;
		},
	},
};
