"""The declared type of every column whose type LivePerson's documentation gives, by table (child tables included),
so no column's type depends on the first value a load happens to see; and the one-line error of a value that does
not fit its column (the source freezes data types: dlt would otherwise add a `<column>__v_<type>` variant column).
"""

import re
from typing import Dict, Optional

from .errors import LivePersonTypeError
from .errors import causes as causes_of

# One type per kind of id, in every table and in the marts. Agent ids are longs in the Users, Agent Activity and
# Messaging Operations APIs and the same digits quoted in Messaging Interactions and Engagement History: a long
# keys the users table and joins every table without casts; a value that is not one fails the load, naming it.
AGENT_ID, SKILL_ID, AGENT_GROUP_ID = "bigint", "bigint", "bigint"
WORKDAYS_ID, SPECIAL_OCCASION_ID = "bigint", "bigint"  # longs in the Workdays, Special Occasions and Skills APIs
CONVERSATION_ID, ENGAGEMENT_ID = "text", "text"  # strings in every API that names them
LOB_ID = "bigint"  # a long in the LOBs API; Engagement History's campaign quotes it or not
EPOCH_MS = "bigint"  # the `...TimeL` fields: epoch milliseconds, documented as longs

VARIANT_MARK = "__v_"


def _hints(types: Dict[str, str]) -> dict:
    # The type alone: with data types frozen, dlt also refuses a change of any other column property, and a key
    # column that dlt made non-null in a warehouse of an older version would then stop every load.
    return {name: {"name": name, "data_type": data_type} for name, data_type in types.items()}


CONFIG_TYPES = {
    "users": {"id": AGENT_ID, "max_chats": "bigint", "max_async_chats": "bigint", "user_type_id": "bigint",
              "member_of__agent_group_id": AGENT_GROUP_ID},
    "skills": {"id": SKILL_ID, "skill_order": "bigint", "max_wait_time": "bigint", "sla_default_response_time": "bigint",
               "sla_first_time_response_time": "bigint", "wrap_up_time": "bigint",
               "working_hours_id": WORKDAYS_ID, "special_occasion_id": SPECIAL_OCCASION_ID},
    "agent_groups": {"id": AGENT_GROUP_ID, "parent_group_id": AGENT_GROUP_ID},
    "agent_status_reasons": {"id": "bigint"},
    "profiles": {"id": "bigint", "role_type_id": "bigint"},
    "lobs": {"id": LOB_ID},
    "predefined_content": {"id": "bigint"},
    "workdays": {"id": WORKDAYS_ID},
    "special_occasions": {"id": SPECIAL_OCCASION_ID},
}
# An event's `dateTime` is `yyyy-MM-dd` or `yyyy-MM-ddTHH:mm:ss` wall-clock time of its `timeZone`: text (the marts
# read it with its zone), never a timestamp of the loading machine's reading.
_SCHEDULE_EVENT = {"start__date_time": "text", "start__time_zone": "text", "end__date_time": "text",
                   "end__time_zone": "text"}
CONFIG_CHILD_TYPES = {
    "users": {"skill_ids": {"value": SKILL_ID}, "manager_of": {"agent_group_id": AGENT_GROUP_ID},
              "profile_ids": {"value": "bigint"}, "lob_ids": {"value": LOB_ID}},
    "skills": {"skill_routing_configuration": {"agent_group_id": AGENT_GROUP_ID, "priority": "bigint",
                                               "split_percentage": "bigint"},
               "skill_transfer_list": {"value": SKILL_ID}, "lob_ids": {"value": LOB_ID}},
    "predefined_content": {"skill_ids": {"value": SKILL_ID}},
    "workdays": {"events": _SCHEDULE_EVENT, "events.recurrence": {"value": "text"}},
    "special_occasions": {"events": {**_SCHEDULE_EVENT, "meta__working": "bool", "meta__name": "text"},
                          "events.recurrence": {"value": "text"}},
}

