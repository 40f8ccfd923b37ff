"""Child tables of a warehouse loaded before child rows carried their record's key (`conversation_id` in every
`conversations__*` table, `engagement_id` in every `chat_engagements__*` table) get it: the column is added and
filled from the record each row belongs to (dlt's `_dlt_root_id`), in one transaction, before the first load that
writes such rows. Once done it finds nothing to do. DuckDB and PostgreSQL; on another destination the rows of older
loads get the key when their day is loaded again."""

from typing import Callable, Dict, Optional

import dlt

from .liveperson.columnar import RECORD_TABLES

# The key every row of a record's child tables carries: the record's own.
CHILD_TABLE_KEYS = {kind.table: kind.key for kind in RECORD_TABLES}


def record_of(table: str) -> Optional[str]:
    """The record table whose key the rows of the child table `table` carry (`conversations` for
    `conversations__message_records`), else None."""
    record = table.split("__")[0]
    return record if record != table and record in CHILD_TABLE_KEYS else None


def columns_by_table(client) -> Dict[str, set]:
    """The column names of each table of the client's dataset."""
    columns: Dict[str, set] = {}
    for table, column in client.execute_sql(
            "select table_name, column_name from information_schema.columns where table_schema = %s",
            client.dataset_name):
        columns.setdefault(table, set()).add(column)
    return columns


def tables_without_keys(client) -> Dict[str, str]:
    """The child tables of the dataset whose rows lack their record's key column: table -> key."""
    return {table: CHILD_TABLE_KEYS[record] for table, names in sorted(columns_by_table(client).items())
            if (record := record_of(table)) and CHILD_TABLE_KEYS[record] not in names}


def fill_from_record(client, table: str, record: str, column: str, add: bool) -> None:
    """The text `column` of the child `table` (added first when `add`) filled, where empty, from the row of
    `record` each row belongs to (dlt's `_dlt_root_id`)."""
    child, parent = map(client.make_qualified_table_name, (table, record))
    escaped, root_id, row_id = map(client.escape_column_name, (column, "_dlt_root_id", "_dlt_id"))
    if add:
        sql_type = client.capabilities.get_type_mapper().to_destination_type({"name": column, "data_type": "text"},
                                                                             {"name": table})
        client.execute_sql(f"alter table {child} add column {escaped} {sql_type}")
    client.execute_sql(f"update {child} set {escaped} = record.{escaped} from {parent} as record "
                       f"where {child}.{root_id} = record.{row_id} and {child}.{escaped} is null")


def add_record_keys(pipeline: dlt.Pipeline, log: Callable[[str], None]) -> None:
    """Before loading what `pipeline` normalized: when it writes child rows, the older child tables get their key."""
    normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    if normalized is None or not any(map(record_of, normalized.row_counts)):
        return
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return
        missing = tables_without_keys(client)
        if not missing:
            return
        with client.begin_transaction():
            for table, key in missing.items():
                fill_from_record(client, table, record_of(table), key, add=True)
    log(f"Child tables loaded by an older version now carry their record's key: "
        f"{', '.join(f'{table}.{key}' for table, key in missing.items())}")
