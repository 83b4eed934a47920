// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// On every document a kind sends (frappe.boot.qbo_connector_kinds), and on Customers, Suppliers, Employees
// (the Employee map) and Items:
// where it stands in QuickBooks, told at a glance and kept current while the form is open. The server decides
// the state (status.py document_states); this file only shows it: in QuickBooks (with its QuickBooks number
// and a link), with a difference (amber, why), waiting (why), sending, failed (red, why, when it is tried
// again, Retry), voided, flagged, not sent.

(function () {
	// This file is loaded with each of the four forms; register the handlers once per page.
	if (window.qbo_connector_status_loaded) return;
	window.qbo_connector_status_loaded = true;
	frappe.provide("qbo_connector");

	const METHOD = "qbo_connector.qbo_connector.doctype.qbo_link.qbo_link.get_document_status";
	const RETRY = "qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log.retry";
	const EVENT = "qbo_document_status";
	const RETRY_ROLES = ["Accounts Manager", "System Manager"];
	// the worst state decides the colour of the whole block
	const RANK = { failed: 6, difference: 5, waiting: 4, flagged: 4, sending: 3, not_sent: 2, voided: 1, deleted: 1, in_qbo: 0 };
	const esc = (text) => frappe.utils.escape_html(text == null ? "" : String(text));

	function can_retry() {
		return RETRY_ROLES.some((role) => frappe.user.has_role(role));
	}

	function line(frm, state, several) {
		const bits = [
			`<span class="indicator-pill ${state.color} qbo-state" data-state="${esc(state.state)}">${esc(state.label)}</span>`,
		];
		if (state.reference) {
			const ref = `<b class="qbo-reference">${esc(state.reference)}</b>`;
			bits.push(state.url ? `<a href="${encodeURI(state.url)}" target="_blank" rel="noopener">${ref}</a>` : ref);
		}
		if (several && state.company) bits.push(esc(state.company));
		let html = `<div class="qbo-status-line" style="display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;">${bits.join("")}`;
		if (state.url) {
			html += `<a class="qbo-open" href="${encodeURI(state.url)}" target="_blank" rel="noopener">${__("Open in QuickBooks")}</a>`;
		}
		if (state.log) {
			html += `<a class="qbo-log text-muted" href="/app/qbo-sync-log/${encodeURIComponent(state.log)}">${__("Sync log")}</a>`;
		}
		if (state.can_retry && can_retry() && state.log && ["failed", "waiting", "difference"].includes(state.state)) {
			html += `<button class="btn btn-xs btn-default qbo-retry" data-log="${esc(state.log)}">${__("Retry")}</button>`;
		}
		html += "</div>";
		const details = [state.message, state.retry_note].filter(Boolean).map(esc);
		if (details.length) {
			html += `<div class="qbo-status-message small" style="margin-top:4px;">${details.join(" ")}</div>`;
		}
		return `<div class="qbo-status" data-state="${esc(state.state)}" style="margin:2px 0;">${html}</div>`;
	}

	function clear(frm) {
		// only our block: ERPNext may show its own messages in the same place
		frm.layout.message.find(".qbo-status-block").closest(".form-message").remove();
		if (!frm.layout.message.children().length) frm.layout.message.addClass("hidden");
	}

	function render(frm, states) {
		frm.__qbo_states = states || [];
		clear(frm);
		if (!frm.__qbo_states.length) return;
		const worst = frm.__qbo_states.reduce((a, b) => ((RANK[b.state] || 0) > (RANK[a.state] || 0) ? b : a));
		const color = { green: "green", orange: "orange", yellow: "yellow", blue: "blue", red: "red" }[worst.color] || "gray";
		const several = frm.__qbo_states.length > 1;
		const html = `<div class="qbo-status-block"><div class="small text-muted" style="margin-bottom:2px;">${__("QuickBooks")}</div>${frm.__qbo_states
			.map((state) => line(frm, state, several))
			.join("")}</div>`;
		frm.dashboard.set_headline_alert(html, color);
		frm.layout.message.find(".qbo-retry").on("click", (e) => {
			const $btn = $(e.currentTarget);
			$btn.prop("disabled", true);
			frappe.call({ method: RETRY, args: { name: $btn.attr("data-log") } }).always(() => $btn.prop("disabled", false));
		});
		add_buttons(frm);
	}

	function add_buttons(frm) {
		(frm.__qbo_states || []).forEach((state) => {
			if (state.url && !frm.__qbo_open_button) {
				frm.__qbo_open_button = true;
				frm.add_custom_button(__("Open in QuickBooks"), () => window.open(state.url, "_blank", "noopener"), __("QuickBooks"));
			}
			if (state.log && !frm.__qbo_log_button) {
				frm.__qbo_log_button = true;
				frm.add_custom_button(__("Sync Log"), () => frappe.set_route("Form", "QBO Sync Log", state.log), __("QuickBooks"));
			}
		});
	}

	function show(frm) {
		frm.__qbo_open_button = false;
		frm.__qbo_log_button = false;
		if (frm.is_new() || !frappe.model.can_read("QBO Link")) return;
		frappe.call({ method: METHOD, args: { doctype: frm.doctype, name: frm.doc.name } }).then((r) => render(frm, r.message));
	}

	// One listener per page: whichever form is open and is the document the event names is updated in place
	// (no reload, so nothing the user is typing is lost), with a short alert when the state changed.
	frappe.realtime.on(EVENT, (data) => {
		const frm = window.cur_frm;
		if (!data || !frm || frm.doctype !== data.doctype || frm.docname !== data.name) return;
		const before = (frm.__qbo_states || []).map((s) => s.state + "|" + (s.log || "")).join(",");
		const after = (data.states || []).map((s) => s.state + "|" + (s.log || "")).join(",");
		render(frm, data.states);
		const first = (data.states || [])[0];
		if (first && before !== after) {
			const text = [first.label, first.reference].filter(Boolean).join(": ");
			frappe.show_alert({ message: esc(text), indicator: first.color }, 7);
			// the timeline line the server just wrote (Info lines are not pushed to open forms by frappe)
			frappe
				.call({ method: "frappe.desk.form.load.get_docinfo", args: { doctype: frm.doctype, name: frm.docname } })
				.then(() => frm.timeline && frm.timeline.refresh());
		}
	});

	qbo_connector.show_document_status = show;
	const kinds = ((frappe.boot && frappe.boot.qbo_connector_kinds) || []).map((kind) => kind.doctype);
	[...new Set([...kinds, "Customer", "Supplier", "Employee", "Item"])].forEach((doctype) => {
		frappe.ui.form.on(doctype, { refresh: show });
	});
})();
