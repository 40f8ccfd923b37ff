"""A load into a PostgreSQL dataset waits for another run's load into it: it names the session holding the lock, again
every minute, and gives up after LIVEPERSON_POSTGRES_LOCK_TIMEOUT_SECONDS (dataset_lock.py)."""

import dlt
import psycopg2
import pytest
from dagster import DagsterInstance, materialize
from dagster_dlt import DagsterDltResource

from liveperson_dagster.runs import dataset_lock
from liveperson_dagster.runs.dataset_lock import DatasetLockTimeout, advisory_key, postgres_dataset_lock
from liveperson_dagster.resources import LivePersonWarehouse, warehouse_resource
from liveperson_dagster.config import ProjectSettings, SettingsError

from .helpers import FakeTime, assets_of, credentials_for, fresh_postgres_database, require_postgres

SETTING = "LIVEPERSON_POSTGRES_LOCK_TIMEOUT_SECONDS"


@pytest.fixture
def database(tmp_path):
    require_postgres()
    with fresh_postgres_database() as name:
        yield name


@pytest.fixture
def holder(database):
    """Another session holding the dataset's lock, as another run's load would; closed after the test."""
    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database,
                                  application_name="other run", connect_timeout=10)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_advisory_lock(%s)", (advisory_key("liveperson"),))
        yield connection
    finally:
        connection.close()


def pipeline_on(database: str, tmp_path) -> dlt.Pipeline:
    credentials = f"postgresql://postgres:unused@127.0.0.1:5432/{database}"
    return dlt.pipeline(pipeline_name="lock_test", pipelines_dir=str(tmp_path / "dlt"),
                        destination=dlt.destinations.postgres(credentials=credentials), dataset_name="liveperson")


def test_a_waiting_load_names_the_holding_session_every_minute_then_gives_up_naming_the_setting(database, holder,
                                                                                               tmp_path):
    logs, fake = [], FakeTime()
    with pytest.raises(DatasetLockTimeout) as raised:
        with postgres_dataset_lock(pipeline_on(database, tmp_path), logs.append, 150, clock=fake.clock,
                                   sleep=fake.sleep, poll_seconds=10):
            pytest.fail("must not acquire")
    lock = f"another run's load into dataset liveperson (PostgreSQL advisory lock {advisory_key('liveperson')})"
    held_by = f"held by PostgreSQL session pid {holder.get_backend_pid()} (application other run, from "
    assert str(raised.value).startswith(f"Gave up after 150 s waiting for {lock}: {held_by}")
    assert str(raised.value).endswith(f"Wait for it to finish (or end that session), or raise {SETTING} (now 150).")
    assert [line.split(held_by)[0] for line in logs] == [
        f"Waiting for {lock}: ", f"Still waiting for {lock} after 60 s: ", f"Still waiting for {lock} after 120 s: "]
    assert all(line.endswith(f"; giving up after 150 s ({SETTING})") for line in logs)
    assert fake.now == 150


def test_the_load_goes_on_once_the_other_session_lets_go(database, holder, tmp_path):
    logs = []

    def release(sleeps):
        if sleeps == 2:
            with holder.cursor() as cursor:
                cursor.execute("select pg_advisory_unlock(%s)", (advisory_key("liveperson"),))

    fake = FakeTime(on_sleep=release)
    with postgres_dataset_lock(pipeline_on(database, tmp_path), logs.append, 3600, clock=fake.clock,
                               sleep=fake.sleep):
        with holder.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", (advisory_key("liveperson"),))
            assert cursor.fetchone() == (False,)  # ours now
    assert logs[-1] == "Loading into dataset liveperson after waiting 2 s: the other run's load has ended"
    with holder.cursor() as cursor:
        cursor.execute("select pg_try_advisory_lock(%s)", (advisory_key("liveperson"),))
        assert cursor.fetchone() == (True,)  # released after the block


def test_the_setting_reaches_the_warehouse_and_a_bad_value_is_refused():
    settings = ProjectSettings.from_env({SETTING: "90"})
    assert warehouse_resource(settings).postgres_lock_timeout_seconds == 90
    with pytest.raises(SettingsError) as raised:
        ProjectSettings.from_env({SETTING: "inf"})
    assert str(raised.value) == f"{SETTING}='inf' is invalid: expected a number of seconds from 0 to 86400"


def test_a_run_waiting_for_a_table_lock_names_the_session_holding_it_and_gives_up_naming_the_setting(
        emulator, database, monkeypatch):
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", f"postgresql://postgres:unused@127.0.0.1:5432/{database}")
    (users,) = assets_of("users")
    warehouse = LivePersonWarehouse(destination="postgres", postgres_lock_timeout_seconds=3)
    resources = {"dlt": DagsterDltResource(), "liveperson": credentials_for(emulator), "warehouse": warehouse}
    assert materialize([users], resources=resources).success
    monkeypatch.setattr(dataset_lock, "REPORT_EVERY_SECONDS", 0.5)
    analyst = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=database,
                               application_name="notebook", connect_timeout=10)
    analyst_pid, instance = analyst.get_backend_pid(), DagsterInstance.ephemeral()
    try:
        with analyst.cursor() as cursor:  # a transaction left open, holding the table
            cursor.execute("lock table liveperson.users in access exclusive mode")
        result = materialize([users], resources=resources, instance=instance, raise_on_error=False)
    finally:
        analyst.rollback()
        analyst.close()
    assert not result.success
    (failure,) = [event.step_failure_data.error.cause for event in result.all_node_events if event.is_step_failure]
    assert failure.cls_name == "DatasetLockTimeout"
    assert failure.message.strip() == (
        "liveperson_dagster.runs.dataset_lock.DatasetLockTimeout: Gave up after 3 s waiting for a PostgreSQL lock on "
        "dataset liveperson that another session holds (an open transaction?): end that session, or raise "
        f"{SETTING} (now 3).")
    waiting = [entry.user_message for entry in instance.all_logs(result.run_id)
               if entry.user_message.startswith("Waiting for a PostgreSQL lock")]
    assert waiting, "the wait was not logged"
    assert waiting[0].startswith("Waiting for a PostgreSQL lock on dataset liveperson held by session pid "
                                 f"{analyst_pid} (notebook, idle in transaction, transaction since ")
    assert waiting[0].endswith(f"; giving up after 3 s ({SETTING})")
