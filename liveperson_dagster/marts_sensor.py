"""Late changes reach the marts: when a run of `liveperson_conversation_updates` (late changes merged into their day
partitions, updates.py) succeeds, the sensor `liveperson_marts_after_updates` requests a run of the job
`liveperson_marts_refresh` that builds the marts of the days it touched: one run for the range from the first to the
last of them (the days between are rebuilt too, exactly as they are: one run instead of one per day)."""

from typing import List, Sequence

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunStatusSensorContext,
    SkipReason,
    run_status_sensor,
)

from .constants import MARTS_JOB_NAME, RANGE_END_TAG, RANGE_START_TAG
from .translator import asset_key

MARTS_SENSOR_NAME = "liveperson_marts_after_updates"


def touched_days(instance: DagsterInstance, run_id: str) -> List[str]:
    """The partitions of liveperson/conversations that the run reported materialized, sorted."""
    conversations = asset_key("conversations")  # the single account's (several accounts: marts_after_loads_sensor)
    entries = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    return sorted({entry.asset_materialization.partition for entry in entries
                   if entry.asset_materialization.asset_key == conversations and entry.asset_materialization.partition})


def marts_after_updates_sensor(updates_job: JobDefinition, refresh_job):
    @run_status_sensor(
        name=MARTS_SENSOR_NAME,
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[updates_job],
        request_job=refresh_job,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"After a successful run of {updates_job.name}: the marts of the days it touched, in one run of "
                    f"{MARTS_JOB_NAME}.",
    )
    def liveperson_marts_after_updates(context: RunStatusSensorContext):
        run_id = context.dagster_run.run_id
        days = touched_days(context.instance, run_id)
        if not days:
            return SkipReason(f"Run {run_id[:8]} touched no day")
        return RunRequest(run_key=f"marts after {run_id}",
                          tags={RANGE_START_TAG: days[0], RANGE_END_TAG: days[-1],
                                "liveperson/days_touched": ",".join(days)})

    return liveperson_marts_after_updates


def marts_after_loads_sensor(load_jobs: Sequence[JobDefinition], refresh_job):
    """Several accounts: their marts are one layer, rebuilt whole (unpartitioned: each account's days are in its own
    time zone) after a successful daily or late-changes run of any account."""

    @run_status_sensor(
        name=MARTS_SENSOR_NAME,
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=list(load_jobs),
        request_job=refresh_job,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"After a successful daily or late-changes run of an account: the marts of every account, in one "
                    f"run of {MARTS_JOB_NAME}.",
    )
    def liveperson_marts_after_updates(context: RunStatusSensorContext):
        return RunRequest(run_key=f"marts after {context.dagster_run.run_id}")

    return liveperson_marts_after_updates
