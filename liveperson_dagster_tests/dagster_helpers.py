"""Helpers for tests that run the Dagster assets against the emulator."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from dagster import DagsterInstance
from dagster_dlt import DagsterDltResource

from liveperson_dagster.resources import LivePersonCredentials, LivePersonWarehouse

from .conftest import FAST_HTTP

DAGSTER = str(Path(sys.executable).with_name("dagster"))
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def credentials_for(emulator, oauth2: bool = False, unset=()) -> LivePersonCredentials:
    env = {name: value for name, value in emulator.env(oauth2=oauth2).items() if name not in unset}
    return LivePersonCredentials(
        account_id=env["LIVEPERSON_ACCOUNT_ID"],
        csds_url=env["LIVEPERSON_CSDS_URL"],
        app_key=env.get("LIVEPERSON_APP_KEY"),
        app_secret=env.get("LIVEPERSON_APP_SECRET"),
        access_token=env.get("LIVEPERSON_ACCESS_TOKEN"),
        access_token_secret=env.get("LIVEPERSON_ACCESS_TOKEN_SECRET"),
        client_id=env.get("LIVEPERSON_CLIENT_ID"),
        client_secret=env.get("LIVEPERSON_CLIENT_SECRET"),
        request_timeout_seconds=FAST_HTTP.request_timeout_seconds,
        backoff_base_seconds=FAST_HTTP.backoff_base_seconds,
        max_backoff_seconds=FAST_HTTP.max_backoff_seconds,
        min_rate_limit_wait_seconds=FAST_HTTP.min_rate_limit_wait_seconds,
    )


def resources_for(emulator, database, oauth2: bool = False, unset=()) -> dict:
    return {
        "dlt": DagsterDltResource(),
        "liveperson": credentials_for(emulator, oauth2, unset),
        "warehouse": LivePersonWarehouse(duckdb_path=str(database)),
    }


def query(database, sql: str) -> list:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def conversation_ids(database) -> list:
    return sorted(row[0] for row in query(database, "select conversation_id from liveperson.conversations"))


def cli_env(emulator, database, dagster_home, **extra) -> dict:
    """The environment of a `dagster` command: the emulator's variables and an instance like `make dev`'s."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    # Create the instance's SQLite storage now: commands started together on a new DAGSTER_HOME race to create it.
    with DagsterInstance.from_config(str(dagster_home)):
        pass
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVEPERSON_")}
    return {
        **env,
        **emulator.env(),
        "LIVEPERSON_DUCKDB_PATH": str(database),
        "LIVEPERSON_START_DATE": "2026-11-01",
        "LIVEPERSON_MAX_ATTEMPTS": "6",
        "DAGSTER_HOME": str(dagster_home),
        **extra,
    }


def materialize_cli(env: dict, *args: str, wait: bool = True):
    command = [DAGSTER, "asset", "materialize", "-m", "liveperson_dagster.definitions", *args]
    process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    if not wait:
        return process
    output, _ = process.communicate(timeout=300)
    return process.returncode, output
