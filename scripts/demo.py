"""`make demo`: the local emulator, then the account configuration and the last three complete days of every daily
asset (conversations, agent status changes, chats) materialized with the `dagster` CLI into the default DuckDB
file, in one run, then the marts of those days (dbt, schema liveperson_marts), and the
contact-center report (HTML) on them, then the Messaging Operations metrics of the last complete hour, then rows per
table, a few figures from the marts and the report's path.

`make demo ACCOUNTS=2` (`--accounts 2`): two emulated accounts (one emulator each, different data), in different time
zones, listed in an accounts file (data/demo_accounts.yaml, LIVEPERSON_ACCOUNTS_FILE): each account's days loaded
in its own group (`group:liveperson_<name>`), then the marts of both, then rows per table of each account's dataset
and the marts' conversations per account."""

import argparse
import contextlib
import os

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from with_emulator import running_emulator  # noqa: E402

import duckdb  # noqa: E402

from liveperson_dagster.constants import MARTS_GROUP
from liveperson_dagster.marts import MARTS_SCHEMA  # noqa: E402
from liveperson_dagster.resources import DATASET_NAME, warehouse_resource  # noqa: E402
from liveperson_dagster.config import ProjectSettings, SettingsError  # noqa: E402
from liveperson_dagster.translator import CONFIG_RESOURCES, DAILY_RESOURCES, OPERATIONS_RESOURCES  # noqa: E402

DAGSTER = str(Path(sys.executable).with_name("dagster"))


