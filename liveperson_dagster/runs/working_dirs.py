"""The project's dlt working dirs in the temp dir: one per run (`liveperson-dlt-run-<run id 8>-*`, conversation data
in load packages) and one per read of the warehouse (`liveperson-dlt-read-*`, the asset checks). Each is locked by
its owner while in use and removed when done. A process killed from outside leaves its dir behind: making a dir of a
kind removes the abandoned dirs of that kind, recognized by an owner lock that no live process holds any more."""

import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

RUN_PREFIX = "liveperson-dlt-run-"
READ_PREFIX = "liveperson-dlt-read-"
OWNER_LOCK = ".owner.lock"
# A dir younger than this is left alone even when unlocked: its owner may not have taken its lock yet.
ABANDONED_AFTER_SECONDS = 600


@contextmanager
def owned_temp_dir(prefix: str, label: str = "") -> Iterator[str]:
    """A fresh dir `<prefix><label>*` in the temp dir, locked while in use and removed after; first removes the
    abandoned dirs of `prefix`."""
    remove_abandoned_dirs(Path(tempfile.gettempdir()), [prefix])
    path = tempfile.mkdtemp(prefix=f"{prefix}{label}")
    with open(os.path.join(path, OWNER_LOCK), "w") as owner:
        fcntl.flock(owner, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


def remove_abandoned_dirs(parent: Path, prefixes: Iterable[str]) -> list:
    """Removes the dirs `<prefix>*` of `parent` older than ABANDONED_AFTER_SECONDS whose lock no process holds."""
    removed = []
    now = time.time()
    for path in (path for prefix in prefixes for path in parent.glob(f"{prefix}*")):
        try:
            if now - path.stat().st_mtime < ABANDONED_AFTER_SECONDS:
                continue
            with open(path / OWNER_LOCK, "a") as owner:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except (BlockingIOError, FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # owned by a live process, or gone, or not ours to remove
    return removed
