"""Column types come from LivePerson's documentation (liveperson/columns.py), never from the first value a load sees:
whole numbers first, fractions later, still one column of the declared type with every value; a value that does
not fit fails the load in one line, with nothing loaded; no variant column, and a check that finds those of older
warehouses; `liveperson-dagster migrate-types` moves such a warehouse to the declared types, keeping every value.
On DuckDB and, where a server answers (LIVEPERSON_REQUIRE_POSTGRES=1 makes it mandatory), PostgreSQL."""

import functools
import io
from datetime import datetime, timedelta, timezone

import dlt
import pytest
from dagster import AssetCheckKey, AssetSelection, materialize

from liveperson_dagster import loading
from liveperson_dagster.cli import migrate
from liveperson_dagster.liveperson import LivePersonClient, Window, liveperson_source
from liveperson_dagster.liveperson.columns import (
    AGENT_METRICS_TYPES,
    QUEUE_HEALTH_TYPES,
    declared_types,
    type_error_of,
)
from liveperson_dagster.liveperson.records import OPERATIONS_BOUNDS
from liveperson_dagster.liveperson.source import OPERATIONS_DISPOSITION
from liveperson_dagster.resources import LivePersonWarehouse

from .helpers import (
    FAST_HTTP,
    assets_of,
    connection_for,
    credentials_for,
    fresh_postgres_database,
    postgres_query,
    project_checks,
    query,
    require_postgres,
)
from dagster_dlt import DagsterDltResource

NOW = datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)
# Of the emulator's default account at NOW: at 03:00 every agent resolves at most one conversation per 5-minute
# bucket (every average a whole number), at 12:00 some resolve several (fractional averages).
WHOLE_HOUR = Window(datetime(2026, 11, 29, 3, tzinfo=timezone.utc), datetime(2026, 11, 29, 4, tzinfo=timezone.utc))
FRACTIONAL_HOUR = Window(datetime(2026, 11, 29, 12, tzinfo=timezone.utc),
                         datetime(2026, 11, 29, 13, tzinfo=timezone.utc))
AVERAGES = ("avgTime_resolvedConversations_byCCP", "avgTime_resolvedConversations_byConsumer",
            "avgTime_resolvedConversations_bySystem", "avgTime_resolvedConversations")
DUCKDB_TYPES = {"bigint": "BIGINT", "double": "DOUBLE", "text": "VARCHAR", "timestamp": "TIMESTAMP WITH TIME ZONE",
                "bool": "BOOLEAN"}
POSTGRES_TYPES = {"bigint": "bigint", "double": "double precision", "text": "character varying",
                  "timestamp": "timestamp with time zone", "bool": "boolean"}
COLUMNS_SQL = ("select table_name, column_name, data_type from information_schema.columns "
               "where table_schema = 'liveperson'")


class Warehouse:
    """A DuckDB file or a fresh PostgreSQL database: its pipeline, its resource, queries and the spelling of types."""

    def __init__(self, kind: str, tmp_path, monkeypatch, stack):
        self.kind = kind
        if kind == "duckdb":
            self.resource = LivePersonWarehouse(duckdb_path=str(tmp_path / "warehouse.duckdb"))
            self.env = {"LIVEPERSON_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}
            self.types = DUCKDB_TYPES
        else:
            require_postgres()
            self.database = stack.enter_context(fresh_postgres_database("liveperson_coltypes"))
            url = f"postgresql://postgres:unused@127.0.0.1:5432/{self.database}"
            monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
            self.resource = LivePersonWarehouse(destination="postgres")
            self.env = {"LIVEPERSON_DESTINATION": "postgres"}
            self.types = POSTGRES_TYPES
        self.tmp_path = tmp_path
        self.pipelines = 0

    def pipeline(self) -> dlt.Pipeline:
        """The product's pipeline in a working dir of its own, as each run has: it starts from the warehouse."""
        self.pipelines += 1
        return dlt.pipeline("liveperson", pipelines_dir=str(self.tmp_path / f"dlt-{self.pipelines}"),
                            destination=self.resource.dlt_destination(), dataset_name="liveperson")

    def query(self, sql: str) -> list:
        if self.kind == "duckdb":
            return query(self.resource.duckdb_path, sql)
        return postgres_query(self.database, sql)

    def columns(self) -> dict:
        found = {}
        for table, column, data_type in self.query(COLUMNS_SQL):
            found.setdefault(table, {})[column] = data_type
        return found

    def run(self, source) -> None:
        self.pipeline().run(source, loader_file_format="parquet" if self.kind == "duckdb" else None)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path, monkeypatch):
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield Warehouse(request.param, tmp_path, monkeypatch, stack)


