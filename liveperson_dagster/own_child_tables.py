"""Warehouses loaded while dlt nested the child tables of conversations and chats (before the records were columnar)
take the columnar child tables, which are tables of their own merged on the record's key (liveperson/record_items.py).

Before a run's extract, once: in dlt's stored schema each child table loses its `parent` (dlt refuses a table of
its own where it stored a nested one) and every column of the tables built as Arrow tables gets the nullability and
timestamp precision an Arrow column says (the frozen data types compare them); in the tables, each child row gets
its record's key and load id (filled from the record's row: dlt adds both as not-null columns, which the older rows
would refuse), and dlt's staging copies of the tables are dropped (the next load makes them again). Rows and dlt's ids stay as they are, and the columnar build
gives every row dlt's ids too, so joins through `_dlt_parent_id` / `_dlt_root_id` keep working. DuckDB and
PostgreSQL."""

from typing import Callable, Dict, List

import dlt

from .liveperson.columnar import RECORD_TABLES, RecordTables
from .liveperson.record_items import ARROW_TIMESTAMP

# The tables the source builds as Arrow tables (besides the record tables' children).
ARROW_BUILT_TABLES = (*(kind.table for kind in RECORD_TABLES), "agent_status_changes")


def nested_child_tables(schema, kind: RecordTables) -> List[str]:
    """The child tables of `kind` that `schema` (dlt's, synced from the warehouse) still has nested."""
    return sorted(name for name, table in schema.tables.items() if kind.is_child(name) and table.get("parent"))


def make_child_tables_own(pipeline: dlt.Pipeline, log: Callable[[str], None]) -> None:
    """Migrates the warehouse of `pipeline` (synced, not yet extracted) when it has nested child tables of
    conversations or chats, and gives the columns of the tables built as Arrow tables the properties the stored
    schema does not say (`column_properties_said`); does nothing otherwise. Safe to run again if interrupted."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None:
        return
    nested = {kind: nested_child_tables(schema, kind) for kind in RECORD_TABLES}
    nested = {kind: children for kind, children in nested.items() if children}
    if nested:
        with pipeline.sql_client() as client:
            if client.has_dataset():
                for kind, children in nested.items():
                    _migrate_tables(client, kind, children)
        for kind, children in nested.items():
            for name in children:
                table = schema.tables[name]
                table.pop("parent", None)
                table["columns"].setdefault(kind.key, {"name": kind.key, "data_type": "text"}).update(
                    nullable=False, merge_key=True)
    if column_properties_said(schema) or nested:
        schema._bump_version()
        pipeline.schemas.save_schema(schema)
    for kind, children in nested.items():
        log(f"Child tables nested by an older version are tables of their own now (merged on {kind.key}): "
            f"{', '.join(children)}")


def column_properties_said(schema) -> bool:
    """Gives every column of the tables built as Arrow tables (conversations, chats and their child tables, agent
    status changes) what `schema` does not say of it and an Arrow field does (nullable, timestamps in microseconds
    with a time zone): dlt's frozen data types compare them, and versions before record_items.arrow_column_hints
    stored declared columns and rows without them. Whether it changed any."""
    changed = False
    for name, table in schema.tables.items():
        if name in ARROW_BUILT_TABLES or any(kind.is_child(name) for kind in RECORD_TABLES):
            for column in table["columns"].values():
                said = {"nullable": True, **(ARROW_TIMESTAMP if column.get("data_type") == "timestamp" else {})}
                missing = {key: value for key, value in said.items() if key not in column}
                if missing:
                    column.update(missing)
                    changed = True
    return changed


def _migrate_tables(client, kind: RecordTables, children: List[str]) -> None:
    columns = columns_by_table(client)
    with client.begin_transaction():
        for name in children:
            if name not in columns:  # declared in dlt's schema, never created
                continue
            for column in (kind.key, "_dlt_load_id"):
                fill_from_record(client, name, kind.table, column, add=column not in columns[name])
        with client.with_staging_dataset():
            staging = {row[0] for row in client.execute_sql(
                "select table_name from information_schema.tables where table_schema = %s", client.dataset_name)}
            for name in children:
                if name in staging:
                    client.execute_sql(f"drop table {client.make_qualified_table_name(name)}")


def columns_by_table(client) -> Dict[str, set]:
    """The column names of each table of the client's dataset."""
    columns: Dict[str, set] = {}
    for table, column in client.execute_sql(
            "select table_name, column_name from information_schema.columns where table_schema = %s",
            client.dataset_name):
        columns.setdefault(table, set()).add(column)
    return columns


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
