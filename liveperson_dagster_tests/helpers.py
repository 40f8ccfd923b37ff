"""Helpers shared by the test modules (fixtures are not here): settings, the tests' environment, days and
what the emulator holds for them, resources and the warehouse, the `dagster` CLI, subprocesses in their own process
groups, polling with deadlines, PostgreSQL databases made for one test, dlt working dirs and secret scans."""

import base64
import gzip
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Optional, Union

import dlt
import duckdb
from dlt.common.normalizers.json.relational import DataItemNormalizer
import psutil
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster_dlt import DagsterDltResource

from liveperson_emulator import Emulator
from liveperson_dagster.assets import build_assets
from liveperson_dagster.checks import build_checks
from liveperson_dagster.liveperson import HttpSettings, LivePersonClient, LivePersonConnection, Window
from liveperson_dagster.liveperson.api_constants import ALL_CONTENT_PARTS
from liveperson_dagster.liveperson.columns import nested_hints_of
from liveperson_dagster.liveperson.records import (CHAT_ENGAGEMENT_COLUMNS, CONVERSATION_COLUMNS, STATUS_CHANGE_COLUMNS,
                                                   is_partial, status_change_row)
from liveperson_dagster.liveperson.windows import utc_from_ms
from liveperson_dagster.liveperson.replacement import DELETED_COLUMN_HINT
from liveperson_dagster.runs.partitions import daily_partitions, hourly_partitions
from liveperson_dagster.resources import PIPELINE_NAME, LivePersonCredentials, LivePersonWarehouse
from liveperson_dagster.config import ProjectSettings, connection_from_variables
from liveperson_dagster.translator import OPERATIONS_RESOURCES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DAGSTER = str(BIN / "dagster")
DEFINITIONS = "liveperson_dagster.definitions"
CONVERSATIONS = "liveperson/conversations"

# Retries as in production, only with pauses short enough for a test suite.
FAST_HTTP = HttpSettings(
    request_timeout_seconds=5.0,
    max_attempts=6,
    backoff_base_seconds=0.005,
    max_backoff_seconds=0.05,
    min_rate_limit_wait_seconds=0.005,
)

# The days of the emulators of the `start_emulator` fixture.
FIRST_DAY = date(2026, 11, 1)
LAST_DAY = date(2026, 11, 10)
# The settings of the suite's emulators (conftest.start_emulator), unless a test says otherwise.
EMULATOR_SETTINGS = {"first_day": FIRST_DAY, "last_day": LAST_DAY, "conversations_per_day": 30}


# The tests' environment: the settings that are removed before the session and before each test

# The suite's own switches (set by CI, read by require_postgres and require_chromium): the LIVEPERSON_* variables
# the tests see.
SUITE_VARIABLES = frozenset({"LIVEPERSON_REQUIRE_POSTGRES", "LIVEPERSON_REQUIRE_CHROMIUM"})
# dlt reads its configuration from variables named <SECTION>__<KEY>[__...], and some DLT_* variables.
DLT_SECTIONS = frozenset({"DESTINATION", "NORMALIZE", "DATA_WRITER", "SOURCES", "LOAD", "EXTRACT", "RUNTIME",
                          "PIPELINES", "SCHEMA"})


def is_outside_setting(name: str) -> bool:
    """Whether a variable of the environment the tests were started in would change what the product does:
    LIVEPERSON_* (except the suite's own switches), dlt's configuration variables and DAGSTER_HOME. Tests that
    need one set it themselves."""
    if name in SUITE_VARIABLES:
        return False
    if name.startswith(("LIVEPERSON_", "DLT_")) or name == "DAGSTER_HOME":
        return True
    return "__" in name and name.split("__", 1)[0] in DLT_SECTIONS


def remove_outside_settings(monkeypatch: pytest.MonkeyPatch) -> list:
    """Removes every outside setting from os.environ with `monkeypatch` (which puts them back when undone);
    returns their names."""
    names = sorted(name for name in os.environ if is_outside_setting(name))
    for name in names:
        monkeypatch.delenv(name)
    return names


