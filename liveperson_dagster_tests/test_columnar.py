"""The columnar build of conversation records makes the tables dlt's row normalizer made of the same records (the
versions before it): the same tables, columns, types and rows; and what the JSON reader would get wrong it does not."""

from datetime import date
from typing import Dict

import dlt
import duckdb
import pyarrow as pa
import pytest

from liveperson_dagster.liveperson import LivePersonClient, Window
from liveperson_dagster.liveperson.columnar import (CHAT_TABLES, CONVERSATION_TABLES, concatenated, conversation_tables,
                                                   record_tables)
from liveperson_dagster.liveperson.errors import LivePersonTypeError
from liveperson_dagster.liveperson.record_items import built_ahead
from liveperson_emulator.data import Dataset

from .helpers import connection_for, nested_version, utc_window

DLT_COLUMNS = {"_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx", "_dlt_load_id", "deleted_upstream"}


def emulated_pages(days: int = 1, per_day: int = 400) -> list:
    dataset = Dataset("13350576", 7, date(2026, 11, 1), date(2026, 11, 30), per_day, ())
    records = [dataset.conversations.record(header) for day in range(days)
               for header in dataset.conversations.day(date(2026, 11, 3 + day))]
    return [records[first:first + 100] for first in range(0, len(records), 100)]


def columns_and_rows(connection, schema: str, record: str) -> Dict[str, tuple]:
    tables = [name for (name,) in connection.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_name like ?",
        [schema, f"{record}%"]).fetchall()]
    found = {}
    for table in tables:
        columns = dict(connection.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table]).fetchall())
        kept = sorted(name for name in columns if name not in DLT_COLUMNS)
        # JSON columns (dlt's) and JSON text (the build's) compared as text.
        selected = ", ".join(f'cast("{name}" as varchar)' if columns[name] == "JSON" else f'"{name}"' for name in kept)
        rows = connection.execute(f"select {selected} from {schema}.{table}").fetchall()
        types = {name: "VARCHAR" if columns[name] == "JSON" else columns[name] for name in kept}
        found[table] = (types, sorted(map(repr, rows)))
    return found


def test_the_columnar_tables_are_the_ones_dlts_normalizer_made_of_the_same_records(tmp_path):
    pages = emulated_pages(days=2)
    database = str(tmp_path / "w.duckdb")
    pipeline = dlt.pipeline("nested", pipelines_dir=str(tmp_path / "dlt"), destination=dlt.destinations.duckdb(database),
                            dataset_name="nested")
    pipeline.run(nested_version(lambda: [[dict(record) for record in page] for page in pages], with_child_keys=True),
                 loader_file_format="parquet")
    built = concatenated([conversation_tables(page) for page in pages])
    assert assert_same_tables(database, built, "conversations") >= 15


def assert_same_tables(database: str, built: Dict[str, pa.Table], record: str) -> int:
    """The tables of `record` dlt made in schema `nested` of `database` and `built` hold the same columns, types and
    rows; the number of tables."""
    with duckdb.connect(database) as connection:
        connection.execute("create schema columnar")
        for name, table in built.items():
            connection.register("built", table)
            connection.execute(f"create table columnar.{name} as select * from built")
            connection.unregister("built")
        expected, found = (columns_and_rows(connection, schema, record) for schema in ("nested", "columnar"))
    assert sorted(found) == sorted(expected)
    for table in expected:
        assert found[table][0] == expected[table][0], table
        assert found[table][1] == expected[table][1], table
    return len(expected)


def test_the_chat_tables_are_the_ones_dlts_normalizer_made_of_the_same_records(emulator, tmp_path):
    # Chats as the emulator serves them: `campaign.lobId` quoted on some records and not on others, purchase SDEs
    # with and without their fields.
    client = LivePersonClient(connection_for(emulator))
    pages = [page for day in ("2026-11-03", "2026-11-04")
             for page in client.search_chat_engagements(Window(*utc_window(day)))]
    assert {type(record["campaign"]["lobId"]) for page in pages for record in page} == {int, str}
    database = str(tmp_path / "w.duckdb")
    pipeline = dlt.pipeline("nested", pipelines_dir=str(tmp_path / "dlt"), destination=dlt.destinations.duckdb(database),
                            dataset_name="nested")
    pipeline.run(nested_version(lambda: (), with_child_keys=True,
                                chat_pages=lambda: [[dict(record) for record in page] for page in pages])
                 .with_resources("chat_engagements"), loader_file_format="parquet")
    built = concatenated([record_tables(page, CHAT_TABLES) for page in pages])
    assert_same_tables(database, built, "chat_engagements")


