"""Per-run dlt working dirs. A run killed from outside leaves its dir behind, with conversation data in it: the
next run removes such dirs, recognized by an owner lock that no live process holds any more."""

import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PREFIX = "liveperson-dlt-run-"
OWNER_LOCK = ".owner.lock"
# A dir younger than this is left alone even when unlocked: its run may not have taken its lock yet.
ABANDONED_AFTER_SECONDS = 600


@contextmanager
def run_working_dir(run_id: str) -> Iterator[str]:
    """A fresh working dir, locked while the run lives and removed when it ends."""
    remove_abandoned_dirs(Path(tempfile.gettempdir()))
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{run_id[:8]}-")
    with open(os.path.join(path, OWNER_LOCK), "w") as owner:
        fcntl.flock(owner, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


def remove_abandoned_dirs(parent: Path) -> list:
    removed = []
    now = time.time()
    for path in parent.glob(f"{PREFIX}*"):
        try:
            if now - path.stat().st_mtime < ABANDONED_AFTER_SECONDS:
                continue
            with open(path / OWNER_LOCK, "a") as owner:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except (BlockingIOError, FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # owned by a live run, or gone, or not ours to remove
    return removed
