"""Several accounts from one deployment (LIVEPERSON_ACCOUNTS_FILE): two emulated accounts with different data, in
different time zones, loaded by the definitions the file makes into their own datasets, each day exact in its
account's zone, no row of one account in the other's tables; a wrong credential or a refused permission of one
account fails only its assets. Every expected figure comes from the emulators' own data."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from dagster import (
    DagsterEventType, DagsterInstance, RunRequest, SkipReason, build_run_status_sensor_context, build_sensor_context,
    materialize,
)

from liveperson_dagster.accounts import load_accounts
from liveperson_dagster.config import ProjectSettings
from liveperson_dagster.definitions import build_definitions
from liveperson_emulator import Emulator, EmulatorConfig, Faults

from .helpers import (
    EMULATOR_SETTINGS, PROJECT_ROOT, fresh_postgres_database, materialize_cli, postgres_query, query,
    require_postgres,
)

DAY = "2026-11-04"
ZONES = {"brand_a": "Europe/Paris", "brand_b": "Asia/Kathmandu"}
ACCOUNT_IDS = {"brand_a": "31000001", "brand_b": "31000002"}
MARTS_SENSOR_NAME, MARTS_JOB_NAME = "liveperson_marts_after_updates", "liveperson_marts_refresh"
CONFIG = ("users", "skills", "agent_groups")
DAILY = ("conversations", "agent_status_changes", "chat_engagements")


def local_window(day: str, zone: str) -> tuple:
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=ZoneInfo(zone))
    return start, start + timedelta(days=1)


def accounts_file(tmp_path, emulators: dict) -> str:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n" + "".join(
        f"  {name}:\n    account_id: \"{emulator.env()['LIVEPERSON_ACCOUNT_ID']}\"\n"
        f"    credentials: {name.upper()}\n    csds_url: {emulator.csds_url}\n    timezone: {ZONES[name]}\n"
        f"    start_date: 2026-11-01\n    max_concurrent_requests: 2\n"
        for name, emulator in emulators.items()))
    return str(path)


@contextmanager
def running_accounts(**faults_of):
    """Two emulated accounts (different ids: different conversations), stopped on leaving; `faults_of`: an account's
    Faults. brand_b is a sandbox of brand_a: the same users, skills and groups (ids only unique within an account),
    its own conversations, chats and status changes."""
    settings = EMULATOR_SETTINGS
    emulators = {"brand_a": Emulator(EmulatorConfig(account=ACCOUNT_IDS["brand_a"], **settings,
                                                    faults=faults_of.get("brand_a", Faults()))),
                 "brand_b": Emulator(EmulatorConfig(account=ACCOUNT_IDS["brand_b"], directory_of=ACCOUNT_IDS["brand_a"],
                                                    **settings, faults=faults_of.get("brand_b", Faults())))}
    try:
        for emulator in emulators.values():
            emulator.start()
        yield emulators
    finally:
        for emulator in emulators.values():
            emulator.stop()


def export_credentials(env: pytest.MonkeyPatch, emulators: dict) -> None:
    """Each account's credentials in its own variables (BRAND_A_APP_KEY, ...), as the accounts file names them."""
    for name, emulator in emulators.items():
        for variable, value in emulator.env().items():
            if variable not in ("LIVEPERSON_ACCOUNT_ID", "LIVEPERSON_CSDS_URL"):
                env.setenv(variable.replace("LIVEPERSON", name.upper()), value)


@pytest.fixture(scope="module")
def emulators_of_module():
    """The two accounts of the module, their credentials exported; their data is only read (but by the sensor's
    test, the last to use them, which rates a conversation)."""
    with running_accounts() as emulators, pytest.MonkeyPatch.context() as env:
        assert {user["id"] for user in emulators["brand_a"].users()} == \
            {user["id"] for user in emulators["brand_b"].users()}
        export_credentials(env, emulators)
        yield emulators


def definitions_of(directory: Path, emulators: dict, database: Path):
    """The definitions of an accounts file naming the emulated accounts, into `database`; `extra`: more settings."""
    environ = {"LIVEPERSON_ACCOUNTS_FILE": accounts_file(directory, emulators), "LIVEPERSON_DUCKDB_PATH": str(database),
               "LIVEPERSON_REQUEST_SLOTS_DIR": str(directory / "slots")}

    def definitions(**extra):
        settings = ProjectSettings.from_env({**environ, **extra})
        return build_definitions(settings, accounts=load_accounts(settings, {**os.environ, **environ, **extra}))

    return definitions


