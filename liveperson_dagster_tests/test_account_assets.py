"""The assets of the newer APIs against the in-process emulator: configuration snapshots (status reasons, profiles,
LOBs, predefined content), agent status changes and chats per local day, a 403 on one API, Messaging Operations
hours and the checks of the new tables. Every expected figure is computed from the emulator's own data."""

import functools
import hashlib
import shutil
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dlt
import duckdb
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetSelection, DagsterInstance, materialize
from dlt.common.normalizers.naming.snake_case import NamingConvention

from liveperson_dagster import loading
from liveperson_dagster.liveperson import LivePersonClient, Window, liveperson_source
from liveperson_dagster.liveperson import api_constants
from liveperson_dagster.liveperson.columnar import flat_table
from liveperson_dagster.liveperson.errors import LivePersonOutOfRangeError, LivePersonTypeError
from liveperson_dagster.liveperson.source import STATUS_CHANGE_TABLE_COLUMNS
from liveperson_dagster.resources import PIPELINE_NAME
from liveperson_dagster.config import ProjectSettings
from liveperson_emulator import Faults

from .helpers import (assets_of, connection_for, project_assets, project_checks, query, resources_for,
                      status_changes_as_rows, utc_window, warehouse_tables)

# table -> the emulator's listing of it
NEW_CONFIG = {"agent_status_reasons": "status_reasons", "profiles": "profiles", "lobs": "lobs",
              "predefined_content": "predefined_content"}
ALL_CONFIG = {"users": "users", "skills": "skills", "agent_groups": "agent_groups", **NEW_CONFIG,
              "workdays": "workdays", "special_occasions": "special_occasions"}
ZONES = ["UTC", "Asia/Kathmandu"]
DAY, NEXT_DAY = "2026-11-03", "2026-11-04"
IDENTITY = ("agentId", "time", "statusType", "statusSubType", "sessionId", "sequenceNumber", "statusReasonId")
CHANGE_COLUMNS = ("status_change_id", "agent_id", "time", "status_type", "status_sub_type", "status_reason_id",
                  "status_reason_text", "session_id", "sequence_number", "agent_group_id", "employee_id")
LOGIN, CHANGE = 3, 1
OPERATIONS_ENDPOINTS = ("msgqueuehealth", "msgconversation")
FIVE_MINUTES = timedelta(minutes=5)


# Days, rows and what the emulator holds

def local_window(first: str, zone: str, last: str = None) -> tuple:
    """[first 00:00, day after last 00:00) in `zone`."""
    tz, start, end = ZoneInfo(zone), date.fromisoformat(first), date.fromisoformat(last or first) + timedelta(days=1)
    return datetime(start.year, start.month, start.day, tzinfo=tz), datetime(end.year, end.month, end.day, tzinfo=tz)


def settings_for(zone: str) -> ProjectSettings:
    return ProjectSettings(timezone=zone)


def change_id(record: dict) -> str:
    return hashlib.sha1("|".join(str(record.get(name)) for name in IDENTITY).encode()).hexdigest()


def change_row(record: dict) -> tuple:
    """The row of agent_status_changes (CHANGE_COLUMNS) an emulator record should become."""
    time = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    return (change_id(record), record["agentId"], time, record["statusType"], record["statusSubType"],
            record["statusReasonId"], record["statusReasonText"], record["sessionId"], record["sequenceNumber"],
            record["agentGroupId"], record["employeeId"])


def expected_changes(emulator, window: tuple) -> list:
    return sorted(change_row(record) for record in emulator.status_changes(*window))


def loaded_changes(database, where: str = "true") -> list:
    return sorted(query(database, f"select {', '.join(CHANGE_COLUMNS)} from liveperson.agent_status_changes "
                                  f"where {where}"))


def count_and_distinct(database, table: str, key: str) -> tuple:
    return query(database, f"select count(*), count(distinct {key}) from liveperson.{table}")[0]


def load_ids(result) -> list:
    return [load_id for event in result.get_asset_materialization_events()
            for load_id in event.materialization.metadata["dlt_load_ids"].value]


