// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

// Our helpers (public/js/qbo_common.js) are appended after this file: make the namespace first.
frappe.provide("qbo_connector");

frappe.ui.form.on("QBO Tax Map", {
	setup(frm) {
		qbo_connector.set_picker(frm, "qbo_tax_code", "tax_codes", null, "taxes");
		frm.set_query("sales_taxes_template", "taxes", (doc) => ({ filters: { company: doc.company } }));
		frm.set_query("item_tax_template", "taxes", (doc) => ({ filters: { company: doc.company } }));
		frm.set_query("tax_account", "taxes", (doc) => ({
			filters: { company: doc.company, is_group: 0, account_type: "Tax" },
		}));
	},
	refresh(frm) {
		qbo_connector.show_row_reference_names(frm, "taxes", "qbo_tax_code");
		if (frm.is_new()) return;
		frm.add_custom_button(__("Validate Mappings"), () => {
			frm.call({ method: "validate_mappings", doc: frm.doc, freeze: true }).then((r) => {
				frm.reload_doc();
				qbo_connector.show_check_results(__("Tax mappings"), r.message);
			});
		}).addClass("btn-primary");
		qbo_connector.add_refresh_lists_button(frm);
	},
});
