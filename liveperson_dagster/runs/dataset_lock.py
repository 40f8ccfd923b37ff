"""Loads into one PostgreSQL dataset, one at a time. Two runs loading at once race: both create the schema or a
new table (`pg_type_typname_nsp_index`), and both use dlt's one staging dataset, so one run's merge can take the
other's staged rows (`conversations__dlt_id_key`). A load holds a PostgreSQL advisory lock named after the dataset:
the server provides it to runs on any machine, and frees it when the holding session ends (a killed run).

A waiting load polls for the lock rather than block in `pg_advisory_lock`: it says which session holds it, again
every minute, and gives up after LIVEPERSON_POSTGRES_LOCK_TIMEOUT_SECONDS instead of waiting forever, silently.

The run's other statements can wait for PostgreSQL's own locks: a table an analyst's open transaction locked, which
a load's DDL or replace must lock alone. Those are bounded by the same setting (lock_timeout, `with_lock_timeout`), and
`postgres_lock_waits` says every minute which session holds what they wait for."""

import hashlib
import os
import threading
import time
from contextlib import closing, contextmanager
from typing import Callable, Iterator, Optional

import dlt

from ..config import variable
from ..liveperson.errors import causes
from ..liveperson.waiting import seconds_text, wait_for

TIMEOUT_SETTING = variable("postgres_lock_timeout_seconds")
POLL_SECONDS = 1.0
REPORT_EVERY_SECONDS = 60.0
# The session holding a bigint advisory lock: pg_locks splits the key into classid (high 32 bits) and objid (low).
_HOLDER = """
select l.pid, a.application_name, a.client_addr, a.backend_start
from pg_locks l left join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted and l.objsubid = 1
  and l.database = (select oid from pg_database where datname = current_database())
  and l.classid::bigint = %s and l.objid::bigint = %s
"""


# The sessions holding a lock that sessions of this process wait for (named by application_name(), see below).
_BLOCKERS = """
select distinct b.pid, b.application_name, b.state, b.xact_start
from pg_stat_activity w cross join lateral unnest(pg_blocking_pids(w.pid)) as blocker(pid)
join pg_stat_activity b on b.pid = blocker.pid
where w.application_name = %s and w.wait_event_type = 'Lock'
order by b.pid
"""
LOCK_TIMEOUT_SQLSTATE = "55P03"  # lock_not_available: what a statement raises once lock_timeout has passed


class DatasetLockTimeout(Exception):
    """Another session held the dataset's load lock for longer than the timeout."""


