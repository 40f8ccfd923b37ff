"""The one typed configuration: read and validated once when the definitions load, passed down explicitly."""

import gc
import os
import subprocess
from datetime import date

import pytest
from dagster import AssetKey, EnvVar, materialize

from liveperson_dagster.definitions import build_definitions
from liveperson_dagster.liveperson import HttpSettings, LivePersonConfigError
from liveperson_dagster.resources import LivePersonCredentials, LivePersonWarehouse, warehouse_resource
from liveperson_dagster.config import ProjectSettings, SettingsError, connection_from_env, secret_variables_set
from liveperson_emulator import Faults

from .helpers import DAGSTER, PROJECT_ROOT, assets_of, resources_for

CONVERSATIONS = AssetKey(["liveperson", "conversations"])


def test_unset_and_empty_variables_take_the_defaults():
    assert ProjectSettings.from_env({}) == ProjectSettings.from_env({"LIVEPERSON_TIMEZONE": " ", "LIVEPERSON_X": "1"})
    settings = ProjectSettings.from_env({})
    assert (settings.timezone, settings.start_date, settings.destination) == ("UTC", date(2026, 1, 1), "duckdb")
    assert (settings.max_concurrent_requests, settings.lookback_days, settings.normalize_workers) == (4, 3, None)


def test_values_are_typed():
    settings = ProjectSettings.from_env({
        "LIVEPERSON_TIMEZONE": "Asia/Kathmandu", "LIVEPERSON_START_DATE": "2025-12-31",
        "LIVEPERSON_MAX_CONCURRENT_REQUESTS": "8", "LIVEPERSON_REQUESTS_PER_SECOND": "2.5",
        "LIVEPERSON_DUCKDB_MEMORY_LIMIT": "2GB", "NORMALIZE__WORKERS": "2", "LIVEPERSON_ACCOUNT_ID": "13350576",
    })
    assert settings.timezone == "Asia/Kathmandu" and settings.start_date == date(2025, 12, 31)
    assert (settings.max_concurrent_requests, settings.requests_per_second) == (8, 2.5)
    assert (settings.duckdb_memory_limit, settings.normalize_workers, settings.account_id) == ("2GB", 2, "13350576")


