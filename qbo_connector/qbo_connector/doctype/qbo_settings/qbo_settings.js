// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

// Our helpers (public/js/qbo_common.js) are appended after this file: make the namespace first.
frappe.provide("qbo_connector");

const QBO_SETTINGS_COLORS = { Connected: "green", "Not connected": "gray", "Reconnect needed": "red" };

frappe.ui.form.on("QBO Settings", {
	refresh(frm) {
		frm.set_df_property("redirect_uri", "read_only", 1);
		qbo_connector.render_connections(frm);
	},
	after_save(frm) {
		qbo_connector.render_connections(frm);
	},
});

qbo_connector.render_connections = function (frm) {
	const $wrapper = frm.get_field("connections_html").$wrapper;
	frappe.call({ method: qbo_connector.OAUTH + "get_connections" }).then((r) => {
		const rows = r.message || [];
		$wrapper.empty();
		if (!rows.length) {
			$wrapper.html(`<p class="text-muted">${__("Create a Company first.")}</p>`);
			return;
		}
		const esc = frappe.utils.escape_html;
		const status_pill = (row) =>
			`<span class="indicator-pill ${QBO_SETTINGS_COLORS[row.status] || "gray"} qbo-status text-nowrap"
				data-company="${esc(row.company)}">${__(row.status)}</span>`;
		const buttons = (row) => {
			if (!row.can_connect) return "";
			const company = esc(row.company);
			if (row.status === "Connected") {
				return `<button class="btn btn-default btn-sm qbo-disconnect" data-company="${company}">${__("Disconnect")}</button>`;
			}
			const label = row.status === "Reconnect needed" ? __("Reconnect") : __("Connect to QuickBooks");
			return `<button class="btn btn-primary btn-sm qbo-connect" data-company="${company}">${label}</button>`;
		};
		const details = (row) => {
			const bits = [];
			if (row.qbo_company_name) bits.push(esc(row.qbo_company_name));
			if (row.realm_id) bits.push(__("Company ID {0}", [esc(row.realm_id)]));
			if (row.last_connected) {
				const when = frappe.datetime.comment_when(row.last_connected);
				bits.push(row.status === "Connected" ? __("connected {0}", [when]) : __("last connected {0}", [when]));
			}
			return bits.join(" · ");
		};
		const open_link = (row) =>
			row.exists
				? `<a href="${frappe.utils.get_form_link("QBO Connection", row.company)}">${__("Open connection settings")}</a>`
				: "";
		let html;
		if (rows.length === 1) {
			const row = rows[0];
			html = `<div class="qbo-connection-card" style="padding: var(--padding-md); border: 1px solid var(--border-color); border-radius: var(--border-radius-md);">
				<div class="flex justify-between align-center" style="gap: var(--padding-md); flex-wrap: wrap;">
					<div>
						<div class="h6" style="margin-bottom: 4px;">${esc(row.company)} ${status_pill(row)}</div>
						<div class="text-muted small">${details(row)}</div>
					</div>
					<div>${buttons(row)}</div>
				</div>
				${row.last_error ? `<div class="text-danger small" style="margin-top: 8px;">${esc(row.last_error)}</div>` : ""}
				<div class="small" style="margin-top: 8px;">${open_link(row)}</div>
			</div>`;
		} else {
			html = `<table class="table table-bordered table-sm qbo-connections">
				<thead><tr><th>${__("Company")}</th><th>${__("Status")}</th><th>${__("QuickBooks")}</th><th></th></tr></thead>
				<tbody>${rows
					.map(
						(row) => `<tr>
							<td>${row.exists ? `<a href="${frappe.utils.get_form_link("QBO Connection", row.company)}">${esc(row.company)}</a>` : esc(row.company)}</td>
							<td>${status_pill(row)}${row.last_error ? `<div class="text-danger small">${esc(row.last_error)}</div>` : ""}</td>
							<td class="small text-muted">${details(row)}</td>
							<td class="text-right">${buttons(row)}</td>
						</tr>`
					)
					.join("")}</tbody></table>`;
		}
		$wrapper.html(html);
		$wrapper.find(".qbo-connect").on("click", (e) => {
			const company = $(e.currentTarget).attr("data-company");
			// Back to this page after Intuit: /app/... on Frappe 15, /desk/... on 16 (the server accepts both).
			const go = () => qbo_connector.connect(company, window.location.pathname);
			frm.is_dirty() ? frm.save().then(go) : go();
		});
		$wrapper.find(".qbo-disconnect").on("click", (e) => {
			qbo_connector.disconnect($(e.currentTarget).attr("data-company"), () => qbo_connector.render_connections(frm));
		});
	});
};
