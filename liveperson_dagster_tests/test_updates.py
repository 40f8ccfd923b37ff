"""Late changes: the sensor finds conversations updated since its cursor and its runs merge exactly those into
their day partitions; unchanged conversations are untouched; a failed run's changes are fetched by the next one;
an API that rejects the filter fails the tick saying so."""

import subprocess
from datetime import date, datetime, timezone

import pytest
from dagster import (
    DagsterInstance, DagsterRunStatus, Definitions, RunRequest, RunsFilter, SkipReason, build_sensor_context, materialize,
)

from liveperson_dagster.definitions import build_definitions
from liveperson_dagster.liveperson import LivePersonClient
from liveperson_dagster.runs.partitions import daily_partitions
from liveperson_dagster.resources import LivePersonWarehouse
from liveperson_dagster.config import ProjectSettings, SettingsError
from liveperson_dagster.constants import UPDATES_JOB_NAME
from liveperson_dagster.jobs import updates_job
from liveperson_dagster.updates import UPDATES_OP_NAME, search_window
from liveperson_dagster.updates_sensor import (
    SENSOR_NAME, STEP_BACK_MS, LivePersonUpdatesRejected, UpdatesCursor, updates_sensor,
)
from liveperson_emulator import Faults

from .helpers import (
    BIN, DAGSTER, DEFINITIONS, FIRST_DAY, PROJECT_ROOT, assets_of, cli_env, connection_for,
    credentials_for, query, resources_for, start_logged, stop_group, utc_window, wait_until,
)

SETTINGS = ProjectSettings(start_date=FIRST_DAY)
# Conversations still open are on the emulator's last days; all three are older than the schedule's lookback.
DAYS = ("2026-11-03", "2026-11-09", "2026-11-10")
ROWS = ("select conversation_id, status, end_time, info__csat_rate, (select count(*) from "
        "liveperson.conversations__message_records m where m._dlt_root_id = c._dlt_id) from liveperson.conversations c "
        "order by conversation_id")


class Updates:
    """The sensor and the job of one test, with an instance and the warehouse."""

    def __init__(self, emulator, tmp_path):
        self.emulator = emulator
        self.database = tmp_path / "warehouse.duckdb"
        self.days = daily_partitions(SETTINGS.start_date, SETTINGS.timezone)
        self.job = updates_job(self.days)
        self.sensor = updates_sensor(self.job, self.days, SETTINGS.updates_interval_seconds, SETTINGS.lookback_days)
        self.instance = DagsterInstance.ephemeral()
        self.cursor = None

    def load_days(self, *days: str) -> None:
        for day in days:
            assert materialize(assets_of("conversations", settings=SETTINGS),
                               resources=resources_for(self.emulator, self.database), partition_key=day).success

    def tick(self):
        context = build_sensor_context(instance=self.instance, cursor=self.cursor,
                                       resources={"liveperson": credentials_for(self.emulator)})
        result = self.sensor(context)
        self.cursor = context.cursor
        return result

    def run(self, request: RunRequest):
        return self.job.execute_in_process(
            run_config=request.run_config, instance=self.instance, tags={"dagster/run_key": request.run_key},
            resources={"liveperson": credentials_for(self.emulator),
                       "warehouse": LivePersonWarehouse(duckdb_path=str(self.database))},
            raise_on_error=False)


def ids_of_day(emulator, day: str) -> list:
    return sorted(emulator.conversation_ids(*utc_window(day)))


def closed_one(emulator, day: str) -> str:
    return next(record["info"]["conversationId"] for record in emulator.conversations(*utc_window(day))
                if record["info"]["status"] == "CLOSE")


def open_one(emulator, day: str) -> str:
    return next(record["info"]["conversationId"] for record in emulator.conversations(*utc_window(day))
                if record["info"]["status"] == "OPEN")


def expected_row(emulator, conversation_id: str) -> tuple:
    (record,) = [r for r in emulator.conversations(*utc_window(FIRST_DAY, "2026-11-10"))
                 if r["info"]["conversationId"] == conversation_id]
    info = record["info"]
    return (info["status"], info.get("csatRate"), len(record.get("messageRecords") or []))


