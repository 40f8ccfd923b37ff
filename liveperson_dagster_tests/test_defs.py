from datetime import datetime, timezone

from dagster import AssetKey, BackfillPolicy, DailyPartitionsDefinition, HourlyPartitionsDefinition
from dagster import (
    DagsterEventType, DagsterInstance, RunRequest, SkipReason, asset, build_run_status_sensor_context,
    build_schedule_context, materialize,
)

from liveperson_dagster.definitions import defs
from liveperson_dagster.report import REPORT_KEY

CONFIG_TABLES = ("users", "skills", "agent_groups", "agent_status_reasons", "profiles", "lobs", "predefined_content",
                 "workdays", "special_occasions")
CONFIG_KEYS = [AssetKey(["liveperson", name]) for name in CONFIG_TABLES]
CONVERSATIONS = AssetKey(["liveperson", "conversations"])
DAILY_DEPENDENCIES = {
    "conversations": {"users", "skills", "agent_groups"},
    "agent_status_changes": {"users", "agent_groups", "agent_status_reasons"},
    "chat_engagements": {"users", "skills"},
}
DAILY_KEYS = [AssetKey(["liveperson", name]) for name in DAILY_DEPENDENCIES]
OPERATIONS_DEPENDENCIES = {"messaging_queue_health": {"skills"}, "messaging_agent_metrics": {"users"}}
OPERATIONS_KEYS = [AssetKey(["liveperson", name]) for name in OPERATIONS_DEPENDENCIES]
# The marts (dbt, group liveperson_marts): each model and what it reads directly.
MART_DEPENDENCIES = {
    "stg_users": {"liveperson/users"}, "stg_skills": {"liveperson/skills"},
    "stg_agent_groups": {"liveperson/agent_groups"}, "stg_conversations": {"liveperson/conversations"},
    "stg_message_records": {"liveperson/conversations", "liveperson_marts/stg_conversations"},
    "stg_transfers": {"liveperson/conversations", "liveperson_marts/stg_conversations"},
    "stg_agent_status_changes": {"liveperson/agent_status_changes"},
    "dim_agents": {"liveperson_marts/stg_users", "liveperson_marts/stg_agent_groups"},
    "dim_skills": {"liveperson_marts/stg_skills"}, "dim_agent_groups": {"liveperson_marts/stg_agent_groups"},
    "stg_workdays": {"liveperson/workdays"}, "stg_workday_events": {"liveperson/workdays"},
    "stg_special_occasions": {"liveperson/special_occasions"},
    "stg_special_occasion_events": {"liveperson/special_occasions"},
    "dim_skill_schedules": {"liveperson_marts/stg_skills", "liveperson_marts/stg_workdays",
                            "liveperson_marts/stg_special_occasions"},
    "business_calendar": {"liveperson_marts/dim_skill_schedules", "liveperson_marts/stg_conversations",
                          "liveperson_marts/stg_message_records", "liveperson_marts/stg_workday_events",
                          "liveperson_marts/stg_special_occasion_events"},
    "fct_conversations": {"liveperson_marts/stg_conversations", "liveperson_marts/stg_message_records",
                          "liveperson_marts/stg_transfers", "liveperson_marts/dim_skill_schedules",
                          "liveperson_marts/business_calendar"},
    "fct_agent_daily": {"liveperson_marts/fct_conversations", "liveperson_marts/stg_message_records"},
    "fct_skill_daily": {"liveperson_marts/fct_conversations"},
    "fct_agent_status_daily": {"liveperson_marts/stg_agent_status_changes"},
}
MART_KEYS = [AssetKey(["liveperson_marts", name]) for name in MART_DEPENDENCIES]
DAILY_MARTS = {"fct_conversations", "fct_agent_daily", "fct_skill_daily", "fct_agent_status_daily"}


def test_definitions_load_with_every_asset_and_their_dependencies():
    graph = defs.resolve_asset_graph()
    assert set(graph.get_all_asset_keys()) == {*CONFIG_KEYS, *DAILY_KEYS, *OPERATIONS_KEYS, *MART_KEYS, REPORT_KEY}
    for name, upstream in {**DAILY_DEPENDENCIES, **OPERATIONS_DEPENDENCIES}.items():
        assert {key.path[-1] for key in graph.get(AssetKey(["liveperson", name])).parent_keys} == upstream, name
    for key in [*CONFIG_KEYS, *DAILY_KEYS]:
        node = graph.get(key)
        assert node.group_name == "liveperson" and node.description
        assert {"dlt", "liveperson"} <= set(node.kinds)
    for key in CONFIG_KEYS:
        assert not graph.get(key).parent_keys and graph.get(key).partitions_def is None


