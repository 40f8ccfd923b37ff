"""The marts (liveperson_dbt, run by dagster-dbt) against figures computed here from the emulator's own records:
days loaded and built in one run, on DuckDB and PostgreSQL, in UTC and in Asia/Kathmandu (+05:45, whose midnight
the emulator puts status changes on); a re-run of a day replaces exactly its rows; late changes refresh the marts
of the days they touched; the `dagster` CLI builds every mart of a day; the manifest is parsed when stale."""

import fcntl
import os
import re
import shutil
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Callable, Optional
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    DagsterEventType, DagsterInstance, Definitions, RunRequest, build_run_status_sensor_context, materialize,
)

from liveperson_emulator import Emulator, EmulatorConfig
from liveperson_dagster.marts import build_marts_assets
from liveperson_dagster.constants import MARTS_JOB_NAME
from liveperson_dagster.jobs import marts_job, updates_job
from liveperson_dagster.marts import MARTS_SENSOR_NAME, marts_after_updates_sensor
from liveperson_dagster.runs.partitions import daily_partitions
from liveperson_dagster.report import REPORT_KEY, build_report_asset
from liveperson_dagster.report_data import RESPONSE_BUCKETS, UNASSIGNED_SKILL, read_report_data
from liveperson_dagster.report_html import CHART_IDS, render_report
from liveperson_dagster.resources import LivePersonWarehouse
from liveperson_dagster.config import ProjectSettings
from liveperson_dagster.updates import UPDATES_OP_NAME

from .business_hours import UNASSIGNED, BusinessCalendar, from_ms
from .helpers import (
    FIRST_DAY, LAST_DAY, assets_of, cli_env, credentials_for, day_keys, fresh_postgres_database, postgres_query,
    query, require_postgres, resources_for, run_materialize,
)

# Friday to Monday: a weekend, and New York's change to winter time (Sunday 2026-11-01) inside the schedules.
DAYS = ("2026-10-30", "2026-11-02")
LOADED = ("users", "skills", "agent_groups", "agent_status_reasons", "conversations", "agent_status_changes")
SCHEDULES = ("workdays", "special_occasions")
START_DATE = date(2026, 10, 26)
STATUS_OF_SUB_TYPE = {1: "OFFLINE", 2: "ONLINE", 3: "OCCUPIED", 4: "AWAY"}
CONVERSATION_COLUMNS = (
    "conversation_id", "day", "started_at", "ended_at", "status", "duration_seconds", "latest_agent_id",
    "latest_skill_id", "latest_agent_group_id", "consumer_message_count", "agent_message_count",
    "first_response_seconds", "transfer_count", "csat", "mcs", "close_reason", "channel",
)
BUSINESS_COLUMNS = ("conversation_id", "first_response_seconds", "first_response_business_seconds",
                    "within_service_level", "abandoned", "started_in_business_hours")
SERVICE_LEVEL_SECONDS = 300  # the dbt var's default


# Building

@dataclass
class Built:
    """Marts built for `days` in the time zone `tz`; `rows` reads the warehouse."""

    emulator: Emulator
    tz: str
    days: tuple
    rows: Callable[[str], list]
    result: object = None
    checks: list = field(default_factory=list)


def range_tags(first: str, last: str) -> dict:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def load_and_build(emulator, warehouse: LivePersonWarehouse, database, tz: str, first: str, last: str,
                   tables=LOADED, report: bool = False):
    """The LivePerson assets of `tables` and every mart (and the report), for the days first..last, in one run."""
    settings = ProjectSettings(timezone=tz, start_date=START_DATE)
    marts = build_marts_assets(daily_partitions(START_DATE, tz)) + ([build_report_asset(tz)] if report else [])
    resources = {**resources_for(emulator, database), "warehouse": warehouse}
    tags = range_tags(first, last) if first != last else {}
    result = materialize([*assets_of(*tables, settings=settings), *marts], resources=resources, tags=tags,
                         partition_key=first if first == last else None)
    assert result.success
    return result


# Each dialect's SQL in a zone whose days are not UTC's (+05:45: neither whole hours nor UTC's dates), and DuckDB's in
# UTC too (the default). PostgreSQL in UTC would add a warehouse to build and no code path: the server's own zone
# is UTC here, so UTC hides the mistakes Kathmandu shows.
CASES = [("duckdb", "UTC"), ("duckdb", "Asia/Kathmandu"), ("postgres", "Asia/Kathmandu")]


# The module's emulator; a test that changes records starts one of its own with these settings (the same records).
MODULE_EMULATOR = {"first_day": date(2026, 10, 30), "last_day": LAST_DAY, "conversations_per_day": 30}


@pytest.fixture(scope="module")
def emulator_of_module():
    emulator = Emulator(EmulatorConfig(**MODULE_EMULATOR))
    emulator.start()
    yield emulator
    emulator.stop()


def build_on_duckdb(emulator, tz: str, tmp_path_factory) -> tuple:
    database = tmp_path_factory.mktemp("marts") / "warehouse.duckdb"
    result = load_and_build(emulator, LivePersonWarehouse(duckdb_path=str(database)), database, tz, *DAYS,
                            tables=LOADED + SCHEDULES, report=True)
    return database, Built(emulator, tz, DAYS, lambda sql: query(database, sql), result,
                           result.get_asset_check_evaluations())


@pytest.fixture(scope="module")
def built_on_duckdb_in_utc(emulator_of_module, tmp_path_factory) -> tuple:
    """The DuckDB file and its Built: read by the `built` tests, copied by those that change a warehouse."""
    return build_on_duckdb(emulator_of_module, "UTC", tmp_path_factory)


def copy_of_built_warehouse(built_on_duckdb_in_utc, tmp_path: Path) -> Path:
    """A copy of the DuckDB warehouse built for DAYS in UTC, for a test that changes it (and its own emulator,
    whose records are the module's: the same settings)."""
    database, _ = built_on_duckdb_in_utc
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(database, copy)
    return copy


