"""The asset checks against a DuckDB warehouse loaded from the emulator, then broken on purpose with SQL."""

import shutil

import duckdb
import pytest
from dagster import AssetCheckKey, AssetKey, AssetCheckSeverity, AssetSelection, DagsterInstance, materialize

from liveperson_dagster.config import ProjectSettings, SettingsError
from liveperson_emulator import Emulator, EmulatorConfig

from .helpers import FIRST_DAY, LAST_DAY, project_assets, project_checks, query, resources_for, utc_window

ASSETS = project_assets()
CONVERSATIONS = AssetKey(["liveperson", "conversations"])
# The checks of users, skills, agent groups and conversations (the other tables' checks: test_account_assets.py).
CHECKED = [AssetKey(["liveperson", table]) for table in ("users", "skills", "agent_groups", "conversations")]
RANGE_TAGS = {"dagster/asset_partition_range_start": "2026-11-03", "dagster/asset_partition_range_end": "2026-11-04"}
WINDOW = utc_window("2026-11-03", "2026-11-04")


def key(table: str, name: str) -> AssetCheckKey:
    return AssetCheckKey.from_user_string(f"liveperson/{table}:{name}")


USERS, SKILLS, GROUPS = (key(table, "unique_ids") for table in ("users", "skills", "agent_groups"))
UNIQUE = key("conversations", "unique_conversation_ids")
WINDOW_CHECK = key("conversations", "started_inside_window")
REFERENCES = key("conversations", "known_agents_skills_and_groups")
COMPLETE = key("conversations", "complete_records")


def evaluations(result) -> dict:
    return {evaluation.asset_check_key: evaluation for evaluation in result.get_asset_check_evaluations()}


