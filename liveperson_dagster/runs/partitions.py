"""The partitions of the history assets: days (by record time) and, for Messaging Operations, hours."""

from datetime import date

from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition


def daily_partitions(start_date: date, timezone: str) -> DailyPartitionsDefinition:
    """Days from `start_date` on, each [00:00, next 00:00) in `timezone` (an IANA name)."""
    return DailyPartitionsDefinition(start_date=start_date.isoformat(), timezone=timezone)


def hourly_partitions(start_date: date, timezone: str) -> HourlyPartitionsDefinition:
    """Hours from `start_date` 00:00 on, in `timezone`. LivePerson serves only the last 24 hours of Messaging
    Operations: hours never polled stay missing, so the gaps show in the asset's partitions."""
    return HourlyPartitionsDefinition(start_date=f"{start_date.isoformat()}-00:00", timezone=timezone)
