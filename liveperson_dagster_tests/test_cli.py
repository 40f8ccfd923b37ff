"""`liveperson-dagster check` and `liveperson-dagster emulator` against the in-process emulator."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from liveperson_dagster import cli
from liveperson_emulator import Faults

from .helpers import PROJECT_ROOT

COMMAND = str(Path(sys.executable).with_name("liveperson-dagster"))
OAUTH1 = "LIVEPERSON_APP_KEY, LIVEPERSON_APP_SECRET, LIVEPERSON_ACCESS_TOKEN, LIVEPERSON_ACCESS_TOKEN_SECRET"


def run_check(monkeypatch, capsys, env: dict) -> tuple:
    for name in list(os.environ):
        if name.startswith("LIVEPERSON_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = cli.main(["check"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


HISTORY_AND_OPERATIONS = ("conversations", "agent_status_changes", "chat_engagements", "messaging_queue_health",
                          "messaging_agent_metrics")


def configuration_of(emulator) -> list:
    return [("users", emulator.users()), ("skills", emulator.skills()), ("agent_groups", emulator.agent_groups()),
            ("agent_status_reasons", emulator.status_reasons()), ("profiles", emulator.profiles()),
            ("lobs", emulator.lobs()), ("predefined_content", emulator.predefined_content()),
            ("workdays", emulator.workdays()), ("special_occasions", emulator.special_occasions())]


def secrets_of(emulator) -> list:
    credentials = emulator.credentials
    return [value for name, value in credentials.items() if name != "account_id"]


@pytest.mark.parametrize("oauth2", [False, True], ids=["oauth1", "oauth2"])
def test_check_prints_account_hosts_and_ok(emulator, monkeypatch, capsys, oauth2):
    code, output = run_check(monkeypatch, capsys, emulator.env(oauth2=oauth2))
    assert code == 0, output
    url = emulator.csds_url
    expected = [
        f"account:     {emulator.config.account}",
        "credentials: oauth2 (LIVEPERSON_CLIENT_ID, LIVEPERSON_CLIENT_SECRET)" if oauth2 else
        f"credentials: oauth1 ({OAUTH1})",
        f"CSDS:        {url}",
        f"  accountConfigReadOnly: {url}",
        f"  msgHist: {url}",
        f"  agentActivityDomain: {url}",
        f"  engHistDomain: {url}",
        f"  leDataReporting: {url}",
        *([f"  sentinel: {url}"] if oauth2 else []),
        f"fetched {len(emulator.skills())} skills (account configuration API, authenticated)",
        *(f"  {table}: readable ({len(records)} records)" for table, records in configuration_of(emulator)),
        # History: the first page of the last hour, whose size depends on the time the check runs.
        *(re.compile(rf"  {table}: readable \(\d+ records\)") for table in HISTORY_AND_OPERATIONS),
        "OK",
    ]
    lines = output.splitlines()
    assert len(lines) == len(expected), output
    for wanted, line in zip(expected, lines):
        assert wanted.fullmatch(line) if isinstance(wanted, re.Pattern) else wanted == line, (wanted, line)
    assert not [secret for secret in secrets_of(emulator) if secret in output]


def test_check_reports_each_api_the_credentials_cannot_read(emulator, monkeypatch, capsys):
    emulator.set_faults(Faults(forbidden_apis=frozenset({"agentActivity", "operations"})))
    code, output = run_check(monkeypatch, capsys, emulator.env())
    assert code == 2
    refused = {line.split(":")[0].strip(): line for line in output.splitlines() if "NOT READABLE" in line}
    assert set(refused) == {"agent_status_changes", "messaging_queue_health", "messaging_agent_metrics"}
    assert "HTTP 403" in refused["agent_status_changes"] and '"Agent Status Changes" permission' in refused[
        "agent_status_changes"]
    assert '"Messaging Operations" permission' in refused["messaging_queue_health"]
    assert "  users: readable (" in output and "  conversations: readable (" in output
    assert output.splitlines()[-1] == ("PARTIAL: not readable with these credentials: agent_status_changes, "
                                       "messaging_queue_health, messaging_agent_metrics (those assets will fail, "
                                       "the others load)")


def test_check_with_a_wrong_secret_fails_naming_the_variables(emulator, monkeypatch, capsys):
    wrong = "wrong-secret-0123456789"
    code, output = run_check(monkeypatch, capsys, {**emulator.env(), "LIVEPERSON_APP_SECRET": wrong})
    assert code == 1
    verdict = output.splitlines()[-1]
    assert verdict.startswith("FAILED: ") and "HTTP 401" in verdict
    assert f"check {OAUTH1} and LIVEPERSON_ACCOUNT_ID" in verdict
    assert "OK" not in output.splitlines()
    assert wrong not in output and not [secret for secret in secrets_of(emulator) if secret in output]


def test_check_with_missing_variables_names_them(emulator, monkeypatch, capsys):
    env = {name: value for name, value in emulator.env().items() if name != "LIVEPERSON_ACCESS_TOKEN_SECRET"}
    code, output = run_check(monkeypatch, capsys, env)
    assert code == 1
    assert output.splitlines() == [
        "FAILED: incomplete LivePerson credentials: set the OAuth1 variables (missing: LIVEPERSON_ACCESS_TOKEN_SECRET) "
        "or the OAuth2 pair (missing: LIVEPERSON_CLIENT_ID, LIVEPERSON_CLIENT_SECRET)"
    ]
    code, output = run_check(monkeypatch, capsys, {})
    assert (code, output) == (1, "FAILED: LIVEPERSON_ACCOUNT_ID is not set\n")


def test_check_with_an_unknown_account_names_the_settings(emulator, monkeypatch, capsys):
    code, output = run_check(monkeypatch, capsys, {**emulator.env(), "LIVEPERSON_ACCOUNT_ID": "999"})
    assert code == 1
    assert re.fullmatch(
        rf"FAILED: CSDS at {re.escape(emulator.csds_url)} does not know account '999' "
        r"\(HTTP 40\d; check LIVEPERSON_ACCOUNT_ID and LIVEPERSON_CSDS_URL\)", output.splitlines()[-1])


def test_the_installed_command_checks_and_forwards_to_the_emulator(emulator):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIVEPERSON_")}, **emulator.env()}
    checked = subprocess.run([COMMAND, "check"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1] == "OK"
    process = subprocess.Popen([COMMAND, "emulator", "--port", "0", "--account", "4242", "--seed", "11",
                                "--days", "2026-11-01:2026-11-02"], stdout=subprocess.PIPE, text=True)
    try:
        header = process.stdout.readline()  # printed once the emulator listens
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert header.startswith("# LivePerson emulator listening on http://127.0.0.1:")
    assert header.rstrip().endswith("(account 4242, seed 11, 2026-11-01..2026-11-02)")
    assert process.returncode == 0