def test_daily_assets_are_daily_partitions_and_a_range_is_one_run():
    graph = defs.resolve_asset_graph()
    node = graph.get(CONVERSATIONS)
    assert isinstance(node.partitions_def, DailyPartitionsDefinition)
    assert node.partitions_def.timezone == "UTC"
    assert node.partitions_def.start.strftime("%Y-%m-%d") == "2026-01-01"
    for key in DAILY_KEYS:
        assert graph.get(key).partitions_def == node.partitions_def
    # Every asset: a range is one run, whichever command or process loads the definitions (the CLI's
    # --partition-range demands it; a UI backfill is then one run as well).
    assert {node.backfill_policy for node in graph.asset_nodes} == {BackfillPolicy.single_run()}


def test_each_asset_is_a_step_of_its_own_so_a_refused_api_fails_only_its_assets():
    steps = [definition.node_def.name for definition in defs.assets]
    assert sorted(steps) == sorted([*(f"liveperson_{name}"
                                      for name in (*CONFIG_TABLES, *DAILY_DEPENDENCIES, *OPERATIONS_DEPENDENCIES)),
                                    "liveperson_marts_dimensions", "liveperson_marts_daily",
                                    "liveperson_contact_center_report"])


def test_messaging_operations_are_hourly_partitions_in_their_own_group_polled_every_hour():
    graph = defs.resolve_asset_graph()
    for key in OPERATIONS_KEYS:
        node = graph.get(key)
        assert node.group_name == "liveperson_operations" and isinstance(node.partitions_def, HourlyPartitionsDefinition)
        assert node.partitions_def.timezone == "UTC" and node.pools == {"liveperson"}
    schedule = defs.resolve_schedule_def("liveperson_operations_hourly_schedule")
    assert (schedule.job_name, schedule.cron_schedule) == ("liveperson_operations_hourly", "10 * * * *")
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 11, 20, 7, 10, tzinfo=timezone.utc),
                                     repository_def=defs.get_repository_def())
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-20-06:00"  # the hour that has just ended


def test_runs_share_the_liveperson_pool():
    graph = defs.resolve_asset_graph()
    for key in [*CONFIG_KEYS, *DAILY_KEYS]:
        assert graph.get(key).pools == {"liveperson"}


def test_the_daily_schedule_runs_the_daily_job_in_the_partitions_time_zone():
    schedule = defs.resolve_schedule_def("liveperson_daily_schedule")
    assert schedule.job_name == "liveperson_daily"
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")
    job = defs.resolve_job_def("liveperson_daily")
    assert job.partitions_def == defs.resolve_asset_graph().get(CONVERSATIONS).partitions_def
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 11, 20, 2, tzinfo=timezone.utc),
                                     repository_def=defs.get_repository_def())
    (request,) = schedule.evaluate_tick(context).run_requests
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
        "2026-11-17", "2026-11-19")


def test_the_asset_checks_are_defined():
    checks = {key.to_user_string() for key in defs.resolve_asset_graph().asset_check_keys
              if key.asset_key.path[0] == "liveperson"}
    assert checks == {
        *(f"liveperson/{name}:unique_ids" for name in CONFIG_TABLES),
        "liveperson/conversations:unique_conversation_ids", "liveperson/conversations:started_inside_window",
        "liveperson/conversations:known_agents_skills_and_groups", "liveperson/conversations:complete_records",
        "liveperson/agent_status_changes:unique_status_change_ids", "liveperson/agent_status_changes:time_inside_window",
        "liveperson/agent_status_changes:known_agents_groups_and_reasons",
        "liveperson/chat_engagements:unique_engagement_ids", "liveperson/chat_engagements:started_inside_window",
        "liveperson/messaging_queue_health:unique_intervals", "liveperson/messaging_agent_metrics:unique_intervals",
        *(f"liveperson/{name}:no_variant_columns"
          for name in (*CONFIG_TABLES, *DAILY_DEPENDENCIES, *OPERATIONS_DEPENDENCIES)),
    }


def test_the_daily_job_runs_every_asset_and_check_in_the_liveperson_pool():
    job = defs.resolve_job_def("liveperson_daily")
    assert {node.name: node.definition.pool for node in job.graph.nodes} == {
        **{f"liveperson_{name}": "liveperson" for name in (*CONFIG_TABLES, *DAILY_DEPENDENCIES)},
        "liveperson_config_checks": "liveperson", "liveperson_conversations_checks": "liveperson",
        "liveperson_agent_status_changes_checks": "liveperson", "liveperson_chat_engagements_checks": "liveperson",
        "liveperson_variant_column_checks": "liveperson",
        # The marts, after the loads (their dbt tests are checks of these steps).
        "liveperson_marts_dimensions": "liveperson", "liveperson_marts_daily": "liveperson",
        # The report, after the marts it reads.
        "liveperson_contact_center_report": "liveperson",
    }


