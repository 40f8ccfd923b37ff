"""Fixtures of the test suite (the helpers are in helpers.py), and the suite's independence from the environment
it was started in: LIVEPERSON_* settings, dlt's configuration variables and DAGSTER_HOME of the shell (or of
`make test`) never reach a test; tests that need one set it themselves."""

import re

import pytest

from liveperson_emulator import Emulator, EmulatorConfig

from .helpers import CHROMIUM_ARGS, FIRST_DAY, LAST_DAY, remove_outside_settings, require_chromium

_SESSION_ENVIRONMENT = pytest.StashKey[pytest.MonkeyPatch]()


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
def hermetic_environment(monkeypatch):
    """Before each test: no outside setting (helpers.is_outside_setting), whatever set one since the session
    started (a fixture, the product in an earlier test); put back after the test."""
    remove_outside_settings(monkeypatch)


@pytest.fixture
def start_emulator():
    """Starts in-process emulators on free loopback ports; all are stopped after the test."""
    started = []

    def start(**overrides) -> Emulator:
        settings = {"first_day": FIRST_DAY, "last_day": LAST_DAY, "conversations_per_day": 30, **overrides}
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
