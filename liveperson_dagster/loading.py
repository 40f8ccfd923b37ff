"""Runs the LivePerson source for one Dagster step (dlt's extract, normalize and load, in turn) and describes what
it loaded."""

import logging
import time
from datetime import datetime, timezone
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Sequence

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue
from dlt import Pipeline
from dlt.common.pipeline import LoadInfo
from dlt.extract import DltSource

from .runs.collector import startup_objects_frozen
from .runs.dlt_run_config import dlt_config_for_run
from .liveperson import LivePersonClient, RequestStats, Window, liveperson_source
from .liveperson.api_constants import ALL_CONTENT_PARTS
from .liveperson.columns import type_error_of
from .liveperson.errors import LivePersonOutOfRangeError, causes
from .liveperson.record_items import staged_deletions
from .liveperson.source import REPLACED_TABLES
from .runs.normalize_workers import NormalizeWorkers, workers_die_with_run
from .accounts import Account
from .resources import LivePersonWarehouse
from .runs.run_owners import claim_run

PROGRESS_EVERY_SECONDS = 10.0
SOURCE_LOGGER = "liveperson_dagster.liveperson"
# dlt settings for this source's large nested records, for the length of a run (dlt_run_config.py; the same
# variables set by the user win): a small in-memory buffer keeps the memory of a run flat however many conversations
# it loads, and short buffer flushes hold the interpreter lock briefly while the fetch threads wait for it.
DLT_RUN_DEFAULTS = {
    "DATA_WRITER__BUFFER_MAX_ITEMS": "100",
    # Extract files rotated by size, not by rows: the columnar records' files are moved into the load package, each
    # a load job, and dlt's bookkeeping of a load grows with the square of its jobs (rotated by rows, a day of 21,236
    # conversations made 217 jobs, a file per table and batch, and its load took 1.6 s more).
    "DATA_WRITER__FILE_MAX_BYTES": str(256 * 2**20),
    # The files normalize writes (rows of the other tables; every table's insert statements for PostgreSQL) as before.
    "NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS": "5000",
    # Extracted files are temporary and local: gzip costs more CPU than the disk it saves.
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
    # Arrow tables (the conversations' columnar records) get `_dlt_load_id` as rows do: the checks and the marts read it.
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    # Fresh interpreters: forking a process with live threads (Dagster's, the fetch pool's) can deadlock the child.
    "NORMALIZE__START_METHOD": "spawn",
}


@contextmanager
def refusals_in_one_line() -> Iterator[None]:
    """A window LivePerson cannot serve (past its retention, an operations hour past 24 hours), or a value that does
    not fit its column's declared type, is the user's to deal with, not a crash: the step fails with that one line
    (Dagster's Failure, not retried) instead of the chain of dlt's wrapping exceptions, in the UI and on the command
    line alike."""
    try:
        yield
    except Exception as error:
        refused = next((cause for cause in causes(error) if isinstance(cause, LivePersonOutOfRangeError)), None)
        refused = refused or type_error_of(error)  # it would fail every retry alike
        if refused is None:
            raise
        raise Failure(description=str(refused), allow_retries=False) from None


def load_resources(
    context: AssetExecutionContext,
    account: Account,
    resource_names: Sequence[str],
    window: Optional[Window] = None,
    content_parts: Optional[Sequence[str]] = None,
    days: Sequence[Window] = (),
) -> Iterator[MaterializeResult]:
    """Loads `resource_names` (of `window`, for windowed ones). With `days` (the window's partitions), the load
    replaces those days exactly: rows the API no longer returns are removed (past the retention: refused)."""
    claim_run(context)
    credentials = getattr(context.resources, account.credentials_key)
    warehouse: LivePersonWarehouse = getattr(context.resources, account.warehouse_key)
    with refusals_in_one_line():
        if days:
            warehouse.refuse_past_retention(days, datetime.now(timezone.utc))
    progress = ProgressLog(context, resource_names)
    with refusals_in_one_line(), step_pipeline(context, warehouse) as (pipeline, dlt_config):
        normalize_workers = NormalizeWorkers(warehouse.normalize_workers, dlt_config)
        client = LivePersonClient(credentials.connection(), progress=progress)
        if window is not None:
            context.log.info(f"Loading {', '.join(resource_names)} of {window}")
        replacements = {name: warehouse.replacement(pipeline, name, days)
                        for name in resource_names if days and name in REPLACED_TABLES}
        source = liveperson_source(client=client, window=window, replacements=replacements,
                                   content_parts=tuple(content_parts or ALL_CONTENT_PARTS))
        source = source.with_resources(*resource_names)
        load_info = extract_normalize_load(pipeline, source, warehouse, context.log.info)
        own_keys = {key.path[-1]: key for key in context.assets_def.keys}
        results = [(own_keys[name], context.resources.dlt.extract_resource_metadata(
            context, resource, load_info, pipeline)) for name, resource in source.selected_resources.items()]
        row_counts = dict(pipeline.last_trace.last_normalize_info.row_counts)
        packages = load_info.load_packages
    progress.report(client.stats)
    stats = client.stats.snapshot()
    load_ids = [package.load_id for package in packages]
    schema_changes = new_columns_by_table(packages)
    for key, dlt_metadata in results:
        table = key.path[-1]
        removed = replacements[table].removed if table in replacements else 0
        # Tombstones are staged rows, not loaded ones (replacement.py, record_items.py).
        rows = row_counts.get(table, 0) - removed
        own_tables = {name: count - stats.get(staged_deletions(name), 0) for name, count in row_counts.items()
                      if is_table_or_child(name, table)}
        own_changes = {name: columns for name, columns in schema_changes.items() if is_table_or_child(name, table)}
        extra = {
            "rows_loaded": MetadataValue.int(rows),
            "rows_per_table": MetadataValue.json({**own_tables, table: rows}),
            "dlt_load_ids": MetadataValue.json(load_ids),
            "api_requests": MetadataValue.int(stats.get("requests", 0)),
            "api_pages": MetadataValue.int(stats.get("pages", 0)),
            "api_retries": MetadataValue.json(stats["retries"]),
            "api_retries_total": MetadataValue.int(stats["retries_total"]),
            "run_seconds": MetadataValue.float(round(progress.elapsed, 3)),
            "normalize_workers": MetadataValue.int(normalize_workers.workers),
            "schema_changed": MetadataValue.bool(bool(own_changes)),
            "schema_new_columns": MetadataValue.json(own_changes),
        }
        if table in replacements:
            extra["rows_removed"] = MetadataValue.int(removed)
        if table == "conversations":
            # Served partial, then completed by the search by ids; still partial, loaded with `is_partial` true.
            extra["partial_records_refetched"] = MetadataValue.int(stats.get("partial_refetched", 0))
            extra["partial_records_loaded"] = MetadataValue.int(stats.get("partial_remaining", 0))
        if window is not None:
            extra["window_start"] = MetadataValue.text(window.start.isoformat())
            extra["window_end"] = MetadataValue.text(window.end.isoformat())
            extra["dagster/partition_row_count"] = MetadataValue.int(rows)
            extra["records_per_second"] = MetadataValue.float(progress.rate(rows))
        else:
            extra["dagster/row_count"] = MetadataValue.int(rows)
        yield MaterializeResult(asset_key=key, metadata={**dlt_metadata, **extra})


