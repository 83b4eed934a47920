// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

const QBO_RETRY_ROLES = ["Accounts Manager", "System Manager"];
const QBO_RETRYABLE = ["Failed", "Warning", "Skipped", "Interrupted", "Waiting"];
const QBO_RETRYABLE_OPERATIONS = ["push", "cancel", "pull", "pull_entity"];
const QBO_LOG_METHOD = "qbo_connector.qbo_connector.doctype.qbo_sync_log.qbo_sync_log.";

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
					.call({ method: QBO_LOG_METHOD + "retry", args: { name: frm.doc.name }, freeze: true })
					.then(() => frm.reload_doc());
			}).addClass("btn-primary");
		}
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
		if (frm.doc.later_attempt) {
			frm.add_custom_button(__("Later Attempt"), () => frappe.set_route("Form", "QBO Sync Log", frm.doc.later_attempt));
		}
		// What happens next, true now: tried again since, or when (and whether) the scheduler will.
		if (frm.doc.later_attempt || frm.doc.status === "Failed") {
			frappe.xcall(QBO_LOG_METHOD + "describe_retry", { name: frm.doc.name }).then((info) => {
				if (!info || !info.sentence) return;
				const color = info.kind === "retried" ? "blue" : ["overdue", "scheduler_off"].includes(info.kind) ? "orange" : "yellow";
				frm.dashboard.set_headline_alert(`<span class="qbo-retry-state" data-kind="${frappe.utils.escape_html(info.kind || "")}">${frappe.utils.escape_html(info.sentence)}</span>`, color);
			});
		}
	},
});
