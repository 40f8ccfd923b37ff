"""A re-run replaces its days exactly: records LivePerson no longer returns (deleted upstream) are removed with the
merge, their child rows too, other days untouched; a re-run that would remove more than the allowed share of a day
is refused with nothing written, and a day older than LivePerson's retention is refused before any request."""

from datetime import date, datetime, timedelta, timezone

import pytest
from dagster import AssetKey, materialize
from dagster_dlt import DagsterDltResource

from liveperson_dagster.liveperson import Window
from liveperson_dagster.liveperson.replacement import LivePersonRemovalRefused, ReplacedTable, Replacement
from liveperson_dagster.resources import LivePersonWarehouse
from liveperson_dagster.config import ProjectSettings

from .helpers import (
    assets_of, cli_env, credentials_for, fresh_postgres_database, postgres_query, query,
    require_postgres, resources_for, run_materialize, utc_window,
)

CONVERSATIONS = AssetKey(["liveperson", "conversations"])


def days_of(emulator) -> tuple:
    """Two neighbouring days the emulator serves: (the day re-run, the day before it)."""
    day = emulator.config.last_day - timedelta(days=2)
    return day.isoformat(), (day - timedelta(days=1)).isoformat()


def load_day(emulator, day: str, *tables: str, warehouse=None, database=None, settings=ProjectSettings()):
    resources = resources_for(emulator, database)
    if warehouse is not None:
        resources["warehouse"] = warehouse
    return materialize(assets_of(*(tables or ("conversations",)), settings=settings), resources=resources,
                       partition_key=day, raise_on_error=False)


def metadata_of(result, key: AssetKey) -> dict:
    (materialization,) = [event.materialization for event in result.get_asset_materialization_events()
                          if event.materialization.asset_key == key]
    return {name: value.value for name, value in materialization.metadata.items()}


def day_ids(database, day: str, table: str = "conversations", key: str = "conversation_id",
            time: str = "start_time") -> list:
    start, end = utc_window(day)
    return sorted(row[0] for row in query(
        database, f"select {key} from liveperson.{table} where {time} >= '{start.isoformat()}' "
                  f"and {time} < '{end.isoformat()}'"))


def orphans(database) -> dict:
    """Child rows of conversations whose root row is gone, by child table (none expected)."""
    children = [row[0] for row in query(database, "select table_name from information_schema.tables where "
                                                  "table_schema = 'liveperson' and table_name like 'conversations\\_\\_%' escape '\\'")]
    counts = {table: query(database, f"select count(*) from liveperson.{table} where _dlt_root_id not in "
                                     f"(select _dlt_id from liveperson.conversations)")[0][0] for table in children}
    return {table: count for table, count in counts.items() if count}


def failure_of(result, node: str = "liveperson_conversations") -> str:
    assert not result.success
    return result.failure_data_for_node(node).error.to_string()


def test_conversations_deleted_upstream_leave_the_day_with_their_child_rows(start_emulator, tmp_path):
    emulator = start_emulator()
    database = tmp_path / "warehouse.duckdb"
    day, day_before = days_of(emulator)
    assert load_day(emulator, day_before, database=database).success
    assert load_day(emulator, day, database=database).success
    loaded, loaded_before = day_ids(database, day), day_ids(database, day_before)
    messages_of_kept = sum(len(record.get("messageRecords") or []) for record in emulator.conversations(*utc_window(day))
                           if record["info"]["conversationId"] not in loaded[:2])

    # Two conversations of the day and one of the day before are deleted upstream; only the day is re-run.
    emulator.delete_conversations([*loaded[:2], loaded_before[0]])
    result = load_day(emulator, day, database=database)

    assert result.success
    assert day_ids(database, day) == loaded[2:] == sorted(emulator.conversation_ids(*utc_window(day)))
    assert day_ids(database, day_before) == loaded_before  # not re-run: kept, the archive
    assert orphans(database) == {}
    start, end = utc_window(day)
    assert query(database, "select count(*) from liveperson.conversations__message_records m join "
                           "liveperson.conversations c on m._dlt_root_id = c._dlt_id where c.start_time >= "
                           f"'{start.isoformat()}' and c.start_time < '{end.isoformat()}'")[0][0] == messages_of_kept
    metadata = metadata_of(result, CONVERSATIONS)
    assert metadata["rows_removed"] == 2
    assert metadata["dagster/partition_row_count"] == metadata["rows_loaded"] == len(loaded) - 2
    # The hard-delete marker never lands set.
    assert query(database, "select count(*) from liveperson.conversations where deleted_upstream")[0][0] == 0


