"""Asset checks on what the warehouse holds, read through dlt's SQL client (any SQL destination).

- every configuration table `unique_ids`: no `id` twice in the table.
- conversations `unique_conversation_ids`, chat_engagements `unique_engagement_ids`, agent_status_changes
  `unique_status_change_ids`: no key twice in the table.
- conversations and chat_engagements `started_inside_window`, agent_status_changes `time_inside_window`: every row
  the latest materialization loaded (rows carrying one of its `dlt_load_ids`) has its time (`start_time`, `time`)
  in its window [`window_start`, `window_end`). The window of a range run is the whole range.
- conversations `known_agents_skills_and_groups` and agent_status_changes `known_agents_groups_and_reasons` (WARN):
  the share of the table's rows whose agent / skill / agent group / status reason id is not in users / skills /
  agent_groups / agent_status_reasons stays at or below LIVEPERSON_MAX_UNKNOWN_PERCENT (default 5). `-1`
  (unassigned), null and empty ids are not misses.
- conversations `complete_records` (WARN): no row is flagged `is_partial` (LivePerson still served the record
  incomplete after the refetches by id); a later re-load of their days completes them.
- every asset `no_variant_columns`: none of its tables has a dlt variant column (`<column>__v_<type>`, values that
  did not fit the column's type, from loads of older versions); it names them.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

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

from .accounts import SINGLE, Account
from .loading import is_table_or_child
from .liveperson.columns import VARIANT_MARK, variant_base
from .translator import CONFIG_RESOURCES, DAILY_RESOURCES, OPERATIONS_RESOURCES, asset_key


@dataclass(frozen=True)
class HistoryTable:
    """What the checks of one daily table look at."""

    name: str
    key: str
    time_column: str
    window_check: str
    noun: str  # in messages: "3 conversation(s) of the latest load started outside ..."
    verb: str
    # (check name, ((metadata name, column, table holding the known ids), ...)) or None
    references: Optional[Tuple[str, Tuple[Tuple[str, str, str], ...]]] = None
    # The name of the check that warns about rows loaded partial (`is_partial` true), or None
    partial_check: Optional[str] = None


HISTORY_TABLES = (
    HistoryTable("conversations", "conversation_id", "start_time", "started_inside_window", "conversation", "started",
                 ("known_agents_skills_and_groups", (
                     ("agent", "info__latest_agent_id", "users"),
                     ("skill", "info__latest_skill_id", "skills"),
                     ("agent_group", "info__latest_agent_group_id", "agent_groups"))),
                 partial_check="complete_records"),
    HistoryTable("agent_status_changes", "status_change_id", "time", "time_inside_window", "status change",
                 "happened", ("known_agents_groups_and_reasons", (
                     ("agent", "agent_id", "users"),
                     ("agent_group", "agent_group_id", "agent_groups"),
                     ("status_reason", "status_reason_id", "agent_status_reasons")))),
    HistoryTable("chat_engagements", "engagement_id", "start_time", "started_inside_window", "chat", "started"),
)
# No id: -1 (unassigned), 0 (a login's status reason) and empty.
UNASSIGNED = ("-1", "0", "")
SAMPLE_SIZE = 10


def unique_ids(check: AssetCheckKey, client: SqlClientBase, table: str, *columns: str) -> AssetCheckResult:
    """No value of `columns` (one column, or a compound key) appears twice in `table`."""
    t = client.make_qualified_table_name(table)
    c = ", ".join(client.escape_column_name(column) for column in columns)
    rows = client.execute_sql(f"select count(*) from {t}")[0][0]
    distinct = client.execute_sql(f"select count(*) from (select distinct {c} from {t}) keys")[0][0]
    duplicated = client.execute_sql(f"select {c} from {t} group by {c} having count(*) > 1 order by {c}")
    key = ", ".join(columns)
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not duplicated,
        description=f"{len(duplicated)} {key} value(s) appear more than once in {table}" if duplicated else None,
        metadata={
            "rows": MetadataValue.int(rows),
            "distinct_ids": MetadataValue.int(distinct),
            "duplicated_ids": MetadataValue.int(len(duplicated)),
            "duplicated_ids_sample": MetadataValue.json(
                [str(row[0]) if len(columns) == 1 else [str(value) for value in row] for row in duplicated[:SAMPLE_SIZE]]),
        },
    )


def inside_window(check: AssetCheckKey, context: AssetCheckExecutionContext, client: SqlClientBase,
                  table: HistoryTable) -> AssetCheckResult:
    event = context.instance.get_latest_materialization_event(check.asset_key)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    if not {"window_start", "window_end", "dlt_load_ids"} <= set(metadata):
        return AssetCheckResult(
            check_name=check.name, asset_key=check.asset_key, passed=False, severity=AssetCheckSeverity.WARN,
            description=f"No materialization of {check.asset_key.to_user_string()} with a window and dlt load ids yet.",
        )
    start = datetime.fromisoformat(metadata["window_start"].value)
    end = datetime.fromisoformat(metadata["window_end"].value)
    load_ids = list(metadata["dlt_load_ids"].value)
    loaded, outside = 0, []
    if load_ids:
        t, load_id = client.make_qualified_table_name(table.name), client.escape_column_name("_dlt_load_id")
        start_time = client.escape_column_name(table.time_column)
        of_the_load = f"{load_id} in ({', '.join(['%s'] * len(load_ids))})"
        loaded = client.execute_sql(f"select count(*) from {t} where {of_the_load}", *load_ids)[0][0]
        outside = client.execute_sql(
            f"select {client.escape_column_name(table.key)} from {t} where {of_the_load} and "
            f"({start_time} is null or {start_time} < %s or {start_time} >= %s) order by 1",
            *load_ids, start, end,
        )
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not outside,
        description=f"{len(outside)} {table.noun}(s) of the latest load {table.verb} outside "
        f"[{start.isoformat()}, {end.isoformat()})" if outside else None,
        metadata={
            "window_start": MetadataValue.text(start.isoformat()),
            "window_end": MetadataValue.text(end.isoformat()),
            "dlt_load_ids": MetadataValue.json(load_ids),
            f"{table.name}_loaded": MetadataValue.int(loaded),
            "outside_window": MetadataValue.int(len(outside)),
            "outside_window_sample": MetadataValue.json([row[0] for row in outside[:SAMPLE_SIZE]]),
        },
    )


def _columns(client: SqlClientBase, table: str) -> set:
    with client.execute_query(f"select * from {client.make_qualified_table_name(table)} where 1 = 0") as cursor:
        return {description[0].lower() for description in cursor.description}


def known_references(check: AssetCheckKey, client: SqlClientBase, history: HistoryTable,
                     max_unknown_percent: float) -> AssetCheckResult:
    rows_table = client.make_qualified_table_name(history.name)
    total = client.execute_sql(f"select count(*) from {rows_table}")[0][0]
    columns = _columns(client, history.name)
    metadata = {history.name: MetadataValue.int(total),
                "max_unknown_percent": MetadataValue.float(max_unknown_percent)}
    over = []
    for kind, column, table in history.references[1]:
        known = {str(row[0]) for row in client.execute_sql(
            f"select {client.escape_column_name('id')} from {client.make_qualified_table_name(table)}")}
        # A column dlt never created (no row had the field) holds no reference at all.
        counts = client.execute_sql(
            f"select {client.escape_column_name(column)}, count(*) from {rows_table} group by 1"
        ) if column in columns else []
        unknown = {str(value): count for value, count in counts
                   if value is not None and str(value) not in UNASSIGNED and str(value) not in known}
        missed = sum(unknown.values())
        percent = round(100.0 * missed / total, 2) if total else 0.0
        if percent > max_unknown_percent:
            over.append(f"{kind} {percent}%")
        metadata[f"unknown_{kind}_{history.name}"] = MetadataValue.int(missed)
        metadata[f"unknown_{kind}_percent"] = MetadataValue.float(percent)
        metadata[f"unknown_{kind}_ids_sample"] = MetadataValue.json(sorted(unknown)[:SAMPLE_SIZE])
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not over, severity=AssetCheckSeverity.WARN,
        description=f"{history.noun.capitalize()}s with an unknown {'latest ' if history.name == 'conversations' else ''}"
        f"{', '.join(over)} (more than {max_unknown_percent}%)"
        if over else None,
        metadata=metadata,
    )


def complete_records(check: AssetCheckKey, client: SqlClientBase, history: HistoryTable) -> AssetCheckResult:
    """No row of the table is flagged `is_partial` (a record LivePerson still served incomplete)."""
    flagged = []
    # A table no load of this version has written to has no such column: nothing in it was flagged.
    if "is_partial" in _columns(client, history.name):
        flagged = client.execute_sql(
            f"select {client.escape_column_name(history.key)} from {client.make_qualified_table_name(history.name)}"
            f" where {client.escape_column_name('is_partial')} = %s order by 1", True)
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not flagged, severity=AssetCheckSeverity.WARN,
        description=f"{len(flagged)} {history.noun}(s) loaded partial: LivePerson still served them incomplete "
        "after the refetches by id. A later re-load of their days completes them." if flagged else None,
        metadata={
            "partial_records": MetadataValue.int(len(flagged)),
            "partial_records_sample": MetadataValue.json([str(row[0]) for row in flagged[:SAMPLE_SIZE]]),
        },
    )


CheckResult = Callable[[AssetCheckKey], AssetCheckResult]
CheckResults = Callable[[AssetCheckExecutionContext, SqlClientBase], CheckResult]


def warehouse_checks(name: str, specs: Sequence[AssetCheckSpec], account: Account,
                     results: CheckResults) -> AssetChecksDefinition:
    """`specs` as one definition `name` reading the account's warehouse: `results(context, client)`, once per
    execution, gives the result of each check selected; a warning for one whose table is missing."""
    # In the assets' pool: a run keeps its slot until its checks have read the warehouse, so no other run's load
    # starts in between (DuckDB takes one process at a time).
    @multi_asset_check(specs=specs, can_subset=True, name=account.named(name), pool=account.pool,
                       required_resource_keys={account.warehouse_key})
    def _checks(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        warehouse = getattr(context.resources, account.warehouse_key)
        with warehouse.sql_client(f"asset checks of run {context.run.run_id[:8]}", context.log.info) as client:
            result = results(context, client)
            for check in (spec.key for spec in specs if spec.key in context.selected_asset_check_keys):
                try:
                    yield result(check)
                except DatabaseUndefinedRelation as error:
                    yield AssetCheckResult(
                        check_name=check.name, asset_key=check.asset_key, passed=False,
                        severity=AssetCheckSeverity.WARN, description=f"Nothing to check in dataset "
                        f"{client.dataset_name}: a table is missing ({error}). Materialize the assets first.")

    return _checks


def unique_key_checks(name: str, check_name: str, keys: dict, account: Account = SINGLE) -> AssetChecksDefinition:
    """One `check_name` per table of `keys` (table -> its key columns): no key appears twice."""
    specs = [AssetCheckSpec(check_name, asset=asset_key(table, account),
                            description=f"No {' and '.join(columns)} appears twice in {table}.")
             for table, columns in keys.items()]

    def results(context: AssetCheckExecutionContext, client: SqlClientBase) -> CheckResult:
        return lambda check: unique_ids(check, client, check.asset_key.path[-1], *keys[check.asset_key.path[-1]])

    return warehouse_checks(name, specs, account, results)


def history_checks(history: HistoryTable, max_unknown_percent: float, account: Account = SINGLE) -> AssetChecksDefinition:
    key = asset_key(history.name, account)
    specs = [
        AssetCheckSpec(f"unique_{history.key}s", asset=key, description=f"No {history.key} appears twice in {history.name}."),
        AssetCheckSpec(history.window_check, asset=key,
                       description=f"Every row of {history.name} loaded by the latest materialization has a "
                       f"{history.time_column} inside its window [window_start, window_end)."),
    ]
    if history.references:
        name, references = history.references
        specs.append(AssetCheckSpec(
            name, asset=key, additional_deps=[asset_key(table, account) for table in DAILY_RESOURCES[history.name]],
            description=f"Warns when more than max_unknown_percent of the rows of {history.name} name an "
            f"{', '.join(kind.replace('_', ' ') for kind, _, _ in references)} missing from "
            f"{', '.join(table for _, _, table in references)} (-1 is unassigned).",
            metadata={"max_unknown_percent": max_unknown_percent},
        ))
    if history.partial_check:
        specs.append(AssetCheckSpec(
            history.partial_check, asset=key,
            description=f"Warns when rows of {history.name} were loaded partial (`is_partial`: LivePerson still "
            "served them incomplete after the refetches by id); a later re-load of their days completes them."))
    unique, window = specs[0].key, specs[1].key

    def results(context: AssetCheckExecutionContext, client: SqlClientBase) -> CheckResult:
        def result(check: AssetCheckKey) -> AssetCheckResult:
            if check == unique:
                return unique_ids(check, client, history.name, history.key)
            if check == window:
                return inside_window(check, context, client, history)
            if check.name == history.partial_check:
                return complete_records(check, client, history)
            return known_references(check, client, history, max_unknown_percent)

        return result

    return warehouse_checks(f"liveperson_{history.name}_checks", specs, account, results)


# Messaging Operations: one row per skill (agent) and interval.
OPERATIONS_KEYS = {"messaging_queue_health": ("skill_id", "interval_start"),
                   "messaging_agent_metrics": ("agent_id", "interval_end")}


def variant_columns(client: SqlClientBase) -> List[Tuple[str, str]]:
    """(table, column) of every dlt variant column (`<column>__v_<type>`) in the dataset."""
    rows = client.execute_sql(
        "select table_name, column_name from information_schema.columns where table_schema = %s",
        client.dataset_name)
    return sorted((table, column) for table, column in rows if variant_base(column))


def no_variant_columns(check: AssetCheckKey, found: Sequence[Tuple[str, str]]) -> AssetCheckResult:
    table = check.asset_key.path[-1]
    own = [f"{name}.{column}" for name, column in found if is_table_or_child(name, table)]
    return AssetCheckResult(
        check_name=check.name, asset_key=check.asset_key, passed=not own,
        description=f"Variant column(s) {', '.join(own)}: values that did not fit their column's type were loaded "
        "beside it; run `liveperson-dagster migrate-types` (README, Existing warehouses)" if own else None,
        metadata={"variant_columns": MetadataValue.json(own)},
    )


def variant_column_checks(account: Account = SINGLE) -> AssetChecksDefinition:
    """`no_variant_columns` of every asset: none of its tables (child tables included) has a `__v_` column."""
    tables = (*CONFIG_RESOURCES, *DAILY_RESOURCES, *OPERATIONS_RESOURCES)
    specs = [AssetCheckSpec("no_variant_columns", asset=asset_key(table, account),
                            description=f"No column of {table} or its child tables is a variant (`<column>{VARIANT_MARK}"
                            "<type>`): every value has its column's declared type.") for table in tables]
    # The dataset's variant columns, read once for all the checks selected.
    return warehouse_checks("liveperson_variant_column_checks", specs, account,
                            lambda context, client: partial(no_variant_columns, found=variant_columns(client)))


def build_checks(max_unknown_percent: float, account: Account = SINGLE) -> list:
    """The checks of the account's assets, reading its warehouse resource."""
    return [
        unique_key_checks("liveperson_config_checks", "unique_ids", {table: ("id",) for table in CONFIG_RESOURCES},
                          account),
        *(history_checks(history, max_unknown_percent, account) for history in HISTORY_TABLES),
        unique_key_checks("liveperson_operations_checks", "unique_intervals", OPERATIONS_KEYS, account),
        variant_column_checks(account),
    ]
