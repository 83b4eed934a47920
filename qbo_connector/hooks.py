app_name = "qbo_connector"
app_title = "QBO Connector"
app_publisher = "qbo_connector contributors"
app_description = "Keeps ERPNext and QuickBooks Online in step"
app_email = "maintainers@qbo-connector.invalid"
app_license = "MIT"
required_apps = ["erpnext"]