@pytest.fixture(scope="module", params=CASES, ids=[f"{d}-{tz}" for d, tz in CASES])
def built(request, emulator_of_module, tmp_path_factory) -> Built:
    destination, tz = request.param
    emulator = emulator_of_module
    if destination == "duckdb":
        if tz == "UTC":
            yield request.getfixturevalue("built_on_duckdb_in_utc")[1]
        else:
            yield build_on_duckdb(emulator, tz, tmp_path_factory)[1]
        return
    require_postgres()
    with fresh_postgres_database("liveperson_marts_test") as name, pytest.MonkeyPatch.context() as env:
        # Trust authentication ignores the password, but dlt insists on one.
        env.setenv("DESTINATION__POSTGRES__CREDENTIALS", f"postgresql://postgres:unused@127.0.0.1:5432/{name}")
        report = tmp_path_factory.mktemp("report") / "contact_center.html"
        result = load_and_build(emulator, LivePersonWarehouse(destination="postgres", report_path=str(report)),
                                "unused.duckdb", tz, *DAYS, tables=LOADED + SCHEDULES, report=True)
        env.undo()
        yield Built(emulator, tz, DAYS, lambda sql: postgres_query(name, sql), result,
                    result.get_asset_check_evaluations())


# What the marts should hold, computed from the emulator's records

def local_window(tz: str, first: str, last: str) -> tuple:
    zone = ZoneInfo(tz)
    start = datetime.combine(date.fromisoformat(first), time(), zone)
    end = datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(), zone)
    return start, end


def day_of_ms(ms: int, tz: str) -> date:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).date()


def calendar_of(emulator, first: str, last: str) -> BusinessCalendar:
    """The skills' open intervals over the local dates around the days first..last (a first response may come
    three days after the start)."""
    return BusinessCalendar(emulator, date.fromisoformat(first) - timedelta(days=3),
                            date.fromisoformat(last) + timedelta(days=6))


def expected_conversations(emulator, tz: str, first: str, last: str) -> dict:
    """conversation_id -> the fct_conversations row, by the definitions of the model's docs (the issue's)."""
    rows = {}
    calendar = calendar_of(emulator, first, last)
    for record in emulator.conversations(*local_window(tz, first, last)):
        info = record["info"]
        messages = record.get("messageRecords") or []
        consumer = [m["timeL"] for m in messages if m["sentBy"] == "Consumer"]
        agent = [m["timeL"] for m in messages if m["sentBy"] == "Agent"]
        first_consumer = min(consumer, default=None)
        first_agent = min((t for t in agent if first_consumer is not None and t >= first_consumer), default=None)
        ended = info["endTimeL"] if info.get("endTimeL", -1) > 0 else None
        rows[info["conversationId"]] = {
            "conversation_id": info["conversationId"],
            "day": day_of_ms(info["startTimeL"], tz),
            "started_at": info["startTimeL"],
            "ended_at": ended,
            "status": info["status"],
            "duration_seconds": (ended - info["startTimeL"]) / 1000 if ended else None,
            "latest_agent_id": int(info["latestAgentId"]),
            "latest_skill_id": info["latestSkillId"],
            "latest_agent_group_id": info["latestAgentGroupId"],
            "consumer_message_count": len(consumer),
            "agent_message_count": len(agent),
            "first_response_seconds": (first_agent - first_consumer) / 1000 if first_agent is not None else None,
            "transfer_count": len(record.get("transfers") or []),
            "csat": info["csatRate"],
            "mcs": info["mcs"],
            "close_reason": info.get("closeReason"),
            "channel": info["source"],
            "_agent_messages": [int(m["participantId"]) for m in messages if m["sentBy"] == "Agent"],
            "_first_consumer": first_consumer,
            "_first_agent": first_agent,
        }
        row = rows[info["conversationId"]]
        business = (calendar.business_seconds(info["latestSkillId"], first_consumer, first_agent)
                    if first_agent is not None else None)
        row["first_response_business_seconds"] = business
        row["within_service_level"] = (None if not consumer
                                       else business is not None and business <= SERVICE_LEVEL_SECONDS)
        row["abandoned"] = info["status"] == "CLOSE" and bool(consumer) and not agent
        row["started_in_business_hours"] = calendar.is_open(info["latestSkillId"], info["startTimeL"])
    return rows


def median(values: list) -> Optional[float]:
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def mean(values: list) -> Optional[float]:
    return statistics.fmean(values) if values else None


def expected_agent_daily(conversations: dict) -> dict:
    by_latest, sent = defaultdict(list), defaultdict(int)
    for row in conversations.values():
        if row["latest_agent_id"] != -1:
            by_latest[(row["day"], row["latest_agent_id"])].append(row)
        for agent in row["_agent_messages"]:
            sent[(row["day"], agent)] += 1
    return {key: {
        "conversations": len(by_latest.get(key, [])),
        "messages_sent": sent.get(key, 0),
        "median_first_response_seconds": median([r["first_response_seconds"] for r in by_latest.get(key, [])]),
        "avg_csat": mean([r["csat"] for r in by_latest.get(key, []) if r["csat"] >= 1]),
    } for key in {*by_latest, *sent}}


def expected_skill_daily(conversations: dict) -> dict:
    by_skill = defaultdict(list)
    for row in conversations.values():
        by_skill[(row["day"], row["latest_skill_id"])].append(row)
    return {key: {
        "conversations": len(rows),
        "closed": sum(1 for r in rows if r["status"] == "CLOSE"),
        "avg_duration_seconds": mean([r["duration_seconds"] for r in rows if r["duration_seconds"] is not None]),
        "median_first_response_seconds": median([r["first_response_seconds"] for r in rows]),
        "avg_csat": mean([r["csat"] for r in rows if r["csat"] >= 1]),
        "transfers": sum(r["transfer_count"] for r in rows),
        "service_level_share": mean([1.0 if r["within_service_level"] else 0.0 for r in rows
                                     if r["within_service_level"] is not None]),
        "abandoned": sum(1 for r in rows if r["abandoned"]),
        "median_first_response_business_seconds": median([r["first_response_business_seconds"] for r in rows]),
    } for key, rows in by_skill.items()}


