"""Issue 27 experiment (not product code): does a columnar builder on page bytes make the same tables as dlt's row
normalizer does today? Run as `python docs/wip/columnar_equivalence.py [DAYS]`.

A: the product's conversations resource (conversation_row, declared hints, child keys) through dlt into DuckDB.
B: each page's bytes through `pyarrow.json.read_json`, the record rules of records.conversation_row as Arrow
   compute, structs flattened to `a__b` columns, lists exploded into child tables carrying `conversation_id` and
   `_dlt_list_idx` (a list in a list: `_dlt_parent_list_idx` too), registered in the same DuckDB.
Then, per table: the columns only one side has (dlt's ids aside), the columns whose types differ, and the rows of
each side the other lacks (over the common columns). Prints CPU per conversation of B's build."""

import io
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dlt
import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from dlt.common.normalizers.naming.snake_case import NamingConvention

from liveperson_dagster.liveperson import Window, liveperson_source
from liveperson_dagster.liveperson.columns import CONVERSATION_CHILD_TYPES, CONVERSATION_TYPES
from liveperson_dagster.liveperson.records import CONVERSATION_COLUMNS, PART_AGENT_IDS
from liveperson_emulator.data import Dataset

DAYS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
FIRST = date(2026, 11, 2)
naming = NamingConvention()
ARROW = {"text": pa.string(), "bigint": pa.int64(), "double": pa.float64(), "bool": pa.bool_(),
         "timestamp": pa.timestamp("us", tz="UTC")}
JSON_COLUMNS = {name for name, hint in CONVERSATION_COLUMNS.items() if hint.get("data_type") == "json"}
DLT_IDS = {"_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx", "_dlt_load_id", "_dlt_parent_list_idx"}

dataset = Dataset("13350576", 7, date(2026, 11, 1), date(2026, 11, 30), 2500, ())
records = [dataset.conversations.record(header) for day in range(DAYS)
           for header in dataset.conversations.day(FIRST + timedelta(days=day))]
pages = [records[i:i + 100] for i in range(0, len(records), 100)]
page_bytes = [orjson.dumps({"_metadata": {"count": len(records)}, "conversationHistoryRecords": page})
              for page in pages]
print(f"{len(records)} conversations, {len(pages)} pages")


class PagesClient:
    """What the conversations resource asks of a client, answered from the pages above."""
    def search_conversations(self, window, content_parts, updated_since_ms=None):
        return iter([[dict(record) for record in orjson.loads(raw)["conversationHistoryRecords"]]
                     for raw in page_bytes])


work = Path(tempfile.mkdtemp())
database = str(work / "w.duckdb")
start = datetime.combine(FIRST, datetime.min.time(), tzinfo=timezone.utc)
pipeline = dlt.pipeline("equivalence", pipelines_dir=str(work / "dlt"), destination=dlt.destinations.duckdb(database),
                        dataset_name="a")
pipeline.run(liveperson_source(client=PagesClient(), window=Window(start, start + timedelta(days=DAYS)))
             .with_resources("conversations"), loader_file_format="parquet")


# --- B: the columnar build --------------------------------------------------------------------------------------

def column_name(prefix: str, key: str) -> str:
    name = naming.normalize_identifier(key)
    return f"{prefix}__{name}" if prefix else name


def declared(table: str) -> dict:
    if table == "conversations":
        return {**CONVERSATION_TYPES, **{n: h["data_type"] for n, h in CONVERSATION_COLUMNS.items() if "data_type" in h}}
    path = table[len("conversations__"):]
    return next((types for child, types in CONVERSATION_CHILD_TYPES.items() if child.replace(".", "__") == path), {})


def typed(table: str, name: str, array: pa.Array) -> pa.Array:
    kind = declared(table).get(name)
    if kind in ARROW and array.type != ARROW[kind]:
        if pa.types.is_string(array.type) and kind == "bigint":
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)  # "" names no agent
        return array.cast(ARROW[kind])
    return array


