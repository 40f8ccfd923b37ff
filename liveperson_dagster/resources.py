"""Dagster resources: LivePerson credentials and the warehouse the dlt pipeline writes to."""

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dagster import ConfigurableResource, EnvVar
from dlt.destinations.sql_client import SqlClientBase
from pydantic import Field

from .env_settings import number_from_env
from .liveperson import HttpSettings, LivePersonConnection
from .working_dirs import run_working_dir
from .liveperson import settings as api_settings
from .liveperson.connection import connection_from_values

DATASET_NAME = "liveperson"
PIPELINE_NAME = "liveperson"
DEFAULT_DESTINATION = "duckdb"
# Not named like the dataset: a file `liveperson.duckdb` with dataset `liveperson` makes DuckDB references ambiguous.
DEFAULT_DUCKDB_PATH = "data/liveperson_warehouse.duckdb"
# Caps DuckDB's share of a load's memory (its cache grows with the data otherwise; beyond the cap it spills to
# disk). 128MB loads and re-merges a 100,000-conversation window (benchmarks/); a run's peak then stays flat.
DEFAULT_DUCKDB_MEMORY_LIMIT = "128MB"
# dlt defaults for this source's large nested records: a small in-memory buffer and rotated files keep the
# memory of a run flat however many conversations it loads, and short buffer flushes hold the interpreter lock
# briefly while the fetch threads wait for it. The same variables set by the user win.
DLT_WRITER_DEFAULTS = {
    "DATA_WRITER__BUFFER_MAX_ITEMS": "100",
    "DATA_WRITER__FILE_MAX_ITEMS": "5000",
    # Extract files of 1,000 conversations: dlt hands whole files to its normalize workers, and with few large
    # files one worker got three of four.
    "SOURCES__DATA_WRITER__FILE_MAX_ITEMS": "1000",
    # Extracted files are temporary and local: gzip costs more CPU than the disk it saves.
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
}


def apply_dlt_writer_defaults() -> None:
    for name, value in DLT_WRITER_DEFAULTS.items():
        os.environ.setdefault(name, value)


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
    max_concurrent_requests: int = Field(default=api_settings.MAX_CONCURRENT_REQUESTS)
    requests_per_second: Optional[float] = Field(default=None, description="Request rate cap; none by default")
    request_timeout_seconds: float = Field(default=api_settings.REQUEST_TIMEOUT_SECONDS)
    max_attempts: int = Field(default=api_settings.MAX_ATTEMPTS)
    backoff_base_seconds: float = Field(default=api_settings.BACKOFF_BASE_SECONDS)
    max_backoff_seconds: float = Field(default=api_settings.MAX_BACKOFF_SECONDS)
    min_rate_limit_wait_seconds: float = Field(default=api_settings.MIN_RATE_LIMIT_WAIT_SECONDS)

    def connection(self) -> LivePersonConnection:
        values = {
            "LIVEPERSON_APP_KEY": self.app_key,
            "LIVEPERSON_APP_SECRET": self.app_secret,
            "LIVEPERSON_ACCESS_TOKEN": self.access_token,
            "LIVEPERSON_ACCESS_TOKEN_SECRET": self.access_token_secret,
            "LIVEPERSON_CLIENT_ID": self.client_id,
            "LIVEPERSON_CLIENT_SECRET": self.client_secret,
        }
        http = HttpSettings(
            request_timeout_seconds=self.request_timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_base_seconds=self.backoff_base_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
            min_rate_limit_wait_seconds=self.min_rate_limit_wait_seconds,
            max_concurrent_requests=self.max_concurrent_requests,
            requests_per_second=self.requests_per_second,
        )
        return connection_from_values(
            (self.account_id or "").strip(), (self.csds_url or "").strip() or api_settings.DEFAULT_CSDS_URL,
            {name: (value or "").strip() for name, value in values.items()}, http,
        )


