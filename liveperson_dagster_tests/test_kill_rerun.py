"""A `dagster asset materialize` killed with SIGKILL while fetching or while loading, with every process it
started (like a machine or container dying) or alone (like an operator or a supervisor killing the command),
leaves no process running; its run stays started until the next run marks it failed; the next run loads exactly
the right rows. Partition runs started together from the CLI all land."""

import logging
import os
import signal
import subprocess
import sys

import psutil
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, build_sensor_context

from liveperson_dagster.runs import run_owners
from .helpers import (
    CONVERSATIONS, cli_env, day_keys, dlt_working_dirs, expected_ids, expected_message_records, jobs, kill_group,
    load_packages, process_tree, run_failure_message, run_materialize, runs_holding_pool, runs_of,
    start_materialize, stop_group, wait_for_no_survivors, wait_until, warehouse_contents, warehouse_tables,
)

FIRST, LAST = "2026-11-02", "2026-11-05"
RANGE = ("--select", CONVERSATIONS, "--partition-range", f"{FIRST}...{LAST}")


def kill_env(emulator, tmp_path, **extra) -> dict:
    """The CLI environment with the temp dir (where each run's dlt working dir goes) owned by the test."""
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir(exist_ok=True)
    return cli_env(emulator, tmp_path / "warehouse.duckdb", tmp_path / "home", TMPDIR=str(temp_dir), **extra)


def assert_exact(emulator, database, first: str = FIRST, last: str = LAST) -> None:
    contents = warehouse_contents(database)
    assert contents["ids"] == expected_ids(emulator, first, last)  # sorted with duplicates: exact, none twice
    assert contents["message_records"] == expected_message_records(emulator, first, last)


def rerun_and_check(emulator, tmp_path, env, killed_pid: int) -> None:
    # The killed run stays started, owned by the process that was killed, and queued runs of the `liveperson` pool
    # would wait for it...
    (killed,) = runs_of(env)
    assert killed.status == DagsterRunStatus.STARTED
    assert killed.tags[run_owners.PID_TAG] == str(killed_pid)  # its steps ran in the command's own process
    assert runs_holding_pool(env) == [killed.run_id]
    code, output, _ = run_materialize(env, tmp_path / "rerun.log", *RANGE)
    assert code == 0, output[-3000:]
    # ... until the next run marks it failed, saying why and what to re-run.
    statuses = {run.run_id: run.status for run in runs_of(env)}
    assert statuses.pop(killed.run_id) == DagsterRunStatus.FAILURE
    ((rerun_id, rerun_status),) = statuses.items()
    assert rerun_status == DagsterRunStatus.SUCCESS
    message = run_failure_message(env, killed.run_id)
    assert f"(pid {killed_pid} on " in message and "died: it was killed" in message, message
    assert f"Re-run its partitions {FIRST}...{LAST}" in message and f"Noticed by run {rerun_id}" in message, message
    assert runs_holding_pool(env) == []
    assert_exact(emulator, tmp_path / "warehouse.duckdb")


def start_fetching(emulator, env: dict, log) -> subprocess.Popen:
    """The range run started, and seen fetching: 4 search requests served."""
    process = start_materialize(env, log, *RANGE)
    try:
        wait_until(lambda: emulator.stats.snapshot()["requests"].get("search", 0) >= 4, 120,
                   "4 search requests served", interval=0.02, process=process, log=log)
    except BaseException:
        kill_group(process)
        raise
    return process


def test_killed_while_fetching_then_rerun_loads_exactly(start_emulator, tmp_path):
    emulator = start_emulator(latency_ms=150, conversations_per_day=600)
    env = kill_env(emulator, tmp_path)
    process = start_fetching(emulator, env, tmp_path / "killed.log")
    kill_group(process)
    searches = emulator.stats.snapshot()["requests"]["search"]
    temp_dir = tmp_path / "tmp"
    # Killed mid-fetch: the run's working dir is left, with nothing normalized or loaded; the warehouse has no
    # conversations, and the expected pages (at least 100 per page) were not all fetched.
    assert len(dlt_working_dirs(temp_dir)) == 1
    assert load_packages(temp_dir, "normalized") == [] and load_packages(temp_dir, "loaded") == []
    assert "conversations" not in warehouse_tables(tmp_path / "warehouse.duckdb")
    assert searches < len(expected_ids(emulator, FIRST, LAST)) / 100

    rerun_and_check(emulator, tmp_path, env, process.pid)


def test_command_killed_alone_leaves_no_process_and_the_next_run_marks_its_run_failed(start_emulator, tmp_path):
    emulator = start_emulator(latency_ms=150, conversations_per_day=600)
    env = kill_env(emulator, tmp_path)
    process = start_fetching(emulator, env, tmp_path / "killed.log")
    try:
        started = process_tree(process.pid)  # the command and every process it has started by now
        os.kill(process.pid, signal.SIGKILL)  # the command alone: what it started is not sent the signal
        process.wait(timeout=30)
        # Nothing keeps fetching: no process the command started outlives it (with Dagster's multiprocess
        # executor the step's process did, and went on to load its data).
        wait_for_no_survivors(started, process.pid)
    finally:
        stop_group(process)
    assert "conversations" not in warehouse_tables(tmp_path / "warehouse.duckdb")

    rerun_and_check(emulator, tmp_path, env, process.pid)


