"""The contact-center marts: the dbt project liveperson_dbt/ run by dagster-dbt, every model an asset of the group
`liveperson_marts`, downstream of the LivePerson assets it reads, its dbt tests asset checks.

- `liveperson_marts_dimensions`: the staging views and the dimensions, unpartitioned (rebuilt whole).
- `liveperson_marts_daily`: the incremental marts (`fct_*`), in the daily partitions of the LivePerson assets: a run
  of days D1..D2 (one partition, or a range in one run) runs `dbt build` with vars first_day=D1, last_day=D2 and
  the partitions' time zone, and the models replace exactly those days' rows.

Both build in schema `liveperson_marts` of the warehouse the LivePerson assets load (the same DuckDB file, or the
same PostgreSQL database): dbt's target is named like the destination, and each command reads a profiles.yml of its
own, written from the warehouse resource into the command's temp dir (write_profile).

The manifest (liveperson_dbt/target/manifest.json) is made by `dbt parse`: by `make` (`python -m
liveperson_dagster.marts`, when a file of the dbt project or the install changed), and whenever the definitions load
(`dagster dev`'s reloads included) and find it missing or older than a file of the dbt project: a fresh clone loads
without a manual step, and never with a stale manifest.
"""

import json
from functools import cached_property
from importlib.metadata import version as installed_version
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Collection, Iterator, List, Mapping, Optional, Sequence

import yaml

from dagster import (
    AssetDep, AssetExecutionContext, AssetKey, BackfillPolicy, DagsterEventType, DagsterInstance, DagsterRunStatus,
    DailyPartitionsDefinition, DefaultSensorStatus, JobDefinition, RunRequest, RunStatusSensorContext, SkipReason,
    run_status_sensor,
)
from dlt.common.utils import update_dict_nested
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from .accounts import SINGLE, Account
from .constants import MARTS_GROUP, MARTS_JOB_NAME, POOL, RANGE_END_TAG, RANGE_START_TAG
from .liveperson.waiting import try_flock, wait_for
from .resources import LivePersonWarehouse
from .runs.run_owners import claim_run
from .translator import CONFIG_RESOURCES, DAILY_RESOURCES, DEPENDENCIES, asset_key
from .runs.working_dirs import owned_temp_dir

MARTS_SCHEMA = "liveperson_marts"
# The `account_name` of the single account's rows in the marts.
SINGLE_ACCOUNT_NAME = "default"
DEPENDENCIES_OF_SOURCES = (*CONFIG_RESOURCES, *DEPENDENCIES)
DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "liveperson_dbt"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
# The dbt installed with this Python (its virtualenv's bin need not be on PATH, e.g. `.venv/bin/python -m pytest`).
DBT_BESIDE_PYTHON = shutil.which("dbt", path=str(Path(sys.executable).parent))
DBT_EXECUTABLE = DBT_BESIDE_PYTHON or "dbt"
# The daily marts are the incremental models; the rest (staging views, dimensions) are rebuilt whole.
DAILY_SELECTION = "config.materialized:incremental"
# dbt's target directory of one command, in the temp dir (removed after; dagster-dbt would keep one per command).
TARGET_PREFIX = "liveperson-dbt-run-"
# The files of the dbt project a parse reads.
_PROJECT_FILES = ("*.sql", "*.yml", "*.yaml", "*.md", "*.csv")
_NOT_PROJECT_FILES = {"target", "logs", "dbt_packages"}
# A load of the definitions waits this long for another process's `dbt parse` (about 10 s), saying so every
# PARSE_REPORT_EVERY_SECONDS: one that takes longer is stuck, and every later load would hang behind it silently.
PARSE_WAIT_SECONDS = 300
PARSE_REPORT_EVERY_SECONDS = 30

logger = logging.getLogger(__name__)


class InstalledDbtCli(DbtCliResource):
    """dagster-dbt's resource for the dbt-core installed beside this Python (DBT_BESIDE_PYTHON): its version is the
    package's, where dagster-dbt would run `dbt --version` before every command (2 s of CPU each, twice a run), and
    it opens no adapter of its own."""

    @cached_property
    def _cli_version(self):
        from packaging.version import Version

        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        # No dbt adapter in the run's own process: dagster-dbt builds one before every command only for the event
        # stream's fetch_column_metadata() and fetch_row_counts(), which the marts do not ask for (the dbt process
        # has its own). It cost 1.8 s of CPU in a process's first dbt step and 0.5 s in each next one.
        return None


