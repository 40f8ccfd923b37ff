"""What the conversations resource hands dlt: the columnar tables of its pages (columnar.py), a batch of pages at a
time, each child table a table of its own merged on `conversation_id`.

A record loaded again must not keep rows it no longer has (fewer messages, a part not asked for any more, the record
deleted upstream). dlt replaced a record's nested rows with the record; tables of their own are replaced by merge
key, so every record of a batch has a row in every child table: a tombstone (`deleted_upstream` true) where it has
no real row. dlt's delete-insert merge then deletes its earlier rows there and inserts none, in the same load
transaction as everything else."""

import logging
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Optional, Sequence

import dlt
import pyarrow as pa

from .columnar import KEY, ROOT, concatenated, conversation_tables, not_null_ids, tombstone_rows, with_tombstones
from .records import CONVERSATION_COLUMNS
from .replacement import DELETED_COLUMN, DELETED_COLUMN_HINT, Replacement

# Records per item handed to dlt: fewer, larger Arrow items cost dlt's extract less (measured: 260 µs a conversation
# with one table per page and table, 92-102 µs with 20 pages together), and a batch stays a few tens of MB.
BATCH_RECORDS = 2000
CHILD_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}


def conversation_items(pages: Iterable[list], replacement: Optional[Replacement], known_child_tables: Sequence[str],
                       count: Callable[[str, int], None]) -> Iterator[object]:
    """dlt items of `pages` (completed search pages); with `replacement`, then the tombstones of the records the
    warehouse holds and the pages no longer return. `known_child_tables`: the child tables the warehouse has.
    `count(name, n)` is told the tombstones staged in each child table (`staged_deletions:<table>`), which are
    rows dlt counts but does not load."""
    with _json_hints_kept_quietly():
        child_tables = set(known_child_tables)
        returned: set = set()
        batch: list = []
        in_batch = 0
        for page in pages:
            tables = conversation_tables(page)
            if not tables:
                continue
            batch.append(tables)
            in_batch += tables[ROOT].num_rows
            if in_batch >= BATCH_RECORDS:
                yield from _batch_items(concatenated(batch), child_tables, returned, count)
                batch, in_batch = [], 0
        if batch:
            yield from _batch_items(concatenated(batch), child_tables, returned, count)
        if replacement is not None:
            gone = replacement.tombstones(returned)
            if gone:
                yield from _removed_items(gone, child_tables, count)


class _JsonHintNotice(logging.Filter):
    """dlt tells on every item (a warning, and a line per column at INFO) that the `json` hint of the two JSON
    columns wins over their Arrow type (text): it is meant to (the text is the JSON), so that notice is not shown."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(f"In resource: {ROOT}, when merging arrow schema")


@contextmanager
def _json_hints_kept_quietly() -> Iterator[None]:
    notice = _JsonHintNotice()
    dlt_logger = logging.getLogger("dlt")
    dlt_logger.addFilter(notice)
    try:
        yield
    finally:
        dlt_logger.removeFilter(notice)


def staged_deletions(table: str) -> str:
    """The counter of the tombstones staged in `table`."""
    return f"staged_deletions:{table}"


def _batch_items(tables: dict, child_tables: set, returned: set, count) -> Iterator[object]:
    keys = tables[ROOT].column(KEY).combine_chunks()
    returned.update(keys.to_pylist())
    child_tables.update(name for name in tables if name != ROOT)
    for name, table in with_tombstones(tables, keys, child_tables, DELETED_COLUMN).items():
        if name != ROOT:
            count(staged_deletions(name), table.num_rows - (tables[name].num_rows if name in tables else 0))
        yield _item(name, table)


def _removed_items(gone: list, child_tables: set, count) -> Iterator[object]:
    """Records the warehouse holds and LivePerson no longer returns: deleted from the record's table and every
    child table."""
    keys = pa.array([row[KEY] for row in gone], pa.string())
    yield _item(ROOT, pa.table({KEY: keys, "_dlt_id": keys,
                                "start_time": pa.array([row["start_time"] for row in gone], pa.timestamp("us", "UTC")),
                                DELETED_COLUMN: pa.array([True] * len(keys))}))
    for name in sorted(child_tables):
        count(staged_deletions(name), len(keys))
        yield _item(name, tombstone_rows(keys, name, DELETED_COLUMN))


def _item(name: str, table: pa.Table):
    if DELETED_COLUMN not in table.column_names:
        table = table.append_column(DELETED_COLUMN, pa.nulls(table.num_rows, pa.bool_()))
    table = not_null_ids(name, table)
    if name == ROOT:
        hints = dlt.mark.make_hints(table_name=ROOT, columns={**CONVERSATION_COLUMNS, **DELETED_COLUMN_HINT})
        return dlt.mark.with_hints(table, hints, create_table_variant=True)
    hints = dlt.mark.make_hints(
        table_name=name, write_disposition=CHILD_DISPOSITION, primary_key=(), merge_key=KEY,
        columns={KEY: {"name": KEY, "data_type": "text", "nullable": False, "merge_key": True},
                 **DELETED_COLUMN_HINT})
    return dlt.mark.with_hints(table, hints, create_table_variant=True)


def child_tables_of(schema) -> list:
    """The conversation child tables `schema` (dlt's, as stored with the warehouse) knows."""
    return sorted(name for name in schema.tables if name.startswith(f"{ROOT}__"))
