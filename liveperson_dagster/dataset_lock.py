"""Loads into one PostgreSQL dataset, one at a time. Two runs loading at once race: both create the schema or a
new table (`pg_type_typname_nsp_index`), and both use dlt's one staging dataset, so one run's merge can take the
other's staged rows (`conversations__dlt_id_key`). A load holds a PostgreSQL advisory lock named after the dataset:
the server provides it to runs on any machine, and frees it when the holding session ends (a killed run)."""

import hashlib
from contextlib import contextmanager
from typing import Callable, Iterator

import dlt


def advisory_key(dataset_name: str) -> int:
    """A stable signed 64-bit key for the dataset (advisory locks are per database already)."""
    digest = hashlib.sha1(f"liveperson-dagster load:{dataset_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def postgres_dataset_lock(pipeline: dlt.Pipeline, log: Callable[[str], None]) -> Iterator[None]:
    """Holds the dataset's advisory lock, on a session of its own, for the block; logs when it has to wait."""
    with pipeline.sql_client() as client:
        key = advisory_key(client.dataset_name)
        ((acquired,),) = client.execute_sql("select pg_try_advisory_lock(%s)", key)
        if not acquired:
            log(f"Waiting for another run's load into dataset {client.dataset_name} to end (PostgreSQL advisory "
                f"lock {key}; `select pid from pg_locks where locktype = 'advisory'` shows the holder)")
            client.execute_sql("select pg_advisory_lock(%s)", key)
            log(f"Loading into dataset {client.dataset_name}: the other run's load has ended")
        try:
            yield
        finally:
            client.execute_sql("select pg_advisory_unlock(%s)", key)
