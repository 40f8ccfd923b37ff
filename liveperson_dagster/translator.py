"""How dlt resources of the LivePerson source become Dagster assets: keys, group, dependencies, descriptions."""

from typing import Optional

from dagster import AssetKey, AssetSpec
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract import DltResource

from .accounts import SINGLE, Account
from .constants import GROUP, OPERATIONS_GROUP
from .liveperson.source import CONFIG_SNAPSHOTS

# Full snapshots of the account's configuration, replaced on each materialization.
CONFIG_RESOURCES = tuple(CONFIG_SNAPSHOTS)
# History partitioned by day; each depends on the configuration its records refer to.
DAILY_RESOURCES = {
    "conversations": ("users", "skills", "agent_groups"),
    "agent_status_changes": ("users", "agent_groups", "agent_status_reasons"),
    "chat_engagements": ("users", "skills"),
}
# Messaging Operations, polled hourly (LivePerson keeps 24 hours), in a group of their own.
OPERATIONS_RESOURCES = {
    "messaging_queue_health": ("skills",),
    "messaging_agent_metrics": ("users",),
}
DEPENDENCIES = {**DAILY_RESOURCES, **OPERATIONS_RESOURCES}

_SNAPSHOT = "A full snapshot, deleted ones included, replaced on each materialization."
DESCRIPTIONS = {
    "users": f"Every LivePerson user of the account (agents, managers, API users). {_SNAPSHOT}",
    "skills": f"Every LivePerson skill of the account. {_SNAPSHOT}",
    "agent_groups": f"Every LivePerson agent group of the account. {_SNAPSHOT}",
    "agent_status_reasons": f"Every agent status reason (away, back soon, ...) of the account. {_SNAPSHOT}",
    "profiles": f"Every user profile (role and permission packages) of the account. {_SNAPSHOT}",
    "lobs": f"Every line of business of the account. {_SNAPSHOT}",
    "predefined_content": f"Every predefined content item (canned response) of the account. {_SNAPSHOT}",
    "workdays": "Every workdays object (hours of operation: weekly events with their time zone) of the account; "
    f"its events in `workdays__events`. {_SNAPSHOT}",
    "special_occasions": "Every special occasion (days off and changed hours) of the account; its events in "
    f"`special_occasions__events`. {_SNAPSHOT}",
    "conversations": "LivePerson messaging conversations, one row per conversation (`conversation_id`), "
    "partitioned by the day the conversation started. Messages, participants, transfers, surveys and the other "
    "parts land in child tables `conversations__*`. Re-loading a day updates its rows in place.",
    "agent_status_changes": "Agent status changes (Agent Activity API): logins, logouts and status changes with "
    "their reasons, one row per change (`status_change_id`, a hash of agent, time, type, sub-type, session, "
    "sequence number and reason, since the API documents no key), partitioned by the day of `time`.",
    "chat_engagements": "Legacy chat engagements (Engagement History), one row per `engagement_id`, partitioned by "
    "the day the chat started; transcript lines and the other parts land in child tables `chat_engagements__*`.",
    "messaging_queue_health": "Messaging queue health (Messaging Operations API) per skill and 5-minute interval, "
    "partitioned by hour. LivePerson keeps 24 hours: the hourly schedule polls each hour once it is over, and a "
    "re-run of an hour replaces its rows.",
    "messaging_agent_metrics": "Resolved conversations and handling times (Messaging Operations API) per agent and "
    "5-minute bucket, partitioned by hour. LivePerson keeps 24 hours: the hourly schedule polls each hour once it "
    "is over, and a re-run of an hour replaces its rows.",
}


def asset_key(resource_name: str, account: Account = SINGLE) -> AssetKey:
    """`liveperson/<table>`, or `liveperson/<name>/<table>` of a named account."""
    return AssetKey([*account.key_prefix, resource_name])


def asset_spec(resource: DltResource, destination: Optional[str], account: Account = SINGLE) -> AssetSpec:
    """dagster-dlt's spec of the asset of `resource`, with the project's key, group, dependencies and description.
    `destination`: the dlt destination the assets load (their kind and storage kind), named here: the definitions
    build no pipeline to read it from (a dlt pipeline writes a working dir when made)."""
    spec = DagsterDltTranslator().get_asset_spec(DltResourceTranslatorData(resource=resource, pipeline=None))
    kinds = {destination} if destination else set()
    return spec.replace_attributes(
        key=asset_key(resource.name, account),
        group_name=account.named(OPERATIONS_GROUP if resource.name in OPERATIONS_RESOURCES else GROUP),
        deps=[asset_key(upstream, account) for upstream in DEPENDENCIES.get(resource.name, ())],
        description=DESCRIPTIONS[resource.name],
        kinds={"dlt", "liveperson", *kinds, *(spec.kinds - {"dlt"})},
        metadata={**spec.metadata, **({"dagster/storage_kind": destination} if destination else {})},
    )
