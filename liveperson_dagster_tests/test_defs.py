from datetime import datetime, timezone

from dagster import AssetKey, DailyPartitionsDefinition, HourlyPartitionsDefinition
from dagster import build_schedule_context

from liveperson_dagster.definitions import defs

CONFIG_TABLES = ("users", "skills", "agent_groups", "agent_status_reasons", "profiles", "lobs", "predefined_content")
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


def test_definitions_load_with_every_asset_and_their_dependencies():
    graph = defs.resolve_asset_graph()
    assert set(graph.get_all_asset_keys()) == {*CONFIG_KEYS, *DAILY_KEYS, *OPERATIONS_KEYS}
    for name, upstream in {**DAILY_DEPENDENCIES, **OPERATIONS_DEPENDENCIES}.items():
        assert {key.path[-1] for key in graph.get(AssetKey(["liveperson", name])).parent_keys} == upstream, name
    for key in [*CONFIG_KEYS, *DAILY_KEYS]:
        node = graph.get(key)
        assert node.group_name == "liveperson" and node.description
        assert {"dlt", "liveperson"} <= set(node.kinds)
    for key in CONFIG_KEYS:
        assert not graph.get(key).parent_keys and graph.get(key).partitions_def is None


def test_daily_assets_are_daily_partitions_loaded_in_single_runs():
    graph = defs.resolve_asset_graph()
    node = graph.get(CONVERSATIONS)
    assert isinstance(node.partitions_def, DailyPartitionsDefinition)
    assert node.partitions_def.timezone == "UTC"
    assert node.partitions_def.start.strftime("%Y-%m-%d") == "2026-01-01"
    for key in DAILY_KEYS:
        assert graph.get(key).partitions_def == node.partitions_def
        assert graph.get(key).backfill_policy is not None and graph.get(key).backfill_policy.max_partitions_per_run is None


def test_each_asset_is_a_step_of_its_own_so_a_refused_api_fails_only_its_assets():
    steps = [definition.node_def.name for definition in defs.assets]
    assert sorted(steps) == sorted(f"liveperson_{name}"
                                   for name in (*CONFIG_TABLES, *DAILY_DEPENDENCIES, *OPERATIONS_DEPENDENCIES))


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
    checks = {key.to_user_string() for key in defs.resolve_asset_graph().asset_check_keys}
    assert checks == {
        *(f"liveperson/{name}:unique_ids" for name in CONFIG_TABLES),
        "liveperson/conversations:unique_conversation_ids", "liveperson/conversations:started_inside_window",
        "liveperson/conversations:known_agents_skills_and_groups", "liveperson/conversations:complete_records",
        "liveperson/agent_status_changes:unique_status_change_ids", "liveperson/agent_status_changes:time_inside_window",
        "liveperson/agent_status_changes:known_agents_groups_and_reasons",
        "liveperson/chat_engagements:unique_engagement_ids", "liveperson/chat_engagements:started_inside_window",
        "liveperson/messaging_queue_health:unique_intervals", "liveperson/messaging_agent_metrics:unique_intervals",
    }


def test_the_daily_job_runs_every_asset_and_check_in_the_liveperson_pool():
    job = defs.resolve_job_def("liveperson_daily")
    assert {node.name: node.definition.pool for node in job.graph.nodes} == {
        **{f"liveperson_{name}": "liveperson" for name in (*CONFIG_TABLES, *DAILY_DEPENDENCIES)},
        "liveperson_config_checks": "liveperson", "liveperson_conversations_checks": "liveperson",
        "liveperson_agent_status_changes_checks": "liveperson", "liveperson_chat_engagements_checks": "liveperson",
    }
