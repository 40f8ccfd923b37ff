"""The daily partitions of conversations, by conversation start time in the configured time zone."""

from datetime import date

from dagster import DailyPartitionsDefinition


def daily_partitions(start_date: date, timezone: str) -> DailyPartitionsDefinition:
    """Days from `start_date` on, each [00:00, next 00:00) in `timezone` (an IANA name)."""
    return DailyPartitionsDefinition(start_date=start_date.isoformat(), timezone=timezone)
