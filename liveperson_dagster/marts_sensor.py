"""Late changes reach the marts: when a run of `liveperson_conversation_updates` (late changes merged into their day
partitions, updates.py) succeeds, the sensor `liveperson_marts_after_updates` requests a run of the job
`liveperson_marts_refresh` that builds the marts of the days it touched: one run for the range from the first to the
last of them (the days between are rebuilt too, exactly as they are: one run instead of one per day)."""

from typing import List

from dagster import (
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunStatusSensorContext,
    SkipReason,
    define_asset_job,
    run_status_sensor,
)

from .constants import MARTS_JOB_NAME, RANGE_END_TAG, RANGE_START_TAG
from .translator import asset_key

MARTS_SENSOR_NAME = "liveperson_marts_after_updates"


def touched_days(instance: DagsterInstance, run_id: str) -> List[str]:
    """The partitions of liveperson/conversations that the run reported materialized, sorted."""
    conversations = asset_key("conversations")
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