def test_a_rerun_that_would_empty_a_day_is_refused_until_forced(start_emulator, tmp_path):
    emulator = start_emulator()
    database = tmp_path / "warehouse.duckdb"
    day, day_before = days_of(emulator)
    for each in (day_before, day):
        assert load_day(emulator, each, "conversations", "agent_status_changes", "chat_engagements",
                        database=database).success
    loaded = day_ids(database, day)
    statuses_before = day_ids(database, day_before, "agent_status_changes", "status_change_id", "time")
    chats_before = day_ids(database, day_before, "chat_engagements", "engagement_id")
    assert loaded and statuses_before and chats_before and day_ids(database, day, "chat_engagements", "engagement_id")

    # The same account, where the day now holds nothing.
    emptied = start_emulator(empty_days=(date.fromisoformat(day),))
    refused = load_day(emptied, day, database=database)
    error = failure_of(refused)
    assert (f"would remove {len(loaded)} of the {len(loaded)} conversations of {day} (100%)" in error
            and "LIVEPERSON_MAX_REMOVED_PERCENT=100" in error and "Nothing was written" in error)
    assert day_ids(database, day) == loaded

    forced = LivePersonWarehouse(duckdb_path=str(database), max_removed_percent=100)
    result = load_day(emptied, day, "conversations", "agent_status_changes", "chat_engagements", warehouse=forced)
    assert result.success
    for table, key, time in (("conversations", "conversation_id", "start_time"),
                             ("agent_status_changes", "status_change_id", "time"),
                             ("chat_engagements", "engagement_id", "start_time")):
        assert day_ids(database, day, table, key, time) == [], table
    assert day_ids(database, day_before, "agent_status_changes", "status_change_id", "time") == statuses_before
    assert day_ids(database, day_before, "chat_engagements", "engagement_id") == chats_before
    assert orphans(database) == {}
    assert metadata_of(result, CONVERSATIONS)["rows_removed"] == len(loaded)


def test_a_day_past_retention_is_refused_before_any_request(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    old_day = (datetime.now(timezone.utc).date() - timedelta(days=14 * 31)).isoformat()
    settings = ProjectSettings(start_date=date(2024, 1, 1))
    result = load_day(emulator, old_day, database=database, settings=settings)
    error = failure_of(result)
    assert f"{old_day}: older than LivePerson keeps history (13 months, LIVEPERSON_RETENTION_MONTHS)" in error
    assert emulator.stats.snapshot()["requests"] == {}
    assert not database.exists()


def test_the_removal_limit_is_per_day_and_inclusive():
    table = ReplacedTable("id", "time")
    first, second = (Window(*utc_window(day)) for day in ("2026-11-03", "2026-11-04"))
    at = lambda day, n: first.start + timedelta(days=day, minutes=n)  # noqa: E731
    stored = {**{f"a{n}": (f"a{n}", at(0, n)) for n in range(10)}, **{f"b{n}": (f"b{n}", at(1, n)) for n in range(5)}}
    replacement = Replacement(table, "records", stored, (first, second), 10, "LIMIT")
    # One of ten on the first day is exactly 10%: allowed.
    tombstones = replacement.tombstones(set(stored) - {"a0"})
    assert tombstones == [{"id": "a0", "time": at(0, 0), "deleted_upstream": True}] and replacement.removed == 1
    with pytest.raises(LivePersonRemovalRefused) as refused:
        replacement.tombstones(set(stored) - {"a0", "b0"})
    assert "would remove 1 of the 5 records of 2026-11-04 (20%)" in str(refused.value)
    assert "2026-11-03" not in str(refused.value)


def test_postgres_rerun_removes_what_was_deleted_upstream(start_emulator, monkeypatch):
    require_postgres()
    emulator = start_emulator()
    day, _ = days_of(emulator)
    with fresh_postgres_database("liveperson_replace") as name:
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", f"postgresql://postgres:unused@127.0.0.1:5432/{name}")
        resources = {"dlt": DagsterDltResource(), "liveperson": credentials_for(emulator),
                     "warehouse": LivePersonWarehouse(destination="postgres")}
        ids = "select conversation_id from liveperson.conversations order by conversation_id"
        assert materialize(assets_of("conversations"), resources=resources, partition_key=day).success
        loaded = [row[0] for row in postgres_query(name, ids)]
        emulator.delete_conversations(loaded[:2])
        result = materialize(assets_of("conversations"), resources=resources, partition_key=day)
        assert result.success
        assert [row[0] for row in postgres_query(name, ids)] == loaded[2:]
        assert postgres_query(name, "select count(*) from liveperson.conversations__message_records where "
                                    "_dlt_root_id not in (select _dlt_id from liveperson.conversations)") == [(0,)]
        assert metadata_of(result, CONVERSATIONS)["rows_removed"] == 2


def test_cli_rerun_against_an_emptied_day(start_emulator, tmp_path):
    """The issue's repro: load a day, re-run it where the day is empty; refused, then forced with the setting."""
    emulator = start_emulator()
    day, _ = days_of(emulator)
    database = tmp_path / "warehouse.duckdb"
    select = ("--select", "liveperson/conversations", "--partition", day)
    code, output, _ = run_materialize(cli_env(emulator, database, tmp_path / "home"), tmp_path / "load.log", *select)
    assert code == 0, output[-3000:]
    loaded = day_ids(database, day)

    emptied = start_emulator(empty_days=(date.fromisoformat(day),))
    env = cli_env(emptied, database, tmp_path / "home")
    code, output, _ = run_materialize(env, tmp_path / "refused.log", *select)
    assert code != 0
    assert f"would remove {len(loaded)} of the {len(loaded)} conversations of {day} (100%)" in output
    assert day_ids(database, day) == loaded

    code, output, _ = run_materialize({**env, "LIVEPERSON_MAX_REMOVED_PERCENT": "100"}, tmp_path / "forced.log", *select)
    assert code == 0, output[-3000:]
    assert day_ids(database, day) == []
