// Copyright (c) 2025, qbo_connector contributors
// License: MIT. See license.txt
// "Push to QuickBooks" on submitted documents of every kind the connector sends (frappe.boot.qbo_connector_kinds,
// from sync/kinds); "Sync Now" and "Re-sync All" on QBO Connection (and on QBO Settings when there is one
// connection). Each button only queues a job.

(function () {
	// Loaded with several forms: register the handlers once per page.
	if (window.qbo_connector_sync_loaded) return;
	window.qbo_connector_sync_loaded = true;

	const KINDS = (frappe.boot && frappe.boot.qbo_connector_kinds) || [];

	// The kind of a document, as sync/kinds decides it: its filters hold (0/1 compare by truth) and it was
	// not made from QuickBooks data.
	qbo_connector.kind_of = function (doc) {
		const same = (value, want) => (want === 0 || want === 1 || want === true || want === false ? !!value === !!want : want === null ? !value : value === want);
		return KINDS.find(
			(kind) =>
				kind.doctype === doc.doctype &&
				Object.entries(kind.filters || {}).every(([field, want]) => same(doc[field], want)) &&
				!(kind.not_pulled && doc[kind.not_pulled])
		);
	};

	function add_push_button(frm) {
		if (frm.is_new() || frm.doc.docstatus !== 1 || !qbo_connector.can_sync()) return;
		if (!qbo_connector.kind_of(frm.doc)) return;
		frm.add_custom_button(
			__("Push to QuickBooks"),
			() =>
				frappe
					.call({ method: qbo_connector.API + "push_now", args: { doctype: frm.doctype, name: frm.doc.name }, freeze: true })
					.then(() => {
						frappe.show_alert({ message: __("Queued for QuickBooks"), indicator: "blue" });
						if (qbo_connector.show_document_status) qbo_connector.show_document_status(frm);
					}),
			__("QuickBooks")
		);
	}

	[...new Set(KINDS.map((kind) => kind.doctype))].forEach((doctype) => {
		frappe.ui.form.on(doctype, {
			refresh(frm) {
				add_push_button(frm);
			},
		});
	});

	function add_sync_buttons(frm, company) {
		if (!company || !qbo_connector.can_sync()) return;
		const run = (method, title, confirm_text) => {
			const go = () =>
				frappe.call({ method: qbo_connector.API + method, args: { company } }).then((r) => {
					const key = r.message && r.message.key;
					qbo_connector.follow_progress(key, title, () => frm.reload_doc());
				});
			confirm_text ? frappe.confirm(confirm_text, go) : go();
		};
		frm.add_custom_button(__("Sync Now"), () => run("sync_now", __("Syncing {0} with QuickBooks", [company])), __("Sync"));
		frm.add_custom_button(
			__("Re-sync All"),
			() =>
				run(
					"resync_all",
					__("Re-syncing {0} with QuickBooks", [company]),
					__("Read everything from QuickBooks again and send every submitted invoice and payment of {0}? Documents already in QuickBooks are not duplicated.", [frappe.utils.escape_html(company)])
				),
			__("Sync")
		);
	}

	frappe.ui.form.on("QBO Connection", {
		refresh(frm) {
			if (!frm.is_new() && frm.doc.status === "Connected" && frm.doc.enabled) add_sync_buttons(frm, frm.doc.company);
		},
	});

	frappe.ui.form.on("QBO Settings", {
		refresh(frm) {
			// With one connection, its buttons are here too; with several, each connection has its own.
			frappe.call({ method: qbo_connector.OAUTH + "get_connections" }).then((r) => {
				const connected = (r.message || []).filter((row) => row.status === "Connected");
				if ((r.message || []).length === 1 && connected.length === 1) add_sync_buttons(frm, connected[0].company);
			});
		},
	});
})();
