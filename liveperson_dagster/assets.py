"""The LivePerson assets: one per dlt resource (its own step, so an API the credentials may not read fails only the
assets that need it): configuration snapshots unpartitioned, history in daily partitions, Messaging Operations in
hourly ones."""

import atexit
import shutil
import tempfile
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
from pydantic import Field

from .liveperson import Window, liveperson_source
from .liveperson import settings as api_settings
from .loading import load_resources
from .resources import DATASET_NAME, PIPELINE_NAME, LivePersonCredentials, LivePersonWarehouse
from .translator import CONFIG_RESOURCES, DAILY_RESOURCES, OPERATIONS_RESOURCES, LivePersonTranslator

# Runs that call LivePerson and write the warehouse share this pool; its limit is set in the Dagster instance.
POOL = "liveperson"


def _spec_pipeline(destination: str) -> dlt.Pipeline:
    """Only describes the destination to dagster-dlt when the definitions load; each run builds its own."""
    # A directory of this process's own: processes that load the definitions at once must not share one.
    specs_dir = tempfile.mkdtemp(prefix="liveperson-dlt-specs-")
    atexit.register(shutil.rmtree, specs_dir, True)
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=specs_dir,
        destination=destination,
        dataset_name=DATASET_NAME,
    )


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
        backfill_policy=BackfillPolicy.single_run(),
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
        pool=POOL,
    )
    def _windowed(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        liveperson: LivePersonCredentials,
        warehouse: LivePersonWarehouse,
    ):
        yield from load_resources(context, dlt, liveperson, warehouse, [name], window=Window(*context.partition_time_window))

    return _windowed


def _conversations_asset(spec_pipeline: dlt.Pipeline, partitions_def: DailyPartitionsDefinition):
    @dlt_assets(
        dlt_source=liveperson_source().with_resources("conversations"),
        dlt_pipeline=spec_pipeline,
        name="liveperson_conversations",
        dagster_dlt_translator=LivePersonTranslator(),
        partitions_def=partitions_def,
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
        yield from load_resources(
            context, dlt, liveperson, warehouse, ["conversations"], window=window, content_parts=config.content_parts
        )

    return liveperson_conversations


def build_assets(daily: DailyPartitionsDefinition, hourly: HourlyPartitionsDefinition,
                 destination: str) -> List[AssetsDefinition]:
    """Every configuration asset, the history assets partitioned by `daily` and the Messaging Operations assets
    partitioned by `hourly`, loading into `destination`."""
    spec_pipeline = _spec_pipeline(destination)
    return [
        *(_config_asset(name, spec_pipeline) for name in CONFIG_RESOURCES),
        _conversations_asset(spec_pipeline, daily),
        *(_windowed_asset(name, spec_pipeline, daily) for name in DAILY_RESOURCES if name != "conversations"),
        *(_windowed_asset(name, spec_pipeline, hourly) for name in OPERATIONS_RESOURCES),
    ]
