// Copyright (c) 2026, qbo_connector contributors
// License: MIT. See license.txt
// "Preview in QuickBooks" on every document of a kind the connector sends (frappe.boot.qbo_connector_kinds, as
// qbo_sync.js reads them): the JSON a push would send, the total QuickBooks is predicted to compute beside
// ERPNext's, and what the push would create. Nothing is written.

(function () {
	if (window.qbo_connector_preview_loaded) return;
	window.qbo_connector_preview_loaded = true;
	const METHOD = "qbo_connector.qbo_connector.preview.preview";
	const READERS = ["Accounts User", "Accounts Manager", "System Manager"];
	const esc = (value) => frappe.utils.escape_html(value === null || value === undefined ? "" : String(value));
	const COLORS = { create: "blue", update: "blue", unchanged: "green", skipped: "gray", fails: "red" };

	function money(value, currency) {
		return value === null || value === undefined ? "-" : esc(format_currency(value, currency));
	}

	function render(result, currency) {
		const parts = [];
		const color = COLORS[result.action] || "gray";
		parts.push(`<p><span class="indicator-pill ${color}">${esc(__(result.action))}</span> ${esc(result.message)}</p>`);
		if (result.draft) parts.push(`<p class="text-muted">${esc(__("This is a draft: shown as it would be sent once submitted."))}</p>`);
		if (result.erp_total !== null && result.erp_total !== undefined) {
			const diff = Number(result.difference || 0);
			const diff_color = diff === 0 ? "green" : Math.abs(diff) <= Number(result.tolerance || 0) ? "orange" : "red";
			parts.push(`<table class="table table-bordered table-sm"><tbody>
				<tr><th>${esc(__("ERPNext Grand Total"))}</th><td class="text-right">${money(result.erp_total, currency)}</td></tr>
				<tr><th>${esc(__("QuickBooks Will Compute"))}</th><td class="text-right">${money(result.predicted_total, currency)}</td></tr>
				<tr><th>${esc(__("Difference"))}</th><td class="text-right"><span class="indicator-pill ${diff_color}">${money(result.difference, currency)}</span>
					<span class="text-muted small">${esc(__("rounding tolerance {0}", [result.tolerance || "0.01"]))}</span></td></tr>
				${result.predicted_tax !== null && result.predicted_tax !== undefined ? `<tr><th>${esc(__("QuickBooks Tax"))}</th><td class="text-right">${money(result.predicted_tax, currency)}</td></tr>` : ""}
			</tbody></table>`);
		}
		const writes = result.writes || [];
		if (writes.length) {
			const rows = writes
				.map((w) => `<tr><td>${esc(__(w.operation))}</td><td>${esc(w.entity)}</td><td>${esc(w.name)}</td><td>${esc(w.record)}</td><td class="text-muted">${esc(w.placeholder || "")}</td></tr>`)
				.join("");
			parts.push(`<h6>${esc(__("What the push would write in QuickBooks"))}</h6>
				<table class="table table-bordered table-sm"><thead><tr><th>${esc(__("Action"))}</th><th>${esc(__("Entity"))}</th><th>${esc(__("Name"))}</th><th>${esc(__("For"))}</th><th>${esc(__("Shown as"))}</th></tr></thead><tbody>${rows}</tbody></table>`);
		}
		const lists = [
			[__("Found in QuickBooks"), result.notes || []],
			[__("Notes"), result.warnings || []],
		];
		lists.forEach(([title, items]) => {
			if (items.length) parts.push(`<h6>${esc(title)}</h6><ul>${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`);
		});
		if (result.body) {
			parts.push(`<h6>${esc(__("JSON the push would send"))}</h6>
				<pre style="max-height: 24em; overflow: auto; font-size: 11px;">${esc(JSON.stringify(result.body, null, 1))}</pre>`);
		}
		return parts.join("");
	}

	function show(frm) {
		frappe.call({ method: METHOD, args: { doctype: frm.doctype, name: frm.doc.name }, freeze: true, freeze_message: __("Asking QuickBooks...") }).then((r) => {
			const result = r.message || {};
			const currency = frm.doc.currency || frm.doc.paid_from_account_currency;
			const dialog = new frappe.ui.Dialog({
				title: __("Preview in QuickBooks: {0}", [frm.doc.name]),
				size: "extra-large",
				fields: [{ fieldtype: "HTML", fieldname: "preview" }],
			});
			dialog.fields_dict.preview.$wrapper.html(render(result, currency));
			dialog.show();
		});
	}

	function add_button(frm) {
		if (frm.is_new() || frm.doc.docstatus === 2) return;
		if (!READERS.some((role) => frappe.user.has_role(role))) return;
		if (!qbo_connector.kind_of || !qbo_connector.kind_of(frm.doc)) return; // not a document the connector sends
		frm.add_custom_button(__("Preview in QuickBooks"), () => show(frm), __("QuickBooks"));
	}

	const KINDS = (frappe.boot && frappe.boot.qbo_connector_kinds) || [];
	[...new Set(KINDS.map((kind) => kind.doctype))].forEach((doctype) => frappe.ui.form.on(doctype, { refresh: add_button }));
})();
