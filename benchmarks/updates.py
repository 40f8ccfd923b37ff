"""Late changes benchmark: with 30 loaded days and 1% of their conversations updated, the sensor's tick and run
against re-loading the 30 days (what the daily schedule would have to do to catch the same changes). Counts the
requests the emulator served and times both. The emulator runs in this process (the test's way of changing
conversations), with a latency per request.

    python benchmarks/updates.py            # 30 days of 1,000 conversations (about two minutes)
    python benchmarks/updates.py --quick    # 30 days of 100, to check the script itself
"""

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dagster import DagsterInstance, RunRequest, build_sensor_context, materialize
from dagster_dlt import DagsterDltResource

from liveperson_dagster.assets import build_assets
from liveperson_dagster.runs.partitions import daily_partitions, hourly_partitions
from liveperson_dagster.resources import LivePersonCredentials, LivePersonWarehouse
from liveperson_dagster.jobs import updates_job
from liveperson_dagster.updates_sensor import updates_sensor
from liveperson_emulator import Emulator, EmulatorConfig

LATENCY_MS = 100
UPDATED_SHARE = 0.01


def credentials(emulator: Emulator) -> LivePersonCredentials:
    env = emulator.env()
    return LivePersonCredentials(
        account_id=env["LIVEPERSON_ACCOUNT_ID"], csds_url=env["LIVEPERSON_CSDS_URL"],
        app_key=env["LIVEPERSON_APP_KEY"], app_secret=env["LIVEPERSON_APP_SECRET"],
        access_token=env["LIVEPERSON_ACCESS_TOKEN"], access_token_secret=env["LIVEPERSON_ACCESS_TOKEN_SECRET"],
    )


def requests_served(emulator: Emulator) -> int:
    return sum(emulator.stats.snapshot()["requests"].values())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    per_day = 100 if args.quick else 1000
    today = datetime.now(timezone.utc).date()
    first, last = today - timedelta(days=30), today - timedelta(days=1)
    days = daily_partitions(first, "UTC")
    conversations_asset = next(a for a in build_assets(days, hourly_partitions(first, "UTC"), "duckdb")
                               if a.node_def.name == "liveperson_conversations")
    config = EmulatorConfig(first_day=first, last_day=last, conversations_per_day=per_day, latency_ms=LATENCY_MS)
    with Emulator(config) as emulator, tempfile.TemporaryDirectory() as scratch:
        warehouse = LivePersonWarehouse(duckdb_path=str(Path(scratch) / "warehouse.duckdb"), max_removed_percent=100)
        resources = {"dlt": DagsterDltResource(), "liveperson": credentials(emulator), "warehouse": warehouse}
        instance = DagsterInstance.ephemeral()
        reload_tags = {"dagster/asset_partition_range_start": first.isoformat(),
                       "dagster/asset_partition_range_end": last.isoformat()}
        assert materialize([conversations_asset], resources=resources, tags=reload_tags, instance=instance).success

        job = updates_job(days)
        sensor = updates_sensor(job, days, 900, 3)
        context = build_sensor_context(instance=instance, resources={"liveperson": credentials(emulator)})
        first_look = sensor(context)  # the first look back: what changed in the last 3 days, as generated
        if isinstance(first_look, RunRequest):
            assert run_updates(job, first_look, instance, emulator, warehouse).success
        window = (datetime(first.year, first.month, first.day, tzinfo=timezone.utc),
                  datetime(today.year, today.month, today.day, tzinfo=timezone.utc))
        records = emulator.conversations(*window)
        # Changes LivePerson would see: a new message in an open conversation, a CSAT given to a closed one.
        # (Generated conversations last up to 3 days: those of the last days may carry times after now.)
        now = datetime.now(timezone.utc)
        settled_ms = (now - timedelta(days=4)).timestamp() * 1000
        changeable = [r["info"] for r in records if r["info"]["startTimeL"] < settled_ms
                      and (r["info"]["status"] == "OPEN" or not r["info"].get("csatRate"))]
        updated = random.Random(7).sample(changeable, round(len(records) * UPDATED_SHARE))
        for info in updated:
            if info["status"] == "OPEN":
                emulator.update_conversation(info["conversationId"], now, add_messages=1)
            else:
                emulator.update_conversation(info["conversationId"], now, csat=3)

        before, started = requests_served(emulator), time.monotonic()
        context = build_sensor_context(instance=instance, cursor=context.cursor,
                                       resources={"liveperson": credentials(emulator)})
        request = sensor(context)
        assert isinstance(request, RunRequest), request
        assert run_updates(job, request, instance, emulator, warehouse).success
        sensor_seconds, sensor_requests = time.monotonic() - started, requests_served(emulator) - before

        before, started = requests_served(emulator), time.monotonic()
        assert materialize([conversations_asset], resources=resources, tags=reload_tags, instance=instance).success
        reload_seconds, reload_requests = time.monotonic() - started, requests_served(emulator) - before

    print(f"\nliveperson-dagster late changes, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node() or 'host'}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{LATENCY_MS} ms per request{' (quick)' if args.quick else ''}\n")
    print(f"{'path':<40} {'conversations':>13} {'updated':>8} {'requests':>9} {'wall s':>7}")
    print(f"{'sensor tick + update run':<40} {len(records):>13} {len(updated):>8} {sensor_requests:>9} {sensor_seconds:>7.1f}")
    print(f"{'re-load of the 30 days (one run)':<40} {len(records):>13} {len(updated):>8} {reload_requests:>9} "
          f"{reload_seconds:>7.1f}\n")
    share, speed = sensor_requests / reload_requests, sensor_seconds / reload_seconds
    print(f"{'met ' if share <= 0.05 else 'MISS'}  the sensor's requests: {share:.1%} of a 30-day re-load's "
          f"(target: at most 5%)")
    print(f"{'met ' if speed < 0.1 else 'MISS'}  the sensor's time: {speed:.2f}x a 30-day re-load's "
          f"(target: less than 0.1x)")
    return 0


def run_updates(job, request: RunRequest, instance, emulator: Emulator, warehouse: LivePersonWarehouse):
    return job.execute_in_process(run_config=request.run_config, instance=instance, tags={"dagster/run_key": request.run_key},
                                  resources={"liveperson": credentials(emulator), "warehouse": warehouse})


if __name__ == "__main__":
    sys.exit(main())
