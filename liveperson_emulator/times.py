"""Time formats and calendar arithmetic of the APIs added after the conversation search (RFC 3339, one month)."""

import calendar
import re
import time
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?([Zz]|[+-]\d\d:\d\d)")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def rfc3339_ms(ms: int) -> str:
    """2022-03-13T10:18:51.625Z, as the Agent Activity API writes a state change's time."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, millis)


def rfc3339_short(ms: int) -> str:
    """2022-02-24T00:00:00Z (milliseconds only when there are some), as the API writes its timeframe."""
    if ms % 1000:
        return rfc3339_ms(ms)
    t = time.gmtime(ms // 1000)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def parse_rfc3339(text: str) -> int:
    """Epoch milliseconds of an RFC 3339 date-time with an offset (seconds optional, as in the docs' own example
    `from=2022-02-24T00:00Z`). Raises ValueError otherwise: a date alone or a time without offset is not one."""
    match = _RFC3339.fullmatch(text or "")
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                      tzinfo=timezone.utc)
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    if offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        moment -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    return (moment - _EPOCH) // timedelta(milliseconds=1) + millis


def plus_one_month_ms(ms: int) -> int:
    """The same instant one calendar month later in UTC, the day clamped to the month's last (Jan 31 -> Feb 28).
    LivePerson documents "1 month" without saying which; a calendar month is the literal reading."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return (moment.replace(year=year, month=month, day=day) - _EPOCH) // timedelta(milliseconds=1)


def ms_to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)
