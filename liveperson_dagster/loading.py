"""Runs the LivePerson source through dagster-dlt for one Dagster step and describes what it loaded."""

import time
from typing import Iterator, Optional, Sequence

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from dagster_dlt import DagsterDltResource

from .liveperson import LivePersonClient, Window, liveperson_source
from .resources import LivePersonCredentials, LivePersonWarehouse


def load_resources(
    context: AssetExecutionContext,
    dlt: DagsterDltResource,
    credentials: LivePersonCredentials,
    warehouse: LivePersonWarehouse,
    resource_names: Sequence[str],
    window: Optional[Window] = None,
    content_parts: Optional[Sequence[str]] = None,
) -> Iterator[MaterializeResult]:
    client = LivePersonClient(credentials.connection())
    source_kwargs = {"client": client, "window": window}
    if content_parts:
        source_kwargs["content_parts"] = tuple(content_parts)
    source = liveperson_source(**source_kwargs).with_resources(*resource_names)
    if window is not None:
        context.log.info(f"Loading conversations that started in {window}")
    started = time.monotonic()
    with warehouse.pipeline_for_run(context.run.run_id) as pipeline:
        results = list(dlt.run(context, dlt_source=source, dlt_pipeline=pipeline, loader_file_format="parquet"))
        row_counts = dict(pipeline.last_trace.last_normalize_info.row_counts) if pipeline.last_trace else {}
        load_ids = [package.load_id for package in pipeline.last_trace.last_load_info.load_packages] if (
            pipeline.last_trace and pipeline.last_trace.last_load_info) else []
    elapsed = time.monotonic() - started
    stats = client.stats.snapshot()
    for result in results:
        table = result.asset_key.path[-1]
        rows = row_counts.get(table, 0)
        child_rows = {name: count for name, count in row_counts.items() if name.startswith(f"{table}__")}
        extra = {
            "rows_loaded": MetadataValue.int(rows),
            "rows_per_table": MetadataValue.json({table: rows, **child_rows}),
            "dlt_load_ids": MetadataValue.json(load_ids),
            "api_requests": MetadataValue.int(stats.get("requests", 0)),
            "api_pages": MetadataValue.int(stats.get("pages", 0)),
            "api_retries": MetadataValue.json(stats["retries"]),
            "run_seconds": MetadataValue.float(round(elapsed, 3)),
        }
        if window is not None:
            extra["window_start"] = MetadataValue.text(window.start.isoformat())
            extra["window_end"] = MetadataValue.text(window.end.isoformat())
            extra["dagster/partition_row_count"] = MetadataValue.int(rows)
            extra["conversations_per_second"] = MetadataValue.float(round(rows / elapsed, 1) if elapsed else 0.0)
        else:
            extra["dagster/row_count"] = MetadataValue.int(rows)
        yield MaterializeResult(asset_key=result.asset_key, metadata={**(result.metadata or {}), **extra})
