"""Conversation and chat records as Arrow tables: the record's own table and one table per list in it, built from a page
with pyarrow's JSON reader and compute kernels (which release the interpreter lock) instead of dlt's row-by-row
normalizer, so that dlt only writes them.

The tables are the ones dlt's normalizer made of the same records (test_columnar.py compares them): dlt's
snake_case names, objects flattened to `a__b` columns, the declared types of columns.py, the two JSON columns as
JSON text. Every child row carries its record's key (`conversation_id`, `engagement_id`), its position in its list (`_dlt_list_idx`) and
dlt's ids (`_dlt_id`, and `_dlt_parent_id` / `_dlt_root_id` naming its parent's and its record's), so the joins
through them keep working."""

import io
import secrets
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from dlt.common.normalizers.naming.snake_case import NamingConvention

from .columns import declared_types
from .errors import LivePersonTypeError

ARROW_TYPES = {"text": pa.string(), "bigint": pa.int64(), "double": pa.float64(), "bool": pa.bool_(),
               "timestamp": pa.timestamp("us", tz="UTC")}
TIME = ARROW_TYPES["timestamp"]
# Columns every row of a child table has (with its record's key); dlt declares its ids not null.
ID_COLUMNS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx")


@dataclass(frozen=True, eq=False)  # one instance per kind: compared and hashed as itself
class RecordTables:
    """A kind of record built as tables: its table, its key and the `info` field that holds it, its parts kept as
    JSON text (by column: their place in the record), and whether it is a messaging conversation (open ones get
    null end times; `status` and `is_partial` are lifted)."""

    table: str
    key: str
    info_key: str
    json_columns: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    conversation: bool = False

    def is_child(self, table: str) -> bool:
        return table.startswith(f"{self.table}__")


# The JSON parts: records.CONVERSATION_COLUMNS says why.
CONVERSATION_TABLES = RecordTables(
    "conversations", "conversation_id", "conversationId",
    {"previously_submitted_agent_surveys": ("previouslySubmittedAgentSurveys",),
     "latest_agent_survey__submitted_answers": ("latestAgentSurvey", "submittedAnswers")}, conversation=True)
CHAT_TABLES = RecordTables("chat_engagements", "engagement_id", "engagementId")
RECORD_TABLES = (CONVERSATION_TABLES, CHAT_TABLES)
_naming = NamingConvention()
_DECLARED: Dict[str, Dict[str, str]] = {}


def _declared(table: str) -> Dict[str, str]:
    if not _DECLARED:
        _DECLARED.update(declared_types())
    return _DECLARED.get(table, {})


_READ_OPTIONS = pj.ReadOptions(use_threads=False, block_size=1 << 26)


def record_tables(records: Sequence[dict], kind: RecordTables) -> Dict[str, pa.Table]:
    """The tables of `records` (a page of a search): the record's table and each child table with rows, by table
    name. Records without a key or an integer start time are left out."""
    records = [record for record in records if _is_loadable(record, kind)]
    if not records:
        return {}
    array = _records_array(records, kind)
    tables: Dict[str, List[pa.Table]] = {}
    keys = pc.cast(array.field("info").field(kind.info_key), pa.string())
    lifted, shaped = _record_rules(array, keys, kind)
    lifted.update({name: _json_texts(records, path) for name, path in kind.json_columns.items()})
    _explode(shaped, kind.table, tables, lifted, kind)
    return {name: parts[0] for name, parts in tables.items()}


def conversation_tables(records: Sequence[dict]) -> Dict[str, pa.Table]:
    return record_tables(records, CONVERSATION_TABLES)


def _is_loadable(record: dict, kind: RecordTables) -> bool:
    info = record.get("info") if isinstance(record, dict) else None
    if not isinstance(info, dict):
        return False
    start = info.get("startTimeL")
    return bool(info.get(kind.info_key)) and isinstance(start, int) and not isinstance(start, bool)


