"""The production setup on one machine: deploy/dagster.yaml (PostgreSQL storage, queued runs, the `liveperson`
pool, run monitoring, local compute logs) with the real `dagster-daemon` and `dagster-webserver`; a backfill
launched through the webserver's GraphQL API lands exactly the emulator's conversations, in runs of the default days
per run, one at a time."""

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

from liveperson_emulator import Emulator, EmulatorConfig

from .helpers import (
    BIN, CONVERSATIONS, DEFINITIONS, PROJECT_ROOT, day_keys, expected_ids, expected_message_records,
    free_port, fresh_postgres_database, graphql, postgres_query, require_postgres, start_logged, stop_group,
    tail, wait_until, warehouse_contents,
)

DEPLOY_CONFIG = PROJECT_ROOT / "deploy" / "dagster.yaml"
FIRST_DAY, LAST_DAY = date(2026, 11, 1), date(2026, 11, 20)
BACKFILL_FIRST, BACKFILL_LAST = "2026-11-02", "2026-11-15"
# Materialized from the UI's GraphQL API while the backfill's run is queued or running: same pool, so it waits.
SINGLE_DAY = "2026-11-16"
ASSET_KEY = {"path": CONVERSATIONS.split("/")}

INSTANCE_QUERY = """{
  instance {
    runQueuingSupported
    runQueueConfig { maxConcurrentRuns }
    poolConfig { poolGranularity defaultPoolLimit }
    concurrencyLimit(concurrencyKey: "liveperson") { limit }
  }
  repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } }
}"""

LAUNCH_BACKFILL = """mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}"""

