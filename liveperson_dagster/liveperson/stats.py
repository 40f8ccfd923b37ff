"""Counters of what a run did against LivePerson: requests, pages, records and retries by kind."""

import threading
from collections import Counter


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._retries: Counter = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def retried(self, kind: str) -> None:
        with self._lock:
            self._retries[kind] += 1

    def count(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    @property
    def retries(self) -> dict:
        with self._lock:
            return dict(self._retries)

    def snapshot(self) -> dict:
        with self._lock:
            return {**self._counts, "retries": dict(self._retries), "retries_total": sum(self._retries.values())}
