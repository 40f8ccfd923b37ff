"""The Dagster assets against the in-process emulator: exact rows in DuckDB."""

import gc
import os
from datetime import date, datetime, timedelta, timezone

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from liveperson_dagster.assets import liveperson_account_config, liveperson_conversations

from .dagster_helpers import conversation_ids, query, resources_for

CONFIG_KEYS = [AssetKey(["liveperson", name]) for name in ("users", "skills", "agent_groups")]
CONVERSATIONS = AssetKey(["liveperson", "conversations"])


def utc_day(iso: str) -> tuple:
    start = datetime.fromisoformat(iso).replace(tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def materialize_days(emulator, database, *days: str, instance=None):
    tags = {}
    partition_key = None
    if len(days) == 1:
        partition_key = days[0]
    else:
        tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    return materialize(
        [liveperson_conversations], resources=resources_for(emulator, database),
        partition_key=partition_key, tags=tags, instance=instance,
    )


def materializations(result, key):
    return [event.materialization for event in result.get_asset_materialization_events()
            if event.materialization.asset_key == key]


def test_account_config_assets_load_exact_snapshots(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize([liveperson_account_config], resources=resources_for(emulator, database))
    assert result.success
    for key, expected in zip(CONFIG_KEYS, (emulator.users(), emulator.skills(), emulator.agent_groups())):
        table = key.path[-1]
        ids = sorted(row[0] for row in query(database, f"select id from liveperson.{table}"))
        assert ids == sorted(int(r["id"]) for r in expected)
        metadata = materializations(result, key)[0].metadata
        assert metadata["dagster/row_count"].value == len(expected)


def test_each_config_asset_can_be_materialized_alone(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize([liveperson_account_config], resources=resources_for(emulator, database),
                         selection=[AssetKey(["liveperson", "skills"])])
    assert result.success
    assert [m.asset_key for m in (e.materialization for e in result.get_asset_materialization_events())] == [
        AssetKey(["liveperson", "skills"])]
    tables = {row[0] for row in query(database, "select table_name from information_schema.tables "
                                                "where table_schema = 'liveperson'")}
    assert "skills" in tables and "users" not in tables


def test_a_partition_loads_exactly_its_day_with_metadata(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize_days(emulator, database, "2026-11-03")
    assert result.success
    expected = emulator.conversation_ids(*utc_day("2026-11-03"))
    assert conversation_ids(database) == sorted(expected)
    metadata = materializations(result, CONVERSATIONS)[0].metadata
    assert metadata["dagster/partition_row_count"].value == len(expected)
    assert metadata["rows_per_table"].value["conversations"] == len(expected)
    assert metadata["rows_per_table"].value["conversations__message_records"] > 0
    assert metadata["window_start"].value == "2026-11-03T00:00:00+00:00"
    assert metadata["dlt_load_ids"].value
    assert metadata["normalize_workers"].value == 1  # one extract file: worker processes would only cost


@pytest.mark.parametrize("user_workers", [None, "1"])
def test_a_run_of_several_extract_files_normalizes_in_worker_processes(emulator, tmp_path, monkeypatch, user_workers):
    from liveperson_dagster import normalize_workers

    monkeypatch.setattr(normalize_workers, "MIN_CONVERSATIONS_FOR_WORKERS", 10)
    monkeypatch.setenv("SOURCES__DATA_WRITER__FILE_MAX_ITEMS", "5")  # several extract files for the workers
    if user_workers is None:
        monkeypatch.delenv("NORMALIZE__WORKERS", raising=False)
    else:
        monkeypatch.setenv("NORMALIZE__WORKERS", user_workers)
    database = tmp_path / "warehouse.duckdb"
    result = materialize_days(emulator, database, "2026-11-03")
    assert result.success
    records = emulator.conversations(*utc_day("2026-11-03"))
    assert conversation_ids(database) == sorted(r["info"]["conversationId"] for r in records)
    messages = query(database, "select count(*) from liveperson.conversations__message_records")[0][0]
    assert messages == sum(len(r.get("messageRecords", [])) for r in records)
    workers = materializations(result, CONVERSATIONS)[0].metadata["normalize_workers"].value
    assert workers == (1 if user_workers else min(len(os.sched_getaffinity(0)), 4))
    # What the run changed in the process for itself does not outlive it.
    assert os.environ.get("NORMALIZE__WORKERS") == user_workers
    assert gc.get_freeze_count() == 0


def test_rerun_and_out_of_order_partitions_leave_no_duplicates(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    for day in ("2026-11-05", "2026-11-02", "2026-11-05"):
        assert materialize_days(emulator, database, day).success
    expected = emulator.conversation_ids(*utc_day("2026-11-05")) | emulator.conversation_ids(*utc_day("2026-11-02"))
    assert conversation_ids(database) == sorted(expected)
    messages = query(database, "select count(*) from liveperson.conversations__message_records")[0][0]
    window_records = [c for day in ("2026-11-02", "2026-11-05") for c in emulator.conversations(*utc_day(day))]
    assert messages == sum(len(c.get("messageRecords", [])) for c in window_records)


def test_a_partition_range_runs_as_one_run_and_loads_exactly_the_range(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    instance = DagsterInstance.ephemeral()
    result = materialize_days(emulator, database, "2026-11-02", "2026-11-06", instance=instance)
    assert result.success
    start, _ = utc_day("2026-11-02")
    _, end = utc_day("2026-11-06")
    assert conversation_ids(database) == sorted(emulator.conversation_ids(start, end))
    assert len(instance.get_runs()) == 1
    assert materializations(result, CONVERSATIONS)[0].metadata["window_end"].value == "2026-11-07T00:00:00+00:00"


def test_an_empty_day_succeeds_with_zero_rows(start_emulator, tmp_path):
    emulator = start_emulator(empty_days=(date(2026, 11, 4),))
    database = tmp_path / "warehouse.duckdb"
    assert not emulator.conversation_ids(*utc_day("2026-11-04"))
    result = materialize_days(emulator, database, "2026-11-04")
    assert result.success
    assert materializations(result, CONVERSATIONS)[0].metadata["dagster/partition_row_count"].value == 0


def test_oauth2_credentials_work_for_the_assets(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize([liveperson_account_config, liveperson_conversations],
                         resources=resources_for(emulator, database, oauth2=True), partition_key="2026-11-03")
    assert result.success
    assert conversation_ids(database) == sorted(emulator.conversation_ids(*utc_day("2026-11-03")))


def test_missing_credentials_fail_the_run_naming_the_variables(emulator, tmp_path):
    resources = resources_for(emulator, tmp_path / "warehouse.duckdb", unset=("LIVEPERSON_APP_SECRET",))
    with pytest.raises(Exception, match="LIVEPERSON_APP_SECRET"):
        materialize([liveperson_account_config], resources=resources)


def test_progress_is_reported_in_the_run_log(emulator, tmp_path, monkeypatch):
    from liveperson_dagster import loading

    monkeypatch.setattr(loading, "PROGRESS_EVERY_SECONDS", 0.0)
    instance = DagsterInstance.ephemeral()
    result = materialize_days(emulator, tmp_path / "warehouse.duckdb", "2026-11-03", instance=instance)
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    expected = len(emulator.conversation_ids(*utc_day("2026-11-03")))
    progress = [m for m in messages if m.startswith("Fetched ")]
    assert progress and progress[-1].startswith(f"Fetched 1 pages, {expected} conversations")