@pytest.fixture
def emulator_at_now(start_emulator):
    return start_emulator(clock=lambda: NOW.timestamp())


def client_at_now(emulator) -> LivePersonClient:
    return LivePersonClient(connection_for(emulator, http=FAST_HTTP), clock=lambda: NOW.timestamp())


def served_averages(emulator, window: Window) -> list:
    values = []
    for bucket in range(1, 13):
        end = window.start + timedelta(minutes=5 * bucket)
        per_agent = emulator.conversation_metrics(end - timedelta(minutes=5), end, agent_ids="all")
        values += [metrics[name] for metrics in per_agent["agentsMetrics"]["metricsPerAgent"].values()
                   for name in AVERAGES]
    return values


# 1, 4, 5: whole numbers first, fractions later: one column of the declared type, every value in it

def test_whole_averages_first_then_fractional_ones_land_in_one_double_column(emulator_at_now, warehouse):
    whole, fractional = served_averages(emulator_at_now, WHOLE_HOUR), served_averages(emulator_at_now, FRACTIONAL_HOUR)
    # What the emulator answers, as LivePerson's docs do: whole numbers without a decimal point, 0 for nothing.
    assert whole and all(type(value) is int for value in whole) and 0 in whole
    assert [value for value in fractional if type(value) is float]
    client = client_at_now(emulator_at_now)
    for window in (WHOLE_HOUR, FRACTIONAL_HOUR):
        warehouse.run(liveperson_source(client=client, window=window).with_resources("messaging_agent_metrics"))
    columns = warehouse.columns()["messaging_agent_metrics"]
    assert not [name for name in columns if "__v_" in name]
    assert {name: columns[name] for name in AGENT_METRICS_TYPES} == {
        name: warehouse.types[kind] for name, kind in AGENT_METRICS_TYPES.items()}
    loaded = {}
    for row in warehouse.query("select agent_id, interval_end, avg_time_resolved_conversations_by_ccp, "
                               "avg_time_resolved_conversations_by_consumer, avg_time_resolved_conversations_by_system, "
                               "avg_time_resolved_conversations from liveperson.messaging_agent_metrics"):
        loaded[(row[0], row[1])] = list(row[2:])
    expected = {}
    for window in (WHOLE_HOUR, FRACTIONAL_HOUR):
        for bucket in range(1, 13):
            end = window.start + timedelta(minutes=5 * bucket)
            per_agent = emulator_at_now.conversation_metrics(end - timedelta(minutes=5), end, agent_ids="all")
            for agent, metrics in per_agent["agentsMetrics"]["metricsPerAgent"].items():
                expected[(int(agent), end)] = [metrics[name] for name in AVERAGES]
    assert loaded == expected and len(loaded) == 8 + 19
    assert all(value is not None for values in loaded.values() for value in values)


def operations_rows(window: Window, value) -> dict:
    """One row of each operations table in `window`, every numeric column `value`."""
    def row(types: dict, key: str) -> dict:
        numbers = {name: value for name, kind in types.items() if kind in ("double", "bigint") and name != key}
        return {"hour": window.start, "interval_start": window.start, "interval_end": window.start + timedelta(minutes=5),
                key: 7, **numbers}
    return {"messaging_queue_health": [row(QUEUE_HEALTH_TYPES, "skill_id")],
            "messaging_agent_metrics": [row(AGENT_METRICS_TYPES, "agent_id")]}


