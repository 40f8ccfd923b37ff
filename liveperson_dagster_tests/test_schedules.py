"""The daily schedule: which run it requests for a given tick, in the partitions' time zone."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, DagsterInstance, DailyPartitionsDefinition, Definitions, build_schedule_context

from liveperson_dagster.jobs import daily_job
from liveperson_dagster.schedules import daily_schedule
from liveperson_dagster.config import ProjectSettings, SettingsError

from .helpers import conversation_ids, project_assets, project_checks, resources_for, utc_window

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
CONFIG_TABLES = ("users", "skills", "agent_groups", "agent_status_reasons", "profiles", "lobs", "predefined_content",
                 "workdays", "special_occasions")
CONFIG_KEYS = [AssetKey(["liveperson", name]) for name in CONFIG_TABLES]
DAILY_TABLES = ("conversations", "agent_status_changes", "chat_engagements")
PARIS = ZoneInfo("Europe/Paris")


def schedule_for(tz: str = "UTC", lookback_days: int = 3, start_date: str = "2026-01-01"):
    return daily_schedule(daily_job(), DailyPartitionsDefinition(start_date=start_date, timezone=tz), lookback_days)


def tick(schedule, at: datetime):
    """The schedule's run requests for a tick at `at` (what the daemon would get)."""
    data = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=at))
    assert data.skip_message is None
    return data.run_requests


def requested_range(schedule, at: datetime) -> tuple:
    (request,) = tick(schedule, at)
    assert request.partition_key is None and request.asset_selection is None  # all four assets, one run
    assert request.run_key == f"{request.tags[RANGE_START]}...{request.tags[RANGE_END]}"
    return request.tags[RANGE_START], request.tags[RANGE_END]


def test_the_schedule_runs_the_daily_job_at_two_in_the_partitions_time_zone():
    schedule = schedule_for("Europe/Paris")
    assert schedule.name == "liveperson_daily_schedule"
    assert schedule.job_name == "liveperson_daily"
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Paris"


def test_a_tick_loads_the_lookback_days_before_its_day_as_one_range():
    (request,) = tick(schedule_for(), datetime(2026, 11, 20, 2, tzinfo=timezone.utc))
    assert request.tags == {RANGE_START: "2026-11-17", RANGE_END: "2026-11-19",
                            "dagster/schedule_name": "liveperson_daily_schedule"}
    assert request.run_key == "2026-11-17...2026-11-19"
    assert requested_range(schedule_for(lookback_days=1), datetime(2026, 11, 20, 2, tzinfo=timezone.utc)) == (
        "2026-11-19", "2026-11-19")
    assert requested_range(schedule_for(lookback_days=7), datetime(2026, 11, 20, 2, tzinfo=timezone.utc)) == (
        "2026-11-13", "2026-11-19")


def test_the_days_are_local_days_of_the_partitions_time_zone():
    # 02:00 on 2026-11-20 in Auckland (UTC+13) is still 2026-11-19 in UTC.
    at = datetime(2026, 11, 20, 2, tzinfo=ZoneInfo("Pacific/Auckland"))
    assert at.astimezone(timezone.utc).date().isoformat() == "2026-11-19"
    assert requested_range(schedule_for("Pacific/Auckland"), at) == ("2026-11-17", "2026-11-19")
    assert requested_range(schedule_for("Asia/Kathmandu"), datetime(2026, 11, 19, 20, 15, tzinfo=timezone.utc)) == (
        "2026-11-17", "2026-11-19")  # 02:00 +05:45