def explode(rows: pa.StructArray, keys: pa.Array, table: str, out: dict, columns=None) -> None:
    """The table of `rows` (its structs flattened) into `out[table]`, its lists into child tables."""
    names, arrays = list((columns or {}).keys()), list((columns or {}).values())

    def walk(struct: pa.StructArray, prefix: str) -> None:
        for index, field in enumerate(struct.type):
            child = struct.field(index)
            name = column_name(prefix, field.name)
            if table == "conversations" and name in JSON_COLUMNS:
                names.append(name)
                arrays.append(pa.array([None if value is None else orjson.dumps(value).decode()
                                        for value in child.to_pylist()], pa.string()))
            elif pa.types.is_struct(field.type):
                walk(child, name)
            elif pa.types.is_list(field.type):
                if pa.types.is_null(field.type.value_type):
                    continue  # every list of the page empty: no rows (and no type to give them)
                flat, parents = pc.list_flatten(child), pc.list_parent_indices(child)
                starts = pc.take(child.offsets, parents)
                position = pc.subtract(pa.array(range(len(flat)), pa.int64()), starts.cast(pa.int64()))
                own = {"conversation_id": pc.take(keys, parents), "_dlt_list_idx": position}
                if columns and "_dlt_list_idx" in columns:
                    own["_dlt_parent_list_idx"] = pc.take(columns["_dlt_list_idx"], parents)
                # dlt's ids, deterministic: a row's id is its parent's, the list's name and its position.
                parent_ids = pc.take(columns["_dlt_id"], parents)
                own["_dlt_id"] = pc.binary_join_element_wise(parent_ids, name, position.cast(pa.string()), "/")
                own["_dlt_parent_id"] = parent_ids
                own["_dlt_root_id"] = own["conversation_id"]
                if pa.types.is_struct(flat.type):
                    explode(flat, own["conversation_id"], f"{table}__{name}", out, own)
                else:
                    out.setdefault(f"{table}__{name}", []).append(pa.table({**own, "value": flat}))
            elif not pa.types.is_null(field.type):
                names.append(name)
                arrays.append(typed(table, name, child))

    walk(rows, "")
    out.setdefault(table, []).append(pa.Table.from_arrays(arrays, names=names))


def page_tables(raw: bytes, out: dict) -> None:
    page = pj.read_json(io.BytesIO(raw), read_options=pj.ReadOptions(use_threads=False, block_size=1 << 24))
    records = pc.list_flatten(page.column("conversationHistoryRecords")).combine_chunks()
    info = records.field("info")
    keys = info.field("conversationId")
    start_ms = info.field("startTimeL")
    end_ms = info.field("endTimeL") if "endTimeL" in [f.name for f in info.type] else pa.nulls(len(info), pa.int64())
    is_open = pc.fill_null(pc.less_equal(end_ms, 0), True)
    as_time = lambda ms: pc.multiply(ms, 1000).cast(pa.timestamp("us", tz="UTC"))  # noqa: E731
    partial = info.field("isPartial") if "isPartial" in [f.name for f in info.type] else pa.nulls(len(info), pa.bool_())
    # The record rules of conversation_row: open conversations' end times null, "" agent ids null.
    info_fields = {f.name: info.field(i) for i, f in enumerate(info.type)}
    for name in ("endTime", "endTimeL"):
        if name in info_fields:
            info_fields[name] = pc.if_else(is_open, pa.scalar(None, info_fields[name].type), info_fields[name])
    info = pa.StructArray.from_arrays(list(info_fields.values()), names=list(info_fields))
    fields = {f.name: records.field(i) for i, f in enumerate(records.type)}
    fields["info"] = info
    if "latestAgentSurvey" in fields and fields["latestAgentSurvey"].null_count == len(records):
        del fields["latestAgentSurvey"]
    shaped = pa.StructArray.from_arrays(list(fields.values()), names=list(fields))
    lifted = {"conversation_id": keys, "_dlt_id": keys, "start_time": as_time(start_ms),
              "end_time": pc.if_else(is_open, pa.scalar(None, pa.timestamp("us", tz="UTC")), as_time(end_ms)),
              "status": info_fields.get("status"), "is_partial": pc.fill_null(pc.equal(partial, True), False)}
    explode(shaped, keys, "conversations", out, lifted)


