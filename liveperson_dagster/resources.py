"""Dagster resources: LivePerson credentials and the warehouse the dlt pipeline writes to."""

from contextlib import closing, contextmanager
from pathlib import Path
from datetime import datetime
from typing import Callable, Iterator, Optional, Sequence

import dlt
from dateutil.relativedelta import relativedelta
from dagster import ConfigurableResource, EnvVar
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.common.pipeline import LoadInfo
from dlt.destinations.sql_client import SqlClientBase
from pydantic import Field

from .accounts import OVERRIDES
from .own_child_tables import make_child_tables_own
from .config import (
    DATASET_NAME,
    REPORT_FILE_NAME,
    ProjectSettings,
    WarehouseSettings,
    duckdb_file_problem,
    variable,
)
from .liveperson import LivePersonConnection, Window
from .liveperson.connection import CREDENTIAL_FIELDS, AccountSettings, connection_from_settings
from .liveperson.errors import LivePersonOutOfRangeError
from .liveperson.replacement import ReplacedTable, Replacement
from .liveperson.source import REPLACED_TABLES
from .runs.dataset_lock import postgres_dataset_lock, postgres_lock_waits, with_lock_timeout
from .runs import warehouse_lock
from .runs.working_dirs import READ_PREFIX, RUN_PREFIX, owned_temp_dir

PIPELINE_NAME = "liveperson"
# dlt's load jobs at a time into DuckDB, which writes with one process anyway (a day: 6.4 s with 2, 8.3 with 1, 6.8
# with dlt's 20).
DUCKDB_LOAD_WORKERS = 2


class LivePersonCredentials(ConfigurableResource, AccountSettings):
    """The LivePerson account (its id, CSDS URL and HTTP settings, declared by the source) and its API credentials:
    the OAuth1 set (API keys) or the OAuth2 client pair."""

    app_key: Optional[str] = Field(default=None, description="OAuth1 app key")
    app_secret: Optional[str] = Field(default=None, description="OAuth1 app secret")
    access_token: Optional[str] = Field(default=None, description="OAuth1 access token")
    access_token_secret: Optional[str] = Field(default=None, description="OAuth1 access token secret")
    client_id: Optional[str] = Field(default=None, description="OAuth2 client id")
    client_secret: Optional[str] = Field(default=None, description="OAuth2 client secret")
    named_by_variables: bool = Field(
        default=False, description="Errors name LIVEPERSON_* variables (set when built from those variables)"
    )
    credentials_prefix: str = Field(
        default="LIVEPERSON", description="Prefix of the credential variables errors name (an account's own)")
    account_name: Optional[str] = Field(default=None, description="The account's name in LIVEPERSON_ACCOUNTS_FILE")

    def connection(self) -> LivePersonConnection:
        values = {name: getattr(self, name) for name in ("account_id", "csds_url", *CREDENTIAL_FIELDS)}
        return connection_from_settings(values, self.http(), self._variable if self.named_by_variables else str)

    def _variable(self, field: str) -> str:
        if field in CREDENTIAL_FIELDS:
            return f"{self.credentials_prefix}_{field.upper()}"
        if self.account_name is not None and field in ("account_id", *OVERRIDES):
            return f"{field} of account {self.account_name} in {variable('accounts_file')}"
        return variable(field)