def _records_array(records: Sequence[dict], kind: RecordTables) -> pa.StructArray:
    """The records as one struct array. The JSON reader infers a timestamp from text that looks like an ISO date
    (and the text is then lost) and refuses a field of two JSON types; such a page is built from the Python objects,
    which keep text as text, with the whole numbers of columns declared bigint unquoted where some records quote
    them."""
    try:
        page = pj.read_json(io.BytesIO(orjson.dumps({"records": records})), read_options=_READ_OPTIONS)
        array = pc.list_flatten(page.column("records")).combine_chunks()
        if not _has_timestamps(array.type):
            return array
    except pa.ArrowInvalid:
        pass
    try:
        return pa.array(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    try:  # a number the API quotes on some records and not on others: the declared type decides
        return pa.array([_declared_numbers(record, kind.table, "") for record in records])
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise LivePersonTypeError(_mixed_value_error(records, kind.table)) from None


def _declared_numbers(value, table: str, column: str):
    """`value` (a record, or a part of one) with the quoted whole numbers of columns declared bigint unquoted."""
    if isinstance(value, dict):
        return {key: _declared_numbers(item, table, f"{column}__{_naming.normalize_identifier(key)}" if column else
                                       _naming.normalize_identifier(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_declared_numbers(item, f"{table}__{column}", "" if isinstance(item, dict) else "value")
                for item in value]
    if isinstance(value, str) and _declared(table).get(column) == "bigint" and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _has_timestamps(kind: pa.DataType) -> bool:
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_timestamps(field.type) for field in kind)
    if pa.types.is_list(kind):
        return _has_timestamps(kind.value_type)
    return False


def _record_rules(array: pa.StructArray, keys: pa.Array, kind: RecordTables) -> Tuple[dict, pa.StructArray]:
    """The record rules as Arrow compute: the lifted columns (the key, the start and end timestamps; for
    conversations `status` and `is_partial`: `info.isPartial`, false when absent), and open conversations' end times
    null (LivePerson sends "undefined" and -1). A part null on every record of the page (`latestAgentSurvey` without
    a survey, a purchase's empty fields) makes no column, and an empty agent id is null (`_typed`)."""
    info = _fields(array.field("info"))
    end_ms = info.get("endTimeL")
    is_open = (pa.array([True] * len(array)) if end_ms is None or not pa.types.is_integer(end_ms.type)
               else pc.fill_null(pc.less_equal(end_ms, 0), True))
    as_time = lambda ms: pc.cast(pc.multiply(ms, 1000), TIME)  # noqa: E731
    lifted = {
        kind.key: keys, "_dlt_id": row_ids(len(array)),
        "start_time": as_time(info["startTimeL"]),
        "end_time": pc.if_else(is_open, pa.scalar(None, TIME), as_time(pc.fill_null(end_ms, 0))) if end_ms is not None
        else pa.nulls(len(array), TIME),
    }
    fields = _fields(array)
    for path in kind.json_columns.values():
        if len(path) == 1:
            fields.pop(path[0], None)
    if not kind.conversation:
        return lifted, pa.StructArray.from_arrays(list(fields.values()), names=list(fields))
    for name in ("endTime", "endTimeL"):
        if name in info:
            info[name] = pc.if_else(is_open, pa.scalar(None, info[name].type), info[name])
    partial = info.get("isPartial")
    if partial is None:
        is_partial = pa.array([False] * len(array))
    elif pa.types.is_string(partial.type):
        is_partial = pc.fill_null(pc.equal(pc.utf8_lower(pc.utf8_trim_whitespace(partial)), "true"), False)
    else:
        is_partial = pc.fill_null(pc.equal(partial, True), False)
    lifted.update(status=info.get("status", pa.nulls(len(array), pa.string())), is_partial=is_partial)
    fields["info"] = pa.StructArray.from_arrays(list(info.values()), names=list(info))
    return lifted, pa.StructArray.from_arrays(list(fields.values()), names=list(fields))


def _fields(struct: pa.StructArray) -> dict:
    return {field.name: struct.field(index) for index, field in enumerate(struct.type)}


def _json_texts(records: Sequence[dict], path: Tuple[str, ...]) -> pa.Array:
    values = []
    for record in records:
        value = record
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        values.append(None if value is None else orjson.dumps(value).decode())
    return pa.array(values, pa.string())


def _explode(rows: pa.StructArray, table: str, out: Dict[str, List[pa.Table]], own: dict, kind: RecordTables) -> None:
    """The table of `rows` (objects flattened, `own` columns first) into `out[table]`, each list into a child table
    whose rows carry the record's key."""
    columns = dict(own)
    declared = _declared(table)

    def walk(struct: pa.StructArray, prefix: str) -> None:
        for index, field in enumerate(struct.type):
            name = f"{prefix}__{_naming.normalize_identifier(field.name)}" if prefix else (
                _naming.normalize_identifier(field.name))
            child = struct.field(index)
            if table == kind.table and name in kind.json_columns:
                continue
            if pa.types.is_struct(field.type):
                walk(child, name)
            elif pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
                if not pa.types.is_null(field.type.value_type):  # every list of the page empty: no rows
                    _explode_list(child, columns, table, name, out, kind)
            elif not pa.types.is_null(field.type):
                columns[name] = _typed(table, name, child, declared.get(name))

    walk(rows, "")
    if len(columns) > len(own) or table == kind.table:
        out.setdefault(table, []).append(pa.table(columns))


def _explode_list(lists: pa.Array, parent: dict, parent_table: str, name: str, out: Dict[str, List[pa.Table]],
                  kind: RecordTables) -> None:
    flat, parents = pc.list_flatten(lists), pc.list_parent_indices(lists)
    if not len(flat):
        return
    table = f"{parent_table}__{name}"
    starts = pc.take(lists.offsets, parents)
    position = pc.subtract(pa.array(range(len(flat)), pa.int64()), pc.cast(starts, pa.int64()))
    parent_ids = pc.take(parent["_dlt_id"], parents)
    own = {kind.key: pc.take(parent[kind.key], parents),
           "_dlt_id": row_ids(len(flat)),
           "_dlt_parent_id": parent_ids,
           "_dlt_root_id": pc.take(parent.get("_dlt_root_id", parent["_dlt_id"]), parents),
           "_dlt_list_idx": position}
    if pa.types.is_struct(flat.type):
        _explode(flat, table, out, own, kind)
    else:
        declared = _declared(table).get("value")
        out.setdefault(table, []).append(pa.table({**own, "value": _typed(table, "value", flat, declared)}))


def row_ids(count: int) -> pa.Array:
    """`count` row ids as short as dlt's own and as unlikely to repeat: a random prefix of 72 bits for the rows of one
    table of one page, and each row's number."""
    return pc.binary_join_element_wise(secrets.token_urlsafe(9), pc.cast(pa.array(range(count), pa.int64()),
                                                                          pa.string()), "")


def _typed(table: str, column: str, array: pa.Array, declared: Optional[str]) -> pa.Array:
    """`array` cast to the column's declared type; a value that does not fit fails the load, named."""
    target = ARROW_TYPES.get(declared)
    if target is None or array.type == target:
        return array
    if pa.types.is_string(array.type) and declared in ("bigint", "double"):
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)  # "" names no agent
    try:
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise LivePersonTypeError(_cast_error(table, column, array, target, declared)) from None


def _cast_error(table: str, column: str, array: pa.Array, target: pa.DataType, declared: str) -> str:
    return _misfit_error(table, column, next((value for value in array.to_pylist() if not _fits(value, target)), "?"),
                         declared)


def _misfit_error(table: str, column: str, value, declared: str) -> str:
    shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:77]}..."
    return (f"{table}.{column}: LivePerson sent {shown}, which is not a {declared} (the column's declared type); "
            "nothing of this run was loaded")


