"""A warehouse loaded while dlt nested the child tables of conversations and chats takes the columnar ones (tables of
their own, merged on the record's key): its rows stay, a day loaded again replaces its records' rows exactly, and
every child row still finds its parent and its record through dlt's ids."""

from contextlib import closing
from functools import partial

import dlt
import duckdb
from dagster import DagsterInstance, materialize

from liveperson_dagster.resources import LivePersonWarehouse

from .helpers import (assets_of, fresh_postgres_database, load_with_the_nested_version, require_postgres, resources_for,
                      utc_window)

FIRST_DAY, SECOND_DAY = "2026-11-03", "2026-11-04"
RECORDS = {"conversations": "conversation_id", "chat_engagements": "engagement_id"}
TABLES_SQL = ("select table_name from information_schema.tables where table_schema = 'liveperson' "
              "and table_name like '{record}\\_\\_%' escape '\\' order by 1")
DLT_COLUMNS = {"_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id", "deleted_upstream"}


def load_days(resources, days, instance) -> None:
    for day in days:
        assert materialize(assets_of(*RECORDS), resources=resources, instance=instance, partition_key=day).success


def contents(run_query) -> dict:
    """Every table's rows of conversations and chats (dlt's ids and load ids aside), sorted; and the child rows
    whose parent or record is not found through dlt's ids, by table."""
    tables = {}
    broken = {}
    for record, (table,) in [(record, found) for record in RECORDS
                             for found in [(record,), *run_query(TABLES_SQL.format(record=record))]]:
        columns = sorted(name for (name,) in run_query(
            "select column_name from information_schema.columns where table_schema = 'liveperson' "
            f"and table_name = '{table}'") if name not in DLT_COLUMNS)
        selected = ", ".join(f'"{name}"' for name in columns)
        rows = run_query(f"select {selected} from liveperson.{table}")
        tables[table] = (columns, sorted(map(repr, rows)))
        if table != record:
            parent = table.rsplit("__", 1)[0]
            while parent not in tables:  # an object on the way (`a__b__list`): the nearest table above
                parent = parent.rsplit("__", 1)[0]
            broken[table] = run_query(
                f"select count(*) filter (where p._dlt_id is null), count(*) filter (where r._dlt_id is null) "
                f"from liveperson.{table} c left join liveperson.{parent} p on c._dlt_parent_id = p._dlt_id "
                f"left join liveperson.{record} r on c._dlt_root_id = r._dlt_id")[0]
    return {"tables": tables, "orphans": {table: tuple(counts) for table, counts in broken.items() if any(counts)}}


def migrated_and_reloaded(emulator, resources, destination, run_query, working_dir) -> list:
    """The first day loaded by the nested version, then the second day and the first again by this one: the log
    lines of the second day's run."""
    load_with_the_nested_version(emulator, destination, working_dir, FIRST_DAY)
    for table, key in (("conversations__message_records", "conversation_id"),
                       ("chat_engagements__transcript__lines", "engagement_id")):
        assert key not in {name for (name,) in run_query(
            "select column_name from information_schema.columns where table_schema = 'liveperson' "
            f"and table_name = '{table}'")}
    instance = DagsterInstance.ephemeral()
    load_days(resources, [SECOND_DAY, FIRST_DAY], instance)
    (run,) = [run for run in instance.get_runs() if run.tags.get("dagster/partition") == SECOND_DAY]
    return [entry.user_message for entry in instance.all_logs(run.run_id)]


def test_an_older_duckdb_warehouse_takes_the_columnar_child_tables(emulator, tmp_path):
    database = tmp_path / "w.duckdb"

    def run_query(sql: str) -> list:
        with duckdb.connect(str(database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    messages = migrated_and_reloaded(emulator, resources_for(emulator, database),
                                     dlt.destinations.duckdb(str(database)), run_query, tmp_path / "dlt")
    conversations, chats = [message for message in messages if message.startswith("Child tables nested")]
    assert "conversations__message_records" in conversations and "chat_engagements__transcript__lines" in chats

    fresh = tmp_path / "fresh.duckdb"
    load_days(resources_for(emulator, fresh), [SECOND_DAY, FIRST_DAY], DagsterInstance.ephemeral())
    with duckdb.connect(str(fresh), read_only=True) as connection:
        expected = contents(lambda sql: connection.execute(sql).fetchall())
    found = contents(run_query)
    assert found["orphans"] == {} and expected["orphans"] == {}
    assert found["tables"].keys() == expected["tables"].keys()
    for table, (columns, rows) in expected["tables"].items():
        assert found["tables"][table][0] == columns, table
        assert found["tables"][table][1] == rows, table
    messages = sum(len(record["messageRecords"]) for day in (FIRST_DAY, SECOND_DAY)
                   for record in emulator.conversations(*utc_window(day)))
    assert run_query("select count(*) from liveperson.conversations__message_records") == [(messages,)]


def postgres_query(database: str, sql: str) -> list:
    import psycopg2

    with closing(psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


def test_an_older_postgres_warehouse_takes_the_columnar_child_tables(emulator, tmp_path, monkeypatch):
    require_postgres()
    with fresh_postgres_database() as name:
        credentials = f"postgresql://postgres:unused@127.0.0.1:5432/{name}"
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", credentials)
        resources = {**resources_for(emulator, tmp_path / "unused.duckdb"),
                     "warehouse": LivePersonWarehouse(destination="postgres")}
        run_query = partial(postgres_query, name)
        migrated_and_reloaded(emulator, resources, dlt.destinations.postgres(credentials), run_query, tmp_path / "dlt")
        found = contents(run_query)
        assert found["orphans"] == {}
        messages = sum(len(record["messageRecords"]) for day in (FIRST_DAY, SECOND_DAY)
                       for record in emulator.conversations(*utc_window(day)))
        assert run_query("select count(*) from liveperson.conversations__message_records") == [(messages,)]
        assert run_query("select count(*) from liveperson.conversations__message_records "
                         "where conversation_id is null") == [(0,)]
        assert run_query("select count(*) from liveperson.chat_engagements__transcript__lines "
                         "where engagement_id is null") == [(0,)]
