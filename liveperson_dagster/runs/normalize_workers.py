"""dlt's normalize worker processes of a run: one unless the user chose more.

The conversations reach dlt as Arrow tables (liveperson/columnar.py), whose normalize step only moves files: worker
processes (fresh interpreters, about a second and 190 MB each) would cost more than they save. Chats still go through
dlt's row normalizer, a small share of a run. A number the user chose (`NORMALIZE__WORKERS`, or the warehouse's
`normalize_workers`) is used as it is; dlt's workers then die with the run (`workers_die_with_run`).
"""

import ctypes
import os
import signal
from contextlib import contextmanager
from typing import ClassVar, Iterator, Optional

from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.base_configuration import ContainerInjectableContext, configspec

from .dlt_run_config import DltRunConfig

WORKERS_VARIABLE = "NORMALIZE__WORKERS"


class NormalizeWorkers:
    """The run's normalize workers: a NORMALIZE__WORKERS variable the user set, else `chosen`, else one."""

    def __init__(self, chosen: Optional[int], variables: DltRunConfig) -> None:
        user_value = variables.user_value(WORKERS_VARIABLE)
        self.workers = int(user_value) if user_value and user_value.isdigit() else chosen or 1
        if not user_value:
            variables.set(WORKERS_VARIABLE, str(self.workers))


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