@pytest.mark.parametrize("at, expected", [
    # The ticks Dagster makes for "0 2 * * *" in Europe/Paris around the 2026 changes, in UTC.
    (datetime(2026, 3, 28, 1, tzinfo=timezone.utc), ("2026-03-25", "2026-03-27")),   # 02:00 CET
    (datetime(2026, 3, 29, 1, tzinfo=timezone.utc), ("2026-03-26", "2026-03-28")),   # 03:00 CEST: 02:00 is skipped
    (datetime(2026, 3, 30, 0, tzinfo=timezone.utc), ("2026-03-27", "2026-03-29")),   # 02:00 CEST
    (datetime(2026, 10, 24, 0, tzinfo=timezone.utc), ("2026-10-21", "2026-10-23")),  # 02:00 CEST
    (datetime(2026, 10, 25, 0, tzinfo=timezone.utc), ("2026-10-22", "2026-10-24")),  # first 02:00 (CEST)
    (datetime(2026, 10, 25, 1, tzinfo=timezone.utc), ("2026-10-22", "2026-10-24")),  # second 02:00 (CET)
    (datetime(2026, 10, 26, 1, tzinfo=timezone.utc), ("2026-10-23", "2026-10-25")),  # 02:00 CET; the 25-hour day
])
def test_daylight_saving_changes_keep_one_range_per_local_day(at, expected):
    assert requested_range(schedule_for("Europe/Paris"), at) == expected


def test_no_partition_before_the_start_date_is_requested():
    schedule = schedule_for("Europe/Paris", start_date="2026-11-18")
    paris_tick = {day: datetime(2026, 11, day, 2, tzinfo=PARIS) for day in (17, 18, 19, 20, 22)}
    for day in (17, 18):  # no complete day yet: the configuration only
        (request,) = tick(schedule, paris_tick[day])
        assert request.asset_selection == CONFIG_KEYS
        assert request.run_key == f"config:2026-11-{day}"
        assert RANGE_START not in request.tags and request.partition_key is None
    assert requested_range(schedule, paris_tick[19]) == ("2026-11-18", "2026-11-18")
    assert requested_range(schedule, paris_tick[20]) == ("2026-11-18", "2026-11-19")
    assert requested_range(schedule, paris_tick[22]) == ("2026-11-19", "2026-11-21")


def test_lookback_days_setting():
    assert ProjectSettings.from_env({}).lookback_days == 3
    assert ProjectSettings.from_env({"LIVEPERSON_LOOKBACK_DAYS": "5"}).lookback_days == 5
    for bad in ("0", "-2", "two", "1.5", "401", "1e20"):
        with pytest.raises(SettingsError, match=f"^LIVEPERSON_LOOKBACK_DAYS='{bad}' is invalid: expected a whole "
                                                "number of days from 1 to 400$"):
            ProjectSettings.from_env({"LIVEPERSON_LOOKBACK_DAYS": bad})
    with pytest.raises(ValueError, match="at least 1"):
        schedule_for(lookback_days=0)


def test_the_requested_run_refreshes_the_configuration_and_loads_the_range_in_one_run(emulator, tmp_path):
    schedule = schedule_for()  # the partitions of the assets (UTC, from 2026-01-01)
    database = tmp_path / "warehouse.duckdb"
    defs = Definitions(assets=project_assets(), asset_checks=project_checks(),
                       schedules=[schedule], resources=resources_for(emulator, database))
    at = datetime(2026, 11, 6, 2, tzinfo=timezone.utc)
    context = build_schedule_context(scheduled_execution_time=at, repository_def=defs.get_repository_def())
    (request,) = defs.resolve_schedule_def(schedule.name).evaluate_tick(context).run_requests
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def(schedule.job_name).execute_in_process(
        instance=instance, tags=request.tags, asset_selection=request.asset_selection)
    assert result.success and len(instance.get_runs()) == 1
    loaded = sorted((event.materialization.asset_key.to_user_string(), event.materialization.partition)
                    for event in result.get_asset_materialization_events())
    assert loaded == sorted([*((f"liveperson/{table}", None) for table in CONFIG_TABLES),
                             *((f"liveperson/{table}", f"2026-11-0{day}") for table in DAILY_TABLES for day in (3, 4, 5))])
    assert conversation_ids(database) == sorted(emulator.conversation_ids(*utc_window("2026-11-03", "2026-11-05")))
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 * len(CONFIG_TABLES) + 4 + 3 + 2 + 3 and all(check.passed for check in checks)
