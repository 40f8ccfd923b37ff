"""Asset checks on what the warehouse holds, read through dlt's SQL client (any SQL destination).

- users, skills, agent_groups `unique_ids`: no `id` twice in the table.
- conversations `unique_conversation_ids`: no `conversation_id` twice in the table.
- conversations `started_inside_window`: every row the latest materialization loaded (rows carrying one of its
  `dlt_load_ids`) has a `start_time` in its window [`window_start`, `window_end`). The window of a range run
  is the whole range.
- conversations `known_agents_skills_and_groups` (WARN): the share of all conversations in the table whose latest
  agent / skill / agent group id is not in users / skills / agent_groups stays at or below
  LIVEPERSON_MAX_UNKNOWN_PERCENT (default 5). `-1` (unassigned) and empty ids are not misses.
"""

from datetime import datetime
from typing import Iterator, List, Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetChecksDefinition,
    MetadataValue,
    multi_asset_check,
)
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.sql_client import SqlClientBase

from .assets import POOL
from .resources import LivePersonWarehouse
from .translator import CONFIG_RESOURCES, asset_key

CONVERSATIONS = asset_key("conversations")
# (metadata name, conversations column, table holding the known ids)
REFERENCES = (
    ("agent", "info__latest_agent_id", "users"),
    ("skill", "info__latest_skill_id", "skills"),
    ("agent_group", "info__latest_agent_group_id", "agent_groups"),
)
UNASSIGNED = ("-1", "")
SAMPLE_SIZE = 10


def _table(client: SqlClientBase, name: str) -> str:
    return client.make_qualified_table_name(name)


def _column(client: SqlClientBase, name: str) -> str:
    return client.escape_column_name(name)


def _missing_table(check: AssetCheckKey, client: SqlClientBase, error: DatabaseUndefinedRelation) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=False, severity=AssetCheckSeverity.WARN,
        description=f"Nothing to check in dataset {client.dataset_name}: a table is missing ({error}). "
        "Materialize the assets first.",
    )


def unique_ids(check: AssetCheckKey, client: SqlClientBase, table: str, column: str) -> AssetCheckResult:
    t, c = _table(client, table), _column(client, column)
    rows, distinct = client.execute_sql(f"select count(*), count(distinct {c}) from {t}")[0]
    duplicated = client.execute_sql(f"select {c} from {t} group by {c} having count(*) > 1 order by {c}")
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not duplicated,
        description=f"{len(duplicated)} {column} value(s) appear more than once in {table}" if duplicated else None,
        metadata={
            "rows": MetadataValue.int(rows),
            "distinct_ids": MetadataValue.int(distinct),
            "duplicated_ids": MetadataValue.int(len(duplicated)),
            "duplicated_ids_sample": MetadataValue.json([str(row[0]) for row in duplicated[:SAMPLE_SIZE]]),
        },
    )


def started_inside_window(check: AssetCheckKey, context: AssetCheckExecutionContext,
                          client: SqlClientBase) -> AssetCheckResult:
    event = context.instance.get_latest_materialization_event(CONVERSATIONS)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    if not {"window_start", "window_end", "dlt_load_ids"} <= set(metadata):
        return AssetCheckResult(
            check_name=check.name, asset_key=check.asset_key, passed=False, severity=AssetCheckSeverity.WARN,
            description="No materialization of liveperson/conversations with a window and dlt load ids yet.",
        )
    start = datetime.fromisoformat(metadata["window_start"].value)
    end = datetime.fromisoformat(metadata["window_end"].value)
    load_ids = list(metadata["dlt_load_ids"].value)
    loaded, outside = 0, []
    if load_ids:
        t, load_id, start_time = _table(client, "conversations"), _column(client, "_dlt_load_id"), _column(
            client, "start_time")
        of_the_load = f"{load_id} in ({', '.join(['%s'] * len(load_ids))})"
        loaded = client.execute_sql(f"select count(*) from {t} where {of_the_load}", *load_ids)[0][0]
        outside = client.execute_sql(
            f"select {_column(client, 'conversation_id')} from {t} where {of_the_load} and "
            f"({start_time} is null or {start_time} < %s or {start_time} >= %s) order by 1",
            *load_ids, start, end,
        )
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not outside,
        description=f"{len(outside)} conversation(s) of the latest load started outside "
        f"[{start.isoformat()}, {end.isoformat()})" if outside else None,
        metadata={
            "window_start": MetadataValue.text(start.isoformat()),
            "window_end": MetadataValue.text(end.isoformat()),
            "dlt_load_ids": MetadataValue.json(load_ids),
            "conversations_loaded": MetadataValue.int(loaded),
            "outside_window": MetadataValue.int(len(outside)),
            "outside_window_sample": MetadataValue.json([row[0] for row in outside[:SAMPLE_SIZE]]),
        },
    )