_PARTICIPANT = {"agent_id": AGENT_ID, "agent_group_id": AGENT_GROUP_ID, "time_l": EPOCH_MS}
CONVERSATION_TYPES = {
    "conversation_id": CONVERSATION_ID,
    "info__conversation_id": CONVERSATION_ID,
    "info__start_time_l": EPOCH_MS,
    "info__end_time_l": EPOCH_MS,
    "info__duration": "bigint",  # milliseconds
    "info__latest_agent_id": AGENT_ID,
    "info__latest_skill_id": SKILL_ID,
    "info__latest_agent_group_id": AGENT_GROUP_ID,
    "info__mcs": "bigint",
    "info__alerted_mcs": "bigint",
    "info__csat_rate": "bigint",
    "latest_agent_survey__assigned_agent_id": AGENT_ID,
    "latest_agent_survey__performed_by_agent_id": AGENT_ID,
    "latest_agent_survey__survey_skill_id": SKILL_ID,
    "campaign__lob_id": LOB_ID,
}
CONVERSATION_CHILD_TYPES = {
    "agent_participants": _PARTICIPANT,
    "agent_participants_active": _PARTICIPANT,
    "agent_participants_leave": _PARTICIPANT,
    "consumer_participants": {"time_l": EPOCH_MS},
    "dialogs": {"skill_id": SKILL_ID, "start_time_l": EPOCH_MS, "end_time_l": EPOCH_MS},
    "message_records": {"seq": "bigint", "time_l": EPOCH_MS},
    "message_statuses": {"seq": "bigint", "time_l": EPOCH_MS},
    "message_scores": {"message_raw_score": "bigint", "mcs": "bigint", "time_l": EPOCH_MS},
    "transfers": {"time_l": EPOCH_MS, "source_skill_id": SKILL_ID, "target_skill_id": SKILL_ID,
                  "source_agent_id": AGENT_ID, "assigned_agent_id": AGENT_ID},
    "interactions": {"assigned_agent_id": AGENT_ID, "interaction_time_l": EPOCH_MS},
    "intents": {"selected_classification__confidence_score": "double"},
    "intents.all_classifications": {"confidence_score": "double"},
}

STATUS_CHANGE_TYPES = {
    "status_change_id": "text", "agent_id": AGENT_ID, "time": "timestamp", "status_type": "bigint",
    "status_sub_type": "bigint", "status_reason_id": "bigint", "status_reason_text": "text", "session_id": "bigint",
    "sequence_number": "bigint", "agent_group_id": AGENT_GROUP_ID, "employee_id": "text",
    "prev_status_change_time": "timestamp",
}

CHAT_ENGAGEMENT_TYPES = {
    "engagement_id": ENGAGEMENT_ID,
    "info__engagement_id": ENGAGEMENT_ID,
    "info__start_time_l": EPOCH_MS,
    "info__end_time_l": EPOCH_MS,
    "info__chat_requested_time_l": EPOCH_MS,
    "info__duration": "bigint",  # seconds
    "info__agent_id": AGENT_ID,
    "info__skill_id": SKILL_ID,
    "info__agent_group_id": AGENT_GROUP_ID,
    "info__mcs": "bigint",
    "info__alerted_mcs": "bigint",
    "info__chat_mcs": "bigint",
    "campaign__lob_id": LOB_ID,
}
CHAT_ENGAGEMENT_CHILD_TYPES = {
    "transcript__lines": {"time_l": EPOCH_MS, "agent_id": AGENT_ID},
    "line_scores": {"line_raw_score": "bigint", "mcs": "bigint"},
    "surveys__pre_chat": {"time_l": EPOCH_MS},
    "surveys__post_chat": {"time_l": EPOCH_MS},
}

_OPERATIONS_BOUNDS = {"hour": "timestamp", "interval_start": "timestamp", "interval_end": "timestamp"}
# Messaging Operations documents every queue health metric as a double (an interval's average), and the handling
# times and their averages as floats; an agent with nothing resolved is answered 0, a whole number.
QUEUE_HEALTH_TYPES = {
    **_OPERATIONS_BOUNDS, "skill_id": SKILL_ID,
    **{name: "double" for name in (
        "unassigned_conversations", "actionable_conversations", "not_actionable_conversations",
        "actionable_and_manual_sla", "actionable_and_during_transfer", "actionable_and_consumer_last_message",
        "not_actionable_during_transfer", "not_actionable_and_manual_sla",
        "unassigned_conversations_and_first_time_consumer")},
}
_RESOLVERS = ("_by_ccp", "_by_consumer", "_by_system")
AGENT_METRICS_TYPES = {
    **_OPERATIONS_BOUNDS, "agent_id": AGENT_ID,
    **{f"resolved_conversations{by}": "bigint" for by in _RESOLVERS},
    "total_resolved_conversations": "bigint",
    **{f"total_handling_time_resolved_conversations{by}": "double" for by in ("", *_RESOLVERS)},
    **{f"avg_time_resolved_conversations{by}": "double" for by in ("", *_RESOLVERS)},
}

