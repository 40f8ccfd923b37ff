"""The same assets into PostgreSQL (LIVEPERSON_DESTINATION=postgres, dlt's credentials from the environment) land the
same rows as into DuckDB. Skipped without a server on 127.0.0.1:5432, unless LIVEPERSON_REQUIRE_POSTGRES=1."""

import os

import pytest
from dagster import AssetKey, materialize
from dagster_dlt import DagsterDltResource

from liveperson_dagster.resources import LivePersonWarehouse

from . import helpers
from .helpers import (
    project_assets,
    project_checks,
    credentials_for, fresh_postgres_database, postgres_query, query, require_postgres, resources_for, utc_window,
)

DAYS = ("2026-11-03", "2026-11-05")
CONVERSATIONS = AssetKey(["liveperson", "conversations"])
TABLES_SQL = "select table_name from information_schema.tables where table_schema = 'liveperson'"


@pytest.fixture
def postgres_database():
    """A database of its own on the local server, dropped afterwards: yields (dlt credentials URL, database name)."""
    require_postgres()
    with fresh_postgres_database("liveperson_test") as name:
        # Trust authentication ignores the password, but dlt insists on one.
        yield f"postgresql://postgres:unused@127.0.0.1:5432/{name}", name


def load(resources: dict) -> list:
    """Config assets and the first day in one run, the second day in another; the checks run with them."""
    assets = [*project_assets(), *project_checks()]
    first = materialize(assets, resources=resources, partition_key=DAYS[0])
    second = materialize(assets, resources=resources, partition_key=DAYS[1], selection=[CONVERSATIONS])
    assert first.success and second.success
    return [*first.get_asset_check_evaluations(), *second.get_asset_check_evaluations()]


def test_postgres_holds_the_same_rows_as_duckdb(emulator, tmp_path, monkeypatch, postgres_database):
    url, pg_database = postgres_database
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    database = tmp_path / "warehouse.duckdb"
    load(resources_for(emulator, database))
    postgres_checks = load({"dlt": DagsterDltResource(), "liveperson": credentials_for(emulator),
                            "warehouse": LivePersonWarehouse(destination="postgres")})
    # First run: every check of the group (9 configuration tables, 4 of conversations, 3 of status changes, 2 of
    # chats, no_variant_columns of the 12 tables); second run: the 4 of conversations and its no_variant_columns.
    assert len(postgres_checks) == (9 + 4 + 3 + 2 + 12) + 4 + 1 and all(check.passed for check in postgres_checks)

    tables = sorted(row[0] for row in query(database, TABLES_SQL) if not row[0].startswith("_dlt"))
    assert sorted(row[0] for row in postgres_query(pg_database, TABLES_SQL) if not row[0].startswith("_dlt")) == tables
    assert {"users", "skills", "agent_groups", "conversations", "conversations__message_records"} <= set(tables)
    for table in tables:
        counted = f"select count(*) from liveperson.{table}"
        assert postgres_query(pg_database, counted) == query(database, counted), table
        assert query(database, counted)[0][0] > 0, table
    for table, column in (("users", "id"), ("skills", "id"), ("agent_groups", "id"),
                          ("conversations", "conversation_id")):
        ids = f"select {column} from liveperson.{table} order by {column}"
        assert postgres_query(pg_database, ids) == query(database, ids), table
    expected = set().union(*(emulator.conversation_ids(*utc_window(day)) for day in DAYS))
    assert [row[0] for row in postgres_query(pg_database, "select conversation_id from liveperson.conversations "
                                                  "order by conversation_id")] == sorted(expected)


def test_the_postgres_warehouse_takes_dlt_s_credentials_and_bounds_their_lock_waits(monkeypatch):
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS",
                       "postgresql://loader:unused@db.example:5433/warehouse?options=-c%20statement_timeout%3D5000")
    warehouse = LivePersonWarehouse(destination="postgres", postgres_lock_timeout_seconds=90)
    credentials = warehouse.dlt_destination().config_params["credentials"]
    assert (credentials.host, credentials.port, credentials.username, credentials.database) == (
        "db.example", 5433, "loader", "warehouse")
    assert credentials.get_query()["options"] == "-c statement_timeout=5000 -c lock_timeout=90000"
    assert credentials.get_query()["application_name"] == f"liveperson-dagster-pid-{os.getpid()}"


def test_without_a_server_the_tests_skip_unless_postgres_is_required(monkeypatch):
    monkeypatch.setattr(helpers, "postgres_available", lambda: False)
    monkeypatch.delenv("LIVEPERSON_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL server answers"):
        require_postgres()
    monkeypatch.setenv("LIVEPERSON_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL server answers .*, and LIVEPERSON_REQUIRE_POSTGRES=1"):
        require_postgres()