def installed_dbt_cli(**settings) -> DbtCliResource:
    """dagster-dbt's resource for the dbt beside this Python (InstalledDbtCli), else for the `dbt` on PATH."""
    return (InstalledDbtCli if DBT_BESIDE_PYTHON else DbtCliResource)(dbt_executable=DBT_EXECUTABLE, **settings)


def prepared_manifest(project: DbtProject = dbt_project) -> Path:
    """The project's manifest, parsed first when missing or older than a file of the project. (dagster-dbt's
    DbtProject.prepare_if_dev parses at every load under `dagster dev`, not knowing whether anything changed; the
    files' times tell, so `dagster dev` picks up an edited model without waiting for a parse at every reload.)"""
    if not manifest_is_current(project):
        parse(project, force=False)
    return project.manifest_path


def parse(project: DbtProject = dbt_project, force: bool = True, clock=time.monotonic, sleep=time.sleep) -> None:
    """`dbt parse` into the project's target dir, one process at a time (another may have just done it)."""
    target = project.project_dir / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with open(target / "manifest.lock", "a+") as lock:  # no truncation: that would erase the holder's pid
        _wait_for_parse_lock(lock, clock, sleep)
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            if force or not manifest_is_current(project):
                installed_dbt_cli(project_dir=project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
        finally:
            lock.truncate(0)


def _wait_for_parse_lock(lock, clock, sleep) -> None:
    def holder() -> str:
        lock.seek(0)
        written = lock.read().strip()
        return f"pid {written}" if written.isdigit() else "another process"

    def report(waited: float, again: bool) -> None:
        logger.warning("Waiting for the dbt parse of %s (it holds %s), giving up after %d s", holder(), lock.name,
                       PARSE_WAIT_SECONDS)

    def gave_up(waited: float) -> Exception:
        return RuntimeError(
            f"Gave up after {waited:.0f} s waiting for the dbt parse of {holder()} (it holds {lock.name}; a parse "
            f"takes seconds): stop that process, then load the definitions again")

    wait_for(lambda: try_flock(lock), timeout_seconds=PARSE_WAIT_SECONDS, report=report, gave_up=gave_up,
             poll_seconds=0.2, report_every_seconds=PARSE_REPORT_EVERY_SECONDS, clock=clock, sleep=sleep)


def manifest_is_current(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    files = (path for pattern in _PROJECT_FILES for path in project.project_dir.rglob(pattern)
             if not _NOT_PROJECT_FILES & set(path.relative_to(project.project_dir).parts))
    return all(path.stat().st_mtime <= built for path in files)


class MartsTranslator(DagsterDbtTranslator):
    """dbt sources are the LivePerson assets (`liveperson/<table>`; a child table `conversations__*` is part of
    `liveperson/conversations`); models are `liveperson_marts/<model>` in the group `liveperson_marts`. With several
    accounts, a model reading a source depends on that table of every account (`liveperson/<name>/<table>`)."""

    def __init__(self, accounts: Sequence[Account] = (SINGLE,)) -> None:
        # Several sources (a table and its child tables) are one asset.
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))
        self.accounts = tuple(accounts)

    def get_asset_spec(self, manifest, unique_id, project):
        spec = super().get_asset_spec(manifest, unique_id, project)
        if self.accounts[0].name is None or unique_id.startswith("source"):
            return spec
        sources = {asset_key(table) for table in DEPENDENCIES_OF_SOURCES}
        deps = [dep for dep in spec.deps if dep.asset_key not in sources]
        deps += [AssetDep(asset_key(dep.asset_key.path[-1], account)) for dep in spec.deps
                 if dep.asset_key in sources for account in self.accounts]
        return spec.replace_attributes(deps=deps)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return asset_key(dbt_resource_props["name"].split("__")[0])
        return AssetKey([MARTS_GROUP, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        return MARTS_GROUP


def accounts_var(accounts: Sequence[Account], timezone: str) -> list:
    """The dbt var `accounts`: the datasets the staging models union, each row with its account's name and id, its
    days in the account's time zone. The single account is named `default`, its days in `timezone`."""
    return [{"name": account.name or SINGLE_ACCOUNT_NAME,
             "account_id": account.settings.account_id if account.settings else "", "schema": account.dataset,
             "timezone": timezone if account.name is None else account.settings.timezone} for account in accounts]


def build_marts_assets(days: Optional[DailyPartitionsDefinition], accounts: Sequence[Account] = (SINGLE,)) -> list:
    """The marts' two asset definitions: dimensions (unpartitioned) and daily marts (partitioned by `days`; a range
    is one run, like the daily assets they read, so that a range's loads and marts are one run). Several accounts
    (`days` None): the daily marts are unpartitioned too, each account's days in its own time zone: a run tagged
    with days (marts_after_loads_sensor) rebuilds those days of every account, any other run every day."""
    manifest = prepared_manifest()
    translator = MartsTranslator(accounts)
    timezone = days.timezone if days is not None else "UTC"
    base_vars = {"timezone": timezone, "accounts": accounts_var(accounts, timezone)}

    @dbt_assets(manifest=manifest, project=dbt_project, exclude=DAILY_SELECTION, name="liveperson_marts_dimensions",
                dagster_dbt_translator=translator, backfill_policy=BackfillPolicy.single_run(), pool=POOL)
    def liveperson_marts_dimensions(context: AssetExecutionContext, warehouse: LivePersonWarehouse):
        yield from build(context, warehouse, base_vars)

    @dbt_assets(manifest=manifest, project=dbt_project, select=DAILY_SELECTION, name="liveperson_marts_daily",
                dagster_dbt_translator=translator, partitions_def=days,
                backfill_policy=BackfillPolicy.single_run(), pool=POOL)
    def liveperson_marts_daily(context: AssetExecutionContext, warehouse: LivePersonWarehouse):
        if days is None:
            yield from build(context, warehouse, {**base_vars, **days_asked(context.run.tags)})
            return
        days_of_run = context.partition_key_range
        yield from build(context, warehouse, {**base_vars, "first_day": days_of_run.start, "last_day": days_of_run.end})

    return [liveperson_marts_dimensions, liveperson_marts_daily]


def build(context: AssetExecutionContext, warehouse: LivePersonWarehouse, dbt_vars: dict) -> Iterator[Any]:
    """`dbt build` of the step's selection (models and their tests) with `dbt_vars`, into `warehouse`: on DuckDB
    under the writer lock the loads take (one writing process per file)."""
    # As every step of the project: the run's process recorded (a kill from outside marks the run failed), and
    # runs whose process died are marked failed.
    claim_run(context)
    connection = warehouse.dbt_connection()  # before anything starts: an unsupported destination fails here
    with warehouse.writer_lock(f"run {context.run.run_id[:8]} (dbt)", context.log.info), \
            owned_temp_dir(TARGET_PREFIX, f"{context.run.run_id[:8]}-") as target:
        write_profile(target, DBT_PROJECT_DIR / "profiles.yml", warehouse.destination, connection)
        dbt = installed_dbt_cli(project_dir=dbt_project, profiles_dir=target, target=warehouse.destination)
        context.log.info(f"dbt build into {warehouse.destination} schema {MARTS_SCHEMA}, vars {json.dumps(dbt_vars)}")
        invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context, target_path=Path(target))
        yield from invocation.stream()


# The dbt profile of one dbt command: liveperson_dbt/profiles.yml's output named like the destination, with the
# warehouse's connection written in instead of the variables it reads (those are for dbt run by hand). The file goes
# into the command's own dir (readable by the user only, removed with the dir), so nothing process-wide changes and a
# PostgreSQL password reaches dbt without passing through the environment or a log.
PROFILE_NAME = "liveperson"


def write_profile(directory: str, project_profiles: Path, target: str, connection: Mapping[str, Any]) -> Path:
    """Writes `directory`/profiles.yml: the profile of `project_profiles` with the one output `target`, its fields
    of `connection` replaced (a nested mapping merged)."""
    output = update_dict_nested(yaml.safe_load(project_profiles.read_text())[PROFILE_NAME]["outputs"][target],
                                dict(connection))
    path = Path(directory) / "profiles.yml"
    # Created readable by the user only (it may hold a password), never through a file someone else made.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        yaml.safe_dump({PROFILE_NAME: {"target": target, "outputs": {target: output}}}, file)
    return path


# Late changes reach the marts: when a run of `liveperson_conversation_updates` (late changes merged into their day
# partitions, updates.py) succeeds, the sensor `liveperson_marts_after_updates` requests a run of the job
# `liveperson_marts_refresh` that builds the marts of the days it touched: one run for the range from the first to the
# last of them (the days between are rebuilt too, exactly as they are: one run instead of one per day).
MARTS_SENSOR_NAME = "liveperson_marts_after_updates"


def days_without_marts(instance: DagsterInstance, run_id: str, keys: Collection[AssetKey]) -> List[str]:
    """The partitions of the assets `keys` that the run reported materialized, sorted; none when the run built marts
    too (the single account's daily job builds its own)."""
    entries = [entry.asset_materialization for entry in
               instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)]
    if any(materialization.asset_key.path[0] == MARTS_GROUP for materialization in entries):
        return []
    return sorted({materialization.partition for materialization in entries
                   if materialization.asset_key in keys and materialization.partition})

