// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

// Our helpers (public/js/qbo_common.js) are appended after this file: make the namespace first.
frappe.provide("qbo_connector");

frappe.ui.form.on("QBO Account Map", {
	setup(frm) {
		qbo_connector.set_picker(frm, "qbo_account", "accounts", (doc, cdt, cdn) => ({
			purpose: locals[cdt][cdn].purpose,
		}), "accounts");
		frm.set_query("erpnext_account", "accounts", (doc) => ({
			filters: { company: doc.company, is_group: 0 },
		}));
	},
	refresh(frm) {
		qbo_connector.show_row_reference_names(frm, "accounts", "qbo_account");
		if (frm.is_new()) return;
		frm.add_custom_button(__("Validate Mappings"), () => {
			frm.call({ method: "validate_mappings", doc: frm.doc, freeze: true }).then((r) => {
				frm.reload_doc();
				qbo_connector.show_check_results(__("Account mappings"), r.message);
			});
		}).addClass("btn-primary");
		qbo_connector.add_refresh_lists_button(frm);
	},
});
