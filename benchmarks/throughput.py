"""Throughput benchmark: the project's pipeline against the sketch's plain dlt `rest_api` baseline, on the local
emulator (its own process) with a given latency and volume. Prints one table and the targets of the issue.

    python benchmarks/throughput.py            # full run (several minutes)
    python benchmarks/throughput.py --quick    # small volumes, to check the script itself
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE))
from with_emulator import running_emulator  # noqa: E402
from startup import print_figures as print_import_times  # noqa: E402

from liveperson_dagster.liveperson import HttpSettings, api_constants  # noqa: E402

FIRST_DAY = date(2026, 10, 1)
# Conversations per second of `dagster asset materialize` over 100,000 conversations without latency when issue 27
# (columnar records) was filed: its target is three times this.
CLI_RATE_BEFORE_COLUMNAR = 800


def emulator_args(latency_ms: int, per_day: int, days: int) -> list:
    """The emulator serializes its records before it listens (--serialize-ahead): it shares the two cores with the
    run measured, and answering should cost it as little CPU as an independent server's would cost this machine."""
    last = FIRST_DAY + timedelta(days=days - 1)
    return ["--latency-ms", str(latency_ms), "--conversations-per-day", str(per_day), "--days", f"{FIRST_DAY}:{last}",
            "--serialize-ahead"]