def expected_status_seconds(emulator, tz: str, first: str, last: str) -> dict:
    """(day, agent, status) -> seconds, from the status changes of the loaded days only (what came before the
    first day is not in the warehouse): each change's status lasts until the agent's next record, or to the end
    of its day when there is none; pieces cut at local midnights, on loaded days only (days with a change of any
    agent). A piece carried into a day whose previous day was not loaded is UNKNOWN, and so is the time before
    an agent's first record of such a day."""
    zone = ZoneInfo(tz)
    start, end = local_window(tz, first, last)
    by_agent = defaultdict(list)
    for record in emulator.status_changes(start, end):
        at = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
        by_agent[record["agentId"]].append((at, 1 if record["sessionId"] == -1 else 0, record["sequenceNumber"],
                                            record))
    loaded = {entry[0].astimezone(zone).date() for records in by_agent.values() for entry in records}
    seconds = defaultdict(float)
    for agent, records in by_agent.items():
        records.sort(key=lambda entry: entry[:3])
        first_of_day = {}
        for at, _, _, _ in records:
            first_of_day.setdefault(at.astimezone(zone).date(), at)
        carried_unknown = set()
        for index, (at, _, _, record) in enumerate(records):
            if record["statusType"] != 1:
                continue
            local_day = at.astimezone(zone).date()
            until = (records[index + 1][0] if index + 1 < len(records)
                     else datetime.combine(local_day + timedelta(days=1), time(), zone))
            day = local_day
            while True:
                day_start = datetime.combine(day, time(), zone)
                day_end = datetime.combine(day + timedelta(days=1), time(), zone)
                piece = (min(until, day_end) - max(at, day_start)).total_seconds()
                if piece > 0 and start <= day_start < end and day in loaded:
                    known = day == local_day or day - timedelta(days=1) in loaded
                    status = STATUS_OF_SUB_TYPE[record["statusSubType"]] if known else "UNKNOWN"
                    seconds[(day, agent, status)] += piece
                    if not known:
                        carried_unknown.add(day)
                if until <= day_end:
                    break
                day += timedelta(days=1)
        for day, first_at in first_of_day.items():
            if day - timedelta(days=1) not in loaded and day not in carried_unknown:
                piece = (first_at - datetime.combine(day, time(), zone)).total_seconds()
                if piece > 0:
                    seconds[(day, agent, "UNKNOWN")] += piece
    return dict(seconds)


def unknown_seconds_of(seconds: dict) -> dict:
    """(day, agent) -> the UNKNOWN seconds of that agent and day (0 when none)."""
    unknown = defaultdict(float)
    for (day, agent, status), value in seconds.items():
        unknown[(day, agent)] += value if status == "UNKNOWN" else 0.0
    return unknown


# Comparing

def ms(value) -> Optional[int]:
    return None if value is None else round(value.timestamp() * 1000)


def close(actual, expected, what: str) -> None:
    if expected is None or actual is None:
        assert actual == expected, what
    else:
        assert float(actual) == pytest.approx(expected, abs=1e-3), what


def mart_rows(built: Built, table: str, columns: tuple) -> list:
    return built.rows(f"select {', '.join(columns)} from liveperson_marts.{table}")


# The marts, case by case

def test_fct_conversations_holds_each_conversation_with_the_definitions_of_the_issue(built):
    expected = expected_conversations(built.emulator, built.tz, *built.days)
    rows = {row[0]: dict(zip(CONVERSATION_COLUMNS, row)) for row in mart_rows(built, "fct_conversations",
                                                                               CONVERSATION_COLUMNS)}
    assert sorted(rows) == sorted(expected) and len(rows) > 60
    assert {row["day"].isoformat() for row in rows.values()} == set(day_keys(*built.days))
    # The data exercises every definition: unassigned conversations, open ones, transfers, CSAT answers.
    assert any(row["latest_agent_id"] == -1 for row in expected.values())
    assert any(row["ended_at"] is None for row in expected.values())
    assert any(row["transfer_count"] for row in expected.values())
    assert any(row["csat"] for row in expected.values())
    assert any(row["first_response_seconds"] is None for row in expected.values())
    for conversation_id, want in expected.items():
        got = rows[conversation_id]
        for column in ("day", "status", "latest_agent_id", "latest_skill_id", "latest_agent_group_id",
                       "consumer_message_count", "agent_message_count", "transfer_count", "csat", "mcs",
                       "close_reason", "channel"):
            assert got[column] == want[column], (conversation_id, column)
        assert (ms(got["started_at"]), ms(got["ended_at"])) == (want["started_at"], want["ended_at"]), conversation_id
        close(got["duration_seconds"], want["duration_seconds"], (conversation_id, "duration_seconds"))
        close(got["first_response_seconds"], want["first_response_seconds"], (conversation_id, "first_response"))


def test_fct_conversations_measures_the_first_response_in_the_latest_skill_s_business_hours(built):
    expected = expected_conversations(built.emulator, built.tz, *built.days)
    rows = {row[0]: dict(zip(BUSINESS_COLUMNS, row)) for row in mart_rows(built, "fct_conversations",
                                                                           BUSINESS_COLUMNS)}
    assert sorted(rows) == sorted(expected)
    for conversation_id, want in expected.items():
        got = rows[conversation_id]
        close(got["first_response_business_seconds"], want["first_response_business_seconds"],
              (conversation_id, "first_response_business_seconds"))
        for column in ("within_service_level", "abandoned", "started_in_business_hours"):
            assert got[column] == want[column], (conversation_id, column)
    # The data exercises every definition: answered while closed (0 business seconds), answered across a closed
    # time (business < calendar), answered in open time (equal), over and within the service level, abandoned,
    # started outside the hours.
    values = list(expected.values())
    answered = [row for row in values if row["first_response_seconds"] is not None]
    assert any(row["first_response_business_seconds"] == 0 < row["first_response_seconds"] for row in answered)
    assert any(0 < row["first_response_business_seconds"] < row["first_response_seconds"] - 3600 for row in answered)
    assert any(row["first_response_business_seconds"] == row["first_response_seconds"] > 0 for row in answered)
    # (Every emulated conversation starts with a consumer message: None, no consumer message, is not in the data.)
    assert {row["within_service_level"] for row in values} == {True, False}
    assert any(row["abandoned"] for row in values)
    assert {row["started_in_business_hours"] for row in values} == {True, False}


