"""The dlt source: LivePerson account configuration snapshots and conversations of an explicit window."""

from typing import Optional, Sequence

import dlt

from . import settings
from .client import LivePersonClient
from .connection import LivePersonConnection
from .errors import LivePersonConfigError
from .records import CONVERSATION_COLUMNS, column_hints, conversation_row, typed_config_record
from .windows import Window


@dlt.source(name="liveperson")
def liveperson_source(
    connection: Optional[LivePersonConnection] = None,
    window: Optional[Window] = None,
    content_parts: Sequence[str] = settings.ALL_CONTENT_PARTS,
    client: Optional[LivePersonClient] = None,
):
    """Users, skills and agent groups (full snapshots, replaced on each load) and the conversations that started
    in `window`, the half-open range [window.start, window.end), merged on `conversation_id`.

    No state is kept between runs: the window is always explicit. Without a connection (or client) the source
    only describes its resources; iterating it then raises LivePersonConfigError.
    """
    if client is None and connection is not None:
        client = LivePersonClient(connection)
    # LivePerson sends each time twice, as epoch milliseconds (`timeL`, `startTimeL`, ...) and as a string;
    # parsing every string into a timestamp doubled the normalize time. `start_time`/`end_time` are timestamps.
    dlt.current.source_schema().remove_type_detection("iso_timestamp")
    return (
        users(client),
        skills(client),
        agent_groups(client),
        conversations(client, window, tuple(content_parts)),
    )


def _require(client: Optional[LivePersonClient]) -> LivePersonClient:
    if client is None:
        raise LivePersonConfigError("the LivePerson source was built without a connection (credentials)")
    return client


def _snapshot(client: Optional[LivePersonClient], collection: str):
    for page in _require(client).fetch_collection(collection):
        yield [typed_config_record(collection, record) for record in page]


@dlt.resource(name="users", write_disposition="replace", primary_key="id", columns=column_hints("users"))
def users(client: Optional[LivePersonClient] = None):
    """Every user of the account, deleted ones included (`deleted` is true for them)."""
    yield from _snapshot(client, "users")


@dlt.resource(name="skills", write_disposition="replace", primary_key="id", columns=column_hints("skills"))
def skills(client: Optional[LivePersonClient] = None):
    """Every skill of the account, deleted ones included."""
    yield from _snapshot(client, "skills")


@dlt.resource(name="agent_groups", write_disposition="replace", primary_key="id", columns=column_hints("agent_groups"))
def agent_groups(client: Optional[LivePersonClient] = None):
    """Every agent group of the account, deleted ones included; `parent_group_id` is null for the root group."""
    yield from _snapshot(client, "agent_groups")


@dlt.resource(
    name="conversations",
    # The search yields each conversation once per run (client.py), so dlt need not deduplicate the staged rows:
    # its ROW_NUMBER() pass over every child table was the largest part of a load's time and DuckDB memory.
    write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
    primary_key="conversation_id",
    columns=CONVERSATION_COLUMNS,
)
def conversations(
    client: Optional[LivePersonClient] = None,
    window: Optional[Window] = None,
    content_parts: Sequence[str] = settings.ALL_CONTENT_PARTS,
):
    """Messaging conversations whose start time lies in `window`; nested parts become child tables."""
    if window is None:
        raise LivePersonConfigError("conversations need an explicit window (start and end of the range to load)")
    for page in _require(client).search_conversations(window, content_parts):
        yield [row for row in map(conversation_row, page) if row is not None]
