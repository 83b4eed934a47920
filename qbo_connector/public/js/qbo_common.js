// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// Shared helpers for the QuickBooks forms: live pickers and the per-row check report.

frappe.provide("qbo_connector");

qbo_connector.LOOKUPS = "qbo_connector.qbo_connector.lookups.";
qbo_connector.OAUTH = "qbo_connector.qbo_connector.oauth.";

qbo_connector.set_picker = function (frm, fieldname, kind, extra_params, table) {
	const method = qbo_connector.LOOKUPS + "search_" + kind;
	const query = (doc, cdt, cdn) => {
		const params = Object.assign({ company: doc.company }, extra_params ? extra_params(doc, cdt, cdn) : {});
		return { query: method, params };
	};
	if (table) {
		frm.set_query(fieldname, table, query);
	} else {
		frm.set_query(fieldname, query);
	}
};

qbo_connector.show_check_results = function (title, results) {
	const rows = (results || [])
		.map((r) => {
			const color = r.ok ? "green" : "red";
			const word = r.ok ? __("OK") : __("Problem");
			return `<tr>
				<td class="text-nowrap">${frappe.utils.escape_html(r.label || "")}</td>
				<td><span class="indicator-pill ${color}">${word}</span></td>
				<td>${frappe.utils.escape_html(r.message || "")}</td>
			</tr>`;
		})
		.join("");
	const problems = (results || []).filter((r) => !r.ok).length;
	const summary = results && results.length
		? problems
			? __("{0} of {1} rows need attention.", [problems, results.length])
			: __("All {0} rows are fine.", [results.length])
		: __("Nothing to check yet: add rows first.");
	frappe.msgprint({
		title,
		indicator: problems ? "red" : "green",
		wide: true,
		message: `<p>${summary}</p>
			<table class="table table-bordered table-sm"><tbody>${rows}</tbody></table>`,
	});
};

// QuickBooks records linked to more than one ERPNext record (api.check_duplicate_links), one row each.
qbo_connector.check_duplicate_links = function (company) {
	frappe
		.call({ method: "qbo_connector.qbo_connector.api.check_duplicate_links", args: { company }, freeze: true })
		.then((r) => {
			const found = r.message || [];
			const rows = found
				.map((d) => {
					const records = (d.records || [])
						.map((rec) => `${frappe.utils.get_form_link(rec.doctype, rec.name, true)} <span class="text-muted">(${frappe.utils.escape_html(__(rec.state || ""))})</span>`)
						.join("<br>");
					return `<tr>
						<td class="text-nowrap">${frappe.utils.escape_html(`${d.qbo_entity} ${d.qbo_id}`)}</td>
						<td>${records}</td>
						<td>${frappe.utils.escape_html(d.message || "")}</td>
					</tr>`;
				})
				.join("");
			frappe.msgprint({
				title: __("Duplicate Links"),
				indicator: found.length ? "red" : "green",
				wide: true,
				message: found.length
					? `<p>${__("{0} QuickBooks records are linked to more than one ERPNext record.", [found.length])}</p>
						<table class="table table-bordered table-sm"><tbody>${rows}</tbody></table>`
					: `<p>${__("Every QuickBooks record is linked to at most one ERPNext record.")}</p>`,
			});
		});
};

qbo_connector.add_refresh_lists_button = function (frm) {
	if (!frm.doc.company) return;
	frm.add_custom_button(
		__("Refresh QuickBooks Lists"),
		() => {
			const calls = ["accounts", "tax_codes", "items"].map((kind) =>
				frappe.call({
					method: qbo_connector.LOOKUPS + "search_" + kind,
					args: { company: frm.doc.company, refresh: 1 },
				})
			);
			Promise.all(calls).then(() =>
				frappe.show_alert({ message: __("QuickBooks lists refreshed"), indicator: "green" })
			);
		},
		__("QuickBooks")
	);
};

qbo_connector.connect = function (company, return_to) {
	frappe
		.call({ method: qbo_connector.OAUTH + "connect", args: { company, return_to: return_to || null }, freeze: true })
		.then((r) => {
			if (r.message && r.message.url) {
				window.location.href = r.message.url;
			}
		});
};

qbo_connector.disconnect = function (company, done) {
	frappe.confirm(
		__("Disconnect {0} from QuickBooks? Nothing is sent or received until it is connected again.", ["<b>" + frappe.utils.escape_html(company) + "</b>"]),
		() =>
			frappe
				.call({ method: qbo_connector.OAUTH + "disconnect", args: { company }, freeze: true })
				.then(() => done && done())
	);
};

qbo_connector.open_map = function (doctype, company) {
	frappe.db.exists(doctype, company).then((exists) => {
		if (exists) {
			frappe.set_route("Form", doctype, company);
		} else {
			frappe.new_doc(doctype, { company });
		}
	});
};