@pytest.fixture
def two_accounts(emulators_of_module, tmp_path):
    """The module's accounts, a warehouse of the test's own (empty) and the definitions of the accounts file naming
    them."""
    database = tmp_path / "warehouse.duckdb"
    return emulators_of_module, database, definitions_of(tmp_path, emulators_of_module, database)


@pytest.fixture(scope="module")
def loaded_two_accounts(emulators_of_module, tmp_path_factory):
    """The day DAY of both accounts loaded once into one DuckDB warehouse, for the tests that read it (and the
    marts' and the sensor's, which add to it)."""
    directory = tmp_path_factory.mktemp("accounts")
    database = directory / "warehouse.duckdb"
    defs = definitions_of(directory, emulators_of_module, database)()
    for name in emulators_of_module:
        assert load(defs, name).success
    return emulators_of_module, database, defs


def assets_of_group(defs, group: str) -> list:
    return [assets for assets in defs.assets if hasattr(assets, "keys") and
            {assets.group_names_by_key[key] for key in assets.keys} == {group}]


def load(defs, name: str, partition: str = DAY, raise_on_error: bool = True):
    with DagsterInstance.ephemeral() as instance:
        return materialize(assets_of_group(defs, f"liveperson_{name}"), partition_key=partition,
                           resources=defs.resources, instance=instance, raise_on_error=raise_on_error)


def ids(database, dataset: str, table: str, column: str) -> list:
    return sorted(row[0] for row in query(database, f"select {column} from {dataset}.{table}"))


def test_each_account_loads_its_day_in_its_zone_into_its_own_dataset(loaded_two_accounts):
    emulators, database, _ = loaded_two_accounts
    assert_days_exact(lambda sql: query(database, sql), emulators)


def test_an_accounts_wrong_credential_fails_only_its_assets(two_accounts, monkeypatch):
    emulators, database, definitions = two_accounts
    monkeypatch.setenv("BRAND_B_APP_SECRET", "not-the-secret")
    defs = definitions()
    failed = load(defs, "brand_b", raise_on_error=False)
    steps = {event.step_key for event in failed.all_events if event.is_step_failure}
    assert {"liveperson_brand_b_users", "liveperson_brand_b_skills"} <= steps
    assert all(step.startswith("liveperson_brand_b_") for step in steps)
    # Nothing of the account loaded (the daily assets wait for the configuration they refer to).
    assert not failed.get_asset_materialization_events()
    message = next(event.event_specific_data.error.to_string() for event in failed.all_events if event.is_step_failure)
    assert "check BRAND_B_APP_KEY, BRAND_B_APP_SECRET" in message and "account_id of account brand_b" in message
    assert "not-the-secret" not in "".join(str(event.message) + str(event.event_specific_data)
                                           for event in failed.all_events)
    assert load(defs, "brand_a").success
    emulator = emulators["brand_a"]
    assert ids(database, "liveperson_brand_a", "conversations", "conversation_id") == \
        sorted(emulator.conversation_ids(*local_window(DAY, ZONES["brand_a"])))
    assert not query(database, "select 1 from information_schema.tables where table_schema = 'liveperson_brand_b' "
                               "and table_name = 'conversations'")


def test_a_permission_one_account_lacks_fails_only_its_asset(tmp_path, monkeypatch):
    with running_accounts(brand_b=Faults(forbidden_apis=frozenset({"agentActivity"}))) as emulators:
        export_credentials(monkeypatch, emulators)
        database = tmp_path / "warehouse.duckdb"
        defs = definitions_of(tmp_path, emulators, database)()
        refused = load(defs, "brand_b", raise_on_error=False)
        failed = {event.step_key for event in refused.all_events if event.is_step_failure}
        assert failed == {"liveperson_brand_b_agent_status_changes"}
        assert load(defs, "brand_a").success
        for name, emulator in emulators.items():
            assert ids(database, f"liveperson_{name}", "conversations", "conversation_id") == \
                sorted(emulator.conversation_ids(*local_window(DAY, ZONES[name])))
        assert len(query(database, "select * from liveperson_brand_a.agent_status_changes")) == \
            len(emulators["brand_a"].status_changes(*local_window(DAY, ZONES["brand_a"])))


def skills_of_conversations(records: list) -> dict:
    counts = {}
    for record in records:
        skill = record["info"].get("latestSkillId")
        skill = -1 if skill is None else int(skill)
        counts[skill] = counts.get(skill, 0) + 1
    return counts


