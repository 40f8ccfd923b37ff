"""One limiter per run for the whole LivePerson account: concurrent requests, request rate, and 429 pauses; with
RequestSlots, the requests in flight of every run on the machine together stay within the account's budget."""

import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator, Optional

from .slots import RequestSlots


class AccountLimiter:
    """Bounds the requests in flight and their rate; a 429 pauses every thread, not just the one that got it.

    With `slots`, a request also holds one of the machine's slots of the account while it is in flight. It takes
    it last, after its place among the run's own threads and its turn (rate, 429 pause): a run never has more
    than `max_concurrent_requests` threads after the slots, and does not hold one while it waits. The rate cap and
    the 429 pause stay the run's own."""

    def __init__(
        self,
        max_concurrent_requests: int,
        requests_per_second: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        slots: Optional[RequestSlots] = None,
    ) -> None:
        self._threads = threading.BoundedSemaphore(max_concurrent_requests)
        self._machine_slots = slots
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._paused_until = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._threads:
            self._wait_for_turn()
            with self._machine_slots.hold() if self._machine_slots else nullcontext():
                yield

    def pause(self, seconds: float) -> None:
        """Holds back every request of the run for `seconds` (called on a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _wait_for_turn(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                start = max(now, self._paused_until, self._next_start)
                if start <= now:
                    self._next_start = now + self._interval
                    return
            self._sleep(start - now)
