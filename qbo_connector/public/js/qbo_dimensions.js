// Copyright (c) 2026, qbo_connector contributors
// License: MIT. See license.txt
// Classes and locations on QBO Connection: pickers for the default class and location (QuickBooks lists),
// and the way to the QBO Class and Location Map.

(function () {
	if (window.qbo_connector_dimensions_loaded) return;
	window.qbo_connector_dimensions_loaded = true;

	frappe.ui.form.on("QBO Connection", {
		setup(frm) {
			qbo_connector.set_picker(frm, "default_class", "classes");
			qbo_connector.set_picker(frm, "default_location", "locations");
		},
		refresh(frm) {
			qbo_connector.show_reference_names(frm, ["default_class", "default_location"]);
			if (frm.is_new() || frm.doc.status !== "Connected") return;
			frm.add_custom_button(__("Class and Location Map"), () => qbo_connector.open_map("QBO Class and Location Map", frm.doc.company), __("Go to"));
		},
	});
})();