def build_marts(defs) -> dict:
    """The marts and the report of every account: the report's metadata."""
    with DagsterInstance.ephemeral() as instance:
        marts = materialize(assets_of_group(defs, "liveperson_marts"), resources=defs.resources, instance=instance)
    return next(event.materialization.metadata for event in marts.get_asset_materialization_events()
                if event.asset_key.path[-1] == "contact_center_report")


def assert_marts_exact(rows, emulators: dict, report: dict) -> None:
    """Every account in the marts, each row of its own account, each figure the emulator's of its day."""
    assert sorted(row[0] for row in rows("select distinct account_name from liveperson_marts.fct_conversations")) \
        == sorted(emulators)
    for name, emulator in emulators.items():
        records = emulator.conversations(*local_window(DAY, ZONES[name]))
        where = f"where account_name = '{name}'"
        found = rows(f"select conversation_id, day, account_id from liveperson_marts.fct_conversations {where}")
        assert sorted(row[0] for row in found) == sorted(record["info"]["conversationId"] for record in records)
        assert {(row[1].isoformat(), row[2]) for row in found} == {(DAY, ACCOUNT_IDS[name])}
        assert sorted(row[0] for row in rows(f"select agent_id from liveperson_marts.dim_agents {where}")) \
            == sorted(user["id"] for user in emulator.users())
        assert sorted(row[0] for row in rows(f"select skill_id from liveperson_marts.dim_skills {where}")) \
            == sorted(skill["id"] for skill in emulator.skills())
        assert dict(rows(f"select skill_id, conversations from liveperson_marts.fct_skill_daily {where} "
                         f"and day = date '{DAY}'")) == skills_of_conversations(records)
        # Every status second of the account is in its own day (in its own zone).
        assert rows(f"select distinct day from liveperson_marts.fct_agent_status_daily {where}") == \
            [(date.fromisoformat(DAY),)]
        # The report: a page per account, its figures of that account only, and the choice of the others.
        assert report[f"{name}_conversations"].value == len(records)
        page = report[f"{name}_report"].value
        assert page.endswith(f"liveperson_report_{name}.html")
        text = open(page, encoding="utf-8").read()
        assert all(f'href="liveperson_report_{other}.html"' in text for other in emulators)
    assert report["conversations"].value == sum(report[f"{name}_conversations"].value for name in emulators)
    # The busiest agents of all accounts, each with its account (the two accounts' agents share their ids).
    served = Counter()
    for name, emulator in emulators.items():
        for record in emulator.conversations(*local_window(DAY, ZONES[name])):
            agent = int(record["info"].get("latestAgentId") or -1)
            if agent != -1:
                served[(name, agent)] += 1
    expected = sorted(served.items(), key=lambda item: (-item[1], *item[0]))[:10]
    page = open(report["report"].value, encoding="utf-8").read()
    table = re.search(r'<table id="top-agents"><thead><tr>(.*?)</tr></thead><tbody>(.*?)</tbody>', page)
    assert table.group(1).startswith("<th>account</th><th>agent</th>")
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(2))]
    assert [((row[0], int(row[2])), int(row[3].replace(",", ""))) for row in rows] == expected


def assert_days_exact(rows, emulators: dict) -> None:
    """Each account's dataset holds exactly its day (in its zone): no row of the other account."""
    seen = {}
    for name, emulator in emulators.items():
        dataset = f"liveperson_{name}"
        window = local_window(DAY, ZONES[name])
        expected_conversations = sorted(emulator.conversation_ids(*window))
        assert expected_conversations, "the emulator holds conversations that day"
        assert sorted(row[0] for row in rows(f"select conversation_id from {dataset}.conversations")) == \
            expected_conversations
        assert sorted(row[0] for row in rows(f"select id from {dataset}.users")) == \
            sorted(user["id"] for user in emulator.users())
        assert sorted(row[0] for row in rows(f"select id from {dataset}.skills")) == \
            sorted(skill["id"] for skill in emulator.skills())
        assert rows(f"select count(*) from {dataset}.agent_status_changes") == [(len(emulator.status_changes(*window)),)]
        seen[name] = set(expected_conversations)
    # Different data: no conversation of one account in the other's tables.
    assert not seen["brand_a"] & seen["brand_b"]
    # The single account's dataset is not made.
    assert not rows("select 1 from information_schema.schemata where schema_name = 'liveperson'")