def weekend_answers(built) -> list:
    """Conversations whose first-response interval spans a Saturday or Sunday in UTC, with both figures."""
    expected = expected_conversations(built.emulator, built.tz, *built.days)
    found = []
    for row in expected.values():
        if row["_first_agent"] is None:
            continue
        days = {from_ms(ms).date().weekday() for ms in range(row["_first_consumer"], row["_first_agent"], 3_600_000)}
        if days & {5, 6} and row["first_response_seconds"] > row["first_response_business_seconds"]:
            found.append(row)
    return found


def test_a_conversation_answered_over_the_weekend_counts_only_its_business_time(built):
    found = weekend_answers(built)
    assert found
    rows = {row[0]: dict(zip(BUSINESS_COLUMNS, row)) for row in mart_rows(built, "fct_conversations",
                                                                           BUSINESS_COLUMNS)}
    for want in found:
        got = rows[want["conversation_id"]]
        close(got["first_response_seconds"], want["first_response_seconds"], want["conversation_id"])
        close(got["first_response_business_seconds"], want["first_response_business_seconds"],
              want["conversation_id"])


def test_business_calendar_holds_each_skill_s_open_intervals_in_utc(built):
    calendar = calendar_of(built.emulator, *built.days)
    start, end = local_window("UTC", built.days[0], built.days[1])
    start, end = start - timedelta(days=1), end + timedelta(days=1)
    rows = defaultdict(list)
    for skill, opens, closes in built.rows("select skill_id, opens_at, closes_at from liveperson_marts.business_calendar"):
        if closes > start and opens < end:
            rows[skill].append((opens, closes))
    wanted = {skill: [(opens, closes) for opens, closes in intervals if closes > start and opens < end]
              for skill, intervals in calendar.intervals.items()}
    assert {skill: sorted(intervals) for skill, intervals in rows.items()} == {
        skill: intervals for skill, intervals in wanted.items() if intervals}
    # New York's Monday opens an hour later in UTC than its Thursday before the change to winter time.
    new_york = [opens for opens, _ in calendar.intervals[UNASSIGNED]]
    thursday = next(opens for opens in new_york if opens.date() == date(2026, 10, 29))
    monday = next(opens for opens in new_york if opens.date() == date(2026, 11, 2))
    assert (thursday.hour, monday.hour) == (13, 14)
    # The Paris day off closes Monday for the skill that has it; the changed hours of Friday replace its hours.
    schedules = {row[0]: row[1:] for row in built.rows(
        "select skill_id, workdays_from, is_always_open from liveperson_marts.dim_skill_schedules")}
    assert {origin for origin, _ in schedules.values()} == {"skill", "account default"}
    assert sorted(schedules) == sorted(calendar.schedules)


def test_fct_agent_daily_counts_conversations_messages_response_and_csat_per_agent(built):
    expected = expected_agent_daily(expected_conversations(built.emulator, built.tz, *built.days))
    columns = ("day", "agent_id", "conversations", "messages_sent", "median_first_response_seconds", "avg_csat")
    rows = {(row[0], row[1]): dict(zip(columns[2:], row[2:])) for row in mart_rows(built, "fct_agent_daily", columns)}
    assert sorted(rows) == sorted(expected)
    for key, want in expected.items():
        assert (rows[key]["conversations"], rows[key]["messages_sent"]) == (
            want["conversations"], want["messages_sent"]), key
        close(rows[key]["median_first_response_seconds"], want["median_first_response_seconds"], key)
        close(rows[key]["avg_csat"], want["avg_csat"], key)


def test_fct_skill_daily_has_a_row_per_skill_and_one_for_the_unassigned(built):
    expected = expected_skill_daily(expected_conversations(built.emulator, built.tz, *built.days))
    columns = ("day", "skill_id", "conversations", "closed", "avg_duration_seconds", "median_first_response_seconds",
               "avg_csat", "transfers", "service_level_share", "abandoned", "median_first_response_business_seconds")
    rows = {(row[0], row[1]): dict(zip(columns[2:], row[2:])) for row in mart_rows(built, "fct_skill_daily", columns)}
    assert sorted(rows) == sorted(expected)
    assert any(skill == -1 for _, skill in rows)
    for key, want in expected.items():
        for column in ("conversations", "closed", "transfers", "abandoned"):
            assert rows[key][column] == want[column], (key, column)
        for column in ("avg_duration_seconds", "median_first_response_seconds", "avg_csat", "service_level_share",
                       "median_first_response_business_seconds"):
            close(rows[key][column], want[column], (key, column))
    assert {0.0 < want["service_level_share"] < 1.0 for want in expected.values()
            if want["service_level_share"] is not None} == {True, False}


def test_fct_agent_status_daily_splits_each_status_at_the_days_of_the_time_zone(built):
    expected = expected_status_seconds(built.emulator, built.tz, *built.days)
    rows = {(row[0], row[1], row[2]): row[3]
            for row in mart_rows(built, "fct_agent_status_daily", ("day", "agent_id", "status", "seconds"))}
    assert sorted(rows) == sorted(expected) and len(rows) > 20
    for key, seconds in expected.items():
        close(rows[key], seconds, key)
    # A status carried over midnight counts on both days: some agent works across one.
    assert any(rows.get((day + timedelta(days=1), agent, status)) for day, agent, status in rows)
    assert max(sum(s for (d, a, _), s in rows.items() if (d, a) == (day, agent)) for day, agent, _ in rows) <= 86400
    # The day before the first day was not loaded: what the agents did before their first record is UNKNOWN then,
    # and only then; `unknown_seconds` repeats it on each of the agent's rows of the day.
    first_day = date.fromisoformat(built.days[0])
    assert {day for day, _, status in rows if status == "UNKNOWN"} == {first_day}
    unknown = unknown_seconds_of(expected)
    for day, agent, _, value in mart_rows(built, "fct_agent_status_daily", ("day", "agent_id", "status",
                                                                             "unknown_seconds")):
        close(value, unknown[(day, agent)], (day, agent, "unknown_seconds"))