def extract_normalize_load(pipeline: Pipeline, source: DltSource, warehouse: LivePersonWarehouse,
                           log: Callable[[str], None]) -> LoadInfo:
    """`pipeline.run` as its steps on a pipeline of `warehouse.pipeline_for_run` (synced with the warehouse): the
    source extracted and normalized, then loaded (`warehouse.load`: waiting for a DuckDB reader, alone in a
    PostgreSQL dataset)."""
    pipeline.extract(source, loader_file_format=warehouse.loader_file_format())
    pipeline.normalize()
    load_info = warehouse.load(pipeline, log)
    load_info.raise_on_failed_jobs()
    return load_info


@contextmanager
def step_pipeline(context, warehouse: LivePersonWarehouse) -> Iterator[tuple]:
    """The run's pipeline (its own working dir, the warehouse's locks) and dlt's settings for the step, with every
    process-wide change a run makes undone when it ends, whatever its outcome: (pipeline, DltRunConfig)."""
    with startup_objects_frozen(), dlt_config_for_run(DLT_RUN_DEFAULTS) as dlt_config, \
            source_logs_in_run_log(context), workers_die_with_run(), \
            warehouse.pipeline_for_run(context.run.run_id, context.log.info) as pipeline:
        yield pipeline, dlt_config


def is_table_or_child(name: str, table: str) -> bool:
    return name == table or name.startswith(f"{table}__")


def new_columns_by_table(load_packages) -> dict:
    """Columns this load added to the destination schema, by table (dlt's own tables left out)."""
    changes: dict = {}
    for package in load_packages:
        for table_name, table in (package.schema_update or {}).items():
            if table_name.startswith("_dlt"):
                continue
            columns = [name for name in (table.get("columns") or {}) if not name.startswith("_dlt")]
            if columns:
                changes.setdefault(table_name, set()).update(columns)
    return {table: sorted(columns) for table, columns in sorted(changes.items())}


class ProgressLog:
    """Reports pages and records fetched to the run log while a long fetch goes on, naming what it counts."""

    def __init__(self, context: AssetExecutionContext, resource_names: Sequence[str]) -> None:
        self._log = context.log
        self._resource_names = list(resource_names)
        self._started = time.monotonic()
        self._last_report = self._started

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def rate(self, count: int) -> float:
        return round(count / self.elapsed, 1) if self.elapsed > 0 else 0.0

    def __call__(self, stats: RequestStats) -> None:
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_EVERY_SECONDS:
            self._last_report = now
            self.report(stats)

    def report(self, stats: RequestStats) -> None:
        records = ", ".join(f"{stats.count(name)} {name} ({self.rate(stats.count(name))}/s)"
                            for name in self._resource_names)
        self._log.info(f"Fetched {stats.count('pages')} page(s): {records}; {sum(stats.retries.values())} retries so far")


class _RunLogHandler(logging.Handler):
    def __init__(self, context: AssetExecutionContext) -> None:
        super().__init__(level=logging.INFO)
        self._log = context.log

    def emit(self, record: logging.LogRecord) -> None:
        self._log.log(record.levelno, record.getMessage())


@contextmanager
def source_logs_in_run_log(context: AssetExecutionContext):
    """Retries and warnings of the LivePerson client show in the Dagster run log."""
    source_logger = logging.getLogger(SOURCE_LOGGER)
    handler = _RunLogHandler(context)
    source_logger.addHandler(handler)
    try:
        yield
    finally:
        source_logger.removeHandler(handler)
