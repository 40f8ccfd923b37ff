"""The README's recipe of several accounts, run as printed after the README's preparation of the shell (its first
recipe), in a copy of the repository of its own (test_readme.py runs the others): each account's day in its own zone
and its own dataset, the marts of both, each row of its own account, as the recipe's emulators serve them."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from .test_readme import EMULATOR_COMMAND, emulator_of, is_several_accounts, run_recipes, shell_recipes

SECOND_EMULATOR = re.compile(r"^liveperson-emulator (--account .*?) --export-prefix", re.MULTILINE)


@pytest.mark.timeout(900)
def test_the_recipe_of_two_accounts_loads_each_accounts_day_and_the_marts_of_both(tmp_path):
    recipes = shell_recipes()
    (several,) = [recipe for recipe in recipes if is_several_accounts(recipe)]
    repository, output = run_recipes([recipes[0], several], tmp_path)
    emulators = {"brand_a": emulator_of(recipes[0], EMULATOR_COMMAND), "brand_b": emulator_of(several, SECOND_EMULATOR)}
    for emulator in emulators.values():
        for secret in (emulator.credentials["app_secret"], emulator.credentials["access_token_secret"]):
            assert secret not in output
    with duckdb.connect(str(repository / "data" / "accounts.duckdb"), read_only=True) as connection:
        for (name, source), zone in zip(emulators.items(), ("Europe/Paris", "America/New_York")):
            window = (datetime(2026, 11, 20, tzinfo=ZoneInfo(zone)), datetime(2026, 11, 21, tzinfo=ZoneInfo(zone)))
            expected = sorted(source.conversation_ids(*window))
            loaded = sorted(row[0] for row in connection.execute(
                f"select conversation_id from liveperson_{name}.conversations").fetchall())
            marts = sorted(row[0] for row in connection.execute(
                "select conversation_id from liveperson_marts.fct_conversations where account_name = ? "
                "and day = date '2026-11-20'", [name]).fetchall())
            assert expected and loaded == expected and marts == expected, name
