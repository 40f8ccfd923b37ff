"""The whole liveperson-dagster project: assets, the marts built on them (dbt), their checks, the daily schedule and the resources they run with,
all built from one `ProjectSettings` (read from the LIVEPERSON_* variables when this module loads)."""

import warnings
from typing import Optional, Sequence

from dagster import BetaWarning, Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from .accounts import Account, load_accounts, single_account
from .assets import build_assets
from .checks import build_checks
from .marts import build_marts_assets, marts_after_loads_sensor, marts_after_updates_sensor
from .jobs import daily_job, marts_job, operations_job, updates_job
from .runs.partitions import daily_partitions, hourly_partitions
from .report import build_report_asset
from .resources import credentials_resource, warehouse_resource
from .runs.run_owners import dead_runs_sensor
from .schedules import daily_schedule, operations_schedule
from .updates_sensor import updates_sensor
from .config import ProjectSettings, SettingsError, print_settings_errors_without_traceback

# Dagster 1.13 warns of its own beta features on every command that loads these definitions: sensors with resources
# are re-created passing `owners` (unset here), and a `group:` selection (`dg launch --assets 'group:liveperson'`)
# passes `include_sources`. Neither is this project's choice, and a user can do nothing about them.
warnings.filterwarnings("ignore", message=r"Parameter `owners` of initializer `SensorDefinition\.__init__`",
                        category=BetaWarning)
warnings.filterwarnings("ignore", message=r"Parameter `include_sources` of function `AssetSelection\.groups`",
                        category=BetaWarning)


def build_definitions(settings: ProjectSettings, secret_variables: tuple = (),
                      accounts: Optional[Sequence[Account]] = None) -> Definitions:
    """`secret_variables`: the credential variables that are set, referred to as EnvVars (read when a run starts).
    `accounts`: those of LIVEPERSON_ACCOUNTS_FILE (accounts.py), each with its assets, jobs, schedules, sensor,
    checks and resources; the single account of `settings` when None."""
    accounts = tuple(accounts or (single_account(settings, secret_variables),))
    assets, checks, jobs, schedules, sensors, resources = [], [], [], [], [dead_runs_sensor], {}
    updates_jobs = []
    for account in accounts:
        own = account.settings
        # The partitions carry the time zone to everything that needs it (schedules, marts, report).
        days = daily_partitions(own.start_date, own.timezone)
        hours = hourly_partitions(own.operations_start_date or own.start_date, own.timezone)
        # Account configuration + the last `lookback_days` days of history, daily at 02:00 local time.
        daily = daily_job(account)
        # Messaging Operations of the hour that has just ended, every hour.
        operations = operations_job(account)
        # Late changes: conversations updated since the sensor's last look, merged into their days.
        updates = updates_job(days, account)
        assets += build_assets(days, hours, settings.destination, account)
        checks += build_checks(own.max_unknown_percent, account)
        jobs += [daily, operations, updates]
        updates_jobs.append(updates)
        schedules += [daily_schedule(daily, days, own.lookback_days, account=account), operations_schedule(operations)]
        sensors.append(updates_sensor(updates, days, own.updates_interval_seconds, own.lookback_days, account=account))
        resources[account.credentials_key] = credentials_resource(own, account.secret_variables, account.prefix,
                                                                      account.name)
        resources[account.warehouse_key] = warehouse_resource(own, account.dataset)
    # The marts built on the tables (dbt, group liveperson_marts; one layer for every account) and the report on them.
    liveperson_marts_refresh = marts_job()
    several = accounts[0].name is not None
    if several:
        assets += [*build_marts_assets(None, accounts), build_report_asset(settings.timezone, {account.name: account.settings.timezone for account in accounts})]
        sensors.append(marts_after_loads_sensor(liveperson_marts_refresh, accounts))
        resources["warehouse"] = warehouse_resource(settings)  # where the marts are built
    else:
        assets += [*build_marts_assets(days, accounts), build_report_asset(days.timezone)]
        # The marts of the days a run of late changes touched.
        sensors.append(marts_after_updates_sensor(updates_jobs[0], liveperson_marts_refresh))
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[*jobs, liveperson_marts_refresh],
        schedules=schedules,
        sensors=sensors,
        resources={"dlt": DagsterDltResource(), **resources},
        # Every step in the run's own process: killing the run kills its steps (run_owners.py relies on it), and
        # a run does not start a process per step.
        executor=in_process_executor,
    )


try:
    settings = ProjectSettings.from_env()
    accounts = load_accounts(settings)
except SettingsError:
    # A user's mistake: the `dagster` CLI would print it as a traceback (code servers catch it and show it anyway).
    print_settings_errors_without_traceback()
    raise
defs = build_definitions(settings, accounts=accounts)
