"""The whole liveperson-dagster project: assets, their checks, the daily schedule and the resources they run with."""

from dagster import Definitions
from dagster_dlt import DagsterDltResource

from .assets import liveperson_account_config, liveperson_conversations
from .checks import build_checks, max_unknown_percent_from_env
from .partitions import daily_partitions
from .resources import credentials_from_env, warehouse_from_env
from .schedules import daily_job, daily_schedule, lookback_days_from_env

# Account configuration + the last LIVEPERSON_LOOKBACK_DAYS days of conversations, daily at 02:00 local time.
liveperson_daily = daily_job(daily_partitions())

defs = Definitions(
    assets=[liveperson_account_config, liveperson_conversations],
    asset_checks=build_checks(max_unknown_percent_from_env()),
    jobs=[liveperson_daily],
    schedules=[daily_schedule(liveperson_daily, lookback_days_from_env())],
    resources={
        "dlt": DagsterDltResource(),
        "liveperson": credentials_from_env(),
        "warehouse": warehouse_from_env(),
    },
)