def values(evaluation) -> dict:
    return {name: entry.value for name, entry in evaluation.metadata.items()}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Config assets + conversations of 2026-11-03..04 (one run, with the checks), loaded once for the module."""
    emulator = Emulator(EmulatorConfig(first_day=FIRST_DAY, last_day=LAST_DAY, conversations_per_day=30)).start()
    database = tmp_path_factory.mktemp("checks") / "warehouse.duckdb"
    instance = DagsterInstance.ephemeral()
    result = materialize([*ASSETS, *project_checks()], resources=resources_for(emulator, database),
                         instance=instance, tags=RANGE_TAGS, selection=AssetSelection.assets(*CHECKED))
    assert result.success
    yield emulator, database, instance, result
    emulator.stop()


def run_checks(loaded, tmp_path, *statements: str, max_unknown_percent: float = 5.0, instance=None) -> dict:
    """Runs only the checks on a copy of the loaded warehouse, changed by `statements` first."""
    emulator, database, loaded_instance, _ = loaded
    tmp_path.mkdir(parents=True, exist_ok=True)
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(database, copy)
    with duckdb.connect(str(copy)) as connection:
        for statement in statements:
            connection.execute(statement)
    result = materialize([*ASSETS, *project_checks(max_unknown_percent)], resources=resources_for(emulator, copy),
                         instance=instance or loaded_instance, selection=AssetSelection.checks_for_assets(*CHECKED))
    assert result.success
    return evaluations(result)


def first_ids(database, table: str, column: str, count: int) -> list:
    return [row[0] for row in query(database, f"select {column} from liveperson.{table} order by {column} limit {count}")]


def test_every_check_passes_on_a_fresh_load_with_exact_metadata(loaded):
    emulator, _, _, result = loaded
    checks = evaluations(result)
    variants = {key(table, "no_variant_columns") for table in ("users", "skills", "agent_groups", "conversations")}
    assert set(checks) == {USERS, SKILLS, GROUPS, UNIQUE, WINDOW_CHECK, REFERENCES, COMPLETE, *variants}
    assert all(check.passed for check in checks.values())
    assert all(values(checks[variant]) == {"variant_columns": []} for variant in variants)
    for check, records in ((USERS, emulator.users()), (SKILLS, emulator.skills()), (GROUPS, emulator.agent_groups())):
        assert values(checks[check]) == {"rows": len(records), "distinct_ids": len(records), "duplicated_ids": 0,
                                         "duplicated_ids_sample": []}
    expected = emulator.conversation_ids(*WINDOW)
    assert values(checks[UNIQUE])["rows"] == values(checks[UNIQUE])["distinct_ids"] == len(expected)
    materialization = result.asset_materializations_for_node("liveperson_conversations")[0]
    assert values(checks[WINDOW_CHECK]) == {
        "window_start": "2026-11-03T00:00:00+00:00", "window_end": "2026-11-05T00:00:00+00:00",
        "dlt_load_ids": materialization.metadata["dlt_load_ids"].value,
        "conversations_loaded": len(expected), "outside_window": 0, "outside_window_sample": [],
    }
    references = values(checks[REFERENCES])
    assert references["conversations"] == len(expected) and references["max_unknown_percent"] == 5.0
    assert checks[REFERENCES].severity == AssetCheckSeverity.WARN
    for kind in ("agent", "skill", "agent_group"):
        assert (references[f"unknown_{kind}_conversations"], references[f"unknown_{kind}_percent"]) == (0, 0.0)
    assert values(checks[COMPLETE]) == {"partial_records": 0, "partial_records_sample": []}


def test_a_duplicate_row_fails_each_unique_check(loaded, tmp_path):
    database = loaded[1]
    user, skill, group = (first_ids(database, table, "id", 1)[0] for table in ("users", "skills", "agent_groups"))
    conversation = first_ids(database, "conversations", "conversation_id", 1)[0]
    checks = run_checks(
        loaded, tmp_path,
        f"insert into liveperson.users select * from liveperson.users where id = {user}",
        f"insert into liveperson.skills select * from liveperson.skills where id = {skill}",
        f"insert into liveperson.agent_groups select * from liveperson.agent_groups where id = {group}",
        f"insert into liveperson.conversations select * from liveperson.conversations "
        f"where conversation_id = '{conversation}'",
    )
    emulator = loaded[0]
    for check, duplicate, rows in ((USERS, user, len(emulator.users())), (SKILLS, skill, len(emulator.skills())),
                                   (GROUPS, group, len(emulator.agent_groups())),
                                   (UNIQUE, conversation, len(emulator.conversation_ids(*WINDOW)))):
        assert checks[check].passed is False
        assert checks[check].severity == AssetCheckSeverity.ERROR
        assert values(checks[check]) == {"rows": rows + 1, "distinct_ids": rows, "duplicated_ids": 1,
                                         "duplicated_ids_sample": [str(duplicate)]}
    assert checks[WINDOW_CHECK].passed and checks[REFERENCES].passed


def test_conversations_of_the_latest_load_outside_its_window_fail_the_window_check(loaded, tmp_path):
    database = loaded[1]
    before, at_end, at_start = first_ids(database, "conversations", "conversation_id", 3)
    checks = run_checks(
        loaded, tmp_path,
        f"update liveperson.conversations set start_time = '2026-11-02 23:59:59.999+00' "
        f"where conversation_id = '{before}'",
        # The window is half-open: its end is outside, its start inside.
        f"update liveperson.conversations set start_time = '2026-11-05 00:00:00+00' where conversation_id = '{at_end}'",
        f"update liveperson.conversations set start_time = '2026-11-03 00:00:00+00' where conversation_id = '{at_start}'",
    )
    window = checks[WINDOW_CHECK]
    assert window.passed is False and window.severity == AssetCheckSeverity.ERROR
    metadata = values(window)
    assert metadata["conversations_loaded"] == len(loaded[0].conversation_ids(*WINDOW))
    assert (metadata["outside_window"], metadata["outside_window_sample"]) == (2, sorted([before, at_end]))
    assert "2 conversation(s) of the latest load started outside" in window.description
    assert all(checks[check].passed for check in (USERS, SKILLS, GROUPS, UNIQUE, REFERENCES))


def test_unknown_agents_skills_and_groups_warn_above_the_threshold(loaded, tmp_path):
    database = loaded[1]
    total = len(loaded[0].conversation_ids(*WINDOW))
    ids = first_ids(database, "conversations", "conversation_id", 9)
    ghosts, unassigned, skill_miss, group_misses = ids[:4], ids[4:6], ids[6:7], ids[6:9]

    def in_list(chosen):
        return ", ".join(f"'{conversation_id}'" for conversation_id in chosen)

    statements = (
        f"update liveperson.conversations set info__latest_agent_id = 424242 where conversation_id in ({in_list(ghosts)})",
        f"update liveperson.conversations set info__latest_agent_id = -1 "
        f"where conversation_id in ({in_list(unassigned)})",
        f"update liveperson.conversations set info__latest_skill_id = 999 where conversation_id in ({in_list(skill_miss)})",
        f"update liveperson.conversations set info__latest_agent_group_id = 888 "
        f"where conversation_id in ({in_list(group_misses)})",
    )
    checks = run_checks(loaded, tmp_path, *statements)
    references = checks[REFERENCES]
    assert references.passed is False and references.severity == AssetCheckSeverity.WARN
    agent_percent = round(100 * 4 / total, 2)
    assert values(references) == {
        "conversations": total, "max_unknown_percent": 5.0,
        "unknown_agent_conversations": 4, "unknown_agent_percent": agent_percent, "unknown_agent_ids_sample": ["424242"],
        "unknown_skill_conversations": 1, "unknown_skill_percent": round(100 / total, 2),
        "unknown_skill_ids_sample": ["999"],
        "unknown_agent_group_conversations": 3, "unknown_agent_group_percent": round(100 * 3 / total, 2),
        "unknown_agent_group_ids_sample": ["888"],
    }
    assert total == 60 and agent_percent > 5.0 >= round(100 * 3 / total, 2)  # only agents are over the threshold
    assert references.description == f"Conversations with an unknown latest agent {agent_percent}% (more than 5.0%)"
    relaxed = run_checks(loaded, tmp_path / "relaxed", *statements, max_unknown_percent=10.0)[REFERENCES]
    assert relaxed.passed is True and values(relaxed)["unknown_agent_conversations"] == 4


def test_rows_flagged_partial_warn_and_a_table_without_the_flag_passes(loaded, tmp_path):
    database = loaded[1]
    flagged = first_ids(database, "conversations", "conversation_id", 2)
    checks = run_checks(loaded, tmp_path, "update liveperson.conversations set is_partial = true "
                                          f"where conversation_id in ('{flagged[0]}', '{flagged[1]}')")
    complete = checks[COMPLETE]
    assert complete.passed is False and complete.severity == AssetCheckSeverity.WARN
    assert values(complete) == {"partial_records": 2, "partial_records_sample": flagged}
    assert complete.description.startswith("2 conversation(s) loaded partial")
    assert all(check.passed for name, check in checks.items() if name != COMPLETE)
    # A table written before partial records were flagged has no is_partial column: nothing in it is flagged.
    older = run_checks(loaded, tmp_path / "older", "alter table liveperson.conversations drop column is_partial")
    assert older[COMPLETE].passed is True and values(older[COMPLETE])["partial_records"] == 0


def test_checks_warn_when_nothing_was_loaded(loaded, tmp_path):
    emulator = loaded[0]
    result = materialize([*ASSETS, *project_checks()], resources=resources_for(emulator, tmp_path / "empty.duckdb"),
                         instance=DagsterInstance.ephemeral(), selection=AssetSelection.checks_for_assets(*CHECKED))
    checks = evaluations(result)
    assert len(checks) == 7 + 4  # and no_variant_columns of each: nothing there, nothing wrong
    for key, check in checks.items():
        if key.name == "no_variant_columns":
            assert check.passed is True and values(check) == {"variant_columns": []}
            continue
        assert check.passed is False and check.severity == AssetCheckSeverity.WARN
    assert checks[WINDOW_CHECK].description == (
        "No materialization of liveperson/conversations with a window and dlt load ids yet.")
    assert "Materialize the assets first." in checks[USERS].description


def test_the_window_is_read_from_the_latest_materialization(loaded, tmp_path):
    emulator, database, _, _ = loaded
    instance = DagsterInstance.ephemeral()
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(database, copy)
    later = materialize(ASSETS, resources=resources_for(emulator, copy), instance=instance, partition_key="2026-11-06",
                        selection=[CONVERSATIONS])
    assert later.success
    checks = run_checks((emulator, copy, instance, later), tmp_path / "checks", instance=instance)
    start, end = utc_window("2026-11-06")
    assert values(checks[WINDOW_CHECK])["window_start"] == start.isoformat()
    assert values(checks[WINDOW_CHECK])["conversations_loaded"] == len(emulator.conversation_ids(start, end))


def test_max_unknown_percent_setting():
    assert ProjectSettings.from_env({}).max_unknown_percent == 5.0
    assert ProjectSettings.from_env({"LIVEPERSON_MAX_UNKNOWN_PERCENT": "0.5"}).max_unknown_percent == 0.5
    for bad in ("-1", "101", "five", "nan"):
        with pytest.raises(SettingsError, match=f"^LIVEPERSON_MAX_UNKNOWN_PERCENT='{bad}' is invalid: expected a "
                                                "number from 0 to 100$"):
            ProjectSettings.from_env({"LIVEPERSON_MAX_UNKNOWN_PERCENT": bad})
