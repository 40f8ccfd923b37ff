"""`make dev [PORT=3000]`: the local emulator and `dagster dev` (webserver and daemon) on 127.0.0.1:PORT, loading
the project from workspace.yaml. A port already in use is reported before anything starts."""

import argparse
import signal
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from with_emulator import running_emulator  # noqa: E402

from liveperson_dagster.settings import ProjectSettings, SettingsError  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


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
    with running_emulator() as env:
        print(f"LivePerson emulator at {env['LIVEPERSON_CSDS_URL']}; Dagster UI at http://{HOST}:{args.port}", flush=True)
        dev = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)
        # dagster dev stops its webserver, daemon and code server on SIGTERM; killing it would orphan them. Ctrl-C
        # reaches it from the terminal directly. The emulator stops when dagster dev has.
        signal.signal(signal.SIGTERM, lambda signum, frame: dev.send_signal(signal.SIGTERM))
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return dev.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