@pytest.mark.parametrize("variable, value, allowed", [
    ("LIVEPERSON_MAX_CONCURRENT_REQUESTS", "0", "a whole number from 1 to 100"),
    ("LIVEPERSON_MAX_CONCURRENT_REQUESTS", "-3", "a whole number from 1 to 100"),
    ("LIVEPERSON_MAX_CONCURRENT_REQUESTS", "four", "a whole number from 1 to 100"),
    ("LIVEPERSON_MAX_CONCURRENT_REQUESTS", "100000000", "a whole number from 1 to 100"),
    ("LIVEPERSON_TIMEZONE", "Mars/Phobos", "an IANA time zone like Europe/Paris"),
    ("LIVEPERSON_START_DATE", "2026-13-01", "a date like 2026-01-31"),
    ("LIVEPERSON_START_DATE", "yesterday", "a date like 2026-01-31, from 2000-01-01 to 2099-12-31"),
    ("LIVEPERSON_START_DATE", "0001-01-01", "a date like 2026-01-31, from 2000-01-01 to 2099-12-31"),
    ("LIVEPERSON_OPERATIONS_START_DATE", "9999-12-31", "a date like 2026-01-31, from 2000-01-01 to 2099-12-31"),
    ("LIVEPERSON_LOOKBACK_DAYS", "-1", "a whole number of days from 1 to 400"),
    ("LIVEPERSON_LOOKBACK_DAYS", "1e20", "a whole number of days from 1 to 400"),
    ("LIVEPERSON_REQUEST_TIMEOUT_SECONDS", "soon", "a number of seconds > 0 and <= 3600"),
    ("LIVEPERSON_REQUEST_TIMEOUT_SECONDS", "inf", "a number of seconds > 0 and <= 3600"),
    ("LIVEPERSON_REQUEST_TIMEOUT_SECONDS", "nan", "a number of seconds > 0 and <= 3600"),
    ("LIVEPERSON_REQUESTS_PER_SECOND", "0", "a number > 0 and <= 1000 (unset for no cap)"),
    ("LIVEPERSON_REQUESTS_PER_SECOND", "inf", "a number > 0 and <= 1000 (unset for no cap)"),
    ("LIVEPERSON_MAX_ATTEMPTS", "0", "a whole number from 1 to 20"),
    ("LIVEPERSON_MAX_ATTEMPTS", "1000", "a whole number from 1 to 20"),
    ("LIVEPERSON_MAX_UNKNOWN_PERCENT", "nan", "a number from 0 to 100"),
    ("LIVEPERSON_MAX_REMOVED_PERCENT", "-inf", "a number from 0 to 100"),
    ("LIVEPERSON_DUCKDB_MEMORY_LIMIT", "lots", "a size like 128MB or 2GB"),
    ("LIVEPERSON_DUCKDB_LOCK_TIMEOUT_SECONDS", "-5", "a number of seconds from 0 to 86400"),
    ("LIVEPERSON_DUCKDB_LOCK_TIMEOUT_SECONDS", "inf", "a number of seconds from 0 to 86400"),
    ("LIVEPERSON_RETENTION_MONTHS", "1e20", "a whole number of months from 1 to 120"),
    ("LIVEPERSON_UPDATES_INTERVAL_SECONDS", "86401", "a whole number of seconds from 30 to 86400"),
    ("LIVEPERSON_ACCOUNT_ID", "../13350576", "a LivePerson site id (digits only)"),
    ("LIVEPERSON_CSDS_URL", "ftp://api.liveperson.net", "an http(s) URL with a host and no path"),
    ("LIVEPERSON_DESTINATION", "no such db", "a dlt destination like duckdb, postgres, bigquery or snowflake"),
    ("LIVEPERSON_DESTINATION", "nosuchdb", "a dlt destination like duckdb, postgres, bigquery or snowflake"),
    ("NORMALIZE__WORKERS", "0", "a whole number from 1 to 64"),
    ("NORMALIZE__WORKERS", "65", "a whole number from 1 to 64"),
])
def test_a_bad_value_is_one_line_naming_the_variable_the_value_and_what_is_allowed(variable, value, allowed):
    with pytest.raises(SettingsError) as raised:
        ProjectSettings.from_env({variable: value})
    message = str(raised.value)
    assert message.startswith(f"{variable}={value!r} is invalid: expected {allowed}")
    assert "\n" not in message


def test_a_request_timeout_not_shorter_than_the_wait_for_a_slot_is_refused():
    with pytest.raises(SettingsError) as raised:
        ProjectSettings.from_env({"LIVEPERSON_REQUEST_TIMEOUT_SECONDS": "120",
                                  "LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS": "120"})
    assert str(raised.value) == (
        "LIVEPERSON_REQUEST_TIMEOUT_SECONDS='120' is invalid: expected a number of seconds > 0 and <= 3600, but it is "
        "not shorter than LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS (120 s), how long a request waits for another's slot")
    assert ProjectSettings.from_env({"LIVEPERSON_REQUEST_TIMEOUT_SECONDS": "1200",
                                     "LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS": "1800"}).request_timeout_seconds == 1200
    with pytest.raises(LivePersonConfigError, match="^request_timeout_seconds must be shorter than "
                                                    "request_slot_timeout_seconds$"):
        HttpSettings(request_timeout_seconds=700)
    # A caller's own timeout (the `check` command's 30 s) is capped by the user's, shorter than their slot wait.
    variables = {"LIVEPERSON_ACCOUNT_ID": "1", "LIVEPERSON_CLIENT_ID": "c", "LIVEPERSON_CLIENT_SECRET": "s",
                 "LIVEPERSON_REQUEST_TIMEOUT_SECONDS": "5", "LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS": "10"}
    http = connection_from_env(variables, http=HttpSettings(request_timeout_seconds=30)).http
    assert (http.request_timeout_seconds, http.request_slot_timeout_seconds) == (5, 10)


def test_every_bad_value_is_named_at_once():
    with pytest.raises(SettingsError) as raised:
        ProjectSettings.from_env({"LIVEPERSON_TIMEZONE": "Mars/Phobos", "LIVEPERSON_LOOKBACK_DAYS": "0"})
    assert str(raised.value) == (
        "LIVEPERSON_TIMEZONE='Mars/Phobos' is invalid: expected an IANA time zone like Europe/Paris; "
        "LIVEPERSON_LOOKBACK_DAYS='0' is invalid: expected a whole number of days from 1 to 400")


