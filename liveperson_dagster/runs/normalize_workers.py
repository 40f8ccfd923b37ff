"""How many dlt normalize worker processes a run uses, from the number of conversations it fetched.

dlt's normalize step is pure Python: on 2 cores, two worker processes normalize 19,000 conversations about a
third faster (benchmarks/). Starting a worker costs about a second, which a small run would only lose. dlt reads
`NORMALIZE__WORKERS` when its normalize step starts, after the extract: the run sets it (in its dlt settings,
dlt_run_config.py) while fetching, once the count is known. A number the user chose (`NORMALIZE__WORKERS`, or the
warehouse's `normalize_workers`) wins.
"""

import ctypes
import os
import signal
from contextlib import contextmanager
from typing import ClassVar, Iterator, Optional

from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.base_configuration import ContainerInjectableContext, configspec

from ..liveperson import RequestStats
from .dlt_run_config import DltRunConfig

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

    def __init__(self, chosen: Optional[int], variables: DltRunConfig) -> None:
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


PR_SET_PDEATHSIG = 1  # linux/prctl.h


@configspec
class WorkersDieWithRun(ContainerInjectableContext):
    """Makes dlt's normalize workers die with the run's process. A process pool has no parent-death check: killed
    (SIGKILL, out of memory), a run would leave its idle workers running, adopted by init, for good. dlt hands the
    contexts marked `worker_affinity` to each worker it starts, where `after_add` runs."""

    worker_affinity: ClassVar[bool] = True
    run_pid: int = None

    def after_add(self) -> None:
        if self.run_pid is None or os.getpid() == self.run_pid:
            return  # in the run's own process
        libc = ctypes.CDLL(None, use_errno=True)
        # The kernel sends SIGKILL when the thread that started this worker ends: the run's normalize call, which
        # outlives its pool.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.run_pid:
            os._exit(1)  # the run died before the signal was armed


@contextmanager
def workers_die_with_run() -> Iterator[None]:
    """For the block: normalize workers started by this process are killed when it dies (Linux)."""
    if not hasattr(os, "sched_getaffinity"):  # not Linux: no prctl
        yield
        return
    container = Container()
    container[WorkersDieWithRun] = WorkersDieWithRun(run_pid=os.getpid())
    try:
        yield
    finally:
        del container[WorkersDieWithRun]
