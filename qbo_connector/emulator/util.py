"""Small helpers shared by the emulator modules: QBO timestamps, money, refs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

TZ_OFFSETS = {"US": -8, "GB": 0, "CA": -5, "AU": 10}
CENT = Decimal("0.01")


def company_tz(country: str) -> timezone:
	return timezone(timedelta(hours=TZ_OFFSETS.get(country, 0)))


def qbo_time(ts: float, tz: timezone, millis: bool = False) -> str:
	"""QBO writes local times with an offset: 2024-05-01T10:11:12-08:00 (MetaData) or with .mmm ("time")."""
	dt = datetime.fromtimestamp(ts, tz)
	return dt.isoformat(timespec="milliseconds" if millis else "seconds")


def qbo_date(ts: float, tz: timezone) -> str:
	return datetime.fromtimestamp(ts, tz).date().isoformat()


def parse_time(value: str) -> datetime | None:
	"""ISO date or datetime (with Z or an offset; naive means UTC) -> aware datetime, else None."""
	text = (value or "").strip()
	if not text:
		return None
	if text.endswith("Z"):
		text = text[:-1] + "+00:00"
	try:
		dt = datetime.fromisoformat(text)
	except ValueError:
		return None
	if dt.tzinfo is None:
		dt = dt.replace(tzinfo=timezone.utc)
	return dt


def dec(value: object) -> Decimal | None:
	"""A JSON number or numeric string -> Decimal; None/"" -> None; anything else raises ValueError."""
	if value is None or value == "":
		return None
	if isinstance(value, bool):
		raise ValueError(f"not a number: {value!r}")
	if isinstance(value, Decimal):
		return value
	try:
		return Decimal(str(value))
	except (InvalidOperation, ValueError) as exc:
		raise ValueError(f"not a number: {value!r}") from exc


def q2(value: Decimal) -> Decimal:
	return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ref_value(ref: object) -> str | None:
	"""The id inside a Ref ({"value": "1", "name": ..}); a bare string or number is tolerated."""
	if isinstance(ref, dict):
		value = ref.get("value")
	else:
		value = ref
	if value is None or value == "":
		return None
	return str(value)


def blank(value: object) -> bool:
	"""QBO treats null, "" and missing alike for optional inputs (python-quickbooks sends "" for unset dates)."""
	return value is None or value == "" or value == [] or value == {}
