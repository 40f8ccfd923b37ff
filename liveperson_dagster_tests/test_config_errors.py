"""A user's configuration mistake is one line naming the variable, never a traceback: in the `dagster` CLI (the
definitions fail to load), in `make demo` and in `make dev` (both check the settings before starting anything)."""

import os
import shutil
import socket
import subprocess
import sys

import pytest

from liveperson_dagster.config import SettingsError, print_settings_errors_without_traceback

from .helpers import DAGSTER, DEFINITIONS, PROJECT_ROOT, free_port

BAD_TIMEZONE = "LIVEPERSON_TIMEZONE='Mars/Phobos' is invalid: expected an IANA time zone like Europe/Paris"


def environment(tmp_path, **variables: str) -> dict:
    """The tests' environment (no outside LIVEPERSON_* setting) with `variables`, on an instance of its own."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), **variables}


def run(command: list, env: dict, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def assert_one_line(done: subprocess.CompletedProcess, line: str) -> None:
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "SettingsError" not in output, output
    assert done.stderr.splitlines()[-1] == line, output  # above it, only the CLI's own deprecation warning


@pytest.mark.parametrize("variable, value, message", [
    ("LIVEPERSON_TIMEZONE", "Mars/Phobos", BAD_TIMEZONE),
    ("LIVEPERSON_DESTINATION", "nosuchdb", "LIVEPERSON_DESTINATION='nosuchdb' is invalid: expected a dlt destination "
                                           "like duckdb, postgres, bigquery or snowflake"),
    ("LIVEPERSON_DUCKDB_PATH", "{tmp_path}", "LIVEPERSON_DUCKDB_PATH='{tmp_path}' is invalid: expected a file path "
                                             "like data/liveperson_warehouse.duckdb, in a writable directory and not "
                                             "named like the dataset 'liveperson', but {tmp_path} is a directory"),
])
def test_the_dagster_cli_prints_one_line_for_a_bad_setting(tmp_path, variable, value, message):
    env = environment(tmp_path, **{variable: value.format(tmp_path=tmp_path)})
    done = run([DAGSTER, "asset", "materialize", "-m", DEFINITIONS, "--select", "liveperson/users"], env, PROJECT_ROOT)
    assert done.returncode != 0
    assert_one_line(done, f"liveperson-dagster: {message.format(tmp_path=tmp_path)}")
    assert done.stdout == ""


def test_make_demo_stops_before_starting_anything(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    env = environment(tmp_path, LIVEPERSON_TIMEZONE="Mars/Phobos", LIVEPERSON_DUCKDB_PATH=str(warehouse))
    done = run([sys.executable, str(PROJECT_ROOT / "scripts" / "demo.py")], env, tmp_path)
    assert done.returncode == 2
    assert_one_line(done, f"make demo: {BAD_TIMEZONE}")
    assert done.stdout == ""  # no emulator, no `dagster` command
    assert sorted(path.name for path in tmp_path.iterdir()) == ["home"]  # no warehouse, no data dir


def test_make_dev_stops_before_starting_anything(tmp_path):
    port = free_port()
    env = environment(tmp_path, LIVEPERSON_TIMEZONE="Mars/Phobos")
    done = run([sys.executable, str(PROJECT_ROOT / "scripts" / "dev.py"), "--port", str(port)], env, tmp_path)
    assert done.returncode == 2
    assert_one_line(done, f"make dev: {BAD_TIMEZONE}")
    assert done.stdout == ""  # no emulator, no dagster dev
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # still free: no UI was started


def test_the_hook_prints_a_settings_error_as_its_line_and_leaves_other_errors_to_the_previous_hook(monkeypatch,
                                                                                                 capsys):
    passed_on = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, traceback: passed_on.append(error))
    print_settings_errors_without_traceback()
    print_settings_errors_without_traceback()  # the definitions loaded again: still one hook
    sys.excepthook(SettingsError, SettingsError(BAD_TIMEZONE), None)
    bug = KeyError("bug")
    sys.excepthook(KeyError, bug, None)
    assert capsys.readouterr().err == f"liveperson-dagster: {BAD_TIMEZONE}\n"
    assert passed_on == [bug]


def test_the_dagster_cli_prints_one_line_naming_the_account_and_entry_of_a_bad_accounts_file(tmp_path):
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("accounts:\n  brand_a:\n    account_id: '1'\n    credentials: BRAND_A\n"
                        "  brand_b:\n    account_id: '2'\n    credentials: BRAND_B\n    timezone: Mars/Phobos\n")
    env = environment(tmp_path, LIVEPERSON_ACCOUNTS_FILE=str(accounts),
                      LIVEPERSON_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"))
    done = run([DAGSTER, "asset", "materialize", "-m", DEFINITIONS, "--select", "liveperson/brand_a/users"], env,
               PROJECT_ROOT)
    assert done.returncode != 0
    assert_one_line(done, f"liveperson-dagster: LIVEPERSON_ACCOUNTS_FILE={accounts}: account 'brand_b': "
                          "timezone='Mars/Phobos' is invalid: expected an IANA time zone like Europe/Paris")
