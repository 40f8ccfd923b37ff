"""The suite does not depend on the environment it was started in: LIVEPERSON_* settings (but the suite's own
LIVEPERSON_REQUIRE_POSTGRES and _CHROMIUM), dlt's configuration variables and DAGSTER_HOME never reach a test."""

import os
import subprocess
import sys

import pytest

from .helpers import PROJECT_ROOT, SUITE_VARIABLES, is_outside_setting

# What a developer's shell might hold.
PLANTED = {
    "LIVEPERSON_TIMEZONE": "Asia/Kathmandu",
    "LIVEPERSON_START_DATE": "2020-01-01",
    "LIVEPERSON_DESTINATION": "postgres",
    "NORMALIZE__WORKERS": "1",
    "DESTINATION__POSTGRES__CREDENTIALS": "postgresql://someone:secret@db.example.com/warehouse",
    "DLT_DATA_DIR": "/nonexistent/dlt",
    "DAGSTER_HOME": "/nonexistent/dagster_home",
}


def assert_no_outside_setting() -> None:
    assert not [name for name in os.environ if name.startswith("LIVEPERSON_") and name not in SUITE_VARIABLES]
    for name in PLANTED:
        assert name not in os.environ, name
    assert not [name for name in os.environ if is_outside_setting(name)]


def test_no_outside_setting_is_seen_by_a_test():
    assert_no_outside_setting()


@pytest.fixture(scope="module")
def planted_before_the_test():
    """Settings put into os.environ outside any test, as a fixture of a wider scope or the product might."""
    saved = {name: os.environ.get(name) for name in PLANTED}
    os.environ.update(PLANTED)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_settings_made_after_the_session_started_are_removed_before_each_test(planted_before_the_test):
    assert_no_outside_setting()


def test_settings_of_the_shell_reach_neither_the_tests_nor_the_definitions():
    """A pytest started with the settings in its environment: the definitions (which read LIVEPERSON_* when they
    load) and the tests do not see them."""
    tests = ["liveperson_dagster_tests/test_hermetic.py::test_no_outside_setting_is_seen_by_a_test",
             # UTC partitions from 2026-01-01, not LIVEPERSON_TIMEZONE's or LIVEPERSON_START_DATE's.
             "liveperson_dagster_tests/test_defs.py::test_daily_assets_are_daily_partitions_and_a_range_is_one_run"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                         env={**os.environ, **PLANTED}, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]


@pytest.mark.parametrize("name, removed", [
    ("LIVEPERSON_TIMEZONE", True), ("LIVEPERSON_APP_SECRET", True), ("LIVEPERSON__DESTINATION__X", True),
    ("LIVEPERSON_REQUIRE_POSTGRES", False), ("LIVEPERSON_REQUIRE_CHROMIUM", False),
    ("NORMALIZE__WORKERS", True), ("DESTINATION__POSTGRES__CREDENTIALS", True), ("DATA_WRITER__FILE_MAX_ITEMS", True),
    ("SOURCES__DATA_WRITER__FILE_MAX_ITEMS", True), ("LOAD__WORKERS", True), ("EXTRACT__WORKERS", True),
    ("RUNTIME__LOG_LEVEL", True), ("PIPELINES__DEV_MODE", True), ("SCHEMA__NAMING", True),
    ("DLT_DATA_DIR", True), ("DAGSTER_HOME", True),
    ("PATH", False), ("HOME", False), ("TMPDIR", False), ("DAGSTER_PG_HOST", False), ("NORMALIZE", False),
    ("MY_APP__SETTING", False), ("PYTEST_ADDOPTS", False),
])
def test_which_variables_are_outside_settings(name, removed):
    assert is_outside_setting(name) is removed