DUCKDB_PATH_EXPECTED = ("expected a file path like data/liveperson_warehouse.duckdb, in a writable directory and not "
                        "named like the dataset 'liveperson'")


def duckdb_path_error(value: str, **others: str) -> str:
    with pytest.raises(SettingsError) as raised:
        ProjectSettings.from_env({"LIVEPERSON_DUCKDB_PATH": value, **others})
    return str(raised.value)


def test_a_duckdb_path_that_is_a_directory_is_refused(tmp_path):
    assert duckdb_path_error(str(tmp_path)) == (
        f"LIVEPERSON_DUCKDB_PATH={str(tmp_path)!r} is invalid: {DUCKDB_PATH_EXPECTED}, but {tmp_path} is a directory")


@pytest.mark.parametrize("below", ["warehouse.duckdb", "more/dirs/warehouse.duckdb"])
def test_a_duckdb_path_below_a_file_is_refused(tmp_path, below):
    (tmp_path / "file").write_text("")
    value = str(tmp_path / "file" / below)
    assert duckdb_path_error(value) == (f"LIVEPERSON_DUCKDB_PATH={value!r} is invalid: {DUCKDB_PATH_EXPECTED}, but "
                                        f"{tmp_path / 'file'} is a file, not a directory")


@pytest.mark.parametrize("name", ["liveperson.duckdb", "liveperson.db", "liveperson"])
def test_a_duckdb_file_named_like_the_dataset_is_refused(tmp_path, name):
    value = str(tmp_path / name)
    assert duckdb_path_error(value) == (f"LIVEPERSON_DUCKDB_PATH={value!r} is invalid: {DUCKDB_PATH_EXPECTED}, but "
                                        f"{name} is named like the dataset")
    # The same rule as the resource's own check (resources built in Python, without the environment).
    with pytest.raises(ValueError, match="named like the dataset"):
        LivePersonWarehouse(duckdb_path=value).duckdb_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a read-only directory")
def test_a_duckdb_path_in_a_directory_that_is_not_writable_is_refused(tmp_path):
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o555)
    value = str(read_only / "warehouse.duckdb")
    assert duckdb_path_error(value) == (f"LIVEPERSON_DUCKDB_PATH={value!r} is invalid: {DUCKDB_PATH_EXPECTED}, but "
                                        f"the directory {read_only} is not writable")


@pytest.mark.parametrize("value, but", [
    (":memory:", ":memory: is not a file (DuckDB would keep nothing between runs, or connect elsewhere)"),
    ("md:warehouse", "md:warehouse is not a file (DuckDB would keep nothing between runs, or connect elsewhere)"),
    ('{tmp_path}/ware"house.duckdb', "dbt cannot use a path with any of \" ' # ? in it"),
    ("{tmp_path}/it's/warehouse.duckdb", "dbt cannot use a path with any of \" ' # ? in it"),
    ("{tmp_path}/a#b/warehouse.duckdb", "dbt cannot use a path with any of \" ' # ? in it"),
    ("{tmp_path}/system.duckdb", "DuckDB would name the database 'system' (letters, digits, spaces, _ and - only; "
                                 "not main, memory, system, temp)"),
    ("{tmp_path}/ware$house.duckdb", "DuckDB would name the database 'ware$house' (letters, digits, spaces, _ and - "
                                     "only; not main, memory, system, temp)"),
])
def test_a_duckdb_path_that_duckdb_or_dbt_cannot_use_is_refused(tmp_path, value, but):
    value = value.format(tmp_path=tmp_path)
    assert duckdb_path_error(value) == f"LIVEPERSON_DUCKDB_PATH={value!r} is invalid: {DUCKDB_PATH_EXPECTED}, but {but}"
    assert list(tmp_path.iterdir()) == []  # no file named :memory:
    # The same rule for a resource built in Python, without the environment.
    with pytest.raises(ValueError) as raised:
        LivePersonWarehouse(duckdb_path=value).duckdb_file()
    assert str(raised.value) == f"duckdb_path {value!r} cannot be used (LIVEPERSON_DUCKDB_PATH): {but}"


