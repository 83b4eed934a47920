"""Sites installed before Payment Entry had `qbo_payment_id` get it (and any other missing field) here."""

from __future__ import annotations


def execute() -> None:
	from qbo_connector.qbo_connector.install import add_custom_fields

	add_custom_fields()
