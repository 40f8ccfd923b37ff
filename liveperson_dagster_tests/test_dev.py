"""`make dev`: a port in use is reported before anything starts."""

import os
import socket
import subprocess
import sys

from .helpers import PROJECT_ROOT

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