def measure(env: dict, mode: str, days: int, concurrency: int, daily: bool = False) -> dict:
    last = FIRST_DAY + timedelta(days=days - 1)
    command = [sys.executable, str(HERE / "pipeline_run.py"), mode, str(FIRST_DAY), str(last),
               "--concurrency", str(concurrency)] + (["--daily"] if daily else [])
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:])} failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def cli_end_to_end(env: dict, first: date, last: date) -> dict:
    """`dagster asset materialize` of the conversations of the days `first` to `last` (one run), from process start
    to exit, with the default settings, into a fresh DuckDB file and instance; peak RSS of the command and every
    process it starts."""
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        shutil.copy(HERE.parent / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        run_env = {**env, "DAGSTER_HOME": str(home), "LIVEPERSON_START_DATE": FIRST_DAY.isoformat(),
                   "LIVEPERSON_DUCKDB_PATH": str(Path(scratch) / "warehouse.duckdb")}
        command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m",
                   "liveperson_dagster.definitions", "--select", "liveperson/conversations"]
        command += ["--partition", str(first)] if first == last else ["--partition-range", f"{first}...{last}"]
        started = time.monotonic()
        # Its log to a file: a pipe nobody reads while the run goes on would stop it once the pipe is full.
        with open(Path(scratch) / "command.log", "w+") as log:
            process = subprocess.Popen(command, env=run_env, cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=log)
            peak_mb = tree_peak_rss_mb(process)
            process.wait()
            wall_s = time.monotonic() - started
            if process.returncode != 0:
                log.seek(0)
                raise SystemExit(f"{' '.join(command[1:])} failed:\n{log.read()[-3000:]}")
        with duckdb.connect(str(Path(scratch) / "warehouse.duckdb"), read_only=True) as connection:
            (conversations,) = connection.execute("select count(*) from liveperson.conversations").fetchone()
    # The search's pages of the run (one search over the run's window, 100 conversations a page).
    pages = -(-conversations // api_constants.SEARCH_PAGE_SIZE)
    return {"wall_s": wall_s, "peak_rss_mb": peak_mb, "conversations": conversations, "pages": pages}


def tree_peak_rss_mb(process: subprocess.Popen, interval_s: float = 0.05) -> float:
    """Samples the resident memory of `process` and its descendants, summed, until it exits."""
    peak, root = 0.0, psutil.Process(process.pid)
    while process.poll() is None:
        total = 0
        try:
            for member in [root, *root.children(recursive=True)]:
                total += member.memory_info().rss
        except psutil.Error:
            pass  # a process that just ended
        peak = max(peak, total / 2**20)
        time.sleep(interval_s)
    return peak


def network_bound_s(result: dict, latency_ms: int, concurrency: int) -> float:
    """The time the run's pages take at `latency_ms` each, `concurrency` at a time: no run can be faster."""
    return result["pages"] * latency_ms / 1000 / concurrency


def row(label: str, result: dict, latency_ms: int, concurrency: int) -> list:
    """The table's row of a run; a CLI run (`cli_end_to_end`) reports no phases."""
    phases = ([f"{result['extract_s']:.1f}", f"{result['normalize_s']:.1f}", result.get("normalize_workers", 1)]
              if "extract_s" in result else ["-", "-", "-"])
    return [label, result["conversations"], result["pages"], f"{result['wall_s']:.1f}", *phases,
            f"{result['conversations'] / result['wall_s']:.0f}", f"{result['peak_rss_mb']:.0f}",
            f"{network_bound_s(result, latency_ms, concurrency):.1f}"]


def print_table(rows: list) -> None:
    header = ["run", "conversations", "pages", "wall s", "fetch s", "normalize s", "workers", "conv/s",
              "peak RSS MB", "network bound s"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scale = 0.05 if args.quick else 1.0
    concurrency = HttpSettings().max_concurrent_requests
    rows, checks = [], []

    # 1. 20,000 conversations with full content at 100 ms: sketch baseline, concurrency 1, default concurrency.
    per_day = int(10_000 * scale)
    with running_emulator(emulator_args(100, per_day, 2)) as env:
        sketch = measure(env, "sketch", 2, 1)
        single = measure(env, "own", 2, 1)
        default = measure(env, "own", 2, concurrency)
    rows += [row("sketch rest_api, 100 ms", sketch, 100, 1), row("own, concurrency 1, 100 ms", single, 100, 1),
             row(f"own, concurrency {concurrency}, 100 ms", default, 100, concurrency)]
    speedup = sketch["wall_s"] / default["wall_s"]
    checks.append((f"own vs sketch at 100 ms: {speedup:.1f}x faster (own concurrency 1: "
                   f"{sketch['wall_s'] / single['wall_s']:.1f}x)", "at least 5x", speedup >= 5))

    # 2. Fetch phase at 200 ms against the network bound.
    with running_emulator(emulator_args(200, per_day, 2)) as env:
        slow = measure(env, "own", 2, concurrency)
    rows.append(row(f"own, concurrency {concurrency}, 200 ms", slow, 200, concurrency))
    ratio = slow["extract_s"] / network_bound_s(slow, 200, concurrency)
    checks.append((f"fetch phase at 200 ms: {ratio:.2f}x the network bound", "at most 1.3x", ratio <= 1.3))

    # 3. Peak memory: 100,000 conversations against 10,000.
    with running_emulator(emulator_args(0, int(10_000 * scale), 10)) as env:
        large = measure(env, "own", 10, concurrency)
        small = measure(env, "own", 1, concurrency)
    rows += [row("own, 10 days, no latency", large, 0, concurrency), row("own, 1 day, no latency", small, 0, concurrency)]
    growth = large["peak_rss_mb"] / small["peak_rss_mb"]
    checks.append((f"peak RSS {large['conversations']} vs {small['conversations']} conversations: {growth:.2f}x",
                   "at most 1.25x", growth <= 1.25))

    # 4. Thirty days in one run against thirty single-day runs.
    with running_emulator(emulator_args(100, int(300 * max(scale, 0.2)), 30)) as env:
        ranged = measure(env, "own", 30, concurrency)
        daily = measure(env, "own", 30, concurrency, daily=True)
    rows += [row("own, 30 days in one run", ranged, 100, concurrency),
             row("own, 30 single-day runs", daily, 100, concurrency)]
    cost = ranged["wall_s"] / daily["wall_s"]
    checks.append((f"30-day range in one run: {cost:.2f}x the cost of thirty single days", "at most 1.15x", cost <= 1.15))

    # 5. The whole command at 200 ms, as users run it.
    cli_per_day = int(20_000 * scale)
    with running_emulator(emulator_args(200, cli_per_day, 1)) as env:
        cli = cli_end_to_end(env, FIRST_DAY, FIRST_DAY)
    rows.append(row("CLI end to end, 200 ms", cli, 200, concurrency))
    cli_bound = network_bound_s(cli, 200, concurrency)
    checks.append((f"CLI end to end at 200 ms: {cli['wall_s'] / cli_bound:.2f}x the network bound",
                   "at most 1.5x", cli["wall_s"] <= 1.5 * cli_bound))
    checks.append((f"CLI end to end at 200 ms (issue 27): {cli['wall_s'] / cli_bound:.2f}x the network bound",
                   "at most 2x", cli["wall_s"] <= 2 * cli_bound))

    # 6. The whole command without latency: ten days in one run (a range) against one day.
    with running_emulator(emulator_args(0, int(10_000 * scale), 10)) as env:
        cli_large = cli_end_to_end(env, FIRST_DAY, FIRST_DAY + timedelta(days=9))
        cli_small = cli_end_to_end(env, FIRST_DAY, FIRST_DAY)
    rows += [row("CLI end to end, 10 days, no latency", cli_large, 0, concurrency),
             row("CLI end to end, 1 day, no latency", cli_small, 0, concurrency)]
    rate = cli_large["conversations"] / cli_large["wall_s"]
    checks.append((f"CLI end to end, {cli_large['conversations']} conversations without latency: {rate:.0f}/s, "
                   f"{rate / CLI_RATE_BEFORE_COLUMNAR:.2f}x the {CLI_RATE_BEFORE_COLUMNAR}/s of issue 27",
                   "at least 3x", rate >= 3 * CLI_RATE_BEFORE_COLUMNAR))
    cli_growth = cli_large["peak_rss_mb"] / cli_small["peak_rss_mb"]
    checks.append((f"CLI peak RSS {cli_large['conversations']} vs {cli_small['conversations']} conversations: "
                   f"{cli_growth:.2f}x", "at most 1.15x", cli_growth <= 1.15))

    print(f"\nliveperson-dagster throughput, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node() or 'host'}: "
          f"{os.cpu_count()} cores, Python {platform.python_version()}{' (quick)' if args.quick else ''}\n")
    print_table(rows)
    print()
    for text, target, met in checks:
        print(f"{'met ' if met else 'MISS'}  {text} (target: {target})")
    print()
    print_import_times(repeats=3)  # what every command pays before its run starts, beside the libraries alone
    return 0


if __name__ == "__main__":
    sys.exit(main())