def test_the_dimensions_hold_every_user_skill_and_group_with_the_group_path(built):
    emulator = built.emulator
    agents = {row[0]: row[1:] for row in built.rows(
        "select agent_id, login_name, is_deleted from liveperson_marts.dim_agents")}
    assert agents == {int(u["id"]): (u["loginName"], u["deleted"] in (True, "true")) for u in emulator.users()}
    skills = {row[0]: row[1] for row in built.rows("select skill_id, skill_name from liveperson_marts.dim_skills")}
    assert skills == {int(s["id"]): s["name"] for s in emulator.skills()}
    groups = {int(g["id"]): g for g in emulator.agent_groups()}

    def path(group_id: int) -> str:
        group = groups[group_id]
        parent = group.get("parentGroupId")
        return f"{path(int(parent))} / {group['name']}" if parent is not None and int(parent) in groups else group["name"]

    paths = {row[0]: row[1] for row in built.rows("select agent_group_id, group_path from liveperson_marts.dim_agent_groups")}
    assert paths == {group_id: path(group_id) for group_id in groups}
    assert any(path.count(" / ") >= 2 for path in paths.values())


def id_kind(table: str, column: str) -> Optional[str]:
    """The kind of id a column of the raw tables or the marts holds, by its name; None for any other column."""
    name = column.rpartition("__")[2]
    if (table, name) in (("users", "id"), ("dim_agents", "agent_id")) or name.endswith("agent_id"):
        return "agent"
    if table == "skills" and name == "id" or name.endswith("skill_id"):
        return "skill"
    if table == "agent_groups" and name == "id" or name.endswith("group_id"):
        return "agent_group"
    if name in ("conversation_id", "lob_id") or table == "lobs" and name == "id":
        return name.replace("_id", "") if name != "id" else "lob"
    return None


def test_ids_of_one_kind_have_one_type_in_every_table_and_mart(built):
    types = {}
    for schema, table, column, data_type in built.rows(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema in ('liveperson', 'liveperson_marts')"):
        kind = id_kind(table, column)
        if kind:
            types.setdefault(kind, {})[f"{schema}.{table}.{column}"] = data_type.lower()
    bigint, text = "bigint", ("varchar", "character varying", "text")
    for kind in ("agent", "skill", "agent_group", "lob"):
        assert set(types[kind].values()) == {bigint}, (kind, types[kind])
    assert {"liveperson.users.id", "liveperson.conversations.info__latest_agent_id",
            "liveperson.agent_status_changes.agent_id", "liveperson.conversations__transfers.source_agent_id",
            "liveperson_marts.fct_conversations.latest_agent_id", "liveperson_marts.dim_agents.agent_id"} <= set(
        types["agent"])
    # PostgreSQL spells dlt's text `character varying` and the views' casts `text`: one string type (no length).
    assert set(types["conversation"].values()) <= set(text) and len(types["conversation"]) >= 6


def test_every_dbt_test_is_an_asset_check_that_passed(built):
    marts_checks = [check for check in built.checks if check.asset_key.path[0] == "liveperson_marts"]
    assert len(marts_checks) == 53
    assert [check.check_name for check in marts_checks if not check.passed] == []


# The report

def expected_report(emulator, tz: str, first: str, last: str) -> dict:
    """The report's figures from the emulator's records, by the marts' definitions."""
    conversations = list(expected_conversations(emulator, tz, first, last).values())
    days = [date.fromisoformat(first) + timedelta(days=offset)
            for offset in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)]
    skill_names = {skill["id"]: skill["name"] for skill in emulator.skills()}
    by_skill = defaultdict(lambda: dict.fromkeys(days, 0))
    for row in conversations:
        name = UNASSIGNED_SKILL if row["latest_skill_id"] == -1 else skill_names[row["latest_skill_id"]]
        by_skill[name][row["day"]] += 1
    responses = [row["first_response_seconds"] for row in conversations if row["first_response_seconds"] is not None]
    buckets = {label: sum(1 for seconds in responses if low <= seconds and (high is None or seconds < high))
               for label, low, high in RESPONSE_BUCKETS}
    answers = {day: [row["csat"] for row in conversations if row["day"] == day and row["csat"] >= 1] for day in days}
    hours = {status: dict.fromkeys(days, 0.0) for status in STATUS_OF_SUB_TYPE.values()}
    for (day, _, status), seconds in expected_status_seconds(emulator, tz, first, last).items():
        hours.setdefault(status, dict.fromkeys(days, 0.0))[day] += seconds / 3600
    names = {user["id"]: user.get("fullName") or user.get("nickname") or user.get("loginName")
             for user in emulator.users()}
    of_agent = defaultdict(list)
    for row in conversations:
        if row["latest_agent_id"] != -1:
            of_agent[row["latest_agent_id"]].append(row)
    busiest = sorted(of_agent.items(), key=lambda item: (-len(item[1]), item[0]))[:10]
    all_answers = [csat for day in days for csat in answers[day]]
    service_level = defaultdict(lambda: dict.fromkeys(days))
    for (day, skill), row in expected_skill_daily({row["conversation_id"]: row for row in conversations}).items():
        if row["service_level_share"] is not None:
            name = UNASSIGNED_SKILL if skill == -1 else skill_names[skill]
            service_level[name][day] = row["service_level_share"] * 100
    return {
        "service_level_by_skill": dict(service_level),
        "days": days,
        "conversations_by_skill": dict(by_skill),
        "first_response": buckets,
        "csat_by_day": {day: mean(answers[day]) for day in days},
        "status_hours": hours,
        "top_agents": [(names[agent], len(rows)) for agent, rows in busiest],
        "headline": {
            "conversations": len(conversations),
            "closed": sum(1 for row in conversations if row["status"] == "CLOSE"),
            "median_first_response_seconds": median(responses),
            "median_first_response_business_seconds": median(
                [row["first_response_business_seconds"] for row in conversations]),
            "avg_csat": mean(all_answers),
            "csat_answers": len(all_answers),
            "agent_hours_online": sum(hours["ONLINE"].values()),
        },
    }