class StubClient:
    """Answers the operations resources with the rows of `operations_rows`."""

    def __init__(self, value):
        self.value = value

    def messaging_queue_health(self, window):
        return operations_rows(window, self.value)["messaging_queue_health"]

    def messaging_agent_metrics(self, window):
        return operations_rows(window, self.value)["messaging_agent_metrics"]


def test_every_numeric_column_of_the_operations_tables_has_its_declared_type_whatever_came_first(warehouse):
    for client in (StubClient(0), StubClient(2)):  # whole numbers first: 0, then 2 (a count) ...
        warehouse.run(liveperson_source(client=client, window=WHOLE_HOUR).with_resources(
            "messaging_queue_health", "messaging_agent_metrics"))
    fractional = {name: 2.25 for name, kind in {**QUEUE_HEALTH_TYPES, **AGENT_METRICS_TYPES}.items() if kind == "double"}

    class Fractional(StubClient):
        def messaging_queue_health(self, window):
            return [{**row, **{k: v for k, v in fractional.items() if k in QUEUE_HEALTH_TYPES}}
                    for row in super().messaging_queue_health(window)]

        def messaging_agent_metrics(self, window):
            return [{**row, **{k: v for k, v in fractional.items() if k in AGENT_METRICS_TYPES}}
                    for row in super().messaging_agent_metrics(window)]

    warehouse.run(liveperson_source(client=Fractional(3), window=FRACTIONAL_HOUR).with_resources(
        "messaging_queue_health", "messaging_agent_metrics"))
    columns = warehouse.columns()
    for table, types in (("messaging_queue_health", QUEUE_HEALTH_TYPES), ("messaging_agent_metrics", AGENT_METRICS_TYPES)):
        assert {name: columns[table][name] for name in types} == {
            name: warehouse.types[kind] for name, kind in types.items()}, table
        assert not [name for name in columns[table] if "__v_" in name], table
        doubles = [name for name, kind in types.items() if kind == "double"]
        values = warehouse.query(f"select {', '.join(doubles)} from liveperson.{table} order by hour")
        assert [list(row) for row in values] == [[2.0] * len(doubles), [2.25] * len(doubles)], table


# 2: a value that does not fit fails the load, in one line, and nothing of the run is loaded

