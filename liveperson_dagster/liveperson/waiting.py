"""Waiting for something another process holds (a lock, a request slot, a file): try, say so while waiting, give up.

Every wait of the project is bounded and never silent: `wait_for` polls `attempt` until it returns something,
reports the wait (first at `first_report_after`, then every `report_every_seconds`) and raises what `gave_up`
makes once `timeout_seconds` have passed."""

import fcntl
import time
from typing import Callable, Optional, Tuple, TypeVar, Union

T = TypeVar("T")


def seconds_text(value: float) -> str:
    """Seconds as the wait messages write them: one decimal, none when whole."""
    return f"{value:.1f}".removesuffix(".0")


def wait_for(attempt: Callable[[], Optional[T]], *, timeout_seconds: float,
             report: Callable[[float, bool], None], gave_up: Callable[[float], BaseException],
             poll_seconds: Union[float, Callable[[], float]], report_every_seconds: float,
             first_report_after: float = 0.0, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> Tuple[T, Optional[float]]:
    """`attempt()`'s first result other than None, and the seconds waited for it (None if the wait was not reported).

    `report(waited, again)` says that the wait goes on (`again`: it was said before); `gave_up(waited)` is the error
    raised once `attempt` has failed for `timeout_seconds`."""
    start, next_report, reported = clock(), first_report_after, False
    while (result := attempt()) is None:
        waited = clock() - start
        if waited >= timeout_seconds:
            raise gave_up(waited)
        if waited >= next_report:
            report(waited, reported)
            reported, next_report = True, waited + report_every_seconds
        pause = poll_seconds() if callable(poll_seconds) else poll_seconds
        sleep(min(pause, timeout_seconds - waited))
    return result, clock() - start if reported else None


def try_flock(file) -> Optional[bool]:
    """True once `file` (a descriptor or an open file) is locked exclusively, None while another holds it."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return None
