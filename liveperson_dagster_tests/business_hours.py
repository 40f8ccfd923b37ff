"""The business calendar and business-hours figures computed here from the emulator's workdays, special occasions
and skills, by the definitions of the marts' docs (_marts.yml), in Python (zoneinfo), independently of the SQL."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}  # date.weekday()
UNASSIGNED = -1
Interval = Tuple[datetime, datetime]


def wall_clock(text: str, is_end: bool = False) -> datetime:
    """`yyyy-MM-dd` (00:00) or `yyyy-MM-ddTHH:mm:ss`; an end at 23:59 is the next midnight."""
    moment = datetime.fromisoformat(text) if "T" in text else datetime.combine(date.fromisoformat(text), time())
    return moment + timedelta(minutes=1) if is_end and moment.time() == time(23, 59) else moment


def to_utc(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


@dataclass(frozen=True)
class Schedule:
    workdays: Optional[dict]
    occasion: Optional[dict]

    @property
    def always_open(self) -> bool:
        return self.workdays is None


def schedules_of(emulator) -> Dict[int, Schedule]:
    """skill id (and -1) -> the schedule its conversations are measured in: the skill's own live object, else the
    account's live default, else none (always open)."""
    workdays = {item["id"]: item for item in emulator.workdays() if not item["deleted"]}
    occasions = {item["id"]: item for item in emulator.special_occasions() if not item["deleted"]}
    default_workdays = next((item for item in workdays.values() if item["isDefault"]), None)
    default_occasion = next((item for item in occasions.values() if item["isDefault"]), None)
    schedules = {UNASSIGNED: Schedule(default_workdays, default_occasion)}
    for skill in emulator.skills():
        schedules[skill["id"]] = Schedule(workdays.get(skill.get("workingHoursId"), default_workdays),
                                          occasions.get(skill.get("specialOccasionId"), default_occasion))
    return schedules


def _occurrences(event: dict) -> int:
    (rule,) = event["recurrence"] or [None]
    return 1 if rule is None else int(rule.split("COUNT=")[1].split(";")[0])


def covered_dates(occasion: Optional[dict]) -> set:
    dates = set()
    for event in (occasion or {}).get("events", ()):
        first = wall_clock(event["start"]["dateTime"]).date()
        last = (wall_clock(event["end"]["dateTime"], is_end=True) - timedelta(seconds=1)).date()
        last += timedelta(days=_occurrences(event) - 1)
        dates.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return dates


def open_intervals(schedule: Schedule, first: date, last: date) -> List[Interval]:
    """The schedule's open intervals (UTC) of the local dates first..last, merged."""
    intervals = []
    closed = covered_dates(schedule.occasion)
    for event in (schedule.workdays or {}).get("events", ()):
        starts, ends = wall_clock(event["start"]["dateTime"]), wall_clock(event["end"]["dateTime"], is_end=True)
        (rule,) = event["recurrence"]
        weekday = WEEKDAYS[rule.rpartition("=")[2]]
        if starts.weekday() != weekday or not timedelta(0) < ends - starts <= timedelta(days=1):
            continue  # LivePerson does not apply it
        day = first
        while day <= last:
            if day.weekday() == weekday and day >= starts.date() and day not in closed:
                opens = datetime.combine(day, starts.time())
                intervals.append((to_utc(opens, event["start"]["timeZone"]),
                                  to_utc(opens + (ends - starts), event["start"]["timeZone"])))
            day += timedelta(days=1)
    for event in (schedule.occasion or {}).get("events", ()):
        if not event["meta"]["working"]:
            continue
        starts, ends = wall_clock(event["start"]["dateTime"]), wall_clock(event["end"]["dateTime"], is_end=True)
        for offset in range(_occurrences(event)):
            opens = starts + timedelta(days=offset)
            if first <= opens.date() <= last:
                intervals.append((to_utc(opens, event["start"]["timeZone"]),
                                  to_utc(opens + (ends - starts), event["start"]["timeZone"])))
    merged: List[list] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return [(opens, closes) for opens, closes in merged]


def open_seconds(intervals: List[Interval], start: datetime, end: datetime) -> float:
    return sum(max(0.0, (min(end, closes) - max(start, opens)).total_seconds()) for opens, closes in intervals)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


class BusinessCalendar:
    """Every skill's open intervals over the local dates first..last."""

    def __init__(self, emulator, first: date, last: date):
        self.schedules = schedules_of(emulator)
        self.intervals = {skill: open_intervals(schedule, first, last) for skill, schedule in self.schedules.items()}

    def schedule_skill(self, skill_id: int) -> int:
        return skill_id if skill_id in self.schedules else UNASSIGNED

    def business_seconds(self, skill_id: int, start_ms: int, end_ms: int) -> float:
        skill = self.schedule_skill(skill_id)
        if self.schedules[skill].always_open:
            return (end_ms - start_ms) / 1000
        return open_seconds(self.intervals[skill], from_ms(start_ms), from_ms(end_ms))

    def is_open(self, skill_id: int, at_ms: int) -> bool:
        skill = self.schedule_skill(skill_id)
        at = from_ms(at_ms)
        return self.schedules[skill].always_open or any(opens <= at < closes for opens, closes in self.intervals[skill])