def report_materialization(built: Built):
    (event,) = [event for event in built.result.get_asset_materialization_events() if event.asset_key == REPORT_KEY]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_the_report_metadata_holds_the_headline_figures_and_the_page(built):
    expected = expected_report(built.emulator, built.tz, *built.days)
    metadata = report_materialization(built)
    headline = expected["headline"]
    assert (metadata["first_day"], metadata["last_day"]) == built.days
    assert (metadata["conversations"], metadata["closed"], metadata["csat_answers"]) == (
        headline["conversations"], headline["closed"], headline["csat_answers"])
    assert metadata["median_first_response_seconds"] == round(headline["median_first_response_seconds"], 1)
    assert metadata["median_first_response_business_seconds"] == round(
        headline["median_first_response_business_seconds"], 1)
    assert metadata["avg_csat"] == round(headline["avg_csat"], 2)
    assert metadata["agent_hours_online"] == round(headline["agent_hours_online"], 1)
    page = Path(metadata["report"])
    assert page.is_file() and metadata["report_url"] == page.as_uri()
    # Every script and style is inline (plotly's library included); outside the scripts, nothing refers elsewhere.
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=|<link\b", text)
    assert not re.search(r"(https?:)?//", re.sub(r"<script>.*?</script>", "", text, flags=re.DOTALL))


# What the page drew: each chart's traces (name, x, y) and, per trace, the heights in pixels of its bars or markers.
DRAWN_CHARTS_JS = """ids => Object.fromEntries(Object.entries(ids).map(([key, id]) => {
    const chart = document.getElementById(id);
    return [key, {
        traces: chart.data.map(trace => ({name: trace.name, x: trace.x, y: trace.y})),
        drawn: [...chart.querySelectorAll('.barlayer .trace, .scatterlayer .trace')].map(
            trace => [...trace.querySelectorAll('.point')].map(point => point.getBBox().height)),
    }];
}))"""


def by_day(trace: dict) -> dict:
    return dict(zip(trace["x"], trace["y"]))


def assert_bars_drawn_to_scale(chart: dict) -> None:
    """Every bar is drawn, each as high as its value on one scale (within a pixel)."""
    values = [value for trace in chart["traces"] for value in trace["y"]]
    heights = [height for trace in chart["drawn"] for height in trace]
    assert [len(trace) for trace in chart["drawn"]] == [len(trace["y"]) for trace in chart["traces"]]
    scale = max(heights) / max(values)
    assert all(abs(height - value * scale) <= 1.0 for value, height in zip(values, heights)), (values, heights)


def test_the_report_page_draws_the_charts_with_the_marts_numbers(built, browser_page):
    page, requested = browser_page
    expected = expected_report(built.emulator, built.tz, *built.days)
    url = report_materialization(built)["report_url"]
    page.goto(url)
    page.wait_for_function("ids => Object.values(ids).every(id => document.getElementById(id)?._fullLayout)",
                           arg=CHART_IDS, timeout=30_000)
    charts = page.evaluate(DRAWN_CHARTS_JS, CHART_IDS)
    # Each chart fits its card (the page lays out its columns before the charts are drawn).
    assert page.evaluate("ids => Object.values(ids).filter(id => { const chart = document.getElementById(id); "
                         "return chart.querySelector('.main-svg').getBoundingClientRect().right > "
                         "chart.closest('.card').getBoundingClientRect().right; })", CHART_IDS) == []
    assert requested == [url]  # the page needed nothing but itself

    days = [day.isoformat() for day in expected["days"]]
    assert {trace["name"]: by_day(trace) for trace in charts["conversations_by_skill"]["traces"]} == {
        name: {day.isoformat(): count for day, count in counts.items()}
        for name, counts in expected["conversations_by_skill"].items()}
    (response,) = charts["first_response"]["traces"]
    assert dict(zip(response["x"], response["y"])) == expected["first_response"]
    for key in ("conversations_by_skill", "first_response", "agent_status"):
        assert_bars_drawn_to_scale(charts[key])

    (csat,) = charts["csat_trend"]["traces"]
    assert csat["x"] == days
    for day, value in zip(expected["days"], csat["y"]):
        close(value, expected["csat_by_day"][day], f"CSAT of {day}")
    assert len(charts["csat_trend"]["drawn"][0]) == sum(1 for value in csat["y"] if value is not None)

    status = {trace["name"]: by_day(trace) for trace in charts["agent_status"]["traces"]}
    assert set(status) == set(expected["status_hours"])
    for name, hours in expected["status_hours"].items():
        for day, value in hours.items():
            close(status[name][day.isoformat()], value, f"{name} hours of {day}")

    figures = {tile.get_attribute("data-figure"): tile.get_attribute("data-value")
               for tile in page.query_selector_all(".tile")}
    headline = expected["headline"]
    assert int(float(figures["conversations"])) == headline["conversations"]
    close(float(figures["closed_percent"]), headline["closed"] / headline["conversations"] * 100, "closed %")
    for name in ("median_first_response_seconds", "avg_csat", "agent_hours_online",
                 "median_first_response_business_seconds"):
        close(float(figures[name]), headline[name], name)
    # The service level by day and skill (percent; a day without a conversation of the skill is a gap), and no day
    # marked not loaded: every day of the period was.
    service_level = {trace["name"]: by_day(trace) for trace in charts["service_level"]["traces"]}
    assert set(service_level) == set(expected["service_level_by_skill"])
    for name, shares in expected["service_level_by_skill"].items():
        for day, value in shares.items():
            close(service_level[name][day.isoformat()], value, f"service level of {name} on {day}")
    assert page.query_selector("#days-not-loaded") is None
    table = [(row.query_selector("td:nth-child(1)").inner_text(),
              int(row.query_selector("td:nth-child(3)").inner_text().replace(",", "")))
             for row in page.query_selector_all("#top-agents tbody tr")]
    assert table == expected["top_agents"]


# Re-runs and the CLI (DuckDB, UTC)

