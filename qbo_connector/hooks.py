try:
	from frappe import __version__ as _frappe_version
except ImportError:  # read outside a bench (the framework-free tests check the wiring)
	_frappe_version = "15"

from qbo_connector.sync.kinds import doc_events as _kind_events
from qbo_connector.sync.kinds import doctypes as _kind_doctypes

app_name = "qbo_connector"
app_title = "QBO Connector"
app_publisher = "qbo_connector contributors"
app_description = "Keeps ERPNext and QuickBooks Online in step"
app_email = "maintainers@qbo-connector.invalid"
app_license = "MIT"
required_apps = ["frappe/erpnext"]  # org/repo: "erpnext" alone makes install-app ask GitHub which org it is

# Wiring only: nothing here reads settings or touches the database at import time. Which documents move
# is said once, by the document kinds (qbo_connector/sync/kinds, plain Python with no frappe): their
# doctypes get the forms' scripts and the doc_events below.

# The desk is /desk/... from Frappe 16 (its /app/... only redirects there) and /app/... on 15. The route must
# be the running desk's: a route outside it turns everyone's landing page after login into the apps picker.
_DESK = "/desk" if int(_frappe_version.split(".")[0]) >= 16 else "/app"

# Frappe 16: the apps screen and the desktop's app icon; with the desktop icons (desktop_icon/) and the
# workspace's sidebar (workspace_sidebar/) this package ships. Frappe 15 ignores those folders and shows the
# workspace (qbo_connector/workspace/) in its sidebar; it gets no apps-screen entry, because its apps screen
# matches a route against workspace names and sends "/app/quickbooks-online" to the Home workspace instead.
add_to_apps_screen = (
	[
		{
			"name": app_name,
			"logo": "/assets/qbo_connector/images/qbo-connector.svg",
			"title": "QuickBooks Online",
			"route": f"{_DESK}/quickbooks-online",
			"has_permission": "qbo_connector.qbo_connector.permissions.has_app_permission",
		}
	]
	if _DESK == "/desk"
	else []
)

after_install = "qbo_connector.qbo_connector.install.after_install"
after_migrate = [
	# The workspace's overview block and the log's list settings follow the code on every migrate.
	"qbo_connector.qbo_connector.install.after_migrate",
	# The QBO Status field on every kind's doctype, also for kinds added by an upgrade (idempotent).
	"qbo_connector.qbo_connector.install.add_custom_fields",
]
before_uninstall = "qbo_connector.qbo_connector.install.before_uninstall"

# Shared helpers for our forms, and the QuickBooks status on the documents that sync.
_QBO_COMMON_JS = "public/js/qbo_common.js"
_QBO_STATUS_JS = "public/js/qbo_status.js"
# Sync buttons (Push to QuickBooks, Sync Now, Re-sync All) and their progress bar.
_QBO_PROGRESS_JS = "public/js/qbo_progress.js"
_QBO_SYNC_JS = "public/js/qbo_sync.js"
# "Preview in QuickBooks": what a push would send and create, with no write anywhere.
_QBO_PREVIEW_JS = "public/js/qbo_preview.js"
# "Suggest" on the account, tax and class maps (rows added unsaved, with their confidence), and on the
# connection for the Employee map (rows written only when confirmed).
_QBO_SUGGEST_JS = "public/js/qbo_suggest.js"
# "Test Connection", and the refresh token's hard end on the connection.
_QBO_HEALTH_JS = "public/js/qbo_health.js"
# The connection's Default Class and Default Location pickers, and the way to the class and location map.
_QBO_DIMENSIONS_JS = "public/js/qbo_dimensions.js"
doctype_js = {
	"QBO Settings": [_QBO_COMMON_JS, _QBO_PROGRESS_JS, _QBO_SYNC_JS],
	"QBO Connection": [
		_QBO_COMMON_JS,
		_QBO_PROGRESS_JS,
		_QBO_SYNC_JS,
		_QBO_HEALTH_JS,
		_QBO_DIMENSIONS_JS,
		_QBO_SUGGEST_JS,  # the Employee map's Suggest, in the "Go to" group
	],
	"QBO Account Map": [_QBO_COMMON_JS, _QBO_SUGGEST_JS],
	"QBO Tax Map": [_QBO_COMMON_JS, _QBO_SUGGEST_JS],
	"QBO Class and Location Map": [_QBO_COMMON_JS, _QBO_SUGGEST_JS],
	# Every kind's form: its QuickBooks status, Push to QuickBooks, and Preview in QuickBooks.
	**{
		doctype: [_QBO_STATUS_JS, _QBO_PROGRESS_JS, _QBO_SYNC_JS, _QBO_PREVIEW_JS]
		for doctype in _kind_doctypes()
	},
	"Customer": _QBO_STATUS_JS,
	"Supplier": _QBO_STATUS_JS,
	"Employee": _QBO_STATUS_JS,  # its QBO Link is the Employee map
	"Item": _QBO_STATUS_JS,
}
# The list views' bulk action "Push to QuickBooks".
doctype_list_js = {doctype: [_QBO_PROGRESS_JS, "public/js/qbo_sync_list.js"] for doctype in _kind_doctypes()}
# The kinds (doctype, filters) for the desk scripts: which documents get "Push to QuickBooks".
extend_bootinfo = "qbo_connector.qbo_connector.boot.extend_bootinfo"

_EVENTS = "qbo_connector.qbo_connector.events."
doc_events = {
	# Error Log keeps tracebacks with local variables: take any QBO secret out before it is stored.
	"Error Log": {"before_insert": "qbo_connector.qbo_connector.redaction.scrub_error_log"},
	# Submitted documents go to QuickBooks through a queued job; these handlers only guard and enqueue.
	# One entry per doctype some kind sends, with the events its kinds need (on_submit, on_cancel, ...).
	**_kind_events(_EVENTS),
}

_TASKS = "qbo_connector.qbo_connector.tasks."
scheduler_events = {
	"cron": {
		# Each connection is pulled when its own Pull Interval has passed; failed attempts are retried
		# when their backoff is due; rows a dead worker left Running past tasks.ATTEMPT_TIMEOUT are closed
		# as Interrupted (and their documents become due for retry_due).
		# flush_health copies each connection's last successful and failed call from Redis onto it.
		"*/5 * * * *": [
			_TASKS + "scheduled_pull",
			_TASKS + "sweep_interrupted",
			_TASKS + "retry_due",
			"qbo_connector.qbo_connector.health.flush_health",
		],
	},
	# Documents still not in QuickBooks after the connection's Auto Push Hours are pushed in batches.
	"hourly_long": [_TASKS + "auto_push"],
	# The drift check: last month's documents against QuickBooks; managers hear when something differs.
	"daily_long": ["qbo_connector.qbo_connector.reconciliation.drift_check_all"],
	# Notices 30 and 7 days before a connection's refresh token reaches Intuit's five-year end.
	"daily": ["qbo_connector.qbo_connector.health.check_token_expiry"],
}

# Old successful and skipped QBO Sync Log rows are deleted daily by Log Settings; QBO Settings' "Keep
# Successful Log Rows (days)" overrides the 30 days registered here. Failed rows are kept.
default_log_clearing_doctypes = {"QBO Sync Log": 30}
