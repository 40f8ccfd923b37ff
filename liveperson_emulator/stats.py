"""Thread-safe request, fault and authentication counters."""

import threading
from collections import Counter


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._events: Counter[str] = Counter()
        self._in_flight = 0
        self._max_in_flight = 0

    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def request_finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def count_request(self, endpoint: str) -> None:
        with self._lock:
            self._requests[endpoint] += 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def count(self, event: str) -> None:
        """oauth1_rejected, bearer_rejected, unauthenticated, tokens_issued."""
        with self._lock:
            self._events[event] += 1

    def reset(self) -> None:
        """Counts from zero again (the requests in flight now stay counted), for measuring one phase at a time."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._events.clear()
            self._max_in_flight = self._in_flight

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "faults": dict(self._faults),
                "oauth1_rejected": self._events["oauth1_rejected"],
                "bearer_rejected": self._events["bearer_rejected"],
                "unauthenticated": self._events["unauthenticated"],
                "tokens_issued": self._events["tokens_issued"],
                "max_in_flight": self._max_in_flight,
            }

    def __getitem__(self, key: str):
        return self.snapshot()[key]

    def get(self, key: str, default=None):
        return self.snapshot().get(key, default)
