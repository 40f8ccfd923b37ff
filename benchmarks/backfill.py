"""Backfill benchmark: 30 days of conversations into PostgreSQL as one run, and as runs of N days (what the daemon
one may launch to load a long history in pieces) one at a time (pool limit 1) and several at once (a
higher pool limit), always with the same account budget (LIVEPERSON_MAX_CONCURRENT_REQUESTS, shared by the runs
through their request slots). Prints one table: wall time of each, the longest run (what re-running a failed run
costs), and the network bound (pages x latency / budget); then a run's start-up, measured as a run of an empty day.

Each run is a `dagster asset materialize --partition-range` process, as each run the daemon launches is a process
that loads the definitions; the queue's pass between runs (dequeue_interval_seconds, 5 s in deploy/dagster.yaml)
comes on top of every run that waits for the pool.

    python benchmarks/backfill.py            # about 6 minutes; needs PostgreSQL (--postgres, trust auth)
    python benchmarks/backfill.py --quick    # small volumes, to check the script itself
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from dagster import DagsterInstance

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
from with_emulator import running_emulator  # noqa: E402

from liveperson_dagster.liveperson import HttpSettings, api_constants  # noqa: E402

FIRST_DAY = date(2026, 10, 1)
DAYS = 30
EMPTY_DAY = FIRST_DAY + timedelta(days=DAYS)  # the emulator holds nothing that day
LATENCY_MS = 200
AT_ONCE = 3


def chunks(days_per_run: int) -> list:
    """(first, last) days of each run of the 30 days, as the daemon splits a backfill."""
    starts = range(0, DAYS, days_per_run)
    return [(FIRST_DAY + timedelta(days=s), FIRST_DAY + timedelta(days=min(s + days_per_run, DAYS) - 1))
            for s in starts]


@contextmanager
def fresh_database(admin_url: str):
    name = f"liveperson_bench_{uuid.uuid4().hex[:10]}"
    _admin(admin_url, f'create database "{name}"')
    try:
        yield name
    finally:
        _admin(admin_url, f'drop database if exists "{name}" with (force)')


def _admin(admin_url: str, statement: str) -> None:
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def database_url(admin_url: str, database: str) -> str:
    """`admin_url` naming `database`; with a password always (dlt's postgres credentials require one: a server with
    trust authentication ignores it)."""
    parts = urlsplit(admin_url)
    user, _, password = (parts.netloc.rpartition("@")[0]).partition(":")
    return urlunsplit(parts._replace(netloc=f"{user}:{password or 'unused'}@{parts.hostname}:{parts.port or 5432}",
                                     path=f"/{database}"))


def conversations_per_run(database_url: str, runs: list) -> list:
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select to_regclass('liveperson.conversations')")
            if cursor.fetchone()[0] is None:
                return [0 for _ in runs]  # nothing loaded yet: the run of an empty day
            counts = []
            for first, last in runs:
                cursor.execute("select count(*) from liveperson.conversations where start_time >= %s and "
                               "start_time < %s", (_utc(first), _utc(last + timedelta(days=1))))
                counts.append(cursor.fetchone()[0])
            return counts
    finally:
        connection.close()


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def materialize(env: dict, first: date, last: date) -> float:
    """One run of the days first..last; its wall time, process start to exit."""
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m",
               "liveperson_dagster.definitions", "--select", "liveperson/conversations",
               "--partition-range", f"{first}...{last}"]
    started = time.monotonic()
    finished = subprocess.run(command, env=env, cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:])} failed:\n{finished.stderr[-3000:]}")
    return time.monotonic() - started


def backfill(env: dict, admin_url: str, runs: list, at_once: int) -> dict:
    """`runs` into a fresh database, at most `at_once` at a time: wall time, the longest run, conversations, pages."""
    with fresh_database(admin_url) as database, tempfile.TemporaryDirectory() as scratch:
        url = database_url(admin_url, database)
        home = Path(scratch) / "home"
        home.mkdir()
        shutil.copy(HERE.parent / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        with DagsterInstance.from_config(str(home)):
            pass  # the instance's storage, before runs started together race to create it
        run_env = {**env, "DAGSTER_HOME": str(home), "LIVEPERSON_START_DATE": FIRST_DAY.isoformat(),
                   "LIVEPERSON_DESTINATION": "postgres", "DESTINATION__POSTGRES__CREDENTIALS": url,
                   # The runs share the account's request slots there, as runs of one machine do.
                   "TMPDIR": scratch}
        started = time.monotonic()
        with ThreadPoolExecutor(at_once) as pool:
            walls = list(pool.map(lambda days: materialize(run_env, *days), runs))
        wall = time.monotonic() - started
        counts = conversations_per_run(url, runs)
    pages = sum(max(1, -(-count // api_constants.SEARCH_PAGE_SIZE)) for count in counts)
    return {"wall_s": wall, "longest_s": max(walls), "conversations": sum(counts), "pages": pages}


def print_table(rows: list) -> None:
    header = ["backfill of 30 days", "runs", "at once", "conversations", "pages", "wall s", "longest run s",
              "network bound s"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a database URL of a user that may create databases (default: %(default)s)")
    parser.add_argument("--days-per-run", default="3,7,15", help="comma-separated N to measure (default: %(default)s)")
    args = parser.parse_args()
    per_day = 60 if args.quick else 500
    sizes = [int(n) for n in args.days_per_run.split(",")]
    budget = HttpSettings().max_concurrent_requests
    emulator = ["--latency-ms", str(LATENCY_MS), "--conversations-per-day", str(per_day),
                "--days", f"{FIRST_DAY}:{EMPTY_DAY}", "--empty-days", str(EMPTY_DAY)]
    rows = []
    with running_emulator(emulator) as env:
        env = {key: value for key, value in env.items() if key not in ("DAGSTER_HOME", "LIVEPERSON_DESTINATION")}
        env["LIVEPERSON_MAX_CONCURRENT_REQUESTS"] = str(budget)
        startup = backfill(env, args.postgres, [(EMPTY_DAY, EMPTY_DAY)], 1)["wall_s"]
        scenarios = [("one run", chunks(DAYS), 1)]
        for n in sizes:
            scenarios += [(f"{n}-day runs, one at a time", chunks(n), 1),
                          (f"{n}-day runs, {AT_ONCE} at once", chunks(n), AT_ONCE)]
        for label, runs, at_once in scenarios:
            result = backfill(env, args.postgres, runs, at_once)
            bound = result["pages"] * LATENCY_MS / 1000 / budget
            rows.append([label, len(runs), at_once, result["conversations"], result["pages"],
                         f"{result['wall_s']:.1f}", f"{result['longest_s']:.1f}", f"{bound:.1f}"])
    print(f"\nliveperson-dagster backfill into PostgreSQL, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node() or 'host'}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{LATENCY_MS} ms per request, budget {budget} in flight for all runs together"
          f"{' (quick)' if args.quick else ''}\n")
    print_table(rows)
    print(f"\na run's start-up (a run of an empty day, process start to exit): {startup:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
