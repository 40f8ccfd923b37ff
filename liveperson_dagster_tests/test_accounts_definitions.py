"""The definitions of several accounts, without a run: each account's schedules in its own zone, its sensor, checks
and resources (credentials as EnvVars of its prefix), its own request budget (another account's runs never wait
for its slots); the emulator serves each account its own data. The single account's definitions keep their names."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, DagsterInstance, EnvVar, build_schedule_context

from liveperson_dagster.accounts import load_accounts
from liveperson_dagster.config import ProjectSettings, connection_from_variables
from liveperson_dagster.definitions import build_definitions
from liveperson_dagster.liveperson import LivePersonClient
from liveperson_dagster.liveperson.errors import LivePersonWaitTimeout
from liveperson_dagster.liveperson.slots import RequestSlots

NAMES = ("brand_a", "brand_b")


def definitions(tmp_path, emulators: dict, budgets=(1, 4), zones=("Europe/Paris", "America/New_York"), env=None):
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n" + "".join(
        f"  {name}:\n    account_id: \"{emulator.env()['LIVEPERSON_ACCOUNT_ID']}\"\n    credentials: {name.upper()}\n"
        f"    csds_url: {emulator.csds_url}\n    timezone: {zone}\n    max_concurrent_requests: {budget}\n"
        for (name, emulator), budget, zone in zip(emulators.items(), budgets, zones)))
    environ = {"LIVEPERSON_ACCOUNTS_FILE": str(path), "LIVEPERSON_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
               "LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / "slots"), "LIVEPERSON_REQUEST_TIMEOUT_SECONDS": "1",
               "LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS": "2", **(env or {})}
    for name, emulator in emulators.items():
        environ.update({variable.replace("LIVEPERSON", name.upper()): value for variable, value in emulator.env().items()
                        if variable not in ("LIVEPERSON_ACCOUNT_ID", "LIVEPERSON_CSDS_URL")})
    settings = ProjectSettings.from_env(environ)
    return build_definitions(settings, accounts=load_accounts(settings, environ)), environ


@pytest.fixture
def two_emulators(start_emulator) -> dict:
    return {name: start_emulator(account=str(31000001 + position)) for position, name in enumerate(NAMES)}


def test_the_emulator_serves_each_account_its_own_data_and_refuses_the_others_id(two_emulators):
    brand_a, brand_b = two_emulators.values()
    window = (datetime(2026, 11, 2, tzinfo=timezone.utc), datetime(2026, 11, 5, tzinfo=timezone.utc))
    assert brand_a.conversation_ids(*window) and brand_b.conversation_ids(*window)
    assert not brand_a.conversation_ids(*window) & brand_b.conversation_ids(*window)
    assert brand_a.env()["LIVEPERSON_APP_SECRET"] != brand_b.env()["LIVEPERSON_APP_SECRET"]
    # A client of one account's id with the other's emulator is refused (each serves its site only).
    crossed = {**brand_b.env(), "LIVEPERSON_ACCOUNT_ID": brand_a.env()["LIVEPERSON_ACCOUNT_ID"]}
    with pytest.raises(Exception, match="401|Invalid site"):
        list(LivePersonClient(connection_from_variables(crossed)).fetch_collection("users"))


def test_each_account_has_its_resources_with_its_credential_variables_as_envvars(two_emulators, tmp_path):
    defs, _ = definitions(tmp_path, two_emulators)
    for name in NAMES:
        credentials = defs.resources[f"liveperson_{name}"]
        assert credentials.app_key == EnvVar(f"{name.upper()}_APP_KEY")
        assert credentials.app_secret == EnvVar(f"{name.upper()}_APP_SECRET")
        assert credentials.client_id is None  # not set: not referred to
        assert credentials.account_id == two_emulators[name].env()["LIVEPERSON_ACCOUNT_ID"]
        assert defs.resources[f"warehouse_{name}"].dataset_name == f"liveperson_{name}"
    assert defs.resources["warehouse"].dataset_name == "liveperson"  # the marts' warehouse
    assert (defs.resources["liveperson_brand_a"].max_concurrent_requests,
            defs.resources["liveperson_brand_b"].max_concurrent_requests) == (1, 4)


def test_each_accounts_schedule_ticks_in_its_zone_for_its_own_days(two_emulators, tmp_path):
    defs, _ = definitions(tmp_path, two_emulators)
    # 2026-11-05 01:30 UTC: 02:30 in Paris (its tick of 02:00 is due), 20:30 the day before in New York.
    with DagsterInstance.ephemeral() as instance:
        for name, zone, today in (("brand_a", "Europe/Paris", "2026-11-05"), ("brand_b", "America/New_York", "2026-11-04")):
            schedule = defs.resolve_schedule_def(f"liveperson_{name}_daily_schedule")
            assert schedule.execution_timezone == zone and schedule.job_name == f"liveperson_{name}_daily"
            tick = datetime.fromisoformat(f"{today}T02:00:00").replace(tzinfo=ZoneInfo(zone))
            (request,) = schedule.evaluate_tick(build_schedule_context(instance, scheduled_execution_time=tick)).run_requests
            day = int(today[-2:])
            assert request.tags["dagster/asset_partition_range_start"] == f"2026-11-{day - 3:02d}"
            assert request.tags["dagster/asset_partition_range_end"] == f"2026-11-{day - 1:02d}"
            job = defs.resolve_job_def(f"liveperson_{name}_daily")
            assert {key.path[1] for key in job.asset_layer.selected_asset_keys} == {name}
    assert {sensor.name for sensor in defs.sensors} == {
        "liveperson_dead_runs", "liveperson_brand_a_conversation_updates_sensor",
        "liveperson_brand_b_conversation_updates_sensor", "liveperson_marts_after_updates"}
    checks = {key.to_user_string() for key in defs.resolve_asset_graph().asset_check_keys}
    for name in NAMES:
        assert f"liveperson/{name}/conversations:unique_conversation_ids" in checks
        assert f"liveperson/{name}/users:no_variant_columns" in checks


def test_runs_of_one_account_never_wait_for_the_request_slots_of_another(two_emulators, tmp_path, monkeypatch):
    defs, environ = definitions(tmp_path, two_emulators, budgets=(1, 1))
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)  # the credentials, read when the resources initialize (as a run does)
    brand_a, brand_b = (defs.resources[f"liveperson_{name}"].process_config_and_initialize() for name in NAMES)
    # Another process's run holds brand_a's one slot.
    held = RequestSlots(brand_a.account_id, 1, environ["LIVEPERSON_REQUEST_SLOTS_DIR"]).take()
    try:
        users = [user for page in LivePersonClient(brand_b.connection()).fetch_collection("users") for user in page]
        assert sorted(user["id"] for user in users) == sorted(user["id"] for user in two_emulators["brand_b"].users())
        with pytest.raises(LivePersonWaitTimeout, match="LIVEPERSON_REQUEST_SLOT_TIMEOUT_SECONDS"):
            list(LivePersonClient(brand_a.connection()).fetch_collection("users"))
    finally:
        held.release()


def test_the_single_account_keeps_its_names():
    defs = build_definitions(ProjectSettings())
    assert {job.name for job in defs.jobs} == {"liveperson_daily", "liveperson_operations_hourly",
                                               "liveperson_conversation_updates", "liveperson_marts_refresh"}
    assert "liveperson_conversation_updates_sensor" in {sensor.name for sensor in defs.sensors}
    assert {"liveperson", "warehouse"} <= set(defs.resources)
    graph = defs.resolve_asset_graph()
    assert graph.get(AssetKey(["liveperson", "conversations"])).group_name == "liveperson"
    assert graph.get(AssetKey(["liveperson", "messaging_queue_health"])).group_name == "liveperson_operations"


@pytest.mark.parametrize("destination, pools", [("duckdb", {"brand_a": "liveperson", "brand_b": "liveperson"}),
                                                ("postgres", {"brand_a": "liveperson_brand_a",
                                                              "brand_b": "liveperson_brand_b"})])
def test_runs_of_different_accounts_share_a_pool_only_on_duckdb(two_emulators, tmp_path, destination, pools):
    defs, _ = definitions(tmp_path, two_emulators, env={"LIVEPERSON_DESTINATION": destination})
    graph = defs.resolve_asset_graph()
    for name, pool in pools.items():
        conversations = graph.assets_def_for_key(AssetKey(["liveperson", name, "conversations"]))
        assert conversations.op.pools == {pool}
        job = defs.resolve_job_def(f"liveperson_{name}_conversation_updates")
        assert {node.definition.pool for node in job.graph.node_dict.values()} == {pool}
