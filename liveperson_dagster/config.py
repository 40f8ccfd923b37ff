"""Every setting a user gives through the environment, read and validated once, when the definitions load.

This is the only module of the package that reads settings from the process environment (dlt_run_config.py only
asks whether the user set one of dlt's own variables), and none writes it:
- `ProjectSettings.from_env()` reads the variables into one typed, frozen object that `definitions.py` passes to
  partitions, schedules, checks, resources and assets. The account's and HTTP settings are declared by the dlt source
  (liveperson/connection.py), the warehouse's here (WarehouseSettings, which the warehouse resource holds too). A bad
  value fails with one line naming the variable (`variable()`), the value and what is allowed.
- Secrets are not read here: `secret_variables_set()` only says which of them exist, so the resources can refer to
  them as Dagster `EnvVar`s (read when a run starts, shown "from env" in the UI).
- `print_settings_errors_without_traceback()`: a SettingsError that reaches the top of a process prints its line only.
"""

import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlt.common.destination import Destination
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .liveperson import HttpSettings, LivePersonConnection
from .liveperson.connection import (
    CREDENTIAL_FIELDS,
    AccountSettings,
    SettingsModel,
    Unusable,
    bounded,
    connection_from_settings,
    expected,
)

# dlt's own variable for its normalize workers; every other setting is LIVEPERSON_<FIELD>.
OTHER_VARIABLES = {"normalize_workers": "NORMALIZE__WORKERS"}
DATASET_NAME = "liveperson"
# Not named like the dataset: a file `liveperson.duckdb` with dataset `liveperson` makes DuckDB references ambiguous.
DEFAULT_DUCKDB_PATH = "data/liveperson_warehouse.duckdb"
# The contact-center report (report.py), next to the DuckDB file unless LIVEPERSON_REPORT_PATH says otherwise.
REPORT_FILE_NAME = "liveperson_report.html"
# A lock or a slot waited for a day is never a queue; beyond the upper bounds a value is a typo (or `inf`), and some
# overflow a date or a buffer long after the definitions loaded.
MAX_WAIT_SECONDS = 86400
# A first partition in year 1 would make millions of partitions for the UI and the schedule to go through.
FIRST_START_DATE, LAST_START_DATE = date(2000, 1, 1), date(2099, 12, 31)
DATE_ALLOWED = {"allowed": f"a date like 2026-01-31, from {FIRST_START_DATE} to {LAST_START_DATE}"}
_DUCKDB_PATH_BREAKERS = ('"', "'", "#", "?")
_DUCKDB_DATABASE_NAME = re.compile(r"^[\w -]+$")
_DUCKDB_RESERVED_NAMES = frozenset({"memory", "system", "temp", "main"})
_MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*([KMGT]i?B|B)$", re.IGNORECASE)


def variable(field: str) -> str:
    """The environment variable of a setting: `max_attempts` is LIVEPERSON_MAX_ATTEMPTS."""
    return OTHER_VARIABLES.get(field) or f"LIVEPERSON_{field.upper()}"


class SettingsError(ValueError):
    """One or more variables hold values the project cannot use; the message names each of them."""


