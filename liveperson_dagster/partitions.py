"""The daily partitions of conversations, by conversation start time in LIVEPERSON_TIMEZONE."""

import os
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster import DailyPartitionsDefinition

DEFAULT_START_DATE = "2026-01-01"
DEFAULT_TIMEZONE = "UTC"


class PartitionSettingError(ValueError):
    pass


def daily_partitions() -> DailyPartitionsDefinition:
    # Partitions are part of the asset graph's structure, so they are read when the definitions load.
    start = os.environ.get("LIVEPERSON_START_DATE") or DEFAULT_START_DATE
    timezone = os.environ.get("LIVEPERSON_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        date.fromisoformat(start)
    except ValueError:
        raise PartitionSettingError(f"LIVEPERSON_START_DATE must be a date like 2026-01-31, got {start!r}") from None
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PartitionSettingError(
            f"LIVEPERSON_TIMEZONE must be an IANA time zone like Europe/Paris, got {timezone!r}"
        ) from None
    return DailyPartitionsDefinition(start_date=start, timezone=timezone)
