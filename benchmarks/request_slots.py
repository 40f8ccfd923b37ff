"""Request slots benchmark: what sharing the account's budget between the runs of a machine costs. Runs (each a
process of its own) fetch conversation pages (summaries only: the handing over of slots is measured, not parsing)
from the emulator, in this process, with a latency per request:

- one run with the in-process limiter only (as before the slots), and one run with the slots: their cost alone;
- two runs at once sharing the slots, against the same two fetches in one process under one in-process limiter
  (the budget held with no polling): what waiting for a slot loses, a freed slot staying unused until a waiting
  thread tries again;
- two runs at once with a slot dir each (as before the slots, or on two machines): faster, over the budget.

    python benchmarks/request_slots.py [--latency-ms 150] [--concurrency 4]   # 5 repeats, about a minute
    python benchmarks/request_slots.py --quick                                 # to check the script itself
"""

import argparse
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, datetime, time as day_time, timedelta, timezone
from multiprocessing import get_context

from liveperson_dagster.config import connection_from_variables
from liveperson_dagster.liveperson import HttpSettings, LivePersonClient, Window
from liveperson_dagster.liveperson import api_constants
from liveperson_dagster.liveperson.client import account_limiter
from liveperson_dagster.liveperson.slots import AccountLimiter
from liveperson_emulator import Emulator, EmulatorConfig

FIRST_DAY = date(2026, 10, 1)


def run(variables: dict, windows: list, concurrency: int, slots_dir) -> tuple:
    """One process fetching `windows` ((first day, days) each, a thread each) under one limiter; slots_dir None: the
    in-process limiter only. (started, ended, pages) of the fetch, domains resolved before it starts."""
    http = HttpSettings(max_concurrent_requests=concurrency, request_slots_dir=slots_dir)
    connection = connection_from_variables(variables, http=http)
    limiter = AccountLimiter(concurrency) if slots_dir is None else account_limiter(connection)
    clients = [LivePersonClient(connection, limiter=limiter) for _ in windows]
    for client in clients:
        client.domains.base_url(api_constants.MESSAGING_HISTORY_SERVICE)

    def fetch(client: LivePersonClient, first: date, days: int) -> None:
        start = datetime.combine(first, day_time(), timezone.utc)
        for _ in client.search_conversations(Window(start, start + timedelta(days=days)), ("summary",)):
            pass

    started = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine
    with ThreadPoolExecutor(len(windows)) as threads:
        for done in [threads.submit(fetch, client, *window) for client, window in zip(clients, windows)]:
            done.result()
    return started, time.monotonic(), sum(client.stats.count("pages") for client in clients)


def together(pool: ProcessPoolExecutor, emulator: Emulator, runs: list) -> tuple:
    """Starts `runs` (arguments of run) at once: (seconds from the first start to the last end, pages, the
    emulator's most requests in flight)."""
    emulator.stats.reset()
    results = [future.result() for future in [pool.submit(run, *arguments) for arguments in runs]]
    seconds = max(ended for _, ended, _ in results) - min(started for started, _, _ in results)
    return seconds, sum(pages for _, _, pages in results), emulator.stats["max_in_flight"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    per_day, days, repeats = (300, 1, 1) if args.quick else (1500, 2, 5)
    config = EmulatorConfig(first_day=FIRST_DAY, last_day=FIRST_DAY + timedelta(days=4 * days),
                            conversations_per_day=per_day, latency_ms=args.latency_ms)
    n = args.concurrency
    with Emulator(config) as emulator, tempfile.TemporaryDirectory() as scratch, \
            ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        variables = emulator.env()
        a, b = (FIRST_DAY, days), (FIRST_DAY + timedelta(days=2 * days), days)  # two runs fetch different days
        shared, own = f"{scratch}/shared", f"{scratch}/own-"
        scenarios = {
            "one run, in-process limiter only": [(variables, [a], n, None)],
            "one run, slots": [(variables, [a], n, shared)],
            "two fetches in one process, one limiter": [(variables, [a, b], n, None)],
            "two runs, shared slots": [(variables, [a], n, shared), (variables, [b], n, shared)],
            "two runs, a slot dir each": [(variables, [a], n, own + "a"), (variables, [b], n, own + "b")],
        }
        together(pool, emulator, scenarios["two runs, a slot dir each"])  # generates the days, starts both workers
        figures = {name: [] for name in scenarios}
        for _ in range(repeats):
            for name, runs in scenarios.items():
                figures[name].append(together(pool, emulator, runs))
    print(f"liveperson-dagster request slots: {args.latency_ms} ms per request, budget {n}, "
          f"{platform.machine()}, Python {platform.python_version()}, median of {repeats}")
    medians = {name: statistics.median(seconds for seconds, _, _ in results) for name, results in figures.items()}
    for name, results in figures.items():
        pages, most = results[0][1], max(m for _, _, m in results)
        bound = pages * args.latency_ms / 1000 / n
        print(f"  {name:41} {pages:4} pages  {medians[name]:6.2f} s  ({medians[name] / bound:4.2f}x the network "
              f"bound at {n} in flight)  most in flight {most}")
    alone = medians["one run, slots"] / medians["one run, in-process limiter only"] - 1
    shared = medians["two runs, shared slots"] / medians["two fetches in one process, one limiter"] - 1
    print(f"slots against the in-process limiter: one run {alone:+.1%}; two runs sharing the budget {shared:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
