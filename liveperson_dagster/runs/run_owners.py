"""Runs whose process died, marked failed.

A run killed from outside (SIGKILL, out of memory, a restart) never reports its end: Dagster keeps it STARTED,
and while it is, queued runs of the `liveperson` pool wait for it (the pool counts active runs, granularity
`run`). Dagster notices only where the code server that started the run outlives it: its run monitoring has no
health check for the DefaultRunLauncher's workers, and a `dagster asset materialize` run has no launcher at all.
So each step records on its run the process that runs it (the run's own: the definitions use the in-process
executor), and every step of the project and the sensor `liveperson_dead_runs` mark failed the unfinished runs
whose recorded process on this host is gone. A run that never reached a step carries no owner and is left alone.
"""

import os
import socket
from typing import Optional

import psutil
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from ..constants import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG

HOST_TAG = "liveperson/owner_host"
# Containers may share a host name (host networking) but not their pids: the pid namespace tells them apart.
PID_NAMESPACE_TAG = "liveperson/owner_pid_namespace"
PID_TAG = "liveperson/owner_pid"
STARTED_TAG = "liveperson/owner_started"
# Re-executions copy their parent's tags: an owner recorded for another run says nothing about this one.
RUN_TAG = "liveperson/owner_run"
UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
# Executors that run every step in the run's own process: only there is the step's process the run's.
RUN_PROCESS_EXECUTORS = frozenset({"in_process", "execute_in_process_executor"})
# Process start times are in clock ticks (10 ms); a pid used again belongs to a process started later.
SAME_START_SECONDS = 1.0


def claim_run(context) -> None:
    """At the start of a step: records this process as the run's owner (when it is the run's own process), and marks
    failed the runs whose owner died."""
    if context.job_def.executor_def.name in RUN_PROCESS_EXECUTORS:
        context.instance.add_run_tags(context.run.run_id, owner_tags(context.run.run_id, psutil.Process()))
    fail_runs_whose_process_died(context.instance, f"run {context.run.run_id}", context.log)


def owner_tags(run_id: str, process: psutil.Process) -> dict:
    """The tags that name `process` (on this host) as the owner of the run `run_id`."""
    return {HOST_TAG: socket.gethostname(), PID_NAMESPACE_TAG: pid_namespace(), PID_TAG: str(process.pid),
            STARTED_TAG: f"{process.create_time():.3f}", RUN_TAG: run_id}


def pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "none"  # no /proc (macOS): one namespace


def fail_runs_whose_process_died(instance: DagsterInstance, noticed_by: str, log) -> list:
    """Marks failed every STARTING or STARTED run whose recorded owner on this host no longer exists (same pid
    and start time); returns their ids. `log`: a logger, told of each run."""
    here = {HOST_TAG: socket.gethostname(), PID_NAMESPACE_TAG: pid_namespace()}
    candidates = instance.get_runs(RunsFilter(statuses=UNFINISHED, tags=here))
    failed = []
    for run in candidates:
        if run.tags.get(RUN_TAG) != run.run_id or owner_alive(run) is not False:
            continue
        current = instance.get_run_by_id(run.run_id)  # another sweep may have been first
        if current is None or current.status not in UNFINISHED:
            continue
        message = died_message(run, noticed_by)
        instance.report_run_failed(current, message)
        log.warning(f"Marked run {run.run_id} failed: {message}")
        failed.append(run.run_id)
    return failed


def owner_alive(run: DagsterRun) -> Optional[bool]:
    """Whether the process recorded on `run` still exists (a zombie does not count); None when the tags do not
    name one."""
    try:
        pid, started = int(run.tags[PID_TAG]), float(run.tags[STARTED_TAG])
    except (KeyError, ValueError):
        return None
    try:
        process = psutil.Process(pid)
        return abs(process.create_time() - started) < SAME_START_SECONDS and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # another user's process: it exists


def died_message(run: DagsterRun, noticed_by: str) -> str:
    tags = run.tags
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        partitions = f"its partitions {tags[RANGE_START_TAG]}...{tags[RANGE_END_TAG]}"
    else:
        partitions = f"its partition {tags[PARTITION_TAG]}" if PARTITION_TAG in tags else "its assets"
    return (f"The process of this run (pid {tags[PID_TAG]} on {tags[HOST_TAG]}) died: it was killed "
            f"(SIGKILL, out of memory or a restart) before the run could end. Re-run {partitions}: a "
            f"re-run loads them exactly, whatever the killed run left. Noticed by {noticed_by}.")


@sensor(
    name="liveperson_dead_runs",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process on this machine died (killed, out of memory), which would "
    "otherwise stay started and hold the liveperson pool.",
)
def dead_runs_sensor(context: SensorEvaluationContext) -> SkipReason:
    failed = fail_runs_whose_process_died(context.instance, "the sensor liveperson_dead_runs", context.log)
    return SkipReason(f"marked failed: {', '.join(failed)}" if failed else "no run whose process died")