def flat_table(rows: Sequence[dict], table: str, columns: Mapping[str, dict]) -> pa.Table:
    """`rows` of a table without child tables (dicts of its declared `columns`) as an Arrow table of the declared
    types, with dlt's row ids; a value that does not fit its column fails the load, named."""
    schema = pa.schema([pa.field(name, ARROW_TYPES[hint["data_type"]], nullable=hint.get("nullable", True))
                        for name, hint in columns.items()])
    built = _from_rows(rows, schema)
    if built is None:  # a number where text is declared is its text, as dlt's row normalizer made it
        texts = [field.name for field in schema if pa.types.is_string(field.type)]
        rows = [{**row, **{name: str(row[name]) for name in texts if row.get(name) is not None}} for row in rows]
        built = _from_rows(rows, schema)
    if built is None:
        column, value = next(((field.name, row.get(field.name)) for field in schema for row in rows
                              if not _fits(row.get(field.name), field.type)), ("?", "?"))
        raise LivePersonTypeError(_misfit_error(table, column, value, columns.get(column, {}).get("data_type", "?")))
    return built.append_column(pa.field("_dlt_id", pa.string(), nullable=False), row_ids(len(rows)))


def _from_rows(rows: Sequence[dict], schema: pa.Schema) -> Optional[pa.Table]:
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _fits(value, target: pa.DataType) -> bool:
    try:
        pa.array([value]).cast(target)
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False