# Days and what the emulator holds for them

Day = Union[date, str]


def utc_window(first: Day, last: Optional[Day] = None) -> tuple:
    """[first 00:00 UTC, day after last 00:00 UTC): the UTC days `first` to `last` (both included; `last` is
    `first` when not given), as dates or ISO dates."""
    first = date.fromisoformat(first) if isinstance(first, str) else first
    last = first if last is None else date.fromisoformat(last) if isinstance(last, str) else last
    return (datetime(first.year, first.month, first.day, tzinfo=timezone.utc),
            datetime(last.year, last.month, last.day, tzinfo=timezone.utc) + timedelta(days=1))


def day_keys(first: str, last: str) -> list:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def expected_ids(emulator, first: str, last: str) -> list:
    return sorted(emulator.conversation_ids(*utc_window(first, last)))


def expected_message_records(emulator, first: str, last: str) -> int:
    return sum(len(record.get("messageRecords") or []) for record in emulator.conversations(*utc_window(first, last)))


# The LivePerson API and the Dagster resources

def connection_for(emulator: Emulator, oauth2: bool = False, http: HttpSettings = FAST_HTTP) -> LivePersonConnection:
    return connection_from_variables(emulator.env(oauth2=oauth2), http=http)


def all_assets(settings: ProjectSettings = ProjectSettings()) -> list:
    """Every asset definition (one per table) as the definitions build them from `settings`."""
    return build_assets(daily_partitions(settings.start_date, settings.timezone),
                        hourly_partitions(settings.operations_start_date or settings.start_date, settings.timezone),
                        settings.destination)


def project_assets(settings: ProjectSettings = ProjectSettings()) -> list:
    """The asset definitions of the group `liveperson`: configuration and daily history."""
    return [definition for definition in all_assets(settings)
            if next(iter(definition.keys)).path[-1] not in OPERATIONS_RESOURCES]


def assets_of(*tables: str, settings: ProjectSettings = ProjectSettings()) -> list:
    """The asset definitions of `tables` (users, conversations, ...), in that order."""
    by_table = {next(iter(definition.keys)).path[-1]: definition for definition in all_assets(settings)}
    return [by_table[table] for table in tables]


ACCOUNT_CONFIG = ("users", "skills", "agent_groups")


def project_checks(max_unknown_percent: float = ProjectSettings().max_unknown_percent) -> list:
    return build_checks(max_unknown_percent)


def credentials_for(emulator, oauth2: bool = False, unset=()) -> LivePersonCredentials:
    env = {name: value for name, value in emulator.env(oauth2=oauth2).items() if name not in unset}
    return LivePersonCredentials(
        account_id=env["LIVEPERSON_ACCOUNT_ID"],
        csds_url=env["LIVEPERSON_CSDS_URL"],
        app_key=env.get("LIVEPERSON_APP_KEY"),
        app_secret=env.get("LIVEPERSON_APP_SECRET"),
        access_token=env.get("LIVEPERSON_ACCESS_TOKEN"),
        access_token_secret=env.get("LIVEPERSON_ACCESS_TOKEN_SECRET"),
        client_id=env.get("LIVEPERSON_CLIENT_ID"),
        client_secret=env.get("LIVEPERSON_CLIENT_SECRET"),
        request_timeout_seconds=FAST_HTTP.request_timeout_seconds,
        backoff_base_seconds=FAST_HTTP.backoff_base_seconds,
        max_backoff_seconds=FAST_HTTP.max_backoff_seconds,
        min_rate_limit_wait_seconds=FAST_HTTP.min_rate_limit_wait_seconds,
    )


def resources_for(emulator, database, oauth2: bool = False, unset=()) -> dict:
    return {
        "dlt": DagsterDltResource(),
        "liveperson": credentials_for(emulator, oauth2, unset),
        "warehouse": LivePersonWarehouse(duckdb_path=str(database)),
    }