def of_loads(ids: list) -> str:
    return "_dlt_load_id in ({})".format(", ".join(f"'{load_id}'" for load_id in ids))


def run_days(assets, emulator, database, first: str, last: str = None, **kwargs):
    if last is None:
        return materialize(assets, resources=resources_for(emulator, database), partition_key=first, **kwargs)
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    return materialize(assets, resources=resources_for(emulator, database), tags=tags, **kwargs)


def ids_of(database, table: str, key: str = "id") -> list:
    return sorted(row[0] for row in query(database, f"select {key} from liveperson.{table}"))


def is_deleted(record: dict) -> bool:
    return str(record.get("deleted")).lower() == "true"


def assert_config_tables_exact(emulator, database, tables) -> None:
    for table in tables:
        records = getattr(emulator, ALL_CONFIG[table])()
        assert ids_of(database, table) == sorted(int(record["id"]) for record in records), table


# 1. Configuration snapshots

def test_new_config_assets_load_exact_snapshots_deleted_ones_included_and_replace_them(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    assets = assets_of(*NEW_CONFIG)
    assert materialize(assets, resources=resources_for(emulator, database)).success
    assert_config_tables_exact(emulator, database, NEW_CONFIG)
    for table, listing in NEW_CONFIG.items():
        deleted = sorted(int(record["id"]) for record in getattr(emulator, listing)() if is_deleted(record))
        assert deleted, f"the emulator serves no deleted {table}"
        assert ids_of(database, f"{table} where deleted") == deleted, table
    first_counts = {table: count_and_distinct(database, table, "id") for table in NEW_CONFIG}
    assert materialize(assets, resources=resources_for(emulator, database)).success
    for table, listing in NEW_CONFIG.items():
        expected = len(getattr(emulator, listing)())
        assert count_and_distinct(database, table, "id") == first_counts[table] == (expected, expected), table


# 2. Agent status changes

@pytest.mark.parametrize("zone", ZONES)
def test_status_changes_of_adjacent_local_days_are_exact_without_overlap_or_duplicates(emulator, tmp_path, zone):
    database = tmp_path / "warehouse.duckdb"
    assets = assets_of("agent_status_changes", settings=settings_for(zone))
    first = run_days(assets, emulator, database, DAY)
    assert first.success
    assert loaded_changes(database) == expected_changes(emulator, local_window(DAY, zone))
    second = run_days(assets, emulator, database, NEXT_DAY)
    assert second.success
    # Each run loaded exactly its own day: a change of both days would carry the second run's load id.
    assert loaded_changes(database, of_loads(load_ids(first))) == expected_changes(emulator, local_window(DAY, zone))
    assert loaded_changes(database, of_loads(load_ids(second))) == expected_changes(
        emulator, local_window(NEXT_DAY, zone))
    union = expected_changes(emulator, local_window(DAY, zone, NEXT_DAY))
    assert loaded_changes(database) == union
    assert count_and_distinct(database, "agent_status_changes", "status_change_id") == (len(union), len(union))
    assert run_days(assets, emulator, database, DAY).success
    assert count_and_distinct(database, "agent_status_changes", "status_change_id") == (len(union), len(union))
    assert loaded_changes(database) == union


def test_status_change_columns_and_a_login_with_its_default_status_in_the_same_millisecond(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    assert run_days(assets_of("agent_status_changes"), emulator, database, DAY).success
    types = dict(query(database, "select column_name, data_type from information_schema.columns where "
                                 "table_schema = 'liveperson' and table_name = 'agent_status_changes'"))
    assert set(CHANGE_COLUMNS) <= set(types)
    assert types["time"].startswith("TIMESTAMP") and types["status_change_id"] == "VARCHAR"
    records = emulator.status_changes(*utc_window(DAY))
    logins = [r for r in records if r["statusType"] == LOGIN]
    pairs = [(login, default) for login in logins for default in records
             if default["statusType"] == CHANGE and (default["agentId"], default["time"], default["sessionId"]) ==
             (login["agentId"], login["time"], login["sessionId"])]
    assert pairs, "the emulator served no login with its default status"
    rows = {row[0]: row for row in loaded_changes(database)}
    for login, default in pairs:
        assert change_id(login) != change_id(default)
        assert rows[change_id(login)] == change_row(login) and rows[change_id(default)] == change_row(default)
        at = rows[change_id(login)][2]
        same_ms = query(database, f"select count(distinct status_change_id) from liveperson.agent_status_changes "
                                  f"where agent_id = '{login['agentId']}' and time = '{at.isoformat()}' "
                                  f"and status_type in ({LOGIN}, {CHANGE}) and session_id = {login['sessionId']}")
        assert same_ms == [(2,)]


def test_a_range_run_loads_the_same_status_changes_as_single_days(emulator, tmp_path):
    zone = "Asia/Kathmandu"
    assets = assets_of("agent_status_changes", settings=settings_for(zone))
    days, ranged = tmp_path / "days.duckdb", tmp_path / "range.duckdb"
    for day in (DAY, NEXT_DAY, "2026-11-05"):
        assert run_days(assets, emulator, days, day).success
    instance = DagsterInstance.ephemeral()
    assert run_days(assets, emulator, ranged, DAY, "2026-11-05", instance=instance).success
    assert len(instance.get_runs()) == 1
    expected = expected_changes(emulator, local_window(DAY, zone, "2026-11-05"))
    assert loaded_changes(ranged) == loaded_changes(days) == expected


def test_status_changes_reach_dlt_as_arrow_tables_of_their_declared_types(emulator, tmp_path):
    pipeline = dlt.pipeline("lp_changes", pipelines_dir=str(tmp_path / "dlt"),
                            destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")), dataset_name="liveperson")
    pipeline.extract(liveperson_source(connection_for(emulator), Window(*utc_window(DAY)))
                     .with_resources("agent_status_changes"))
    (package,) = [pipeline.get_load_package_info(load_id) for load_id in pipeline.list_extracted_load_packages()]
    formats = {job.job_file_info.file_format for jobs in package.jobs.values() for job in jobs
               if job.job_file_info.table_name == "agent_status_changes"}
    assert formats == {"parquet"}  # Arrow tables: dict rows would be extracted as typed-jsonl for the normalizer


def test_a_status_change_value_that_does_not_fit_is_named_and_a_number_where_text_is_declared_is_its_text():
    row = {"status_change_id": "a", "agent_id": 7, "time": datetime(2026, 11, 3, tzinfo=timezone.utc),
           "employee_id": 1234}
    table = flat_table([row], "agent_status_changes", STATUS_CHANGE_TABLE_COLUMNS)
    assert table.column("employee_id").to_pylist() == ["1234"] and table.column("agent_id").to_pylist() == [7]
    with pytest.raises(LivePersonTypeError) as raised:
        flat_table([row, {**row, "agent_id": "agent seven"}], "agent_status_changes", STATUS_CHANGE_TABLE_COLUMNS)
    assert str(raised.value) == ("agent_status_changes.agent_id: LivePerson sent 'agent seven', which is not a bigint "
                                 "(the column's declared type); nothing of this run was loaded")


def test_status_changes_load_into_a_warehouse_an_older_version_loaded_as_rows(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    pipeline = dlt.pipeline(PIPELINE_NAME, pipelines_dir=str(tmp_path / "dlt"), dataset_name="liveperson",
                            destination=dlt.destinations.duckdb(str(database)))
    client = LivePersonClient(connection_for(emulator))
    pipeline.run(status_changes_as_rows(lambda: client.status_changes(Window(*utc_window(DAY)))),
                 loader_file_format="parquet")
    assert loaded_changes(database) == expected_changes(emulator, utc_window(DAY))
    assets = assets_of("agent_status_changes")
    assert run_days(assets, emulator, database, NEXT_DAY).success
    assert run_days(assets, emulator, database, DAY).success  # the older rows replaced
    union = expected_changes(emulator, utc_window(DAY, NEXT_DAY))
    assert loaded_changes(database) == union
    assert count_and_distinct(database, "agent_status_changes", "status_change_id") == (len(union), len(union))


# 3. Chat engagements

@pytest.mark.parametrize("zone", ZONES)
def test_chats_of_a_local_day_are_exact_with_their_transcript_lines_and_rerun_without_duplicates(emulator, tmp_path,
                                                                                                 zone):
    database = tmp_path / "warehouse.duckdb"
    assets = assets_of("chat_engagements", settings=settings_for(zone))
    chats = emulator.chat_engagements(*local_window(DAY, zone))
    ids = {chat["info"]["engagementId"] for chat in chats}
    assert chats and emulator.chat_engagement_ids(*local_window(DAY, zone)) == ids
    expected = sorted((c["info"]["engagementId"], c["info"]["startTimeL"]) for c in chats)
    lines = sum(len(c["transcript"]["lines"]) for c in chats)
    assert lines > 0
    for _ in range(2):  # the second run re-loads the day
        assert run_days(assets, emulator, database, DAY).success
        loaded = query(database, "select engagement_id, epoch_ms(start_time) from liveperson.chat_engagements")
        assert sorted(loaded) == expected
        assert count_and_distinct(database, "chat_engagements", "engagement_id") == (len(chats), len(chats))
        assert query(database, "select count(*) from liveperson.chat_engagements__transcript__lines") == [(lines,)]


# 4. A 403 on one API fails only its asset

def test_a_forbidden_api_fails_only_its_asset_and_the_others_load_exactly(start_emulator, tmp_path):
    emulator = start_emulator(faults=Faults(forbidden_apis=frozenset({"agentActivity"})))
    database = tmp_path / "warehouse.duckdb"
    result = run_days(project_assets(), emulator, database, DAY, raise_on_error=False)
    assert not result.success
    assert {event.step_key for event in result.get_step_failure_events()} == {"liveperson_agent_status_changes"}
    error = result.failure_data_for_node("liveperson_agent_status_changes").error.to_string()
    assert "Agent Status Changes" in error and "403" in error
    assert_config_tables_exact(emulator, database, ALL_CONFIG)
    assert ids_of(database, "conversations", "conversation_id") == sorted(emulator.conversation_ids(*utc_window(DAY)))
    assert ids_of(database, "chat_engagements", "engagement_id") == sorted(
        emulator.chat_engagement_ids(*utc_window(DAY)))
    assert "agent_status_changes" not in warehouse_tables(database)


# 5. Messaging Operations

def hour_key(hour: datetime) -> str:
    return hour.strftime("%Y-%m-%d-%H:00")


def current_hour() -> datetime:
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def operations_requests(emulator) -> dict:
    return {name: count for name, count in emulator.stats["requests"].items() if name in OPERATIONS_ENDPOINTS}


def queue_health(emulator, database, hour: datetime, result=None) -> None:
    """The table holds exactly one poll of `hour`: the emulator's metrics of each of its 12 intervals."""
    naming = NamingConvention()
    metrics = list(emulator.queue_health(hour, hour + FIVE_MINUTES, "all")["metricsTotal"])
    columns = [naming.normalize_identifier(name) for name in metrics]
    rows = query(database, f"select hour, skill_id, interval_start, interval_end, {', '.join(columns)} "
                           "from liveperson.messaging_queue_health")
    starts = sorted({row[2] for row in rows})
    assert len(starts) == 12 and all(hour <= start < hour + timedelta(hours=1) for start in starts)
    expected = {}
    for start in starts:
        for skill, values in emulator.queue_health(start, start + FIVE_MINUTES, "all")["skillsMetrics"].items():
            expected[(int(skill), start)] = (hour, start + FIVE_MINUTES, *(values[name] for name in metrics))
    assert {(row[1], row[2]): (row[0], row[3], *row[4:]) for row in rows} == expected
    assert len(rows) == len(expected)
    assert {skill for skill, _ in expected} <= {int(s["id"]) for s in emulator.skills()}
    if result is not None:
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        assert metadata["rows_loaded"].value == len(rows)


def test_an_hour_older_than_24_hours_fails_before_any_request(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    old = current_hour() - timedelta(hours=30)
    result = materialize(assets_of("messaging_queue_health"), resources=resources_for(emulator, database),
                         partition_key=hour_key(old), raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("liveperson_messaging_queue_health")
    # One line, the step's failure (not dlt's chain of wrapping exceptions), naming the hour and the rule.
    window = Window(old, old + timedelta(hours=1))
    assert failure.user_failure_data.description == (
        f"Messaging Operations: the hour {window} is older than the 24 hours LivePerson keeps, so it can no longer "
        "be loaded (nothing was fetched or changed); such hours stay missing in the asset's partitions")
    assert "ResourceExtractionError" not in failure.error.to_string()
    assert operations_requests(emulator) == {}
    assert "messaging_queue_health" not in warehouse_tables(database)


def test_an_hour_not_over_yet_fails_before_any_request(emulator, tmp_path, monkeypatch):
    database = tmp_path / "warehouse.duckdb"
    assets = assets_of("messaging_queue_health")
    # Dagster offers no partition for the running hour; a run whose clock is still inside its hour refuses it too.
    hour = current_hour() - timedelta(hours=1)
    inside = (hour + timedelta(minutes=30)).timestamp()
    monkeypatch.setattr(loading, "LivePersonClient", functools.partial(LivePersonClient, clock=lambda: inside))
    result = materialize(assets, resources=resources_for(emulator, database), partition_key=hour_key(hour),
                         raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("liveperson_messaging_queue_health")
    assert failure.user_failure_data.description.startswith(
        f"Messaging Operations: the hour {Window(hour, hour + timedelta(hours=1))} is not over yet")
    client = LivePersonClient(connection_for(emulator), clock=lambda: inside)
    with pytest.raises(LivePersonOutOfRangeError, match="not over yet"):
        client.messaging_queue_health(Window(hour, hour + timedelta(hours=1)))
    assert operations_requests(emulator) == {}
    assert "messaging_queue_health" not in warehouse_tables(database)


def test_a_recent_hour_loads_the_emulators_queue_health_and_a_rerun_replaces_it(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    assets = assets_of("messaging_queue_health")
    hour = current_hour() - timedelta(hours=1)
    for polls in (1, 2):
        result = materialize(assets, resources=resources_for(emulator, database), partition_key=hour_key(hour))
        assert result.success
        queue_health(emulator, database, hour, result)
        assert operations_requests(emulator) == {"msgqueuehealth": polls}


# 6. Checks of the new tables

def check_key(table: str, name: str) -> AssetCheckKey:
    return AssetCheckKey.from_user_string(f"liveperson/{table}:{name}")


NEW_CHECKS = {*(check_key(table, "unique_ids") for table in NEW_CONFIG),
              check_key("agent_status_changes", "unique_status_change_ids"),
              check_key("agent_status_changes", "time_inside_window"),
              check_key("agent_status_changes", "known_agents_groups_and_reasons"),
              check_key("chat_engagements", "unique_engagement_ids"),
              check_key("chat_engagements", "started_inside_window")}
REASONS = check_key("agent_status_changes", "known_agents_groups_and_reasons")


def test_checks_pass_on_a_fresh_load_and_warn_when_status_reasons_are_emptied(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    instance = DagsterInstance.ephemeral()
    assets = project_assets()
    result = run_days([*assets, *project_checks()], emulator, database, DAY, instance=instance)
    assert result.success
    checks = {evaluation.asset_check_key: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert NEW_CHECKS <= set(checks)
    assert {key: check.passed for key, check in checks.items()} == {key: True for key in checks}
    changes = emulator.status_changes(*utc_window(DAY))
    with_reason = sum(1 for r in changes if r["statusReasonId"] not in (-1, 0, None))
    assert 100.0 * with_reason / len(changes) > 5.0  # enough for the check to notice
    copy = tmp_path / "emptied.duckdb"
    shutil.copy(database, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("delete from liveperson.agent_status_reasons")
    emptied = materialize([*assets, *project_checks()], resources=resources_for(emulator, copy), instance=instance,
                          selection=AssetSelection.all_asset_checks())
    assert emptied.success
    evaluation = {e.asset_check_key: e for e in emptied.get_asset_check_evaluations()}[REASONS]
    assert evaluation.passed is False and evaluation.severity == AssetCheckSeverity.WARN
    values = {name: entry.value for name, entry in evaluation.metadata.items()}
    assert values["unknown_status_reason_agent_status_changes"] == with_reason
    assert values["unknown_status_reason_percent"] == round(100.0 * with_reason / len(changes), 2)
    assert (values["unknown_agent_agent_status_changes"], values["unknown_agent_group_agent_status_changes"]) == (0, 0)
    assert "status_reason" in evaluation.description


def test_an_hour_of_asia_kathmandu_holds_exactly_its_intervals_of_both_operations_assets(emulator, tmp_path):
    # Local hours of +05:45 start at a quarter past the UTC hour: the window, not the UTC hour, decides.
    zone = ZoneInfo("Asia/Kathmandu")
    hour = datetime.now(zone).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    end = hour + timedelta(hours=1)
    database = tmp_path / "warehouse.duckdb"
    assets = assets_of("messaging_queue_health", "messaging_agent_metrics", settings=settings_for("Asia/Kathmandu"))
    assert materialize(assets, resources=resources_for(emulator, database), partition_key=hour_key(hour)).success
    starts = sorted(row[0] for row in query(database, "select distinct interval_start "
                                                      "from liveperson.messaging_queue_health"))
    assert len(starts) == 12 and all(hour <= start < end for start in starts)
    loaded = {(row[0], row[1]): row[2] for row in query(
        database, "select agent_id, interval_end, total_resolved_conversations from liveperson.messaging_agent_metrics")}
    expected = {}
    for bucket in range(1, 13):
        bucket_end = hour + bucket * FIVE_MINUTES
        per_agent = emulator.conversation_metrics(bucket_end - FIVE_MINUTES, bucket_end, agent_ids="all")
        for agent, metrics in per_agent["agentsMetrics"]["metricsPerAgent"].items():
            expected[(int(agent), bucket_end)] = metrics["totalResolvedConversations"]
    assert loaded == expected


# 7. Offset paging: the pages after the first are fetched concurrently, each once, and nothing is lost.

@pytest.mark.parametrize("page_size_setting, fetch, expected, endpoint", [
    ("STATUS_CHANGES_PAGE_SIZE", LivePersonClient.status_changes,
     lambda emulator, window: sorted(change_id(r) for r in emulator.status_changes(*window)), "statusChanges"),
    ("CHAT_SEARCH_PAGE_SIZE", LivePersonClient.search_chat_engagements,
     lambda emulator, window: sorted(emulator.chat_engagement_ids(*window)), "chatSearch"),
])
def test_small_pages_are_fetched_concurrently_each_once_and_lose_nothing(start_emulator, monkeypatch,
                                                                         page_size_setting, fetch, expected, endpoint):
    emulator = start_emulator(latency_ms=40)  # answers that take time, so that concurrent requests overlap
    monkeypatch.setattr(api_constants, page_size_setting, 7)
    window = Window(*local_window("2026-11-03", "UTC", "2026-11-04"))
    client = LivePersonClient(connection_for(emulator))
    key_of = change_id if endpoint == "statusChanges" else (lambda record: record["info"]["engagementId"])
    fetched = [key_of(record) for page in fetch(client, window) for record in page]
    wanted = expected(emulator, (window.start, window.end))
    assert sorted(fetched) == wanted and len(fetched) == len(set(fetched))
    requests = emulator.stats.snapshot()["requests"][endpoint]
    # The API's pages include the records just outside the window (inclusive, rounded bounds): at least one page
    # per 7 records of the window, and no page fetched twice.
    assert len(wanted) / 7 <= requests <= len(wanted) / 7 + 3
    assert emulator.stats.snapshot()["max_in_flight"] > 1
