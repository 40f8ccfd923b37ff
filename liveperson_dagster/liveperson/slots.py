"""The account's request budget shared by every process on one machine: `max_concurrent_requests` slot files in a
directory the machine's runs share, each request in flight holding one of them with `flock` for its duration.

A run's AccountLimiter bounds its own threads; the slots bound the sum over the runs, which no run can see alone (two
runs of 4 threads would have 8 requests in flight). flock is per open file, so threads of one process exclude each
other as processes do, and the kernel releases it when a process dies: a killed run never keeps a slot. It holds on a
local filesystem (a volume that containers on one machine share included), not across machines or on a network
filesystem (docs/production.md: several machines).

A holder writes its pid into the slot file, so that a request that waits long says which processes hold the slots;
it gives up after `request_slot_timeout_seconds` rather than stall its run silently behind a process that never
lets go (one stopped, or leaked by a test that shares the temp dir).

Written out because no library offers a set of N locks freed on death: filelock locks one file (trying N of them is
this module), POSIX semaphores stay taken when their holder is killed, and SysV semaphores (undone on death) live in
an IPC namespace that containers do not share.
"""

import fcntl
import logging
import os
import random
import stat
import tempfile
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, Iterator, Optional, Tuple
from urllib.parse import quote

from .connection import HttpSettings
from .errors import LivePersonConfigError, LivePersonWaitTimeout
from .waiting import seconds_text, wait_for

DEFAULT_DIR_NAME = "liveperson-request-slots"
# A thread that finds every slot taken tries again after a random pause in this range: short against an answer
# (100-200 ms), random so that the waiting threads of several runs do not try in step. Two runs sharing 4 slots took
# 0-2% longer than the same fetches under one in-process limiter with 150-200 ms answers, 3-6% with 100 ms; a run
# alone, no longer than with its in-process limiter only (benchmarks/request_slots.py, 2 busy cores). Polling at
# 2-10 ms took the 100 ms case to 0%, for twice the attempts while waiting.
POLL_SECONDS = (0.005, 0.02)
# A request waiting for a slot says so after this long, and again as long as it waits: shorter waits are the
# normal queue of runs sharing the budget, not worth a line each.
REPORT_EVERY_SECONDS = 30.0
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC

logger = logging.getLogger(__name__)


def directory_name(account_id: str) -> str:
    """The account id percent-encoded, dots too: one name per id, and never `..` or a path."""
    return quote(account_id, safe="").replace(".", "%2E")


class HeldSlot:
    """One slot taken; release() (or the end of the process) frees it."""

    def __init__(self, number: int, fd: int) -> None:
        self.number = number
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            try:
                os.ftruncate(fd, 0)  # no pid left behind for a waiter to blame
            finally:
                os.close(fd)  # closing the file releases its lock


