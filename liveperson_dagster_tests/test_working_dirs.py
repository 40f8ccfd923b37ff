"""A killed run's dlt working dir (conversation data) is removed by a later run; a live run's never is."""

import fcntl
import os
import time

from liveperson_dagster.working_dirs import ABANDONED_AFTER_SECONDS, OWNER_LOCK, PREFIX, remove_abandoned_dirs


def make_dir(parent, name, age_seconds):
    path = parent / f"{PREFIX}{name}"
    (path / "load").mkdir(parents=True)
    (path / OWNER_LOCK).touch()
    (path / "load" / "conversations.parquet").write_bytes(b"customer data")
    old = time.time() - age_seconds
    os.utime(path, (old, old))
    return path


def test_only_old_dirs_that_no_live_run_holds_are_removed(tmp_path):
    abandoned = make_dir(tmp_path, "aaaaaaaa-1", ABANDONED_AFTER_SECONDS + 60)
    live = make_dir(tmp_path, "bbbbbbbb-1", ABANDONED_AFTER_SECONDS + 60)
    starting = make_dir(tmp_path, "cccccccc-1", 5)
    other = tmp_path / "some-other-dir"
    other.mkdir()
    with open(live / OWNER_LOCK, "a") as owner:  # a live run holds its lock
        fcntl.flock(owner, fcntl.LOCK_EX)
        removed = remove_abandoned_dirs(tmp_path)
    assert removed == [abandoned]
    assert not abandoned.exists()
    assert live.exists() and starting.exists() and other.exists()
