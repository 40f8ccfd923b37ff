"""How a range of days is split into runs: a backfill launched from the UI (or by the daemon) runs as runs of at
most LIVEPERSON_BACKFILL_DAYS_PER_RUN days, so a failed run is retried alone and the finished ones stay;
`dagster asset materialize --partition-range A...B` is one run."""

import click
from dagster import BackfillPolicy


def daily_backfill_policy(days_per_run: int) -> BackfillPolicy:
    """The backfill policy of the daily assets (LivePerson history and daily marts alike: assets that differ in it
    cannot share a run of a backfill)."""
    if in_asset_materialize_command():
        return BackfillPolicy.single_run()
    return BackfillPolicy.multi_run(days_per_run)


def in_asset_materialize_command() -> bool:
    """Whether the definitions load in the process of `dagster asset materialize`.

    That command refuses `--partition-range` unless every selected asset's policy is single-run, and it reads the
    policies from the definitions it loads in its own process, where it also executes the run
    (dagster/_cli/asset.py, execute_materialize_command); the daemon splits backfills by the policies of the code
    server's definitions. So single-run there, and multi-run everywhere else, keeps both: the CLI's range is one
    run, a UI backfill is split."""
    context = click.get_current_context(silent=True)
    return (context is not None and context.parent is not None
            and (context.parent.command.name, context.command.name) == ("asset", "materialize"))
