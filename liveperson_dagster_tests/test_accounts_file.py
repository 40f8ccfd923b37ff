"""The accounts file (LIVEPERSON_ACCOUNTS_FILE): accounts by name, each with its own settings and the prefix of its
credential variables; errors name the account and the entry; without the file, the single account as before."""

from datetime import date

import pytest

from liveperson_dagster.accounts import load_accounts
from liveperson_dagster.config import ProjectSettings, SettingsError

TWO_ACCOUNTS = """
accounts:
  brand_a:
    account_id: "1001"
    credentials: BRAND_A
    timezone: Europe/Paris
    start_date: 2026-11-01
    max_concurrent_requests: 2
  brand_b:
    account_id: 1002
    credentials: BRAND_B
    csds_url: http://127.0.0.1:9999
"""


def accounts_from(tmp_path, text: str, **env):
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    environ = {"LIVEPERSON_ACCOUNTS_FILE": str(path), "LIVEPERSON_TIMEZONE": "America/New_York",
               "LIVEPERSON_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"), **env}
    return load_accounts(ProjectSettings.from_env(environ), environ)


def test_each_account_has_its_settings_over_the_projects_and_its_credential_variables(tmp_path):
    brand_a, brand_b = accounts_from(tmp_path, TWO_ACCOUNTS, BRAND_A_APP_KEY="k", BRAND_A_APP_SECRET="s",
                                     BRAND_B_CLIENT_ID="i", BRAND_B_CLIENT_SECRET=" ")
    assert (brand_a.name, brand_a.settings.account_id, brand_a.settings.timezone) == ("brand_a", "1001", "Europe/Paris")
    assert (brand_a.settings.start_date, brand_a.settings.max_concurrent_requests) == (date(2026, 11, 1), 2)
    assert brand_a.settings.csds_url == "https://api.liveperson.net"
    # What the entry does not set is the project's.
    assert (brand_b.settings.account_id, brand_b.settings.timezone) == ("1002", "America/New_York")
    assert (brand_b.settings.csds_url, brand_b.settings.max_concurrent_requests) == ("http://127.0.0.1:9999", 4)
    # Only the variables that hold a value (an empty one is unset).
    assert brand_a.secret_variables == ("BRAND_A_APP_KEY", "BRAND_A_APP_SECRET")
    assert brand_b.secret_variables == ("BRAND_B_CLIENT_ID",)
    assert (brand_a.key_prefix, brand_a.dataset, brand_a.named("liveperson_operations")) == (
        ["liveperson", "brand_a"], "liveperson_brand_a", "liveperson_brand_a_operations")
    assert (brand_a.credentials_key, brand_a.warehouse_key, brand_a.named("liveperson_daily")) == (
        "liveperson_brand_a", "warehouse_brand_a", "liveperson_brand_a_daily")


def test_without_the_file_the_single_account_of_the_variables_keeps_its_names():
    environ = {"LIVEPERSON_ACCOUNT_ID": "13350576", "LIVEPERSON_APP_KEY": "k"}
    (account,) = load_accounts(ProjectSettings.from_env(environ), environ)
    assert (account.name, account.settings.account_id, account.secret_variables) == (None, "13350576",
                                                                                     ("LIVEPERSON_APP_KEY",))
    assert (account.key_prefix, account.dataset, account.named("liveperson_operations")) == (
        ["liveperson"], "liveperson", "liveperson_operations")
    assert (account.credentials_key, account.warehouse_key) == ("liveperson", "warehouse")


@pytest.mark.parametrize("entries, message", [
    ("  Brand:\n    account_id: '1'\n    credentials: B", "account 'Brand': the name must be lower-case letters"),
    ("  brand_a:\n    account_id: '1'\n    credentials: B\n    timezone: Mars/Phobos",
     "account 'brand_a': timezone='Mars/Phobos' is invalid: expected an IANA time zone like Europe/Paris"),
    ("  brand_a:\n    account_id: 'x1'\n    credentials: B",
     "account 'brand_a': account_id='x1' is invalid: expected a LivePerson site id (digits only)"),
    ("  brand_a:\n    credentials: B", "account 'brand_a': account_id is missing"),
    ("  brand_a:\n    account_id: '1'", "account 'brand_a': credentials=None is invalid: expected the prefix"),
    ("  brand_a:\n    account_id: '1'\n    credentials: brand_a", "account 'brand_a': credentials='brand_a' is invalid"),
    ("  brand_a:\n    account_id: '1'\n    credentials: B\n    app_secret: hunter2",
     "account 'brand_a': unknown entry app_secret (allowed: account_id, credentials, csds_url"),
    ("  brand_a:\n    account_id: '1'\n    credentials: B\n    max_concurrent_requests: 0",
     "account 'brand_a': max_concurrent_requests=0 is invalid: expected a whole number from 1 to 100"),
    ("  brand_a:\n    account_id: '1'\n    credentials: A\n  brand_b:\n    account_id: '1'\n    credentials: B",
     "account 'brand_b': account_id 1 is the one of account 'brand_a' too"),
    ("  brand_a: 1001", "account 'brand_a': expected a mapping of account_id, credentials"),
])
def test_an_error_names_the_account_and_the_entry(tmp_path, entries, message):
    with pytest.raises(SettingsError) as raised:
        accounts_from(tmp_path, "accounts:\n" + entries)
    assert str(raised.value).startswith(f"LIVEPERSON_ACCOUNTS_FILE={tmp_path / 'accounts.yaml'}: ")
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_every_bad_account_is_named_at_once(tmp_path):
    with pytest.raises(SettingsError, match=r"account 'brand_a': timezone=.*; account 'brand_b': start_date="):
        accounts_from(tmp_path, "accounts:\n  brand_a:\n    account_id: '1'\n    credentials: A\n    timezone: X\n"
                                "  brand_b:\n    account_id: '2'\n    credentials: B\n    start_date: someday\n")


@pytest.mark.parametrize("text", ["", "accounts: []", "brand_a:\n  account_id: '1'", "accounts: {"])
def test_a_file_without_accounts_is_refused(tmp_path, text):
    with pytest.raises(SettingsError, match="LIVEPERSON_ACCOUNTS_FILE=.*(accounts:|cannot read)"):
        accounts_from(tmp_path, text)


def test_a_missing_file_is_refused_naming_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="LIVEPERSON_ACCOUNTS_FILE=.*is invalid: expected the path of a readable"):
        ProjectSettings.from_env({"LIVEPERSON_ACCOUNTS_FILE": str(tmp_path / "missing.yaml")})


def test_a_duckdb_file_named_like_an_accounts_dataset_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="account 'brand_a': LIVEPERSON_DUCKDB_PATH=.*liveperson_brand_a.duckdb "
                                            "is named like the dataset"):
        accounts_from(tmp_path, TWO_ACCOUNTS, LIVEPERSON_DUCKDB_PATH=str(tmp_path / "liveperson_brand_a.duckdb"))
