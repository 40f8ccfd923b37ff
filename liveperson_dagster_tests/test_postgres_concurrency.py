"""Several `dagster asset materialize` commands into one PostgreSQL dataset at once, on a fresh and on an existing
schema: all succeed and every partition is exact (the loads take a PostgreSQL advisory lock of the dataset, so
schema creation, migration and dlt's shared staging dataset are never used by two runs at once)."""

from .helpers import (
    CONVERSATIONS, cli_env, fresh_postgres_database, postgres_query, require_postgres, start_materialize, stop_group,
    tail, utc_window,
)

FRESH_DAYS = ("2026-11-02", "2026-11-03", "2026-11-04")
LATER_DAYS = ("2026-11-05", "2026-11-06", "2026-11-07")


def materialize_together(env: dict, tmp_path, days) -> None:
    processes = [(day, start_materialize(env, tmp_path / f"{day}.log", "--select", CONVERSATIONS, "--partition", day))
                 for day in days]
    try:
        for day, process in processes:
            process.wait(timeout=300)
            assert process.returncode == 0, tail(tmp_path / f"{day}.log")
    finally:
        for _, process in processes:
            stop_group(process)


def ids_of(database: str, day: str) -> list:
    start, end = utc_window(day)
    return sorted(row[0] for row in postgres_query(
        database, "select conversation_id from liveperson.conversations where start_time >= %s and start_time < %s",
        (start, end)))


def test_commands_started_together_all_land_on_a_fresh_and_on_an_existing_schema(start_emulator, tmp_path):
    require_postgres()
    emulator = start_emulator(latency_ms=20, conversations_per_day=150)
    with fresh_postgres_database("liveperson_together") as name:
        env = cli_env(emulator, tmp_path / "unused.duckdb", tmp_path / "home", LIVEPERSON_DESTINATION="postgres",
                      DESTINATION__POSTGRES__CREDENTIALS=f"postgresql://postgres:unused@127.0.0.1:5432/{name}")
        materialize_together(env, tmp_path, FRESH_DAYS)
        materialize_together(env, tmp_path, LATER_DAYS)
        for day in (*FRESH_DAYS, *LATER_DAYS):
            assert ids_of(name, day) == sorted(emulator.conversation_ids(*utc_window(day))), day
        (duplicates,) = postgres_query(name, "select count(*) - count(distinct conversation_id) from liveperson.conversations")
        assert duplicates == (0,)
        (orphans,) = postgres_query(name, "select count(*) from liveperson.conversations__message_records where "
                                          "_dlt_root_id not in (select _dlt_id from liveperson.conversations)")
        assert orphans == (0,)
