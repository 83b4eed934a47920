// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// List view bulk action "Push to QuickBooks" for every doctype a kind sends (keeps ERPNext's settings).

(function () {
	const KINDS = (frappe.boot && frappe.boot.qbo_connector_kinds) || [];
	[...new Set(KINDS.map((kind) => kind.doctype))].forEach((doctype) => {
		const settings = (frappe.listview_settings[doctype] = frappe.listview_settings[doctype] || {});
		if (settings.__qbo_push_added) return;
		settings.__qbo_push_added = true;
		const previous_onload = settings.onload;
		settings.onload = function (listview) {
			if (previous_onload) previous_onload.apply(this, arguments);
			if (!qbo_connector.can_sync()) return;
			listview.page.add_actions_menu_item(__("Push to QuickBooks"), () => {
				const names = listview.get_checked_items(true);
				if (!names.length) {
					frappe.msgprint(__("Select the documents to send first."));
					return;
				}
				frappe
					.call({ method: qbo_connector.API + "push_selected", args: { doctype, names }, freeze: true })
					.then((r) => {
						const info = r.message || {};
						if (info.skipped && info.skipped.length) {
							frappe.show_alert({ message: __("{0} not submitted or not connected, left out", [info.skipped.length]), indicator: "orange" });
						}
						qbo_connector.follow_progress(info.key, __("Pushing {0} to QuickBooks", [__(doctype)]), () => listview.refresh());
					});
			});
		};
	});
})();
