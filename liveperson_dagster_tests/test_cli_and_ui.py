"""The real `dagster` CLI and `dagster-webserver` in subprocesses, against the emulator. (A day and a range through
the command line, exact and with no secret in the output, are the README's recipes: test_readme.py.)"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .helpers import PROJECT_ROOT, cli_env, conversation_ids, free_port, materialize_cli, stop_group, utc_window


def test_two_partition_runs_started_at_once_both_land(emulator, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    env = cli_env(emulator, database, tmp_path / "home")
    days = ("2026-11-02", "2026-11-08")
    processes = [materialize_cli(env, "--select", "liveperson/conversations", "--partition", day, wait=False)
                 for day in days]
    try:
        for process in processes:
            output, _ = process.communicate(timeout=300)
            assert process.returncode == 0, output[-3000:]
    finally:
        for process in processes:
            stop_group(process)
    expected = set().union(*(emulator.conversation_ids(*utc_window(day, day)) for day in days))
    assert conversation_ids(database) == sorted(expected)


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_webserver_serves_every_asset_and_their_dependencies(emulator, tmp_path):
    port = free_port()
    env = cli_env(emulator, tmp_path / "warehouse.duckdb", tmp_path / "home")
    webserver = Path(sys.executable).with_name("dagster-webserver")
    process = subprocess.Popen([str(webserver), "-m", "liveperson_dagster.definitions", "-h", "127.0.0.1",
                                "-p", str(port)], env=env, cwd=PROJECT_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        answer = None
        while answer is None:
            assert process.poll() is None, "dagster-webserver exited"
            assert time.monotonic() < deadline, "dagster-webserver did not answer within 120 s"
            try:
                answer = graphql(port, "{ assetNodes { assetKey { path } dependencyKeys { path } "
                                       "isPartitioned groupName } }")
            except OSError:
                time.sleep(0.5)  # polling for readiness with a deadline, not synchronising on a fixed pause
        nodes = {"/".join(n["assetKey"]["path"]): n for n in answer["data"]["assetNodes"]}
        dependencies = {
            "conversations": {"users", "skills", "agent_groups"},
            "agent_status_changes": {"users", "agent_groups", "agent_status_reasons"},
            "chat_engagements": {"users", "skills"},
            "messaging_queue_health": {"skills"},
            "messaging_agent_metrics": {"users"},
        }
        configuration = ("users", "skills", "agent_groups", "agent_status_reasons", "profiles", "lobs",
                         "predefined_content", "workdays", "special_occasions")
        marts = {name: node for name, node in nodes.items() if name.startswith("liveperson_marts/")}
        assert set(nodes) - set(marts) == {f"liveperson/{name}" for name in (*configuration, *dependencies)}
        # The dbt models (make dev shows them in the graph), downstream of the tables they read.
        # 20 dbt models and the report on them.
        assert len(marts) == 21 and all(node["groupName"] == "liveperson_marts" for node in marts.values())
        assert "liveperson_marts/fct_skill_daily" in {
            "/".join(d["path"]) for d in marts["liveperson_marts/contact_center_report"]["dependencyKeys"]}
        assert {"/".join(d["path"]) for d in marts["liveperson_marts/stg_conversations"]["dependencyKeys"]} == {
            "liveperson/conversations"}
        assert marts["liveperson_marts/fct_conversations"]["isPartitioned"]
        assert not marts["liveperson_marts/dim_agent_groups"]["isPartitioned"]
        for name, upstream in dependencies.items():
            node = nodes[f"liveperson/{name}"]
            assert {"/".join(d["path"]) for d in node["dependencyKeys"]} == {f"liveperson/{u}" for u in upstream}
            assert node["isPartitioned"]
            assert node["groupName"] == ("liveperson_operations" if name.startswith("messaging_") else "liveperson")
        assert not any(nodes[f"liveperson/{name}"]["isPartitioned"] for name in configuration)
    finally:
        process.terminate()
        process.wait(timeout=30)