class LivePersonWarehouse(ConfigurableResource):
    """Where the data lands: DuckDB by default, or any dlt destination configured the dlt way."""

    destination: str = Field(default=DEFAULT_DESTINATION, description="dlt destination name")
    duckdb_path: str = Field(default=DEFAULT_DUCKDB_PATH, description="DuckDB file (duckdb destination only)")
    dataset_name: str = Field(default=DATASET_NAME)
    duckdb_memory_limit: str = Field(
        default=DEFAULT_DUCKDB_MEMORY_LIMIT, description="DuckDB memory_limit while loading (it spills beyond)"
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
                f"LIVEPERSON_DUCKDB_PATH {path.name!r} is named like the dataset {self.dataset_name!r}: "
                "choose another file name, e.g. liveperson_warehouse.duckdb"
            )
        return path

    @contextmanager
    def pipeline_for_run(self, run_id: str) -> Iterator[dlt.Pipeline]:
        """A pipeline with a working dir of its own (dagster-dlt drops the working dir before each run, so runs
        sharing one would lose each other's packages), holding the DuckDB writer lock while it runs."""
        apply_dlt_writer_defaults()
        with run_working_dir(run_id) as working_dir, self._writer_lock():
            yield dlt.pipeline(
                pipeline_name=PIPELINE_NAME,
                pipelines_dir=working_dir,
                destination=self.dlt_destination(),
                dataset_name=self.dataset_name,
            )

    @contextmanager
    def sql_client(self) -> Iterator[SqlClientBase]:
        """A dlt SQL client on the dataset, for reading it (asset checks) on any SQL destination. Its pipeline
        never runs; on DuckDB it waits for the writer lock, as a load would."""
        working_dir = tempfile.mkdtemp(prefix="liveperson-dlt-read-")
        try:
            with self._writer_lock():
                pipeline = dlt.pipeline(
                    pipeline_name=PIPELINE_NAME,
                    pipelines_dir=working_dir,
                    destination=self.dlt_destination(),
                    dataset_name=self.dataset_name,
                )
                with pipeline.sql_client() as client:
                    yield client
        finally:
            shutil.rmtree(working_dir, ignore_errors=True)

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        # DuckDB allows one writing process per file. The Dagster pool serializes runs launched by one instance;
        # this lock also covers runs from separate `dagster asset materialize` commands.
        if self.destination != "duckdb":
            yield
            return
        database = self.duckdb_file()
        database.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{database}.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def _env(name: str, default=None):
    """An EnvVar (read when the run starts, shown "from env" in the UI) where the variable is set."""
    return EnvVar(name) if os.environ.get(name) else default


def credentials_from_env() -> LivePersonCredentials:
    # Not secrets: plain numbers, so they are read once when the definitions load.
    optional_numbers = {}
    for field_name, variable, cast in (
        ("max_concurrent_requests", "LIVEPERSON_MAX_CONCURRENT_REQUESTS", int),
        ("request_timeout_seconds", "LIVEPERSON_REQUEST_TIMEOUT_SECONDS", float),
        ("max_attempts", "LIVEPERSON_MAX_ATTEMPTS", int),
        ("requests_per_second", "LIVEPERSON_REQUESTS_PER_SECOND", float),
    ):
        number = number_from_env(variable, None, cast, minimum=0, expected="a number >= 0")
        if number is not None:
            optional_numbers[field_name] = number
    return LivePersonCredentials(
        account_id=_env("LIVEPERSON_ACCOUNT_ID", ""),
        app_key=_env("LIVEPERSON_APP_KEY"),
        app_secret=_env("LIVEPERSON_APP_SECRET"),
        access_token=_env("LIVEPERSON_ACCESS_TOKEN"),
        access_token_secret=_env("LIVEPERSON_ACCESS_TOKEN_SECRET"),
        client_id=_env("LIVEPERSON_CLIENT_ID"),
        client_secret=_env("LIVEPERSON_CLIENT_SECRET"),
        csds_url=_env("LIVEPERSON_CSDS_URL", api_settings.DEFAULT_CSDS_URL),
        **optional_numbers,
    )


def warehouse_from_env() -> LivePersonWarehouse:
    return LivePersonWarehouse(
        destination=_env("LIVEPERSON_DESTINATION", DEFAULT_DESTINATION),
        duckdb_path=_env("LIVEPERSON_DUCKDB_PATH", DEFAULT_DUCKDB_PATH),
        duckdb_memory_limit=_env("LIVEPERSON_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
    )