def test_a_duckdb_path_whose_directories_do_not_exist_yet_is_accepted_and_nothing_is_created(tmp_path):
    value = str(tmp_path / "data" / "more" / "warehouse.duckdb")
    assert ProjectSettings.from_env({"LIVEPERSON_DUCKDB_PATH": value}).duckdb_path == value
    assert list(tmp_path.iterdir()) == []  # the first run creates them
    (tmp_path / "warehouse.duckdb").write_text("")
    assert ProjectSettings.from_env({"LIVEPERSON_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")})


REPORT_PATH_EXPECTED = "expected an .html file path in a writable directory (created if missing)"


@pytest.mark.parametrize("name, but", [
    ("report.pdf", "report.pdf does not end in .html"),
    ("report.html/", None),  # a directory, named below
    ("file.txt/report.html", None),
])
def test_a_report_path_that_cannot_be_written_is_refused(tmp_path, name, but):
    (tmp_path / "file.txt").write_text("")
    if name == "report.html/":
        (tmp_path / "report.html").mkdir()
        but = f"{tmp_path / 'report.html'} is a directory"
    if name.startswith("file.txt"):
        but = f"{tmp_path / 'file.txt'} is a file, not a directory"
    value = str(tmp_path / name)
    with pytest.raises(SettingsError) as error:
        ProjectSettings.from_env({"LIVEPERSON_REPORT_PATH": value})
    assert str(error.value) == f"LIVEPERSON_REPORT_PATH={value!r} is invalid: {REPORT_PATH_EXPECTED}, but {but}"


def test_the_report_goes_next_to_the_duckdb_file_unless_its_path_is_set(tmp_path):
    settings = ProjectSettings.from_env({"LIVEPERSON_DUCKDB_PATH": str(tmp_path / "w" / "warehouse.duckdb")})
    assert warehouse_resource(settings).report_file() == tmp_path / "w" / "liveperson_report.html"
    chosen = tmp_path / "reports" / "contact_center.html"
    settings = ProjectSettings.from_env({"LIVEPERSON_REPORT_PATH": str(chosen)})
    assert warehouse_resource(settings).report_file() == chosen


def test_the_duckdb_path_is_not_checked_for_another_destination(tmp_path):
    settings = ProjectSettings.from_env({"LIVEPERSON_DESTINATION": "postgres", "LIVEPERSON_DUCKDB_PATH": str(tmp_path)})
    assert (settings.destination, settings.duckdb_path) == ("postgres", str(tmp_path))
    # An unknown destination is the error to fix first: the path is not judged against it.
    assert duckdb_path_error(str(tmp_path), LIVEPERSON_DESTINATION="nosuchdb") == (
        "LIVEPERSON_DESTINATION='nosuchdb' is invalid: expected a dlt destination like duckdb, postgres, bigquery or "
        "snowflake")


