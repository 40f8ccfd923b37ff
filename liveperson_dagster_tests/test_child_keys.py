"""Every row of a child table carries its record's key (`conversation_id`, `engagement_id`), on every level, so that
analysts and the marts join on it; a warehouse loaded before that gets the key in its older rows before the first
run's extract (own_child_tables.py)."""

from contextlib import closing
from functools import partial

import dlt
from dagster import DagsterInstance, materialize

from liveperson_dagster.liveperson import Window, liveperson_source
from liveperson_dagster.resources import LivePersonWarehouse

from .helpers import (assets_of, connection_for, fresh_postgres_database, load_with_the_nested_version, query,
                      require_postgres, resources_for, utc_window)

FIRST_DAY, SECOND_DAY = "2026-11-03", "2026-11-04"
KEYS = {"conversations": "conversation_id", "chat_engagements": "engagement_id"}
TABLES_SQL = ("select table_name from information_schema.tables where table_schema = 'liveperson' "
              "and table_name like '{record}\\_\\_%' escape '\\' order by 1")


def keys_per_child_table(run_query, record: str) -> dict:
    """For each child table of `record`: (rows, rows whose key is not their record's)."""
    key = KEYS[record]
    found = {}
    for (table,) in run_query(TABLES_SQL.format(record=record)):
        found[table] = tuple(run_query(
            f"select count(*), count(*) filter (where child.{key} is distinct from record.{key}) "
            f"from liveperson.{table} child left join liveperson.{record} record "
            f"on child._dlt_root_id = record._dlt_id")[0])
    return found


def assert_every_child_row_keyed(run_query) -> None:
    for record in KEYS:
        counts = keys_per_child_table(run_query, record)
        assert counts and {table: wrong for table, (_, wrong) in counts.items()} == dict.fromkeys(counts, 0), counts
        assert all(rows for rows, _ in counts.values()), counts


def test_a_plain_dlt_run_keys_the_child_rows_of_conversations_and_chats_on_every_level(emulator, tmp_path):
    database = str(tmp_path / "w.duckdb")
    pipeline = dlt.pipeline("lp_keys", pipelines_dir=str(tmp_path / "dlt"),
                            destination=dlt.destinations.duckdb(database), dataset_name="liveperson")
    pipeline.run(liveperson_source(connection_for(emulator), Window(*utc_window(FIRST_DAY)))
                 .with_resources("conversations", "chat_engagements"), loader_file_format="parquet")
    assert_every_child_row_keyed(lambda sql: query(database, sql))
    tables = {row[0] for row in query(database, TABLES_SQL.format(record="conversations"))}
    assert "conversations__intents__all_classifications" in tables  # a child table of a child table
    assert query(database, "select count(*) from liveperson.conversations__message_records") == [
        (sum(len(record["messageRecords"]) for record in emulator.conversations(*utc_window(FIRST_DAY))),)]


def older_warehouse_then_a_new_day(emulator, resources, destination, working_dir) -> list:
    """The first day loaded by a version before child keys (nested child tables without the key column), the second
    day by this one; the log lines of the second day's run."""
    load_with_the_nested_version(emulator, destination, working_dir, FIRST_DAY)
    instance = DagsterInstance.ephemeral()
    assert materialize(assets_of("conversations", "chat_engagements"), resources=resources, instance=instance,
                       partition_key=SECOND_DAY).success
    (run,) = instance.get_runs()
    return [entry.user_message for entry in instance.all_logs(run.run_id)]


def test_an_older_duckdb_warehouse_gets_the_keys_of_its_child_rows_before_the_next_load(emulator, tmp_path):
    database = tmp_path / "w.duckdb"
    messages = older_warehouse_then_a_new_day(emulator, resources_for(emulator, database),
                                              dlt.destinations.duckdb(str(database)), tmp_path / "dlt")
    assert_every_child_row_keyed(lambda sql: query(database, sql))
    days = query(database, "select count(distinct cast(record.start_time as date)) from "
                           "liveperson.conversations__message_records child join liveperson.conversations record "
                           "on child.conversation_id = record.conversation_id")
    assert days == [(2,)]
    # Every child table at once, before the first step's extract (the other finds nothing left to do).
    conversations, chats = [message for message in messages if message.startswith("Child tables nested")]
    assert "conversations__message_records" in conversations and "chat_engagements__transcript__lines" in chats


def postgres_execute(database: str, sql: str) -> list:
    import psycopg2

    with closing(psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []


def test_an_older_postgres_warehouse_gets_the_keys_of_its_child_rows_before_the_next_load(emulator, tmp_path,
                                                                                         monkeypatch):
    require_postgres()
    with fresh_postgres_database() as name:
        credentials = f"postgresql://postgres:unused@127.0.0.1:5432/{name}"
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", credentials)
        resources = {**resources_for(emulator, tmp_path / "unused.duckdb"),
                     "warehouse": LivePersonWarehouse(destination="postgres")}
        older_warehouse_then_a_new_day(emulator, resources, dlt.destinations.postgres(credentials), tmp_path / "dlt")
        assert_every_child_row_keyed(partial(postgres_execute, name))