# The tables of each resource: its own, then its child tables by their names below it; a "." separates a child
# table of a child table (a list in a list), "__" an object on the way (`transcript.lines` is one table).
TYPES = {
    **{name: (types, CONFIG_CHILD_TYPES.get(name, {})) for name, types in CONFIG_TYPES.items()},
    "conversations": (CONVERSATION_TYPES, CONVERSATION_CHILD_TYPES),
    "agent_status_changes": (STATUS_CHANGE_TYPES, {}),
    "chat_engagements": (CHAT_ENGAGEMENT_TYPES, CHAT_ENGAGEMENT_CHILD_TYPES),
    "messaging_queue_health": (QUEUE_HEALTH_TYPES, {}),
    "messaging_agent_metrics": (AGENT_METRICS_TYPES, {}),
}


def columns_of(resource: str) -> dict:
    """The `columns` hints of a resource's own table."""
    return _hints(TYPES[resource][0])


def nested_hints_of(resource: str) -> dict:
    """The `nested_hints` of a resource: its child tables' declared columns, by path."""
    return {tuple(path.split(".")): {"columns": _hints(types)} for path, types in TYPES[resource][1].items()}


def declared_types() -> Dict[str, Dict[str, str]]:
    """Every declared column, by table name in the warehouse (child tables `<table>__<path>`)."""
    tables = {}
    for resource, (own, children) in TYPES.items():
        tables[resource] = dict(own)
        for path, types in children.items():
            tables[f"{resource}__{path.replace('.', '__')}"] = dict(types)
    return tables


def variant_base(column: str) -> Optional[tuple]:
    """(base column, variant type) of a dlt variant column `<base>__v_<type>`, None for any other."""
    base, mark, variant = column.rpartition(VARIANT_MARK)
    return (base, variant) if mark and base else None


def type_error_of(error: BaseException) -> Optional[LivePersonTypeError]:
    """The one-line error of a dlt data-type contract violation found in `error`'s causes, else None."""
    from dlt.common.schema.exceptions import DataValidationError

    causes = list(causes_of(error))
    for cause in causes:
        if isinstance(cause, LivePersonTypeError):  # the columnar build's own (columnar.py)
            return cause
        if isinstance(cause, DataValidationError) and cause.schema_entity == "data_type":
            return LivePersonTypeError(_describe(cause))
    for cause in causes:
        # From a normalize worker process only dlt's message comes back: the value's type stands for the value.
        found = _CONTRACT_MESSAGE.search(str(cause))
        if found:
            table, column = found.group("table"), found.group("column")
            base, variant = variant_base(column) or (column, None)
            declared = declared_types().get(table, {}).get(base, "?")
            what = f"a {variant} value" if variant else "a value"
            return LivePersonTypeError(f"{table}.{base}: LivePerson sent {what}, which is not a {declared} (the "
                                       "column's declared type); nothing of this run was loaded")
    return None


_CONTRACT_MESSAGE = re.compile(r"Table: `(?P<table>[^`]+)` Column: `(?P<column>[^`]+)` \. Contract on `data_type`")


def _describe(error) -> str:
    table, column = error.table_name, error.column_name or "?"
    row = error.data_item if isinstance(error.data_item, dict) else {}
    value = row.get(column)
    parsed = variant_base(column)
    stored = ((error.table_schema or {}).get("columns") or {})
    if parsed is None and stored.get(column, {}).get("data_type") == declared_types().get(table, {}).get(column):
        # The same type, other properties (nullability, precision): dlt's schema as an older version stored it.
        return (f"{table}.{column} is stored with other column properties than this version declares (an older "
                "version's schema): load it once through the project's assets, which update dlt's stored schema "
                "(README, Existing warehouses); nothing of this run was loaded")
    if parsed is None:
        # Not a value but a column whose stored type differs from the declared one: a warehouse of an older version.
        return (f"{table}.{column} is {stored.get(column, {}).get('data_type', '?')} in the warehouse but declared "
                f"{declared_types().get(table, {}).get(column, '?')}: run `liveperson-dagster migrate-types` "
                "(README, Existing warehouses); nothing of this run was loaded")
    column = parsed[0]
    declared = stored.get(column, {}).get("data_type") or declared_types().get(table, {}).get(column, "?")
    shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:77]}..."
    return (f"{table}.{column}: LivePerson sent {shown}, which is not a {declared} (the column's declared type); "
            "nothing of this run was loaded")
