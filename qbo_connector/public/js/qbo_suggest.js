// Copyright (c) 2026, qbo_connector contributors
// License: MIT. See license.txt
// "Suggest" on QBO Account Map and QBO Tax Map: rows matched by account number, name, type (tax codes by
// rate), each with how sure it is. Ticked rows are added to the form unsaved: Save is the confirmation.
// "Suggest Employee Map" on QBO Connection: ticked rows are written as QBO Link rows when confirmed.

(function () {
	if (window.qbo_connector_suggest_loaded) return;
	window.qbo_connector_suggest_loaded = true;
	const MODULE = "qbo_connector.qbo_connector.suggestions.";
	const COLORS = { High: "green", Medium: "blue", Low: "orange", Unmatched: "gray" };
	const esc = (value) => frappe.utils.escape_html(value === null || value === undefined ? "" : String(value));

	const ACCOUNTS = {
		label: __("Suggest"),
		method: "suggest_account_map",
		table: "accounts",
		title: __("Suggested Account Mappings"),
		matched: (s) => s.qbo_account,
		columns: [
			["purpose", __("Purpose")],
			["erpnext_account", __("ERPNext Account")],
			["qbo_account_name", __("QuickBooks Account")],
		],
		row: (s) => ({
			purpose: s.purpose,
			erpnext_account: s.erpnext_account,
			qbo_account: s.qbo_account,
			qbo_account_name: s.qbo_account_name,
			qbo_account_type: s.qbo_account_type,
			confidence: s.confidence,
			match_reason: s.match_reason,
		}),
	};
	const TAXES = {
		label: __("Suggest"),
		method: "suggest_tax_map",
		table: "taxes",
		title: __("Suggested Tax Mappings"),
		matched: (s) => s.qbo_tax_code,
		columns: [
			["sales_taxes_template", __("Tax Template")],
			["rate", __("Rate %")],
			["qbo_tax_code_name", __("QuickBooks Tax Code")],
		],
		row: (s) => ({
			sales_taxes_template: s.sales_taxes_template,
			qbo_tax_code: s.qbo_tax_code,
			qbo_tax_code_name: s.qbo_tax_code_name,
			confidence: s.confidence,
			match_reason: s.match_reason,
		}),
	};
	const CLASSES = {
		label: __("Suggest Classes"),
		method: "suggest_classes",
		table: "classes",
		title: __("Suggested Classes"),
		matched: (s) => s.qbo_class,
		columns: [
			["cost_center", __("Cost Center")],
			["qbo_class_name", __("QuickBooks Class")],
		],
		row: (s) => ({
			cost_center: s.cost_center,
			qbo_class: s.qbo_class,
			qbo_class_name: s.qbo_class_name,
			confidence: s.confidence,
			match_reason: s.match_reason,
		}),
	};
	const LOCATIONS = {
		label: __("Suggest Locations"),
		method: "suggest_locations",
		table: "locations",
		title: __("Suggested Locations"),
		matched: (s) => s.qbo_location,
		columns: [
			["erpnext_value", __("Branch")],
			["qbo_location_name", __("QuickBooks Location")],
		],
		row: (s) => ({
			erpnext_value: s.erpnext_value,
			qbo_location: s.qbo_location,
			qbo_location_name: s.qbo_location_name,
			confidence: s.confidence,
			match_reason: s.match_reason,
		}),
	};
	const KINDS = {
		"QBO Account Map": [ACCOUNTS],
		"QBO Tax Map": [TAXES],
		"QBO Class and Location Map": [CLASSES, LOCATIONS],
	};

	function show(frm, kind, suggestions) {
		if (!suggestions.length) {
			frappe.msgprint(__("Every account or template already has a row: nothing to suggest."));
			return;
		}
		const head = kind.columns.map(([, label]) => `<th>${esc(label)}</th>`).join("");
		const body = suggestions
			.map((s, i) => {
				const matched = Boolean(kind.matched(s));
				const cells = kind.columns.map(([field]) => `<td>${esc(s[field] || (field.startsWith("qbo_") ? __("(none)") : ""))}</td>`).join("");
				return `<tr class="${matched ? "" : "text-muted"}">
					<td><input type="checkbox" data-index="${i}" ${matched ? "checked" : "disabled"}></td>${cells}
					<td><span class="indicator-pill ${COLORS[s.confidence] || "gray"}">${esc(__(s.confidence))}</span></td>
					<td class="small">${esc(s.match_reason)}</td></tr>`;
			})
			.join("");
		const matched = suggestions.filter((s) => kind.matched(s)).length;
		const dialog = new frappe.ui.Dialog({
			title: kind.title,
			size: "extra-large",
			fields: [{ fieldtype: "HTML", fieldname: "table" }],
			primary_action_label: __("Add Ticked Rows"),
			primary_action() {
				const picked = dialog.$wrapper.find("input[data-index]:checked").map((_, el) => Number($(el).attr("data-index"))).get();
				picked.forEach((i) => frm.add_child(kind.table, kind.row(suggestions[i])));
				frm.refresh_field(kind.table);
				frm.dirty();
				dialog.hide();
				frappe.show_alert({ message: __("{0} rows added. Check them, then Save to keep them.", [picked.length]), indicator: "blue" }, 8);
			},
		});
		dialog.fields_dict.table.$wrapper.html(`
			<p>${esc(__("{0} of {1} matched. Nothing is saved until you add the ticked rows and save the map.", [matched, suggestions.length]))}</p>
			<table class="table table-bordered table-sm"><thead><tr><th></th>${head}<th>${esc(__("Confidence"))}</th><th>${esc(__("Why"))}</th></tr></thead>
			<tbody>${body}</tbody></table>`);
		dialog.show();
	}

	// The Employee map is QBO Link rows (no form to add rows to): ticked rows are written by the confirm call.
	function suggest_employee_map(company) {
		frappe
			.call({ method: MODULE + "suggest_employee_map", args: { company }, freeze: true, freeze_message: __("Reading QuickBooks...") })
			.then((r) => show_employees(company, r.message || []));
	}

	function show_employees(company, suggestions) {
		if (!suggestions.length) {
			frappe.msgprint(__("Every active employee is already in the Employee map: nothing to suggest."));
			return;
		}
		const body = suggestions
			.map((s, i) => {
				const matched = Boolean(s.qbo_employee);
				return `<tr class="${matched ? "" : "text-muted"}">
					<td><input type="checkbox" data-index="${i}" ${matched ? "checked" : "disabled"}></td>
					<td>${esc(s.employee)}</td><td>${esc(s.employee_name)}</td>
					<td>${esc(s.qbo_employee_name || __("(none)"))}</td>
					<td><span class="indicator-pill ${COLORS[s.confidence] || "gray"}">${esc(__(s.confidence))}</span></td>
					<td class="small">${esc(s.match_reason)}</td></tr>`;
			})
			.join("");
		const matched = suggestions.filter((s) => s.qbo_employee).length;
		const dialog = new frappe.ui.Dialog({
			title: __("Suggested Employee Map"),
			size: "extra-large",
			fields: [{ fieldtype: "HTML", fieldname: "table" }],
			primary_action_label: __("Map Ticked Employees"),
			primary_action() {
				const rows = dialog.$wrapper
					.find("input[data-index]:checked")
					.map((_, el) => suggestions[Number($(el).attr("data-index"))])
					.get()
					.map((s) => ({ employee: s.employee, qbo_employee: s.qbo_employee }));
				if (!rows.length) return dialog.hide();
				frappe
					.call({ method: MODULE + "confirm_employee_map", args: { company, rows }, freeze: true })
					.then((r) => {
						dialog.hide();
						const count = ((r.message || {}).mapped || []).length;
						frappe.show_alert({ message: __("{0} employees mapped.", [count]), indicator: "green" }, 8);
					});
			},
		});
		dialog.fields_dict.table.$wrapper.html(`
			<p>${esc(__("{0} of {1} matched. Nothing is saved until you map the ticked employees.", [matched, suggestions.length]))}</p>
			<table class="table table-bordered table-sm"><thead><tr><th></th><th>${esc(__("Employee"))}</th><th>${esc(__("Name"))}</th>
			<th>${esc(__("QuickBooks Employee"))}</th><th>${esc(__("Confidence"))}</th><th>${esc(__("Why"))}</th></tr></thead>
			<tbody>${body}</tbody></table>`);
		dialog.show();
	}

	frappe.ui.form.on("QBO Connection", {
		refresh(frm) {
			if (frm.is_new() || frm.doc.status !== "Connected") return;
			if (!["Accounts Manager", "System Manager"].some((role) => frappe.user.has_role(role))) return;
			frm.add_custom_button(
				__("Employee Map"),
				() => frappe.set_route("List", "QBO Link", { reference_doctype: "Employee", company: frm.doc.company }),
				__("Go to")
			);
			frm.add_custom_button(__("Suggest Employee Map"), () => suggest_employee_map(frm.doc.company), __("Go to"));
		},
	});

	Object.keys(KINDS).forEach((doctype) => {
		frappe.ui.form.on(doctype, {
			refresh(frm) {
				if (frm.is_new() || !frm.doc.company) return;
				if (!["Accounts Manager", "System Manager"].some((role) => frappe.user.has_role(role))) return;
				KINDS[doctype].forEach((kind) =>
					frm.add_custom_button(kind.label, () =>
						frappe
							.call({ method: MODULE + kind.method, args: { company: frm.doc.company }, freeze: true, freeze_message: __("Reading QuickBooks...") })
							.then((r) => show(frm, kind, r.message || []))
					)
				);
			},
		});
	});
})();
