"""Long backfills in chunks: a backfill launched through the webserver runs as runs of at most
LIVEPERSON_BACKFILL_DAYS_PER_RUN days, several at once on PostgreSQL (pool limit), a failed chunk is retried alone
from the UI's re-execution and the finished chunks stay; `dagster asset materialize --partition-range` stays one
run whatever the days per run."""

import shutil
import subprocess
from datetime import date

from liveperson_emulator import Faults

from .helpers import (
    BIN, CONVERSATIONS, DEFINITIONS, PROJECT_ROOT, cli_env, conversation_ids, day_keys, expected_ids,
    fresh_postgres_database, free_port, graphql, postgres_query, require_postgres, runs_of, start_logged,
    stop_group, tail, utc_window, wait_until,
)
from .test_production import DEPLOY_CONFIG, LAUNCH_BACKFILL, production_env

DAYS_PER_RUN = 2
FIRST, LAST = "2026-11-02", "2026-11-06"
DAYS = day_keys(FIRST, LAST)
# Chunks of 2 days: 02-03, 04-05, 06. LivePerson cannot serve 04 for now: the second chunk fails.
CHUNKS = [("2026-11-02", "2026-11-03"), ("2026-11-04", "2026-11-05"), ("2026-11-06", "2026-11-06")]
UNAVAILABLE = date(2026, 11, 4)
# Pool limit and account budget alike: the three chunks fetch at once, sharing 3 requests in flight.
AT_ONCE = 3
ASSET_KEY = {"path": CONVERSATIONS.split("/")}
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"

REEXECUTE_BACKFILL = """mutation Retry($params: ReexecutionParams!) {
  reexecutePartitionBackfill(reexecutionParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}"""

BACKFILL_STATUS = """query Status($backfill: String!) {
  partitionBackfillOrError(backfillId: $backfill) { __typename ... on PartitionBackfill { status } }
}"""

POLICY = """{ assetNodes(assetKeys: [{path: ["liveperson", "conversations"]}]) {
  backfillPolicy { policyType maxPartitionsPerRun } } }"""


