// Copyright (c) 2026, qbo_connector contributors
// License: MIT. See license.txt

// Our helpers (public/js/qbo_common.js) are appended after this file: make the namespace first.
frappe.provide("qbo_connector");

frappe.ui.form.on("QBO Class and Location Map", {
	setup(frm) {
		qbo_connector.set_picker(frm, "qbo_class", "classes", null, "classes");
		qbo_connector.set_picker(frm, "qbo_location", "locations", null, "locations");
		frm.set_query("cost_center", "classes", (doc) => ({ filters: { company: doc.company, is_group: 0 } }));
	},
	refresh(frm) {
		if (frm.is_new()) return;
		qbo_connector.add_refresh_lists_button(frm);
	},
});
