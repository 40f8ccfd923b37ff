"""`make dev`: a port in use is reported before anything starts; SIGTERM stops it all, however it was started."""

import os
import shutil
import signal
import socket
import subprocess
import sys

import psutil

from .helpers import PROJECT_ROOT, free_port, start_logged, stop_group, tail, wait_until

DEV = [sys.executable, str(PROJECT_ROOT / "scripts" / "dev.py")]


def test_a_port_in_use_fails_at_once_naming_the_port_and_the_way_out(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*DEV, "--port", str(port)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.strip() == (f"make dev: port {port} on 127.0.0.1 is in use (another dagster dev?): stop it, "
                                   f"or choose another port, e.g. make dev PORT={port + 1}")
    assert done.stdout == ""  # nothing was started


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _signal_ignored(process: psutil.Process, signum: int) -> bool:
    status = dict(line.split(":\t", 1) for line in open(f"/proc/{process.pid}/status").read().splitlines())
    return bool(int(status["SigIgn"], 16) & (1 << (signum - 1)))


def test_make_dev_started_in_the_background_by_a_script_stops_on_sigterm_leaving_no_process(tmp_path):
    """A script's background job inherits SIGINT ignored (no job control); dagster dev maps SIGTERM to its SIGINT
    handler, so it and its services used to ignore both and had to be killed by hand."""
    port, home = free_port(), tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LIVEPERSON_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}
    log = tmp_path / "dev.log"
    script = start_logged(["sh", "-c", '"$@" & wait', "sh", *DEV, "--port", str(port)], env, log)
    started = []
    try:
        dev = wait_until(lambda: next(iter(psutil.Process(script.pid).children()), None), 60, "scripts/dev.py",
                         process=script, log=log)
        wait_until(lambda: _answers(port), 300, "the Dagster UI answering", process=script, log=log)
        # The webserver, the daemon and the code server they share: all of them started before the signal.
        wait_until(lambda: len(dev.children(recursive=True)) >= 5, 300, "dagster dev's services",
                   process=script, log=log)
        started = [dev, *dev.children(recursive=True)]
        dagster_dev = next(p for p in dev.children() if "dev" in p.cmdline()[1:3])
        assert not _signal_ignored(dagster_dev, signal.SIGINT)
        dev.send_signal(signal.SIGTERM)
        assert script.wait(timeout=240) == 0, tail(log)
        gone, alive = psutil.wait_procs(started, timeout=30)
        assert alive == [], f"left running: {[p.cmdline() for p in alive]}{tail(log)}"
        assert not _answers(port)
    finally:
        for process in started:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        stop_group(script)