# The warehouse

def query(database, sql: str) -> list:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def conversation_ids(database) -> list:
    return sorted(row[0] for row in query(database, "select conversation_id from liveperson.conversations"))


def warehouse_tables(database) -> set:
    if not Path(database).exists():
        return set()
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'liveperson'").fetchall()
    return {row[0] for row in rows}


def warehouse_contents(database) -> dict:
    """Conversation ids (sorted, duplicates kept) and the number of message records."""
    with duckdb.connect(str(database), read_only=True) as connection:
        ids = sorted(row[0] for row in connection.execute(
            "select conversation_id from liveperson.conversations").fetchall())
        (messages,) = connection.execute("select count(*) from liveperson.conversations__message_records").fetchone()
    return {"ids": ids, "message_records": messages}


# The conversations as versions before the columnar records loaded them

def conversation_row(record: dict) -> Optional[dict]:
    """The row of a conversation record as the versions before the columnar records made it: `info.conversationId`
    lifted to `conversation_id`, the start and end times to timestamp columns and `info.isPartial` to `is_partial`
    (false when absent). None for a record without an id or start time."""
    info = record.get("info") or {}
    conversation_id = info.get("conversationId")
    start_ms = info.get("startTimeL")
    if not conversation_id or not isinstance(start_ms, int):
        return None
    end_ms = info.get("endTimeL")
    is_open = not isinstance(end_ms, int) or end_ms <= 0
    if is_open and ("endTime" in info or "endTimeL" in info):
        # An open conversation has endTime "undefined" and endTimeL -1: null, not a text variant of a time column.
        info = {**info, "endTime": None, "endTimeL": None}
    if info.get("latestAgentId") == "":
        info = {**info, "latestAgentId": None}  # no agent yet: null, not a value that is no agent id
    _blank_agent_ids_to_null(record)
    # No survey yet is `latestAgentSurvey: null`: left out, so that no column of nulls (of no type) is planned.
    # A survey, when there is one, loads into its latest_agent_survey__* columns.
    parts = {key: value for key, value in record.items() if not (key == "latestAgentSurvey" and value is None)}
    return {
        "conversation_id": str(conversation_id),
        "start_time": utc_from_ms(start_ms),
        "end_time": None if is_open else utc_from_ms(end_ms),
        "status": info.get("status"),
        "is_partial": is_partial(record),
        **parts,
        "info": info,
    }


# Agent ids of the conversation's parts (bigint columns): an empty string there names no agent.
PART_AGENT_IDS = {"agentParticipants": ("agentId",), "agentParticipantsActive": ("agentId",),
                  "agentParticipantsLeave": ("agentId",), "transfers": ("sourceAgentId", "assignedAgentId"),
                  "interactions": ("assignedAgentId",)}


def _blank_agent_ids_to_null(record: dict) -> None:
    for part, fields in PART_AGENT_IDS.items():
        for item in record.get(part) or ():
            for field in fields:
                if isinstance(item, dict) and item.get(field) == "":
                    item[field] = None


def chat_engagement_row(record: dict) -> Optional[dict]:
    """The row of a chat record as the versions before the columnar records made it."""
    info = record.get("info") or {}
    engagement_id = info.get("engagementId")
    start_ms = info.get("startTimeL")
    if not engagement_id or not isinstance(start_ms, int):
        return None
    end_ms = info.get("endTimeL")
    ended = isinstance(end_ms, int) and end_ms > 0
    return {
        "engagement_id": str(engagement_id),
        "start_time": utc_from_ms(start_ms),
        "end_time": utc_from_ms(end_ms) if ended else None,
        **_without_empty_purchase_fields(record),
    }


