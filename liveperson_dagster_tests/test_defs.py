from dagster import AssetKey, DailyPartitionsDefinition

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
