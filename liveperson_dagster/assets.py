"""The LivePerson assets: one per dlt resource (its own step, so an API the credentials may not read fails only the
assets that need it): configuration snapshots unpartitioned, history in daily partitions, Messaging Operations in
hourly ones."""

from typing import List

import dlt
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
)
from dagster_dlt import DagsterDltResource, dlt_assets
from dlt.common.destination import AnyDestination, Destination
from pydantic import Field

from .liveperson import Window, liveperson_source
from .liveperson.source import REPLACED_TABLES
from .liveperson import settings as api_settings
from .loading import load_resources
from .resources import DATASET_NAME, PIPELINE_NAME, LivePersonCredentials, LivePersonWarehouse
from .translator import CONFIG_RESOURCES, DAILY_RESOURCES, OPERATIONS_RESOURCES, LivePersonTranslator

# Runs that call LivePerson and write the warehouse share this pool; its limit is set in the Dagster instance.
POOL = "liveperson"
# A range of partitions is one run: the CLI (`dg launch`, `dagster asset materialize`) demands it for --partition-range.
SINGLE_RUN = BackfillPolicy.single_run()


class _SpecPipeline(dlt.Pipeline):
    """The pipeline dagster-dlt describes the assets with: it reads its destination (the assets' kinds and
    storage_kind) and name, nothing else. It never runs (each run builds its own, `pipeline_for_run`), so it skips
    dlt's __init__, which writes a working dir (state.json, schemas/) in every process that loads the definitions."""

    def __init__(self, destination: str):
        self.pipeline_name = PIPELINE_NAME
        self.dataset_name = DATASET_NAME
        self._described_destination = Destination.from_reference(destination)

    @property
    def destination(self) -> AnyDestination:
        return self._described_destination


def _spec_pipeline(destination: str) -> dlt.Pipeline:
    """Only describes the destination to dagster-dlt when the definitions load: nothing on disk."""
    return _SpecPipeline(destination)


class ConversationsConfig(Config):
    content_parts: List[str] = Field(
        default=list(api_settings.ALL_CONTENT_PARTS),
        description="Conversation parts to fetch (contentToRetrieve); every documented part by default",
    )


def _config_asset(name: str, spec_pipeline: dlt.Pipeline) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=liveperson_source().with_resources(name),
        dlt_pipeline=spec_pipeline,
        name=f"liveperson_{name}",
        dagster_dlt_translator=LivePersonTranslator(),
        # Unpartitioned, but in a range run with the daily assets (`--partition-range` wants every asset single-run).
        backfill_policy=SINGLE_RUN,
        pool=POOL,
    )
    def _snapshot(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        liveperson: LivePersonCredentials,
        warehouse: LivePersonWarehouse,
    ):
        yield from load_resources(context, dlt, liveperson, warehouse, [name])

    return _snapshot


def _windowed_asset(name: str, spec_pipeline: dlt.Pipeline, partitions_def: TimeWindowPartitionsDefinition):
    @dlt_assets(
        dlt_source=liveperson_source().with_resources(name),
        dlt_pipeline=spec_pipeline,
        name=f"liveperson_{name}",
        dagster_dlt_translator=LivePersonTranslator(),
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
    )
    def _windowed(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        liveperson: LivePersonCredentials,
        warehouse: LivePersonWarehouse,
    ):
        days = partition_windows(context) if name in REPLACED_TABLES else ()
        yield from load_resources(context, dlt, liveperson, warehouse, [name], window=Window(*context.partition_time_window),
                                  days=days)

    return _windowed


def _conversations_asset(spec_pipeline: dlt.Pipeline, partitions_def: DailyPartitionsDefinition):
    @dlt_assets(
        dlt_source=liveperson_source().with_resources("conversations"),
        dlt_pipeline=spec_pipeline,
        name="liveperson_conversations",
        dagster_dlt_translator=LivePersonTranslator(),
        partitions_def=partitions_def,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
    )
    def liveperson_conversations(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        liveperson: LivePersonCredentials,
        warehouse: LivePersonWarehouse,
        config: ConversationsConfig,
    ):
        window = Window(*context.partition_time_window)
        yield from load_resources(context, dlt, liveperson, warehouse, ["conversations"], window=window,
                                  content_parts=config.content_parts, days=partition_windows(context))

    return liveperson_conversations


def partition_windows(context: AssetExecutionContext) -> List[Window]:
    """The windows of the run's partitions (its days), each replaced exactly by the load."""
    partitions_def = context.assets_def.partitions_def
    return [Window(*partitions_def.time_window_for_partition_key(key)) for key in context.partition_keys]


def build_assets(daily: DailyPartitionsDefinition, hourly: HourlyPartitionsDefinition,
                 destination: str) -> List[AssetsDefinition]:
    """Every configuration asset, the history assets partitioned by `daily` and the Messaging Operations assets
    partitioned by `hourly`, loading into `destination`. A range of partitions is one run (BackfillPolicy.single_run:
    what `dg launch --partition-range` and `dagster asset materialize --partition-range` require, and what the UI's
    backfills then do too)."""
    spec_pipeline = _spec_pipeline(destination)
    return [
        *(_config_asset(name, spec_pipeline) for name in CONFIG_RESOURCES),
        _conversations_asset(spec_pipeline, daily),
        *(_windowed_asset(name, spec_pipeline, daily) for name in DAILY_RESOURCES if name != "conversations"),
        *(_windowed_asset(name, spec_pipeline, hourly) for name in OPERATIONS_RESOURCES),
    ]