def _without_empty_purchase_fields(record: dict) -> dict:
    """A purchase SDE's null fields and `cart` of nulls and no products (as LivePerson sends a purchase without
    them) left out: columns that only ever hold nulls have no type to plan, and dlt warns of them on every load.
    Nothing is lost (a row without the field reads null)."""
    sdes = record.get("sdes")
    events = sdes.get("events") if isinstance(sdes, dict) else None
    if not isinstance(events, list):
        return record
    kept = []
    for event in events:
        purchase = event.get("purchase") if isinstance(event, dict) else None
        cart = purchase.get("cart") if isinstance(purchase, dict) else None
        if isinstance(purchase, dict):
            empty_cart = isinstance(cart, dict) and all(value in (None, []) for value in cart.values())
            event = {**event, "purchase": {key: value for key, value in purchase.items()
                                           if value is not None and not (key == "cart" and empty_cart)}}
        kept.append(event)
    return {**record, "sdes": {**sdes, "events": kept}}



@dlt.source(name="liveperson", schema_contract={"data_type": "freeze"})
def nested_version(pages: Callable[[], Iterable[list]], with_child_keys: bool = False,
                   chat_pages: Callable[[], Iterable[list]] = lambda: ()):
    """The conversations and chats resources of the versions before the columnar records: dict rows, child tables
    nested by dlt's normalizer; the record's key in the child rows only `with_child_keys` (the last of those
    versions)."""
    schema = dlt.current.source_schema()
    schema.remove_type_detection("iso_timestamp")
    if with_child_keys:
        DataItemNormalizer.update_normalizer_config(schema, {"propagation": {"tables": {
            "conversations": {"conversation_id": "conversation_id"},
            "chat_engagements": {"engagement_id": "engagement_id"}}}})

    @dlt.resource(name="conversations", primary_key="conversation_id",
                  write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
                  columns={**CONVERSATION_COLUMNS, **DELETED_COLUMN_HINT}, nested_hints=nested_hints_of("conversations"))
    def conversations():
        for page in pages():
            yield [conversation_row(record) for record in page]

    @dlt.resource(name="chat_engagements", primary_key="engagement_id",
                  write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
                  columns={**CHAT_ENGAGEMENT_COLUMNS, **DELETED_COLUMN_HINT},
                  nested_hints=nested_hints_of("chat_engagements"))
    def chat_engagements():
        for page in chat_pages():
            yield [chat_engagement_row(record) for record in page]

    return conversations, chat_engagements


@dlt.source(name="liveperson", schema_contract={"data_type": "freeze"})
def status_changes_as_rows(pages: Callable[[], Iterable[list]]):
    """The agent status changes resource of the versions before they were Arrow tables: dict rows through dlt's
    row normalizer."""
    dlt.current.source_schema().remove_type_detection("iso_timestamp")

    @dlt.resource(name="agent_status_changes", primary_key="status_change_id",
                  write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
                  columns={**STATUS_CHANGE_COLUMNS, **DELETED_COLUMN_HINT})
    def agent_status_changes():
        for page in pages():
            yield [row for row in map(status_change_row, page) if row is not None]

    return agent_status_changes


def load_with_the_nested_version(emulator, destination, working_dir, day: str) -> None:
    """`day`'s conversations and chats loaded into `destination` as the versions before the columnar records did
    (no child keys)."""
    pipeline = dlt.pipeline(PIPELINE_NAME, destination=destination, dataset_name="liveperson",
                            pipelines_dir=str(working_dir))
    client = LivePersonClient(connection_for(emulator))
    window = Window(*utc_window(day))
    pipeline.run(nested_version(lambda: client.search_conversations(window, ALL_CONTENT_PARTS),
                                chat_pages=lambda: client.search_chat_engagements(window)),
                 loader_file_format="parquet" if destination.destination_name == "duckdb" else None)


# The `dagster` CLI

