"""The one bounded wait every lock and slot uses (liveperson/waiting.py), on a fake clock: when it reports, when it
gives up, and what it returns."""

import pytest

from liveperson_dagster.liveperson.waiting import seconds_text, wait_for


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def attempts_until(success_at: int):
    tries = []

    def attempt():
        tries.append(len(tries))
        return "got it" if len(tries) >= success_at else None
    return attempt, tries


def test_an_attempt_that_succeeds_at_once_neither_waits_nor_reports():
    fake, reports = FakeTime(), []
    attempt, tries = attempts_until(1)
    assert wait_for(attempt, timeout_seconds=10, report=lambda *a: reports.append(a), gave_up=RuntimeError,
                    poll_seconds=1, report_every_seconds=5, clock=fake.clock, sleep=fake.sleep) == ("got it", None)
    assert (tries, reports, fake.slept) == ([0], [], [])


def test_it_reports_at_once_then_every_period_and_returns_the_time_waited():
    fake, reports = FakeTime(), []
    attempt, tries = attempts_until(13)  # fails 12 times, one second apart
    result = wait_for(attempt, timeout_seconds=60, report=lambda waited, again: reports.append((waited, again)),
                      gave_up=RuntimeError, poll_seconds=1, report_every_seconds=5, clock=fake.clock,
                      sleep=fake.sleep)
    assert result == ("got it", 12.0)
    assert reports == [(0.0, False), (5.0, True), (10.0, True)]
    assert fake.slept == [1] * 12


def test_a_first_report_can_wait_and_the_pause_can_vary():
    fake, reports, pauses = FakeTime(), [], iter([0.5, 1.5] * 20)
    attempt, _ = attempts_until(10)
    _, waited = wait_for(attempt, timeout_seconds=60, report=lambda waited, again: reports.append((waited, again)),
                         gave_up=RuntimeError, poll_seconds=lambda: next(pauses), report_every_seconds=3,
                         first_report_after=3, clock=fake.clock, sleep=fake.sleep)
    assert fake.slept == [0.5, 1.5] * 4 + [0.5]
    assert reports == [(4.0, False), (8.0, True)] and waited == 8.5


def test_it_gives_up_with_the_callers_error_after_the_timeout_and_never_sleeps_past_it():
    fake, reports = FakeTime(), []
    attempt, tries = attempts_until(10**6)
    with pytest.raises(TimeoutError, match=r"^gave up after 2\.5 s$"):
        wait_for(attempt, timeout_seconds=2.5, report=lambda *a: reports.append(a),
                 gave_up=lambda waited: TimeoutError(f"gave up after {seconds_text(waited)} s"), poll_seconds=1,
                 report_every_seconds=60, clock=fake.clock, sleep=fake.sleep)
    assert fake.slept == [1, 1, 0.5] and len(tries) == 4 and reports == [(0.0, False)]


def test_seconds_are_written_with_one_decimal_and_none_when_whole():
    assert [seconds_text(value) for value in (3.0, 2.5, 0.04, 150)] == ["3", "2.5", "0", "150"]
