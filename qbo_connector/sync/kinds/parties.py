"""The parties documents are with: customers, suppliers (QBO Vendors) and employees."""

from __future__ import annotations

from qbo_connector.mapping.customer import display_name_candidates, map_customer
from qbo_connector.mapping.vendor import map_vendor, vendor_name_candidates

from .base import Party

CUSTOMER = Party(
	doctype="Customer",
	entity="Customer",
	ref="CustomerRef",
	ctx_field="customer_ref",
	label="customer",
	map=map_customer,
	candidates=display_name_candidates,
	title_field="customer_name",
)

SUPPLIER = Party(
	doctype="Supplier",
	entity="Vendor",
	ref="VendorRef",
	ctx_field="vendor_ref",
	label="supplier",
	map=map_vendor,
	candidates=vendor_name_candidates,
	title_field="supplier_name",
)

# Employees are never created in QBO from ERPNext: the Employee map (QBO Link rows Employee -> QBO Employee,
# filled by the employee pull's matching on e-mail and name, or by hand) says who is who.
EMPLOYEE = Party(
	doctype="Employee",
	entity="Employee",
	ref="EmployeeRef",
	ctx_field="employee_ref",
	label="employee",
	title_field="employee_name",
)
