"""Search windows: half-open [start, end) ranges of conversation start times, as the source loads them."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from . import api_constants
from .errors import LivePersonConfigError


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Window:
    """Conversations with start >= `start` and start < `end` (time-zone aware datetimes, any zone)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise LivePersonConfigError(f"window bounds must be time-zone aware: {self.start} .. {self.end}")
        if self.end <= self.start:
            raise LivePersonConfigError(f"empty or reversed window: {self.start} .. {self.end}")

    @property
    def start_ms(self) -> int:
        return epoch_ms(self.start)

    @property
    def end_ms(self) -> int:
        return epoch_ms(self.end)

    def contains_ms(self, start_time_ms: int) -> bool:
        return self.start_ms <= start_time_ms < self.end_ms

    def search_range(self) -> dict:
        """The body's `start` filter. The API's bounds are inclusive (and rounded outward), so `to` is end - 1 ms."""
        return {"from": self.start_ms, "to": self.end_ms - 1}

    def slices(self, max_days: int = api_constants.MAX_SEARCH_SLICE_DAYS) -> list:
        """Splits the window into consecutive windows of at most `max_days` (the API caps a search at 3 months)."""
        pieces, cursor, step = [], self.start, timedelta(days=max_days)
        while cursor < self.end:
            upper = min(cursor + step, self.end)
            pieces.append(Window(cursor, upper))
            cursor = upper
        return pieces

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def rfc3339_ms(ms: int) -> str:
    """An RFC 3339 UTC date-time with milliseconds, as the Agent Activity API takes: 2026-11-03T00:00:00.000Z."""
    return utc_from_ms(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ms_of_time(value) -> Optional[int]:
    """Epoch milliseconds of a time LivePerson sends as a number (ms) or as an ISO 8601 / RFC 3339 string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())  # `Z` and `+0000` (the search's own format) included
        except ValueError:
            return None
        return epoch_ms(moment) if moment.tzinfo else None
    return None


def utc_from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