def cli_env(emulator, database, dagster_home, **extra) -> dict:
    """The environment of a `dagster` command: the emulator's variables and an instance like `make dev`'s."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    # Create the instance's SQLite storage now: commands started together on a new DAGSTER_HOME race to create it.
    with DagsterInstance.from_config(str(dagster_home)):
        pass
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVEPERSON_")}
    return {
        **env,
        **emulator.env(),
        "LIVEPERSON_DUCKDB_PATH": str(database),
        "LIVEPERSON_START_DATE": "2026-11-01",
        "LIVEPERSON_MAX_ATTEMPTS": "6",
        "DAGSTER_HOME": str(dagster_home),
        **extra,
    }


def materialize_cli(env: dict, *args: str, wait: bool = True, timeout: float = 300):
    """`dagster asset materialize` in a process group of its own: (exit code, output), the group stopped if it
    outlives `timeout`; or, with wait=False, the process (the caller stops it: stop_group)."""
    command = [DAGSTER, "asset", "materialize", "-m", "liveperson_dagster.definitions", *args]
    process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    if not wait:
        return process
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        stop_group(process)
    return process.returncode, output


# Time, and polling with a deadline

class FakeTime:
    """A clock that only moves when `sleep` is called; `on_sleep(n)` runs at the n-th sleep (from 1)."""

    def __init__(self, start: float = 0.0, on_sleep: Callable[[int], object] = lambda n: None):
        self.now, self.sleeps, self.on_sleep = start, [], on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.on_sleep(len(self.sleeps))


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05,
               process: Optional[subprocess.Popen] = None, log: Optional[Path] = None):
    """Returns condition()'s first truthy value; fails after `timeout` s, or as soon as `process` has exited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited ({process.returncode}) before {what}{tail(log)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s{tail(log)}")
        time.sleep(interval)


def tail(log: Optional[Path], chars: int = 4000) -> str:
    if log is None or not Path(log).exists():
        return ""
    return "\n--- " + str(log) + " ---\n" + Path(log).read_text(errors="replace")[-chars:]


# Subprocesses

def copy_tracked_files(target: Path) -> Path:
    """The files git tracks (what a clone holds), copied into `target` with their times."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True,
                           timeout=60).stdout.decode().split("\0")
    for name in filter(None, files):
        if (PROJECT_ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, target / name)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_logged(command: list, env: Mapping[str, str], log: Path, cwd: Path = PROJECT_ROOT) -> subprocess.Popen:
    """Starts a command in a process group of its own (so the whole tree can be killed), output to a file (a pipe
    nobody reads would block a chatty process)."""
    with open(log, "wb") as out:
        return subprocess.Popen(command, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def start_materialize(env: Mapping[str, str], log: Path, *args: str) -> subprocess.Popen:
    return start_logged([DAGSTER, "asset", "materialize", "-m", DEFINITIONS, *args], env, log)


def run_materialize(env: Mapping[str, str], log: Path, *args: str, timeout: float = 240) -> tuple:
    """Runs `dagster asset materialize` to its end: (exit code, output, seconds)."""
    started = time.monotonic()
    process = start_materialize(env, log, *args)
    try:
        process.wait(timeout=timeout)
    finally:
        stop_group(process)
    return process.returncode, Path(log).read_text(errors="replace"), time.monotonic() - started


def _group_alive(pgid: int) -> bool:
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return False


def kill_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGKILL to the process and every process it started (like a machine or container dying), then waits
    until none of them is left."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=timeout)
    wait_until(lambda: not _group_alive(process.pid), timeout, "the killed process group to be gone")


def stop_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the group, SIGKILL to what is left after `timeout`; never leaves a process behind."""
    if _group_alive(process.pid):
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(process.pid):
            kill_group(process, timeout)
    process.wait(timeout=timeout)