class RequestSlots:
    """`count` slots for the requests to one account, shared by every process that uses the same `parent` directory.

    The slots of an account are the files `slot-0` ... in `<parent>/<account id>`, so accounts never share slots
    (directory_name: no two ids give one directory). Runs with different counts share the first slots:
    together they hold at most the largest count."""

    def __init__(self, account_id: str, count: int, parent: Optional[str] = None,
                 setting: str = "request_slots_dir", sleep: Callable[[float], None] = time.sleep,
                 poll_seconds: Tuple[float, float] = POLL_SECONDS,
                 timeout_seconds: float = HttpSettings.model_fields["request_slot_timeout_seconds"].default,
                 timeout_setting: str = "request_slot_timeout_seconds",
                 clock: Callable[[], float] = time.monotonic,
                 report_every_seconds: float = REPORT_EVERY_SECONDS) -> None:
        # By default `liveperson-request-slots` in the temp dir: every run on the machine that shares TMPDIR shares it.
        parent_dir = Path(parent).expanduser() if parent else Path(tempfile.gettempdir()) / DEFAULT_DIR_NAME
        self.directory = parent_dir / directory_name(str(account_id))
        self.count = count
        self.timeout_seconds = timeout_seconds
        self._timeout_setting = timeout_setting
        self._sleep = sleep
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._report_every_seconds = report_every_seconds
        self._prepare(parent_dir, setting)

    def __repr__(self) -> str:
        return f"RequestSlots({str(self.directory)!r}, count={self.count})"

    def _prepare(self, parent_dir: Path, setting: str) -> None:
        fix = f"point {setting} at a directory of this user that the runs of this machine share"
        try:
            parent_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.directory.mkdir(mode=0o700, exist_ok=True)
            found = os.lstat(self.directory)
        except OSError as error:
            raise LivePersonConfigError(
                f"cannot use {self.directory} for the account's request slots ({error.strerror}): {fix}") from None
        if not stat.S_ISDIR(found.st_mode):
            raise LivePersonConfigError(f"{self.directory} (the account's request slots) is not a directory: {fix}")
        if found.st_uid != os.geteuid():
            # Another user's directory: whoever owns it could hold every slot, or swap the files.
            raise LivePersonConfigError(
                f"{self.directory} (the account's request slots) belongs to another user (uid {found.st_uid}): {fix}")

    @contextmanager
    def hold(self) -> Iterator[int]:
        """Holds a slot for the block, waiting for one while all are taken; yields its number."""
        slot = self.take()
        try:
            yield slot.number
        finally:
            slot.release()

    def take(self) -> HeldSlot:
        """A free slot, waiting (polling) while every slot is held: saying who holds them every
        `report_every_seconds`, and giving up after `timeout_seconds`."""
        def report(waited: float, again: bool) -> None:
            logger.warning(
                "Waiting %s s so far for one of the %d request slots of the account in %s: held by %s; giving up "
                "after %s s (%s)", seconds_text(waited), self.count, self.directory, self.holders(),
                seconds_text(self.timeout_seconds), self._timeout_setting)

        def gave_up(waited: float) -> Exception:
            return LivePersonWaitTimeout(
                f"Gave up after {seconds_text(waited)} s waiting for one of the {self.count} request slots of the "
                f"account in {self.directory}: held by {self.holders()}. Stop the process(es) holding them, or "
                f"raise {self._timeout_setting} (now {seconds_text(self.timeout_seconds)})")

        slot, _ = wait_for(self.try_take, timeout_seconds=self.timeout_seconds, report=report, gave_up=gave_up,
                           poll_seconds=lambda: random.uniform(*self._poll_seconds),
                           report_every_seconds=self._report_every_seconds,
                           first_report_after=self._report_every_seconds, clock=self._clock, sleep=self._sleep)
        return slot

    def holders(self) -> str:
        """The processes that hold the slots, as they wrote themselves into the slot files (a file being taken or
        released this instant has no pid yet)."""
        pids = {}
        for number in range(self.count):
            try:
                written = (self.directory / f"slot-{number}").read_text().strip()
            except OSError:
                written = ""
            key = f"pid {written}" if written.isdigit() else "a process that did not say"
            if written == str(os.getpid()):
                key += " (this process)"
            pids[key] = pids.get(key, 0) + 1
        return ", ".join(f"{holder} ({n} slot{'s' if n > 1 else ''})" for holder, n in sorted(pids.items()))

    def try_take(self) -> Optional[HeldSlot]:
        """A free slot, or None when all are held. Tried from a random one, so that takers spread over the files."""
        first = random.randrange(self.count)
        for offset in range(self.count):
            number = (first + offset) % self.count
            fd = os.open(self.directory / f"slot-{number}", _OPEN_FLAGS, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)  # unbuffered: a waiter reads it at once
            except BaseException:
                os.close(fd)
                raise
            return HeldSlot(number, fd)
        return None


# One limiter per run for the whole LivePerson account: concurrent requests, request rate, and 429 pauses; with
# RequestSlots, the requests in flight of every run on the machine together stay within the account's budget.
class AccountLimiter:
    """Bounds the requests in flight and their rate; a 429 pauses every thread, not just the one that got it.

    With `slots`, a request also holds one of the machine's slots of the account while it is in flight. It takes
    it last, after its place among the run's own threads and its turn (rate, 429 pause): a run never has more
    than `max_concurrent_requests` threads after the slots, and does not hold one while it waits. The rate cap and
    the 429 pause stay the run's own."""

    def __init__(
        self,
        max_concurrent_requests: int,
        requests_per_second: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        slots: Optional[RequestSlots] = None,
    ) -> None:
        self._threads = threading.BoundedSemaphore(max_concurrent_requests)
        self._machine_slots = slots
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._paused_until = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._threads:
            self._wait_for_turn()
            with self._machine_slots.hold() if self._machine_slots else nullcontext():
                yield

    def pause(self, seconds: float) -> None:
        """Holds back every request of the run for `seconds` (called on a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _wait_for_turn(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                start = max(now, self._paused_until, self._next_start)
                if start <= now:
                    self._next_start = now + self._interval
                    return
            self._sleep(start - now)
