"""The DuckDB writer lock. DuckDB allows one writing process per file: the Dagster pool serializes the runs of one
instance, and this lock also covers separate `dagster asset materialize` commands and asset checks. A waiter says who
holds the lock, again every minute while it waits, and gives up after LIVEPERSON_DUCKDB_LOCK_TIMEOUT_SECONDS instead
of waiting forever, silently.

Processes outside the project (an analyst's read-only connection from a notebook or DBeaver) hold DuckDB's own lock
on the file instead: a load refused by it is retried until the file is free, within the same timeout."""

import fcntl
import json
import os
import re
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Optional, TypeVar

from ..config import variable
from ..liveperson.errors import causes
from ..liveperson.waiting import seconds_text, try_flock, wait_for

TIMEOUT_SETTING = variable("duckdb_lock_timeout_seconds")
UNKNOWN_HOLDER = "another process (it did not say which)"
# A waiter says again who it waits for this often: a queued run is normal, a run silent for an hour is not.
REPORT_EVERY_SECONDS = 60.0
# How DuckDB refuses to open a file another process holds.
DUCKDB_CONFLICT = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
T = TypeVar("T")


class WarehouseLockTimeout(Exception):
    """The DuckDB writer lock stayed held by another process for longer than the timeout."""


def describe_holder(lock_path: str) -> str:
    """Who holds the lock, as its holder wrote it. Only read while someone holds the lock: flock is released by the
    kernel when a holder dies, so a dead holder's leftover text is never taken for a live one's."""
    try:
        written = json.loads(Path(lock_path).read_text())
        holder, pid, since = written["holder"], int(written["pid"]), written["since"]
    except (OSError, ValueError, TypeError, KeyError):
        return UNKNOWN_HOLDER
    host = written.get("hostname")
    on_host = f" on {host}" if host and host != socket.gethostname() else ""
    return f"{holder} (pid {pid}{on_host}, since {since})"


@contextmanager
def writer_lock(database: Path, holder: str, timeout_seconds: float, log: Callable[[str], None],
                clock=time.monotonic, sleep=time.sleep, poll_seconds: float = 0.5,
                report_every_seconds: float = REPORT_EVERY_SECONDS) -> Iterator[None]:
    """Hold the lock on `{database}.lock` for the block; `holder` (e.g. "run 1a2b3c4d") names us to waiters."""
    if timeout_seconds < 0:
        raise ValueError(f"{TIMEOUT_SETTING} must be >= 0, got {timeout_seconds}")
    lock_path = f"{database}.lock"
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)  # no O_TRUNC: that would erase the holder's name
    giving_up = f"giving up after {seconds_text(timeout_seconds)} s ({TIMEOUT_SETTING})"

    def report(waited: float, again: bool) -> None:
        log(f"Still waiting for the DuckDB writer lock on {database} after {seconds_text(waited)} s: held by "
            f"{describe_holder(lock_path)}; {giving_up}" if again else
            f"Waiting for the DuckDB writer lock on {database}: held by {describe_holder(lock_path)}; {giving_up}")

    def gave_up(waited: float) -> Exception:
        return WarehouseLockTimeout(
            f"Gave up after {seconds_text(waited)} s waiting for the DuckDB writer lock on {database}: held by "
            f"{describe_holder(lock_path)}. Wait for it to finish, or raise {TIMEOUT_SETTING} (now "
            f"{seconds_text(timeout_seconds)}).")

    try:
        _, waited = wait_for(lambda: try_flock(fd), timeout_seconds=timeout_seconds, report=report, gave_up=gave_up,
                             poll_seconds=poll_seconds, report_every_seconds=report_every_seconds, clock=clock,
                             sleep=sleep)
        if waited is not None:
            log(f"Got the DuckDB writer lock on {database} after {seconds_text(waited)} s")
        try:
            since = datetime.now(timezone.utc).isoformat(timespec="seconds")
            me = {"holder": holder, "pid": os.getpid(), "hostname": socket.gethostname(), "since": since}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)  # unbuffered: waiters see it at once
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def retry_while_file_held(load: Callable[[], T], database: Path, timeout_seconds: float, log: Callable[[str], None],
                          clock=time.monotonic, sleep=time.sleep, poll_seconds: float = 1.0,
                          report_every_seconds: float = REPORT_EVERY_SECONDS) -> T:
    """Runs `load` (dlt's load step), again while DuckDB refuses `database` because another process holds it. dlt
    keeps what was fetched and normalized as a pending package in the run's working dir, so nothing is fetched
    twice; DuckDB refuses at connection time only, so a refused attempt has written nothing."""
    holder = None
    giving_up = f"giving up after {seconds_text(timeout_seconds)} s"

    def attempt() -> Optional[tuple]:
        nonlocal holder
        try:
            return (load(),)
        except Exception as error:  # noqa: BLE001 - only DuckDB's lock conflict is retried; the rest re-raised
            # The process DuckDB names when the error, or one of its causes, is its refusal to open the file.
            match = next(filter(None, (DUCKDB_CONFLICT.search(str(cause)) for cause in causes(error))), None)
            if match is None:
                raise
            holder = f"{match['program']} (pid {match['pid']})"
            return None

    def report(waited: float, again: bool) -> None:
        log(f"Still waiting to load into {database} after {seconds_text(waited)} s: DuckDB says {holder} holds "
            f"the file; {giving_up} ({TIMEOUT_SETTING})" if again else
            f"Waiting to load into {database}: DuckDB says {holder} holds the file; what was fetched stays "
            f"pending and is loaded once it is free ({giving_up}, {TIMEOUT_SETTING})")

    def gave_up(waited: float) -> Exception:
        return WarehouseLockTimeout(
            f"Gave up after {seconds_text(waited)} s waiting to load into {database}: DuckDB says {holder} holds "
            f"the file (a read-only connection such as a notebook's or DBeaver's keeps it). Close it and run "
            f"the partitions again, or raise {TIMEOUT_SETTING} (now {seconds_text(timeout_seconds)}).")

    (result,), waited = wait_for(attempt, timeout_seconds=timeout_seconds, report=report, gave_up=gave_up,
                                 poll_seconds=poll_seconds, report_every_seconds=report_every_seconds, clock=clock,
                                 sleep=sleep)
    if waited is not None:
        log(f"Loaded into {database} after waiting {seconds_text(waited)} s for {holder}")
    return result
