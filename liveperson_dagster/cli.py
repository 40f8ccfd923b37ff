"""liveperson-dagster: `check` tries the LivePerson settings (LIVEPERSON_* variables); `migrate-types` brings a
warehouse of an older version to the declared column types; `emulator` runs the local emulator."""

import argparse
import sys
from datetime import datetime, timedelta, timezone
from typing import List, Mapping, Optional, TextIO

from .liveperson import HttpSettings, LivePersonClient, Window
from .liveperson.client import CONFIG_COLLECTIONS
from .liveperson import api_constants
from .config import connection_from_env

# A diagnosis should answer within a minute: each request is tried at most twice.
CHECK_HTTP = HttpSettings(request_timeout_seconds=30.0, max_attempts=2, backoff_base_seconds=1.0,
                          max_backoff_seconds=2.0)


def api_probes(client: LivePersonClient) -> list:
    """(table, what one request of it fetches) for every API the assets read: configuration collections whole,
    history as the first page of the last hour."""
    now = datetime.now(timezone.utc)
    last_hour = Window(now - timedelta(hours=1), now)
    probes = [(name, lambda name=name: sum(len(page) for page in client.fetch_collection(name)))
              for name in CONFIG_COLLECTIONS]
    probes += [
        ("conversations", lambda: len(next(client.search_conversations(last_hour, ("messageRecords",)), []))),
        ("agent_status_changes", lambda: len(next(client.status_changes(last_hour), []))),
        ("chat_engagements", lambda: len(next(client.search_chat_engagements(last_hour), []))),
        ("messaging_queue_health", lambda: len(client.messaging_queue_health(last_hour))),
        ("messaging_agent_metrics", lambda: len(client.messaging_agent_metrics(last_hour))),
    ]
    return probes


def check(variables: Optional[Mapping[str, str]], out: TextIO) -> int:
    """Resolves the account's domains, authenticates (fetches its skills), then tries every API the assets read
    with the credentials of `variables` (the process's own when None). 0 when every API can be read, 2 when some
    cannot (each says what to ask for), 1 when the settings or the authentication fail."""
    connection = None

    def redacted(error: Exception) -> str:
        message = str(error) or type(error).__name__
        for secret in connection.secret_values() if connection else ():
            message = message.replace(secret, "<redacted>")
        return message

    try:
        connection = connection_from_env(variables, http=CHECK_HTTP)
        print(f"account:     {connection.account_id}", file=out)
        print(f"credentials: {connection.auth_kind} ({', '.join(connection.credential_settings)})", file=out)
        print(f"CSDS:        {connection.csds_url}", file=out)
        client = LivePersonClient(connection)
        services = [api_constants.ACCOUNT_CONFIG_SERVICE, api_constants.MESSAGING_HISTORY_SERVICE,
                    api_constants.AGENT_ACTIVITY_SERVICE, api_constants.ENGAGEMENT_HISTORY_SERVICE,
                    api_constants.OPERATIONS_SERVICE]
        if connection.auth_kind == "oauth2":
            services.append(api_constants.OAUTH2_TOKEN_SERVICE)
        for service in services:
            print(f"  {service}: {client.domains.base_url(service)}", file=out)
        skills = sum(len(page) for page in client.fetch_collection("skills"))
        print(f"fetched {skills} skills (account configuration API, authenticated)", file=out)
    except Exception as error:  # noqa: BLE001 - every failure is the verdict, not a traceback
        print(f"FAILED: {redacted(error)}", file=out)
        return 1
    unreadable = []
    for table, probe in api_probes(client):
        try:
            print(f"  {table}: readable ({probe()} records)", file=out)
        except Exception as error:  # noqa: BLE001 - one API refused is a line of the report
            unreadable.append(table)
            print(f"  {table}: NOT READABLE: {redacted(error)}", file=out)
    if unreadable:
        print(f"PARTIAL: not readable with these credentials: {', '.join(unreadable)} (those assets will fail, the "
              "others load)", file=out)
        return 2
    print("OK", file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liveperson-dagster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "check", help="resolve the account's domains (CSDS), authenticate, and try every API the assets read",
        description="Reads LIVEPERSON_ACCOUNT_ID, the credentials and LIVEPERSON_CSDS_URL variables; "
        "exits 1 with the reason when something is wrong, 2 when some APIs cannot be read (each line says what to "
        "ask for). Secrets are never printed.",
    )
    commands.add_parser(
        "migrate-types", help="bring the warehouse's columns to the declared types, variant columns merged back",
        description="Reads LIVEPERSON_DESTINATION and LIVEPERSON_DUCKDB_PATH (or dlt's PostgreSQL credentials); "
        "alters the columns whose type differs from the declared one, merges the values of every `__v_` variant "
        "column back into its column and drops it, and updates dlt's stored schema, in one transaction. Prints one "
        "line per column changed; exits 1 naming the value when one does not fit (nothing is changed then).",
    )
    commands.add_parser("emulator", help="run the local LivePerson emulator (arguments as liveperson-emulator)",
                        add_help=False)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["emulator"]:
        from liveperson_emulator.__main__ import main as emulator_main

        return emulator_main(argv[1:])
    arguments = _parser().parse_args(argv)
    if arguments.command == "migrate-types":
        return migrate(None, sys.stdout)
    return check(None, sys.stdout)


def migrate(variables: Optional[Mapping[str, str]], out: TextIO) -> int:
    """`migrate-types` on the warehouse the settings of `variables` (the process's own when None) name."""
    from .resources import warehouse_resource
    from .config import ProjectSettings
    from .type_migration import migrate_types

    try:
        warehouse = warehouse_resource(ProjectSettings.from_env(variables))
        changed = migrate_types(warehouse, lambda line: print(line, file=out))
    except Exception as error:  # noqa: BLE001 - the reason, on one line, is the answer
        print(f"FAILED: {error}", file=out)
        return 1
    print(f"OK: {len(changed)} change(s)" if changed else "OK: every column already has its declared type", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