def _mixed_value_error(records: Iterable[dict], root: str) -> str:
    """Names the first field that holds values of two kinds on one page (a number and a text, say)."""
    kinds: Dict[Tuple[str, str], Tuple[str, object]] = {}

    def visit(value, table: str, column: str) -> Optional[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                name = _naming.normalize_identifier(key)
                found = visit(item, table, f"{column}__{name}" if column else name)
                if found:
                    return found
            return None
        if isinstance(value, list):
            for item in value:
                found = visit(item, f"{table}__{column}", "" if isinstance(item, dict) else "value")
                if found:
                    return found
            return None
        if value is None:
            return None
        kind = "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
        first = kinds.setdefault((table, column), (kind, value))
        if first[0] != kind:
            shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:77]}..."
            return (f"{table}.{column}: LivePerson sent {shown} where other records have {first[1]!r} (values of two "
                    "kinds in one column); nothing of this run was loaded")
        return None

    for record in records:
        found = visit(record, root, "")
        if found:
            return found
    return f"{root}: a page of records could not be read as columns; nothing of this run was loaded"


def with_tombstones(tables: Dict[str, pa.Table], keys: pa.Array, child_tables: Iterable[str], deleted_column: str,
                    kind: RecordTables) -> Dict[str, pa.Table]:
    """`tables` plus, in each of `child_tables`, one tombstone row for every record of `keys` without rows there:
    merged on the record's key, the table's earlier rows of those records are then deleted and none inserted."""
    result = dict(tables)
    for table in sorted(set(child_tables) | {name for name in tables if name != kind.table}):
        present = tables[table].column(kind.key) if table in tables else pa.array([], pa.string())
        missing = pc.filter(keys, pc.invert(pc.is_in(keys, value_set=present)))
        if len(missing):
            tombstones = tombstone_rows(missing, table, deleted_column, kind.key)
            result[table] = (tombstones if table not in tables else
                             pa.concat_tables([tables[table], tombstones], promote_options="permissive"))
    return result


def tombstone_rows(keys: pa.Array, table: str, deleted_column: str, key: str) -> pa.Table:
    """Rows that delete the rows of `keys` in `table` (dlt's hard-delete marker), with the ids dlt requires."""
    name = table.rsplit("__", 1)[1]
    return pa.table({key: keys, "_dlt_id": pc.binary_join_element_wise(keys, name, "deleted", "/"),
                     "_dlt_parent_id": keys, "_dlt_root_id": keys,
                     "_dlt_list_idx": pa.array([-1] * len(keys), pa.int64()),
                     deleted_column: pa.array([True] * len(keys))})


def concatenated(parts: Sequence[Dict[str, pa.Table]]) -> Dict[str, pa.Table]:
    """The tables of several pages, one table each (a field of one type on a page and null on another promoted)."""
    names = dict.fromkeys(name for part in parts for name in part)
    return {name: _concatenated(name, [part[name] for part in parts if name in part]) for name in names}


def _concatenated(table: str, tables: List[pa.Table]) -> pa.Table:
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        kinds: Dict[str, pa.DataType] = {}
        for part in tables:
            for field in part.schema:
                if not pa.types.is_null(field.type) and kinds.setdefault(field.name, field.type) != field.type:
                    raise LivePersonTypeError(
                        f"{table}.{field.name}: LivePerson sent {field.type} values where earlier records had "
                        f"{kinds[field.name]} ones (values of two kinds in one column); nothing of this run was "
                        "loaded") from None
        raise


def not_null_ids(name: str, table: pa.Table, kind: RecordTables) -> pa.Table:
    """The key and id columns (and a record's start time) marked not null, as the hints and dlt declare them (its
    freeze contract compares nullability too)."""
    not_null = (kind.key, *ID_COLUMNS, "start_time") if name == kind.table else (kind.key, *ID_COLUMNS)
    fields = [field.with_nullable(False) if field.name in not_null else field for field in table.schema]
    return table.cast(pa.schema(fields))
