// Copyright (c) 2026, qbo_connector contributors
// License: MIT. See license.txt
// QBO Reconciliation: ERPNext beside QuickBooks per document, with Push Again, Open in QuickBooks and the log.

const QBO_RECON_COLORS = {
	"In Step": "green",
	Differs: "red",
	"Missing in QBO": "orange",
	"Voided in QBO": "red",
	"Only in QBO": "blue",
};

frappe.query_reports["QBO Reconciliation"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			reqd: 1,
			default: frappe.defaults.get_user_default("Company"),
		},
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_start() },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.get_today() },
		{
			fieldname: "kind",
			label: __("Kind"),
			fieldtype: "Select",
			options: ["", "Sales Invoice", "Credit Note", "Payment Entry", "Quotation", "Purchase Order", "Purchase Invoice", "Debit Note", "Supplier Payment"].join("\n"),
		},
		{
			fieldname: "state",
			label: __("State"),
			fieldtype: "Select",
			options: ["", "Not In Step", "In Step", "Differs", "Missing in QBO", "Voided in QBO", "Only in QBO"].join("\n"),
		},
		{ fieldname: "drift_only", label: __("Only What Changed After Sending"), fieldtype: "Check", default: 0 },
		{ fieldname: "include_only_in_qbo", label: __("Look For Transactions Only in QuickBooks"), fieldtype: "Check", default: 1 },
	],

	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (!data) return value;
		const esc = frappe.utils.escape_html;
		if (column.fieldname === "state") {
			const color = QBO_RECON_COLORS[data.state] || "gray";
			return `<span class="indicator-pill ${color}">${esc(__(data.state || ""))}</span>`;
		}
		if (column.fieldname === "qbo_id" && data.qbo_url) {
			return `<a href="${esc(data.qbo_url)}" target="_blank" rel="noopener noreferrer" title="${esc(__("Open in QuickBooks"))}">${esc(data.qbo_id)}</a>`;
		}
		if (column.fieldname === "message") {
			return `<span title="${esc(data.message || "")}">${esc(data.message || "")}</span>`;
		}
		if (column.fieldname === "actions") {
			const parts = [];
			if (data.can_push) {
				parts.push(
					`<button class="btn btn-xs btn-default" data-qbo-push-doctype="${esc(data.reference_doctype)}" data-qbo-push-name="${esc(data.document)}">${esc(__("Push Again"))}</button>`
				);
			}
			if (data.qbo_url) {
				parts.push(`<a class="btn btn-xs btn-default" href="${esc(data.qbo_url)}" target="_blank" rel="noopener noreferrer">${esc(__("Open in QuickBooks"))}</a>`);
			}
			return parts.join(" ");
		}
		return value;
	},

	onload(report) {
		$(report.page.wrapper).on("click", "[data-qbo-push-name]", function (event) {
			event.preventDefault();
			const doctype = $(this).attr("data-qbo-push-doctype");
			const name = $(this).attr("data-qbo-push-name");
			frappe
				.call({ method: "qbo_connector.qbo_connector.api.push_now", args: { doctype, name }, freeze: true })
				.then(() => frappe.show_alert({ message: __("{0} queued for QuickBooks", [name]), indicator: "blue" }));
		});
		report.page.add_inner_button(__("Sync Log"), () =>
			frappe.set_route("List", "QBO Sync Log", { company: report.get_filter_value("company") })
		);
	},
};