def test_changes_of_several_days_are_merged_by_the_sensors_runs_and_nothing_else_moves(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=30)
    updates = Updates(emulator, tmp_path)
    updates.load_days(*DAYS)
    first = updates.tick()  # nothing changed since the first tick's look back
    assert isinstance(first, SkipReason) and "No conversation" in first.skip_message
    before = {row[0]: row for row in query(updates.database, ROWS)}

    now = datetime.now(timezone.utc)
    rated = closed_one(emulator, DAYS[0])
    closed = open_one(emulator, DAYS[1])
    messaged = open_one(emulator, DAYS[2])
    emulator.update_conversation(closed, now, close=True)
    emulator.update_conversation(messaged, now, add_messages=2)
    emulator.update_conversation(rated, now, csat=4)

    request = updates.tick()
    assert isinstance(request, RunRequest) and request.tags["liveperson/updates_counted"] == "3"
    result = updates.run(request)
    assert result.success
    touched = {event.materialization.partition: event.materialization.metadata["updated_conversations"].value
               for event in result.get_asset_materialization_events()}
    assert touched == {DAYS[0]: 1, DAYS[1]: 1, DAYS[2]: 1}

    after = {row[0]: row for row in query(updates.database, ROWS)}
    assert sorted(after) == sorted(before)  # the same conversations, each once
    for conversation_id in (closed, messaged, rated):
        status, csat, messages = expected_row(emulator, conversation_id)
        assert (after[conversation_id][1], after[conversation_id][3], after[conversation_id][4]) == (status, csat, messages)
    assert after[closed][1] == "CLOSE" and after[closed][2] is not None
    assert after[messaged][4] == before[messaged][4] + 2 and after[rated][3] == 4
    unchanged = set(before) - {closed, messaged, rated}
    assert {cid: after[cid] for cid in unchanged} == {cid: before[cid] for cid in unchanged}

    # The run landed: the cursor moves to its tick, stepped back for the next search.
    cursor = UpdatesCursor.parse(updates.cursor)
    assert cursor.run_key == request.run_key
    again = updates.tick()
    moved = UpdatesCursor.parse(updates.cursor)
    assert moved.through_ms == cursor.run_until_ms
    # The changes are younger than the overlap the next search steps back: they are merged once more (harmless).
    assert isinstance(again, RunRequest) and again.tags["liveperson/updates_counted"] == "3"
    assert again.run_config["ops"][UPDATES_OP_NAME]["config"]["since_ms"] == cursor.run_until_ms - STEP_BACK_MS


def test_a_failed_update_run_is_followed_by_one_that_loses_nothing(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=30)
    updates = Updates(emulator, tmp_path)
    updates.load_days(DAYS[1])
    assert isinstance(updates.tick(), SkipReason)
    through = UpdatesCursor.parse(updates.cursor).through_ms
    messaged = open_one(emulator, DAYS[1])
    emulator.update_conversation(messaged, datetime.now(timezone.utc), add_messages=3)

    request = updates.tick()
    emulator.set_faults(Faults(forbidden_apis=("msgHist",)))
    failed = updates.run(request)
    assert not failed.success
    emulator.set_faults(Faults())
    waiting = UpdatesCursor.parse(updates.cursor)
    assert waiting.run_key == request.run_key and waiting.through_ms == through

    retry = updates.tick()  # the failed run's changes are searched again, from the same point
    assert isinstance(retry, RunRequest) and retry.run_key != request.run_key
    config = retry.run_config["ops"][UPDATES_OP_NAME]["config"]
    assert config["since_ms"] == request.run_config["ops"][UPDATES_OP_NAME]["config"]["since_ms"] == through - STEP_BACK_MS
    assert updates.run(retry).success
    rows = {row[0]: row for row in query(updates.database, ROWS)}
    assert rows[messaged][4] == expected_row(emulator, messaged)[2]
    assert sorted(rows) == ids_of_day(emulator, DAYS[1])


def test_one_run_in_flight_at_a_time(emulator, tmp_path):
    updates = Updates(emulator, tmp_path)
    cursor = UpdatesCursor(through_ms=1, run_key="updated since 0 until 1", run_until_ms=1,
                           requested_ms=int(datetime.now(timezone.utc).timestamp() * 1000))
    updates.instance.create_run_for_job(updates.job, run_config={"ops": {UPDATES_OP_NAME: {"config": {
        "since_ms": 0, "until_ms": 1}}}}, tags={"dagster/run_key": cursor.run_key})
    updates.cursor = cursor.dumps()
    skipped = updates.tick()
    assert isinstance(skipped, SkipReason) and "Waiting for the run of" in skipped.skip_message
    assert emulator.stats.snapshot()["requests"].get("search", 0) == 0


def test_a_rejected_filter_fails_the_tick_saying_so(start_emulator, tmp_path):
    emulator = start_emulator(refuse_latest_update_time=True)
    updates = Updates(emulator, tmp_path)
    with pytest.raises(LivePersonUpdatesRejected) as rejected:
        updates.tick()
    message = str(rejected.value)
    assert "rejected the latestUpdateTime filter" in message and "LIVEPERSON_LOOKBACK_DAYS" in message
    assert "400" in message
    assert updates.cursor is None  # nothing moved


