// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// On a Sales Invoice, Payment Entry, Customer or Item: where it lives in QuickBooks, with a link to open it.

(function () {
	// This file is loaded with each of the four forms; register the handlers once per page.
	if (window.qbo_connector_status_loaded) return;
	window.qbo_connector_status_loaded = true;
	const COLORS = { Synced: "green", Pending: "blue", Failed: "red", Voided: "gray", Deleted: "gray", Flagged: "orange" };

	function show_qbo_status(frm) {
		if (frm.is_new() || !frappe.model.can_read("QBO Link")) return;
		frappe
			.call({
				method: "qbo_connector.qbo_connector.doctype.qbo_link.qbo_link.get_document_status",
				args: { doctype: frm.doctype, name: frm.doc.name },
			})
			.then((r) => {
				(r.message || []).forEach((entry) => {
					const label = __("QuickBooks: {0}", [__(entry.state)]);
					frm.dashboard.add_indicator(label, COLORS[entry.state] || "gray");
					if (entry.url) {
						frm.add_custom_button(
							__("Open in QuickBooks") + (entry.company ? ` (${entry.company})` : ""),
							() => window.open(entry.url, "_blank", "noopener"),
							__("QuickBooks")
						);
					}
					if (entry.log) {
						frm.add_custom_button(
							__("Sync Log"),
							() => frappe.set_route("Form", "QBO Sync Log", entry.log),
							__("QuickBooks")
						);
					}
				});
			});
	}

	["Sales Invoice", "Payment Entry", "Customer", "Item"].forEach((doctype) => {
		frappe.ui.form.on(doctype, { refresh: show_qbo_status });
	});
})();
