"""One measured pipeline run against a running emulator (the LIVEPERSON_* variables point at it).
Prints one JSON line: conversations, pages, phase seconds, peak RSS. Run by benchmarks/throughput.py.

    python benchmarks/pipeline_run.py own|sketch FROM TO [--concurrency N] [--daily]
"""

import argparse
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

import dlt
import duckdb
import psutil
import requests
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import AuthConfigBase
from dlt.sources.rest_api import rest_api_source
from requests_oauthlib import OAuth1

from liveperson_dagster.runs.collector import startup_objects_frozen
from liveperson_dagster.runs.dlt_run_config import dlt_config_for_run
from liveperson_dagster.liveperson import HttpSettings, LivePersonClient, LivePersonConnection, Window, liveperson_source
from liveperson_dagster.loading import DLT_RUN_DEFAULTS
from liveperson_dagster.runs.normalize_workers import NormalizeWorkers
from liveperson_dagster.resources import LivePersonWarehouse
from liveperson_dagster.config import ProjectSettings, connection_from_env


@configspec
class SketchOAuth1(AuthConfigBase):
    """The sketch's OAuth1 auth, which dlt's rest_api does not ship."""

    app_key: str = None
    app_secret: str = None
    access_token: str = None
    access_token_secret: str = None

    def __call__(self, request):
        return OAuth1(self.app_key, self.app_secret, self.access_token, self.access_token_secret)(request)



class CountingSession(requests.Session):
    pages = 0

    def send(self, request, **kwargs):
        CountingSession.pages += 1
        return super().send(request, **kwargs)


def sketch_source(connection: LivePersonConnection, window: Window):
    """`../shared/config-sketch.md` as closely as the real API allows: its json_link paginator and data selector,
    its OAuth1 auth; the search's host from CSDS, the required `source` parameter and an explicit start range
    (the sketch's `updated_at` cursor does not exist). No page size, as in the sketch: the API's default of 50."""
    host = LivePersonClient(connection).domains.base_url("msgHist")
    keys = connection.oauth1
    return rest_api_source({
        "client": {
            "base_url": f"{host}/messaging_history/api/account/{connection.account_id}/",
            "session": CountingSession(),
            "auth": SketchOAuth1(app_key=keys.app_key, app_secret=keys.app_secret, access_token=keys.access_token,
                                 access_token_secret=keys.access_token_secret),
        },
        "resources": [{
            "name": "messaging_interactions",
            "endpoint": {
                "path": "conversations/search",
                "method": "POST",
                "params": {"v": 2, "source": "LivePersonDagster"},
                "json": {"start": window.search_range()},
                "data_selector": "conversationHistoryRecords",
                "paginator": {"type": "json_link", "next_url_path": "_metadata.next.href"},
            },
        }],
    })


class PeakMemory:
    """Peak resident memory of this process and its children (dlt's normalize workers) together, sampled."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self._interval_s):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass  # a worker that just ended
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        own_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # catches spikes between samples
        return max(self.peak_mb, own_peak_mb)


def run(mode: str, window: Window, concurrency: int, working_dir: str, database: str, memory: PeakMemory) -> dict:
    settings = ProjectSettings.from_env()
    # The own pipeline runs with the dlt settings and normalize workers of the Dagster assets; the sketch with dlt's.
    with startup_objects_frozen(), dlt_config_for_run(DLT_RUN_DEFAULTS if mode == "own" else {}) as dlt_config:
        normalize_workers = NormalizeWorkers(settings.normalize_workers, dlt_config)
        connection = connection_from_env(http=HttpSettings(max_concurrent_requests=concurrency))
        client = LivePersonClient(connection)
        if mode == "sketch":
            source, file_format = sketch_source(connection, window), None
        else:
            source = liveperson_source(client=client, window=window).with_resources("conversations")
            file_format = "parquet"
        warehouse = LivePersonWarehouse(duckdb_path=database, duckdb_memory_limit=settings.duckdb_memory_limit)
        destination = dlt.destinations.duckdb(database) if mode == "sketch" else warehouse.dlt_destination()
        pipeline = dlt.pipeline("bench", pipelines_dir=working_dir, destination=destination, dataset_name="liveperson")
        timings = {}
        started = time.monotonic()
        pipeline.sync_destination()  # as pipeline.run() does: the schema of earlier runs, from the destination
        extract_started = time.monotonic()
        pipeline.extract(source, loader_file_format=file_format)
        timings["extract_s"] = time.monotonic() - extract_started
        timings["sync_s"] = extract_started - started
        timings["extract_peak_mb"] = memory.peak_mb
        timings["normalize_workers"] = normalize_workers.workers
        pipeline.normalize()
        timings["normalize_s"] = time.monotonic() - extract_started - timings["extract_s"]
        timings["normalize_peak_mb"] = memory.peak_mb
        # The own pipeline loads as the assets do (one DuckDB connection, two jobs at a time); the sketch as dlt does.
        warehouse.load(pipeline, lambda message: None) if mode == "own" else pipeline.load()
        timings["wall_s"] = time.monotonic() - started
        timings["pages"] = CountingSession.pages if mode == "sketch" else client.stats.count("pages")
        return timings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["own", "sketch"])
    parser.add_argument("first")
    parser.add_argument("last")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--daily", action="store_true", help="one pipeline run per day instead of one for the range")
    args = parser.parse_args()
    first = datetime.fromisoformat(args.first).replace(tzinfo=timezone.utc)
    end = datetime.fromisoformat(args.last).replace(tzinfo=timezone.utc) + timedelta(days=1)
    windows = [Window(first + timedelta(days=n), first + timedelta(days=n + 1)) for n in range((end - first).days)] \
        if args.daily else [Window(first, end)]
    memory = PeakMemory()
    scratch = tempfile.mkdtemp(prefix="liveperson-bench-")
    database = f"{scratch}/warehouse.duckdb"
    totals = {"sync_s": 0.0, "extract_s": 0.0, "normalize_s": 0.0, "wall_s": 0.0, "pages": 0}
    try:
        for window in windows:
            working_dir = tempfile.mkdtemp(dir=scratch)
            for key, value in run(args.mode, window, args.concurrency, working_dir, database, memory).items():
                totals[key] = max(totals.get(key, 0), value) if key.endswith(("peak_mb", "workers")) else totals[key] + value
        table = "messaging_interactions" if args.mode == "sketch" else "conversations"
        with duckdb.connect(database, read_only=True) as db:
            totals["conversations"] = db.execute(f"select count(*) from liveperson.{table}").fetchone()[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    totals["peak_rss_mb"] = memory.stop()
    print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