# Two accounts' loads, then dbt: minutes on a busy machine (the suite's default limit is 240 s).
@pytest.mark.timeout(600)
def test_the_marts_hold_every_account_each_row_keyed_by_its_account(loaded_two_accounts):
    emulators, database, defs = loaded_two_accounts
    assert_marts_exact(lambda sql: query(database, sql), emulators, build_marts(defs))


# Two accounts' loads, then dbt: minutes on a busy machine (the suite's default limit is 240 s).
@pytest.mark.timeout(600)
def test_on_postgres_each_account_and_the_marts_are_exact(two_accounts, monkeypatch):
    require_postgres()
    emulators, _, definitions = two_accounts
    with fresh_postgres_database("liveperson_accounts_test") as name:
        # Trust authentication ignores the password, but dlt insists on one.
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", f"postgresql://postgres:unused@127.0.0.1:5432/{name}")
        defs = definitions(LIVEPERSON_DESTINATION="postgres")
        for account in emulators:
            assert load(defs, account).success
        rows = lambda sql: postgres_query(name, sql)  # noqa: E731
        assert_days_exact(rows, emulators)
        assert_marts_exact(rows, emulators, build_marts(defs))


# Two accounts' loads, then dbt: minutes on a busy machine (the suite's default limit is 240 s).
@pytest.mark.timeout(600)
def test_make_demo_shows_two_accounts_each_with_its_own_days_and_data(tmp_path):
    """`make demo ACCOUNTS=2` (scripts/demo.py --accounts 2): each account's last three complete days in its own zone,
    the marts' conversations per account as the emulators serve them."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    # A user's shell: none of the module's accounts (their BRAND_A_* credentials) either.
    env = {**{key: value for key, value in os.environ.items() if not key.startswith(("LIVEPERSON_", "BRAND_"))},
           "DAGSTER_HOME": str(dagster_home), "TMPDIR": str(tmp_path),
           "LIVEPERSON_DUCKDB_PATH": str(tmp_path / "data" / "liveperson_warehouse.duckdb"),
           "LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / "slots")}
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "demo.py"), "--accounts", "2"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name, account_id, zone in (("brand_a", "13350576", "Europe/Paris"), ("brand_b", "13350577", "America/New_York")):
        today = datetime.now(ZoneInfo(zone)).date()
        emulator = Emulator(EmulatorConfig(account=account_id, first_day=today - timedelta(days=30), last_day=today))
        start = datetime.combine(today - timedelta(days=3), datetime.min.time(), tzinfo=ZoneInfo(zone))
        expected = len(emulator.conversation_ids(start, start + timedelta(days=3)))
        assert f"  {name} ({account_id}): {expected} conversations, {today - timedelta(days=3)} .. " \
               f"{today - timedelta(days=1)}" in done.stdout, done.stdout[-3000:]
    assert (tmp_path / "data" / "liveperson_report_brand_b.html").is_file()


def tick(defs, instance, name: str, cursor):
    """A tick of the account's late-changes sensor, with the resources of the definitions."""
    sensor = defs.resolve_sensor_def(f"liveperson_{name}_conversation_updates_sensor")
    with build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as context:
        return sensor.evaluate_tick(context)


