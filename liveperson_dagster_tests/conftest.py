"""Fixtures of the test suite (the helpers are in helpers.py), and the suite's independence from the environment
it was started in: LIVEPERSON_* settings, dlt's configuration variables and DAGSTER_HOME of the shell (or of
`make test`) never reach a test; tests that need one set it themselves."""

import re
import tempfile

import psutil
import pytest

from liveperson_emulator import Emulator, EmulatorConfig

from .helpers import CHROMIUM_ARGS, EMULATOR_SETTINGS, remove_outside_settings, require_chromium

_SESSION_ENVIRONMENT = pytest.StashKey[pytest.MonkeyPatch]()
# End-to-end modules (a wheel installed, the README's recipes, the dagster CLI, the webserver and daemon, dbt on
# three warehouses, runs killed): `make test` runs them, `make test-fast` (-m "not slow") leaves them out.
SLOW_MODULES = frozenset({
    "test_install", "test_readme", "test_dg", "test_production", "test_marts", "test_kill_rerun", "test_updates",
    "test_postgres_concurrency", "test_account_budget", "test_credentials_and_secrets", "test_duckdb_readers",
    "test_replacement", "test_cli_and_ui", "test_postgres", "test_config_errors", "test_dev", "test_several_accounts",
    "test_readme_accounts",
})


# The longest modules first (make test runs whole modules per worker, --dist loadfile, in this order with
# --no-loadscope-reorder: a module's shared fixtures, like the marts' warehouses, are built once): a long module
# started last would leave the other worker idle.
LONGEST_FIRST = ("test_marts", "test_readme", "test_several_accounts", "test_install", "test_kill_rerun",
                 "test_credentials_and_secrets", "test_account_assets", "test_readme_accounts", "test_updates",
                 "test_dg", "test_production", "test_replacement", "test_account_budget", "test_postgres",
                 "test_postgres_concurrency")


def pytest_collection_modifyitems(config, items):
    def module(item) -> str:
        return item.module.__name__.rsplit(".", 1)[-1]

    for item in items:
        if module(item) in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(module(item), len(rank)))  # stable: the rest keep their order


def pytest_configure(config):
    # Once for the session, before the test modules are imported: the definitions read LIVEPERSON_* when they
    # load, and fixtures of a module or session scope are set up before the per-test fixture below.
    monkeypatch = pytest.MonkeyPatch()
    remove_outside_settings(monkeypatch)
    config.stash[_SESSION_ENVIRONMENT] = monkeypatch


def pytest_unconfigure(config):
    monkeypatch = config.stash.get(_SESSION_ENVIRONMENT, None)
    if monkeypatch is not None:
        monkeypatch.undo()


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch, tmp_path_factory):
    """Before each test: no outside setting (helpers.is_outside_setting), whatever set one since the session
    started (a fixture, the product in an earlier test); put back after the test. The test and the processes it
    starts get a temp dir of their own (TMPDIR), so what the product keeps there, the account's request slots
    among it, is shared with no other test, checkout or user of the machine."""
    remove_outside_settings(monkeypatch)
    own_temp = str(tmp_path_factory.mktemp("tmp"))
    monkeypatch.setenv("TMPDIR", own_temp)
    monkeypatch.setattr(tempfile, "tempdir", own_temp)


# Started once per process by multiprocessing (dlt's normalize workers) and kept for the next pool: not a leak.
_LONG_LIVED_HELPERS = ("multiprocessing.resource_tracker",)


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """After each test, whatever it ran into: a process the test started and did not stop is stopped here, and
    the test fails naming it."""
    yield
    me = psutil.Process()
    children = [child for child in me.children(recursive=True) if _running(child) and not _is_long_lived_helper(child)]
    if not children:
        return
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(children, timeout=30)
    left = [f"{child.pid} {' '.join(_cmdline(child))[:160]}" for child in children]
    pytest.fail(f"the test left {len(left)} process(es) running, now killed ({len(alive)} survived):\n" + "\n".join(left))


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie has ended, only not been waited for
    except psutil.NoSuchProcess:
        return False


def _cmdline(process: psutil.Process) -> list:
    try:
        return process.cmdline()
    except psutil.Error:
        return ["?"]


def _is_long_lived_helper(process: psutil.Process) -> bool:
    return any(helper in " ".join(_cmdline(process)) for helper in _LONG_LIVED_HELPERS)


@pytest.fixture
def start_emulator():
    """Starts in-process emulators on free loopback ports; all are stopped after the test."""
    started = []

    def start(**overrides) -> Emulator:
        settings = {**EMULATOR_SETTINGS, **overrides}
        emulator = Emulator(EmulatorConfig(**settings))
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(start_emulator) -> Emulator:
    return start_emulator()


@pytest.fixture
def browser_page():
    """A page of headless Chromium driven by Playwright, and the list of URLs it requested. Requests that leave
    the machine's files are refused (a page that needs the network shows it)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            requested = []
            context.on("request", lambda request: requested.append(request.url))
            context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
            yield context.new_page(), requested
        finally:
            browser.close()
