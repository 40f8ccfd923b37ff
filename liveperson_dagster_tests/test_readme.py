"""The README's recipes, run as printed: every ```sh block in order, in one bash session, in a copy of the
repository's files (so the recipes' data/ and dagster_home/ are the copy's), the first block being the README's
own preparation of the shell (the virtualenv, DAGSTER_HOME, the emulator); the Python example saved as
load_day.py, as the README says. Only the Quick start's make targets are not run here (`make test` is this suite).
Then what the recipes loaded is checked against the emulator they started.

The recipe of several accounts runs in a test of its own (its own copy and shell, the preparation first, then it
alone): it loads a warehouse of its own, and the two run side by side on the suite's workers."""

import os
import re
import shlex
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Tuple
from zoneinfo import ZoneInfo

import duckdb
import pytest

from liveperson_emulator import Emulator
from liveperson_emulator.__main__ import _config, _parse_args, _parser

from .helpers import PROJECT_ROOT, conversation_ids, copy_tracked_files, runs_of, start_logged, stop_group, tail, utc_window

README = PROJECT_ROOT / "README.md"
FENCED = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
EMULATOR_COMMAND = re.compile(r"^liveperson-emulator (.*?) &", re.MULTILINE)
# A Python warning as the warnings module prints it: `path:line: SomeWarning: text`.
PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: .*$", re.MULTILINE)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def blocks(language: str) -> list:
    return [code for lang, code in FENCED.findall(README.read_text()) if lang == language]


def shell_recipes() -> list:
    """The ```sh blocks but the Quick start's (make targets only)."""
    return [code for code in blocks("sh")
            if not all(line.startswith("make ") for line in code.splitlines()
                       if line.strip() and not line.lstrip().startswith("#"))]


def is_several_accounts(recipe: str) -> bool:
    return "LIVEPERSON_ACCOUNTS_FILE" in recipe


def copy_of_repository(target: Path) -> Path:
    copy_tracked_files(target)
    manifest = PROJECT_ROOT / "liveperson_dbt" / "target" / "manifest.json"
    if manifest.exists():  # parsed by make (the times are kept, so it is as current in the copy)
        (target / "liveperson_dbt" / "target").mkdir(parents=True, exist_ok=True)
        shutil.copy2(manifest, target / "liveperson_dbt" / "target" / "manifest.json")
    # The virtualenv that `make install` makes, the one running this suite.
    (target / ".venv").symlink_to(Path(sys.executable).resolve().parent.parent
                                  if not (PROJECT_ROOT / ".venv").exists() else PROJECT_ROOT / ".venv")
    return target


def run_recipes(recipes: list, tmp_path: Path) -> Tuple[Path, str]:
    """`recipes` in order in one bash session, in a copy of the repository (with the README's Python example as
    load_day.py): the copy and what the session printed."""
    assert recipes[0].startswith(". .venv/bin/activate"), "the first recipe prepares the shell"
    (python_example,) = blocks("python")
    repository = copy_of_repository(tmp_path / "repository")
    (repository / "load_day.py").write_text(python_example)
    script = tmp_path / "recipes.sh"
    script.write_text("set -euo pipefail\n" + "\n".join(recipes))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LIVEPERSON_", "DESTINATION__", "VIRTUAL_ENV", "DAGSTER_HOME", "PYTHON"))}
    # Nothing shared with other checkouts or users: dlt's data dir (pipelines' state), the request slots, temp files.
    (tmp_path / "home").mkdir()
    suite_bin = str(Path(sys.executable).parent)  # the recipes' own activation puts the virtualenv on PATH
    env.update(HOME=str(tmp_path / "home"), DLT_DATA_DIR=str(tmp_path / "dlt"), TMPDIR=str(tmp_path),
               LIVEPERSON_REQUEST_SLOTS_DIR=str(tmp_path / "slots"),
               PATH=os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != suite_bin))
    log = tmp_path / "recipes.log"
    shell = start_logged(["bash", str(script)], env, log, cwd=repository)
    try:
        assert shell.wait(timeout=840) == 0, tail(log, 8000)
    finally:
        stop_group(shell)  # the emulator the recipes started in the background
    output = log.read_text(errors="replace")
    # No column the loads could not type (dlt warns of columns that only held nulls).
    assert "did not receive any data" not in output
    # No warning, but Dagster's own advice to the `dagster asset materialize` line to use `dg launch`.
    assert [warning for warning in PYTHON_WARNING.findall(output)
            if "SupersessionWarning: Function `asset_materialize_command`" not in warning] == []
    return repository, output


def emulator_of(recipe: str, pattern: re.Pattern) -> Emulator:
    """The emulator a recipe started, made again from its command line: the same data."""
    (arguments,) = pattern.findall(recipe)
    words = shlex.split(arguments)
    return Emulator(_config(_parse_args(_parser(), words[:words.index(">")] if ">" in words else words)))


@pytest.mark.timeout(900)
def test_every_recipe_of_the_readme_runs_as_printed_and_loads_what_it_says(tmp_path):
    recipes = [recipe for recipe in shell_recipes() if not is_several_accounts(recipe)]
    repository, output = run_recipes(recipes, tmp_path)
    # `dg launch --partition-range` of conversations: one run for the two days.
    ranges = [(run.tags[RANGE_START], run.tags[RANGE_END]) for run in runs_of({"DAGSTER_HOME": str(
        repository / "dagster_home")}) if RANGE_START in run.tags and run.status.value == "SUCCESS"]
    assert sorted(ranges) == [("2026-11-21", "2026-11-22"), ("2026-11-23", "2026-11-24")]

    emulator = emulator_of(recipes[0], EMULATOR_COMMAND)
    warehouse = repository / "data" / "liveperson_warehouse.duckdb"
    expected = set()
    for day in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"):
        expected |= emulator.conversation_ids(*utc_window(day, day))
    assert conversation_ids(warehouse) == sorted(expected)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        marts_days = connection.execute("select day, count(*) from liveperson_marts.fct_conversations group by day "
                                        "order by day").fetchall()
        ((operations_rows,),) = connection.execute("select count(*) from liveperson.messaging_queue_health").fetchall()
        ((users,),) = connection.execute("select count(*) from liveperson.users").fetchall()
    assert [(day.isoformat(), count) for day, count in marts_days] == [
        (day, len(emulator.conversation_ids(*utc_window(day, day)))) for day in ("2026-11-20", "2026-11-23", "2026-11-24")]
    assert users == len(emulator.users()) and operations_rows > 0
    for secret in (emulator.credentials["app_secret"], emulator.credentials["access_token_secret"],
                   emulator.credentials["client_secret"]):
        assert secret not in output
    assert (repository / "data" / "liveperson_report.html").stat().st_size > 0
    paris = ZoneInfo("Europe/Paris")
    day_in_paris = emulator.conversation_ids(datetime(2026, 11, 20, tzinfo=paris), datetime(2026, 11, 21, tzinfo=paris))
    assert conversation_ids(repository / "lp.duckdb") == sorted(day_in_paris)
