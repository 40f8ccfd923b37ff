"""Shapes LivePerson's records for loading: consistent types for quoted values, a top-level conversation key."""

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from . import api_constants
from .columns import AGENT_ID, CONFIG_TYPES, columns_of
from .windows import ms_of_time, utc_from_ms

# Fields the account-configuration APIs sometimes quote ("false", "4"); typed so columns do not split.
BOOLEAN_FIELDS = {
    "users": ("deleted", "isEnabled", "isApiUser", "changePwdNextLogin", "allowedAppKeys_enabled"),
    "skills": ("deleted", "canTransfer", "wrapUpTimeActive"),
    "agent_groups": ("deleted", "isEnabled"),
    "agent_status_reasons": ("deleted",),
    "profiles": ("deleted", "isAssignedToLPA"),
    "lobs": ("deleted",),
    "predefined_content": ("deleted", "enabled"),
    "workdays": ("deleted", "isDefault"),
    "special_occasions": ("deleted", "isDefault"),
}
# The top-level bigint columns of each collection (columns.py), as the API names its fields (`max_chats`: maxChats).
INTEGER_FIELDS = {collection: tuple(re.sub(r"_([a-z])", lambda letter: letter[1].upper(), column)
                                    for column, kind in types.items() if kind == "bigint" and "__" not in column)
                  for collection, types in CONFIG_TYPES.items()}


def column_hints(collection: str) -> dict:
    hints = {name: {"data_type": "bool", "nullable": True} for name in BOOLEAN_FIELDS[collection]}
    hints.update(columns_of(collection))
    hints["id"]["nullable"] = False
    return hints


def typed_config_record(collection: str, record: dict) -> dict:
    typed = dict(record)
    for name in BOOLEAN_FIELDS[collection]:
        if name in typed:
            typed[name] = as_bool(typed[name])
    for name in INTEGER_FIELDS[collection]:
        if name in typed:
            typed[name] = as_int(typed[name])
    return typed


def as_bool(value):
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return value


def as_int(value):
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


CONVERSATION_COLUMNS = {
    **columns_of("conversations"),
    "conversation_id": {"data_type": "text", "nullable": False, "primary_key": True},
    "start_time": {"data_type": "timestamp", "nullable": False},
    "end_time": {"data_type": "timestamp", "nullable": True},
    "status": {"data_type": "text", "nullable": True},
    # Kept as JSON: as child tables their names (`conversations__previously_submitted_agent_surveys__submitted_
    # answers__answers`, 77 characters) pass PostgreSQL's limit of 63, which dlt then shortens to hashed names that
    # differ from DuckDB's. Every other part's tables stay within 63 characters.
    "previously_submitted_agent_surveys": {"data_type": "json", "nullable": True},
    "latest_agent_survey__submitted_answers": {"data_type": "json", "nullable": True},
    # `info.isPartial` of the record loaded: true when LivePerson still served it incomplete after the refetches
    # (client.completed). Null in rows loaded before the column existed.
    "is_partial": {"data_type": "bool", "nullable": True},
}


def is_partial(record: dict) -> bool:
    """Whether LivePerson served the conversation record incomplete (`info.isPartial` true)."""
    return as_bool((record.get("info") or {}).get("isPartial")) is True


def start_ms_of(record: dict) -> Optional[int]:
    value = (record.get("info") or {}).get("startTimeL")
    return value if isinstance(value, int) else None


def ids_of(records: Iterable[dict]) -> list:
    return [r.get("id") for r in records if isinstance(r, dict)]


CHAT_ENGAGEMENT_COLUMNS = {
    **columns_of("chat_engagements"),
    "engagement_id": {"data_type": "text", "nullable": False, "primary_key": True},
    "start_time": {"data_type": "timestamp", "nullable": False},
    "end_time": {"data_type": "timestamp", "nullable": True},
}

# The Agent Activity API documents no key, and a login and the default status that follows share a millisecond and
# session -1: a change is identified by all of agent, time, type, sub-type, session, sequence number and reason.
STATUS_CHANGE_IDENTITY = ("agentId", "time", "statusType", "statusSubType", "sessionId", "sequenceNumber",
                          "statusReasonId")


def status_change_id(record: dict) -> Optional[str]:
    if record.get("agentId") in (None, "") or ms_of_time(record.get("time")) is None:
        return None
    identity = "|".join(str(record.get(name)) for name in STATUS_CHANGE_IDENTITY)
    return hashlib.sha1(identity.encode()).hexdigest()


def status_change_row(record: dict) -> Optional[dict]:
    """One state change with documented columns in snake case, `time` a timestamp, keyed by `status_change_id`."""
    change_id = status_change_id(record)
    if change_id is None:
        return None
    previous_ms = ms_of_time(record.get("prevStatusChangeTime"))
    return {
        "status_change_id": change_id,
        "agent_id": as_int(record.get("agentId")),
        "time": utc_from_ms(ms_of_time(record["time"])),
        "status_type": as_int(record.get("statusType")),
        "status_sub_type": as_int(record.get("statusSubType")),
        "status_reason_id": as_int(record.get("statusReasonId")),
        "status_reason_text": record.get("statusReasonText"),
        "session_id": as_int(record.get("sessionId")),
        "sequence_number": as_int(record.get("sequenceNumber")),
        "agent_group_id": as_int(record.get("agentGroupId")),
        "employee_id": record.get("employeeId"),
        "prev_status_change_time": utc_from_ms(previous_ms) if previous_ms and previous_ms > 0 else None,
    }


STATUS_CHANGE_COLUMNS = {
    **columns_of("agent_status_changes"),
    "status_change_id": {"data_type": "text", "nullable": False, "primary_key": True},
    "agent_id": {"data_type": AGENT_ID, "nullable": False},
    "time": {"data_type": "timestamp", "nullable": False},
}


OPERATIONS_BOUNDS = {name: {"data_type": "timestamp", "nullable": False}
                     for name in ("hour", "interval_start", "interval_end")}
QUEUE_HEALTH_COLUMNS = {**columns_of("messaging_queue_health"), **OPERATIONS_BOUNDS}
AGENT_METRICS_COLUMNS = {**columns_of("messaging_agent_metrics"), **OPERATIONS_BOUNDS}


@dataclass(frozen=True)
class WindowedRecords:
    """What the client needs to know of an API searched by time window: where its records are, how each is
    identified and when it happened (the time the window is about)."""

    name: str
    records_key: str
    page_size: Callable[[], int]
    key_of: Callable[[dict], Optional[str]]
    time_ms_of: Callable[[dict], Optional[int]]


def _info(field: str) -> Callable[[dict], object]:
    return lambda record: (record.get("info") or {}).get(field)


CONVERSATIONS = WindowedRecords("conversations", "conversationHistoryRecords", lambda: api_constants.SEARCH_PAGE_SIZE,
                                _info("conversationId"), start_ms_of)
CHAT_ENGAGEMENTS = WindowedRecords("chat_engagements", "interactionHistoryRecords",
                                   lambda: api_constants.CHAT_SEARCH_PAGE_SIZE, _info("engagementId"), start_ms_of)
STATUS_CHANGES = WindowedRecords("agent_status_changes", "stateChanges", lambda: api_constants.STATUS_CHANGES_PAGE_SIZE,
                                 status_change_id, lambda record: ms_of_time(record.get("time")))
