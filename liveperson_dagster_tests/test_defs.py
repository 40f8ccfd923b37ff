from datetime import datetime, timezone

from dagster import AssetKey, DailyPartitionsDefinition
from dagster import build_schedule_context

from liveperson_dagster.definitions import defs

CONFIG_KEYS = [AssetKey(["liveperson", name]) for name in ("users", "skills", "agent_groups")]
CONVERSATIONS = AssetKey(["liveperson", "conversations"])


def test_definitions_load_with_the_four_assets_and_their_dependencies():
    graph = defs.resolve_asset_graph()
    assert set(graph.get_all_asset_keys()) == {*CONFIG_KEYS, CONVERSATIONS}
    assert set(graph.get(CONVERSATIONS).parent_keys) == set(CONFIG_KEYS)
    for key in CONFIG_KEYS:
        node = graph.get(key)
        assert not node.parent_keys and node.partitions_def is None
        assert node.group_name == "liveperson" and node.description
        assert {"dlt", "liveperson"} <= set(node.kinds)


def test_conversations_are_daily_partitions_loaded_in_single_runs():
    node = defs.resolve_asset_graph().get(CONVERSATIONS)
    assert isinstance(node.partitions_def, DailyPartitionsDefinition)
    assert node.partitions_def.timezone == "UTC"
    assert node.partitions_def.start.strftime("%Y-%m-%d") == "2026-01-01"
    assert node.backfill_policy is not None and node.backfill_policy.max_partitions_per_run is None


def test_runs_share_the_liveperson_pool():
    graph = defs.resolve_asset_graph()
    for key in [*CONFIG_KEYS, CONVERSATIONS]:
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
        "liveperson/users:unique_ids", "liveperson/skills:unique_ids", "liveperson/agent_groups:unique_ids",
        "liveperson/conversations:unique_conversation_ids", "liveperson/conversations:started_inside_window",
        "liveperson/conversations:known_agents_skills_and_groups",
    }


def test_the_daily_job_runs_assets_and_checks_in_the_liveperson_pool():
    job = defs.resolve_job_def("liveperson_daily")
    assert {node.name: node.definition.pool for node in job.graph.nodes} == {
        "liveperson_account_config": "liveperson", "liveperson_conversations": "liveperson",
        "liveperson_config_checks": "liveperson", "liveperson_conversations_checks": "liveperson",
    }
