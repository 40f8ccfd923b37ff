"""Issue 27 experiment (not product code): an existing warehouse whose conversation child tables dlt made nested
takes the columnar build (columnar_equivalence.py) as tables of their own, after the migration below. Run as
`python docs/wip/columnar_migration.py`; prints each step and checks the rows, the links through dlt's ids and a re-load."""
import sys, runpy
import os
os.environ["NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID"] = "true"  # Arrow items get _dlt_load_id as rows do
sys.argv = ["x", "1"]
ns = runpy.run_path("docs/wip/columnar_equivalence.py")
ns["db"].close()
import dlt, duckdb, pyarrow as pa, pyarrow.compute as pc
pipeline, tables, database = ns["pipeline"], ns["tables"], ns["database"]
pipeline.sync_destination()
schema = pipeline.default_schema
children = [name for name in schema.tables if name.startswith("conversations__")]
for name in children:
    schema.tables[name].pop("parent", None)
    for column in ("_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx", "_dlt_id"):
        if column in schema.tables[name]["columns"]:
            schema.tables[name]["columns"][column]["nullable"] = True
    schema.tables[name]["columns"]["conversation_id"].update(merge_key=True, nullable=False)
for name, table in tables.items():
    stored = schema.tables.get(name, {}).get("columns", {})
    for field in table.schema:
        column = stored.get(field.name)
        if column is None:
            continue
        column.setdefault("nullable", True)
        if pa.types.is_timestamp(field.type):
            column.setdefault("precision", 6); column.setdefault("timezone", True)
def matching(name, table):
    stored = schema.tables.get(name, {}).get("columns", {})
    fields = [field.with_nullable(stored.get(field.name, {}).get("nullable", True)) for field in table.schema]
    return table.cast(pa.schema(fields))
tables = {name: matching(name, table) for name, table in tables.items()}
schema._bump_version()
pipeline.schemas.save_schema(schema)
with pipeline.destination_client() as client:
    client.update_stored_schema()
print("migrated", len(children), "tables")
with duckdb.connect(database) as db:
    for name in children:
        for column in ("_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx", "_dlt_id"):
            try: db.execute(f'alter table a.{name} alter column {column} drop not null')
            except Exception as e: print("alter", name, column, str(e)[:100])
        db.execute(f"drop table if exists a_staging.{name}")
        db.execute(f"alter table a.{name} add column if not exists _dlt_load_id varchar")
        db.execute(f"update a.{name} set _dlt_load_id = r._dlt_load_id from a.conversations r where a.{name}._dlt_root_id = r._dlt_id")
def resource():
    for name, table in tables.items():
        if name == "conversations":
            yield dlt.mark.with_hints(table, dlt.mark.make_hints(table_name=name, columns={c: {"name": c, "data_type": "json"} for c in ("previously_submitted_agent_surveys", "latest_agent_survey__submitted_answers")}), create_table_variant=True)
        else:
            yield dlt.mark.with_hints(table, dlt.mark.make_hints(table_name=name, primary_key=(), merge_key="conversation_id",
                write_disposition={"disposition": "merge", "strategy": "delete-insert"}), create_table_variant=True)
r = dlt.resource(resource, name="conversations", write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}, primary_key="conversation_id")
before = {}
with duckdb.connect(database, read_only=True) as db:
    for name in tables:
        before[name] = db.execute(f"select count(*) from a.{name}").fetchone()[0]
try:
    info = pipeline.run(r(), loader_file_format="parquet")
    print("loaded", info.has_failed_jobs)
except Exception as e:
    print("FAILED", type(e).__name__, str(e)[:2500])
with duckdb.connect(database, read_only=True) as db:
    for name in list(tables)[:8]:
        print(name, before[name], db.execute(f"select count(*) from a.{name}").fetchone()[0])
with duckdb.connect(database, read_only=True) as db:
    for name in tables:
        if name == "conversations":
            continue
        parent = name.rsplit("__", 1)[0]
        while parent not in tables:
            parent = parent.rsplit("__", 1)[0]
        orphans = db.execute(f"select count(*) from a.{name} c left join a.{parent} p on c._dlt_parent_id = p._dlt_id where p._dlt_id is null").fetchone()[0]
        wrong_root = db.execute(f"select count(*) from a.{name} c join a.conversations r on c._dlt_root_id = r._dlt_id where c.conversation_id <> r.conversation_id").fetchone()[0]
        if orphans or wrong_root:
            print("BROKEN", name, orphans, wrong_root)
    print("links checked")
# load again: still the same counts (a re-load replaces each record's rows)
info = pipeline.run(r(), loader_file_format="parquet")
with duckdb.connect(database, read_only=True) as db:
    print("again:", all(db.execute(f"select count(*) from a.{n}").fetchone()[0] == before[n] for n in tables))
