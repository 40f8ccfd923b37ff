"""The daily run: account configuration refreshed, and the last `lookback_days` (LIVEPERSON_LOOKBACK_DAYS) days of conversations
(re)loaded in one run, at 02:00 in the partitions' time zone; the marts of those days are built in the same run.

A tick on local day D loads the partitions D-N .. D-1 (N = lookback days): D-1 for the first time, the days
before it again, because conversations still open at the previous load have changed since (re-loads merge on
`conversation_id`). Days before the partitions' start date are never requested; a tick with no complete day
yet only refreshes the configuration.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from dagster import (
    DailyPartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    build_schedule_from_partitioned_job,
    schedule,
)

from .constants import RANGE_END_TAG, RANGE_START_TAG
from .accounts import SINGLE, Account
from .translator import CONFIG_RESOURCES, asset_key

DEFAULT_CRON = "0 2 * * *"


def daily_schedule(
    job,
    partitions_def: DailyPartitionsDefinition,
    lookback_days: int,
    cron_schedule: str = DEFAULT_CRON,
    account: Account = SINGLE,
) -> ScheduleDefinition:
    """Runs `job` (made by `daily_job`) at `cron_schedule` in the time zone of its assets' daily partitions."""
    if lookback_days < 1:
        raise ValueError(f"lookback_days must be at least 1, got {lookback_days}")
    timezone = partitions_def.timezone
    first_day = partitions_def.start.date()
    config_keys = [asset_key(name, account) for name in CONFIG_RESOURCES]

    @schedule(
        name=f"{job.name}_schedule",
        cron_schedule=cron_schedule,
        execution_timezone=timezone,
        target=job,
        description=(
            f"At {cron_schedule} ({timezone}): account configuration, then conversations of the {lookback_days} "
            "complete day(s) before the tick's day, in one run."
        ),
    )
    def _daily(context: ScheduleEvaluationContext) -> RunRequest:
        today = context.scheduled_execution_time.astimezone(ZoneInfo(timezone)).date()
        last = today - timedelta(days=1)
        first = max(today - timedelta(days=lookback_days), first_day)
        if last < first:
            return RunRequest(run_key=f"config:{today.isoformat()}", asset_selection=config_keys)
        start, end = first.strftime(partitions_def.fmt), last.strftime(partitions_def.fmt)
        return RunRequest(run_key=f"{start}...{end}", tags={RANGE_START_TAG: start, RANGE_END_TAG: end})

    return _daily


# Ten minutes past each hour: the hour before is over, and its metrics are in.
OPERATIONS_MINUTE_OF_HOUR = 10


def operations_schedule(job) -> ScheduleDefinition:
    """Every hour at :10, the hour that has just ended: each hour is polled while LivePerson still serves it."""
    return build_schedule_from_partitioned_job(
        job, name=f"{job.name}_schedule", minute_of_hour=OPERATIONS_MINUTE_OF_HOUR,
        description=f"At :{OPERATIONS_MINUTE_OF_HOUR:02d} every hour: Messaging Operations metrics of the hour that "
        "has just ended.",
    )