def test_the_cli_runs_a_range_longer_than_the_days_per_run_as_one_run(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    env = cli_env(emulator, database, tmp_path / "home", LIVEPERSON_BACKFILL_DAYS_PER_RUN=str(DAYS_PER_RUN))
    log = tmp_path / "materialize.log"
    process = start_logged([str(BIN / "dagster"), "asset", "materialize", "-m", DEFINITIONS, "--select", CONVERSATIONS,
                            "--partition-range", f"{FIRST}...{LAST}"], env, log)
    try:
        assert process.wait(timeout=300) == 0, tail(log)
    finally:
        stop_group(process)
    (run,) = runs_of(env)
    assert (run.status.value, run.tags[RANGE_START], run.tags[RANGE_END]) == ("SUCCESS", FIRST, LAST)
    assert conversation_ids(database) == expected_ids(emulator, FIRST, LAST)


def backfill_runs(database: str, backfill_id: str) -> list:
    """(range start, range end, status) of the backfill's runs, in range order."""
    rows = postgres_query(database, """
        select s.value, e.value, r.status from runs r
        join run_tags b on b.run_id = r.run_id and b.key = 'dagster/backfill' and b.value = %s
        join run_tags s on s.run_id = r.run_id and s.key = %s
        join run_tags e on e.run_id = r.run_id and e.key = %s""", (backfill_id, RANGE_START, RANGE_END))
    return sorted(rows)


def warehouse_ids(database: str, day: str) -> list:
    start, end = utc_window(day)
    return sorted(row[0] for row in postgres_query(
        database, "select conversation_id from liveperson.conversations where start_time >= %s and start_time < %s",
        (start, end)))


def test_a_chunked_backfill_through_the_daemon_retries_its_failed_chunk_alone_on_postgres(start_emulator, tmp_path):
    require_postgres()
    # 150 a day: a chunk of two days is 3 pages, so the chunks want more requests than the budget at once.
    emulator = start_emulator(conversations_per_day=150, faults=Faults(unavailable_days={UNAVAILABLE}))
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_CONFIG, home / "dagster.yaml")
    with fresh_postgres_database() as instance_db, fresh_postgres_database("liveperson_chunks") as warehouse_db:
        env = {
            **production_env(emulator, home, instance_db, tmp_path / "unused.duckdb"),
            "LIVEPERSON_DESTINATION": "postgres",
            "DESTINATION__POSTGRES__CREDENTIALS": f"postgresql://postgres:unused@127.0.0.1:5432/{warehouse_db}",
            "LIVEPERSON_BACKFILL_DAYS_PER_RUN": str(DAYS_PER_RUN),
            "LIVEPERSON_MAX_CONCURRENT_REQUESTS": str(AT_ONCE),
            # The unavailable day fails its chunk after one retry instead of five.
            "LIVEPERSON_MAX_ATTEMPTS": "2",
            # Runs launched by the daemon share the account's request slots in the temp dir they inherit.
            "TMPDIR": str(tmp_path),
        }
        # The documented setting for a server warehouse: several runs of the pool at once.
        setup = subprocess.run([str(BIN / "dagster"), "instance", "concurrency", "set", "liveperson", str(AT_ONCE)],
                               env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        port = free_port()
        daemon_log, webserver_log = tmp_path / "daemon.log", tmp_path / "webserver.log"
        webserver = start_logged([str(BIN / "dagster-webserver"), "-m", DEFINITIONS, "-h", "127.0.0.1",
                                  "-p", str(port)], env, webserver_log)
        daemon = None
        try:
            def policy():
                try:
                    return graphql(port, POLICY)
                except OSError:
                    return None

            (node,) = wait_until(policy, 120, "dagster-webserver answering", interval=0.5, process=webserver,
                                 log=webserver_log)["assetNodes"]
            # The code server's definitions, which the daemon splits backfills by.
            assert node["backfillPolicy"] == {"policyType": "MULTI_RUN", "maxPartitionsPerRun": DAYS_PER_RUN}

            def launch(mutation: str, field: str, params: dict) -> str:
                launched = graphql(port, mutation, {"params": params})[field]
                assert launched["__typename"] == "LaunchBackfillSuccess", launched
                return launched["backfillId"]

            def finished(backfill_id: str) -> str:
                def status():
                    assert daemon.poll() is None, f"dagster-daemon exited{tail(daemon_log)}"
                    found = graphql(port, BACKFILL_STATUS, {"backfill": backfill_id})["partitionBackfillOrError"]
                    assert found["__typename"] == "PartitionBackfill", found
                    return found["status"] if found["status"] not in ("REQUESTED", "CANCELING", "FAILING") else None

                # The daemon looks at backfills every 30 s: one pass launches the chunks, a later one sees them end.
                return wait_until(status, 240, f"backfill {backfill_id} finishing", interval=1, log=daemon_log)

            backfill_id = launch(LAUNCH_BACKFILL, "launchPartitionBackfill",
                                 {"partitionNames": DAYS, "assetSelection": [ASSET_KEY]})
            with emulator.holding("search"):
                # Started after the request, the daemon's first pass launches every chunk; the queue starts three
                # at once. Each chunk's first page waits here until all three are in flight together.
                daemon = start_logged([str(BIN / "dagster-daemon"), "run", "-m", DEFINITIONS], env, daemon_log)
                wait_until(lambda: emulator.stats["requests"].get("search", 0) >= AT_ONCE, 240,
                           "the three chunks' first pages in flight", interval=0.5, process=daemon, log=daemon_log)
                # From here on only the chunks' searches reach the account: at most the budget in flight.
                emulator.stats.reset()
            assert finished(backfill_id) == "COMPLETED_FAILED", tail(daemon_log)
            assert backfill_runs(instance_db, backfill_id) == [
                (*CHUNKS[0], "SUCCESS"), (*CHUNKS[1], "FAILURE"), (*CHUNKS[2], "SUCCESS")]
            assert emulator.stats["max_in_flight"] == AT_ONCE
            assert emulator.stats["faults"] == {"503_unavailable_day": 2}  # the failed chunk's two attempts
            # The finished chunks landed; the failed one wrote nothing.
            for day in DAYS:
                landed = [] if day in day_keys(*CHUNKS[1]) else expected_ids(emulator, day, day)
                assert warehouse_ids(warehouse_db, day) == landed, day

            # LivePerson serves the day again; the user re-executes the backfill from failure.
            emulator.set_faults(Faults())
            retry_id = launch(REEXECUTE_BACKFILL, "reexecutePartitionBackfill",
                              {"parentRunId": backfill_id, "strategy": "FROM_FAILURE"})
            assert finished(retry_id) == "COMPLETED_SUCCESS", tail(daemon_log)
            assert backfill_runs(instance_db, retry_id) == [(*CHUNKS[1], "SUCCESS")]
        finally:
            stop_group(webserver)
            if daemon is not None:
                stop_group(daemon)

        # Four runs in all: the finished chunks were not run again.
        (runs,) = postgres_query(instance_db, "select count(*) from runs")
        assert runs == (4,)
        for day in DAYS:
            assert warehouse_ids(warehouse_db, day) == expected_ids(emulator, day, day), day
        (duplicates,) = postgres_query(warehouse_db,
                                       "select count(*) - count(distinct conversation_id) from liveperson.conversations")
        assert duplicates == (0,)
