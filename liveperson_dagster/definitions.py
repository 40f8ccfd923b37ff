"""The whole liveperson-dagster project: assets, the marts built on them (dbt), their checks, the daily schedule and the resources they run with,
all built from one `ProjectSettings` (read from the LIVEPERSON_* variables when this module loads)."""

import warnings

from dagster import BetaWarning, Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from .assets import build_assets
from .checks import build_checks
from .marts import build_marts_assets
from .jobs import daily_job, marts_job, operations_job, updates_job
from .marts_sensor import marts_after_updates_sensor
from .runs.partitions import daily_partitions, hourly_partitions
from .report import build_report_asset
from .resources import credentials_resource, warehouse_resource
from .runs.run_owners import dead_runs_sensor
from .schedules import daily_schedule, operations_schedule
from .updates_sensor import updates_sensor
from .config import ProjectSettings, SettingsError, print_settings_errors_without_traceback, secret_variables_set

# Dagster 1.13 warns of its own beta features on every command that loads these definitions: sensors with resources
# are re-created passing `owners` (unset here), and a `group:` selection (`dg launch --assets 'group:liveperson'`)
# passes `include_sources`. Neither is this project's choice, and a user can do nothing about them.
warnings.filterwarnings("ignore", message=r"Parameter `owners` of initializer `SensorDefinition\.__init__`",
                        category=BetaWarning)
warnings.filterwarnings("ignore", message=r"Parameter `include_sources` of function `AssetSelection\.groups`",
                        category=BetaWarning)


def build_definitions(settings: ProjectSettings, secret_variables: tuple = ()) -> Definitions:
    """`secret_variables`: the credential variables that are set, referred to as EnvVars (read when a run starts)."""
    # The partitions carry the time zone to everything that needs it (schedules, marts, report).
    days = daily_partitions(settings.start_date, settings.timezone)
    hours = hourly_partitions(settings.operations_start_date or settings.start_date, settings.timezone)
    # Account configuration + the last `lookback_days` days of history, daily at 02:00 local time.
    liveperson_daily = daily_job()
    # Messaging Operations of the hour that has just ended, every hour.
    liveperson_operations = operations_job()
    # Late changes: conversations updated since the sensor's last look, merged into their days.
    liveperson_updates = updates_job(days)
    # The marts of the days a run of late changes touched.
    liveperson_marts_refresh = marts_job()
    return Definitions(
        # The LivePerson assets, then the marts built on them (dbt, group liveperson_marts) and the report on those.
        assets=[*build_assets(days, hours, settings.destination),
                *build_marts_assets(days), build_report_asset(days.timezone)],
        asset_checks=build_checks(settings.max_unknown_percent),
        jobs=[liveperson_daily, liveperson_operations, liveperson_updates, liveperson_marts_refresh],
        schedules=[daily_schedule(liveperson_daily, days, settings.lookback_days), operations_schedule(liveperson_operations)],
        sensors=[dead_runs_sensor,
                 updates_sensor(liveperson_updates, days, settings.updates_interval_seconds, settings.lookback_days),
                 marts_after_updates_sensor(liveperson_updates, liveperson_marts_refresh)],
        resources={
            "dlt": DagsterDltResource(),
            "liveperson": credentials_resource(settings, secret_variables),
            "warehouse": warehouse_resource(settings),
        },
        # Every step in the run's own process: killing the run kills its steps (run_owners.py relies on it), and
        # a run does not start a process per step.
        executor=in_process_executor,
    )


try:
    settings = ProjectSettings.from_env()
except SettingsError:
    # A user's mistake: the `dagster` CLI would print it as a traceback (code servers catch it and show it anyway).
    print_settings_errors_without_traceback()
    raise
defs = build_definitions(settings, secret_variables_set())
