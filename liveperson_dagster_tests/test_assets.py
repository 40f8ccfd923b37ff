"""The Dagster assets against the in-process emulator: exact rows in DuckDB."""

import gc
import os
from datetime import date

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from liveperson_dagster.liveperson import api_constants, record_items
from liveperson_dagster.resources import LivePersonWarehouse

from .helpers import (ACCOUNT_CONFIG, assets_of, conversation_ids, expected_message_records, query, resources_for,
                      utc_window)

CONFIG_KEYS = [AssetKey(["liveperson", name]) for name in ("users", "skills", "agent_groups")]
CONVERSATIONS = AssetKey(["liveperson", "conversations"])
liveperson_account_config = assets_of(*ACCOUNT_CONFIG)
(liveperson_conversations,) = assets_of("conversations")


def materialize_days(emulator, database, *days: str, instance=None, warehouse=None, config=None):
    tags = {}
    partition_key = None
    if len(days) == 1:
        partition_key = days[0]
    else:
        tags = {"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]}
    return materialize(
        [liveperson_conversations], resources={**resources_for(emulator, database),
                                               **({"warehouse": warehouse} if warehouse else {})},
        partition_key=partition_key, tags=tags, instance=instance,
        run_config={"ops": {"liveperson_conversations": {"config": config}}} if config else None,
    )


def materializations(result, key):
    return [event.materialization for event in result.get_asset_materialization_events()
            if event.materialization.asset_key == key]


def test_account_config_assets_load_exact_snapshots(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize(liveperson_account_config, resources=resources_for(emulator, database))
    assert result.success
    for key, expected in zip(CONFIG_KEYS, (emulator.users(), emulator.skills(), emulator.agent_groups())):
        table = key.path[-1]
        ids = sorted(row[0] for row in query(database, f"select id from liveperson.{table}"))
        assert ids == sorted(int(r["id"]) for r in expected)
        metadata = materializations(result, key)[0].metadata
        assert metadata["dagster/row_count"].value == len(expected)


def test_each_config_asset_can_be_materialized_alone(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize(liveperson_account_config, resources=resources_for(emulator, database),
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
    expected = emulator.conversation_ids(*utc_window("2026-11-03"))
    assert conversation_ids(database) == sorted(expected)
    metadata = materializations(result, CONVERSATIONS)[0].metadata
    assert metadata["dagster/partition_row_count"].value == len(expected)
    assert metadata["rows_per_table"].value["conversations"] == len(expected)
    assert metadata["rows_per_table"].value["conversations__message_records"] == expected_message_records(
        emulator, "2026-11-03", "2026-11-03")
    # Each table's count is of the rows loaded (a fresh warehouse holds exactly them), not of the rows staged.
    loaded = {table: query(database, f"select count(*) from liveperson.{table}")[0][0]
              for table in metadata["rows_per_table"].value}
    assert metadata["rows_per_table"].value == loaded
    assert metadata["window_start"].value == "2026-11-03T00:00:00+00:00"
    assert metadata["dlt_load_ids"].value
    assert metadata["normalize_workers"].value == 1  # one extract file: worker processes would only cost


def test_a_run_loads_one_file_per_table_however_many_batches(start_emulator, tmp_path, monkeypatch):
    # dlt's load bookkeeping grows with the square of its jobs: the batches of a table share its file.
    emulator = start_emulator(conversations_per_day=3000)
    monkeypatch.setattr(record_items, "BATCH_RECORDS", 100)  # a batch a page
    database = tmp_path / "warehouse.duckdb"
    result = materialize_days(emulator, database, "2026-11-03")
    assert result.success
    records = emulator.conversations(*utc_window("2026-11-03"))
    assert len(records) > 10 * record_items.BATCH_RECORDS
    assert conversation_ids(database) == sorted(r["info"]["conversationId"] for r in records)
    jobs = materializations(result, CONVERSATIONS)[0].metadata["jobs"].value
    assert sorted(job["file_format"] for job in jobs if job["table_name"] == "conversations") == ["parquet", "sql"]


def survey_skill_ids(database) -> dict:
    return dict(query(database, "select conversation_id, latest_agent_survey__survey_skill_id from liveperson.conversations"))


def expected_survey_skill_ids(emulator, day: str) -> dict:
    return {r["info"]["conversationId"]: (r.get("latestAgentSurvey") or {}).get("surveySkillId")
            for r in emulator.conversations(*utc_window(day))}


def test_a_declared_column_first_sent_by_a_later_batch_loads(emulator, tmp_path, monkeypatch):
    monkeypatch.setattr(api_constants, "SEARCH_PAGE_SIZE", 5)
    monkeypatch.setattr(record_items, "BATCH_RECORDS", 5)
    expected = expected_survey_skill_ids(emulator, "2026-11-03")
    first_batch = sorted(emulator.conversations(*utc_window("2026-11-03")), key=lambda r: r["info"]["startTimeL"])[:5]
    assert not any((r.get("latestAgentSurvey") or {}).get("surveySkillId") for r in first_batch)
    assert any(expected.values())
    database = tmp_path / "warehouse.duckdb"
    assert materialize_days(emulator, database, "2026-11-03").success
    assert survey_skill_ids(database) == {key: int(value) if value else None for key, value in expected.items()}


@pytest.mark.parametrize("first_run_by", ["this version", "an older version"])
def test_parts_asked_for_later_load_into_their_declared_columns(emulator, tmp_path, monkeypatch, first_run_by):
    # The first days without the survey and campaign parts: their declared columns are in dlt's schema, never sent.
    database = tmp_path / "warehouse.duckdb"
    parts = [part for part in api_constants.ALL_CONTENT_PARTS if part not in ("latestAgentSurvey", "campaign")]
    if first_run_by == "an older version":  # stored the declared columns without their nullability
        monkeypatch.setattr(record_items, "arrow_column_hints", lambda columns: columns)
    assert materialize_days(emulator, database, "2026-11-02", config={"content_parts": parts}).success
    assert set(survey_skill_ids(database).values()) == {None}
    monkeypatch.undo()
    assert materialize_days(emulator, database, "2026-11-03").success
    expected = expected_survey_skill_ids(emulator, "2026-11-03")
    loaded = survey_skill_ids(database)
    assert {key: loaded[key] for key in expected} == {key: int(v) if v else None for key, v in expected.items()}
    assert any(expected.values())


@pytest.mark.parametrize("chosen_by", [None, "environment", "resource"])
def test_a_run_normalizes_in_one_process_unless_the_user_chose_workers(emulator, tmp_path, monkeypatch, chosen_by):
    monkeypatch.setenv("SOURCES__DATA_WRITER__FILE_MAX_ITEMS", "5")  # several extract files for the workers
    user_workers = "2" if chosen_by == "environment" else None
    if user_workers:
        monkeypatch.setenv("NORMALIZE__WORKERS", user_workers)
    database = tmp_path / "warehouse.duckdb"
    warehouse = LivePersonWarehouse(duckdb_path=str(database), normalize_workers=2 if chosen_by == "resource" else None)
    result = materialize_days(emulator, database, "2026-11-03", warehouse=warehouse)
    assert result.success
    records = emulator.conversations(*utc_window("2026-11-03"))
    assert conversation_ids(database) == sorted(r["info"]["conversationId"] for r in records)
    messages = query(database, "select count(*) from liveperson.conversations__message_records")[0][0]
    assert messages == sum(len(r.get("messageRecords", [])) for r in records)
    workers = materializations(result, CONVERSATIONS)[0].metadata["normalize_workers"].value
    assert workers == (2 if chosen_by else 1)
    # What the run changed in the process for itself does not outlive it.
    assert os.environ.get("NORMALIZE__WORKERS") == user_workers
    assert gc.get_freeze_count() == 0


def test_rerun_and_out_of_order_partitions_leave_no_duplicates(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    for day in ("2026-11-05", "2026-11-02", "2026-11-05"):
        assert materialize_days(emulator, database, day).success
    expected = emulator.conversation_ids(*utc_window("2026-11-05"))
    expected |= emulator.conversation_ids(*utc_window("2026-11-02"))
    assert conversation_ids(database) == sorted(expected)
    messages = query(database, "select count(*) from liveperson.conversations__message_records")[0][0]
    window_records = [c for day in ("2026-11-02", "2026-11-05") for c in emulator.conversations(*utc_window(day))]
    assert messages == sum(len(c.get("messageRecords", [])) for c in window_records)


def test_a_partition_range_runs_as_one_run_and_loads_exactly_the_range(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    instance = DagsterInstance.ephemeral()
    result = materialize_days(emulator, database, "2026-11-02", "2026-11-06", instance=instance)
    assert result.success
    assert conversation_ids(database) == sorted(emulator.conversation_ids(*utc_window("2026-11-02", "2026-11-06")))
    assert len(instance.get_runs()) == 1
    assert materializations(result, CONVERSATIONS)[0].metadata["window_end"].value == "2026-11-07T00:00:00+00:00"


def test_an_empty_day_succeeds_with_zero_rows(start_emulator, tmp_path):
    emulator = start_emulator(empty_days=(date(2026, 11, 4),))
    database = tmp_path / "warehouse.duckdb"
    assert not emulator.conversation_ids(*utc_window("2026-11-04"))
    result = materialize_days(emulator, database, "2026-11-04")
    assert result.success
    assert materializations(result, CONVERSATIONS)[0].metadata["dagster/partition_row_count"].value == 0


def test_oauth2_credentials_work_for_the_assets(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize([*liveperson_account_config, liveperson_conversations],
                         resources=resources_for(emulator, database, oauth2=True), partition_key="2026-11-03")
    assert result.success
    assert conversation_ids(database) == sorted(emulator.conversation_ids(*utc_window("2026-11-03")))


def test_missing_credentials_of_a_resource_built_in_python_fail_the_run_naming_the_field(emulator, tmp_path):
    # The resource was given fields, not variables: its error names the field (the CLI tests cover the variables).
    resources = resources_for(emulator, tmp_path / "warehouse.duckdb", unset=("LIVEPERSON_APP_SECRET",))
    with pytest.raises(Exception, match=r"incomplete LivePerson credentials: set the OAuth1 fields \(missing: "
                                        r"app_secret\) or the OAuth2 pair \(missing: client_id, client_secret\)") as raised:
        materialize(liveperson_account_config, resources=resources)
    assert "LIVEPERSON_" not in str(raised.value)


def test_progress_is_reported_in_the_run_log(emulator, tmp_path, monkeypatch):
    from liveperson_dagster import loading

    monkeypatch.setattr(loading, "PROGRESS_EVERY_SECONDS", 0.0)
    instance = DagsterInstance.ephemeral()
    result = materialize_days(emulator, tmp_path / "warehouse.duckdb", "2026-11-03", instance=instance)
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    expected = len(emulator.conversation_ids(*utc_window("2026-11-03")))
    progress = [m for m in messages if m.startswith("Fetched ")]
    assert progress and progress[-1].startswith(f"Fetched 1 page(s): {expected} conversations (")


def test_every_table_and_column_name_fits_postgres_so_names_are_the_same_on_every_destination(emulator, tmp_path):
    # PostgreSQL cuts identifiers at 63 characters, and dlt then shortens them to hashed names DuckDB would not use.
    database = tmp_path / "warehouse.duckdb"
    assert materialize_days(emulator, database, "2026-11-03", "2026-11-04").success
    names = query(database, "select table_name, column_name from information_schema.columns "
                            "where table_schema = 'liveperson'")
    assert {table for table, _ in names} >= {"conversations__intents__selected_classification__versions",
                                             "conversations__agent_participants_active"}
    assert [name for pair in names for name in pair if len(name) > 63] == []
