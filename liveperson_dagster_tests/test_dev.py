"""`make dev`: a port in use is reported before anything starts; otherwise the UI serves the project from
workspace.yaml (no temporary workspace file left behind), and SIGTERM stops dagster dev and the emulator."""

import os
import signal
import socket
import subprocess
import sys

import psutil

from .helpers import PROJECT_ROOT, free_port, graphql, wait_until

DEV = [sys.executable, str(PROJECT_ROOT / "scripts" / "dev.py")]


def is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:  # gone (also between listing it and asking)
        return False


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


def test_dev_serves_the_project_and_sigterm_leaves_nothing_behind(tmp_path):
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "TMPDIR": str(scratch)}
    process = subprocess.Popen([*DEV, "--port", str(port)], env=env, cwd=PROJECT_ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def assets():
            try:
                return graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
            except (OSError, AssertionError):  # not listening yet, or errors while the code location loads
                return None

        nodes = wait_until(assets, 180, "the Dagster UI of make dev", interval=0.5, process=process)
        assert ["liveperson", "agent_status_changes"] in [node["assetKey"]["path"] for node in nodes]
        started = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)  # dagster dev shuts down gracefully (exit 0), then the emulator stops
        wait_until(lambda: not [pid for pid in started if is_running(pid)], 60, "every child to stop")
        assert list(scratch.rglob("workspace.yaml")) == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
