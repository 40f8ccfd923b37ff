"""liveperson-emulator: run the emulator until SIGTERM/SIGINT, printing shell exports for its credentials."""

import argparse
import math
import os
import re
import shlex
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import date

from .config import EmulatorConfig, default_first_day, default_last_day
from .faults import Faults
from .permissions import API_NAMES, PERMISSIONS
from .server import Emulator

RATE_HELP = {
    "429-retry-after": "answered 429 Too Many Requests with a Retry-After: 1 header",
    "429": "answered 429 Too Many Requests without a Retry-After header",
    "5xx": "answered 503 Service Unavailable with an HTML page",
    "partial": "(conversation and chat searches only) answered with some records left out and partialResult: true",
    "drop": "answered by closing the connection without a response",
    "slow": "answered correctly but only after --slow-seconds",
    "truncated": "answered 200 with the body cut in half",
}


# Argument types: each refuses with argparse's one-line error naming the option (exit 2).

def _whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number within [minimum, maximum]."""
    wanted = f"a whole number from {minimum} to {maximum}" if maximum is not None else f"a whole number >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


def _any_whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _finite_float(text: str, wanted: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def _rate(text: str) -> float:
    value = _finite_float(text, "a fraction from 0 to 1")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    value = _finite_float(text, "a number of seconds >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _account(text: str) -> str:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"expected a numeric LivePerson site id (digits only), got {text!r}")
    return text


def _host(text: str) -> str:
    if not text or any(char.isspace() for char in text):
        raise argparse.ArgumentTypeError(f"expected an IP address or host name, got {text!r}")
    return text


def _env_file(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("expected a file path, got ''")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, expected a file path")
    directory = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(directory):
        raise argparse.ArgumentTypeError(f"directory {directory!r} does not exist")
    return text


def _day(text: str) -> date:
    """YYYY-MM-DD only (date.fromisoformat alone would also take 20240101 and week dates)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _day_range(text: str) -> tuple[date, date]:
    try:
        first, last = (_day(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FROM:TO as YYYY-MM-DD:YYYY-MM-DD, got {text!r}") from None
    if first > last:
        raise argparse.ArgumentTypeError(f"FROM {first} is after TO {last}")
    return first, last


def _day_list(text: str) -> tuple[date, ...]:
    try:
        return tuple(_day(part) for part in text.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD[,YYYY-MM-DD...], got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liveperson-emulator", description=__doc__)
    add = parser.add_argument
    add("--host", type=_host, default="127.0.0.1", metavar="ADDRESS",
        help="IP address or host name to listen on; 0.0.0.0 or :: for every interface (default: %(default)s)")
    add("--port", type=_whole(0, 65535), default=0, metavar="PORT",
        help="TCP port to listen on, 0 to 65535; 0 picks a free port (default: %(default)s)")
    add("--account", type=_account, default="13350576", metavar="SITE_ID",
        help="LivePerson account (site id) served, digits only (default: %(default)s)")
    add("--directory-of", type=_account, default=None, metavar="SITE_ID",
        help="serve the users, skills, agent groups and business hours (ids and names) of this account, as a sandbox "
             "copied from it would; conversations stay --account's own (default: --account's)")
    add("--seed", type=_any_whole, default=7, metavar="N",
        help="any whole number; with --account it decides all generated data and fault draws "
             "(default: %(default)s)")
    add("--days", type=_day_range, default=None, metavar="FROM:TO",
        help="inclusive UTC days holding data, YYYY-MM-DD:YYYY-MM-DD with FROM <= TO "
             "(default: the 28 days ending yesterday)")
    add("--empty-days", type=_day_list, default=(), metavar="DAYS",
        help="comma-separated YYYY-MM-DD days with no conversations, chats or agent sessions (default: none)")
    add("--conversations-per-day", type=_whole(0), default=40, metavar="N",
        help="messaging conversations per day on average, a whole number >= 0 (default: %(default)s)")
    add("--chats-per-day", type=_whole(0), default=12, metavar="N",
        help="legacy chats (Engagement History API) per day on average, a whole number >= 0 "
             "(default: %(default)s)")
    add("--agents-with-status", type=_whole(0), default=8, metavar="N",
        help="agents whose logins and status changes the Agent Activity API reports, a whole number >= 0 "
             "(default: %(default)s)")
    add("--forbid", action="append", default=[], choices=API_NAMES, metavar="API",
        help="answer 403 to this API as to a key without its permission, while the others answer "
             "(repeatable; default: none): " + ", ".join(f"{name} ({PERMISSIONS[name]})" for name in API_NAMES))
    add("--refuse-latest-update-time", action="store_true",
        help="answer 400 with a JSON message to a conversation search whose body has latestUpdateTime, as "
             "LivePerson would if it stopped serving that filter (default: off, the filter is served)")
    add("--latency-ms", type=_whole(0), default=0, metavar="MS",
        help="answer time of each request in milliseconds, the emulator's own work included, "
             "a whole number >= 0 (default: %(default)s)")
    add("--serialize-ahead", action="store_true",
        help="serialize every conversation once before listening, so that answers cost the emulator almost no CPU "
             "(for benchmarks; about 10 KB of memory a conversation; default: off)")
    add("--token-ttl", type=_whole(1), default=3600, metavar="SECONDS",
        help="OAuth2 token lifetime in seconds, a whole number >= 1 (0 would issue tokens already expired) "
             "(default: %(default)s)")
    faults = parser.add_argument_group(
        "fault rates", "Each data request (not CSDS, not token) draws at most one fault, so the --rate-* "
                       "fractions must sum to at most 1.")
    for name, effect in RATE_HELP.items():
        faults.add_argument(f"--rate-{name}", type=_rate, default=0.0, metavar="FRACTION",
                            help=f"fraction (0 to 1) of data requests {effect} (default: %(default)s)")
    faults.add_argument("--unavailable-days", type=_day_list, default=(), metavar="DAYS",
                        help="comma-separated UTC days (YYYY-MM-DD) whose conversation searches answer 503 every "
                             "time, a search shard down; other windows answer (default: none)")
    faults.add_argument("--slow-seconds", type=_seconds, default=5.0, metavar="SECONDS",
                        help="how long a --rate-slow answer is held back, in seconds >= 0 (default: %(default)s)")
    add("--env-file", type=_env_file, default=None, metavar="PATH",
        help="also write the export lines to this file (atomically) once listening; its directory must exist "
             "(default: none, only printed)")
    add("--export-prefix", type=_export_prefix, default="LIVEPERSON", metavar="PREFIX",
        help="the prefix of the exported variables: PREFIX_ACCOUNT_ID, PREFIX_CSDS_URL, PREFIX_APP_KEY ...; e.g. "
             "BRAND_B for an account of LIVEPERSON_ACCOUNTS_FILE named by that prefix (default: %(default)s)")
    add("--verbose", action="store_true",
        help="log method, path (no query) and status of each request on stderr (default: off)")
    return parser


def _parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """parse_args, plus the one rule that spans options: the fault rates sum to at most 1."""
    args = parser.parse_args(argv)
    total = sum(getattr(args, "rate_" + name.replace("-", "_")) for name in RATE_HELP)
    if total > 1.0 + 1e-9:
        parser.error(f"the --rate-* options must sum to at most 1, got {total:g}")
    return args


def _config(args: argparse.Namespace) -> EmulatorConfig:
    first, last = args.days or (default_first_day(), default_last_day())
    faults = Faults(
        rate_429_retry_after=args.rate_429_retry_after,
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        rate_partial=args.rate_partial,
        rate_drop=args.rate_drop,
        rate_slow=args.rate_slow,
        slow_seconds=args.slow_seconds,
        rate_truncated=args.rate_truncated,
        forbidden_apis=frozenset(args.forbid),
        unavailable_days=frozenset(args.unavailable_days),
    )
    return EmulatorConfig(
        account=args.account, seed=args.seed, directory_of=args.directory_of, first_day=first, last_day=last,
        conversations_per_day=args.conversations_per_day, empty_days=args.empty_days,
        chats_per_day=args.chats_per_day, agents_with_status=args.agents_with_status,
        latency_ms=args.latency_ms, token_ttl_seconds=args.token_ttl, faults=faults,
        host=args.host, port=args.port, verbose=args.verbose,
        refuse_latest_update_time=args.refuse_latest_update_time, serialize_ahead=args.serialize_ahead,
    )


def _export_prefix(text: str) -> str:
    if not re.match(r"^[A-Z][A-Z0-9_]*$", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a variable prefix (upper-case letters, digits and _)")
    return text


def export_lines(emulator: Emulator, prefix: str = "LIVEPERSON") -> list[str]:
    cfg = emulator.config
    env = {**emulator.env(), **emulator.env(oauth2=True)}
    header = (f"# LivePerson emulator listening on {emulator.csds_url} "
              f"(account {cfg.account}, seed {cfg.seed}, {cfg.first_day}..{cfg.last_day})")
    return [header] + [f"export {prefix}{name[len('LIVEPERSON'):]}={shlex.quote(value)}" for name, value in env.items()]


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".liveperson-emulator-env.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(_parser(), argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Emulator(_config(args)) as emulator:
        text = "\n".join(export_lines(emulator, args.export_prefix)) + "\n"
        sys.stdout.write(text)
        sys.stdout.flush()
        if args.env_file:
            _write_atomically(args.env_file, text)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