LAUNCH_RUN = """mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

STATUS = """query Status($backfill: String!, $run: ID!) {
  partitionBackfillOrError(backfillId: $backfill) { __typename ... on PartitionBackfill { status } }
  runOrError(runId: $run) { __typename ... on Run { status } }
}"""

BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def production_env(emulator, home: Path, database: str, warehouse: Path) -> dict:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEPERSON_", "DAGSTER_"))}
    return {
        **inherited,
        **emulator.env(),
        "LIVEPERSON_START_DATE": FIRST_DAY.isoformat(),
        "LIVEPERSON_DUCKDB_PATH": str(warehouse),
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": database,
        "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_COMPUTE_LOG_DIR": str(home / "compute_logs"),
    }


def backfill_runs(database: str, backfill_id: str) -> list:
    return postgres_query(database, "select r.run_id, r.status, r.start_time, r.end_time from runs r join run_tags t "
                                    "on t.run_id = r.run_id where t.key = 'dagster/backfill' and t.value = %s",
                          (backfill_id,))


def test_backfill_via_webserver_and_daemon_on_postgres_lands_exactly_the_days(tmp_path):
    require_postgres()
    try:
        import dagster_postgres  # noqa: F401  (what `storage: postgres` needs)
    except ImportError:
        raise AssertionError("deploy/dagster.yaml needs the dagster-postgres package; it is not installed") from None
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_CONFIG, home / "dagster.yaml")
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    days = day_keys(BACKFILL_FIRST, BACKFILL_LAST)
    with Emulator(EmulatorConfig(first_day=FIRST_DAY, last_day=LAST_DAY, conversations_per_day=30)) as emulator, \
            fresh_postgres_database() as database:
        env = production_env(emulator, home, database, warehouse)
        # The deployment step of docs/production.md: creates the schema in PostgreSQL and sets the pool's limit
        # (on a fresh instance Dagster applies pools.default_limit only from its second dequeue pass on).
        setup = subprocess.run([str(BIN / "dagster"), "instance", "concurrency", "set", "liveperson", "1"],
                               env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        port = free_port()
        daemon_log, webserver_log = tmp_path / "daemon.log", tmp_path / "webserver.log"
        webserver = start_logged([str(BIN / "dagster-webserver"), "-m", DEFINITIONS, "-h", "127.0.0.1",
                                  "-p", str(port)], env, webserver_log)
        daemon = None
        try:
            def instance_info():
                try:
                    return graphql(port, INSTANCE_QUERY)
                except OSError:
                    return None

            info = wait_until(instance_info, 120, "dagster-webserver answering", interval=0.5,
                              process=webserver, log=webserver_log)
            assert info["instance"] == {
                "runQueuingSupported": True,
                "runQueueConfig": {"maxConcurrentRuns": 10},
                "poolConfig": {"poolGranularity": "run", "defaultPoolLimit": 1},
                "concurrencyLimit": {"limit": 1},
            }
            (repository,) = info["repositoriesOrError"]["nodes"]

            launched = graphql(port, LAUNCH_BACKFILL, {"params": {"partitionNames": days,
                                                                  "assetSelection": [ASSET_KEY]}})
            launched = launched["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            backfill_id = launched["backfillId"]

            # Started after the request, the daemon's first backfill pass (one every 30 s) takes it up at once.
            daemon = start_logged([str(BIN / "dagster-daemon"), "run", "-m", DEFINITIONS], env, daemon_log)
            wait_until(lambda: backfill_runs(database, backfill_id), 120, "the backfill's runs being created",
                       interval=0.5, process=daemon, log=daemon_log)

            selector = {"repositoryLocationName": repository["location"]["name"],
                        "repositoryName": repository["name"], "jobName": "__ASSET_JOB",
                        "assetSelection": [ASSET_KEY]}
            single = graphql(port, LAUNCH_RUN, {"params": {
                "selector": selector,
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": SINGLE_DAY}]},
            }})["launchRun"]
            assert single["__typename"] == "LaunchRunSuccess", single
            single_run_id = single["run"]["runId"]

            def finished():
                assert daemon.poll() is None, f"dagster-daemon exited{tail(daemon_log)}"
                answer = graphql(port, STATUS, {"backfill": backfill_id, "run": single_run_id})
                backfill, run = answer["partitionBackfillOrError"], answer["runOrError"]
                assert backfill["__typename"] == "PartitionBackfill" and run["__typename"] == "Run", answer
                done = backfill["status"] in BACKFILL_DONE and run["status"] in RUN_DONE
                return (backfill["status"], run["status"]) if done else None

            statuses = wait_until(finished, 150, "the backfill and the single run finishing", interval=1,
                                  log=daemon_log)
            assert statuses in {("COMPLETED", "SUCCESS"), ("COMPLETED_SUCCESS", "SUCCESS")}, \
                f"{statuses}{tail(daemon_log)}"
        finally:
            stop_group(webserver)
            if daemon is not None:
                stop_group(daemon)

        contents = warehouse_contents(warehouse)
        assert contents["ids"] == expected_ids(emulator, BACKFILL_FIRST, SINGLE_DAY)
        assert contents["message_records"] == expected_message_records(emulator, BACKFILL_FIRST, SINGLE_DAY)

        # Everything Dagster recorded is in PostgreSQL: the backfill of several days ran as one run (every asset's
        # policy is single-run); every run went through the queue and succeeded; one materialization per day.
        chunks = backfill_runs(database, backfill_id)
        assert len(days) > 1 and len(chunks) == 1, chunks
        ((single_status, single_start, single_end),) = postgres_query(
            database, "select status, start_time, end_time from runs where run_id = %s", (single_run_id,))
        assert {status for _, status, _, _ in chunks} == {single_status} == {"SUCCESS"}
        # The pool `liveperson` allows one run at a time: the chunks and the single run (queued while the
        # backfill was in progress) never overlapped.
        ((enqueued,),) = postgres_query(database, "select extract(epoch from timestamp) from event_logs where "
                                                  "run_id = %s and dagster_event_type = 'PIPELINE_ENQUEUED'",
                                        (single_run_id,))
        last_end = max(end for _, _, _, end in chunks)
        assert float(enqueued) < last_end, (float(enqueued), last_end)
        spans = sorted([(start, end) for _, _, start, end in chunks] + [(single_start, single_end)])
        assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:])), spans
        run_ids = [run_id for run_id, _, _, _ in chunks]
        for one in (*run_ids, single_run_id):
            events = {row[0] for row in postgres_query(database, "select dagster_event_type from event_logs "
                                                                 "where run_id = %s", (one,))}
            assert {"PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_SUCCESS"} <= events, events
        partitions = postgres_query(database, "select partition from event_logs where dagster_event_type = "
                                              "'ASSET_MATERIALIZATION' and asset_key = %s",
                                    ('["liveperson", "conversations"]',))
        assert sorted(row[0] for row in partitions) == [*days, SINGLE_DAY]
        # No SQLite storage was created next to the config, and the steps' output went to the compute log dir.
        assert not list(home.glob("history")) and not list(home.glob("**/*.db")), sorted(home.rglob("*"))
        for one in (*run_ids, single_run_id):
            assert [p for p in (home / "compute_logs" / one).rglob("*") if p.is_file()], f"no compute logs of {one}"
