"""Shapes LivePerson's records for loading: consistent types for quoted values, a top-level conversation key."""

from typing import Iterable, Optional

from .windows import utc_from_ms

# Fields the account-configuration APIs sometimes quote ("false", "4"); typed so columns do not split.
BOOLEAN_FIELDS = {
    "users": ("deleted", "isEnabled", "isApiUser", "changePwdNextLogin", "allowedAppKeys_enabled"),
    "skills": ("deleted", "canTransfer", "wrapUpTimeActive"),
    "agent_groups": ("deleted", "isEnabled"),
}
INTEGER_FIELDS = {
    "users": ("id", "maxChats", "maxAsyncChats", "userTypeId"),
    "skills": ("id", "skillOrder", "maxWaitTime", "slaDefaultResponseTime", "slaFirstTimeResponseTime", "wrapUpTime"),
    "agent_groups": ("id", "parentGroupId"),
}


def column_hints(collection: str) -> dict:
    hints = {name: {"data_type": "bool", "nullable": True} for name in BOOLEAN_FIELDS[collection]}
    hints.update({name: {"data_type": "bigint", "nullable": True} for name in INTEGER_FIELDS[collection]})
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
    "conversation_id": {"data_type": "text", "nullable": False, "primary_key": True},
    "start_time": {"data_type": "timestamp", "nullable": False},
    "end_time": {"data_type": "timestamp", "nullable": True},
    "status": {"data_type": "text", "nullable": True},
    # Kept as JSON: as child tables their names (`conversations__previously_submitted_agent_surveys__submitted_
    # answers__answers`, 77 characters) pass PostgreSQL's limit of 63, which dlt then shortens to hashed names that
    # differ from DuckDB's. Every other part's tables stay within 63 characters.
    "previously_submitted_agent_surveys": {"data_type": "json", "nullable": True},
    "latest_agent_survey__submitted_answers": {"data_type": "json", "nullable": True},
}


def conversation_row(record: dict) -> Optional[dict]:
    """Lifts `info.conversationId` to `conversation_id` (dlt cannot merge on a nested key) and the start and
    end times to timestamp columns. Returns None for a record without an id or start time."""
    info = record.get("info") or {}
    conversation_id = info.get("conversationId")
    start_ms = info.get("startTimeL")
    if not conversation_id or not isinstance(start_ms, int):
        return None
    end_ms = info.get("endTimeL")
    is_open = not isinstance(end_ms, int) or end_ms <= 0
    if is_open and ("endTime" in info or "endTimeL" in info):
        # An open conversation has endTime "undefined" and endTimeL -1: null, not a text variant of a time column.
        info = {**info, "endTime": None, "endTimeL": None}
    return {
        "conversation_id": str(conversation_id),
        "start_time": utc_from_ms(start_ms),
        "end_time": None if is_open else utc_from_ms(end_ms),
        "status": info.get("status"),
        **record,
        "info": info,
    }


def start_ms_of(record: dict) -> Optional[int]:
    value = (record.get("info") or {}).get("startTimeL")
    return value if isinstance(value, int) else None


def ids_of(records: Iterable[dict]) -> list:
    return [r.get("id") for r in records if isinstance(r, dict)]
