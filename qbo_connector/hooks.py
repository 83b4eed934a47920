app_name = "qbo_connector"
app_title = "QBO Connector"
app_publisher = "qbo_connector contributors"
app_description = "Keeps ERPNext and QuickBooks Online in step"
app_email = "maintainers@qbo-connector.invalid"
app_license = "MIT"
required_apps = ["frappe/erpnext"]  # org/repo: "erpnext" alone makes install-app ask GitHub which org it is

# Wiring only: nothing here reads settings or touches the database at import time.

after_install = "qbo_connector.qbo_connector.install.after_install"
before_uninstall = "qbo_connector.qbo_connector.install.before_uninstall"

# Shared helpers for our forms, and the QuickBooks status on the documents that sync.
_QBO_COMMON_JS = "public/js/qbo_common.js"
_QBO_STATUS_JS = "public/js/qbo_status.js"
doctype_js = {
	"QBO Settings": _QBO_COMMON_JS,
	"QBO Connection": _QBO_COMMON_JS,
	"QBO Account Map": _QBO_COMMON_JS,
	"QBO Tax Map": _QBO_COMMON_JS,
	"Sales Invoice": _QBO_STATUS_JS,
	"Payment Entry": _QBO_STATUS_JS,
	"Customer": _QBO_STATUS_JS,
	"Item": _QBO_STATUS_JS,
}

doc_events = {
	# Error Log keeps tracebacks with local variables: take any QBO secret out before it is stored.
	"Error Log": {"before_insert": "qbo_connector.qbo_connector.redaction.scrub_error_log"},
}

# Old successful and skipped QBO Sync Log rows are deleted daily by Log Settings; QBO Settings' "Keep
# Successful Log Rows (days)" overrides the 30 days registered here. Failed rows are kept.
default_log_clearing_doctypes = {"QBO Sync Log": 30}
