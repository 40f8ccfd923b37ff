"""dlt's settings of a run reach dlt without the environment: in the run's process and in the normalize workers it
spawns; a variable the user set wins; nothing of them is left after the run."""

import os

import dlt
import pytest
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from liveperson_dagster.runs.dlt_run_config import dlt_config_for_run

ROWS, PER_YIELD = 40, 10


@dlt.resource(name="items")
def items():
    for start in range(0, ROWS, PER_YIELD):
        yield [{"n": n} for n in range(start, start + PER_YIELD)]


def normalized_files(tmp_path, values: dict) -> int:
    """Files of `items` after extract and normalize under the run settings `values`."""
    with dlt_config_for_run(values):
        pipeline = dlt.pipeline("run_config", pipelines_dir=str(tmp_path / "dlt"),
                                destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")))
        pipeline.extract(items())
        info = pipeline.normalize()
        package = pipeline.get_load_package_info(info.loads_ids[0])
        assert info.row_counts["items"] == ROWS
    return sum(1 for job in package.jobs["new_jobs"] if job.job_file_info.table_name == "items")


# Four extract files for two spawned workers, whose writers rotate files of 3 rows.
IN_WORKERS = {"NORMALIZE__WORKERS": "2", "NORMALIZE__START_METHOD": "spawn",
              "SOURCES__DATA_WRITER__FILE_MAX_ITEMS": str(PER_YIELD), "DATA_WRITER__FILE_MAX_ITEMS": "3"}


def test_spawned_normalize_workers_write_with_the_run_s_settings(tmp_path):
    environment = dict(os.environ)
    providers = list(Container()[PluggableRunContext].providers.providers)
    assert normalized_files(tmp_path, IN_WORKERS) == 2 * -(-ROWS // 2 // 3)  # each worker's 20 rows in files of 3
    assert dict(os.environ) == environment
    assert Container()[PluggableRunContext].providers.providers == providers


def test_a_variable_the_user_set_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_WRITER__FILE_MAX_ITEMS", "1000")
    # The run's more specific SOURCES__DATA_WRITER__FILE_MAX_ITEMS still makes 4 extract files.
    assert normalized_files(tmp_path, IN_WORKERS) == 2  # one file per worker: not rotated


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_the_settings_are_gone_after_the_run(outcome):
    providers = list(Container()[PluggableRunContext].providers.providers)
    with pytest.raises(RuntimeError) if outcome == "failure" else _no_error():
        with dlt_config_for_run({"DATA_WRITER__BUFFER_MAX_ITEMS": "7"}) as config:
            assert dlt.config["data_writer.buffer_max_items"] == 7
            config.set("DATA_WRITER__BUFFER_MAX_ITEMS", "8")
            assert dlt.config["data_writer.buffer_max_items"] == 8
            if outcome == "failure":
                raise RuntimeError("the run failed")
    assert dlt.config.get("data_writer.buffer_max_items") is None
    assert Container()[PluggableRunContext].providers.providers == providers


class _no_error:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
