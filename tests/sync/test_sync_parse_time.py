"""QBO timestamps in the forms Intuit sends them, read the same on every Python the app supports."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qbo_connector.sync.base import parse_time

UTC = timezone.utc


@pytest.mark.parametrize(
	("text", "expected"),
	[
		("2015-10-05T14:42:19-0700", datetime(2015, 10, 5, 21, 42, 19, tzinfo=UTC)),  # webhook lastUpdated
		("2024-01-02T10:11:12.345-08:00", datetime(2024, 1, 2, 18, 11, 12, 345000, tzinfo=UTC)),  # MetaData
		("2024-01-02T10:11:12.12-08:00", datetime(2024, 1, 2, 18, 11, 12, 120000, tzinfo=UTC)),
		("2024-01-02T10:11:12Z", datetime(2024, 1, 2, 10, 11, 12, tzinfo=UTC)),
		("2024-01-02T10:11:12", datetime(2024, 1, 2, 10, 11, 12, tzinfo=UTC)),  # naive: UTC
		(" 2024-01-02 ", datetime(2024, 1, 2, tzinfo=UTC)),
	],
)
def test_qbo_timestamps(text: str, expected: datetime) -> None:
	assert parse_time(text) == expected


@pytest.mark.parametrize("text", [None, "", "garbage", "2024-13-01T00:00:00Z"])
def test_unreadable_is_none(text: str | None) -> None:
	assert parse_time(text) is None
