"""The DuckDB writer lock names its holder to waiters and gives up after the timeout instead of waiting forever."""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance, materialize

from liveperson_dagster.resources import LivePersonWarehouse
from liveperson_dagster.runs.warehouse_lock import WarehouseLockTimeout, retry_while_file_held, writer_lock

from .helpers import FakeTime, assets_of, project_assets, project_checks, resources_for

SETTING = "LIVEPERSON_DUCKDB_LOCK_TIMEOUT_SECONDS"


def hold(database, content):
    """Another holder: flock is per open file description, so a second open in this process competes with us."""
    other = open(f"{database}.lock", "a")
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    other.write(content)
    other.flush()
    return other


def other_holder(database, pid=4242):
    content = {"holder": "run 1a2b3c4d", "pid": pid, "since": "2026-11-29T18:00:00+00:00"}
    return hold(database, json.dumps(content))


def test_uncontended_lock_names_its_holder_while_held_and_clears_after(tmp_path):
    database = tmp_path / "sub" / "x.duckdb"
    logs = []
    with writer_lock(database, "run deadbeef", 60, logs.append):
        written = json.loads(open(f"{database}.lock").read())
        assert written["holder"] == "run deadbeef" and written["pid"] == os.getpid()
        assert set(written) == {"holder", "pid", "hostname", "since"}
        with open(f"{database}.lock", "a") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert open(f"{database}.lock").read() == ""
    assert logs == []


def test_timeout_zero_fails_at_once_naming_the_holder(tmp_path):
    database = tmp_path / "x.duckdb"
    logs, fake = [], FakeTime(start=1000.0)
    with other_holder(database):
        with pytest.raises(WarehouseLockTimeout) as raised:
            with writer_lock(database, "run deadbeef", 0, logs.append, clock=fake.clock, sleep=fake.sleep):
                pytest.fail("must not acquire")
    message = str(raised.value)
    assert str(database) in message and "run 1a2b3c4d" in message and "pid 4242" in message
    assert SETTING in message and "\n" not in message
    assert logs == [] and fake.sleeps == []


def test_waits_logging_the_holder_once_then_acquires_when_released(tmp_path):
    database = tmp_path / "x.duckdb"
    other = other_holder(database)
    logs = []
    fake = FakeTime(start=1000.0, on_sleep=lambda n: n == 2 and fcntl.flock(other, fcntl.LOCK_UN))
    try:
        with writer_lock(database, "checks of run deadbeef", 3600, logs.append, clock=fake.clock, sleep=fake.sleep):
            assert json.loads(open(f"{database}.lock").read())["holder"] == "checks of run deadbeef"
    finally:
        other.close()
    assert fake.sleeps == [0.5, 0.5]
    assert logs == [
        f"Waiting for the DuckDB writer lock on {database}: held by run 1a2b3c4d (pid 4242, since "
        f"2026-11-29T18:00:00+00:00); giving up after 3600 s ({SETTING})",
        f"Got the DuckDB writer lock on {database} after 1 s",
    ]


def test_gives_up_once_the_clock_passes_the_timeout(tmp_path):
    database = tmp_path / "x.duckdb"
    logs, fake = [], FakeTime(start=1000.0)
    with other_holder(database):
        with pytest.raises(WarehouseLockTimeout) as raised:
            with writer_lock(database, "run deadbeef", 3, logs.append, clock=fake.clock, sleep=fake.sleep):
                pytest.fail("must not acquire")
    assert len(fake.sleeps) == 3 / 0.5 and fake.now - 1000 == 3
    assert str(raised.value).startswith(f"Gave up after 3 s waiting for the DuckDB writer lock on {database}")
    assert len(logs) == 1 and logs[0].startswith("Waiting for") and "run 1a2b3c4d" in logs[0]


def test_a_long_wait_says_again_every_minute_who_holds_the_lock(tmp_path):
    database = tmp_path / "x.duckdb"
    logs, fake = [], FakeTime(start=1000.0)
    with other_holder(database):
        with pytest.raises(WarehouseLockTimeout):
            with writer_lock(database, "run deadbeef", 150, logs.append, clock=fake.clock, sleep=fake.sleep):
                pytest.fail("must not acquire")
    holder = "held by run 1a2b3c4d (pid 4242, since 2026-11-29T18:00:00+00:00)"
    assert logs == [
        f"Waiting for the DuckDB writer lock on {database}: {holder}; giving up after 150 s ({SETTING})",
        f"Still waiting for the DuckDB writer lock on {database} after 60 s: {holder}; giving up after 150 s ({SETTING})",
        f"Still waiting for the DuckDB writer lock on {database} after 120 s: {holder}; giving up after 150 s "
        f"({SETTING})",
    ]


