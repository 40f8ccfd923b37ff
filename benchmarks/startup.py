"""Start-up benchmark: what loading the definitions costs every command (`dg launch`, `dagster asset materialize`,
a code server), beside what importing Dagster, dlt, dagster-dlt and dagster-dbt alone costs. Each figure is a fresh
Python process importing one module (wall and CPU seconds, min/median/max of the repeats); "definitions, own" is
the definitions less their libraries, measured in one process after importing those.

    python benchmarks/startup.py [--repeats 7]
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile

MEASURE = """
import time
wall, cpu = time.perf_counter(), time.process_time()
{setup}
wall, cpu = time.perf_counter(), time.process_time()
import {module}
print(time.perf_counter() - wall, time.process_time() - cpu)
"""
LIBRARIES = "import dagster, dlt, dagster_dlt, dagster_dbt"
ROWS = (
    ("dagster", "dagster", ""),
    ("dlt", "dlt", ""),
    ("dagster_dlt (with dagster, dlt)", "dagster_dlt", ""),
    ("dagster_dbt (with dagster, dbt-core)", "dagster_dbt", ""),
    ("definitions, whole", "liveperson_dagster.definitions", ""),
    ("definitions, own (libraries imported first)", "liveperson_dagster.definitions", LIBRARIES),
)


def measure(module: str, setup: str, env: dict) -> tuple:
    done = subprocess.run([sys.executable, "-c", MEASURE.format(module=module, setup=setup)], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def spread(values: list) -> str:
    return f"{min(values):5.2f} {statistics.median(values):5.2f} {max(values):5.2f}"


def print_figures(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        # The definitions read LIVEPERSON_* when they load: defaults only, and an instance of their own.
        env = {key: value for key, value in os.environ.items() if not key.startswith("LIVEPERSON_")}
        env["DAGSTER_HOME"] = home
        measure("liveperson_dagster.definitions", "", env)  # warm the file cache and a missing dbt manifest
        print(f"Start-up, {repeats} processes each ({platform.python_version()}, {os.cpu_count()} cores)")
        print(f"{'import':46} {'wall s: min   med   max':24} {'CPU s: min   med   max':22}")
        for label, module, setup in ROWS:
            figures = [measure(module, setup, env) for _ in range(repeats)]
            print(f"{label:46} {spread([w for w, _ in figures]):24} {spread([c for _, c in figures]):22}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    print_figures(parser.parse_args().repeats)


if __name__ == "__main__":
    main()
