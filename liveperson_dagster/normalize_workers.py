"""How many dlt normalize worker processes a run uses, from the number of conversations it fetched.

dlt's normalize step is pure Python: on 2 cores, two worker processes normalize 19,000 conversations about a
third faster (benchmarks/). Starting a worker costs about a second, which a small run would only lose. dlt reads
`NORMALIZE__WORKERS` when its normalize step starts, after the extract: the run sets it while fetching, once
the count is known. A number the user chose (`NORMALIZE__WORKERS`, or the warehouse's `normalize_workers`) wins.
"""

import os
from typing import Optional

from .liveperson import RequestStats
from .settings import RunVariables

WORKERS_VARIABLE = "NORMALIZE__WORKERS"
MAX_WORKERS = 4
# Below this, a run normalizes in about 3 s in one process: workers would cost about as much as they save.
MIN_CONVERSATIONS_FOR_WORKERS = 5000


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
    """Keeps `NORMALIZE__WORKERS` in step with the conversations fetched so far (call `observe` with the stats).

    A number the user chose (a NORMALIZE__WORKERS variable, else `chosen`) is used as it is."""

    def __init__(self, chosen: Optional[int], variables: RunVariables) -> None:
        user_value = variables.user_value(WORKERS_VARIABLE)
        self._chosen = int(user_value) if user_value and user_value.isdigit() else chosen
        self._variables = variables
        self._cores = usable_cores()
        self.workers = self._chosen or 1
        if self._chosen:
            variables.set(WORKERS_VARIABLE, str(self._chosen))

    def observe(self, stats: RequestStats) -> None:
        if self._chosen:
            return
        workers = workers_for(stats.count("conversations"), self._cores)
        if workers != self.workers:
            self.workers = workers
            self._variables.set(WORKERS_VARIABLE, str(workers))
