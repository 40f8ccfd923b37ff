"""How dlt resources of the LivePerson source become Dagster assets: keys, group, dependencies, descriptions."""

from dagster import AssetKey
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

GROUP = "liveperson"
KEY_PREFIX = "liveperson"
CONFIG_RESOURCES = ("users", "skills", "agent_groups")

DESCRIPTIONS = {
    "users": "Every LivePerson user of the account (agents, managers, API users), deleted ones included. "
    "A full snapshot, replaced on each materialization.",
    "skills": "Every LivePerson skill of the account, deleted ones included. A full snapshot, replaced on each "
    "materialization.",
    "agent_groups": "Every LivePerson agent group of the account, deleted ones included. A full snapshot, "
    "replaced on each materialization.",
    "conversations": "LivePerson messaging conversations, one row per conversation (`conversation_id`), "
    "partitioned by the day the conversation started. Messages, participants, transfers, surveys and the other "
    "parts land in child tables `conversations__*`. Re-loading a day updates its rows in place.",
}


def asset_key(resource_name: str) -> AssetKey:
    return AssetKey([KEY_PREFIX, resource_name])


class LivePersonTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData):
        name = data.resource.name
        spec = super().get_asset_spec(data)
        deps = [asset_key(upstream) for upstream in CONFIG_RESOURCES] if name == "conversations" else []
        return spec.replace_attributes(
            key=asset_key(name),
            group_name=GROUP,
            deps=deps,
            description=DESCRIPTIONS[name],
            kinds={"dlt", "liveperson", *(spec.kinds - {"dlt"})},
        )
