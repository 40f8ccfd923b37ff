"""Dagster resources: LivePerson credentials and the warehouse the dlt pipeline writes to."""

import dataclasses
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import dlt
from dagster import ConfigurableResource, EnvVar
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.sql_client import SqlClientBase
from pydantic import Field

from .liveperson import HttpSettings, LivePersonConnection
from .liveperson import settings as api_settings
from .liveperson.connection import CREDENTIAL_FIELDS, connection_from_settings, variable_name
from .settings import (
    DEFAULT_DUCKDB_LOCK_TIMEOUT_SECONDS,
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    DEFAULT_DUCKDB_PATH,
    ProjectSettings,
)
from .warehouse_lock import writer_lock
from .working_dirs import run_working_dir

DATASET_NAME = "liveperson"
PIPELINE_NAME = "liveperson"


class LivePersonCredentials(ConfigurableResource):
    """The LivePerson account and its API credentials: the OAuth1 set (API keys) or the OAuth2 client pair."""

    account_id: str = Field(default="", description="LivePerson account (site) id")
    app_key: Optional[str] = Field(default=None, description="OAuth1 app key")
    app_secret: Optional[str] = Field(default=None, description="OAuth1 app secret")
    access_token: Optional[str] = Field(default=None, description="OAuth1 access token")
    access_token_secret: Optional[str] = Field(default=None, description="OAuth1 access token secret")
    client_id: Optional[str] = Field(default=None, description="OAuth2 client id")
    client_secret: Optional[str] = Field(default=None, description="OAuth2 client secret")
    csds_url: str = Field(default=api_settings.DEFAULT_CSDS_URL, description="Domain discovery (CSDS) URL")
    max_concurrent_requests: int = Field(default=api_settings.MAX_CONCURRENT_REQUESTS, ge=1)
    requests_per_second: Optional[float] = Field(default=None, gt=0, description="Request rate cap; none by default")
    request_timeout_seconds: float = Field(default=api_settings.REQUEST_TIMEOUT_SECONDS, gt=0)
    max_attempts: int = Field(default=api_settings.MAX_ATTEMPTS, ge=1)
    backoff_base_seconds: float = Field(default=api_settings.BACKOFF_BASE_SECONDS, ge=0)
    max_backoff_seconds: float = Field(default=api_settings.MAX_BACKOFF_SECONDS, ge=0)
    min_rate_limit_wait_seconds: float = Field(default=api_settings.MIN_RATE_LIMIT_WAIT_SECONDS, ge=0)
    ca_bundle: Optional[str] = Field(
        default=None, description="PEM file of certificate authorities to trust instead of the system's"
    )
    named_by_variables: bool = Field(
        default=False, description="Errors name LIVEPERSON_* variables (set when built from those variables)"
    )

    def connection(self) -> LivePersonConnection:
        http = HttpSettings(**{setting.name: getattr(self, setting.name) for setting in dataclasses.fields(HttpSettings)})
        values = {name: getattr(self, name) for name in ("account_id", "csds_url", *CREDENTIAL_FIELDS)}
        return connection_from_settings(values, http, named_by_variables=self.named_by_variables)


