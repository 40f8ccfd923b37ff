import socket
from datetime import date

import pytest

from liveperson_emulator import Emulator, EmulatorConfig
from liveperson_dagster.liveperson import HttpSettings, LivePersonConnection

# Retries as in production, only with pauses short enough for a test suite.
FAST_HTTP = HttpSettings(
    request_timeout_seconds=5.0,
    max_attempts=6,
    backoff_base_seconds=0.005,
    max_backoff_seconds=0.05,
    min_rate_limit_wait_seconds=0.005,
)

FIRST_DAY = date(2026, 11, 1)
LAST_DAY = date(2026, 11, 10)


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


def connection_for(emulator: Emulator, oauth2: bool = False, http: HttpSettings = FAST_HTTP) -> LivePersonConnection:
    return LivePersonConnection.from_env(emulator.env(oauth2=oauth2), http=http)


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False
