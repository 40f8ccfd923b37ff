"""The dlt source: LivePerson account configuration snapshots and conversations of an explicit window."""

from typing import Iterator, Mapping, Optional, Sequence

import dlt

from . import api_constants
from .client import LISTED_BY_NAME, LivePersonClient, completed
from .connection import LivePersonConnection
from .errors import LivePersonConfigError
from .replacement import DELETED_COLUMN_HINT, ReplacedTable, Replacement
from .columnar import CHAT_TABLES, CONVERSATION_TABLES, flat_table
from .columns import nested_hints_of
from .record_items import arrow_column_hints, child_tables_of, record_items
from .records import (
    AGENT_METRICS_COLUMNS,
    CHAT_ENGAGEMENT_COLUMNS,
    CONVERSATION_COLUMNS,
    QUEUE_HEALTH_COLUMNS,
    STATUS_CHANGE_COLUMNS,
    column_hints,
    status_change_row,
    typed_config_record,
)
from .windows import Window



# Column types are declared (columns.py), never inferred from a first value; a value that does not fit its column
# fails the load (columns.type_error_of names it) instead of adding a `<column>__v_<type>` variant column.
@dlt.source(name="liveperson", schema_contract={"data_type": "freeze"})
def liveperson_source(
    connection: Optional[LivePersonConnection] = None,
    window: Optional[Window] = None,
    content_parts: Sequence[str] = api_constants.ALL_CONTENT_PARTS,
    client: Optional[LivePersonClient] = None,
    replacements: Optional[Mapping[str, Replacement]] = None,
    updated_since_ms: Optional[int] = None,
):
    """The account's configuration (users, skills, agent groups, status reasons, profiles, LOBs, predefined content,
    workdays, special occasions:
    full snapshots, replaced on each load) and the records of `window`, the half-open range [window.start,
    window.end): conversations and chats by start time (merged on `conversation_id` / `engagement_id`) and agent
    status changes by their time (merged on `status_change_id`); and, when selected (`.with_resources(...)`: they
    are not by default), the Messaging Operations metrics of `window` (an hour of the last 24), which replace the
    rows of that hour.

    `replacements`, by resource name: what the warehouse holds of the window, for a load that replaces it exactly
    (records no longer returned are deleted with the merge; see replacement.py). Without one, a load only merges.
    `updated_since_ms`: only the conversations of the window updated since then (late changes, merged).

    No state is kept between runs: the window is always explicit. Without a connection (or client) the source
    only describes its resources; iterating it then raises LivePersonConfigError.
    """
    if client is None and connection is not None:
        client = LivePersonClient(connection)
    replacements = replacements or {}
    # LivePerson sends each time twice, as epoch milliseconds (`timeL`, `startTimeL`, ...) and as a string;
    # parsing every string into a timestamp doubled the normalize time. `start_time`/`end_time` are timestamps.
    schema = dlt.current.source_schema()
    schema.remove_type_detection("iso_timestamp")
    # LivePerson serves them for the last 24 hours only: a window of history (a day) would be refused.
    operations = (messaging_queue_health(client, window), messaging_agent_metrics(client, window))
    for resource in operations:
        resource.selected = False
    return (
        *(config_snapshot(collection)(client) for collection in CONFIG_SNAPSHOTS),
        conversations(client, window, tuple(content_parts), replacements.get("conversations"), updated_since_ms),
        agent_status_changes(client, window, replacements.get("agent_status_changes")),
        chat_engagements(client, window, replacements.get("chat_engagements")),
        *operations,
    )


def _require(client: Optional[LivePersonClient]) -> LivePersonClient:
    if client is None:
        raise LivePersonConfigError("the LivePerson source was built without a connection (credentials)")
    return client


# The account's configuration: one resource per collection of the client's CONFIG_COLLECTIONS, each a full
# snapshot (deleted records included) keyed by `id` and replaced on each load.
CONFIG_SNAPSHOTS = {
    "users": "Every user of the account, deleted ones included (`deleted` is true for them).",
    "skills": "Every skill of the account, deleted ones included.",
    "agent_groups": "Every agent group of the account, deleted ones included; `parent_group_id` is null for the root.",
    "agent_status_reasons": "Every agent status reason (away, back soon, ...) of the account, deleted ones included.",
    "profiles": "Every user profile (role and permission packages) of the account, deleted ones included.",
    "lobs": "Every line of business of the account, deleted ones included.",
    "predefined_content": "Every predefined content item (canned response) of the account, deleted ones included.",
    "workdays": "Every workdays object (hours of operation), deleted ones included; its weekly events in "
                "`workdays__events`.",
    "special_occasions": "Every special occasion (days off, changed hours), deleted ones included; its events in "
                         "`special_occasions__events`.",
}


def config_snapshot(collection: str):
    """The dlt resource of one configuration collection."""

    def records(client: Optional[LivePersonClient] = None):
        client = _require(client)
        pages = client.fetch_full_objects(collection) if collection in LISTED_BY_NAME else (
            client.fetch_collection(collection))
        for page in pages:
            yield [typed_config_record(collection, record) for record in page]

    records.__doc__ = CONFIG_SNAPSHOTS[collection]
    return dlt.resource(records, name=collection, write_disposition="replace", primary_key="id",
                        columns=column_hints(collection), nested_hints=nested_hints_of(collection))