def test_the_search_covers_three_months_of_complete_days_from_the_first_partition():
    days = daily_partitions(date(2026, 1, 1), "Asia/Kathmandu")
    window = search_window(days, datetime(2026, 11, 29, 12, tzinfo=timezone.utc))
    assert (window.start.isoformat(), window.end.isoformat()) == ("2026-08-29T00:00:00+05:45",
                                                                  "2026-11-29T00:00:00+05:45")
    assert search_window(days, datetime(2026, 1, 1, 12, tzinfo=timezone.utc)) is None
    early = search_window(days, datetime(2026, 1, 20, tzinfo=timezone.utc))
    assert early.start.isoformat() == "2026-01-01T00:00:00+05:45"


def test_counting_updates_matches_the_emulators_own_view(start_emulator):
    emulator = start_emulator(conversations_per_day=30)
    now = datetime.now(timezone.utc)
    changed = [closed_one(emulator, DAYS[0]), open_one(emulator, DAYS[1]), open_one(emulator, DAYS[2])]
    emulator.update_conversation(changed[0], now, csat=5)
    for conversation_id in changed[1:]:
        emulator.update_conversation(conversation_id, now, add_messages=1)
    client = LivePersonClient(connection_for(emulator))
    window = search_window(daily_partitions(FIRST_DAY, "UTC"), now)
    since_ms = int(now.timestamp() * 1000) - STEP_BACK_MS
    assert client.count_updated_conversations(window, since_ms) == len(changed)
    fetched = [record["info"]["conversationId"] for page in client.search_conversations(window, ["messageRecords"], since_ms)
               for record in page]
    assert sorted(fetched) == sorted(changed)


def test_the_daemon_runs_the_sensor_and_its_runs_land_the_changes(start_emulator, tmp_path):
    """As a user starts it: `dagster sensor start`, then the daemon (`make dev` runs one)."""
    emulator = start_emulator(conversations_per_day=30)
    database = tmp_path / "warehouse.duckdb"
    env = cli_env(emulator, database, tmp_path / "home", LIVEPERSON_UPDATES_INTERVAL_SECONDS="30")
    for day in DAYS:
        assert materialize(assets_of("conversations", settings=SETTINGS), resources=resources_for(emulator, database),
                           partition_key=day).success
    before = {row[0]: row for row in query(database, ROWS)}
    started = subprocess.run([DAGSTER, "sensor", "start", "-m", DEFINITIONS, SENSOR_NAME], env=env, cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr
    rated, closed, messaged = closed_one(emulator, DAYS[0]), open_one(emulator, DAYS[1]), open_one(emulator, DAYS[2])
    now = datetime.now(timezone.utc)
    emulator.update_conversation(rated, now, csat=2)
    emulator.update_conversation(closed, now, close=True)
    emulator.update_conversation(messaged, now, add_messages=2)

    log = tmp_path / "daemon.log"
    daemon = start_logged([str(BIN / "dagster-daemon"), "run", "-m", DEFINITIONS], env, log)
    try:
        run = wait_until(lambda: succeeded_update_run(env), 240, "a successful run of liveperson_conversation_updates",
                         interval=0.5, process=daemon, log=log)
    finally:
        stop_group(daemon)
    assert run.tags["liveperson/updates_counted"] == "3"
    after = {row[0]: row for row in query(database, ROWS)}
    assert sorted(after) == sorted(before)
    assert after[rated][3] == 2 and after[closed][1] == "CLOSE" and after[messaged][4] == before[messaged][4] + 2
    changed = {rated, closed, messaged}
    assert {cid: after[cid] for cid in set(before) - changed} == {cid: before[cid] for cid in set(before) - changed}


def test_the_interval_setting_is_at_least_30_seconds():
    assert ProjectSettings.from_env({"LIVEPERSON_UPDATES_INTERVAL_SECONDS": "30"}).updates_interval_seconds == 30
    with pytest.raises(SettingsError) as invalid:
        ProjectSettings.from_env({"LIVEPERSON_UPDATES_INTERVAL_SECONDS": "10"})
    assert str(invalid.value) == ("LIVEPERSON_UPDATES_INTERVAL_SECONDS='10' is invalid: expected a whole number of "
                                  "seconds from 30 to 86400")
    assert build_definitions(ProjectSettings(updates_interval_seconds=45)).resolve_sensor_def(
        SENSOR_NAME).minimum_interval_seconds == 45


def succeeded_update_run(env):
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(RunsFilter(job_name=UPDATES_JOB_NAME, statuses=[DagsterRunStatus.SUCCESS]))
    return runs[0] if runs else None


def test_the_definitions_with_the_sensor_and_its_job_load():
    defs = build_definitions(SETTINGS)
    Definitions.validate_loadable(defs)
    assert defs.resolve_sensor_def(SENSOR_NAME).job_name == UPDATES_JOB_NAME