def test_each_accounts_sensor_finds_its_own_late_changes_and_its_job_merges_them(loaded_two_accounts):
    emulators, database, defs = loaded_two_accounts
    # A first tick of each sensor: nothing changed since its look back.
    with DagsterInstance.ephemeral() as instance:
        cursors = {}
        for name in emulators:
            first = tick(defs, instance, name, None)
            assert first.skip_message and not first.run_requests, name
            cursors[name] = first.cursor
        # A conversation of brand_b's day is rated late.
        brand_b = emulators["brand_b"]
        rated = next(record["info"]["conversationId"] for record in brand_b.conversations(*local_window(DAY, ZONES["brand_b"]))
                     if record["info"]["status"] == "CLOSE" and record["info"].get("csatRate") != 4)
        brand_b.update_conversation(rated, datetime.now(ZoneInfo("UTC")), csat=4)
        ticks = {}
        for name in emulators:
            ticks[name] = tick(defs, instance, name, cursors[name])
        assert ticks["brand_a"].skip_message and not ticks["brand_a"].run_requests
        (request,) = ticks["brand_b"].run_requests
        assert request.tags["liveperson/updates_counted"] == "1"
        result = defs.resolve_job_def("liveperson_brand_b_conversation_updates").execute_in_process(
            run_config=request.run_config, instance=instance, tags={"dagster/run_key": request.run_key})
        assert result.success
        assert [(event.asset_key.to_user_string(), event.materialization.partition)
                for event in result.get_asset_materialization_events()] == [("liveperson/brand_b/conversations", DAY)]
        assert query(database, f"select info__csat_rate from liveperson_brand_b.conversations "
                               f"where conversation_id = '{rated}'") == [(4,)]
        assert not query(database, f"select 1 from liveperson_brand_a.conversations where conversation_id = '{rated}'")

        # The late change reaches the marts: the sensor of the marts sees the run succeed and requests the marts
        # of the day it touched, for every account (unpartitioned with several accounts), which the refresh job
        # builds; a row of another day is left as it was (planted here: a whole rebuild would remove it).
        marts_sensor = defs.resolve_sensor_def(MARTS_SENSOR_NAME)
        (success,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_SUCCESS)
        marts_request = marts_sensor(build_run_status_sensor_context(
            sensor_name=MARTS_SENSOR_NAME, dagster_event=success.dagster_event, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id)))
        assert isinstance(marts_request, RunRequest) and marts_request.run_key == f"marts after {result.run_id}"
        assert {name: marts_request.tags[name] for name in ("liveperson/first_day", "liveperson/last_day")} == \
            {"liveperson/first_day": DAY, "liveperson/last_day": DAY}
        assert marts_sensor.job_name == MARTS_JOB_NAME
        refresh = defs.resolve_job_def(MARTS_JOB_NAME)
        assert refresh.execute_in_process(instance=instance).success  # every day: the marts exist
        with duckdb.connect(str(database)) as connection:
            connection.execute("insert into liveperson_marts.fct_conversations select * replace ('planted' as "
                               "conversation_id, date '2026-10-01' as day) from liveperson_marts.fct_conversations "
                               "where account_name = 'brand_a' limit 1")
        refreshed = refresh.execute_in_process(instance=instance, tags=marts_request.tags)
        assert refreshed.success
        # The sensor watches every run of the code location: a run that loaded no day (the refresh itself) asks
        # for nothing.
        (refresh_success,) = instance.all_logs(refreshed.run_id, of_type=DagsterEventType.RUN_SUCCESS)
        skipped = marts_sensor(build_run_status_sensor_context(
            sensor_name=MARTS_SENSOR_NAME, dagster_event=refresh_success.dagster_event, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(refreshed.run_id)))
        assert isinstance(skipped, SkipReason) and "loaded no day" in skipped.skip_message
    csat = dict(query(database, "select conversation_id, csat from liveperson_marts.fct_conversations "
                                "where account_name = 'brand_b'"))
    assert csat[rated] == 4
    assert query(database, "select day from liveperson_marts.fct_conversations where conversation_id = 'planted'") \
        == [(date(2026, 10, 1),)]
    assert sorted(row[0] for row in query(database, "select conversation_id from liveperson_marts.fct_conversations "
                                                    f"where account_name = 'brand_a' and day = date '{DAY}'")) == \
        sorted(emulators["brand_a"].conversation_ids(*local_window(DAY, ZONES["brand_a"])))


def test_the_cli_loads_a_day_of_one_account_by_its_group(two_accounts, tmp_path):
    """`dagster asset materialize --select 'group:liveperson_brand_a' --partition D`: that account's day, in its
    zone, and nothing of the other account."""
    emulators, database, _ = two_accounts
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "LIVEPERSON_ACCOUNTS_FILE": str(tmp_path / "accounts.yaml"),
           "LIVEPERSON_DUCKDB_PATH": str(database), "LIVEPERSON_REQUEST_SLOTS_DIR": str(tmp_path / "slots")}
    code, output = materialize_cli(env, "--select", "group:liveperson_brand_a", "--partition", DAY)
    assert code == 0, output[-3000:]
    assert ids(database, "liveperson_brand_a", "conversations", "conversation_id") == \
        sorted(emulators["brand_a"].conversation_ids(*local_window(DAY, ZONES["brand_a"])))
    assert not query(database, "select 1 from information_schema.schemata where schema_name = 'liveperson_brand_b'")
    secrets = [emulator.env()[name] for emulator in emulators.values()
               for name in ("LIVEPERSON_APP_SECRET", "LIVEPERSON_ACCESS_TOKEN_SECRET")]
    assert not [secret for secret in secrets if secret in output]
