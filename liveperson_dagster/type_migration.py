"""Brings a warehouse loaded by an older version to the declared column types (liveperson/columns.py), keeping
every value: columns whose type differs are altered (a BIGINT average becomes DOUBLE, a text agent id a BIGINT),
the values of each variant column (`<column>__v_<type>`) are merged back into their column and the variant dropped,
and dlt's stored schema is updated to match, so the next load agrees. One transaction: a value that does not fit
(`ghost` as an agent id) changes nothing and is named.

Columns the declarations do not cover but that have variants become DOUBLE (whole and fractional numbers) or text
(anything else), the types that hold every value they have.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Dict, List

import dlt

from .runs.dataset_lock import postgres_dataset_lock
from .config import variable
from .liveperson.columns import declared_types, variant_base
from .liveperson.errors import LivePersonTypeError
from .resources import LivePersonWarehouse

SQL_TYPES = {
    "duckdb": {"bigint": "BIGINT", "double": "DOUBLE", "text": "VARCHAR", "timestamp": "TIMESTAMP WITH TIME ZONE",
               "bool": "BOOLEAN"},
    "postgres": {"bigint": "bigint", "double": "double precision", "text": "varchar",
                 "timestamp": "timestamp with time zone", "bool": "boolean"},
}
# information_schema's spelling -> dlt's type
STORED_TYPES = {"bigint": "bigint", "integer": "bigint", "double": "double", "double precision": "double",
                "varchar": "text", "character varying": "text", "text": "text", "boolean": "bool",
                "timestamp with time zone": "timestamp", "json": "json", "jsonb": "json"}


@dataclass(frozen=True)
class Change:
    table: str
    column: str
    stored: str  # dlt's type name of the column in the warehouse
    declared: str
    variants: tuple = ()  # (name, dlt type) of the variant columns merged into it

    def describe(self) -> str:
        merged = f", merged {', '.join(name for name, _ in self.variants)} into it" if self.variants else ""
        altered = f"{self.stored} -> {self.declared}" if self.stored != self.declared else f"stays {self.declared}"
        return f"{self.table}.{self.column}: {altered}{merged}"


def planned_changes(stored: Dict[str, Dict[str, str]]) -> List[Change]:
    """What the migration does to the warehouse whose columns (table -> column -> dlt type) are `stored`."""
    declared = declared_types()
    changes = []
    for table, columns in sorted(stored.items()):
        for column, current in sorted(columns.items()):
            if variant_base(column):
                continue
            variants = tuple(sorted((name, columns[name]) for name in columns
                                    if (variant_base(name) or ("",))[0] == column))
            target = declared.get(table, {}).get(column)
            if target is None and variants:
                kinds = {current, *(kind for _, kind in variants)}
                target = "double" if kinds <= {"bigint", "double"} else "text"
            if target and (target != current or variants):
                changes.append(Change(table, column, current, target, variants))
    return changes


def _stored_columns(client) -> Dict[str, Dict[str, str]]:
    rows = client.execute_sql(
        "select table_name, column_name, data_type from information_schema.columns where table_schema = %s",
        client.dataset_name)
    columns: Dict[str, Dict[str, str]] = {}
    for table, column, data_type in rows:
        if not table.startswith("_dlt"):
            columns.setdefault(table, {})[column] = STORED_TYPES.get(data_type.lower(), data_type.lower())
    return columns


def _dependent_views(client, destination: str) -> list:
    """PostgreSQL refuses to alter a column a view reads (the marts' staging views): they are dropped, and dbt
    creates them again with the next build of the marts. DuckDB binds views when they are read."""
    if destination != "postgres":
        return []
    return client.execute_sql(
        "select distinct view_schema, view_name from information_schema.view_table_usage where table_schema = %s "
        "order by 1, 2", client.dataset_name)


def _apply(client, change: Change, sql_type: Dict[str, str]) -> None:
    table = client.make_qualified_table_name(change.table)
    column = client.escape_column_name(change.column)
    target = sql_type[change.declared]
    if change.stored != change.declared:
        _execute(client, change, f"alter table {table} alter column {column} type {target} "
                                 f"using cast({column} as {target})")
    for name, variant_type in change.variants:
        variant = client.escape_column_name(name)
        if change.declared == "bigint" and variant_type == "double":
            # A value a cast would change (2.5 as a bigint is 3) is not merged: the migration fails naming it.
            lost = client.execute_sql(
                f"select {variant} from {table} where {variant} is not null and {variant} <> floor({variant}) limit 1")
            if lost:
                raise LivePersonTypeError(
                    f"{change.table}.{change.column}: {name} holds {lost[0][0]!r}, which is not a {change.declared} "
                    "(the column's declared type); nothing was changed")
        _execute(client, change, f"update {table} set {column} = cast({variant} as {target}) "
                                 f"where {variant} is not null")
        client.execute_sql(f"alter table {table} drop column {variant}")


def _execute(client, change: Change, statement: str) -> None:
    try:
        client.execute_sql(statement)
    except Exception as error:  # noqa: BLE001 - the database's reason, on one line, with the column it is about
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LivePersonTypeError(
            f"{change.table}.{change.column}: a value does not fit {change.declared} (the column's declared type): "
            f"{reason}; nothing was changed") from None


def _update_stored_schema(pipeline: dlt.Pipeline, changes: List[Change]) -> None:
    """dlt's schema (the newest version in the dataset, which every run restores) with the new types and without
    the variant columns. A warehouse without dlt's state of this pipeline has no stored schema to update."""
    if not pipeline.default_schema_name:
        return
    schema = pipeline.default_schema
    for change in changes:
        columns = schema.tables.get(change.table, {}).get("columns", {})
        if change.column in columns:
            columns[change.column]["data_type"] = change.declared
        for name, _ in change.variants:
            columns.pop(name, None)
    schema._bump_version()
    pipeline.schemas.save_schema(schema)
    with pipeline.destination_client() as job_client:
        job_client.update_stored_schema()


def migrate_types(warehouse: LivePersonWarehouse, log: Callable[[str], None] = print) -> List[str]:
    """Migrates the dataset of `warehouse` (see the module's doc); returns what it changed, one line each."""
    destination = warehouse.destination
    if destination not in SQL_TYPES:
        raise ValueError(f"migrate-types knows duckdb and postgres, not {destination!r} ({variable('destination')})")
    with warehouse.pipeline_for_run("migrate-types", log) as pipeline:
        return _migrate(pipeline, warehouse, log)


def _migrate(pipeline: dlt.Pipeline, warehouse: LivePersonWarehouse, log: Callable[[str], None]) -> List[str]:
    destination = warehouse.destination
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return []
        changes = planned_changes(_stored_columns(client))
    if not changes:
        return []
    lines = [change.describe() for change in changes]
    # Alone in the dataset: no load changes it meanwhile (PostgreSQL; the DuckDB writer lock is held by pipeline_for_run).
    alone = (postgres_dataset_lock(pipeline, log, warehouse.postgres_lock_timeout_seconds)
             if destination == "postgres" else nullcontext())
    with alone, pipeline.sql_client() as client:
        with client.begin_transaction():
            for schema, view in _dependent_views(client, destination):
                client.execute_sql(f'drop view if exists "{schema}"."{view}" cascade')
                lines.append(f"dropped view {schema}.{view} (the next build of the marts creates it again)")
            for change in changes:
                _apply(client, change, SQL_TYPES[destination])
            # dlt stages merged rows in tables of the old types and only ever adds columns to them: dropped, they
            # are created again, of the declared types, by the next load.
            with client.with_staging_dataset():
                if client.has_dataset():
                    for table in sorted({change.table for change in changes}):
                        client.execute_sql(f"drop table if exists {client.make_qualified_table_name(table)}")
    _update_stored_schema(pipeline, changes)
    for line in lines:
        log(line)
    return lines