class LivePersonWarehouse(ConfigurableResource, WarehouseSettings):
    """Where the data lands (WarehouseSettings): DuckDB by default, or any dlt destination configured the dlt way."""

    dataset_name: str = Field(default=DATASET_NAME)

    def dlt_destination(self, read_only: bool = False):
        if self.destination == "duckdb":
            credentials = DuckDbCredentials(str(self.duckdb_file()), read_only=read_only,
                                            global_config=self._duckdb_settings())
            return dlt.destinations.duckdb(credentials=credentials)
        if self.destination == "postgres":
            return dlt.destinations.postgres(
                credentials=with_lock_timeout(self._postgres_credentials(), self.postgres_lock_timeout_seconds))
        return self.destination

    def _duckdb_settings(self) -> dict:
        # Bounded memory for large loads: DuckDB spills instead of growing, and need not keep insertion order.
        return {"memory_limit": self.duckdb_memory_limit, "preserve_insertion_order": False}

    def loader_file_format(self):
        """Parquet where it is the fast path (DuckDB loads it ~4x faster than insert statements); elsewhere the
        destination's preferred format, since e.g. Postgres takes parquet only through an extra driver."""
        return "parquet" if self.destination == "duckdb" else None

    def duckdb_file(self) -> Path:
        if problem := duckdb_file_problem(self.duckdb_path, self.dataset_name):
            raise ValueError(f"duckdb_path {self.duckdb_path!r} cannot be used ({variable('duckdb_path')}): {problem}")
        return Path(self.duckdb_path).expanduser().resolve()

    def report_file(self) -> Path:
        if self.report_path:
            return Path(self.report_path).expanduser().resolve()
        return Path(self.duckdb_path).expanduser().resolve().with_name(REPORT_FILE_NAME)

    @contextmanager
    def pipeline_for_run(self, run_id: str, log: Callable[[str], None]) -> Iterator[dlt.Pipeline]:
        """A pipeline with a working dir of its own (runs sharing one would load each other's pending packages),
        its state and schema restored from the warehouse (dlt's sync; an older warehouse's nested conversation child
        tables made tables of their own, own_child_tables.py), holding the DuckDB writer lock while it runs.
        Load it with `load`."""
        with owned_temp_dir(RUN_PREFIX, f"{run_id[:8]}-") as working_dir, self.writer_lock(f"run {run_id[:8]}", log):
            pipeline = self._pipeline(working_dir)

            def synced() -> None:
                pipeline.sync_destination()
                make_child_tables_own(pipeline, log)

            if self.destination == "duckdb":
                # dlt's sync opens the file read-write: it waits for a reader that holds the file now rather than fail.
                warehouse_lock.retry_while_file_held(synced, self.duckdb_file(), self.duckdb_lock_timeout_seconds, log)
            elif self.destination == "postgres":
                with postgres_lock_waits(pipeline, log, self.postgres_lock_timeout_seconds):
                    with postgres_dataset_lock(pipeline, log, self.postgres_lock_timeout_seconds):
                        synced()
                    yield pipeline
                return
            else:
                synced()
            yield pipeline

    def load(self, pipeline: dlt.Pipeline, log: Callable[[str], None]) -> LoadInfo:
        """dlt's load step of a run's pipeline (one of `pipeline_for_run`) into this warehouse. On DuckDB, a load
        refused because a reader opened the file during the fetch waits for it, keeping the fetched data; on
        PostgreSQL, it loads alone in the dataset (see dataset_lock.py)."""
        def loaded() -> LoadInfo:
            if self.destination != "duckdb":
                return pipeline.load()
            # One connection for the whole load, and two jobs at a time: given a path, dlt opens and closes the file
            # for every job, and the merges of 20 child tables at once ran out of DuckDB's memory limit (retried by
            # dlt). Opened here, after the fetch, so that readers are not kept out any longer.
            import duckdb

            with closing(duckdb.connect(str(self.duckdb_file()), config=self._duckdb_settings())) as connection:
                return pipeline.load(credentials=connection, workers=DUCKDB_LOAD_WORKERS)

        if self.destination == "duckdb":
            return warehouse_lock.retry_while_file_held(loaded, self.duckdb_file(),
                                                        self.duckdb_lock_timeout_seconds, log)
        if self.destination == "postgres":
            with postgres_dataset_lock(pipeline, log, self.postgres_lock_timeout_seconds):
                return loaded()
        return pipeline.load()

    def refuse_past_retention(self, days: Sequence[Window], now: datetime) -> None:
        """Raises before anything is fetched for a day LivePerson no longer keeps: loading it again would find
        nothing there, and the archived rows are the only copy left."""
        oldest = now - relativedelta(months=self.retention_months)
        too_old = [day.start.date().isoformat() for day in days if day.start < oldest]
        if too_old:
            raise LivePersonOutOfRangeError(
                f"{', '.join(too_old)}: older than LivePerson keeps history ({self.retention_months} months, "
                f"{variable('retention_months')}): nothing fetched, nothing removed; the warehouse keeps what it has"
            )

    def replacement(self, pipeline: dlt.Pipeline, resource: str, days: Sequence[Window]) -> Replacement:
        """What a load of `days` replaces in the table of `resource` (see liveperson/replacement.py)."""
        table = REPLACED_TABLES[resource]
        return Replacement(
            table=table, what=resource.replace("_", " "), stored=self._window_rows(pipeline, resource, table, days),
            days=tuple(days), max_removed_percent=self.max_removed_percent,
            limit_setting=variable("max_removed_percent"),
        )

    def _window_rows(self, pipeline: dlt.Pipeline, table_name: str, table: ReplacedTable,
                     days: Sequence[Window]) -> dict:
        """The rows the warehouse holds in `days`: their values of `table.columns`, by key. Read-only on DuckDB, so
        that an analyst's read-only connection to the file does not stop it."""
        if self.destination == "duckdb" and not self.duckdb_file().exists():
            return {}
        with self._pipeline(pipeline.pipelines_dir, read_only=True).sql_client() as client:
            if not client.has_dataset() or not client.execute_sql(
                "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                client.dataset_name, table_name,
            ):
                return {}
            columns = ", ".join(client.escape_column_name(column) for column in table.columns)
            time = client.escape_column_name(table.time)
            rows = client.execute_sql(
                f"select {columns} from {client.make_qualified_table_name(table_name)} "
                f"where {time} >= %s and {time} < %s",
                min(day.start for day in days), max(day.end for day in days),
            )
        return {row[0]: tuple(row) for row in rows or ()}

    @contextmanager
    def sql_client(self, holder: str, log: Callable[[str], None]) -> Iterator[SqlClientBase]:
        """A dlt SQL client on the dataset, for reading it (asset checks) on any SQL destination. Its pipeline
        never runs. On DuckDB it waits for the writer lock, as a load would, and reads the file read-only, which
        other readers (an analyst's notebook) do not prevent."""
        with owned_temp_dir(READ_PREFIX) as working_dir, self.writer_lock(holder, log):
            read_only = self.destination == "duckdb" and self.duckdb_file().exists()
            with self._pipeline(working_dir, read_only=read_only).sql_client() as client:
                yield client

    def dbt_connection(self) -> dict:
        """Where dbt builds the marts in this warehouse: the fields of liveperson_dbt/profiles.yml's output named
        like the destination that its variables would give (see marts.write_profile): the DuckDB file (its absolute
        path: dbt runs in the project's dir) or dlt's PostgreSQL credentials, resolved the dlt way (environment or
        .dlt/secrets.toml)."""
        if self.destination == "duckdb":
            return {"path": str(self.duckdb_file()), "settings": {"memory_limit": self.duckdb_memory_limit}}
        if self.destination == "postgres":
            credentials = self._postgres_credentials()
            return {"host": credentials.host, "port": int(credentials.port), "user": credentials.username,
                    "password": credentials.password or "", "dbname": credentials.database}
        raise ValueError(
            f"the marts (liveperson_dbt) are built on duckdb or postgres, not {self.destination!r} "
            f"({variable('destination')}): add an output named like it to liveperson_dbt/profiles.yml"
        )

    def _postgres_credentials(self):
        """dlt's PostgreSQL credentials, resolved the dlt way (environment or .dlt/secrets.toml)."""
        from dlt.destinations.impl.postgres.configuration import PostgresClientConfiguration

        initial = PostgresClientConfiguration()._bind_dataset_name(dataset_name=self.dataset_name)
        return dlt.destinations.postgres().configuration(initial).credentials

    def _pipeline(self, working_dir: str, read_only: bool = False) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name=f"{PIPELINE_NAME}_reader" if read_only else PIPELINE_NAME,
            pipelines_dir=working_dir,
            destination=self.dlt_destination(read_only=read_only),
            dataset_name=self.dataset_name,
        )

    @contextmanager
    def writer_lock(self, holder: str, log: Callable[[str], None]) -> Iterator[None]:
        """The DuckDB writer lock (runs/warehouse_lock.py) of a run, a check or dbt; none elsewhere. DuckDB allows
        one writing process per file: the Dagster pool serializes the runs of one instance, this lock also separate
        `dagster asset materialize` commands."""
        if self.destination != "duckdb":
            yield
            return
        with warehouse_lock.writer_lock(self.duckdb_file(), holder, self.duckdb_lock_timeout_seconds, log):
            yield


def credentials_resource(settings: ProjectSettings, secret_variables: tuple, prefix: str = "LIVEPERSON",
                         account_name: Optional[str] = None) -> LivePersonCredentials:
    """The account's credentials: the secrets as EnvVars (read when a run starts, shown "from env" in the UI)
    for the variables that are set (`<prefix>_APP_KEY` ...), everything else from the validated settings."""
    def name_of(field: str) -> str:
        return f"{prefix}_{field.upper()}"

    return LivePersonCredentials(
        named_by_variables=True, credentials_prefix=prefix, account_name=account_name,
        **{name: getattr(settings, name) for name in AccountSettings.model_fields},
        **{name: EnvVar(name_of(name)) if name_of(name) in secret_variables else None for name in CREDENTIAL_FIELDS},
    )


def warehouse_resource(settings: ProjectSettings, dataset_name: str = DATASET_NAME) -> LivePersonWarehouse:
    return LivePersonWarehouse(dataset_name=dataset_name,
                               **{name: getattr(settings, name) for name in WarehouseSettings.model_fields})
