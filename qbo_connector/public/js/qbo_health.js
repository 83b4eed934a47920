// Copyright (c) 2026, qbo_connector contributors
// License: MIT. See license.txt
// Connection health on QBO Connection: "Test Connection", the refresh token's hard end (Reconnect Now when it
// is near), and the last successful and failed call.

(function () {
	if (window.qbo_connector_health_loaded) return;
	window.qbo_connector_health_loaded = true;
	const METHOD = "qbo_connector.qbo_connector.health.test_connection";
	const NOTICE_DAYS = 30;

	function days_until(value) {
		if (!value) return null;
		const ms = frappe.datetime.str_to_obj(value) - frappe.datetime.str_to_obj(frappe.datetime.now_datetime());
		return Math.floor(ms / 86400000);
	}

	frappe.ui.form.on("QBO Connection", {
		refresh(frm) {
			if (frm.is_new() || !frm.doc.realm_id) return;
			const can_test = ["Accounts Manager", "System Manager"].some((role) => frappe.user.has_role(role));
			if (can_test) {
				frm.add_custom_button(
					__("Test Connection"),
					() =>
						frappe.call({ method: METHOD, args: { company: frm.doc.company }, freeze: true }).then((r) => {
							const result = r.message || {};
							frappe.show_alert({ message: frappe.utils.escape_html(result.message || ""), indicator: result.ok ? "green" : "red" }, 10);
							frm.reload_doc();
						}),
					__("QuickBooks")
				);
			}
			const left = days_until(frm.doc.refresh_token_hard_expires_at);
			if (frm.doc.status === "Connected" && left !== null && left <= NOTICE_DAYS) {
				frm.dashboard.set_headline_alert(
					frappe.utils.escape_html(
						__("Intuit ends this connection on {0} ({1} days left): reconnect before then.", [
							frappe.datetime.str_to_user(frm.doc.refresh_token_hard_expires_at),
							Math.max(left, 0),
						])
					),
					left <= 7 ? "red" : "orange"
				);
				if (frappe.user.has_role("System Manager")) {
					frm.add_custom_button(__("Reconnect Now"), () => qbo_connector.connect(frm.doc.company)).addClass("btn-primary");
				}
			}
		},
	});
})();