def test_a_rerun_of_a_day_replaces_exactly_its_rows_and_leaves_the_environment(
        start_emulator, built_on_duckdb_in_utc, tmp_path):
    emulator = start_emulator(**MODULE_EMULATOR)
    first, day, last = DAYS[0], day_keys(*DAYS)[1], DAYS[1]
    database = copy_of_built_warehouse(built_on_duckdb_in_utc, tmp_path)
    warehouse = LivePersonWarehouse(duckdb_path=str(database))
    assert sorted(row[0] for row in query(database, "select conversation_id from liveperson.conversations")) == \
        sorted(emulator.conversation_ids(*local_window("UTC", first, last)))  # the module's records, as built
    others = f"select * from liveperson_marts.fct_conversations where day <> date '{day}' order by conversation_id"
    before = query(database, others)
    # Upstream, on the middle day: one conversation deleted, a closed one rated late.
    records = emulator.conversations(*local_window("UTC", day, day))
    gone = records[0]["info"]["conversationId"]
    rated = next(r["info"]["conversationId"] for r in records[1:]
                 if r["info"]["status"] == "CLOSE" and not r["info"]["csatRate"])
    emulator.delete_conversations([gone])
    emulator.update_conversation(rated, emulator.last_update(rated) + timedelta(minutes=5), csat=4)

    environment = dict(os.environ)
    load_and_build(emulator, warehouse, database, "UTC", day, day, tables=("conversations",))
    assert dict(os.environ) == environment  # the variables set for dbt are gone with the run
    expected = expected_conversations(emulator, "UTC", day, day)
    rows = dict(query(database, "select conversation_id, csat from liveperson_marts.fct_conversations "
                                f"where day = date '{day}'"))
    assert gone not in rows and sorted(rows) == sorted(expected)
    assert rows[rated] == 4
    skills = query(database, "select sum(conversations), sum(closed) from liveperson_marts.fct_skill_daily "
                             f"where day = date '{day}'")
    assert skills == [(len(expected), sum(1 for r in expected.values() if r["status"] == "CLOSE"))]
    # The other days are untouched.
    assert query(database, others) == before


def test_the_cli_builds_every_mart_of_a_day(emulator, tmp_path):
    day = "2026-11-03"
    database = tmp_path / "warehouse.duckdb"
    settings = ProjectSettings(start_date=START_DATE)
    assert materialize(assets_of(*LOADED, settings=settings), resources=resources_for(emulator, database),
                       partition_key=day).success
    env = cli_env(emulator, database, tmp_path / "dagster_home")
    code, output, _ = run_materialize(env, tmp_path / "marts.log", "--select", "group:liveperson_marts",
                                      "--partition", day)
    assert code == 0, output[-4000:]
    tables = {row[0] for row in query(database, "select table_name from information_schema.tables "
                                                "where table_schema = 'liveperson_marts'")}
    assert {"dim_agents", "dim_skills", "dim_agent_groups", "fct_conversations", "fct_agent_daily",
            "fct_skill_daily", "fct_agent_status_daily"} <= tables
    for table in ("fct_conversations", "fct_agent_daily", "fct_skill_daily", "fct_agent_status_daily"):
        assert query(database, f"select distinct day from liveperson_marts.{table}") == [(date(2026, 11, 3),)], table
    assert query(database, "select count(*) from liveperson_marts.fct_conversations") == [
        (len(emulator.conversation_ids(*local_window("UTC", day, day))),)]
    # No workdays loaded: every skill is always open, so business time is calendar time.
    assert query(database, "select count(*) from liveperson_marts.fct_conversations where not started_in_business_hours "
                           "or first_response_business_seconds is distinct from first_response_seconds") == [(0,)]
    assert query(database, "select distinct workdays_from from liveperson_marts.dim_skill_schedules") == [
        ("always open",)]
    # The report, next to the warehouse.
    assert (tmp_path / "liveperson_report.html").is_file()


def test_a_dbt_command_s_profile_holds_the_warehouse_readable_by_the_user_only(tmp_path):
    import yaml

    from liveperson_dagster.marts import write_profile
    from liveperson_dagster.marts import DBT_PROJECT_DIR

    connection = {"host": "db.example", "port": 6543, "user": "loader", "password": "s3cret!", "dbname": "dw"}
    path = write_profile(str(tmp_path), DBT_PROJECT_DIR / "profiles.yml", "postgres", connection)
    assert path == tmp_path / "profiles.yml" and path.stat().st_mode & 0o777 == 0o600
    profile = yaml.safe_load(path.read_text())["liveperson"]
    assert profile["target"] == "postgres" and list(profile["outputs"]) == ["postgres"]
    output = profile["outputs"]["postgres"]
    assert output == {**output, **connection, "type": "postgres", "schema": "liveperson_marts"}
    assert "env_var" not in path.read_text()  # every value the variables give is the warehouse's
    (tmp_path / "duckdb").mkdir()
    duckdb = write_profile(str(tmp_path / "duckdb"), DBT_PROJECT_DIR / "profiles.yml", "duckdb",
                           {"path": "/w.duckdb", "settings": {"memory_limit": "64MB"}})
    output = yaml.safe_load(duckdb.read_text())["liveperson"]["outputs"]["duckdb"]
    assert output["path"] == "/w.duckdb" and output["settings"] == {"memory_limit": "64MB"}


def test_the_manifest_is_parsed_when_missing_or_older_than_a_file_of_the_dbt_project(tmp_path):
    from dagster_dbt import DbtProject

    from liveperson_dagster.marts import DBT_PROJECT_DIR, manifest_is_current, prepared_manifest

    copy = tmp_path / "liveperson_dbt"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    project = DbtProject(project_dir=copy)
    assert not manifest_is_current(project)
    manifest = prepared_manifest(project)  # a fresh clone: parsed when the definitions load
    assert manifest == copy / "target" / "manifest.json" and manifest_is_current(project)
    parsed_at = manifest.stat().st_mtime
    assert prepared_manifest(project).stat().st_mtime == parsed_at  # current: not parsed again
    model = copy / "models" / "marts" / "fct_skill_daily.sql"
    os.utime(model, (parsed_at + 1, parsed_at + 1))  # an edited model (a parse takes longer than a second)
    assert not manifest_is_current(project)
    assert prepared_manifest(project).stat().st_mtime > parsed_at and manifest_is_current(project)


