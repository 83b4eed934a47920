// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

const QBO_LOG_COLORS = {
	Success: "green",
	Warning: "orange",
	Failed: "red",
	Queued: "blue",
	Running: "blue",
	Skipped: "gray",
	// a worker stopped before the attempt ended; a later attempt or the sweep closed it (see its message)
	Interrupted: "darkgrey",
};

frappe.listview_settings["QBO Sync Log"] = {
	add_fields: ["status", "error_message", "message", "qbo_entity", "qbo_id", "reference_doctype"],
	hide_name_column: true,
	formatters: {
		// At 1280 px frappe shows only four columns, so the subject carries what tells rows apart: the
		// QuickBooks object and the plain message (pull and webhook rows otherwise all read "pull_entity").
		operation(value, df, doc) {
			const parts = [value];
			if (doc.qbo_entity) {
				parts.push([doc.qbo_entity, doc.qbo_id].filter(Boolean).join(" "));
			}
			const message = doc.message || doc.error_message;
			if (message) {
				parts.push(message);
			}
			return parts.join(" · ");
		},
	},
	get_indicator(doc) {
		const color = QBO_LOG_COLORS[doc.status] || "gray";
		return [__(doc.status), color, "status,=," + doc.status];
	},
	onload(listview) {
		// Retention is set in QBO Settings (it overrides Log Settings for this log); say so where people look.
		frappe
			.xcall("qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log.retention_days")
			.then((days) => {
				const text = days
					? __("Successful and skipped rows are deleted after {0} days (QBO Settings). Failed rows are kept.", [days])
					: __("Rows are kept until deleted (QBO Settings).");
				listview.page.sidebar.find(".qbo-retention").remove();
				$(`<div class="qbo-retention text-muted small" style="padding: var(--padding-sm) var(--padding-xs);">${text}</div>`)
					.appendTo(listview.page.sidebar);
			});
		const can_retry = ["Accounts Manager", "System Manager"].some((role) => frappe.user.has_role(role));
		if (!can_retry) {
			return;
		}
		listview.page.add_actions_menu_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			if (!names.length) {
				frappe.msgprint(__("Select the rows to retry first."));
				return;
			}
			frappe
				.call({
					method: "qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log.bulk_retry",
					args: { names },
					freeze: true,
				})
				.then(() => listview.refresh());
		});
	},
};