# Several accounts: the days a refresh of the (unpartitioned) marts rebuilds, as tags of its run. Each account's rows
# of those days (in its own time zone) are rebuilt from what the warehouse holds: the triggering account's changed,
# the others' as they were.
FIRST_DAY_TAG, LAST_DAY_TAG = "liveperson/first_day", "liveperson/last_day"


def days_asked(tags: Mapping[str, str]) -> dict:
    """The dbt vars first_day and last_day of a run tagged with them, else none (every day)."""
    if FIRST_DAY_TAG in tags and LAST_DAY_TAG in tags:
        return {"first_day": tags[FIRST_DAY_TAG], "last_day": tags[LAST_DAY_TAG]}
    return {}


def _marts_sensor(refresh_job, description: str, daily_keys: Collection[AssetKey], first_tag: str, last_tag: str):
    """The sensor that requests `refresh_job` for the days (`first_tag` to `last_tag`) of `daily_keys` a successful
    run loaded without building their marts. It sees every run of the code location (runs of the command line carry
    no code location and are not seen)."""
    @run_status_sensor(name=MARTS_SENSOR_NAME, run_status=DagsterRunStatus.SUCCESS, request_job=refresh_job,
                       default_status=DefaultSensorStatus.RUNNING, description=description)
    def liveperson_marts_after_updates(context: RunStatusSensorContext):
        run_id = context.dagster_run.run_id
        days = days_without_marts(context.instance, run_id, daily_keys)
        if not days:
            return SkipReason(f"Run {run_id[:8]} loaded no day whose marts it did not build")
        return RunRequest(run_key=f"marts after {run_id}",
                          tags={first_tag: days[0], last_tag: days[-1], "liveperson/days_touched": ",".join(days)})

    return liveperson_marts_after_updates


