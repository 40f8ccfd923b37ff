"""The LivePerson assets: account configuration snapshots and daily-partitioned conversations."""

import atexit
import shutil
import tempfile
from typing import List

import dlt
from dagster import AssetExecutionContext, AssetsDefinition, Config, DailyPartitionsDefinition
from dagster_dlt import DagsterDltResource, dlt_assets
from pydantic import Field

from .liveperson import Window, liveperson_source
from .liveperson import settings as api_settings
from .loading import load_resources
from .resources import DATASET_NAME, PIPELINE_NAME, LivePersonCredentials, LivePersonWarehouse
from .translator import CONFIG_RESOURCES, LivePersonTranslator

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


def build_assets(partitions_def: DailyPartitionsDefinition, destination: str) -> List[AssetsDefinition]:
    """The configuration assets and the conversations partitioned by `partitions_def`, loading into `destination`."""
    spec_pipeline = _spec_pipeline(destination)

    @dlt_assets(
        dlt_source=liveperson_source().with_resources(*CONFIG_RESOURCES),
        dlt_pipeline=spec_pipeline,
        name="liveperson_account_config",
        dagster_dlt_translator=LivePersonTranslator(),
        pool=POOL,
    )
    def liveperson_account_config(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        liveperson: LivePersonCredentials,
        warehouse: LivePersonWarehouse,
    ):
        selected = [key.path[-1] for key in context.selected_asset_keys]
        yield from load_resources(context, dlt, liveperson, warehouse, selected)

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

    return [liveperson_account_config, liveperson_conversations]