def materialize(env: dict, *args: str) -> None:
    command = [DAGSTER, "asset", "materialize", "-m", "liveperson_dagster.definitions", *args]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def rows_per_table(database: str, dataset: str = DATASET_NAME) -> list:
    with duckdb.connect(database, read_only=True) as connection:
        tables = [row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\' order by table_name", [dataset]).fetchall()]
        return [(t, connection.execute(f'select count(*) from "{dataset}"."{t}"').fetchone()[0]) for t in tables]


# Headline figures of the marts, per day.
FIGURES_SQL = f"""
select c.day, count(*) as conversations,
       round(median(c.first_response_seconds), 1) as median_first_response_seconds,
       round(avg(case when c.csat >= 1 then c.csat end), 2) as avg_csat,
       (select round(sum(s.seconds) / 3600, 1) from {MARTS_SCHEMA}.fct_agent_status_daily s
        where s.day = c.day and s.status = 'ONLINE') as agent_hours_online
from {MARTS_SCHEMA}.fct_conversations c
group by c.day order by c.day
"""


def print_figures(database: str) -> None:
    with duckdb.connect(database, read_only=True) as connection:
        cursor = connection.execute(FIGURES_SQL)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    widths = [max(len(name), *(len(str(row[index])) for row in rows)) for index, name in enumerate(names)]
    print(f"\nThe marts (schema {MARTS_SCHEMA}), per day:")
    for line in (names, *rows):
        print("  " + "  ".join(f"{str(value):>{width}}" for value, width in zip(line, widths)))


# The demo's accounts: name, account id and time zone (the emulator of each serves its own data).
DEMO_ACCOUNTS = (("brand_a", "13350576", "Europe/Paris"), ("brand_b", "13350577", "America/New_York"),
                 ("brand_c", "13350578", "Asia/Kathmandu"))


def demo_accounts_file(path: Path, emulators: dict) -> None:
    """The accounts file of the emulated accounts (`emulators`: name -> (environment, zone)); the credentials are
    in <NAME>_APP_KEY ... (never in the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("accounts:\n" + "".join(
        f"  {name}:\n    account_id: \"{env['LIVEPERSON_ACCOUNT_ID']}\"\n    credentials: {name.upper()}\n"
        f"    csds_url: {env['LIVEPERSON_CSDS_URL']}\n    timezone: {zone}\n"
        for name, (env, zone) in emulators.items()))


def several_accounts(settings: ProjectSettings, count: int) -> int:
    accounts = DEMO_ACCOUNTS[:count]
    with contextlib.ExitStack() as stack:
        emulators = {}
        for name, account_id, zone in accounts:
            today = datetime.now(ZoneInfo(zone)).date()
            env = stack.enter_context(running_emulator(["--account", account_id,
                                                        "--days", f"{today - timedelta(days=30)}:{today}"]))
            emulators[name] = (env, zone)
        accounts_file = Path(settings.duckdb_path).expanduser().resolve().with_name("demo_accounts.yaml")
        demo_accounts_file(accounts_file, emulators)
        env = dict(os.environ)  # the user's settings; each account's own are in the file
        for name, (account_env, _) in emulators.items():
            env.update({variable.replace("LIVEPERSON", name.upper()): value for variable, value in account_env.items()
                        if variable not in ("LIVEPERSON_ACCOUNT_ID", "LIVEPERSON_CSDS_URL")})
        env["LIVEPERSON_ACCOUNTS_FILE"] = str(accounts_file)
        print(f"Accounts file {accounts_file}:\n{accounts_file.read_text()}", flush=True)
        try:
            for name, (_, zone) in emulators.items():
                today = datetime.now(ZoneInfo(zone)).date()
                first, last = today - timedelta(days=3), today - timedelta(days=1)
                print(f"{name}: loading {first} .. {last} ({zone})", flush=True)
                materialize(env, "--select", f"group:liveperson_{name}", "--partition-range", f"{first}...{last}")
            materialize(env, "--select", f"group:{MARTS_GROUP}")
        except subprocess.CalledProcessError as failure:
            print(failure.stderr[-4000:], file=sys.stderr)
            print(f"demo failed: {' '.join(failure.cmd[1:])} exited with {failure.returncode}", file=sys.stderr)
            return 1
    database = settings.duckdb_path
    for name, _, _ in accounts:
        counts = rows_per_table(database, f"{DATASET_NAME}_{name}")
        print(f"\nRows per table in {database} (dataset {DATASET_NAME}_{name}):")
        for table, rows in counts:
            print(f"  {table:<40}  {rows:>8}")
        if not dict(counts).get("conversations"):
            print(f"demo failed: no conversations of {name}", file=sys.stderr)
            return 1
    with duckdb.connect(database, read_only=True) as connection:
        per_account = connection.execute(
            f"select account_name, account_id, min(day), max(day), count(*) from {MARTS_SCHEMA}.fct_conversations "
            "group by 1, 2 order by 1").fetchall()
    print(f"\nThe marts (schema {MARTS_SCHEMA}), conversations per account:")
    for name, account_id, first_day, last_day, rows in per_account:
        print(f"  {name} ({account_id}): {rows} conversations, {first_day} .. {last_day}")
    report = warehouse_resource(settings).report_file()
    print(f"\nThe contact-center report, a page per account:\n  {report.as_uri()}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make demo")
    parser.add_argument("--accounts", type=int, default=1, choices=range(1, len(DEMO_ACCOUNTS) + 1),
                        help="emulated accounts (ACCOUNTS=2: two, each with its own data and time zone)")
    arguments = parser.parse_args(argv)
    try:
        settings = ProjectSettings.from_env()  # a mistake is one line before the emulator or a run starts
    except SettingsError as error:
        print(f"make demo: {error}", file=sys.stderr)
        return 2
    if arguments.accounts > 1:
        return several_accounts(settings, arguments.accounts)
    now = datetime.now(ZoneInfo(settings.timezone))
    today = now.date()
    last_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    first, last = today - timedelta(days=3), today - timedelta(days=1)
    emulator_days = f"{today - timedelta(days=30)}:{today}"
    with running_emulator(["--days", emulator_days]) as env:
        print(f"LivePerson emulator at {env['LIVEPERSON_CSDS_URL']}; loading {first} .. {last}", flush=True)
        try:
            # The days and their marts in one run: one command's start-up (the definitions' imports) instead of two.
            materialize(env, "--select", f"group:liveperson,group:{MARTS_GROUP}", "--partition-range", f"{first}...{last}")
            # Messaging Operations: the last complete hour (LivePerson keeps 24 hours).
            materialize(env, "--select", "group:liveperson_operations", "--partition", last_hour.strftime("%Y-%m-%d-%H:00"))
        except subprocess.CalledProcessError as failure:
            print(failure.stderr[-4000:], file=sys.stderr)
            print(f"demo failed: {' '.join(failure.cmd[1:])} exited with {failure.returncode}", file=sys.stderr)
            return 1
    database = settings.duckdb_path
    counts = rows_per_table(database)
    width = max(len(name) for name, _ in counts)
    print(f"\nRows per table in {database} (dataset {DATASET_NAME}):")
    for name, count in counts:
        print(f"  {name:<{width}}  {count:>8}")
    loaded = dict(counts)
    empty = [name for name in (*CONFIG_RESOURCES, *DAILY_RESOURCES, *OPERATIONS_RESOURCES) if not loaded.get(name)]
    if empty:
        print(f"demo failed: no rows in {', '.join(empty)}", file=sys.stderr)
        return 1
    print_figures(database)
    report = warehouse_resource(settings).report_file()
    if not report.is_file():
        print(f"demo failed: no report at {report}", file=sys.stderr)
        return 1
    print(f"\nThe contact-center report (open it in a browser; it needs no network):\n  {report.as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
