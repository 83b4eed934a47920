// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

// Our helpers (public/js/qbo_common.js) are appended after this file: make the namespace first.
frappe.provide("qbo_connector");

const QBO_STATUS_COLORS = { Connected: "green", "Not connected": "gray", "Reconnect needed": "red" };
const QBO_REFERENCE_FIELDS = ["default_item", "rounding_item", "default_income_account", "discount_account",
	"default_tax_code", "us_tax_code", "exempt_tax_code", "payments_deposit_account", "deposit_bank_account"];

frappe.ui.form.on("QBO Connection", {
	setup(frm) {
		qbo_connector.set_picker(frm, "default_item", "items");
		qbo_connector.set_picker(frm, "rounding_item", "items");
		qbo_connector.set_picker(frm, "default_tax_code", "tax_codes");
		qbo_connector.set_picker(frm, "us_tax_code", "tax_codes");
		qbo_connector.set_picker(frm, "exempt_tax_code", "tax_codes");
		qbo_connector.set_picker(frm, "default_income_account", "accounts", () => ({ purpose: "Income" }));
		qbo_connector.set_picker(frm, "discount_account", "accounts", () => ({ purpose: "Discount" }));
		qbo_connector.set_picker(frm, "payments_deposit_account", "accounts", () => ({ purpose: "Deposit" }));
		qbo_connector.set_picker(frm, "deposit_bank_account", "accounts", () => ({ purpose: "Bank" }));
		qbo_connector.set_picker(frm, "default_expense_account", "accounts", () => ({ purpose: "Expense" }));
		qbo_connector.set_picker(frm, "payables_account", "accounts", () => ({ purpose: "Payable" }));
	},
	refresh(frm) {
		const status = frm.doc.status || "Not connected";
		frm.page.set_indicator(__(status), QBO_STATUS_COLORS[status] || "gray");
		qbo_connector.show_reference_names(frm, QBO_REFERENCE_FIELDS);
		if (frm.is_new()) return;
		const is_admin = frappe.user.has_role("System Manager");
		if (is_admin) {
			if (status === "Connected") {
				frm.add_custom_button(__("Disconnect"), () => qbo_connector.disconnect(frm.doc.company, () => frm.reload_doc()));
				frm.add_custom_button(__("Refresh Company Settings"), () =>
					frappe
						.call({ method: qbo_connector.OAUTH + "refresh_company_settings", args: { company: frm.doc.company }, freeze: true })
						.then(() => frm.reload_doc())
				);
			} else {
				frm.add_custom_button(status === "Reconnect needed" ? __("Reconnect") : __("Connect to QuickBooks"), () =>
					qbo_connector.connect(frm.doc.company)
				).addClass("btn-primary");
			}
		}
		if (frm.doc.realm_id && (is_admin || frappe.user.has_role("Accounts Manager"))) {
			frm.add_custom_button(__("Check Duplicate Links"), () => qbo_connector.check_duplicate_links(frm.doc.company), __("QuickBooks"));
			if (status === "Connected") {
				frm.add_custom_button(__("Import from QuickBooks"), () => qbo_import_dialog(frm), __("QuickBooks"));
			}
		}
		if (status === "Connected") {
			qbo_connector.add_refresh_lists_button(frm);
			frm.add_custom_button(__("Account Map"), () => qbo_connector.open_map("QBO Account Map", frm.doc.company), __("Go to"));
			frm.add_custom_button(__("Tax Map"), () => qbo_connector.open_map("QBO Tax Map", frm.doc.company), __("Go to"));
			frm.add_custom_button(__("Sync Log"), () => frappe.set_route("List", "QBO Sync Log", { company: frm.doc.company }), __("Go to"));
		}
		if (frm.doc.last_error) {
			frm.dashboard.set_headline_alert(frappe.utils.escape_html(frm.doc.last_error), status === "Connected" ? "orange" : "red");
		}
		if (frm.doc.realm_change_note) {
			// Connected to another QuickBooks company: say what was cleared until the admin has read it.
			const dismiss = is_admin
				? ` <button class="btn btn-xs btn-default qbo-dismiss-realm-note">${__("Done, I picked them again")}</button>`
				: "";
			frm.dashboard.set_headline_alert(
				`<div class="qbo-realm-change">${frappe.utils.escape_html(frm.doc.realm_change_note)}${dismiss}</div>`,
				"orange"
			);
			frm.layout.message.find(".qbo-dismiss-realm-note").on("click", () =>
				frappe
					.call({
						method: "qbo_connector.qbo_connector.doctype.qbo_connection.qbo_connection.dismiss_realm_change_note",
						args: { company: frm.doc.company },
					})
					.then(() => frm.reload_doc())
			);
		}
	},
});

// Import from QuickBooks (sync/history.py): a dry run first (counts, what to map), then a resumable job.
const QBO_IMPORT_KINDS = [
	["customers", __("Customers")],
	["items", __("Items")],
	["invoices", __("Invoices")],
	["credit_memos", __("Credit Memos")],
	["payments", __("Payments")],
];

// The dialog's own words for a kind ("Credit Memos"), not the key the server counts it under ("credit_memos").
const qbo_import_label = (kind) => (QBO_IMPORT_KINDS.find(([key]) => key === kind) || [kind, kind])[1];

function qbo_import_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Import from QuickBooks"),
		fields: [
			{ fieldname: "from_date", fieldtype: "Date", label: __("Transactions From"), reqd: 1 },
			{ fieldname: "to_date", fieldtype: "Date", label: __("To"), reqd: 1, default: frappe.datetime.get_today() },
			...QBO_IMPORT_KINDS.map(([key, label]) => ({ fieldname: key, fieldtype: "Check", label, default: 1 })),
			{ fieldname: "result", fieldtype: "HTML" },
		],
		primary_action_label: __("Dry Run"),
		primary_action(values) {
			call(values, 1).then((r) => {
				const res = r.message || {};
				const rows = Object.entries(res.kinds || {})
					.map(([kind, c]) => `<tr data-kind="${frappe.utils.escape_html(kind)}"><td>${frappe.utils.escape_html(qbo_import_label(kind))}</td><td>${c.new}</td><td>${c.existing}</td><td>${c.skipped}</td></tr>`)
					.join("");
				const to_map = (res.to_map || []).map((line) => `<li>${frappe.utils.escape_html(line)}</li>`).join("");
				dialog.fields_dict.result.$wrapper.html(
					`<table class="table table-bordered qbo-import-counts"><tr><th>${__("Kind")}</th><th>${__("To make")}</th><th>${__("Already here")}</th><th>${__("Skipped")}</th></tr>${rows}</table>` +
						(to_map ? `<p>${__("Map these first:")}</p><ul class="qbo-import-to-map">${to_map}</ul>` : `<p>${__("Nothing needs mapping first.")}</p>`)
				);
				dialog.set_secondary_action_label(__("Start Import"));
				dialog.set_secondary_action(() =>
					call(dialog.get_values(), 0).then((r2) => {
						dialog.hide();
						qbo_connector.follow_progress(r2.message && r2.message.key, __("Importing from QuickBooks"), () => frm.reload_doc());
					})
				);
			});
		},
	});
	const call = (values, dry_run) =>
		frappe.call({
			method: "qbo_connector.qbo_connector.api.import_from_quickbooks",
			args: {
				company: frm.doc.company,
				from_date: values.from_date,
				to_date: values.to_date,
				kinds: QBO_IMPORT_KINDS.map(([key]) => key).filter((key) => values[key]),
				dry_run,
			},
			freeze: !!dry_run,
			freeze_message: __("Reading QuickBooks"),
		});
	dialog.show();
}
