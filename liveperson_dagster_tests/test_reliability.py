"""Green means complete, red says why: the Dagster assets under injected faults and schema drift."""

import pytest
from dagster import AssetKey, materialize

from liveperson_emulator import Faults

from .helpers import assets_of, conversation_ids, query, resources_for, utc_window

CONVERSATIONS = AssetKey(["liveperson", "conversations"])
(liveperson_conversations,) = assets_of("conversations")


def run_days(emulator, database, first, last=None, **resource_overrides):
    resources = resources_for(emulator, database)
    if resource_overrides:
        resources["liveperson"] = type(resources["liveperson"])(
            **{**resources["liveperson"].model_dump(), **resource_overrides})
    tags = {}
    partition_key = first
    if last:
        partition_key = None
        tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    return materialize([liveperson_conversations], resources=resources, partition_key=partition_key, tags=tags,
                       raise_on_error=False)


def conversation_metadata(result):
    """The metadata of the run's conversations materialization (a range run reports it for each partition)."""
    events = [e for e in result.get_asset_materialization_events() if e.materialization.asset_key == CONVERSATIONS]
    assert events
    return {key: value.value for key, value in events[0].materialization.metadata.items()}


def test_a_multi_day_backfill_under_faults_loads_exactly_the_range(start_emulator, tmp_path):
    emulator = start_emulator(conversations_per_day=700, faults=Faults(
        rate_429_retry_after=0.05, rate_429=0.05, rate_5xx=0.05, rate_partial=0.05, rate_drop=0.03,
        rate_slow=0.03, slow_seconds=1.0, rate_truncated=0.02))
    database = tmp_path / "warehouse.duckdb"
    result = run_days(emulator, database, "2026-11-02", "2026-11-06", request_timeout_seconds=0.4, max_attempts=12)
    assert result.success
    loaded = [row[0] for row in query(database, "select conversation_id from liveperson.conversations")]
    expected = emulator.conversation_ids(*utc_window("2026-11-02", "2026-11-06"))
    assert len(loaded) == len(set(loaded)), "duplicated conversations"
    assert set(loaded) == expected, f"lost {len(expected - set(loaded))}, outside {len(set(loaded) - expected)}"
    retries = conversation_metadata(result)["api_retries"]
    injected = emulator.stats.snapshot()["faults"]
    print(f"retries by kind: {retries}; faults injected: {injected}")
    # Every injected fault cost the client one failed attempt, seen as that fault or, when the answer came after
    # the request timeout (a loaded machine), as a timeout.
    seen_as = {"http_429": ("429", "429_retry_after"), "http_5xx": ("5xx",), "partial": ("partial",),
               "connection": ("drop",), "invalid_json": ("truncated",), "timeout": ("slow",)}
    for kind, fault_kinds in seen_as.items():
        injected_count = sum(injected.get(name, 0) for name in fault_kinds)
        if kind == "timeout":
            assert retries.get(kind, 0) >= injected_count, kind
        else:
            assert retries.get(kind, 0) <= injected_count, kind
    assert sum(retries.values()) >= sum(injected.values())
    assert sum(retries.values()) > 0


@pytest.mark.parametrize(
    "faults,words",
    [
        (Faults(always_503=True), "server error (HTTP 5xx) after 6 attempts"),
        (Faults(next_loop=True), "the next link repeats"),
        (Faults(count_inflation=2), "_metadata.count promised"),
        (Faults(always_truncated=True), "not valid JSON"),
    ],
    ids=["always-503", "next-loop", "count-never-fills", "truncated-body"],
)
def test_a_fault_that_never_clears_fails_the_run_and_keeps_what_was_loaded(start_emulator, tmp_path, faults, words):
    emulator = start_emulator()
    database = tmp_path / "warehouse.duckdb"
    assert run_days(emulator, database, "2026-11-03").success
    before = query(database, "select conversation_id, _dlt_load_id from liveperson.conversations order by 1")
    messages_before = query(database, "select count(*) from liveperson.conversations__message_records")
    emulator.set_faults(faults)
    result = run_days(emulator, database, "2026-11-03")
    assert not result.success
    failure = result.failure_data_for_node("liveperson_conversations")
    message = str(failure.error.to_string() if failure else result.all_events)
    assert words in message and "/conversations/search" in message
    assert query(database, "select conversation_id, _dlt_load_id from liveperson.conversations order by 1") == before
    assert query(database, "select count(*) from liveperson.conversations__message_records") == messages_before


def test_a_documented_column_sent_with_another_type_fails_in_one_line_and_loads_nothing(start_emulator, tmp_path):
    emulator = start_emulator()
    database = tmp_path / "warehouse.duckdb"
    assert run_days(emulator, database, "2026-11-02").success
    before = query(database, "select conversation_id, _dlt_load_id from liveperson.conversations order by 1")
    emulator.set_faults(Faults(type_drift=True))
    result = run_days(emulator, database, "2026-11-03")
    assert not result.success
    description = result.failure_data_for_node("liveperson_conversations").user_failure_data.description
    assert description.startswith("conversations.info__mcs: LivePerson sent 'score ") and description.endswith(
        "which is not a bigint (the column's declared type); nothing of this run was loaded"), description
    assert query(database, "select conversation_id, _dlt_load_id from liveperson.conversations order by 1") == before
    assert not [name for (name,) in query(database, "select column_name from information_schema.columns where "
                                                    "table_schema = 'liveperson'") if "__v_" in name]


def test_schema_drift_loads_and_is_reported(start_emulator, tmp_path):
    emulator = start_emulator()
    database = tmp_path / "warehouse.duckdb"
    assert run_days(emulator, database, "2026-11-02").success
    emulator.set_faults(Faults(schema_drift=True))
    result = run_days(emulator, database, "2026-11-03")
    assert result.success
    expected = emulator.conversation_ids(*utc_window("2026-11-02", "2026-11-03"))
    assert conversation_ids(database) == sorted(expected)
    metadata = conversation_metadata(result)
    assert metadata["schema_changed"] is True
    new_columns = metadata["schema_new_columns"]["conversations"]
    assert {"info__brand_segment__tier", "info__brand_segment__region"} <= set(new_columns)
    assert not [column for column in new_columns if "__v_" in column]
    emulator.set_faults(Faults())
    again = run_days(emulator, database, "2026-11-04")
    assert again.success
    assert conversation_metadata(again)["schema_changed"] is False
