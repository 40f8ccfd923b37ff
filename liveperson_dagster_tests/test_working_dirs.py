"""A killed process's dlt working dir (a run's: conversation data; a check's read) is removed by the next dir of its
kind; a live owner's never is; a normal end leaves nothing; loading the definitions makes no dir at all."""

import fcntl
import os
import subprocess
import sys
import time

import pytest

from liveperson_dagster.runs.working_dirs import (
    ABANDONED_AFTER_SECONDS, OWNER_LOCK, READ_PREFIX, RUN_PREFIX, remove_abandoned_dirs,
)

from .helpers import PROJECT_ROOT, kill_group, wait_until


def make_dir(parent, name, age_seconds):
    path = parent / f"{RUN_PREFIX}{name}"
    (path / "load").mkdir(parents=True)
    (path / OWNER_LOCK).touch()
    (path / "load" / "conversations.parquet").write_bytes(b"customer data")
    make_old(path, age_seconds)
    return path


def make_old(path, age_seconds):
    old = time.time() - age_seconds
    os.utime(path, (old, old))


def test_only_old_dirs_that_no_live_run_holds_are_removed(tmp_path):
    abandoned = make_dir(tmp_path, "aaaaaaaa-1", ABANDONED_AFTER_SECONDS + 60)
    live = make_dir(tmp_path, "bbbbbbbb-1", ABANDONED_AFTER_SECONDS + 60)
    starting = make_dir(tmp_path, "cccccccc-1", 5)
    other = tmp_path / "some-other-dir"
    other.mkdir()
    with open(live / OWNER_LOCK, "a") as owner:  # a live run holds its lock
        fcntl.flock(owner, fcntl.LOCK_EX)
        removed = remove_abandoned_dirs(tmp_path, [RUN_PREFIX])
    assert removed == [abandoned]
    assert not abandoned.exists()
    assert live.exists() and starting.exists() and other.exists()


def test_only_dirs_of_the_given_kinds_are_removed(tmp_path):
    run_dir = make_dir(tmp_path, "aaaaaaaa-1", ABANDONED_AFTER_SECONDS + 60)
    read_dir = tmp_path / f"{READ_PREFIX}1"
    read_dir.mkdir()
    make_old(read_dir, ABANDONED_AFTER_SECONDS + 60)
    assert remove_abandoned_dirs(tmp_path, [READ_PREFIX]) == [read_dir]
    assert run_dir.exists()


def subprocess_env(tmp_path) -> dict:
    """Nothing of the tests' environment but PATH: a temp dir and a home of the test's own."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    (tmp_path / "home").mkdir(exist_ok=True)
    return {"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path / "tmp"), "HOME": str(tmp_path / "home")}


# Holds the working dir of a run or of a read (asset checks), as the product makes it, until stdin is closed.
HOLDER = """
import sys
from liveperson_dagster.resources import LivePersonWarehouse

kind, database = sys.argv[1:]
warehouse = LivePersonWarehouse(duckdb_path=database)
with warehouse.pipeline_for_run("0123456789abcdef", print) if kind == "run" else warehouse.sql_client("test", print):
    print("holding", flush=True)
    sys.stdin.readline()
"""
PREFIXES = {"run": RUN_PREFIX, "read": READ_PREFIX}


def dirs(tmp_path, kind: str) -> set:
    return set((tmp_path / "tmp").glob(f"{PREFIXES[kind]}*"))


class Holder:
    """A process holding a dir of `kind` (its own warehouse file: a load's writer lock would make it wait)."""

    def __init__(self, tmp_path, kind: str, name: str):
        self.log = tmp_path / f"{name}.log"
        before = dirs(tmp_path, kind)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", HOLDER, kind, str(tmp_path / f"{name}.duckdb")], env=subprocess_env(tmp_path),
                cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: "holding" in self.log.read_text(), 120, f"{name} to hold its dir",
                       process=self.process, log=self.log)
        except AssertionError:
            kill_group(self.process)
            raise
        (self.dir,) = dirs(tmp_path, kind) - before

    def release(self):
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0, self.log.read_text()


@pytest.mark.parametrize("kind", ["run", "read"])
def test_a_killed_owners_dir_is_removed_by_the_next_one_once_old_and_a_live_owners_never(tmp_path, kind):
    live = Holder(tmp_path, kind, "live")
    try:
        killed = Holder(tmp_path, kind, "killed")
        kill_group(killed.process)
        assert dirs(tmp_path, kind) == {live.dir, killed.dir}
        make_old(live.dir, ABANDONED_AFTER_SECONDS + 60)
        make_old(killed.dir, ABANDONED_AFTER_SECONDS + 60)

        Holder(tmp_path, kind, "next").release()
        # The killed owner's dir is gone and the next one's was removed when it ended; the live owner's is kept.
        assert dirs(tmp_path, kind) == {live.dir}
    finally:
        live.release()
    assert dirs(tmp_path, kind) == set()


def test_loading_the_definitions_makes_no_dir(tmp_path):
    env = subprocess_env(tmp_path)
    script = ("import os; from dagster import AssetKey; from liveperson_dagster.definitions import defs; "
              "node = defs.resolve_asset_graph().get(AssetKey(['liveperson', 'conversations'])); "
              "print(sorted(node.kinds), os.listdir(os.environ['TMPDIR']), os.listdir(os.environ['HOME']))")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    # While loaded, and after: nothing in the temp dir or the home; the assets still name their destination.
    assert done.stdout.strip() == "['dlt', 'duckdb', 'liveperson'] [] []"
    assert os.listdir(tmp_path / "tmp") == [] and os.listdir(tmp_path / "home") == []