def test_a_bad_value_stops_the_cli_when_the_definitions_load(tmp_path):
    env = {name: value for name, value in os.environ.items()}
    env.update(LIVEPERSON_MAX_CONCURRENT_REQUESTS="0", DAGSTER_HOME=str(tmp_path))
    done = subprocess.run([DAGSTER, "asset", "materialize", "-m", "liveperson_dagster.definitions",
                           "--select", "liveperson/users"], env=env, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "LIVEPERSON_MAX_CONCURRENT_REQUESTS='0' is invalid: expected a whole number from 1 to 100" in done.stderr
    assert "RUN_START" not in done.stdout + done.stderr  # stopped at load: no run began


def test_the_definitions_are_built_from_the_settings_passed_in():
    settings = ProjectSettings(timezone="Asia/Kathmandu", start_date=date(2026, 6, 1), lookback_days=5,
                               max_unknown_percent=0.5, duckdb_path="/tmp/elsewhere.duckdb",
                               duckdb_lock_timeout_seconds=7, normalize_workers=2, max_concurrent_requests=3)
    defs = build_definitions(settings, secret_variables=("LIVEPERSON_APP_KEY", "LIVEPERSON_CLIENT_SECRET"))
    partitions = defs.resolve_asset_graph().get(CONVERSATIONS).partitions_def
    assert (partitions.timezone, partitions.start.date()) == ("Asia/Kathmandu", date(2026, 6, 1))
    schedule = defs.resolve_schedule_def("liveperson_daily_schedule")
    assert schedule.execution_timezone == "Asia/Kathmandu" and "the 5 complete day(s)" in schedule.description
    specs = {spec.name: spec for checks in defs.asset_checks for spec in checks.check_specs}
    assert specs["known_agents_skills_and_groups"].metadata["max_unknown_percent"] == 0.5
    warehouse = defs.resources["warehouse"]
    assert (warehouse.duckdb_path, warehouse.duckdb_lock_timeout_seconds, warehouse.normalize_workers) == (
        "/tmp/elsewhere.duckdb", 7, 2)
    credentials = defs.resources["liveperson"]
    assert credentials.max_concurrent_requests == 3 and credentials.named_by_variables
    # Secrets: EnvVars (read when a run starts, "from env" in the UI) for the variables that are set, nothing else.
    assert credentials.app_key == EnvVar("LIVEPERSON_APP_KEY")
    assert credentials.client_secret == EnvVar("LIVEPERSON_CLIENT_SECRET")
    assert credentials.app_secret is None and credentials.client_id is None


def test_only_the_credential_variables_that_hold_a_value_are_referred_to():
    assert secret_variables_set({"LIVEPERSON_APP_KEY": "k", "LIVEPERSON_APP_SECRET": " ", "OTHER": "x"}) == (
        "LIVEPERSON_APP_KEY",)


def test_a_resource_built_in_python_needs_no_environment_and_its_errors_name_fields():
    with pytest.raises(LivePersonConfigError, match="^account_id is not set$"):
        LivePersonCredentials(app_key="k").connection()
    with pytest.raises(LivePersonConfigError) as raised:
        LivePersonCredentials(account_id="1", client_id="c").connection()
    assert str(raised.value) == ("incomplete LivePerson credentials: set the OAuth1 fields (missing: app_key, "
                                 "app_secret, access_token, access_token_secret) or the OAuth2 pair (missing: "
                                 "client_secret)")
    with pytest.raises(Exception, match="max_concurrent_requests"):
        LivePersonCredentials(account_id="1", max_concurrent_requests=0)
    with pytest.raises(Exception, match="duckdb_lock_timeout_seconds"):
        LivePersonWarehouse(duckdb_lock_timeout_seconds=-1)


@pytest.mark.parametrize("field, value, message", [
    ("max_concurrent_requests", 100_000_000, "max_concurrent_requests must be from 1 to 100"),
    ("request_timeout_seconds", float("inf"), "request_timeout_seconds must be > 0 and <= 3600"),
    ("request_timeout_seconds", float("nan"), "request_timeout_seconds must be > 0 and <= 3600"),
    ("requests_per_second", float("inf"), "requests_per_second must be > 0 and <= 1000 (or unset for no cap)"),
    ("max_attempts", 21, "max_attempts must be from 1 to 20"),
])
def test_http_settings_given_in_python_are_bounded_as_the_variables_are(field, value, message):
    with pytest.raises(LivePersonConfigError) as raised:
        HttpSettings(**{field: value})
    assert str(raised.value) == message
    with pytest.raises(Exception, match="retention_months"):
        LivePersonWarehouse(retention_months=10**20)


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_a_run_leaves_the_environment_and_the_collector_as_it_found_them(emulator, tmp_path, monkeypatch, outcome):
    monkeypatch.setenv("DATA_WRITER__BUFFER_MAX_ITEMS", "7")  # a value of the user's: kept, and not overwritten
    if outcome == "failure":
        emulator.set_faults(Faults(always_503=True))
    environment, freeze_count, thresholds = dict(os.environ), gc.get_freeze_count(), gc.get_threshold()
    (conversations,) = assets_of("conversations")
    result = materialize([conversations], resources=resources_for(emulator, tmp_path / "warehouse.duckdb"),
                         partition_key="2026-11-03", raise_on_error=False)
    assert result.success is (outcome == "success")
    assert dict(os.environ) == environment
    assert (gc.get_freeze_count(), gc.get_threshold(), gc.isenabled()) == (freeze_count, thresholds, True)