def test_every_child_row_carries_its_record_key_and_ids_that_lead_to_its_parent_and_record():
    pages = emulated_pages()
    tables = concatenated([conversation_tables(page) for page in pages])
    records = {row["_dlt_id"]: row for row in tables["conversations"].to_pylist()}
    intents = {row["_dlt_id"]: row for row in tables["conversations__intents"].to_pylist()}
    classifications = tables["conversations__intents__all_classifications"].to_pylist()
    assert classifications
    for row in classifications:  # a list in a list
        parent = intents[row["_dlt_parent_id"]]
        assert row["conversation_id"] == parent["conversation_id"] == records[row["_dlt_root_id"]]["conversation_id"]
    served = {record["info"]["conversationId"]: record for page in pages for record in page}
    positions = {}
    for row in tables["conversations__message_records"].to_pylist():
        positions.setdefault(row["conversation_id"], []).append((row["_dlt_list_idx"], row["message_id"]))
        assert records[row["_dlt_parent_id"]]["conversation_id"] == row["conversation_id"]
    assert positions == {key: list(enumerate(message["messageId"] for message in record["messageRecords"]))
                         for key, record in served.items() if record.get("messageRecords")}
    ids = [row_id for table in tables.values() for row_id in table.column("_dlt_id").to_pylist()]
    assert len(set(ids)) == len(ids) and max(map(len, ids)) <= 20


def record(conversation_id: str, **info) -> dict:
    return {"info": {"conversationId": conversation_id, "startTimeL": 1_793_000_000_000, "endTimeL": -1, **info},
            "messageRecords": [{"seq": 0, "messageId": f"{conversation_id}:0", "timeL": 1_793_000_000_001}]}


def test_text_that_looks_like_a_date_stays_text():
    # pyarrow's JSON reader would make a timestamp of it (its text then lost): the page is built from the objects.
    tables = conversation_tables([record("c1", brandNote="2026-11-03"), record("c2", brandNote="2026-11-04T10:00:00Z")])
    notes = tables["conversations"].column("info__brand_note")
    assert notes.type == pa.string() and notes.to_pylist() == ["2026-11-03", "2026-11-04T10:00:00Z"]


def test_a_value_that_does_not_fit_its_declared_type_is_named():
    with pytest.raises(LivePersonTypeError) as raised:
        conversation_tables([record("c1", latestAgentId="42"), record("c2", latestAgentId="agent seven")])
    assert str(raised.value) == ("conversations.info__latest_agent_id: LivePerson sent 'agent seven', which is not a "
                                 "bigint (the column's declared type); nothing of this run was loaded")


def test_an_empty_agent_id_is_null_and_an_open_conversation_has_no_end():
    tables = conversation_tables([record("c1", latestAgentId="", endTime="undefined")])
    (row,) = tables["conversations"].to_pylist()
    assert row["info__latest_agent_id"] is None and row["end_time"] is None and row["info__end_time"] is None
    assert row["is_partial"] is False


def test_a_field_with_values_of_two_kinds_on_a_page_is_named():
    with pytest.raises(LivePersonTypeError) as raised:
        conversation_tables([record("c1", brandNote=7), record("c2", brandNote="seven")])
    assert str(raised.value) == ("conversations.info__brand_note: LivePerson sent 'seven' where other records have 7 "
                                 "(values of two kinds in one column); nothing of this run was loaded")


def test_a_number_quoted_on_some_records_only_takes_its_declared_type():
    quoted = record("c2", latestAgentId="42")
    quoted["transfers"] = [{"sourceAgentId": "7", "assignedAgentId": 8, "timeL": 1_793_000_000_002}]
    plain = record("c1", latestAgentId=41)
    plain["transfers"] = [{"sourceAgentId": 6, "assignedAgentId": "9", "timeL": 1_793_000_000_003}]
    tables = conversation_tables([plain, quoted])
    assert tables["conversations"].column("info__latest_agent_id").to_pylist() == [41, 42]
    transfers = tables["conversations__transfers"]
    assert transfers.column("source_agent_id").to_pylist() == [6, 7]
    assert transfers.column("assigned_agent_id").to_pylist() == [9, 8]


def test_a_field_typed_differently_on_two_pages_is_named():
    pages = [conversation_tables([record("c1", brandNote=7)]), conversation_tables([record("c2", brandNote="seven")])]
    with pytest.raises(LivePersonTypeError) as raised:
        concatenated(pages)
    assert str(raised.value).startswith("conversations.info__brand_note: LivePerson sent string values where earlier "
                                        "records had int64 ones")


def test_records_without_an_id_or_start_time_are_left_out():
    tables = conversation_tables([record("c1"), {"info": {"conversationId": "c2"}}, {"info": {"startTimeL": 1}}])
    assert tables["conversations"].column("conversation_id").to_pylist() == ["c1"]
    assert conversation_tables([{"info": {}}]) == {}


def test_pages_built_ahead_come_in_order_and_a_page_that_fails_fails_in_its_turn():
    pages = emulated_pages(per_day=300)
    bad = [dict(pages[1][0], info={**pages[1][0]["info"], "latestAgentId": "not-a-number"}), *pages[1][1:]]
    consumed = []

    def fetched(pages):
        for page in pages:
            consumed.append(len(consumed))
            yield page

    built = built_ahead(fetched([pages[0], bad, pages[2]]), CONVERSATION_TABLES)
    first = next(built)
    assert first["conversations"].column("conversation_id").to_pylist() == \
        [record["info"]["conversationId"] for record in pages[0]]
    with pytest.raises(LivePersonTypeError, match="conversations.info__latest_agent_id"):
        next(built)
    assert consumed == [0, 1, 2]  # built ahead of their turn