def process_tree(pid: int) -> list:
    """The process `pid` and every process it has started (psutil handles: each names one process, pid and start
    time, so a pid used again later is not mistaken for it)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE  # a zombie only waits to be reaped
    except psutil.NoSuchProcess:
        return False


def wait_for_no_survivors(processes: Iterable[psutil.Process], pgid: int, timeout: float = 30) -> None:
    """Waits until none of `processes`, and no process of the group `pgid`, is running; fails naming those left
    after `timeout` s. (Processes that outlive their parent are adopted by init: only the group still names them.)"""
    processes = list(processes)

    def survivors() -> list:
        group = []
        for proc in psutil.process_iter():
            try:
                if os.getpgid(proc.pid) == pgid:
                    group.append(proc)
            except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
                continue
        running = {proc.pid: proc for proc in [*processes, *group] if _running(proc)}
        described = []
        for proc in running.values():
            try:
                described.append(f"{proc.pid}: {' '.join(proc.cmdline())[:200]}")
            except psutil.NoSuchProcess:
                continue
        return described

    deadline = time.monotonic() + timeout
    while left := survivors():
        if time.monotonic() > deadline:
            raise AssertionError(f"still running {timeout:.0f} s after the kill:\n" + "\n".join(left))
        time.sleep(0.05)


# Dagster's records of runs

ACTIVE_STATUSES = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def runs_of(env: Mapping[str, str]) -> list:
    """The runs of the instance of `env` (its DAGSTER_HOME), newest first."""
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        return list(instance.get_runs())


def run_failure_message(env: Mapping[str, str], run_id: str) -> str:
    """The message of the run's failure event."""
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (entry,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
    return entry.dagster_event.message


def runs_holding_pool(env: Mapping[str, str], pool: str = "liveperson") -> list:
    """Ids of the runs that queued runs of `pool` wait for: with the pool granularity `run` of
    dagster_home/dagster.yaml, the queue counts every starting, started or canceling run with a step in the pool
    (dagster/_core/op_concurrency_limits_counter.py), `dagster asset materialize` runs included."""
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(filters=RunsFilter(statuses=ACTIVE_STATUSES))
    return [run.run_id for run in runs if run.run_op_concurrency and pool in run.run_op_concurrency.all_pools]


# The webserver's GraphQL API

def graphql(port: int, query: str, variables: Optional[dict] = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise AssertionError(f"GraphQL errors: {answer['errors']}")
    return answer["data"]


# A browser (the report)

# Debian's package `chromium`; Playwright drives it (its own browser downloads are not used).
CHROMIUM = "/usr/bin/chromium"
# Headless as root, and no background connections (this machine's network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def require_chromium() -> str:
    """Chromium's path; skips where it is not installed, unless LIVEPERSON_REQUIRE_CHROMIUM=1 (then fails)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (Debian's package chromium)"
    if os.environ.get("LIVEPERSON_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason}, and LIVEPERSON_REQUIRE_CHROMIUM=1 requires it")
    pytest.skip(f"{reason} (set LIVEPERSON_REQUIRE_CHROMIUM=1 to make this a failure)")


# PostgreSQL

def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    """Skips where no PostgreSQL answers on 127.0.0.1:5432, unless LIVEPERSON_REQUIRE_POSTGRES=1 (then fails)."""
    if postgres_available():
        return
    reason = "no PostgreSQL server answers on 127.0.0.1:5432"
    if os.environ.get("LIVEPERSON_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason}, and LIVEPERSON_REQUIRE_POSTGRES=1 requires one")
    pytest.skip(f"{reason} (set LIVEPERSON_REQUIRE_POSTGRES=1 to make this a failure)")


def _admin_connection():
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                                  connect_timeout=10)
    connection.autocommit = True
    return connection


@contextmanager
def fresh_postgres_database(prefix: str = "lp_dagster_test") -> Iterator[str]:
    """A new, empty database (trust auth, user postgres), dropped afterwards."""
    from psycopg2 import sql

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _execute_as_admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        _execute_as_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _execute_as_admin(statement) -> None:
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def postgres_query(database: str, query: str, params: tuple = ()) -> list:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


# dlt working dirs (the product makes one per run under the temp dir: liveperson-dlt-run-<run id 8>-*)

def dlt_working_dirs(temp_dir: Path) -> list:
    """The runs' working dirs (not the short-lived `liveperson-dlt-read-*` dirs of the asset checks)."""
    return sorted(path for path in Path(temp_dir).glob("liveperson-dlt-run-*")
                  if re.fullmatch(r"liveperson-dlt-run-[0-9a-f]{8}-.+", path.name))


def load_packages(temp_dir: Path, state: str) -> list:
    """Load packages of the runs' pipelines in `state`: new (being normalized), normalized (normalized, being
    loaded) or loaded."""
    return sorted(package for working_dir in dlt_working_dirs(temp_dir)
                  for package in working_dir.glob(f"liveperson/load/{state}/*"))


def jobs(package: Path, folder: str) -> list:
    """Job files of a load package in new_jobs, started_jobs, completed_jobs or failed_jobs."""
    path = package / folder
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else []


# Secret scans

def secret_needles(emulator, extra: Mapping[str, str] = {}) -> dict:
    """Every credential of the emulator and every bearer token it issued, by name; also the OAuth2 pair as an
    HTTP Basic header would carry it, and the OAuth1 signature parameter name."""
    credentials = emulator.credentials
    needles = {name: credentials[name] for name in ("app_secret", "access_token", "access_token_secret",
                                                     "client_secret")}
    basic = f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    needles["client_id:client_secret (base64)"] = base64.b64encode(basic).decode()
    for number, token in enumerate(emulator.issued_tokens()):
        needles[f"bearer token #{number}"] = token
    needles["oauth_signature"] = "oauth_signature"
    needles.update(extra)
    return needles


def _sqlite_text(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        parts = []
        tables = [row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            for row in connection.execute(f'select * from "{table}"'):
                parts.extend(value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                             for value in row)
        return "\n".join(parts)
    finally:
        connection.close()


def _duckdb_text(path: Path) -> str:
    parts = []
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_catalog, table_schema, table_name from information_schema.tables").fetchall()
        for catalog, schema, table in tables:
            for row in connection.execute(f'select * from "{catalog}"."{schema}"."{table}"').fetchall():
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def _parquet_text(path: Path) -> str:
    import pyarrow.parquet as pq

    return json.dumps(pq.read_table(path).to_pylist(), default=str)


def _is_sqlite(raw: bytes) -> bool:
    return raw.startswith(b"SQLite format 3\x00")


def _is_duckdb(raw: bytes) -> bool:
    return raw[8:12] == b"DUCK"


def file_texts(path: Path) -> Iterator[tuple]:
    """What a scan reads of one file: its raw bytes, and the decoded content of SQLite, DuckDB, Parquet and gzip
    files (their storage may compress or split values)."""
    raw = path.read_bytes()
    yield "bytes", raw.decode("latin-1")
    if _is_sqlite(raw):
        yield "sqlite rows", _sqlite_text(path)
    elif _is_duckdb(raw):
        yield "duckdb rows", _duckdb_text(path)
    elif raw[:4] == b"PAR1":
        yield "parquet rows", _parquet_text(path)
    elif raw[:2] == b"\x1f\x8b":
        yield "gunzipped", gzip.decompress(raw).decode("latin-1")


def scan(roots: Iterable[Path], texts: Mapping[str, str], needles: Mapping[str, str]) -> tuple:
    """({needle name: [where it was found]}, files read) over every file under `roots` and the named `texts`."""
    found = {name: [] for name in needles}
    files = 0
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        for path in [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()):
            files += 1
            for kind, content in file_texts(path):
                for name, needle in needles.items():
                    if needle and needle in content:
                        found[name].append(f"{path} ({kind})")
    for label, content in texts.items():
        for name, needle in needles.items():
            if needle and needle in content:
                found[name].append(label)
    return found, files