def test_a_load_waiting_for_another_process_s_dbt_parse_names_it_and_gives_up(tmp_path, caplog):
    from dagster_dbt import DbtProject

    from liveperson_dagster import marts

    copy = tmp_path / "liveperson_dbt"
    shutil.copytree(marts.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    project = DbtProject(project_dir=copy)
    (copy / "target").mkdir()
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    with open(copy / "target" / "manifest.lock", "w") as other:  # flock is per open file: it competes with ours
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.write("4242")
        other.flush()
        with caplog.at_level("WARNING", logger="liveperson_dagster.marts"), pytest.raises(RuntimeError) as raised:
            marts.parse(project, clock=lambda: now[0], sleep=sleep)
    lock = copy / "target" / "manifest.lock"
    assert str(raised.value) == (f"Gave up after 300 s waiting for the dbt parse of pid 4242 (it holds {lock}; a parse "
                                 "takes seconds): stop that process, then load the definitions again")
    waits = [record.getMessage() for record in caplog.records]
    assert waits == [f"Waiting for the dbt parse of pid 4242 (it holds {lock}), giving up after 300 s"] * 10
    assert not (copy / "target" / "manifest.json").exists()  # no parse of ours started


def test_late_changes_refresh_the_marts_of_the_days_they_touched(start_emulator, built_on_duckdb_in_utc, tmp_path):
    emulator = start_emulator(**MODULE_EMULATOR)
    database = copy_of_built_warehouse(built_on_duckdb_in_utc, tmp_path)
    warehouse = LivePersonWarehouse(duckdb_path=str(database))
    days = daily_partitions(START_DATE, "UTC")
    updates, refresh = updates_job(days), marts_job()
    sensor = marts_after_updates_sensor(updates, refresh)
    # Two conversations rated late, on the first and the last day.
    now = datetime.now(timezone.utc)
    rated = [next(r["info"]["conversationId"] for r in emulator.conversations(*local_window("UTC", day, day))
                  if r["info"]["status"] == "CLOSE" and not r["info"]["csatRate"])
             for day in DAYS]
    for conversation_id in rated:
        emulator.update_conversation(conversation_id, now, csat=5)

    instance = DagsterInstance.ephemeral()
    now_ms = int(now.timestamp() * 1000)
    config = {"ops": {UPDATES_OP_NAME: {"config": {"since_ms": now_ms - 60_000, "until_ms": now_ms + 1000}}}}
    merged = updates.execute_in_process(run_config=config, instance=instance, resources={
        "liveperson": credentials_for(emulator), "warehouse": warehouse})
    assert merged.success
    (success,) = instance.all_logs(merged.run_id, of_type=DagsterEventType.RUN_SUCCESS)
    request = sensor(build_run_status_sensor_context(
        sensor_name=MARTS_SENSOR_NAME, dagster_event=success.dagster_event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(merged.run_id)))
    assert isinstance(request, RunRequest)
    assert request.tags["liveperson/days_touched"] == ",".join(DAYS)
    assert (request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"]) == DAYS

    defs = Definitions(assets=build_marts_assets(days), jobs=[refresh], resources={"warehouse": warehouse})
    assert defs.resolve_job_def(MARTS_JOB_NAME).execute_in_process(instance=instance, tags=request.tags).success
    csat = dict(query(database, "select conversation_id, csat from liveperson_marts.fct_conversations"))
    assert [csat[conversation_id] for conversation_id in rated] == [5, 5]
    expected = expected_skill_daily(expected_conversations(emulator, "UTC", *DAYS))
    rows = {(row[0], row[1]): row[2] for row in query(database, "select day, skill_id, avg_csat "
                                                                "from liveperson_marts.fct_skill_daily")}
    assert sorted(rows) == sorted(expected)
    for key, want in expected.items():
        close(rows[key], want["avg_csat"], key)

    # Three days later, after two days never loaded: an agent's status carried across the gap is UNKNOWN until the
    # agent's first record (it counted as hours AWAY or ONLINE before), and the missing days have no rows.
    last = date.fromisoformat(DAYS[1])
    not_loaded, gap_day = [last + timedelta(days=1), last + timedelta(days=2)], str(last + timedelta(days=3))
    load_and_build(emulator, warehouse, database, "UTC", gap_day, gap_day,
                   tables=("conversations", "agent_status_changes"))
    expected = expected_status_seconds(emulator, "UTC", gap_day, gap_day)
    rows = {(row[0], row[1], row[2]): row[3] for row in query(
        database, "select day, agent_id, status, seconds from liveperson_marts.fct_agent_status_daily "
                  f"where day > date '{last}'")}
    assert sorted(rows) == sorted(expected) and any(status == "UNKNOWN" for _, _, status in rows)
    for key, seconds in expected.items():
        close(rows[key], seconds, key)
    # The report marks the two days it has nothing of.
    with warehouse.sql_client("test", print) as client:
        data = read_report_data(client, 30)
    assert (data.first_day, data.last_day) == (date.fromisoformat(DAYS[0]), date.fromisoformat(gap_day))
    assert data.days_not_loaded == not_loaded
    page = render_report(data, "UTC", datetime.now(timezone.utc))
    assert f'id="days-not-loaded" data-days="{not_loaded[0]}, {not_loaded[1]}"' in page


def test_the_dbt_version_is_the_installed_package_s_as_dbt_itself_reports_it():
    from dagster_dbt import DbtCliResource

    from liveperson_dagster.marts import DBT_BESIDE_PYTHON, InstalledDbtCli, dbt_project

    assert DBT_BESIDE_PYTHON  # the suite runs in the project's virtualenv
    settings = {"project_dir": dbt_project, "dbt_executable": DBT_BESIDE_PYTHON}
    assert InstalledDbtCli(**settings)._cli_version == DbtCliResource(**settings)._cli_version  # `dbt --version`
