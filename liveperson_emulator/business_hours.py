"""Workdays (hours of operation) and special occasions, on accountConfigReadOnly, and the skills that use them.

Shapes follow LivePerson's docs (developer-center repo, pages/documents/account-configuration/workdays/ and
special-occasions/: overview.md, appendix.md, methods/retrievebylist.md, methods/retrievebyid.md):
- the list (`GET .../ac-common/workinghours`, `.../ac-common/specialoccasion`) answers only id, name, deleted and
  isDefault per object; the full object (description, events) comes from the by-id method (`.../{id}`);
- `v` is required (a double; validation fails with 400); the docs give no value, community code sends 1.0;
- an `ac-revision` response header (the collection's revision) on both;
- a workdays event: start/end {dateTime, timeZone} (`yyyy-MM-dd` or `yyyy-MM-ddTHH:mm:ss`, the same zone in both,
  at most 24 hours; `T00:00`-`T23:59` is a whole day) and exactly one `RRULE:FREQ=WEEKLY;BYDAY=XX`; the start date
  must fall on that weekday or the event "won't work" (no error): one event here does not, on purpose;
- a special-occasion event adds meta {working, name} (false: a day off; true: changed hours, which replace the
  workdays' hours of that date) and `RRULE:FREQ=DAILY;COUNT=n;INTERVAL=1` or no recurrence.
Whether the list honours `include_deleted` is not documented; it is served as the other configuration lists do.

The schedules are in zones other than the account's (New York changes to winter time on 2026-11-01, inside the
tests' days), with split shifts, a shift past midnight, whole days in both documented spellings, a day off of two
days and a changed-hours day. The occasions' dates follow the emulator's first day (F): the default occasion
changes F's hours in New York, the Paris one closes F+3 and F+4. Everything draws from a generator of its own, so
the users, skills and conversations are what they were before these collections existed.
"""

import copy
import random
from datetime import date, timedelta

WORKDAYS_VERSIONS = ("1.0",)
SPECIAL_OCCASION_VERSIONS = ("1.0",)
# A week whose dates anchor the weekly events (a Monday first); the docs require a start date that is the weekday.
_ANCHOR_MONDAY = date(2025, 3, 3)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# name, description, isDefault, deleted, time zone, events: (weekday, start "HH:MM" or None for all day, end
# "HH:MM" or None, end on the next day)
_WORKDAYS = (
    ("Support – New York", "Account hours, US Eastern", True, False, "America/New_York",
     [(day, "09:00", "17:00", False) for day in _WEEKDAYS[:5]] + [("SA", "10:00", "14:00", False)]),
    ("Équipe Paris – coupure", "Split shifts with a lunch break", False, False, "Europe/Paris",
     [(day, start, end, False) for day in _WEEKDAYS[:5] for start, end in (("08:30", "12:00"), ("13:30", "18:00"))]),
    ("東京 – 夜間", "Evening desk; Saturday night to Sunday morning", False, False, "Asia/Tokyo",
     [(day, "18:00", "23:59", False) for day in _WEEKDAYS[:5]] + [("SA", "22:00", "06:00", True)]),
    ("Week-end 24h", "Whole days, date-only spelling", False, False, "America/Sao_Paulo",
     [("SA", None, None, True), ("SU", "00:00", "23:59", False)]),
    ("Old hours", "Replaced in 2025", False, True, "Europe/London",
     [(day, "09:00", "17:00", False) for day in _WEEKDAYS[:5]]),
)

# name, description, isDefault, deleted, events: (working, event name, time zone, first day as an offset from the
# emulator's first day, start "HH:MM" or None for all day, end "HH:MM" or None, days (None: no recurrence))
_SPECIAL_OCCASIONS = (
    ("Account occasions", "Inventory and holidays", True, False,
     [(True, "Inventory – short day", "America/New_York", 0, "10:00", "14:00", None),
      (False, "Company holiday", "America/New_York", 8, None, None, None)]),
    ("Fermetures Paris", "Ponts et jours fériés", False, False,
     [(False, "Pont de la Toussaint", "Europe/Paris", 3, None, None, 2)]),
    ("Old closures", "Replaced", False, True,
     [(False, "Old holiday", "Europe/London", 1, None, None, None)]),
)

# Skill index (data._SKILLS order) -> (workdays index or None, special occasion index or None): None is no id,
# so the account's defaults apply. The deleted skill points at the deleted objects.
_SKILL_ASSIGNMENTS = {0: (1, 1), 2: (3, None), 3: (1, None), 4: (2, None), 6: (0, None), 7: (4, 2)}