def normalize_workers_of(pid: int) -> list:
    """dlt's normalize worker processes started by the process `pid` (spawned: `multiprocessing.spawn` runs them)."""
    workers = []
    for proc in process_tree(pid)[1:]:
        try:
            if "spawn_main" in " ".join(proc.cmdline()):
                workers.append(proc)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # ended between listing and asking
    return workers


def test_command_killed_while_normalizing_leaves_no_worker(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=1500)
    env = kill_env(emulator, tmp_path, NORMALIZE__WORKERS="2")
    log = tmp_path / "killed.log"
    process = start_materialize(env, log, "--select", CONVERSATIONS, "--partition", FIRST)
    try:
        wait_until(lambda: len(normalize_workers_of(process.pid)) == 2, 180, "2 normalize workers", interval=0.01,
                   process=process, log=log)
        started = process_tree(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        # A process pool's idle workers would otherwise run on for good, adopted by init.
        wait_for_no_survivors(started, process.pid)
    finally:
        stop_group(process)


def test_killed_while_loading_then_rerun_loads_exactly(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=300)
    # Many small files and one load worker: a load phase of seconds (dlt settings, not product changes), so the
    # kill reliably lands between the first and the last loaded file.
    env = kill_env(emulator, tmp_path, NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS="400", LOAD__WORKERS="1")
    log = tmp_path / "killed.log"
    temp_dir = tmp_path / "tmp"

    def loading():
        return [package for package in load_packages(temp_dir, "normalized")
                if len(jobs(package, "completed_jobs")) >= 3]

    process = start_materialize(env, log, *RANGE)
    try:
        wait_until(loading, 180, "a load package with 3 loaded jobs", interval=0.01, process=process, log=log)
    finally:
        kill_group(process)
    # Killed mid-load: the package is still in load/normalized (never reached load/loaded), with jobs loaded and
    # jobs left; the final tables exist but got no row (dlt loads merge tables through a staging dataset).
    (package,) = load_packages(temp_dir, "normalized")
    assert load_packages(temp_dir, "loaded") == []
    assert jobs(package, "completed_jobs") and (jobs(package, "new_jobs") or jobs(package, "started_jobs"))
    assert "conversations" in warehouse_tables(tmp_path / "warehouse.duckdb")
    assert warehouse_contents(tmp_path / "warehouse.duckdb") == {"ids": [], "message_records": 0}

    rerun_and_check(emulator, tmp_path, kill_env(emulator, tmp_path), process.pid)


def test_partition_runs_started_at_the_same_moment_all_land(start_emulator, tmp_path):
    emulator = start_emulator()
    env = kill_env(emulator, tmp_path)  # cli_env initialises the shared DAGSTER_HOME first
    days = day_keys(FIRST, LAST)
    processes = [(day, start_materialize(env, tmp_path / f"{day}.log", "--select", CONVERSATIONS, "--partition", day))
                 for day in days]
    try:
        for day, process in processes:
            process.wait(timeout=300)
            assert process.returncode == 0, (tmp_path / f"{day}.log").read_text()[-3000:]
    finally:
        for _, process in processes:
            stop_group(process)
    assert_exact(emulator, tmp_path / "warehouse.duckdb")
    # Each run cleaned up its own dlt working dir.
    assert dlt_working_dirs(tmp_path / "tmp") == []


def test_runs_are_marked_failed_only_when_their_recorded_process_died():
    """The sweep of each step and of the sensor: only a started run whose owner recorded on this host is gone."""
    finished = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    dead = psutil.Process(finished.pid)
    finished.communicate(timeout=30)  # it ends, and is reaped: its pid names no process, or a later one
    alive = psutil.Process()
    with DagsterInstance.ephemeral() as instance:
        def add(run_id: str, status=DagsterRunStatus.STARTED, owner=None, **tags) -> str:
            owner_tags = run_owners.owner_tags(run_id, owner) if owner else {}
            instance.add_run(DagsterRun(job_name="liveperson_daily", run_id=run_id, status=status,
                                        tags={**owner_tags, **tags}))
            return run_id

        died = add("died", owner=dead, **{"dagster/partition": "2026-11-02"})
        left_alone = [
            add("running", owner=alive),
            add("no owner"),  # not ours, or launched and not yet at a step
            add("copied owner", owner=dead, **{run_owners.RUN_TAG: "its parent"}),  # a re-execution's parent's tags
            add("other host", owner=dead, **{run_owners.HOST_TAG: "another-host"}),
            add("finished", status=DagsterRunStatus.SUCCESS, owner=dead),
        ]
        statuses_before = {run_id: instance.get_run_by_id(run_id).status for run_id in left_alone}

        skip = run_owners.dead_runs_sensor(build_sensor_context(instance=instance))

        assert skip.skip_message == "marked failed: died"
        assert instance.get_run_by_id(died).status == DagsterRunStatus.FAILURE
        assert {run_id: instance.get_run_by_id(run_id).status for run_id in left_alone} == statuses_before
        (failure,) = instance.all_logs(died, of_type=DagsterEventType.RUN_FAILURE)
        message = failure.dagster_event.message
        assert f"(pid {dead.pid} on " in message and "Re-run its partition 2026-11-02" in message, message
        assert "Noticed by the sensor liveperson_dead_runs" in message
        # Once failed, it is not failed again.
        assert run_owners.fail_runs_whose_process_died(instance, "a test", logging.getLogger(__name__)) == []
