// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

frappe.listview_settings["QBO Link"] = {
	add_fields: ["state"],
	get_indicator(doc) {
		const colors = { Synced: "green", Pending: "blue", Voided: "gray", Deleted: "gray", Closed: "gray", Flagged: "orange" };
		return [__(doc.state), colors[doc.state] || "gray", "state,=," + doc.state];
	},
};