def _date_time(day: date, at: str | None) -> str:
    return day.isoformat() if at is None else f"{day.isoformat()}T{at}:00"


def _workday_event(zone: str, weekday: str, start: str | None, end: str | None, next_day: bool,
                   anchor: date | None = None) -> dict:
    day = anchor or _ANCHOR_MONDAY + timedelta(days=_WEEKDAYS.index(weekday))
    end_day = day + timedelta(days=1) if next_day else day
    return {"start": {"dateTime": _date_time(day, start), "timeZone": zone},
            "end": {"dateTime": _date_time(end_day, end), "timeZone": zone},
            "recurrence": [f"RRULE:FREQ=WEEKLY;BYDAY={weekday}"]}


def _occasion_event(first_day: date, working: bool, name: str, zone: str, offset: int, start: str | None,
                    end: str | None, days: int | None) -> dict:
    day = first_day + timedelta(days=offset)
    end_day = day + timedelta(days=1) if start is None else day
    return {"meta": {"working": working, "name": name},
            "start": {"dateTime": _date_time(day, start), "timeZone": zone},
            "end": {"dateTime": _date_time(end_day, end), "timeZone": zone},
            "recurrence": [f"RRULE:FREQ=DAILY;COUNT={days};INTERVAL=1"] if days else []}


def _summary(item: dict) -> dict:
    return {"id": item["id"], "name": item["name"], "deleted": item["deleted"], "isDefault": item["isDefault"]}


class BusinessHours:
    """workingHours and specialOccasion objects as served; `assign` sets the skills' ids."""

    KINDS = ("workingHours", "specialOccasion")

    def __init__(self, account: str, seed: int, first_day: date):
        rng = random.Random(f"lp-emulator/business-hours/{account}/{seed}")
        self.revisions = {kind: rng.randrange(100, 5000) for kind in self.KINDS}
        workday_ids = sorted(rng.sample(range(2_800_000_000, 2_900_000_000), len(_WORKDAYS)))
        occasion_ids = sorted(rng.sample(range(2_800_000_000, 2_900_000_000), len(_SPECIAL_OCCASIONS)))
        self.workdays = [self._workdays(item_id, *spec) for item_id, spec in zip(workday_ids, _WORKDAYS)]
        # "The start date must be at the same day defined in the recurrence value ... If this is not followed, you
        # will not receive an error code but this event won't work": a Sunday rule on a Monday date.
        self.workdays[2]["events"].append(_workday_event("Asia/Tokyo", "SU", "12:00", "13:00", False,
                                                         anchor=_ANCHOR_MONDAY))
        self.special_occasions = [
            {"id": item_id, "deleted": deleted, "name": name, "description": description, "isDefault": default,
             "events": [_occasion_event(first_day, *event) for event in events]}
            for item_id, (name, description, default, deleted, events) in zip(occasion_ids, _SPECIAL_OCCASIONS)]
        self._by_kind = {"workingHours": self.workdays, "specialOccasion": self.special_occasions}

    @staticmethod
    def _workdays(item_id: int, name: str, description: str, default: bool, deleted: bool, zone: str,
                  events: list) -> dict:
        return {"id": item_id, "deleted": deleted, "name": name, "description": description, "isDefault": default,
                "events": [_workday_event(zone, *event) for event in events]}

    def assign(self, skills: list[dict]) -> None:
        """Sets `workingHoursId` / `specialOccasionId` on the skills that have their own (optional fields)."""
        for index, (workdays, occasion) in _SKILL_ASSIGNMENTS.items():
            if workdays is not None:
                skills[index]["workingHoursId"] = self.workdays[workdays]["id"]
            if occasion is not None:
                skills[index]["specialOccasionId"] = self.special_occasions[occasion]["id"]

    def listing(self, kind: str, include_deleted: bool) -> list[dict]:
        """The list as served: id, name, deleted and isDefault only."""
        return [_summary(item) for item in self._by_kind[kind] if include_deleted or not item["deleted"]]

    def full(self, kind: str, include_deleted: bool = True) -> list[dict]:
        """Every full object (copies), as the by-id method serves each."""
        return [copy.deepcopy(item) for item in self._by_kind[kind] if include_deleted or not item["deleted"]]

    def by_id(self, kind: str, item_id: str) -> dict | None:
        """The full object of `item_id` (deleted ones too: the docs do not say otherwise), None when unknown."""
        for item in self._by_kind[kind]:
            if str(item["id"]) == item_id:
                return copy.deepcopy(item)
        return None