def _columns(client: SqlClientBase, table: str) -> set:
    with client.execute_query(f"select * from {_table(client, table)} where 1 = 0") as cursor:
        return {description[0].lower() for description in cursor.description}


def known_references(check: AssetCheckKey, client: SqlClientBase, max_unknown_percent: float) -> AssetCheckResult:
    conversations = _table(client, "conversations")
    total = client.execute_sql(f"select count(*) from {conversations}")[0][0]
    columns = _columns(client, "conversations")
    metadata = {"conversations": MetadataValue.int(total),
                "max_unknown_percent": MetadataValue.float(max_unknown_percent)}
    over = []
    for kind, column, table in REFERENCES:
        known = {str(row[0]) for row in client.execute_sql(f"select {_column(client, 'id')} from {_table(client, table)}")}
        # A column dlt never created (no conversation had the field) holds no reference at all.
        counts = client.execute_sql(
            f"select {_column(client, column)}, count(*) from {conversations} group by 1"
        ) if column in columns else []
        unknown = {str(value): count for value, count in counts
                   if value is not None and str(value) not in UNASSIGNED and str(value) not in known}
        missed = sum(unknown.values())
        percent = round(100.0 * missed / total, 2) if total else 0.0
        if percent > max_unknown_percent:
            over.append(f"{kind} {percent}%")
        metadata[f"unknown_{kind}_conversations"] = MetadataValue.int(missed)
        metadata[f"unknown_{kind}_percent"] = MetadataValue.float(percent)
        metadata[f"unknown_{kind}_ids_sample"] = MetadataValue.json(sorted(unknown)[:SAMPLE_SIZE])
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not over, severity=AssetCheckSeverity.WARN,
        description=f"Conversations with an unknown latest {', '.join(over)} (more than {max_unknown_percent}%)"
        if over else None,
        metadata=metadata,
    )


def _selected(context: AssetCheckExecutionContext, specs: Sequence[AssetCheckSpec]) -> List[AssetCheckKey]:
    return [spec.key for spec in specs if spec.key in context.selected_asset_check_keys]


CONFIG_SPECS = [
    AssetCheckSpec("unique_ids", asset=asset_key(name), description=f"No id appears twice in {name}.")
    for name in CONFIG_RESOURCES
]


# In the assets' pool: a run keeps its slot until its checks have read the warehouse, so no other run's load
# starts in between (DuckDB takes one process at a time).
@multi_asset_check(specs=CONFIG_SPECS, can_subset=True, name="liveperson_config_checks", pool=POOL)
def config_checks(context: AssetCheckExecutionContext, warehouse: LivePersonWarehouse) -> Iterator[AssetCheckResult]:
    with warehouse.sql_client(f"asset checks of run {context.run.run_id[:8]}", context.log.info) as client:
        for check in _selected(context, CONFIG_SPECS):
            try:
                yield unique_ids(check, client, check.asset_key.path[-1], "id")
            except DatabaseUndefinedRelation as error:
                yield _missing_table(check, client, error)


def conversations_checks(max_unknown_percent: float) -> AssetChecksDefinition:
    config_keys = [asset_key(name) for name in CONFIG_RESOURCES]
    specs = [
        AssetCheckSpec("unique_conversation_ids", asset=CONVERSATIONS,
                       description="No conversation_id appears twice in conversations."),
        AssetCheckSpec("started_inside_window", asset=CONVERSATIONS,
                       description="Every conversation loaded by the latest materialization started inside its "
                       "window [window_start, window_end)."),
        AssetCheckSpec("known_agents_skills_and_groups", asset=CONVERSATIONS, additional_deps=config_keys,
                       description="Warns when more than max_unknown_percent of the conversations name a latest "
                       "agent, skill or agent group missing from users, skills or agent_groups (-1 is unassigned).",
                       metadata={"max_unknown_percent": max_unknown_percent}),
    ]
    unique, window, references = (spec.key for spec in specs)

    @multi_asset_check(specs=specs, can_subset=True, name="liveperson_conversations_checks", pool=POOL)
    def _checks(context: AssetCheckExecutionContext, warehouse: LivePersonWarehouse) -> Iterator[AssetCheckResult]:
        with warehouse.sql_client(f"asset checks of run {context.run.run_id[:8]}", context.log.info) as client:
            for check in _selected(context, specs):
                try:
                    if check == unique:
                        yield unique_ids(check, client, "conversations", "conversation_id")
                    elif check == window:
                        yield started_inside_window(check, context, client)
                    elif check == references:
                        yield known_references(check, client, max_unknown_percent)
                except DatabaseUndefinedRelation as error:
                    yield _missing_table(check, client, error)

    return _checks


def build_checks(max_unknown_percent: float) -> list:
    return [config_checks, conversations_checks(max_unknown_percent)]
