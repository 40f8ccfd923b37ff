"""Issue 27 prototype (not product code), run as `python docs/wip/columnar_prototype.py DAYS` with BATCH=20:
the columnar path end to end on emulator pages: pyarrow's JSON reader on each page's bytes, child tables exploded
with list_flatten/list_parent_indices carrying conversation_id and position, handed to dlt as Arrow tables, loaded
into DuckDB. Prints CPU per conversation for each phase."""
import io, os, sys, time, tempfile, shutil
from datetime import date
import orjson, dlt
import pyarrow as pa, pyarrow.json as pj, pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention
from liveperson_emulator.data import Dataset

BATCH = int(os.environ.get("BATCH", "1"))
DAYS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
ds = Dataset("13350576", 7, date(2026, 11, 1), date(2026, 11, 30), 2500, ())
records = [ds.conversations.record(h) for d in range(1, 1 + DAYS) for h in ds.conversations.day(date(2026, 11, d))]
pages = [orjson.dumps({"_metadata": {"count": len(records)}, "conversationHistoryRecords": records[i:i+100]})
         for i in range(0, len(records), 100)]
n = len(records)
print(n, "conversations,", len(pages), "pages")
naming = NamingConvention()

def explode(rows, keys, name, out, position=None):
    columns, names = [], []
    def walk(arr, prefix):
        for i, f in enumerate(arr.type):
            child = arr.field(i)
            col = f"{prefix}__{naming.normalize_identifier(f.name)}" if prefix else naming.normalize_identifier(f.name)
            if pa.types.is_struct(f.type):
                walk(child, col)
            elif pa.types.is_list(f.type):
                flat = pc.list_flatten(child)
                parents = pc.list_parent_indices(child)
                starts = pc.take(child.offsets, parents)
                pos = pc.subtract(pa.array(range(len(flat)), pa.int32()), starts)
                ck = pc.take(keys, parents)
                table = f"{name}__{col}"
                if pa.types.is_struct(flat.type):
                    explode(flat, ck, table, out, pos)
                else:
                    out.setdefault(table, []).append(pa.table({"conversation_id": ck, "position": pos, "value": flat}))
            else:
                columns.append(child); names.append(col)
    walk(rows, "")
    if position is not None:
        columns = [keys, position] + columns; names = ["conversation_id", "position"] + names
    out.setdefault(name, []).append(pa.Table.from_arrays(columns, names=names))

t0 = time.process_time()
tables = {}
opts = pj.ReadOptions(use_threads=False, block_size=1 << 24)
for p in pages:
    page = pj.read_json(io.BytesIO(p), read_options=opts)
    recs = pc.list_flatten(page.column("conversationHistoryRecords")).combine_chunks()
    keys = recs.field("info").field("conversationId")
    explode(recs, keys, "conversations", tables)
t1 = time.process_time()
print(f"parse+explode  {(t1 - t0) / n * 1e6:6.0f} us/conv CPU; {len(tables)} tables, "
      f"{sum(t.num_rows for ts in tables.values() for t in ts) / n:.1f} rows/conv")

work = tempfile.mkdtemp()
pipeline = dlt.pipeline("proto", pipelines_dir=work, destination=dlt.destinations.duckdb(os.path.join(work, "w.duckdb")), dataset_name="lp")

def resource_of(name, parts):
    @dlt.resource(name=name, table_name=name, write_disposition="append")
    def items():
        for i in range(0, len(parts), BATCH):
            yield pa.concat_tables(parts[i:i+BATCH], promote_options="permissive")
    return items

t2 = time.process_time()
pipeline.extract([resource_of(name, parts) for name, parts in tables.items()])
t3 = time.process_time()
pipeline.normalize()
t4 = time.process_time()
pipeline.load()
t5 = time.process_time()
print(f"dlt extract    {(t3 - t2) / n * 1e6:6.0f} us/conv CPU")
print(f"dlt normalize  {(t4 - t3) / n * 1e6:6.0f} us/conv CPU (this process; workers: {os.environ.get('NORMALIZE__WORKERS', '1')})")
print(f"dlt load       {(t5 - t4) / n * 1e6:6.0f} us/conv CPU (this process)")
import resource
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"children CPU   {(ch.ru_utime + ch.ru_stime) / n * 1e6:6.0f} us/conv")
shutil.rmtree(work)