def test_the_marts_are_dbt_models_downstream_of_the_liveperson_assets():
    graph = defs.resolve_asset_graph()
    conversations = graph.get(CONVERSATIONS).partitions_def
    for key in MART_KEYS:
        node = graph.get(key)
        name = key.path[-1]
        assert {parent.to_user_string() for parent in node.parent_keys} == MART_DEPENDENCIES[name], name
        assert node.group_name == "liveperson_marts" and node.description and "dbt" in node.kinds, name
        assert node.pools == {"liveperson"}, name
        # Daily marts in the partitions of the conversations, backfilled in the same runs as them (assets whose
        # policies differ cannot share a run); the rest whole.
        assert node.partitions_def == (conversations if name in DAILY_MARTS else None), name
        assert node.backfill_policy == BackfillPolicy.single_run(), name


def test_the_report_follows_the_marts_it_reads_unpartitioned():
    node = defs.resolve_asset_graph().get(REPORT_KEY)
    assert {parent.to_user_string() for parent in node.parent_keys} == {
        "liveperson_marts/fct_conversations", "liveperson_marts/fct_skill_daily",
        "liveperson_marts/fct_agent_status_daily", "liveperson_marts/dim_skills", "liveperson_marts/dim_agents"}
    assert node.group_name == "liveperson_marts" and node.partitions_def is None and node.pools == {"liveperson"}
    # In the marts' job after late changes too.
    assert REPORT_KEY in defs.resolve_job_def("liveperson_marts_refresh").asset_layer.selected_asset_keys


def test_the_dbt_tests_are_asset_checks_of_the_marts():
    checks = {key.to_user_string() for key in defs.resolve_asset_graph().asset_check_keys
              if key.asset_key.path[0] == "liveperson_marts"}
    assert {
        "liveperson_marts/fct_conversations:unique_combination_fct_conversations_account_name__conversation_id",
        "liveperson_marts/fct_conversations:accepted_values_fct_conversations_status__OPEN__CLOSE",
        "liveperson_marts/fct_conversations:relationships_fct_conversations_latest_agent_id__agent_id__ref_dim_agents_",
        "liveperson_marts/fct_skill_daily:unique_combination_fct_skill_daily_account_name__day__skill_id",
        "liveperson_marts/fct_agent_status_daily:at_most_one_day_fct_agent_status_daily_seconds__agent_id",
        "liveperson_marts/dim_agent_groups:not_null_dim_agent_groups_group_path",
    } <= checks
    assert len(checks) == 53


def test_late_changes_are_followed_by_a_refresh_of_the_marts_of_their_days():
    sensor = defs.resolve_sensor_def("liveperson_marts_after_updates")
    assert sensor.default_status.value == "RUNNING"
    assert [target.job_name for target in sensor.targets] == ["liveperson_marts_refresh"]
    assert "liveperson_conversation_updates" in sensor.description
    assert "a load launched from the UI" in sensor.description
    job = defs.resolve_job_def("liveperson_marts_refresh")
    assert job.partitions_def == defs.resolve_asset_graph().get(CONVERSATIONS).partitions_def
    assert {key.path[0] for key in job.asset_layer.executable_asset_keys} == {"liveperson_marts"}


def test_the_marts_follow_a_run_that_loaded_days_without_building_their_marts():
    """The sensor sees every run of the code location: one that loaded days (late changes, a load launched from the
    UI) is followed by the marts of those days; one that built them too (the daily job), or loaded no day, is not."""
    days = DailyPartitionsDefinition(start_date="2026-11-01")

    @asset(key=CONVERSATIONS, partitions_def=days)
    def conversations() -> None: ...

    @asset(key=AssetKey(["liveperson_marts", "fct_conversations"]), partitions_def=days, deps=[CONVERSATIONS])
    def fct_conversations() -> None: ...

    @asset(key=AssetKey(["liveperson", "users"]))
    def users() -> None: ...

    sensor = defs.resolve_sensor_def("liveperson_marts_after_updates")
    instance = DagsterInstance.ephemeral()

    def after(result):
        (success,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_SUCCESS)
        return sensor(build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=success.dagster_event, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id)))

    loaded = materialize([conversations], partition_key="2026-11-03", instance=instance)
    request = after(loaded)
    assert isinstance(request, RunRequest) and request.run_key == f"marts after {loaded.run_id}"
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) \
        == ("2026-11-03", "2026-11-03")
    assert isinstance(after(materialize([conversations, fct_conversations], partition_key="2026-11-04",
                                        instance=instance)), SkipReason)
    assert isinstance(after(materialize([users], instance=instance)), SkipReason)
