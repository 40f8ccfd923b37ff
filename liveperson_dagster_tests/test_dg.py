"""Dagster's project command line, `dg`, on this project as it is laid out ([tool.dg] in pyproject.toml): it
checks and lists the definitions, launches a day and a range with the same results as `dagster asset
materialize`, and `dg dev` serves the project's assets and stops on SIGTERM leaving no process."""

import json
import re
import signal
import subprocess

import pytest

from .helpers import (
    BIN, CONVERSATIONS, PROJECT_ROOT, cli_env, conversation_ids, expected_ids, free_port, graphql, process_tree,
    runs_of, start_logged, stop_group, wait_for_no_survivors, wait_until, warehouse_contents,
)

DG = str(BIN / "dg")
DAY = "2026-11-04"
FIRST, LAST = "2026-11-02", "2026-11-06"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
# A Python warning as the warnings module prints it: `path:line: SomeWarning: text`.
PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: ", re.MULTILINE)


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


def test_dg_launch_of_a_day_loads_what_dagster_asset_materialize_loads_and_warns_of_nothing(emulator, tmp_path):
    by_dg, by_dagster = tmp_path / "dg.duckdb", tmp_path / "dagster.duckdb"
    output = dg(cli_env(emulator, by_dg, tmp_path / "home_dg"),
                "launch", "--assets", "group:liveperson", "--partition", DAY)
    done = subprocess.run([str(BIN / "dagster"), "asset", "materialize", "-m", "liveperson_dagster.definitions",
                           "--select", "group:liveperson", "--partition", DAY],
                          env=cli_env(emulator, by_dagster, tmp_path / "home_dagster"), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert conversation_ids(by_dg) == expected_ids(emulator, DAY, DAY)
    assert warehouse_contents(by_dg) == warehouse_contents(by_dagster)
    assert PYTHON_WARNING.findall(output) == [], output


def test_dg_launch_of_a_range_is_one_run_loading_every_day(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    env = cli_env(emulator, database, tmp_path / "home")
    dg(env, "launch", "--assets", CONVERSATIONS, "--partition-range", f"{FIRST}...{LAST}")
    (run,) = runs_of(env)
    assert (run.status.value, run.tags[RANGE_START], run.tags[RANGE_END]) == ("SUCCESS", FIRST, LAST)
    assert conversation_ids(database) == expected_ids(emulator, FIRST, LAST)


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
