// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

const QBO_RETRY_ROLES = ["Accounts Manager", "System Manager"];
const QBO_RETRYABLE = ["Failed", "Warning", "Skipped", "Interrupted"];
const QBO_RETRYABLE_OPERATIONS = ["push", "cancel", "pull", "pull_entity"];

frappe.ui.form.on("QBO Sync Log", {
	refresh(frm) {
		frm.disable_save();
		const can_retry = QBO_RETRY_ROLES.some((role) => frappe.user.has_role(role));
		if (
			can_retry &&
			QBO_RETRYABLE.includes(frm.doc.status) &&
			QBO_RETRYABLE_OPERATIONS.includes(frm.doc.operation)
		) {
			frm.add_custom_button(__("Retry"), () => {
				frappe
					.call({
						method: "qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log.retry",
						args: { name: frm.doc.name },
						freeze: true,
					})
					.then(() => frm.reload_doc());
			}).addClass("btn-primary");
		}
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
	},
});
