"""The same assets into PostgreSQL (LIVEPERSON_DESTINATION=postgres, dlt's credentials from the environment) land the
same rows as into DuckDB. Skipped without a server on 127.0.0.1:5432, unless LIVEPERSON_REQUIRE_POSTGRES=1."""

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from dagster import AssetKey, materialize
from dagster_dlt import DagsterDltResource

from liveperson_dagster.assets import liveperson_account_config, liveperson_conversations
from liveperson_dagster.checks import build_checks
from liveperson_dagster.resources import LivePersonWarehouse

from .conftest import postgres_available
from .dagster_helpers import credentials_for, query, resources_for

ADMIN_USERS = ("postgres", "root")
DAYS = ("2026-11-03", "2026-11-05")
CONVERSATIONS = AssetKey(["liveperson", "conversations"])
TABLES_SQL = "select table_name from information_schema.tables where table_schema = 'liveperson'"


def _unavailable(reason: str):
    if os.environ.get("LIVEPERSON_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason}, and LIVEPERSON_REQUIRE_POSTGRES=1 makes the PostgreSQL tests mandatory")
    pytest.skip(f"{reason} (set LIVEPERSON_REQUIRE_POSTGRES=1 to fail instead)")


def _admin_connection():
    import psycopg2

    for user in ADMIN_USERS:
        try:
            connection = psycopg2.connect(host="127.0.0.1", port=5432, user=user, dbname="postgres", connect_timeout=5)
        except psycopg2.OperationalError:
            continue
        connection.autocommit = True
        return user, connection
    _unavailable(f"PostgreSQL on 127.0.0.1:5432 accepts none of the users {', '.join(ADMIN_USERS)} without a password")


@pytest.fixture
def postgres_database():
    """A database of its own on the local server, dropped afterwards: yields (dlt credentials URL, psycopg2 DSN)."""
    if not postgres_available():
        _unavailable("no PostgreSQL server answers on 127.0.0.1:5432")
    user, admin = _admin_connection()
    name = f"liveperson_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        # Trust authentication ignores the password, but dlt insists on one.
        yield f"postgresql://{user}:unused@127.0.0.1:5432/{name}", f"host=127.0.0.1 port=5432 user={user} dbname={name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def load(resources: dict) -> list:
    """Config assets and the first day in one run, the second day in another; the checks run with them."""
    assets = [liveperson_account_config, liveperson_conversations, *build_checks()]
    first = materialize(assets, resources=resources, partition_key=DAYS[0])
    second = materialize(assets, resources=resources, partition_key=DAYS[1], selection=[CONVERSATIONS])
    assert first.success and second.success
    return [*first.get_asset_check_evaluations(), *second.get_asset_check_evaluations()]


def postgres_query(dsn: str, sql: str) -> list:
    import psycopg2

    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    connection.close()
    return rows


def test_postgres_holds_the_same_rows_as_duckdb(emulator, tmp_path, monkeypatch, postgres_database):
    url, dsn = postgres_database
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    database = tmp_path / "warehouse.duckdb"
    load(resources_for(emulator, database))
    postgres_checks = load({"dlt": DagsterDltResource(), "liveperson": credentials_for(emulator),
                            "warehouse": LivePersonWarehouse(destination="postgres")})
    assert len(postgres_checks) == 6 + 3 and all(check.passed for check in postgres_checks)

    tables = sorted(row[0] for row in query(database, TABLES_SQL) if not row[0].startswith("_dlt"))
    assert sorted(row[0] for row in postgres_query(dsn, TABLES_SQL) if not row[0].startswith("_dlt")) == tables
    assert {"users", "skills", "agent_groups", "conversations", "conversations__message_records"} <= set(tables)
    for table in tables:
        counted = f"select count(*) from liveperson.{table}"
        assert postgres_query(dsn, counted) == query(database, counted), table
        assert query(database, counted)[0][0] > 0, table
    for table, column in (("users", "id"), ("skills", "id"), ("agent_groups", "id"),
                          ("conversations", "conversation_id")):
        ids = f"select {column} from liveperson.{table} order by {column}"
        assert postgres_query(dsn, ids) == query(database, ids), table
    days = [datetime.fromisoformat(day).replace(tzinfo=timezone.utc) for day in DAYS]
    expected = set().union(*(emulator.conversation_ids(day, day + timedelta(days=1)) for day in days))
    assert [row[0] for row in postgres_query(dsn, "select conversation_id from liveperson.conversations "
                                                  "order by conversation_id")] == sorted(expected)


def test_the_postgres_warehouse_leaves_credentials_to_dlt():
    warehouse = LivePersonWarehouse(destination="postgres")
    assert warehouse.dlt_destination() == "postgres"


def test_without_a_server_the_tests_skip_unless_postgres_is_required(monkeypatch):
    monkeypatch.delenv("LIVEPERSON_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server"):
        _unavailable("no server")
    monkeypatch.setenv("LIVEPERSON_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="no server, and LIVEPERSON_REQUIRE_POSTGRES=1"):
        _unavailable("no server")
