"""Messaging Operations (queue health, agent conversation metrics): what one hour of them needs from the API.

LivePerson keeps only the last 24 hours, and a request names a `timeframe` in minutes that ends when the request
is made, so an hour is fetched as the timeframe from its start to now, in 5-minute intervals, and only the
intervals of the hour are kept. Queue health intervals follow the request time (their timestamp is the start of
each interval); conversation metrics are counted in 5-minute buckets (the timestamp is the end of each bucket).
"""

import math
from typing import Iterator, Optional

from . import api_constants
from .errors import LivePersonOutOfRangeError
from .records import as_int
from .windows import Window, utc_from_ms

MINUTE_MS = 60_000


def timeframe_minutes(window: Window, now_ms: int) -> int:
    """The timeframe (a multiple of the interval) that reaches back to the window's start from now; refuses a
    window LivePerson can no longer serve, or one that has not ended yet."""
    if window.end_ms > now_ms:
        raise LivePersonOutOfRangeError(
            f"Messaging Operations: the hour {window} is not over yet (now {utc_from_ms(now_ms).isoformat()}); "
            "load it once it has ended"
        )
    step = api_constants.OPERATIONS_INTERVAL_MINUTES
    minutes = math.ceil((now_ms - window.start_ms) / MINUTE_MS / step) * step
    if minutes > api_constants.OPERATIONS_MAX_TIMEFRAME_MINUTES:
        raise LivePersonOutOfRangeError(
            f"Messaging Operations: the hour {window} is older than the {api_constants.OPERATIONS_MAX_TIMEFRAME_MINUTES // 60}"
            " hours LivePerson keeps, so it can no longer be loaded (nothing was fetched or changed); such hours stay "
            "missing in the asset's partitions"
        )
    return minutes


def _intervals(body) -> list:
    intervals = body.get("metricsByIntervals") if isinstance(body, dict) else None
    return [item for item in intervals or [] if isinstance(item, dict) and isinstance(item.get("timestamp"), int)]


def queue_health_rows(body, window: Window) -> Iterator[dict]:
    """One row per skill and interval that starts inside the window."""
    interval_ms = api_constants.OPERATIONS_INTERVAL_MINUTES * MINUTE_MS
    for interval in _intervals(body):
        start_ms = interval["timestamp"]
        if not window.contains_ms(start_ms):
            continue
        skills = (interval.get("metricsData") or {}).get("skillsMetrics") or {}
        for skill_id, metrics in skills.items():
            yield {"hour": window.start, "skill_id": int(skill_id), "interval_start": utc_from_ms(start_ms),
                   "interval_end": utc_from_ms(start_ms + interval_ms), **(metrics or {})}


def agent_metrics_rows(body, window: Window) -> Iterator[dict]:
    """One row per agent and 5-minute bucket that ends inside (window.start, window.end]."""
    interval_ms = api_constants.OPERATIONS_INTERVAL_MINUTES * MINUTE_MS
    for interval in _intervals(body):
        end_ms = interval["timestamp"]
        if not window.start_ms < end_ms <= window.end_ms:
            continue
        agents = ((interval.get("metricsData") or {}).get("agentsMetrics") or {}).get("metricsPerAgent") or {}
        for agent_id, metrics in agents.items():
            yield {"hour": window.start, "agent_id": as_int(agent_id), "interval_start": utc_from_ms(end_ms - interval_ms),
                   "interval_end": utc_from_ms(end_ms), **(metrics or {})}


def operations_query(timeframe: int, **ids: Optional[str]) -> dict:
    return {
        "timeframe": timeframe,
        "v": api_constants.OPERATIONS_API_VERSION,
        "interval": api_constants.OPERATIONS_INTERVAL_MINUTES,
        **{name: value for name, value in ids.items() if value},
        "source": api_constants.SEARCH_CALLER_ID,
    }
