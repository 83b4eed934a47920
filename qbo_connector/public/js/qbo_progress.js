// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// A progress bar for a QuickBooks sync job, driven by the job's realtime "qbo_sync_progress" events.

frappe.provide("qbo_connector");

qbo_connector.API = "qbo_connector.qbo_connector.api.";
qbo_connector.SYNC_ROLES = ["Accounts Manager", "System Manager"];

qbo_connector.can_sync = function () {
	return qbo_connector.SYNC_ROLES.some((role) => frappe.user.has_role(role));
};

// Follow the job whose progress key is `key`; `done` gets the final message.
qbo_connector.follow_progress = function (key, title, done) {
	if (!key) return;
	qbo_connector._followers = qbo_connector._followers || {};
	qbo_connector._followers[key] = { title, done };
	frappe.show_progress(title, 0, 1, __("Queued"));
	if (qbo_connector._listening) return;
	qbo_connector._listening = true;
	frappe.realtime.on("qbo_sync_progress", (data) => {
		const follower = (qbo_connector._followers || {})[data.key];
		if (!follower) return;
		const total = Math.max(data.total || 0, 1);
		frappe.show_progress(data.title || follower.title, Math.min(data.done || 0, total), total, data.message || "");
		if (data.finished) {
			delete qbo_connector._followers[data.key];
			frappe.hide_progress();
			frappe.msgprint({ title: data.title || follower.title, message: frappe.utils.escape_html(data.message || __("Done")), indicator: "green" });
			if (follower.done) follower.done(data);
		}
	});
};