def _check_directory_can_be_made(path: Path) -> None:
    """`path` is a writable directory, or its nearest existing ancestor is one (nothing is created here)."""
    existing = next(directory for directory in (path, *path.parents) if os.path.exists(directory))
    if not os.path.isdir(existing):
        raise Unusable(f"{existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise Unusable(f"the directory {existing} is not writable")


def _check_file_can_be_written(path: Path) -> None:
    if os.path.isdir(path):
        raise Unusable(f"{path} is a directory")
    _check_directory_can_be_made(path.parent)


def duckdb_file_problem(value: str, dataset: str = DATASET_NAME) -> Optional[str]:
    """Why DuckDB or dbt cannot keep the warehouse of `dataset` in the file `value`, or None.

    DuckDB names the database after the file name up to its first dot (`liveperson.liveperson.t` would be an
    ambiguous reference), and dbt (dbt-duckdb) quotes that name in the marts' SQL and finds it by parsing the path as
    a URL: a quote breaks the SQL (`zero-length delimited identifier`), `#` or `?` cut the URL short, and the names
    DuckDB keeps for itself are renamed (system_db)."""
    if value.strip() == ":memory:" or value.startswith(("md:", "motherduck:")):
        return f"{value} is not a file (DuckDB would keep nothing between runs, or connect elsewhere)"
    path = Path(value).expanduser().resolve()
    if path.stem == dataset:
        return f"{path.name} is named like the dataset"
    name = path.name.lstrip(".").split(".")[0]
    if any(character in str(path) for character in _DUCKDB_PATH_BREAKERS):
        return f"dbt cannot use a path with any of {' '.join(_DUCKDB_PATH_BREAKERS)} in it"
    if not _DUCKDB_DATABASE_NAME.match(name) or name.lower() in _DUCKDB_RESERVED_NAMES:
        return (f"DuckDB would name the database {name!r} (letters, digits, spaces, _ and - only; not "
                f"{', '.join(sorted(_DUCKDB_RESERVED_NAMES))})")
    return None


class WarehouseSettings(SettingsModel):
    """Where the data lands and how loads into it behave (the warehouse resource holds them)."""

    destination: str = Field(
        default="duckdb", pattern=r"^[A-Za-z0-9_.]+$",
        json_schema_extra={"allowed": "a dlt destination like duckdb, postgres, bigquery or snowflake"},
        description="dlt destination; its credentials are configured the dlt way",
    )
    duckdb_path: str = Field(
        default=DEFAULT_DUCKDB_PATH, min_length=1,
        json_schema_extra={"allowed": f"a file path like {DEFAULT_DUCKDB_PATH}, in a writable directory and not "
                                      f"named like the dataset {DATASET_NAME!r}"},
        description="DuckDB file (duckdb destination); its directory is created by the first run",
    )
    report_path: Optional[str] = Field(
        default=None, json_schema_extra={"allowed": "an .html file path in a writable directory (created if missing)"},
        description=f"Where the contact-center report is written; {REPORT_FILE_NAME} next to the DuckDB file when unset",
    )
    # DuckDB's share of a load's memory is capped (its cache grows with the data otherwise; beyond the cap it spills
    # to disk). 128MB loads and re-merges a 100,000-conversation window (benchmarks/); a run's peak then stays flat.
    duckdb_memory_limit: str = Field(
        default="128MB", json_schema_extra={"allowed": "a size like 128MB or 2GB"},
        description="DuckDB's memory while loading; it spills to disk beyond",
    )
    # An hour covers a long backfill's load of a CLI run.
    duckdb_lock_timeout_seconds: float = Field(
        3600.0, **bounded("a number of seconds", ge=0, le=MAX_WAIT_SECONDS),
        description="How long a run or check waits for another process's DuckDB writer lock",
    )
    postgres_lock_timeout_seconds: float = Field(
        3600.0, **bounded("a number of seconds", ge=0, le=MAX_WAIT_SECONDS),
        description="How long a load waits for another run's load into the same PostgreSQL dataset",
    )
    # LivePerson keeps 13 months of conversations and chats (status changes: 6 or 13, its docs differ).
    retention_months: int = Field(
        13, **bounded("a whole number of months", ge=1, le=120),
        description="How far back LivePerson keeps history; loading an older day is refused",
    )
    # The warehouse is the archive: a re-load removing more than this share of a day's rows is refused.
    max_removed_percent: float = Field(
        10.0, **bounded("a number", ge=0, le=100),
        description="Share of a day's rows a re-load may remove (records LivePerson no longer returns); 100 forces",
    )
    normalize_workers: Optional[int] = Field(
        None, **bounded("a whole number", ge=1, le=64),
        description="dlt's normalize worker processes (dlt's own variable); one when unset",
    )

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not _MEMORY_SIZE.match(value.strip()):
            raise ValueError("not a size")
        return value.strip()


class ProjectSettings(AccountSettings, WarehouseSettings):
    """The project's settings: the account's (AccountSettings), the warehouse's and the schedule's. Each is read
    from `variable(field)`; what a field's errors say it allows is in its declaration (`bounded`, `allowed`)."""

    model_config = ConfigDict(extra="forbid")
    # pydantic's own __init__: its ValidationError reaches from_env, which names the variables (model_validate calls a
    # custom __init__, here SettingsModel's, which names the fields).
    __init__ = BaseModel.__init__

    start_date: date = Field(default=date(2026, 1, 1), ge=FIRST_START_DATE, le=LAST_START_DATE,
                             json_schema_extra=DATE_ALLOWED, description="First daily partition")
    operations_start_date: Optional[date] = Field(
        default=None, ge=FIRST_START_DATE, le=LAST_START_DATE, json_schema_extra=DATE_ALLOWED,
        description="First hourly partition of the Messaging Operations assets (LivePerson keeps 24 hours: the day "
        "polling starts); LIVEPERSON_START_DATE when unset",
    )
    timezone: str = Field(
        default="UTC", json_schema_extra={"allowed": "an IANA time zone like Europe/Paris"},
        description="Time zone of the daily partitions and of the schedule",
    )
    lookback_days: int = Field(3, **bounded("a whole number of days", ge=1, le=400),  # LivePerson keeps 13 months
                               description="Days of conversations the daily schedule (re)loads")
    max_unknown_percent: float = Field(
        5.0, **bounded("a number", ge=0, le=100),
        description="Share of conversations with an unknown agent, skill or group above which a check warns",
    )
    accounts_file: Optional[str] = Field(
        default=None, json_schema_extra={"allowed": "the path of a readable YAML file listing the accounts"},
        description="Several accounts: the YAML file listing them (accounts.py, README \"Several accounts\"); "
        "the single account of the LIVEPERSON_* variables when unset",
    )
    updates_interval_seconds: int = Field(
        900, **bounded("a whole number of seconds", ge=30, le=86400),
        description="How often the sensor liveperson_conversation_updates_sensor looks for late changes",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    @field_validator("destination")
    @classmethod
    def _known_destination(cls, value: str) -> str:
        try:
            Destination.from_reference(value)  # a dlt destination, or a named one configured the dlt way
        except Exception:  # noqa: BLE001 - dlt raises several kinds; any of them means it is not usable
            raise ValueError("unknown destination") from None
        return value

    @field_validator("duckdb_path")
    @classmethod
    def _usable_duckdb_file(cls, value: str, info: ValidationInfo) -> str:
        # Only the duckdb destination uses the file (an invalid destination has its own error, so no check then).
        # Nothing is created here: the first run creates the directory.
        if info.data.get("destination") != "duckdb":
            return value
        if problem := duckdb_file_problem(value):
            raise Unusable(problem)
        path = Path(value).expanduser().resolve()
        # The run writes the file and its lock file `<file>.lock` there (or creates the missing directories).
        _check_file_can_be_written(path)
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise Unusable(f"{path} is not writable")
        return value

    @field_validator("request_slots_dir")
    @classmethod
    def _usable_directory(cls, value: Optional[str]) -> Optional[str]:
        # Nothing is created here: a run creates it, and the account's directory in it (liveperson/slots.py).
        if value is not None:
            _check_directory_can_be_made(Path(value).expanduser().resolve())
        return value

    @field_validator("report_path")
    @classmethod
    def _usable_report_file(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return value
        path = Path(value).expanduser().resolve()
        if path.suffix.lower() not in (".html", ".htm"):
            raise Unusable(f"{path.name} does not end in .html")
        _check_file_can_be_written(path)
        return value

    @field_validator("ca_bundle", "accounts_file")
    @classmethod
    def _readable_file(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not (os.path.isfile(value) and os.access(value, os.R_OK)):
            raise ValueError("not a readable file")
        return value

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "ProjectSettings":
        """The settings of `environ` (the process environment by default); unset or empty variables take defaults."""
        env = os.environ if environ is None else environ
        given = {field: value for field, info in cls.model_fields.items()
                 if expected(info) and (value := (env.get(variable(field)) or "").strip())}
        try:
            return cls.model_validate(given)
        except ValidationError as invalid:
            raise SettingsError("; ".join(describe(error) for error in invalid.errors())) from None


def describe(error: dict, name: Callable[[str], str] = variable,
             fields: Iterable[str] = ProjectSettings.model_fields) -> str:
    """One line of a settings error: the setting as `name` names it (its variable), its value and what is allowed."""
    field = str(error["loc"][0]) if error.get("loc") else ""
    if field not in fields:
        return error["msg"]
    finding = (error.get("ctx") or {}).get("error")
    but = f", but {finding.found(name)}" if isinstance(finding, Unusable) else ""
    allowed = expected(ProjectSettings.model_fields[field])
    return f"{name(field)}={error.get('input')!r} is invalid: expected {allowed}{but}"


def print_settings_errors_without_traceback() -> None:
    """From now on, a SettingsError nobody catches prints `liveperson-dagster: <its line>` on stderr instead of a
    traceback (the process still exits with 1); any other exception goes to the hook there was before."""
    previous = sys.excepthook
    if getattr(previous, "prints_settings_errors", False):
        return  # installed already (the definitions loaded again in this process)

    def hook(kind, error, traceback):
        if isinstance(error, SettingsError):
            print(f"liveperson-dagster: {error}", file=sys.stderr)
        else:
            previous(kind, error, traceback)

    hook.prints_settings_errors = True
    sys.excepthook = hook


def secret_variables_set(environ: Optional[Mapping[str, str]] = None, prefix: str = "LIVEPERSON") -> Tuple[str, ...]:
    """The credential variables that hold a value (their values are left to Dagster's EnvVar): LIVEPERSON_APP_KEY
    ..., or those of an account's `prefix` (accounts.py)."""
    env = os.environ if environ is None else environ
    names = (f"{prefix}_{field.upper()}" for field in CREDENTIAL_FIELDS)
    return tuple(name for name in names if (env.get(name) or "").strip())


def connection_from_variables(variables: Mapping[str, str], http: Optional[HttpSettings] = None) -> LivePersonConnection:
    """A connection from LIVEPERSON_* variables (any mapping of names to values) as given; errors name the variables."""
    values = {name: variables.get(variable(name)) for name in ("account_id", "csds_url", *CREDENTIAL_FIELDS)}
    return connection_from_settings(values, http or HttpSettings(), setting_name=variable)


def connection_from_env(environ: Optional[Mapping[str, str]] = None,
                        http: Optional[HttpSettings] = None) -> LivePersonConnection:
    """A connection for the dlt source used without Dagster (and for `liveperson-dagster check`), from the
    environment: the settings validated as above, the credentials read directly."""
    env = os.environ if environ is None else environ
    settings = ProjectSettings.from_env(env)
    # The user's request timeout caps a caller's own (shorter than the wait for a slot, which the settings checked).
    http = (http.model_copy(update=dict(
        ca_bundle=settings.ca_bundle, request_slots_dir=settings.request_slots_dir,
        request_slot_timeout_seconds=settings.request_slot_timeout_seconds,
        request_timeout_seconds=min(http.request_timeout_seconds, settings.request_timeout_seconds)))
        if http else settings.http())
    return connection_from_variables(env, http=http)
