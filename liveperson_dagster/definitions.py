"""The whole liveperson-dagster project: assets and the resources they run with."""

from dagster import Definitions
from dagster_dlt import DagsterDltResource

from .assets import liveperson_account_config, liveperson_conversations
from .resources import credentials_from_env, warehouse_from_env

defs = Definitions(
    assets=[liveperson_account_config, liveperson_conversations],
    resources={
        "dlt": DagsterDltResource(),
        "liveperson": credentials_from_env(),
        "warehouse": warehouse_from_env(),
    },
)
