"""Workdays and special occasions: the emulator serves them as LivePerson documents (a list of names, each full
object by its id, `v` required, an `ac-revision` header), skills carry their ids, and the assets
`liveperson/workdays` and `liveperson/special_occasions` load every object (deleted ones included) with its events
and their recurrence in child tables. Every expected value is the emulator's own."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from dagster import AssetKey, materialize
from requests_oauthlib import OAuth1

from liveperson_dagster.definitions import defs

from .helpers import assets_of, query, resources_for

PATHS = {"workingHours": "/api/account/{account}/configuration/ac-common/workinghours",
         "specialOccasion": "/api/account/{account}/configuration/ac-common/specialoccasion"}
LISTINGS = {"workingHours": "workdays", "specialOccasion": "special_occasions"}
SUMMARY = {"id", "name", "deleted", "isDefault"}


def get(emulator, kind: str, suffix: str = "", query_string: str = "v=1.0") -> requests.Response:
    credentials = emulator.credentials
    auth = OAuth1(credentials["app_key"], credentials["app_secret"], credentials["access_token"],
                  credentials["access_token_secret"])
    path = PATHS[kind].format(account=credentials["account_id"]) + suffix
    return requests.get(f"{emulator.csds_url}{path}?{query_string}", auth=auth, timeout=30)


@pytest.mark.parametrize("kind", list(PATHS))
def test_the_list_names_the_objects_and_the_by_id_method_answers_each_in_full(emulator, kind):
    full = getattr(emulator, LISTINGS[kind])()
    everything = get(emulator, kind, query_string="v=1.0&include_deleted=true")
    assert everything.status_code == 200 and everything.headers["ac-revision"].isdigit()
    assert everything.json() == [{key: item[key] for key in SUMMARY} for item in full]
    current = get(emulator, kind)
    assert current.json() == [{key: item[key] for key in SUMMARY} for item in full if not item["deleted"]]
    assert len(current.json()) < len(everything.json())  # a deleted one, served only when asked for
    for item in full:
        one = get(emulator, kind, f"/{item['id']}")
        assert one.status_code == 200 and one.json() == item
        assert one.headers["ac-revision"] == everything.headers["ac-revision"]
    assert get(emulator, kind, "/12345").status_code == 404
    for query_string in ("", "v=2.0"):
        refused = get(emulator, kind, query_string=query_string)
        assert refused.status_code == 400 and "message" in refused.json(), query_string


def test_the_schedules_hold_what_the_marts_must_handle(emulator):
    workdays, occasions = emulator.workdays(), emulator.special_occasions()
    events = [event for item in workdays for event in item["events"]]
    assert [item["name"] for item in workdays if item["isDefault"]] == ["Support – New York"]
    assert [item["name"] for item in occasions if item["isDefault"]] == ["Account occasions"]
    assert {event["start"]["timeZone"] for event in events} >= {"America/New_York", "Europe/Paris", "Asia/Tokyo"}
    for event in events:
        assert event["start"]["timeZone"] == event["end"]["timeZone"]
        (rule,) = event["recurrence"]
        assert rule.startswith("RRULE:FREQ=WEEKLY;BYDAY=")
    # New York leaves summer time inside the emulator's days (2026-11-01).
    new_york = ZoneInfo("America/New_York")
    assert new_york.utcoffset(emulator_day(emulator, 0)) != new_york.utcoffset(emulator_day(emulator, 9))
    paris = next(item for item in workdays if item["name"] == "Équipe Paris – coupure")
    mondays = [event for event in paris["events"] if event["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]]
    assert len(mondays) == 2  # split shifts
    assert any(len(event["start"]["dateTime"]) == 10 for event in events)  # a whole day, date-only
    assert any(event["end"]["dateTime"].endswith("T23:59:00") for event in events)  # ... and up to 23:59
    occasion_events = [event for item in occasions for event in item["events"]]
    assert {event["meta"]["working"] for event in occasion_events} == {True, False}
    assert any(event["recurrence"] for event in occasion_events)
    assert any(item["deleted"] for item in workdays) and any(item["deleted"] for item in occasions)
    skills = emulator.skills()
    assert {skill.get("workingHoursId") for skill in skills} - {None} <= {item["id"] for item in workdays}
    assert {skill.get("specialOccasionId") for skill in skills} - {None} <= {item["id"] for item in occasions}
    assert any("workingHoursId" not in skill for skill in skills)  # the account's default applies to them


def emulator_day(emulator, offset: int) -> datetime:
    return datetime.combine(emulator.config.first_day + timedelta(days=offset), datetime.min.time())


EVENT_COLUMNS = "start__date_time, start__time_zone, end__date_time, end__time_zone"


def test_the_assets_load_every_object_with_its_events_and_the_skills_their_ids(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    result = materialize(assets_of("skills", "workdays", "special_occasions"),
                         resources=resources_for(emulator, database))
    assert result.success
    for table, listing in (("workdays", emulator.workdays()), ("special_occasions", emulator.special_occasions())):
        rows = query(database, f"select id, name, description, deleted, is_default from liveperson.{table}")
        assert sorted(rows) == sorted((item["id"], item["name"], item["description"], item["deleted"],
                                       item["isDefault"]) for item in listing), table
        extra = ", e.meta__working, e.meta__name" if table == "special_occasions" else ""
        events = query(database, f"select o.id, {', '.join('e.' + c for c in EVENT_COLUMNS.split(', '))}, "
                                 f"r.value{extra} from liveperson.{table} o "
                                 f"join liveperson.{table}__events e on e._dlt_parent_id = o._dlt_id "
                                 f"left join liveperson.{table}__events__recurrence r on r._dlt_parent_id = e._dlt_id")
        expected = [(item["id"], event["start"]["dateTime"], event["start"]["timeZone"], event["end"]["dateTime"],
                     event["end"]["timeZone"], (event["recurrence"] or [None])[0],
                     *((event["meta"]["working"], event["meta"]["name"]) if extra else ()))
                    for item in listing for event in item["events"]]
        assert sorted(events, key=repr) == sorted(expected, key=repr), table
    skills = query(database, "select id, working_hours_id, special_occasion_id from liveperson.skills")
    assert sorted(skills) == sorted((skill["id"], skill.get("workingHoursId"), skill.get("specialOccasionId"))
                                    for skill in emulator.skills())


def test_the_assets_are_configuration_snapshots_of_the_liveperson_group():
    graph = defs.resolve_asset_graph()
    for name in ("workdays", "special_occasions"):
        node = graph.get(AssetKey(["liveperson", name]))
        assert node.group_name == "liveperson" and node.partitions_def is None and node.description