cpu = time.process_time()
built: dict = {}
for raw in page_bytes:
    page_tables(raw, built)
tables = {name: table for name, parts in built.items()
          if (table := pa.concat_tables(parts, promote_options="permissive")).num_rows}  # dlt makes no empty table
cpu = time.process_time() - cpu
print(f"B: {cpu / len(records) * 1e6:.0f} us of CPU a conversation, {len(tables)} tables")

# --- compare ----------------------------------------------------------------------------------------------------
db = duckdb.connect(database)
db.execute("create schema b")
for name, table in tables.items():
    db.register(f"arrow_{name}", table)
    db.execute(f"create table b.{name} as select * from arrow_{name}")
a_tables = {row[0] for row in db.execute("select table_name from information_schema.tables where table_schema='a' "
                                         "and table_name like 'conversations%'").fetchall()}
print("tables only in A:", sorted(a_tables - set(tables)), " only in B:", sorted(set(tables) - a_tables))
problems = 0
for name in sorted(a_tables & set(tables)):
    def columns(schema):
        return dict(db.execute("select column_name, data_type from information_schema.columns where table_schema=? "
                               "and table_name=?", [schema, name]).fetchall())
    a, b = columns("a"), columns("b")
    only_a = sorted(set(a) - set(b) - DLT_IDS - {"deleted_upstream"})  # the hard-delete hint: no value in data
    only_b = sorted(set(b) - set(a) - DLT_IDS)
    # dlt's JSON columns against B's JSON text: compared as text.
    types = {c: (a[c], b[c]) for c in set(a) & set(b) if a[c] != b[c] and (a[c], b[c]) != ("JSON", "VARCHAR")}
    common = [c for c in a if c in b and c not in DLT_IDS and c not in types]
    select = ", ".join(f'cast("{c}" as varchar)' if a[c] == "JSON" else f'"{c}"' for c in common)
    missing = db.execute(f"select count(*) from (select {select} from a.{name} except all "
                         f"select {select} from b.{name})").fetchone()[0]
    extra = db.execute(f"select count(*) from (select {select} from b.{name} except all "
                       f"select {select} from a.{name})").fetchone()[0]
    rows = db.execute(f"select count(*) from a.{name}").fetchone()[0]
    if only_a or only_b or types or missing or extra:
        problems += 1
        print(f"{name}: {rows} rows; only A {only_a}; only B {only_b}; types {types}; rows of A not in B {missing}, "
              f"of B not in A {extra}")
print(f"{len(a_tables & set(tables))} tables compared, {problems} with differences")

# A list in a list: each row belongs to the same parent row (by the parent's position in its record) on both sides.
for name in sorted(a_tables & set(tables)):
    if "_dlt_parent_list_idx" not in tables[name].column_names:
        continue
    parent = name.rsplit("__", 1)[0]
    while parent not in tables:  # an object on the way (`a__b__list`): the nearest table above
        parent = parent.rsplit("__", 1)[0]
    a_links = db.execute(f"select c.conversation_id, p._dlt_list_idx, c._dlt_list_idx from a.{name} c "
                         f"join a.{parent} p on c._dlt_parent_id = p._dlt_id order by all").fetchall()
    b_links = db.execute(f"select conversation_id, _dlt_parent_list_idx, _dlt_list_idx from b.{name} "
                         "order by all").fetchall()
    print(f"{name}: {len(a_links)} rows, each under the same parent row: {a_links == b_links}")
