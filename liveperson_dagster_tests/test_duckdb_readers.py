"""An analyst's read-only DuckDB connection, open while a run fetches, delays the run's load instead of throwing away
what it fetched: the load waits for the file (logging who holds it, as DuckDB says) and loads the pending package once
the reader is gone, without fetching again; past the timeout it fails naming the file and the cause."""

import subprocess
import sys

import pytest
from dagster import materialize

from liveperson_dagster.resources import LivePersonWarehouse
from liveperson_dagster.runs.warehouse_lock import retry_while_file_held

from .helpers import (
    CONVERSATIONS, assets_of, cli_env, expected_ids, resources_for, start_materialize, stop_group, tail, wait_until,
    warehouse_contents, warehouse_tables,
)

READER = "import duckdb, sys; connection = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); " \
         "sys.stdin.read()"


def open_reader(database) -> subprocess.Popen:
    """Another process holding `database` open read-only until its stdin is closed."""
    reader = subprocess.Popen([sys.executable, "-c", READER, str(database)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    return reader


def close_reader(reader: subprocess.Popen) -> None:
    reader.stdin.close()
    assert reader.wait(timeout=30) == 0


def searches(emulator) -> int:
    return emulator.stats.snapshot()["requests"].get("search", 0)


def test_a_reader_opened_during_the_fetch_delays_the_load_without_refetching(start_emulator, tmp_path):
    emulator = start_emulator(latency_ms=100, conversations_per_day=400)
    database = tmp_path / "warehouse.duckdb"
    first = emulator.config.last_day.isoformat()
    env = cli_env(emulator, database, tmp_path / "home")
    # A first day, so that the file exists for the reader to open.
    first_run = start_materialize(env, tmp_path / "first.log", "--select", CONVERSATIONS, "--partition", first)
    assert first_run.wait(timeout=240) == 0, tail(tmp_path / "first.log")

    day = emulator.config.first_day.isoformat()
    log = tmp_path / "run.log"
    before = searches(emulator)
    run = start_materialize(env, log, "--select", CONVERSATIONS, "--partition", day)
    reader = None
    try:
        wait_until(lambda: searches(emulator) > before, 120, "the run's first search request", interval=0.01,
                   process=run, log=log)
        reader = open_reader(database)  # while the run fetches
        wait_until(lambda: "Waiting to load into" in log.read_text(errors="replace"), 180,
                   "the run waiting for the reader", process=run, log=log)
        fetched = searches(emulator) - before
        close_reader(reader)
        reader = None
        assert run.wait(timeout=240) == 0, tail(log)
    finally:
        if reader is not None:
            reader.kill()
        stop_group(run)
    output = log.read_text(errors="replace")
    assert "DuckDB says" in output and "holds the file" in output and f"Loaded into {database} after waiting" in output
    assert searches(emulator) - before == fetched  # nothing fetched again after the wait
    assert warehouse_contents(database)["ids"] == sorted(expected_ids(emulator, day, day) + expected_ids(emulator, first, first))


def test_a_reader_that_stays_makes_the_run_give_up_naming_the_file(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    day = emulator.config.first_day.isoformat()
    assert materialize(assets_of("users"), resources=resources_for(emulator, database)).success
    reader = open_reader(database)
    try:
        impatient = LivePersonWarehouse(duckdb_path=str(database), duckdb_lock_timeout_seconds=1)
        result = materialize(assets_of("conversations"), resources={**resources_for(emulator, database),
                                                                    "warehouse": impatient},
                             partition_key=day, raise_on_error=False)
    finally:
        close_reader(reader)
    assert not result.success
    error = result.failure_data_for_node("liveperson_conversations").error.to_string()
    assert f"waiting to load into {database}: DuckDB says" in error and "holds the file" in error
    assert "LIVEPERSON_DUCKDB_LOCK_TIMEOUT_SECONDS (now 1)" in error
    # Held from the start: the run waited before fetching anything, so nothing fetched was thrown away.
    assert searches(emulator) == 0 and "conversations" not in warehouse_tables(database)


def test_only_duckdb_lock_conflicts_are_retried(tmp_path):
    conflict = IOError('IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held in '
                       '/usr/bin/python3.11 (PID 4242). However, you would be able to open this database in read-only mode')
    outcomes = [RuntimeError("wrapped by dlt"), RuntimeError("wrapped by dlt"), "loaded"]
    outcomes[0].__cause__, outcomes[1].__context__ = conflict, conflict
    logs, sleeps = [], []

    def load():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry_while_file_held(load, tmp_path / "x.duckdb", 60, logs.append, sleep=sleeps.append) == "loaded"
    assert len(sleeps) == 2 and len(logs) == 2
    assert "DuckDB says /usr/bin/python3.11 (pid 4242) holds the file" in logs[0] and logs[1].startswith("Loaded into")

    def broken():
        raise ValueError("not a lock conflict")

    with pytest.raises(ValueError, match="not a lock conflict"):
        retry_while_file_held(broken, tmp_path / "x.duckdb", 60, logs.append, sleep=sleeps.append)
    assert len(sleeps) == 2
