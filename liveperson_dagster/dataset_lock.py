"""Loads into one PostgreSQL dataset, one at a time. Two runs loading at once race: both create the schema or a
new table (`pg_type_typname_nsp_index`), and both use dlt's one staging dataset, so one run's merge can take the
other's staged rows (`conversations__dlt_id_key`). A load holds a PostgreSQL advisory lock named after the dataset:
the server provides it to runs on any machine, and frees it when the holding session ends (a killed run).

A waiting load polls for the lock rather than block in `pg_advisory_lock`: it says which session holds it, again
every minute, and gives up after LIVEPERSON_POSTGRES_LOCK_TIMEOUT_SECONDS instead of waiting forever, silently."""

import hashlib
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import dlt

TIMEOUT_SETTING = "LIVEPERSON_POSTGRES_LOCK_TIMEOUT_SECONDS"
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


class DatasetLockTimeout(Exception):
    """Another session held the dataset's load lock for longer than the timeout."""


def advisory_key(dataset_name: str) -> int:
    """A stable signed 64-bit key for the dataset (advisory locks are per database already)."""
    digest = hashlib.sha1(f"liveperson-dagster load:{dataset_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _seconds(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


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
        start, waiting, next_report = clock(), False, report_every_seconds
        while not client.execute_sql("select pg_try_advisory_lock(%s)", key)[0][0]:
            holder, waited = describe_holder(client, key), clock() - start
            lock = f"another run's load into dataset {dataset} (PostgreSQL advisory lock {key})"
            if waited >= timeout_seconds:
                raise DatasetLockTimeout(
                    f"Gave up after {_seconds(waited)} s waiting for {lock}: held by {holder}. Wait for it to finish "
                    f"(or end that session), or raise {TIMEOUT_SETTING} (now {_seconds(timeout_seconds)}).")
            if not waiting or waited >= next_report:
                next_report = waited + report_every_seconds
                log(f"{'Still waiting' if waiting else 'Waiting'} for {lock}"
                    f"{f' after {_seconds(waited)} s' if waiting else ''}: held by {holder}; giving up after "
                    f"{_seconds(timeout_seconds)} s ({TIMEOUT_SETTING})")
                waiting = True
            sleep(min(poll_seconds, timeout_seconds - waited))
        if waiting:
            log(f"Loading into dataset {dataset} after waiting {_seconds(clock() - start)} s: the other run's load "
                f"has ended")
        try:
            yield
        finally:
            client.execute_sql("select pg_advisory_unlock(%s)", key)