class LivePersonWarehouse(ConfigurableResource):
    """Where the data lands: DuckDB by default, or any dlt destination configured the dlt way."""

    destination: str = Field(default="duckdb", description="dlt destination name")
    duckdb_path: str = Field(default=DEFAULT_DUCKDB_PATH, description="DuckDB file (duckdb destination only)")
    dataset_name: str = Field(default=DATASET_NAME)
    duckdb_memory_limit: str = Field(
        default=DEFAULT_DUCKDB_MEMORY_LIMIT, description="DuckDB memory_limit while loading (it spills beyond)"
    )
    duckdb_lock_timeout_seconds: float = Field(
        default=DEFAULT_DUCKDB_LOCK_TIMEOUT_SECONDS, ge=0,
        description="How long to wait for another process's DuckDB writer lock",
    )
    normalize_workers: Optional[int] = Field(
        default=None, ge=1, description="dlt normalize worker processes; chosen by the run's volume when unset"
    )

    def dlt_destination(self):
        if self.destination == "duckdb":
            # Bounded memory for large loads: DuckDB spills instead of growing, and need not keep insertion order.
            settings = {"memory_limit": self.duckdb_memory_limit, "preserve_insertion_order": False}
            return dlt.destinations.duckdb(credentials=DuckDbCredentials(str(self.duckdb_file()), global_config=settings))
        return self.destination

    def loader_file_format(self):
        """Parquet where it is the fast path (DuckDB loads it ~4x faster than insert statements); elsewhere the
        destination's preferred format, since e.g. Postgres takes parquet only through an extra driver."""
        return "parquet" if self.destination == "duckdb" else None

    def duckdb_file(self) -> Path:
        path = Path(self.duckdb_path).expanduser().resolve()
        if path.stem == self.dataset_name:
            # DuckDB names the database after the file: `liveperson.liveperson.t` would be an ambiguous reference.
            raise ValueError(
                f"duckdb_path {path.name!r} is named like the dataset {self.dataset_name!r} "
                "(LIVEPERSON_DUCKDB_PATH): choose another file name, e.g. liveperson_warehouse.duckdb"
            )
        return path

    @contextmanager
    def pipeline_for_run(self, run_id: str, log: Callable[[str], None]) -> Iterator[dlt.Pipeline]:
        """A pipeline with a working dir of its own (dagster-dlt drops the working dir before each run, so runs
        sharing one would lose each other's packages), holding the DuckDB writer lock while it runs."""
        with run_working_dir(run_id) as working_dir, self._writer_lock(f"run {run_id[:8]}", log):
            yield self._pipeline(working_dir)

    @contextmanager
    def sql_client(self, holder: str, log: Callable[[str], None]) -> Iterator[SqlClientBase]:
        """A dlt SQL client on the dataset, for reading it (asset checks) on any SQL destination. Its pipeline
        never runs; on DuckDB it waits for the writer lock, as a load would."""
        working_dir = tempfile.mkdtemp(prefix="liveperson-dlt-read-")
        try:
            with self._writer_lock(holder, log), self._pipeline(working_dir).sql_client() as client:
                yield client
        finally:
            shutil.rmtree(working_dir, ignore_errors=True)

    def _pipeline(self, working_dir: str) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name=PIPELINE_NAME,
            pipelines_dir=working_dir,
            destination=self.dlt_destination(),
            dataset_name=self.dataset_name,
        )

    @contextmanager
    def _writer_lock(self, holder: str, log: Callable[[str], None]) -> Iterator[None]:
        # DuckDB allows one writing process per file. The Dagster pool serializes runs launched by one instance;
        # this lock also covers runs from separate `dagster asset materialize` commands.
        if self.destination != "duckdb":
            yield
            return
        with writer_lock(self.duckdb_file(), holder, self.duckdb_lock_timeout_seconds, log):
            yield


# The settings a credentials resource takes from ProjectSettings (the rest of its HTTP settings keep their defaults).
SETTINGS_OF_CREDENTIALS = (
    "account_id", "csds_url", "max_concurrent_requests", "requests_per_second", "request_timeout_seconds", "max_attempts",
    "ca_bundle",
)


def _env_var(name: str, set_variables) -> Optional[EnvVar]:
    return EnvVar(name) if name in set_variables else None


def credentials_resource(settings: ProjectSettings, secret_variables: tuple) -> LivePersonCredentials:
    """The account's credentials: the secrets as EnvVars (read when a run starts, shown "from env" in the UI)
    for the variables that are set, everything else from the validated settings."""
    return LivePersonCredentials(
        named_by_variables=True,
        **{name: getattr(settings, name) for name in SETTINGS_OF_CREDENTIALS},
        **{name: _env_var(variable_name(name), secret_variables) for name in CREDENTIAL_FIELDS},
    )


SETTINGS_OF_WAREHOUSE = (
    "destination", "duckdb_path", "duckdb_memory_limit", "duckdb_lock_timeout_seconds", "normalize_workers",
)


def warehouse_resource(settings: ProjectSettings) -> LivePersonWarehouse:
    return LivePersonWarehouse(**{name: getattr(settings, name) for name in SETTINGS_OF_WAREHOUSE})
