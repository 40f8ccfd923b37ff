"""The install a user makes: the wheel built from the repository's files, installed with no extras into a fresh
virtualenv (no source tree on its path), imports the definitions, runs `liveperson-dagster --help` and loads a day
of conversations from the emulator with `dg launch`; then the same install with the `postgres` extra loads the day
into PostgreSQL. A module the product imports but declares only in the `test` extra fails here, as it would for
users (`make test` itself installs `.[test]`)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import (
    PROJECT_ROOT, conversation_ids, copy_tracked_files, expected_ids, free_port, fresh_postgres_database, postgres_query,
    require_postgres, start_logged, stop_group, wait_until,
)

DAY = "2026-11-05"
pytestmark = pytest.mark.timeout(900)


def run(command: list, env: dict, cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(map(str, command))} exited {done.returncode}\n" \
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of the files git tracks (what a clone holds), built outside the working tree."""
    source = copy_tracked_files(tmp_path / "source")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        os.environ.copy(), tmp_path)
    (wheel,) = (tmp_path / "dist").glob("liveperson_dagster-*.whl")
    return wheel


def user_env(venv: Path, tmp_path: Path, **extra) -> dict:
    """A user's shell with the virtualenv activated: none of the suite's Python, LIVEPERSON_* or dlt settings."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LIVEPERSON_", "DESTINATION__", "PYTHON", "VIRTUAL_ENV"))}
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "DAGSTER_HOME": str(home), "LIVEPERSON_START_DATE": "2026-11-01",
            "LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / "slots"), **extra}


def test_the_wheel_installs_without_extras_and_loads_a_day_then_into_postgresql_with_the_postgres_extra(
        emulator, tmp_path):
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], os.environ.copy(), tmp_path)
    bin_dir = venv / "bin"
    workdir = tmp_path / "elsewhere"  # not the repository: imports come from the install
    workdir.mkdir()
    env = user_env(venv, tmp_path, **emulator.env(), LIVEPERSON_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"))

    # As deploy/Dockerfile installs it (there with the postgres extra, below).
    run([str(bin_dir / "pip"), "install", "--quiet", "--no-compile", str(wheel)], env, workdir, timeout=900)
    where = run([str(bin_dir / "python"), "-c", "import liveperson_dagster.definitions as d, liveperson_dagster as p; "
                                                "print(len(d.defs.assets), p.__file__)"], env, workdir)
    assert str(venv) in where and str(PROJECT_ROOT) not in where, where
    assert "usage: liveperson-dagster" in run([str(bin_dir / "liveperson-dagster"), "--help"], env, workdir)
    run([str(bin_dir / "dg"), "launch", "-m", "liveperson_dagster.definitions", "--assets", "liveperson/conversations",
         "--partition", DAY], env, workdir)
    assert conversation_ids(tmp_path / "warehouse.duckdb") == expected_ids(emulator, DAY, DAY)

    require_postgres()
    run([str(bin_dir / "pip"), "install", "--quiet", "--no-compile", f"{wheel}[postgres]"], env, workdir, timeout=900)
    with fresh_postgres_database() as database:
        postgres_env = {**env, "LIVEPERSON_DESTINATION": "postgres", "DAGSTER_HOME": str(tmp_path / "dagster_home"),
                        "DESTINATION__POSTGRES__CREDENTIALS":
                            f"postgresql://postgres:unused@127.0.0.1:5432/{database}"}
        run([str(bin_dir / "dg"), "launch", "-m", "liveperson_dagster.definitions", "--assets",
             "liveperson/conversations", "--partition", DAY], postgres_env, workdir)
        rows = postgres_query(database, "select conversation_id from liveperson.conversations order by 1")
        assert [row[0] for row in rows] == expected_ids(emulator, DAY, DAY)

        # The image's start command (deploy/Dockerfile): the code server answers Dagster's health check.
        port, log = free_port(), tmp_path / "grpc.log"
        server = start_logged([str(bin_dir / "dagster"), "api", "grpc", "-m", "liveperson_dagster.definitions",
                               "-h", "127.0.0.1", "-p", str(port)], postgres_env, log, cwd=workdir)
        try:
            def healthy() -> bool:
                return subprocess.run([str(bin_dir / "dagster"), "api", "grpc-health-check", "-p", str(port)],
                                      env=postgres_env, cwd=workdir, capture_output=True, timeout=60).returncode == 0

            wait_until(healthy, 120, "the code server answering its health check", interval=1, process=server, log=log)
        finally:
            stop_group(server)
