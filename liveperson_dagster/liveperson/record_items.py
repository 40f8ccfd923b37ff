"""What the conversations and chats resources hand dlt: the columnar tables of their pages (columnar.py), a batch of
pages at a time, each child table a table of its own merged on the record's key.

A record loaded again must not keep rows it no longer has (fewer messages, a part not asked for any more, the record
deleted upstream). dlt replaced a record's nested rows with the record; tables of their own are replaced by merge
key, so every record of a batch has a row in every child table: a tombstone (`deleted_upstream` true) where it has
no real row. dlt's delete-insert merge of that table then deletes its earlier rows there and inserts none."""

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Optional, Sequence

import dlt
import pyarrow as pa

from .columnar import RecordTables, concatenated, not_null_ids, record_tables, tombstone_rows, with_tombstones
from .replacement import DELETED_COLUMN, DELETED_COLUMN_HINT, Replacement

# Records per item handed to dlt: fewer, larger Arrow items cost dlt's extract less (measured: 260 µs a conversation
# with one table per page and table, 92-102 µs with 20 pages together), and a batch stays a few tens of MB.
BATCH_RECORDS = 2000
PAGES_BUILT_AHEAD = 4
CHILD_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}
# What dlt reads from an Arrow timestamp of the columnar tables (microseconds, UTC).
ARROW_TIMESTAMP = {"precision": 6, "timezone": True}


def record_items(pages: Iterable[list], kind: RecordTables, columns: dict, replacement: Optional[Replacement],
                 known_child_tables: Sequence[str], count: Callable[[str, int], None]) -> Iterator[object]:
    """dlt items of `pages` (a search's pages of `kind`; `columns`: the hints of its table); with `replacement`,
    then the tombstones of the records the warehouse holds and the pages no longer return. `known_child_tables`: the
    child tables the warehouse has. `count(name, n)` is told the tombstones staged in each child table
    (`staged_deletions(table)`), which are rows dlt counts but does not load."""
    with _json_hints_kept_quietly(kind):
        child_tables = set(known_child_tables)
        returned: set = set()
        batch: list = []
        in_batch = 0
        for tables in built_ahead(pages, kind):
            if not tables:
                continue
            batch.append(tables)
            in_batch += tables[kind.table].num_rows
            if in_batch >= BATCH_RECORDS:
                yield from _batch_items(concatenated(batch), kind, columns, child_tables, returned, count)
                batch, in_batch = [], 0
        if batch:
            yield from _batch_items(concatenated(batch), kind, columns, child_tables, returned, count)
        if replacement is not None:
            gone = replacement.tombstones(returned)
            if gone:
                yield from _removed_items(gone, kind, columns, child_tables, count)


def built_ahead(pages: Iterable[list], kind: RecordTables) -> Iterator[dict]:
    """The columnar tables of `pages`, in order, built in a thread of their own a few pages ahead: most of a build
    (Arrow's JSON reader and compute kernels) releases the interpreter lock, and the run's own thread is left to
    hand dlt the batches."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="liveperson-columnar") as pool:
        building: deque = deque()
        try:
            for page in pages:
                building.append(pool.submit(record_tables, page, kind))
                if len(building) > PAGES_BUILT_AHEAD:
                    yield building.popleft().result()
            while building:
                yield building.popleft().result()
        finally:
            for future in building:
                future.cancel()


def child_tables_of(schema, kind: RecordTables) -> list:
    """The child tables of `kind` that `schema` (dlt's, as stored with the warehouse) has loaded rows into (a table
    only declared, as older versions' hints made some, has none to delete)."""
    return sorted(table["name"] for table in schema.data_tables(seen_data_only=True) if kind.is_child(table["name"]))


def staged_deletions(table: str) -> str:
    """The counter of the tombstones staged in `table`."""
    return f"staged_deletions:{table}"


def _batch_items(tables: dict, kind: RecordTables, columns: dict, child_tables: set, returned: set,
                 count) -> Iterator[object]:
    keys = tables[kind.table].column(kind.key).combine_chunks()
    returned.update(keys.to_pylist())
    child_tables.update(name for name in tables if name != kind.table)
    for name, table in with_tombstones(tables, keys, child_tables, DELETED_COLUMN, kind).items():
        if name != kind.table:
            count(staged_deletions(name), table.num_rows - (tables[name].num_rows if name in tables else 0))
        yield _item(name, table, kind, columns)


def _removed_items(gone: list, kind: RecordTables, columns: dict, child_tables: set, count) -> Iterator[object]:
    """Records the warehouse holds and LivePerson no longer returns: deleted from the record's table and every
    child table."""
    keys = pa.array([row[kind.key] for row in gone], pa.string())
    yield _item(kind.table, pa.table({
        kind.key: keys, "_dlt_id": keys,
        "start_time": pa.array([row["start_time"] for row in gone], pa.timestamp("us", "UTC")),
        DELETED_COLUMN: pa.array([True] * len(keys))}), kind, columns)
    for name in sorted(child_tables):
        count(staged_deletions(name), len(keys))
        yield _item(name, tombstone_rows(keys, name, DELETED_COLUMN, kind.key), kind, columns)


def _item(name: str, table: pa.Table, kind: RecordTables, columns: dict):
    if DELETED_COLUMN not in table.column_names:
        table = table.append_column(DELETED_COLUMN, pa.nulls(table.num_rows, pa.bool_()))
    table = not_null_ids(name, table, kind)
    if name == kind.table:
        hints = dlt.mark.make_hints(table_name=name, columns={**arrow_column_hints(columns), **DELETED_COLUMN_HINT})
        return dlt.mark.with_hints(table, hints, create_table_variant=True)
    hints = dlt.mark.make_hints(
        table_name=name, write_disposition=CHILD_DISPOSITION, primary_key=(), merge_key=kind.key,
        columns={kind.key: {"name": kind.key, "data_type": "text", "nullable": False, "merge_key": True},
                 **DELETED_COLUMN_HINT})
    return dlt.mark.with_hints(table, hints, create_table_variant=True)


def arrow_column_hints(columns: dict) -> dict:
    """Column hints that say what an Arrow field of them says: nullable unless said otherwise, timestamps in
    microseconds with a time zone. dlt's frozen data types compare these too: a declared column that no record had
    sent yet, stored without them, refused the first batch or run that sent one."""
    return {column: {"nullable": True, **(ARROW_TIMESTAMP if hint.get("data_type") == "timestamp" else {}), **hint}
            for column, hint in columns.items()}


class _JsonHintNotice(logging.Filter):
    """dlt tells on every item (a warning, and a line per column at INFO) that the `json` hint of the JSON columns
    wins over their Arrow type (text): it is meant to (the text is the JSON), so that notice is not shown."""

    def __init__(self, table: str) -> None:
        super().__init__()
        self._notice = f"In resource: {table}, when merging arrow schema"

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self._notice)


@contextmanager
def _json_hints_kept_quietly(kind: RecordTables) -> Iterator[None]:
    notice = _JsonHintNotice(kind.table)
    dlt_logger = logging.getLogger("dlt")
    dlt_logger.addFilter(notice)
    try:
        yield
    finally:
        dlt_logger.removeFilter(notice)
