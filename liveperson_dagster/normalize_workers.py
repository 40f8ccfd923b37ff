"""How many dlt normalize worker processes a run uses, from the number of conversations it fetched.

dlt's normalize step is pure Python: on 2 cores, two worker processes normalize 19,000 conversations about a
third faster (benchmarks/). Starting a worker costs about a second, which a small run would only lose. dlt reads
`NORMALIZE__WORKERS` when its normalize step starts, after the extract: the run sets it while fetching, once
the count is known. A `NORMALIZE__WORKERS` set by the user wins.
"""

import os
from contextlib import contextmanager
from typing import Iterator

from .liveperson import RequestStats

WORKERS_VARIABLE = "NORMALIZE__WORKERS"
START_METHOD_VARIABLE = "NORMALIZE__START_METHOD"
MAX_WORKERS = 4
# Below this, a run normalizes in about 3 s in one process: workers would cost about as much as they save.
MIN_CONVERSATIONS_FOR_WORKERS = 5000
# Fresh interpreters: forking a process with live threads (Dagster's, the fetch pool's) can deadlock the child.
START_METHOD = "spawn"


def usable_cores() -> int:
    """The cores this process may run on (a CPU set, unlike `os.cpu_count()`; a container's CPU quota is not seen)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def workers_for(conversations: int, cores: int) -> int:
    if conversations < MIN_CONVERSATIONS_FOR_WORKERS:
        return 1
    return max(1, min(cores, MAX_WORKERS))


class NormalizeWorkers:
    """Keeps `NORMALIZE__WORKERS` in step with the conversations fetched so far (call `observe` with the stats)."""

    def __init__(self) -> None:
        user_value = os.environ.get(WORKERS_VARIABLE, "").strip()
        self._user_set = bool(user_value)
        self._cores = usable_cores()
        self.workers = int(user_value) if user_value.isdigit() else 1

    def observe(self, stats: RequestStats) -> None:
        if self._user_set:
            return
        workers = workers_for(stats.count("conversations"), self._cores)
        if workers != self.workers:
            self.workers = workers
            os.environ[WORKERS_VARIABLE] = str(workers)
            os.environ.setdefault(START_METHOD_VARIABLE, START_METHOD)


@contextmanager
def normalize_workers_by_volume() -> Iterator[NormalizeWorkers]:
    """For one run: dlt's normalize variables as they were are restored afterwards."""
    saved = {name: os.environ.get(name) for name in (WORKERS_VARIABLE, START_METHOD_VARIABLE)}
    try:
        yield NormalizeWorkers()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
