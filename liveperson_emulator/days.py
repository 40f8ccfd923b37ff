"""UTC days in epoch milliseconds, and the stores whose records are generated lazily one UTC day at a time.

A store derives each day from a generator seeded by (kind, account, seed, day), so any day can be produced alone
and in any order; a day is generated when first asked for and then cached.
"""

import random
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Generic, TypeVar

DAY_MS = 86_400_000
TEN_MINUTES_MS = 600_000
_EPOCH_DAY = date(1970, 1, 1)

# Start offsets within a UTC day that every non-empty day gets first, in this order:
# midnight UTC, midnight Asia/Kathmandu (+05:45), midnight Europe/Paris (winter, summer), midnight again.
AWKWARD_STARTS_MS = (0, (18 * 60 + 15) * 60_000, 23 * 3_600_000, 22 * 3_600_000, 0)

R = TypeVar("R")


def day_start_ms(day: date) -> int:
    return (day - _EPOCH_DAY).days * DAY_MS


def day_of_ms(ms: int) -> date:
    return _EPOCH_DAY + timedelta(days=ms // DAY_MS)


def start_times(rng: random.Random, day: date, count: int, awkward: int) -> list[int]:
    """`count` start times (epoch ms) on `day`, in the order drawn: the first `awkward` at AWKWARD_STARTS_MS, then
    on 10-minute boundaries (where a rounded search window begins and ends), the others anywhere in the day."""
    offsets = list(AWKWARD_STARTS_MS[:awkward])
    offsets += [rng.randrange(1, DAY_MS // TEN_MINUTES_MS) * TEN_MINUTES_MS for _ in range(awkward - len(offsets))]
    offsets += [rng.randrange(DAY_MS) for _ in range(count - awkward)]
    base = day_start_ms(day)
    return [base + offset for offset in offsets]


class DailyRecords(Generic[R]):
    """Records per UTC day, made by `_generate_day` when a day is first asked for, then cached (thread-safe)."""

    def __init__(self, account: str, seed: int, first_day: date, last_day: date, empty_days: tuple[date, ...]):
        self._account = account
        self._seed = seed
        self._first_day = first_day
        self._last_day = last_day
        self._empty_days = frozenset(empty_days)
        self._days: dict[date, tuple[R, ...]] = {}
        self._lock = threading.Lock()

    @property
    def generated_days(self) -> list[date]:
        with self._lock:
            return sorted(self._days)

    def day(self, day: date) -> tuple[R, ...]:
        with self._lock:
            cached = self._days.get(day)
        if cached is not None:
            return cached
        generated = self._generate_day(day)
        with self._lock:
            return self._days.setdefault(day, generated)

    def _generate_day(self, day: date) -> tuple[R, ...]:
        raise NotImplementedError

    def _serves(self, day: date) -> bool:
        """Whether `day` may hold records: one of the emulator's days and not an empty one."""
        return self._first_day <= day <= self._last_day and day not in self._empty_days

    def _rng(self, kind: str, key) -> random.Random:
        """The generator of one day (key: its ISO date) or of one record (key: its id)."""
        return random.Random(f"lp-emulator/{kind}/{self._account}/{self._seed}/{key}")

    def _days_touching(self, low_ms: int, high_ms: int, days_before: int = 0) -> Iterator[tuple[R, ...]]:
        """The records of each of the emulator's days from that of low_ms (less `days_before`) to that of high_ms."""
        day = max(day_of_ms(low_ms) - timedelta(days=days_before), self._first_day)
        last = min(day_of_ms(high_ms), self._last_day)
        while day <= last:
            yield self.day(day)
            day += timedelta(days=1)


class DailyHeaders(DailyRecords[R]):
    """Daily records that are headers with a `start_ms` and an id (the attribute named by KEY), each day's sorted by
    (start, id). Deleted ones (a privacy deletion request) are served no more."""

    KEY = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._deleted: frozenset = frozenset()
        self.deletions = 0  # how many deletion requests so far

    def delete(self, ids) -> None:
        with self._lock:
            self._deleted = self._deleted | frozenset(ids)
            self.deletions += 1

    def headers_between(self, low_ms: int, high_ms: int) -> list[R]:
        """Headers with low_ms <= start <= high_ms (both inclusive), sorted by (start, id)."""
        deleted = self._deleted
        return [h for headers in self._days_touching(low_ms, high_ms) for h in headers
                if low_ms <= h.start_ms <= high_ms and getattr(h, self.KEY) not in deleted]
