"""The sensor `liveperson_conversation_updates_sensor`: asks the conversation search how many conversations were
updated since its cursor and, when there are some, requests a run of `liveperson_conversation_updates` for them.

Its cursor moves only past what has landed: a tick that requests a run remembers it, and the cursor takes the
tick's time only once that run has succeeded (a failed run's changes are searched again by the next tick). One of
its runs is in flight at a time. Records carry no "last updated" field, so the cursor is the time of a tick,
stepped back when searching (see STEP_BACK_MS)."""

import json
import time
from dataclasses import asdict, dataclass
from typing import Callable, Optional

from dagster import (
    DagsterRunStatus,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from .liveperson import LivePersonClient, LivePersonError, LivePersonHTTPError
from .liveperson.windows import utc_from_ms
from .resources import LivePersonCredentials
from .config import variable
from .constants import RUN_KEY_TAG
from .updates import UPDATES_OP_NAME, search_window
from .accounts import SINGLE, Account

SENSOR_NAME = "liveperson_conversation_updates_sensor"
# Changes show in the search about a minute after they happen, and the documented rounding of `latestUpdateTime`
# ("rounded to the last 10 minutes", with an example that reads as up to 20): 12 minutes of overlap cover both.
STEP_BACK_MS = 12 * 60_000
# A requested run not found after this long was never created (the daemon stopped between tick and launch).
LOST_REQUEST_MS = 30 * 60_000
DAY_MS = 86_400_000


class LivePersonUpdatesRejected(LivePersonError):
    """The conversation search refused the `latestUpdateTime` filter."""


@dataclass
class UpdatesCursor:
    """`through_ms`: every change before it has landed (None before the first tick). `run_key`, `run_until_ms`,
    `requested_ms`: the run requested for the changes up to `run_until_ms`, not yet seen to end."""

    through_ms: Optional[int] = None
    run_key: Optional[str] = None
    run_until_ms: Optional[int] = None
    requested_ms: Optional[int] = None

    @classmethod
    def parse(cls, text: Optional[str]) -> "UpdatesCursor":
        return cls(**json.loads(text)) if text else cls()

    def dumps(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def updates_sensor(job: JobDefinition, partitions_def: DailyPartitionsDefinition, interval_seconds: int,
                   first_lookback_days: int, clock: Callable[[], float] = time.time, account: Account = SINGLE):
    """The first tick looks back `first_lookback_days` (the days the daily schedule re-loads)."""
    sensor_name = account.named(SENSOR_NAME)

    decorator = sensor(
        name=sensor_name,
        required_resource_keys=None if account.name is None else {account.credentials_key},
        job=job,
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.STOPPED,
        description="Late changes: conversations updated since the last tick (LivePerson's latestUpdateTime), merged "
                    f"into their day partitions by a run of {job.name}; one run at a time.",
    )

    def evaluate(context: SensorEvaluationContext, liveperson: LivePersonCredentials):
        now_ms = int(clock() * 1000)
        cursor = UpdatesCursor.parse(context.cursor)
        if cursor.run_key is not None:
            run = next(iter(context.instance.get_runs(RunsFilter(tags={RUN_KEY_TAG: cursor.run_key}), limit=1)), None)
            if (run is None and now_ms - cursor.requested_ms < LOST_REQUEST_MS) or (run and not run.is_finished):
                return SkipReason(f"Waiting for the run of {cursor.run_key} to end")
            if run is not None and run.status == DagsterRunStatus.SUCCESS:
                cursor.through_ms = cursor.run_until_ms
            else:
                context.log.warning(f"The run of {cursor.run_key} did not succeed: its changes are searched again")
            cursor.run_key = cursor.run_until_ms = cursor.requested_ms = None
            context.update_cursor(cursor.dumps())

        window = search_window(partitions_def, utc_from_ms(now_ms))
        if window is None:
            return SkipReason("No complete day yet")
        since_ms = (cursor.through_ms if cursor.through_ms is not None else now_ms - first_lookback_days * DAY_MS)
        since_ms -= STEP_BACK_MS
        client = LivePersonClient(liveperson.connection())
        try:
            updated = client.count_updated_conversations(window, since_ms)
        except LivePersonHTTPError as error:
            if error.status == 400:
                raise LivePersonUpdatesRejected(
                    f"The conversation search rejected the latestUpdateTime filter ({error}): late changes cannot be "
                    f"found this way on this account. Stop {sensor_name}; the daily schedule's re-load of the last "
                    f"{variable('lookback_days')} days still brings the changes of those days."
                ) from None
            raise
        since = utc_from_ms(since_ms).isoformat()
        if updated == 0:
            cursor.through_ms = now_ms
            context.update_cursor(cursor.dumps())
            return SkipReason(f"No conversation of {window} updated since {since}")
        run_key = f"updated since {since_ms} until {now_ms}"
        cursor.run_key, cursor.run_until_ms, cursor.requested_ms = run_key, now_ms, now_ms
        context.update_cursor(cursor.dumps())
        return RunRequest(
            run_key=run_key,
            run_config={"ops": {UPDATES_OP_NAME: {"config": {"since_ms": since_ms, "until_ms": now_ms}}}},
            tags={"liveperson/updated_since": since, "liveperson/updates_counted": str(updated)},
        )

    # The single account's resource is its parameter, as before (a direct call passes it so); a named account's
    # resource key is its own (liveperson_<name>), read from the context.
    if account.name is None:
        def liveperson_conversation_updates_sensor(context: SensorEvaluationContext, liveperson: LivePersonCredentials):
            return evaluate(context, liveperson)
    else:
        def liveperson_conversation_updates_sensor(context: SensorEvaluationContext):
            return evaluate(context, getattr(context.resources, account.credentials_key))
    return decorator(liveperson_conversation_updates_sensor)
