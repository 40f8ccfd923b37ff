"""The project's jobs: the daily load with its marts, the hourly Messaging Operations, late changes, and the marts of
the days late changes touched."""

from dagster import AssetSelection, DailyPartitionsDefinition, JobDefinition, define_asset_job, job

from .constants import (
    DAILY_JOB_NAME,
    GROUP,
    MARTS_GROUP,
    MARTS_JOB_NAME,
    OPERATIONS_GROUP,
    OPERATIONS_JOB_NAME,
    UPDATES_JOB_NAME,
)
from .accounts import SINGLE, Account
from .updates import updates_op


def daily_job(account: Account = SINGLE):
    # One job for the LivePerson assets and the marts built on them (and their checks): the configuration is
    # refreshed before the daily steps, the marts are built after the loads they read, and a partition range is
    # one run, as the backfill policies want. A named account's job loads its own assets: the marts of every account
    # are built after it (marts.marts_after_loads_sensor).
    groups = (GROUP, MARTS_GROUP) if account.name is None else (account.named(GROUP),)
    return define_asset_job(
        account.named(DAILY_JOB_NAME),
        selection=AssetSelection.groups(*groups),
        description="Account configuration snapshots, then the last complete days of history, then the marts of "
                    "those days.",
    )


def operations_job(account: Account = SINGLE):
    return define_asset_job(
        account.named(OPERATIONS_JOB_NAME),
        selection=AssetSelection.groups(account.named(OPERATIONS_GROUP)),
        description="Messaging Operations metrics of one hour (LivePerson keeps the last 24 hours).",
    )


def updates_job(partitions_def: DailyPartitionsDefinition, account: Account = SINGLE) -> JobDefinition:
    merge_updates = updates_op(partitions_def, account)

    @job(name=account.named(UPDATES_JOB_NAME),
         description="Late changes: conversations updated since a time, merged into their day partitions "
                     f"(requested by {account.named('liveperson_conversation_updates_sensor')}).")
    def liveperson_conversation_updates():
        merge_updates()

    return liveperson_conversation_updates


def marts_job():
    return define_asset_job(
        MARTS_JOB_NAME,
        selection=AssetSelection.groups(MARTS_GROUP),
        description="The marts of some days (dbt), rebuilt from what the warehouse holds now.",
    )
