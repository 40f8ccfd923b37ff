"""The accounts one deployment loads: the single account of the LIVEPERSON_* variables, or those listed in the YAML
file LIVEPERSON_ACCOUNTS_FILE names (README "Several accounts"):

    accounts:
      brand_a:                      # the account's name: [a-z][a-z0-9_]*
        account_id: "13350576"
        credentials: BRAND_A        # BRAND_A_APP_KEY ... or BRAND_A_CLIENT_ID / BRAND_A_CLIENT_SECRET
        timezone: Europe/Paris      # optional: OVERRIDES, else the LIVEPERSON_* value

An account's settings are the project's (ProjectSettings, from the variables) with its entry's overrides, validated
by the same fields; its credentials are never in the file, only the prefix of their variables (read as EnvVars).
Each `Account` names what is its own: asset key prefix, groups, dataset, resource keys, jobs, sensors."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

import yaml
from pydantic import ValidationError

from .constants import POOL
from .config import (DATASET_NAME, ProjectSettings, SettingsError, describe, duckdb_file_problem, secret_variables_set,
                     variable)

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PREFIX = re.compile(r"^[A-Z][A-Z0-9_]*$")
# What an entry may set besides its account id and credentials prefix: the account's own settings.
OVERRIDES = ("csds_url", "timezone", "start_date", "operations_start_date", "lookback_days",
             "max_concurrent_requests", "requests_per_second", "updates_interval_seconds")
ENTRY_FIELDS = ("account_id", "credentials", *OVERRIDES)


@dataclass(frozen=True)
class Account:
    """`name`: None for the single account of the LIVEPERSON_* variables (names as before: `liveperson/<table>`,
    group `liveperson`, dataset `liveperson`); else its assets are `liveperson/<name>/<table>` in `liveperson_<name>`.
    `secret_variables`: its credential variables that are set (`<prefix>_APP_KEY` ...)."""

    name: Optional[str] = None
    settings: Optional[ProjectSettings] = None
    prefix: str = "LIVEPERSON"
    secret_variables: Tuple[str, ...] = ()

    def named(self, name: str) -> str:
        """A project name made the account's: `liveperson_daily` is `liveperson_<name>_daily`."""
        if self.name is None:
            return name
        head, _, tail = name.partition("_")
        return "_".join(part for part in (head, self.name, tail) if part)

    @property
    def key_prefix(self) -> list:
        return ["liveperson"] if self.name is None else ["liveperson", self.name]

    @property
    def dataset(self) -> str:
        return self.named(DATASET_NAME)

    @property
    def credentials_key(self) -> str:
        return "liveperson" if self.name is None else f"liveperson_{self.name}"

    @property
    def warehouse_key(self) -> str:
        return "warehouse" if self.name is None else f"warehouse_{self.name}"

    @property
    def pool(self) -> str:
        """The pool of the account's runs: on DuckDB every account's (one writer per file), elsewhere its own, so
        that runs of different accounts never wait for each other."""
        if self.name is None or self.settings is None or self.settings.destination == "duckdb":
            return POOL
        return self.named(POOL)


# The names of the single account (its settings given apart).
SINGLE = Account()


def single_account(settings: ProjectSettings, secret_variables: Tuple[str, ...] = ()) -> Account:
    return Account(None, settings, "LIVEPERSON", tuple(secret_variables))


def load_accounts(settings: ProjectSettings, environ: Optional[Mapping[str, str]] = None) -> Tuple[Account, ...]:
    """The accounts of LIVEPERSON_ACCOUNTS_FILE, or the single account of the variables when it is unset."""
    if settings.accounts_file is None:
        return (single_account(settings, secret_variables_set(environ)),)
    path = Path(settings.accounts_file).expanduser()
    where = f"{variable('accounts_file')}={settings.accounts_file}"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SettingsError(f"{where}: cannot read the accounts file ({error})") from None
    entries = document.get("accounts") if isinstance(document, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise SettingsError(f"{where}: expected a mapping `accounts:` of account names to entries, found none")
    accounts, problems = [], []
    for name, entry in entries.items():
        try:
            accounts.append(_account(str(name), entry, settings, environ))
        except ValueError as error:
            problems.append(f"account {name!r}: {error}")
    by_id = {}
    for account in accounts:
        if account.settings.account_id in by_id:
            problems.append(f"account {account.name!r}: account_id {account.settings.account_id} is the one of "
                            f"account {by_id[account.settings.account_id]!r} too")
        by_id.setdefault(account.settings.account_id, account.name)
    if problems:
        raise SettingsError(f"{where}: " + "; ".join(problems))
    return tuple(accounts)


def _account(name: str, entry, settings: ProjectSettings, environ: Optional[Mapping[str, str]]) -> Account:
    if not NAME.match(name):
        raise ValueError("the name must be lower-case letters, digits and _, starting with a letter")
    if not isinstance(entry, dict):
        raise ValueError(f"expected a mapping of {', '.join(ENTRY_FIELDS)}")
    unknown = sorted(set(map(str, entry)) - set(ENTRY_FIELDS))
    if unknown:
        raise ValueError(f"unknown entry {', '.join(unknown)} (allowed: {', '.join(ENTRY_FIELDS)})")
    prefix = str(entry.get("credentials") or "")
    if not PREFIX.match(prefix):
        raise ValueError(f"credentials={entry.get('credentials')!r} is invalid: expected the prefix of the account's "
                         "credential variables, upper-case like BRAND_A (for BRAND_A_APP_KEY ...)")
    if not str(entry.get("account_id") or "").strip():
        raise ValueError("account_id is missing: expected a LivePerson site id (digits only)")
    given = {field: str(value) if field == "account_id" else value for field, value in entry.items()
             if field != "credentials" and value is not None}
    try:
        own = ProjectSettings.model_validate({**settings.model_dump(), **given})
    except ValidationError as invalid:
        raise ValueError("; ".join(describe(error, str, ENTRY_FIELDS) for error in invalid.errors())) from None
    account = Account(name, own, prefix, secret_variables_set(environ, prefix))
    if own.destination == "duckdb" and (problem := duckdb_file_problem(own.duckdb_path, account.dataset)):
        raise ValueError(f"{variable('duckdb_path')}={own.duckdb_path!r} cannot hold its dataset: {problem}")
    return account
