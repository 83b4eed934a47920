"""The parties documents are with: customers, suppliers (QBO Vendors) and employees."""

from __future__ import annotations

from qbo_connector.mapping.customer import display_name_candidates, map_customer

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
