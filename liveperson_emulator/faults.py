"""Fault injection: which failure, if any, a data request gets."""

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .permissions import API_NAMES

# Kinds as counted in Emulator.stats["faults"].
RETRY_AFTER_429 = "429_retry_after"
PLAIN_429 = "429"
UNAVAILABLE_503 = "5xx"
PARTIAL = "partial"
DROP = "drop"
SLOW = "slow"
TRUNCATED = "truncated"
ALWAYS_503 = "always_503"
ALWAYS_TRUNCATED = "always_truncated"
NEXT_LOOP = "next_loop"
COUNT_INFLATION = "count_inflation"
NEXT_HOST = "next_host"
CSDS_HOST_OVERRIDE = "csds_host_override"
FORBIDDEN = "403_forbidden"
UNAVAILABLE_DAY = "503_unavailable_day"


@dataclass(frozen=True)
class Faults:
    """Failure modes. Rates are per-data-request probabilities and are mutually exclusive
    (one draw decides at most one of them), so they must sum to at most 1."""

    rate_429_retry_after: float = 0.0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_partial: float = 0.0  # search only
    rate_drop: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 5.0
    rate_truncated: float = 0.0
    always_503: bool = False
    next_loop: bool = False
    count_inflation: int = 0
    always_truncated: bool = False
    next_host: str | None = None
    csds_host_override: str | None = None
    # Search records change shape: a new field, no summary/transfers.
    schema_drift: bool = False
    # Search records change a documented type: `info.mcs` as text instead of a number.
    type_drift: bool = False
    # APIs the key has no permission for: 403 with a JSON message naming the permission, after authentication,
    # while the other APIs answer (names in permissions.API_NAMES: users, skills, agentGroups, msgHist,
    # statusReasons, profiles, lobs, predefinedContent, agentActivity, engHist, operations).
    forbidden_apis: Iterable[str] = frozenset()
    # UTC days whose conversations LivePerson cannot serve for now (a search shard down): every conversation search
    # whose window touches one of them answers 503, each time, until the faults are replaced; other windows answer.
    unavailable_days: Iterable[date] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "unavailable_days", frozenset(self.unavailable_days))
        forbidden = frozenset([self.forbidden_apis] if isinstance(self.forbidden_apis, str) else self.forbidden_apis)
        unknown = sorted(forbidden - set(API_NAMES))
        if unknown:
            raise ValueError(f"unknown API name(s) {unknown} in forbidden_apis; known: {', '.join(API_NAMES)}")
        object.__setattr__(self, "forbidden_apis", forbidden)
        rates = self._rates()
        for kind, rate in rates:
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate for {kind} must be within [0, 1], got {rate}")
        if sum(rate for _, rate in rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must sum to at most 1")
        if self.slow_seconds < 0 or self.count_inflation < 0:
            raise ValueError("slow_seconds and count_inflation must not be negative")

    def window_unavailable(self, from_ms: int, to_ms: int) -> bool:
        """Whether a search window [from_ms, to_ms] (epoch ms) touches one of the unavailable days."""
        for day in self.unavailable_days:
            start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            day_from, day_to = (int(moment.timestamp() * 1000) for moment in (start, start + timedelta(days=1)))
            if from_ms < day_to and to_ms >= day_from:
                return True
        return False

    def _rates(self) -> list[tuple[str, float]]:
        return [
            (RETRY_AFTER_429, self.rate_429_retry_after),
            (PLAIN_429, self.rate_429),
            (UNAVAILABLE_503, self.rate_5xx),
            (DROP, self.rate_drop),
            (SLOW, self.rate_slow),
            (TRUNCATED, self.rate_truncated),
            (PARTIAL, self.rate_partial),
        ]


class FaultInjector:
    """Draws faults from one seeded generator, so a run with the same request order repeats."""

    def __init__(self, faults: Faults, seed: int):
        self._faults = faults
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def faults(self) -> Faults:
        return self._faults

    def replace(self, faults: Faults) -> None:
        self._faults = faults

    def draw(self, is_search: bool) -> str | None:
        """The transient fault for one data request, or None."""
        faults = self._faults
        if faults.always_503:
            return ALWAYS_503
        with self._lock:
            roll = self._rng.random()
        threshold = 0.0
        for kind, rate in faults._rates():
            threshold += rate
            if roll < threshold:
                if kind == PARTIAL and not is_search:
                    return None
                return kind
        return None

    def records_to_drop(self, page_size: int) -> set[int]:
        """Indexes of a page's records that a partial answer leaves out (at least one)."""
        if page_size == 0:
            return set()
        with self._lock:
            how_many = self._rng.randint(1, max(1, page_size // 3))
            return set(self._rng.sample(range(page_size), how_many))