def advisory_key(dataset_name: str) -> int:
    """A stable signed 64-bit key for the dataset (advisory locks are per database already)."""
    digest = hashlib.sha1(f"liveperson-dagster load:{dataset_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def describe_holder(client, key: int) -> str:
    """The session holding the lock `key`, as PostgreSQL knows it (gone already if it was released meanwhile)."""
    rows = client.execute_sql(_HOLDER, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)
    if not rows:
        return "a session that has just released it"
    pid, application, address, since = rows[0]
    details = [f"application {application}" if application else None, f"from {address}" if address else None,
               f"connected since {since.isoformat(timespec='seconds')}" if since else None]
    return f"PostgreSQL session pid {pid} ({', '.join(d for d in details if d) or 'no details visible'})"


@contextmanager
def postgres_dataset_lock(pipeline: dlt.Pipeline, log: Callable[[str], None], timeout_seconds: float,
                          clock=time.monotonic, sleep=time.sleep, poll_seconds: float = POLL_SECONDS,
                          report_every_seconds: float = REPORT_EVERY_SECONDS) -> Iterator[None]:
    """Holds the dataset's advisory lock, on a session of its own, for the block; logs when it has to wait."""
    with pipeline.sql_client() as client:
        dataset, key = client.dataset_name, advisory_key(client.dataset_name)
        lock = f"another run's load into dataset {dataset} (PostgreSQL advisory lock {key})"

        def report(waited: float, again: bool) -> None:
            after = f" after {seconds_text(waited)} s" if again else ""
            log(f"{'Still waiting' if again else 'Waiting'} for {lock}{after}: held by {describe_holder(client, key)}; giving up after {seconds_text(timeout_seconds)} s "
                f"({TIMEOUT_SETTING})")

        def gave_up(waited: float) -> Exception:
            return DatasetLockTimeout(
                f"Gave up after {seconds_text(waited)} s waiting for {lock}: held by {describe_holder(client, key)}. "
                f"Wait for it to finish (or end that session), or raise {TIMEOUT_SETTING} (now "
                f"{seconds_text(timeout_seconds)}).")

        _, waited = wait_for(lambda: client.execute_sql("select pg_try_advisory_lock(%s)", key)[0][0] or None,
                             timeout_seconds=timeout_seconds, report=report, gave_up=gave_up, poll_seconds=poll_seconds,
                             report_every_seconds=report_every_seconds, clock=clock, sleep=sleep)
        if waited is not None:
            log(f"Loading into dataset {dataset} after waiting {seconds_text(waited)} s: the other run's load "
                f"has ended")
        try:
            yield
        finally:
            client.execute_sql("select pg_advisory_unlock(%s)", key)


def application_name() -> str:
    """How this process's sessions name themselves, for the watcher to find those that wait (no spaces: it travels
    in a URL)."""
    return f"liveperson-dagster-pid-{os.getpid()}"


def with_lock_timeout(credentials, timeout_seconds: float):
    """`credentials` (dlt's PostgresCredentials) for sessions that give up waiting for a lock after `timeout_seconds`
    and name themselves application_name(). dlt opens its sessions with the options of the credentials' query."""
    query = dict(credentials.query or {})
    # 0 would turn lock_timeout off: a timeout of 0 s gives up after a millisecond.
    query["options"] = f"{query.get('options', '')} -c lock_timeout={max(1, round(timeout_seconds * 1000))}".strip()
    query["application_name"] = application_name()
    credentials.query = query
    return credentials


@contextmanager
def postgres_lock_waits(pipeline: dlt.Pipeline, log: Callable[[str], None], timeout_seconds: float,
                        report_every_seconds: Optional[float] = None) -> Iterator[None]:
    """For the block (a run's use of `pipeline`, whose sessions have `with_lock_timeout` credentials): a statement
    that gave up waiting for a lock fails the run naming the setting, and every `report_every_seconds` a watcher logs
    the sessions holding what this process's sessions wait for."""
    report_every = REPORT_EVERY_SECONDS if report_every_seconds is None else report_every_seconds
    stop = threading.Event()
    # The credentials taken here: the watcher's thread opens its sessions without touching the pipeline.
    credentials = pipeline.sql_client().credentials
    # The options given apart, as dlt gives them: in the URL, libpq would not read a space in them ("+").
    connect = {"dsn": credentials.to_native_representation(), "options": credentials.get_query().get("options", ""),
               "application_name": "liveperson-dagster-lock-watcher"}
    watcher = threading.Thread(target=_report_lock_waits, args=(connect, pipeline.dataset_name, application_name(),
                                                               log, timeout_seconds, report_every, stop), daemon=True)
    watcher.start()
    try:
        yield
    except Exception as error:
        if not any(getattr(cause, "pgcode", None) == LOCK_TIMEOUT_SQLSTATE or "due to lock timeout" in str(cause)
                   for cause in causes(error)):
            raise
        raise DatasetLockTimeout(
            f"Gave up after {seconds_text(timeout_seconds)} s waiting for a PostgreSQL lock on dataset "
            f"{pipeline.dataset_name} that another session holds (an open transaction?): end that session, or raise "
            f"{TIMEOUT_SETTING} (now {seconds_text(timeout_seconds)}).") from error
    finally:
        stop.set()
        watcher.join(timeout=30)


def _report_lock_waits(connect: dict, dataset: str, application: str, log: Callable[[str], None], timeout_seconds: float,
                       report_every_seconds: float, stop: threading.Event) -> None:
    import psycopg2

    while not stop.wait(report_every_seconds):
        try:
            with closing(psycopg2.connect(**connect)) as connection, \
                    connection.cursor() as cursor:
                cursor.execute(_BLOCKERS, (application,))
                holders = cursor.fetchall()
        except Exception:  # noqa: BLE001 - a report that cannot be made is left out; the run goes on
            continue
        if holders and not stop.is_set():
            named = "; ".join(_describe_session(*holder) for holder in holders)
            log(f"Waiting for a PostgreSQL lock on dataset {dataset} held by session {named}; giving up after "
                f"{seconds_text(timeout_seconds)} s ({TIMEOUT_SETTING})")


def _describe_session(pid: int, application: Optional[str], state: Optional[str], since) -> str:
    details = [application or "no application name", state,
               f"transaction since {since.isoformat(timespec='seconds')}" if since else None]
    return f"pid {pid} ({', '.join(detail for detail in details if detail)})"
