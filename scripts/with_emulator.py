"""Starts the local LivePerson emulator, runs a command with the LIVEPERSON_* variables it prints, stops it.

    python scripts/with_emulator.py [emulator options] -- COMMAND [ARGS...]
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

STARTUP_SECONDS = 60


@contextmanager
def running_emulator(emulator_args=()):
    """Yields the environment (os.environ plus the emulator's exports) while the emulator runs."""
    with tempfile.TemporaryDirectory() as scratch:
        env_file = Path(scratch) / "emulator.env"
        process = subprocess.Popen(
            [sys.executable, "-m", "liveperson_emulator", "--port", "0", "--env-file", str(env_file),
             *emulator_args],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not env_file.exists():
                if process.poll() is not None:
                    raise SystemExit(f"the LivePerson emulator exited with code {process.returncode}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"the LivePerson emulator did not start within {STARTUP_SECONDS} s")
                time.sleep(0.05)
            yield {**os.environ, **parse_exports(env_file.read_text())}
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def parse_exports(text: str) -> dict:
    values = {}
    for line in text.splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, value = line[len("export "):].partition("=")
            values[name.strip()] = value.strip().strip("'\"")
    return values


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds: the command is killed and the emulator stopped on the way out


def main(argv) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    emulator_args, command = argv[:split], argv[split + 1:]
    with running_emulator(emulator_args) as env:
        print(f"LivePerson emulator at {env['LIVEPERSON_CSDS_URL']} (account {env['LIVEPERSON_ACCOUNT_ID']})", flush=True)
        try:
            return subprocess.call(command, env=env)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
