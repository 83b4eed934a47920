// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// On every document a kind sends (frappe.boot.qbo_connector_kinds), and on Customers, Suppliers, Employees
// (the Employee map) and Items: where it lives in QuickBooks, with a link to open it.

(function () {
	// This file is loaded with each of the four forms; register the handlers once per page.
	if (window.qbo_connector_status_loaded) return;
	window.qbo_connector_status_loaded = true;
	const COLORS = { Synced: "green", Pending: "blue", Failed: "red", Voided: "gray", Deleted: "gray", Closed: "gray", Flagged: "orange" };

	// When a failed push is tried again: the log row's next_retry_at, or never until the data is fixed.
	function retry_note(entry) {
		if (entry.retry === "scheduled" && entry.next_retry_at) {
			return __("Next automatic retry {0}", [frappe.datetime.str_to_user(entry.next_retry_at)]);
		}
		if (entry.retry === "manual") {
			return __("No automatic retry: fix the cause, then use Retry in the sync log");
		}
		return __("Waits for a fix: retried automatically once the document or its settings change");
	}

	function show_qbo_status(frm) {
		if (frm.is_new() || !frappe.model.can_read("QBO Link")) return;
		frappe
			.call({
				method: "qbo_connector.qbo_connector.doctype.qbo_link.qbo_link.get_document_status",
				args: { doctype: frm.doctype, name: frm.doc.name },
			})
			.then((r) => {
				const entries = r.message || [];
				const esc = frappe.utils.escape_html;
				const lines = entries.map((entry) => {
					const color = COLORS[entry.state] || "gray";
					const bits = [`<span class="indicator-pill ${color}">${esc(__(entry.state))}</span>`];
					if (entry.qbo_id) bits.push(esc(`${entry.qbo_entity} ${entry.qbo_id}`));
					if (entry.company) {
						// several QuickBooks companies can hold the same document: name the realm then
						bits.push(esc(entries.length > 1 && entry.realm_id ? `${entry.company} (${entry.realm_id})` : entry.company));
					}
					if (entry.url) {
						bits.push(`<a href="${encodeURI(entry.url)}" target="_blank" rel="noopener">${__("Open in QuickBooks")}</a>`);
					}
					if (entry.log) {
						bits.push(`<a href="/app/qbo-sync-log/${encodeURIComponent(entry.log)}">${__("See the sync log")}</a>`);
					}
					if (entry.message && entry.state !== "Synced") bits.push(esc(entry.message));
					if (entry.state === "Failed") bits.push(esc(retry_note(entry)));
					return `<div>${__("QuickBooks")}: ${bits.join(" · ")}</div>`;
				});
				if (lines.length) {
					frm.dashboard.set_headline_alert(lines.join(""));
				}
				entries.forEach((entry) => {
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

	const kinds = ((frappe.boot && frappe.boot.qbo_connector_kinds) || []).map((kind) => kind.doctype);
	[...new Set([...kinds, "Customer", "Supplier", "Employee", "Item"])].forEach((doctype) => {
		frappe.ui.form.on(doctype, { refresh: show_qbo_status });
	});
})();