def test_a_load_waiting_for_a_reader_says_again_every_minute_who_holds_the_file(tmp_path):
    database, logs, fake = tmp_path / "x.duckdb", [], FakeTime(start=1000.0)

    def refused():
        raise RuntimeError('IO Error: Could not set lock on file: Conflicting lock is held in /usr/bin/python3 '
                           '(PID 4242) by user me')

    with pytest.raises(WarehouseLockTimeout, match=f"raise {SETTING} \\(now 130\\)"):
        retry_while_file_held(refused, database, 130, logs.append, clock=fake.clock, sleep=fake.sleep)
    assert logs[1:] == [
        f"Still waiting to load into {database} after {seconds} s: DuckDB says /usr/bin/python3 (pid 4242) holds the "
        f"file; giving up after 130 s ({SETTING})" for seconds in (60, 120)]


@pytest.mark.parametrize("content", ["", "not json", '{"pid": 1}'])
def test_a_holder_that_did_not_say_who_is_another_process(tmp_path, content):
    database = tmp_path / "x.duckdb"
    with hold(database, content):
        with pytest.raises(WarehouseLockTimeout, match=r"held by another process \(it did not say which\)"):
            with writer_lock(database, "run deadbeef", 0, print):
                pass


def test_negative_timeout_is_refused(tmp_path):
    with pytest.raises(ValueError, match=SETTING):
        with writer_lock(tmp_path / "x.duckdb", "run deadbeef", -1, print):
            pass


def test_another_process_is_named_and_its_lock_goes_when_it_ends(tmp_path):
    database = tmp_path / "x.duckdb"
    holder_code = (
        "import sys; from pathlib import Path; from liveperson_dagster.runs.warehouse_lock import writer_lock\n"
        "with writer_lock(Path(sys.argv[1]), 'run 0badf00d', 0, print):\n"
        "    print('held', flush=True); sys.stdin.read()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", holder_code, str(database)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[1])
    try:
        assert child.stdout.readline() == "held\n"
        with pytest.raises(WarehouseLockTimeout, match=rf"held by run 0badf00d \(pid {child.pid}, since "):
            with writer_lock(database, "run deadbeef", 0, print):
                pass
    finally:
        child.stdin.close()
        assert child.wait(timeout=60) == 0
    with writer_lock(database, "run deadbeef", 0, print):
        pass


# Through Dagster: a run and the asset checks wait for the lock, say for whom, and give up naming the holder.

def _run_while_held(emulator, tmp_path, assets, timeout_seconds, **materialize_args):
    database = tmp_path / "warehouse.duckdb"
    warehouse = LivePersonWarehouse(duckdb_path=str(database), duckdb_lock_timeout_seconds=timeout_seconds)
    instance = DagsterInstance.ephemeral()
    with writer_lock(database, "run deadbeef", 0, log=print):
        result = materialize(assets, resources={**resources_for(emulator, database), "warehouse": warehouse},
                             instance=instance, raise_on_error=False, **materialize_args)
    return result, [entry.user_message for entry in instance.all_logs(result.run_id)]


def test_a_run_waits_for_the_writer_lock_logging_its_holder_then_gives_up_naming_it(emulator, tmp_path):
    (conversations,) = assets_of("conversations")
    result, messages = _run_while_held(emulator, tmp_path, [conversations], 0.5, partition_key="2026-11-03")
    assert not result.success
    holder = f"held by run deadbeef (pid {os.getpid()}, since "
    waiting = [m for m in messages if m.startswith("Waiting for the DuckDB writer lock on ")]
    assert len(waiting) == 1 and holder in waiting[0] and SETTING in waiting[0]
    failure = result.failure_data_for_node("liveperson_conversations").error.cause
    assert failure.cls_name == "WarehouseLockTimeout"
    assert f"waiting for the DuckDB writer lock on {tmp_path / 'warehouse.duckdb'}: {holder}" in failure.message
    assert not (tmp_path / "warehouse.duckdb").exists()  # nothing was written


def test_asset_checks_give_up_on_a_held_writer_lock_naming_its_holder(emulator, tmp_path):
    result, _ = _run_while_held(emulator, tmp_path, [*project_assets(), *project_checks()], 0,
                                selection=AssetSelection.all_asset_checks())
    assert not result.success
    failure = result.failure_data_for_node("liveperson_config_checks").error.cause
    assert failure.cls_name == "WarehouseLockTimeout"
    assert f"held by run deadbeef (pid {os.getpid()}, since " in failure.message
