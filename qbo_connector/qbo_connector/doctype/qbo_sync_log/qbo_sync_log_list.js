// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

const QBO_LOG_COLORS = {
	Success: "green",
	Warning: "orange",
	Failed: "red",
	Queued: "blue",
	Running: "blue",
	Skipped: "gray",
};

frappe.listview_settings["QBO Sync Log"] = {
	add_fields: ["status", "error_message"],
	hide_name_column: true,
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
