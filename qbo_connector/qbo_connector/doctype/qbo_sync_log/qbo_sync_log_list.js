// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt

const QBO_LOG_COLORS = {
	Success: "green",
	Warning: "orange",
	Failed: "red",
	Queued: "blue",
	Running: "blue",
	// could not be queued (connection disconnected or paused, queue down); sent when that is fixed
	Waiting: "yellow",
	Skipped: "gray",
	// a worker stopped before the attempt ended; a later attempt or the sweep closed it (see its message)
	Interrupted: "darkgrey",
};

// What each operation did, in the words of the person reading the list.
const QBO_OPERATION_WORDS = {
	push: __("Send"),
	cancel: __("Void"),
	pull: __("Read changes"),
	pull_entity: __("Read"),
	webhook: __("Webhook"),
	bulk: __("Send many"),
	auto_push: __("Auto-push"),
	connect: __("Connect"),
	disconnect: __("Disconnect"),
	company_settings: __("Read company settings"),
	validate_account_map: __("Check account map"),
	validate_tax_map: __("Check tax map"),
	list_accounts: __("List accounts"),
	list_tax_codes: __("List tax codes"),
	list_items: __("List items"),
};

function qbo_log_reference(doc) {
	if (!doc.qbo_entity) return "";
	const entity = { CreditMemo: __("Credit Memo") }[doc.qbo_entity] || doc.qbo_entity;
	if (doc.qbo_name) {
		return ["Customer", "Item", "Vendor", "Employee", "Account"].includes(doc.qbo_entity)
			? `${entity} '${doc.qbo_name}'`
			: `${entity} ${doc.qbo_name}`;
	}
	return doc.qbo_id ? __("{0} (ID {1})", [entity, doc.qbo_id]) : entity;
}

frappe.listview_settings["QBO Sync Log"] = {
	add_fields: ["status", "error_message", "message", "qbo_entity", "qbo_id", "qbo_name", "reference_doctype", "reference_name", "later_attempt", "operation"],
	hide_name_column: true,
	formatters: {
		// The subject says what was done to which QuickBooks record ("Send · Invoice 1001"); the columns
		// beside it say for which company and document, and the message says what came of it.
		operation(value, df, doc) {
			// plain text: frappe escapes the subject itself
			const word = QBO_OPERATION_WORDS[value] || value;
			const ref = qbo_log_reference(doc);
			return ref ? `${word} · ${ref}` : word;
		},
		message(value, df, doc) {
			let text = value || doc.error_message || "";
			// the Document column names the document: do not spend the message's room on it again
			const label = `${doc.reference_doctype || ""} ${doc.reference_name || ""}`;
			if (doc.reference_name && text.startsWith(label)) {
				const rest = text.slice(label.length).replace(/^[:,;\s-]+/, "");
				if (rest) text = rest.charAt(0).toUpperCase() + rest.slice(1);
			}
			return `<span class="qbo-log-message" title="${frappe.utils.escape_html(text)}">${frappe.utils.escape_html(text)}</span>`;
		},
	},
	get_indicator(doc) {
		if (doc.later_attempt) {
			// history: someone or something tried it again since; the later row tells how that went
			return [__("{0}, retried", [__(doc.status)]), "gray", "later_attempt,is,set"];
		}
		const color = QBO_LOG_COLORS[doc.status] || "gray";
		return [__(doc.status), color, "status,=," + doc.status];
	},
	onload(listview) {
		// At 1280 px the message needs room: give it the widest column and two lines, in this list only.
		if (!document.getElementById("qbo-sync-log-list-style")) {
			// columns: 1 subject (what was done to which QuickBooks record), 2 tags, 3 status, 4 company,
			// 5 document, 6 message; the header row has the same order. (!important: Frappe 16 sizes each
			// column inline from its text and lets the list scroll sideways, which put the message out of
			// sight at 1280 px; Frappe 15 sets no such styles, so there this changes nothing.)
			const scope = '[data-page-route="List/QBO Sync Log/List"]';
			// Frappe 16's desk sidebar stays beside the list: the subject gives up room so the message keeps 250 px
			const subject_min = parseInt((frappe.boot.versions || {}).frappe) >= 16 ? 140 : 200;
			const col = (n) => `${scope} .list-row-head .level-left > .list-row-col:nth-child(${n}), ${scope} .list-row .level-left > .list-row-col:nth-child(${n})`;
			$(`<style id="qbo-sync-log-list-style">
				${scope} .list-row-container { width: auto !important; }
				${scope} .list-row .level-left, ${scope} .list-row-head .level-left { flex: 1 1 auto !important; min-width: 0; }
				${scope} .list-row .level-right, ${scope} .list-row-head .level-right { flex: 0 0 auto; }
				${col(1)} { flex: 1 1 0 !important; width: auto !important; min-width: ${subject_min}px !important; max-width: none !important; }
				${col(3)} { flex: 0 0 112px !important; width: auto !important; min-width: 0 !important; max-width: 112px !important; }
				${col(4)} { flex: 0 0 118px !important; width: auto !important; min-width: 0 !important; max-width: 118px !important; }
				${col(5)} { flex: 0 0 172px !important; width: auto !important; min-width: 0 !important; max-width: 172px !important; }
				${scope} .list-row .list-subject, ${scope} .list-row .list-subject .ellipsis {
					white-space: normal; overflow-wrap: anywhere; line-height: 1.3;
				}
				${scope} .list-row .list-subject .level-item.ellipsis { min-width: 0; flex-shrink: 1; }
				${col(6)} { flex: 2.6 1 0 !important; width: auto !important; min-width: 0 !important; max-width: none !important; }
				${scope} .list-row-col .qbo-log-message {
					white-space: normal; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
					overflow: hidden; line-height: 1.3;
				}
				${scope} .list-row-container .list-row { height: auto; min-height: 40px; }
			</style>`).appendTo(document.head);
		}
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