def marts_after_updates_sensor(updates_job: JobDefinition, refresh_job):
    """Single account: after a successful run that loaded days without building their marts (late changes, a load
    launched from the UI; the daily job builds its own), the marts of those days, a partition range of the refresh."""
    return _marts_sensor(
        refresh_job, f"After a successful run that loaded days without their marts ({updates_job.name}, a load "
        f"launched from the UI): the marts of the days it touched, in one run of {MARTS_JOB_NAME}.",
        {asset_key(table) for table in DAILY_RESOURCES}, RANGE_START_TAG, RANGE_END_TAG)


def marts_after_loads_sensor(refresh_job, accounts: Sequence[Account]):
    """Several accounts: their marts are one layer (unpartitioned: each account's days are in its own time zone);
    after any successful run that loaded days of an account (its daily job, late changes, a run launched from the UI),
    those days are rebuilt for every account (days_asked)."""
    return _marts_sensor(
        refresh_job, "After a successful run that loaded days of an account (its daily job, late changes, a run "
        "launched from the UI): the marts of those days (first to last), for every account, in one run of "
        f"{MARTS_JOB_NAME}.",
        {asset_key(table, account) for table in DAILY_RESOURCES for account in accounts}, FIRST_DAY_TAG, LAST_DAY_TAG)

if __name__ == "__main__":
    # `python -m liveperson_dagster.marts`: parse the dbt project (make does it when a file of the project changed).
    parse(force=True)
    print(dbt_project.manifest_path)