def test_a_value_that_does_not_fit_fails_the_load_naming_table_column_value_and_type(emulator_at_now, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setattr(loading, "LivePersonClient", functools.partial(LivePersonClient, clock=lambda: NOW.timestamp()))
    database = tmp_path / "warehouse.duckdb"
    resources = {"dlt": DagsterDltResource(), "liveperson": credentials_for(emulator_at_now),
                 "warehouse": LivePersonWarehouse(duckdb_path=str(database))}
    assets = assets_of("messaging_agent_metrics")
    assert materialize(assets, resources=resources, partition_key="2026-11-29-03:00").success
    before = query(database, "select count(*) from liveperson.messaging_agent_metrics")
    assert before[0][0] > 0

    served = LivePersonClient.messaging_agent_metrics

    def with_a_fraction(self, window):
        rows = served(self, window)
        rows[-1]["resolvedConversations_byCCP"] = 1.5  # a count: declared bigint
        return rows

    monkeypatch.setattr(LivePersonClient, "messaging_agent_metrics", with_a_fraction)
    result = materialize(assets, resources=resources, partition_key="2026-11-29-12:00", raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("liveperson_messaging_agent_metrics")
    # One line, the step's failure (not dlt's chain of wrapping exceptions), not retried.
    assert failure.user_failure_data.description == (
        "messaging_agent_metrics.resolved_conversations_by_ccp: LivePerson sent 1.5, which is not a bigint (the "
        "column's declared type); nothing of this run was loaded")
    assert "DataValidationError" not in failure.error.to_string()
    assert query(database, "select count(*) from liveperson.messaging_agent_metrics") == before
    assert not [row for row in query(database, COLUMNS_SQL) if "__v_" in row[1]]


def test_type_error_of_ignores_other_errors():
    assert type_error_of(ValueError("no")) is None


# 2, 3: older warehouses: the check names their variant columns, migrate-types merges them back

def load_as_an_older_version(warehouse: Warehouse) -> None:
    """What a version without declared types left: averages BIGINT because the first were whole, the fractional
    ones in `__v_double`, agent ids text, and `agent_status_changes.agent_id` text."""
    hour = WHOLE_HOUR.start

    @dlt.source(name="liveperson")
    def older(rows):
        # The resource of the previous version: the same keys and time columns, every other type inferred.
        @dlt.resource(name="messaging_agent_metrics", write_disposition=OPERATIONS_DISPOSITION, merge_key="hour",
                      primary_key=("agent_id", "interval_end"), columns=OPERATIONS_BOUNDS)
        def metrics():
            yield rows

        return metrics

    whole = [{"hour": hour - timedelta(hours=1), "interval_start": hour, "interval_end": hour + timedelta(minutes=5 * n),
              "agent_id": str(n), "avg_time_resolved_conversations_by_ccp": 300, "total_resolved_conversations": 1}
             for n in (1, 2)]
    fractional = [{"hour": hour, "interval_start": hour, "interval_end": hour + timedelta(minutes=5 * n),
                   "agent_id": str(n), "avg_time_resolved_conversations_by_ccp": 250.5, "total_resolved_conversations": 2}
                  for n in (3, 4)]
    for rows in (whole, fractional):
        warehouse.pipeline().run(older(rows))


VARIANT_CHECK = AssetCheckKey.from_user_string("liveperson/messaging_agent_metrics:no_variant_columns")


def variant_check(warehouse: Warehouse, emulator):
    result = materialize([*assets_of("messaging_agent_metrics"), *project_checks()],
                         resources={"dlt": DagsterDltResource(), "liveperson": credentials_for(emulator),
                                    "warehouse": warehouse.resource},
                         selection=AssetSelection.checks(VARIANT_CHECK))
    assert result.success
    return {e.asset_check_key: e for e in result.get_asset_check_evaluations()}[VARIANT_CHECK]


def execute(warehouse: Warehouse, *statements: str) -> None:
    if warehouse.kind == "duckdb":
        import duckdb

        with duckdb.connect(warehouse.resource.duckdb_path) as connection:
            for statement in statements:
                connection.execute(statement)
        return
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=warehouse.database)
    try:
        with connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def test_migrate_types_merges_variant_columns_back_and_the_next_load_agrees(warehouse, emulator_at_now):
    load_as_an_older_version(warehouse)
    # A view of the marts on a column to alter (PostgreSQL refuses to alter a column a view reads).
    execute(warehouse, "create schema liveperson_marts",
            "create view liveperson_marts.stg_agents as select agent_id from liveperson.messaging_agent_metrics")
    columns = warehouse.columns()["messaging_agent_metrics"]
    assert columns["avg_time_resolved_conversations_by_ccp"] == warehouse.types["bigint"]
    assert columns["avg_time_resolved_conversations_by_ccp__v_double"] == warehouse.types["double"]
    assert columns["agent_id"] == warehouse.types["text"]

    found = variant_check(warehouse, emulator_at_now)
    assert found.passed is False
    assert found.metadata["variant_columns"].value == [
        "messaging_agent_metrics.avg_time_resolved_conversations_by_ccp__v_double"]
    assert "messaging_agent_metrics.avg_time_resolved_conversations_by_ccp__v_double" in found.description

    # A load of this version refuses the older columns, naming what to do, and loads nothing.
    client = client_at_now(emulator_at_now)
    with pytest.raises(Exception) as refused:
        warehouse.run(liveperson_source(client=client, window=FRACTIONAL_HOUR).with_resources("messaging_agent_metrics"))
    assert "migrate-types" in str(type_error_of(refused.value))
    assert warehouse.query("select count(*) from liveperson.messaging_agent_metrics") == [(4,)]

    out = io.StringIO()
    assert migrate(warehouse.env, out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert "messaging_agent_metrics.agent_id: text -> bigint" in lines
    assert ("messaging_agent_metrics.avg_time_resolved_conversations_by_ccp: bigint -> double, merged "
            "avg_time_resolved_conversations_by_ccp__v_double into it") in lines
    assert lines[-1] == f"OK: {len(lines) - 1} change(s)"
    dropped = "dropped view liveperson_marts.stg_agents (the next build of the marts creates it again)"
    assert (dropped in lines) == (warehouse.kind == "postgres")
    if warehouse.kind == "duckdb":  # DuckDB binds a view when it is read: it reads the new type
        assert sorted(warehouse.query("select agent_id from liveperson_marts.stg_agents")) == [(1,), (2,), (3,), (4,)]
    columns = warehouse.columns()["messaging_agent_metrics"]
    assert not [name for name in columns if "__v_" in name]
    assert (columns["avg_time_resolved_conversations_by_ccp"], columns["agent_id"]) == (
        warehouse.types["double"], warehouse.types["bigint"])
    assert sorted(warehouse.query("select agent_id, avg_time_resolved_conversations_by_ccp "
                                  "from liveperson.messaging_agent_metrics")) == [
        (1, 300.0), (2, 300.0), (3, 250.5), (4, 250.5)]

    warehouse.run(liveperson_source(client=client, window=FRACTIONAL_HOUR).with_resources("messaging_agent_metrics"))
    assert warehouse.query("select count(*) from liveperson.messaging_agent_metrics where hour = "
                           f"'{FRACTIONAL_HOUR.start.isoformat()}'")[0][0] == 19
    assert not [name for name in warehouse.columns()["messaging_agent_metrics"] if "__v_" in name]
    assert variant_check(warehouse, emulator_at_now).passed is True
    again = io.StringIO()
    assert migrate(warehouse.env, again) == 0 and again.getvalue() == "OK: every column already has its declared type\n"


def test_migrate_types_refuses_a_value_that_does_not_fit_and_changes_nothing(warehouse):
    load_as_an_older_version(warehouse)
    execute(warehouse, "update liveperson.messaging_agent_metrics set agent_id = 'ghost' where agent_id = '4'")
    out = io.StringIO()
    assert migrate(warehouse.env, out) == 1
    failure = out.getvalue().splitlines()[-1]
    assert failure.startswith("FAILED: messaging_agent_metrics.agent_id: a value does not fit bigint")
    assert "ghost" in failure
    columns = warehouse.columns()["messaging_agent_metrics"]
    assert columns["agent_id"] == warehouse.types["text"]
    assert "avg_time_resolved_conversations_by_ccp__v_double" in columns


def test_migrate_types_refuses_a_destination_it_does_not_know_before_connecting_to_it():
    out = io.StringIO()
    # BigQuery without credentials: a connection would fail on them, not name what migrate-types supports.
    assert migrate({"LIVEPERSON_DESTINATION": "bigquery"}, out) == 1
    assert out.getvalue() == "FAILED: migrate-types knows duckdb and postgres, not 'bigquery' (LIVEPERSON_DESTINATION)\n"


def test_ids_of_one_kind_have_one_type_in_every_table():
    kinds = {"agent": ("agent_id", "latest_agent_id", "source_agent_id", "assigned_agent_id",
                       "performed_by_agent_id"),
             "skill": ("skill_id", "latest_skill_id", "source_skill_id", "target_skill_id", "survey_skill_id"),
             "agent_group": ("agent_group_id", "latest_agent_group_id", "parent_group_id")}
    for kind, suffixes in kinds.items():
        found = {(table, column): data_type for table, columns in declared_types().items()
                 for column, data_type in columns.items() if column.rpartition("__")[2] in suffixes}
        assert len(found) > 3 and set(found.values()) == {"bigint"}, (kind, found)
    assert declared_types()["users"]["id"] == declared_types()["skills"]["id"] == "bigint"
    assert declared_types()["conversations"]["conversation_id"] == "text"


def test_an_empty_agent_id_of_a_conversation_is_null_not_a_value_that_fails_its_column():
    from liveperson_dagster.liveperson.columnar import conversation_tables

    tables = conversation_tables([{"info": {"conversationId": "c1", "startTimeL": 1_700_000_000_000,
                                            "latestAgentId": ""},
                                   "transfers": [{"sourceAgentId": "", "assignedAgentId": "42"}],
                                   "agentParticipants": [{"agentId": ""}]}])
    assert tables["conversations"].column("info__latest_agent_id").to_pylist() == [None]
    transfers = tables["conversations__transfers"]
    assert (transfers.column("source_agent_id").to_pylist(), transfers.column("assigned_agent_id").to_pylist()) == (
        [None], [42])
    assert tables["conversations__agent_participants"].column("agent_id").to_pylist() == [None]


def test_a_contract_violation_known_only_by_its_message_is_still_one_line_naming_table_column_and_type():
    # What a normalize worker process hands back: dlt's message, without the exception it came from.
    message = ("Job for `job_id='x'` failed terminally in load with `load_id='1'` with message: In schema `liveperson`: "
               "In Table: `conversations__transfers` Column: `source_agent_id__v_text` . Contract on `data_type` with "
               "`contract_mode=freeze` is violated. Can't add variant column.")
    assert str(type_error_of(RuntimeError(message))) == (
        "conversations__transfers.source_agent_id: LivePerson sent a text value, which is not a bigint (the column's "
        "declared type); nothing of this run was loaded")


def test_every_declared_column_of_every_table_has_its_declared_type(emulator_at_now, warehouse):
    # Every resource of the source: configuration, a day of conversations, status changes and chats (lobId quoted
    # or not, as the docs show it), an hour of each operations table.
    day = Window(datetime(2026, 11, 3, tzinfo=timezone.utc), datetime(2026, 11, 4, tzinfo=timezone.utc))
    client = client_at_now(emulator_at_now)
    warehouse.run(liveperson_source(client=client, window=day).with_resources(
        "users", "skills", "agent_groups", "agent_status_reasons", "profiles", "lobs", "predefined_content",
        "workdays", "special_occasions", "conversations", "agent_status_changes", "chat_engagements"))
    warehouse.run(liveperson_source(client=client, window=FRACTIONAL_HOUR).with_resources(
        "messaging_queue_health", "messaging_agent_metrics"))
    columns = warehouse.columns()
    assert not [f"{table}.{name}" for table, names in columns.items() for name in names if "__v_" in name]
    declared = {(table, name): warehouse.types.get(kind, kind) for table, names in declared_types().items()
                for name, kind in names.items()}
    present = {key: columns[key[0]][key[1]] for key in declared if key[1] in columns.get(key[0], {})}
    assert present == {key: declared[key] for key in present}
    # Most of what is declared is served by the emulator (the rest are parts it never sends, e.g. LOB ids of users).
    assert len(present) >= 0.8 * len(declared)
    lob_ids = warehouse.query("select campaign__lob_id from liveperson.chat_engagements")
    served = [record["campaign"]["lobId"] for record in emulator_at_now.chat_engagements(day.start, day.end)]
    assert {type(value) for value in served} == {int, str}
    assert sorted(row[0] for row in lob_ids) == sorted(int(value) for value in served)


def test_the_emulators_queue_health_writes_whole_averages_as_whole_numbers(emulator_at_now):
    values = [value for interval in range(12)
              for metrics in emulator_at_now.queue_health(WHOLE_HOUR.start + timedelta(minutes=5 * interval),
                                                          WHOLE_HOUR.start + timedelta(minutes=5 * (interval + 1)),
                                                          "all")["skillsMetrics"].values()
              for value in metrics.values()]
    assert {type(value) for value in values} == {int, float}
    assert all(float(value).is_integer() for value in values if type(value) is int)
    assert not [value for value in values if type(value) is float and value.is_integer()]


def test_the_command_migrates_the_warehouse_of_the_settings(tmp_path, monkeypatch, capsys):
    from liveperson_dagster.cli import main

    monkeypatch.setenv("LIVEPERSON_DUCKDB_PATH", str(tmp_path / "empty.duckdb"))
    assert main(["migrate-types"]) == 0
    assert capsys.readouterr().out == "OK: every column already has its declared type\n"
