"""Dagster's project command line, `dg`, on this project as it is laid out ([tool.dg] in pyproject.toml): it
checks and lists the definitions, and `dg dev` serves the project's assets and stops on SIGTERM leaving no process.
`dg launch` of a day, a range (one run) and an operations hour, beside `dagster asset materialize`, are the README's
recipes, run as printed by test_readme.py; test_install.py runs it from a plain install."""

import json
import signal
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from liveperson_dagster.liveperson import Window

from .helpers import (
    BIN, CONVERSATIONS, PROJECT_ROOT, cli_env, free_port, graphql, process_tree, start_logged, stop_group,
    wait_for_no_survivors, wait_until,
)

DG = str(BIN / "dg")


def dg(env: dict, *args: str, timeout: float = 300) -> str:
    done = subprocess.run([DG, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"dg {' '.join(args)} exited {done.returncode}\n{output[-4000:]}"
    return output


def test_dg_checks_and_lists_the_definitions(emulator, tmp_path):
    from liveperson_dagster.definitions import defs

    env = cli_env(emulator, tmp_path / "warehouse.duckdb", tmp_path / "home")
    assert "All definitions loaded successfully." in dg(env, "check", "defs")
    listed = json.loads(subprocess.run([DG, "list", "defs", "--json"], env=env, cwd=PROJECT_ROOT, capture_output=True,
                                       text=True, timeout=300, check=True).stdout)
    graph = defs.resolve_asset_graph()
    assert {asset["asset_key"] for asset in listed["assets"]} == {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {job["name"] for job in listed["jobs"]} == {
        "liveperson_daily", "liveperson_operations_hourly", "liveperson_conversation_updates", "liveperson_marts_refresh"}
    assert {sensor["name"] for sensor in listed["sensors"]} >= {"liveperson_conversation_updates_sensor"}


@pytest.mark.timeout(300)
def test_dg_dev_serves_the_assets_and_stops_on_sigterm(emulator, tmp_path):
    env = cli_env(emulator, tmp_path / "warehouse.duckdb", tmp_path / "home")
    port, log = free_port(), tmp_path / "dg_dev.log"
    dev = start_logged([DG, "dev", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        def asset_keys():
            try:
                nodes = graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
            except OSError:
                return None
            return {"/".join(node["assetKey"]["path"]) for node in nodes}

        keys = wait_until(asset_keys, 180, "dg dev serving the assets", interval=0.5, process=dev, log=log)
        assert {CONVERSATIONS, "liveperson/users", "liveperson_marts/fct_conversations"} <= keys
        started = process_tree(dev.pid)  # dg dev, dagster dev, its webserver, daemon and code server
        dev.send_signal(signal.SIGTERM)
        dev.wait(timeout=60)
        wait_for_no_survivors(started, dev.pid, timeout=60)
    finally:
        stop_group(dev)


def test_dg_launch_of_an_operations_hour_past_24_hours_fails_with_its_one_line(emulator, tmp_path):
    env = cli_env(emulator, tmp_path / "warehouse.duckdb", tmp_path / "home")
    old = (datetime.now(timezone.utc) - timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    done = subprocess.run([DG, "launch", "--assets", "group:liveperson_operations",
                           "--partition", old.strftime("%Y-%m-%d-%H:00")], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    line = (f"Messaging Operations: the hour {Window(old, old + timedelta(hours=1))} is older than the 24 hours "
            "LivePerson keeps, so it can no longer be loaded (nothing was fetched or changed); such hours stay "
            "missing in the asset's partitions")
    # The line, as each operations step's failure; not dlt's chain of wrapping exceptions.
    assert output.count(f"Failure: {line}\n") >= 2, output[-4000:]
    assert "ResourceExtractionError" not in output and "Could not find a partition" not in output