@dlt.resource(
    name="conversations",
    # The search yields each conversation once per run (client.py), so dlt need not deduplicate the staged rows:
    # its ROW_NUMBER() pass over every child table was the largest part of a load's time and DuckDB memory.
    write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
    primary_key="conversation_id",
    # No `columns`: dlt starts the hints of each child table from the resource's, and the record's columns are not
    # a child table's. Each table's columns are given with its items (record_items.py).
)
def conversations(
    client: Optional[LivePersonClient] = None,
    window: Optional[Window] = None,
    content_parts: Sequence[str] = api_constants.ALL_CONTENT_PARTS,
    replacement: Optional[Replacement] = None,
    updated_since_ms: Optional[int] = None,
):
    """Messaging conversations whose start time lies in `window` (with `updated_since_ms`, those of them updated
    since then); each list in a record becomes a child table whose rows carry `conversation_id`, built as Arrow
    tables (record_items.py). Records served partial are fetched again by id; those still partial are loaded
    with `is_partial` true (client.completed)."""
    pages = _require(client).search_conversations(_window_required(window, "conversations"), content_parts,
                                                  updated_since_ms)
    pages = (completed(client, page, content_parts) for page in pages)  # partial records fetched again by id
    yield from record_items(pages, CONVERSATION_TABLES, CONVERSATION_COLUMNS, replacement,
                            child_tables_of(dlt.current.source_schema(), CONVERSATION_TABLES), client.stats.add)


# The tables a window load replaces, and what a row of each cannot be without (see replacement.py).
REPLACED_TABLES = {
    "conversations": ReplacedTable("conversation_id", "start_time"),
    "agent_status_changes": ReplacedTable("status_change_id", "time", ("agent_id",)),
    "chat_engagements": ReplacedTable("engagement_id", "start_time"),
}


def _rows(pages: Iterator[list], to_row, replacement: Optional[Replacement]) -> Iterator[list]:
    """The rows of each page (records without a key or time left out), then, when the load replaces its window,
    the tombstones of what the warehouse holds and the pages no longer do."""
    returned = set()
    for page in pages:
        rows = [row for row in map(to_row, page) if row is not None]
        if replacement is not None:
            returned.update(row[replacement.table.key] for row in rows)
        yield rows
    if replacement is not None:
        tombstones = replacement.tombstones(returned)
        if tombstones:
            yield tombstones


def _window_required(window: Optional[Window], what: str) -> Window:
    if window is None:
        raise LivePersonConfigError(f"{what} need an explicit window (start and end of the range to load)")
    return window


STATUS_CHANGE_TABLE_COLUMNS = {**arrow_column_hints(STATUS_CHANGE_COLUMNS), **DELETED_COLUMN_HINT}


@dlt.resource(
    name="agent_status_changes",
    write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
    primary_key="status_change_id",
    columns=STATUS_CHANGE_TABLE_COLUMNS,
)
def agent_status_changes(client: Optional[LivePersonClient] = None, window: Optional[Window] = None,
                         replacement: Optional[Replacement] = None):
    """Agent status changes (logins, logouts, status and reason changes) whose `time` lies in `window`; each page
    reaches dlt as an Arrow table of the declared types (no row normalizing)."""
    pages = _require(client).status_changes(_window_required(window, "agent status changes"))
    for rows in _rows(pages, status_change_row, replacement):
        if rows:
            yield flat_table(rows, "agent_status_changes", STATUS_CHANGE_TABLE_COLUMNS)


@dlt.resource(
    name="chat_engagements",
    write_disposition={"disposition": "merge", "strategy": "delete-insert", "deduplicated": True},
    primary_key="engagement_id",
    # No `columns`, as for conversations.
)
def chat_engagements(client: Optional[LivePersonClient] = None, window: Optional[Window] = None,
                     replacement: Optional[Replacement] = None):
    """Ended chats (Engagement History) whose start time lies in `window`; transcript lines and the other parts
    become child tables."""
    pages = _require(client).search_chat_engagements(_window_required(window, "chat engagements"))
    yield from record_items(pages, CHAT_TABLES, CHAT_ENGAGEMENT_COLUMNS, replacement,
                            child_tables_of(dlt.current.source_schema(), CHAT_TABLES), client.stats.add)


# Messaging Operations: the rows of an hour replace that hour's rows (`hour` is the merge key): interval bounds follow
# the request time, so two polls of one hour need not produce the same intervals.
OPERATIONS_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}


@dlt.resource(name="messaging_queue_health", write_disposition=OPERATIONS_DISPOSITION, merge_key="hour",
              primary_key=("skill_id", "interval_start"), columns=QUEUE_HEALTH_COLUMNS)
def messaging_queue_health(client: Optional[LivePersonClient] = None, window: Optional[Window] = None):
    """Queue health per skill and 5-minute interval of an hour (Messaging Operations, last 24 hours only)."""
    yield _require(client).messaging_queue_health(_window_required(window, "messaging queue health"))


@dlt.resource(name="messaging_agent_metrics", write_disposition=OPERATIONS_DISPOSITION, merge_key="hour",
              primary_key=("agent_id", "interval_end"), columns=AGENT_METRICS_COLUMNS)
def messaging_agent_metrics(client: Optional[LivePersonClient] = None, window: Optional[Window] = None):
    """Resolved conversations and handling times per agent and 5-minute bucket of an hour (last 24 hours only)."""
    yield _require(client).messaging_agent_metrics(_window_required(window, "messaging agent metrics"))
