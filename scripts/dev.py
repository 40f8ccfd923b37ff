"""`make dev [PORT=3000]`: the local emulator and `dagster dev` (webserver and daemon) on 127.0.0.1:PORT, loading
the project from workspace.yaml. A port already in use is reported before anything starts.

SIGTERM, SIGINT (Ctrl-C) or SIGHUP stop it all, however it was started: `dagster dev` is asked to stop its services,
and whatever of its process group is left after STOP_SECONDS (or after it exited) is killed."""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from with_emulator import running_emulator  # noqa: E402

from liveperson_dagster.config import ProjectSettings, SettingsError  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# dagster dev gives its webserver and daemon 60 s each to stop before it kills them.
STOP_SECONDS = 150
# Processes of dagster dev's group still there once it has exited (a run's worker) get this long after a SIGTERM.
LEFTOVER_SECONDS = 10


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="make dev", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="port of the Dagster UI (default: %(default)s)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        print(f"make dev: PORT={args.port} is not a TCP port (1 to 65535)", file=sys.stderr)
        return 2
    try:
        ProjectSettings.from_env()  # a mistake is one line here, not a code server error in the UI
    except SettingsError as error:
        print(f"make dev: {error}", file=sys.stderr)
        return 2
    if not port_is_free(args.port):
        print(f"make dev: port {args.port} on {HOST} is in use (another dagster dev?): stop it, or choose another "
              f"port, e.g. make dev PORT={args.port + 1}", file=sys.stderr)
        return 1
    dagster = str(Path(sys.executable).with_name("dagster"))
    # workspace.yaml: dagster dev would otherwise write a temporary workspace file of its own at every start.
    command = [dagster, "dev", "-h", HOST, "-p", str(args.port), "-w", str(PROJECT_ROOT / "workspace.yaml")]
    # Started in the background by a script, this process inherits SIGINT ignored, and so would dagster dev and its
    # services, which all stop on SIGINT (dagster dev maps SIGTERM to its SIGINT handler): they would never stop.
    # A handled signal is reset to the default in a started program, an ignored one stays ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for stopping in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stopping, _exit_on_signal)  # until dagster dev runs: unwinds, the emulator is stopped
    with running_emulator() as env:
        print(f"LivePerson emulator at {env['LIVEPERSON_CSDS_URL']}; Dagster UI at http://{HOST}:{args.port}", flush=True)
        # A session of its own: a Ctrl-C reaches dagster dev once, from here, and its whole group can be found.
        dev = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, start_new_session=True)
        try:
            return _wait_stopping_on_signals(dev)
        finally:
            _end_group(dev)  # the emulator stops after this


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _wait_stopping_on_signals(dev: subprocess.Popen) -> int:
    """dagster dev's exit code. A stopping signal asks it to stop its webserver, daemon and code server (killing it
    would orphan them); if it has not within STOP_SECONDS, its group is killed."""

    def stop(signum, frame):
        # Once: a second SIGTERM would interrupt dagster dev's own shutdown, and put the deadline off.
        if not stopping:
            stopping.append(signum)
            dev.send_signal(signal.SIGTERM)
            signal.alarm(STOP_SECONDS)

    def kill(signum, frame):
        print(f"make dev: dagster dev did not stop within {STOP_SECONDS} s of the signal: killing it", file=sys.stderr)
        _signal_group(dev, signal.SIGKILL)

    stopping = []
    signal.signal(signal.SIGALRM, kill)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    return dev.wait()


def _end_group(dev: subprocess.Popen) -> None:
    """Ends dagster dev (if it still runs) and whatever it left in its group: SIGTERM, then SIGKILL."""
    signal.alarm(0)
    if dev.poll() is None:
        dev.send_signal(signal.SIGTERM)
        try:
            dev.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    if not _signal_group(dev, signal.SIGTERM):
        return
    deadline = time.monotonic() + LEFTOVER_SECONDS
    while time.monotonic() < deadline and _signal_group(dev, 0):
        time.sleep(0.1)
    _signal_group(dev, signal.SIGKILL)


def _signal_group(dev: subprocess.Popen, signum: int) -> bool:
    """Whether any process of dagster dev's group was there to signal."""
    try:
        os.killpg(dev.pid, signum)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
