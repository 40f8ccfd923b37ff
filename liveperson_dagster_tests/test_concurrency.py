"""Concurrent fetching within a run: bounded by one limiter per account, exact whatever the concurrency."""

import pytest

from liveperson_emulator import Faults
from liveperson_dagster.liveperson import HttpSettings, LivePersonClient, Window
from liveperson_dagster.liveperson.slots import AccountLimiter

from .helpers import FAST_HTTP, connection_for, utc_window

WINDOW = Window(*utc_window("2026-11-02", "2026-11-03"))


@pytest.mark.parametrize("concurrency", [1, 3])
def test_pages_are_fetched_with_exactly_the_configured_concurrency(start_emulator, concurrency):
    emulator = start_emulator(conversations_per_day=600, latency_ms=40)
    http = HttpSettings(**{**FAST_HTTP.__dict__, "max_concurrent_requests": concurrency})
    client = LivePersonClient(connection_for(emulator, http=http))
    ids = [r["info"]["conversationId"] for page in client.search_conversations(WINDOW, ("summary",)) for r in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == emulator.conversation_ids(WINDOW.start, WINDOW.end)
    assert emulator.stats.snapshot()["max_in_flight"] == concurrency
    # One request per page of the (rounded) window, no page fetched twice.
    assert emulator.stats.snapshot()["requests"]["search"] == client.stats.count("pages")


def test_concurrent_fetching_survives_faults_exactly(start_emulator):
    emulator = start_emulator(conversations_per_day=800, faults=Faults(
        rate_429=0.05, rate_429_retry_after=0.05, rate_5xx=0.05, rate_partial=0.05, rate_drop=0.03,
        rate_truncated=0.03))
    http = HttpSettings(**{**FAST_HTTP.__dict__, "max_concurrent_requests": 4, "max_attempts": 12})
    client = LivePersonClient(connection_for(emulator, http=http))
    ids = [r["info"]["conversationId"] for page in client.search_conversations(WINDOW, ("summary",)) for r in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == emulator.conversation_ids(WINDOW.start, WINDOW.end)
    injected = emulator.stats.snapshot()["faults"]
    retries = client.stats.retries
    assert retries.get("http_429", 0) == injected.get("429", 0) + injected.get("429_retry_after", 0)
    assert retries.get("http_5xx", 0) == injected.get("5xx", 0)
    assert retries.get("partial", 0) == injected.get("partial", 0)
    assert retries.get("connection", 0) == injected.get("drop", 0)
    assert retries.get("invalid_json", 0) == injected.get("truncated", 0)


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_a_rate_limit_pause_holds_back_every_request_of_the_run():
    time = FakeTime()
    limiter = AccountLimiter(4, clock=time.clock, sleep=time.sleep)
    limiter.pause(2.5)
    with limiter.slot():
        pass
    with limiter.slot():
        pass
    assert time.sleeps == [2.5]


def test_the_requests_per_second_cap_spaces_requests():
    time = FakeTime()
    limiter = AccountLimiter(4, requests_per_second=5, clock=time.clock, sleep=time.sleep)
    for _ in range(4):
        with limiter.slot():
            pass
    assert time.sleeps == [0.2, 0.2, 0.2]
