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
	// One row per check: what was checked, a verdict pill, and the sentence naming both sides (the pill
	// says OK or Problem; the sentence says what, so the two never repeat each other).
	const esc = frappe.utils.escape_html;
	const rows = (results || [])
		.map((r) => {
			const color = r.ok ? "green" : "red";
			const word = r.ok ? __("OK") : __("Problem");
			return `<tr class="qbo-check ${r.ok ? "qbo-check-ok" : "qbo-check-problem"}">
				<td class="text-nowrap">${esc(r.label || "")}</td>
				<td><span class="indicator-pill ${color}">${word}</span></td>
				<td class="qbo-check-message">${esc(r.message || "")}</td>
			</tr>`;
		})
		.join("");
	const problems = (results || []).filter((r) => !r.ok).length;
	const summary = results && results.length
		? problems
			? __("{0} of {1} rows need attention.", [problems, results.length])
			: __("All {0} rows are fine.", [results.length])
		: __("Nothing to check yet: add rows first.");
	const dialog = new frappe.ui.Dialog({
		title,
		indicator: problems ? "red" : "green",
		size: "extra-large",
		fields: [{ fieldtype: "HTML", fieldname: "results" }],
	});
	dialog.fields_dict.results.$wrapper.html(`<p class="qbo-check-summary">${summary}</p>
		<table class="table table-bordered table-sm qbo-check-results"><tbody>${rows}</tbody></table>`);
	dialog.show();
	return dialog;
};

// A QuickBooks reference is stored as its id; people know it by its name. In an Autocomplete picker the
// name is what the input shows (the control maps it back to the id), and the id is a detail under it.
qbo_connector.show_reference_names = function (frm, fieldnames) {
	fieldnames.forEach((fieldname) => {
		const field = frm.get_field(fieldname);
		if (!field || !field.df) return;
		if (field.__qbo_description === undefined) field.__qbo_description = field.df.description || "";
		const value = frm.doc[fieldname];
		const name = frm.doc[fieldname + "_name"];
		field.df.description = value
			? [field.__qbo_description, __("QuickBooks ID {0}", [value])].filter(Boolean).join(" · ")
			: field.__qbo_description;
		if (value && field.set_data) {
			const known = (field._data || []).filter((d) => d.value !== value);
			field.set_data([{ value: String(value), label: name || String(value) }].concat(known));
		}
		field.refresh();
	});
};

// The same in a child table: the grid cell shows "name · id", the row's picker shows the name.
qbo_connector.show_row_reference_names = function (frm, table, fieldname) {
	const esc = frappe.utils.escape_html;
	const name_field = fieldname + "_name";
	const child_doctype = frm.fields_dict[table].grid.doctype;
	const formatter = (value, _df, _options, doc) => {
		if (!value) return "";
		const name = doc && doc[name_field];
		return name
			? `<span class="qbo-ref-name">${esc(name)}</span> <span class="text-muted small">· ${esc(value)}</span>`
			: esc(value);
	};
	// frappe keeps one copy of a child table's fields per document (and one more once a new document is
	// saved under its name): give every copy the formatter, then redraw the table.
	const base = (frappe.meta.docfield_map[child_doctype] || {})[fieldname];
	if (base) base.formatter = formatter;
	Object.values(frappe.meta.docfield_copy[child_doctype] || {}).forEach((fields) => {
		if (fields[fieldname]) fields[fieldname].formatter = formatter;
	});
	const current = frm.get_docfield(table, fieldname);
	if (current) current.formatter = formatter;
	frm.refresh_field(table);
	frm.__qbo_row_names = frm.__qbo_row_names || {};
	if (frm.__qbo_row_names[table + fieldname]) return;
	frm.__qbo_row_names[table + fieldname] = true;
	frappe.ui.form.on(frm.fields_dict[table].grid.doctype, {
		form_render(frm, cdt, cdn) {
			const row = locals[cdt][cdn];
			const grid_row = frm.fields_dict[table].grid.grid_rows_by_docname[cdn];
			const control = grid_row && grid_row.grid_form && grid_row.grid_form.fields_dict[fieldname];
			if (!row || !control || !row[fieldname] || !control.set_data) return;
			control.set_data([{ value: String(row[fieldname]), label: row[name_field] || String(row[fieldname]) }]);
			control.refresh();
		},
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
