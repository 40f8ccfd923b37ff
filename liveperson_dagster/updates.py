"""Late changes: the conversations updated since a time, fetched with the search's `latestUpdateTime` filter and
merged into the day partitions they started in (no whole day is fetched again). A run of the job
`liveperson_conversation_updates`, requested by the sensor of updates_sensor.py, reports a materialization of
each partition of `liveperson/conversations` it touched, with the number of conversations updated there."""

from collections import Counter
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from dagster import (
    AssetMaterialization,
    DailyPartitionsDefinition,
    MetadataValue,
    OpDefinition,
    OpExecutionContext,
    op,
)
import pyarrow as pa
from dateutil.relativedelta import relativedelta
from pydantic import Field

from .liveperson import LivePersonClient, Window, liveperson_source
from .liveperson.windows import utc_from_ms
from .loading import extract_normalize_load, step_pipeline
from .runs.run_owners import claim_run
from .accounts import SINGLE, Account
from .assets import ConversationsConfig
from .translator import asset_key

UPDATES_OP_NAME = "merge_conversation_updates"
# The conversation search spans at most 3 months of start times: changes to older conversations cannot be found.
SEARCH_MONTHS = 3


class UpdatesConfig(ConversationsConfig):
    since_ms: int = Field(description="Conversations updated since this time (epoch ms; LivePerson rounds it down "
                                      "to 10 minutes)")
    until_ms: int = Field(description="When the sensor looked: conversations that started before the end of the "
                                      "last complete day before it are searched")


def search_window(partitions_def: DailyPartitionsDefinition, now: datetime) -> Optional[Window]:
    """The start times whose conversations are searched for changes: the last 3 months (not before the first
    partition) up to the end of the last complete day. None before the first day is complete."""
    today = partitions_def.get_partition_key_for_timestamp(now.timestamp())
    end = partitions_def.time_window_for_partition_key(today).start  # the end of the last complete day
    start = max(partitions_def.start, end - relativedelta(months=SEARCH_MONTHS))
    return Window(start, end) if start < end else None


def updates_op(partitions_def: DailyPartitionsDefinition, account: Account = SINGLE) -> OpDefinition:
    @op(name=UPDATES_OP_NAME, pool=account.pool, out={},
        required_resource_keys={account.credentials_key, account.warehouse_key},
        description="Merges the conversations updated since `since_ms` into their day partitions.")
    def merge_updates(context: OpExecutionContext, config: UpdatesConfig):
        claim_run(context)
        credentials = getattr(context.resources, account.credentials_key)
        warehouse = getattr(context.resources, account.warehouse_key)
        window = search_window(partitions_def, utc_from_ms(config.until_ms))
        if window is None:
            context.log.info("No complete day yet: no conversation to update")
            return
        since = utc_from_ms(config.since_ms)
        context.log.info(f"Loading the conversations of {window} updated since {since.isoformat()}")
        zone = ZoneInfo(partitions_def.timezone)
        updated_per_day: Counter = Counter()

        def count_day(table: pa.Table) -> pa.Table:
            # The records' own table (columnar.py): its rows have no parent.
            if "_dlt_parent_id" not in table.column_names:
                for start in table.column("start_time").to_pylist():
                    updated_per_day[start.astimezone(zone).date().isoformat()] += 1
            return table

        with step_pipeline(context, warehouse) as (pipeline, _):
            client = LivePersonClient(credentials.connection())
            source = liveperson_source(client=client, window=window, updated_since_ms=config.since_ms,
                                       content_parts=tuple(config.content_parts)).with_resources("conversations")
            source.conversations.add_map(count_day)
            info = extract_normalize_load(pipeline, source, warehouse, context.log.info)
        load_ids = [package.load_id for package in info.load_packages]
        days = ", ".join(f"{day} ({n})" for day, n in sorted(updated_per_day.items())) or "none"
        context.log.info(f"Merged {sum(updated_per_day.values())} updated conversations into {len(updated_per_day)} "
                         f"partitions: {days}")
        for day, updated in sorted(updated_per_day.items()):
            yield AssetMaterialization(
                asset_key=asset_key("conversations", account), partition=day,
                description="Late changes merged: the conversations of this day updated since the time below.",
                metadata={
                    "updated_conversations": MetadataValue.int(updated),
                    "updated_since": MetadataValue.text(since.isoformat()),
                    "partitions_touched": MetadataValue.json(sorted(updated_per_day)),
                    "dlt_load_ids": MetadataValue.json(load_ids),
                    "api_requests": MetadataValue.int(client.stats.snapshot().get("requests", 0)),
                },
            )

    return merge_updates
