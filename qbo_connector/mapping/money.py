"""Decimal money helpers: ERPNext hands us floats, QBO wants exact cents; floats never do arithmetic here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")


class BadNumber(ValueError):
	"""A value that is not a finite decimal number ("12,50", NaN, Infinity, "abc")."""

	def __init__(self, value: Any) -> None:
		self.value = value
		super().__init__(f"not a number: {value!r}")


def D(value: Any) -> Decimal:
	"""Decimal through str(), so 0.1 stays 0.1 (Decimal(0.1) would carry the float's binary noise).

	None and "" are 0 because ERPNext leaves unset currency fields empty. Anything else that is not a finite
	number raises BadNumber: a float NaN from a broken client script must never reach QBO.
	"""
	if value is None or value == "":
		return ZERO
	if isinstance(value, Decimal):
		return value
	if isinstance(value, bool):
		return Decimal(int(value))
	try:
		number = Decimal(str(value).strip())
	except InvalidOperation as exc:
		raise BadNumber(value) from exc
	if not number.is_finite():
		raise BadNumber(value)  # NaN and Infinity would reach QBO as "Amount": NaN
	return number


def q2(value: Any) -> Decimal:
	"""Round to cents half-up, the way ERPNext (flt with precision 2) and QBO round money."""
	return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


def json_number(value: Any) -> float:
	"""A JSON-ready number for a QBO body.

	Bodies go through json.dumps in the client, which cannot encode Decimal. A float made from a Decimal
	with few digits (money, 7-decimal unit prices) prints back exactly the same digits, so nothing is lost.
	"""
	return float(D(value))


def fmt(value: Any) -> str:
	"""Money as text for messages: two decimals, no exponent."""
	return f"{q2(value):.2f}"
