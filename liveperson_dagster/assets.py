"""The LivePerson assets: one per dlt resource (its own step, so an API the credentials may not read fails only the
assets that need it): configuration snapshots unpartitioned, history in daily partitions, Messaging Operations in
hourly ones."""

from functools import cache
from typing import List

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    multi_asset,
)
from pydantic import Field

from .accounts import SINGLE, Account
from .liveperson import Window, liveperson_source
from .liveperson.source import REPLACED_TABLES
from .liveperson import api_constants
from .loading import load_resources
from .translator import CONFIG_RESOURCES, DAILY_RESOURCES, OPERATIONS_RESOURCES, asset_spec


def _liveperson_asset(name: str, destination: str, account: Account, partitions_def=None):
    """The decorator of the asset of the dlt resource `name` (its own step), described by translator.asset_spec. A
    range of partitions is one run (the CLI's `--partition-range` demands it; the configuration assets too, to run
    with the daily ones). The account's resources are its own keys (`liveperson_<name>`, `warehouse_<name>`)."""
    return multi_asset(specs=[asset_spec(_described_resources()[name], destination, account)],
                       name=account.named(f"liveperson_{name}"), partitions_def=partitions_def,
                       backfill_policy=BackfillPolicy.single_run(), pool=account.pool, can_subset=True,
                       required_resource_keys={"dlt", account.credentials_key, account.warehouse_key})


@cache
def _described_resources():
    """The source's resources, described once for every asset's spec (a call of the source makes all of them: made
    per asset, they were a sixth of the definitions' own load time, 0.1 s of CPU per command)."""
    return liveperson_source().resources


class ConversationsConfig(Config):
    content_parts: List[str] = Field(
        default=list(api_constants.ALL_CONTENT_PARTS),
        description="Conversation parts to fetch (contentToRetrieve); every documented part by default",
    )


def _config_asset(name: str, destination: str, account: Account) -> AssetsDefinition:
    @_liveperson_asset(name, destination, account)
    def _snapshot(context: AssetExecutionContext):
        yield from load_resources(context, account, [name])

    return _snapshot


def _windowed_asset(name: str, destination: str, partitions_def: TimeWindowPartitionsDefinition, account: Account):
    @_liveperson_asset(name, destination, account, partitions_def)
    def _windowed(context: AssetExecutionContext):
        yield from load_resources(context, account, [name],
                                  window=Window(*context.partition_time_window),
                                  days=partition_windows(context) if name in REPLACED_TABLES else ())

    return _windowed


def _conversations_asset(destination: str, partitions_def: DailyPartitionsDefinition, account: Account):
    @_liveperson_asset("conversations", destination, account, partitions_def)
    def liveperson_conversations(context: AssetExecutionContext, config: ConversationsConfig):
        yield from load_resources(context, account, ["conversations"],
                                  window=Window(*context.partition_time_window), content_parts=config.content_parts,
                                  days=partition_windows(context))

    return liveperson_conversations


def partition_windows(context: AssetExecutionContext) -> List[Window]:
    """The windows of the run's partitions (its days), each replaced exactly by the load."""
    partitions_def = context.assets_def.partitions_def
    return [Window(*partitions_def.time_window_for_partition_key(key)) for key in context.partition_keys]


def build_assets(daily: DailyPartitionsDefinition, hourly: HourlyPartitionsDefinition,
                 destination: str, account: Account = SINGLE) -> List[AssetsDefinition]:
    """Every configuration asset, the history assets partitioned by `daily` and the Messaging Operations assets
    partitioned by `hourly`, loading into `destination`. A range of partitions is one run (BackfillPolicy.single_run:
    what `dg launch --partition-range` and `dagster asset materialize --partition-range` require, and what the UI's
    backfills then do too)."""
    return [
        *(_config_asset(name, destination, account) for name in CONFIG_RESOURCES),
        _conversations_asset(destination, daily, account),
        *(_windowed_asset(name, destination, daily, account) for name in DAILY_RESOURCES if name != "conversations"),
        *(_windowed_asset(name, destination, hourly, account) for name in OPERATIONS_RESOURCES),
    ]
