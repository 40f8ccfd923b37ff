"""liveperson-emulator: run the emulator until SIGTERM/SIGINT, printing shell exports for its credentials."""

import argparse
import os
import shlex
import signal
import sys
import tempfile
import threading
from datetime import date

from .config import EmulatorConfig, default_first_day, default_last_day
from .faults import Faults
from .permissions import API_NAMES, PERMISSIONS
from .server import Emulator


def _day_range(text: str) -> tuple[date, date]:
    try:
        first, last = (date.fromisoformat(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD:YYYY-MM-DD") from None
    if first > last:
        raise argparse.ArgumentTypeError("first day is after last day")
    return first, last


def _day_list(text: str) -> tuple[date, ...]:
    try:
        return tuple(date.fromisoformat(part) for part in text.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD[,YYYY-MM-DD...]") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liveperson-emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--account", default="13350576")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=_day_range, default=None,
                        help="FIRST:LAST inclusive UTC days (default: the 28 days ending yesterday)")
    parser.add_argument("--empty-days", type=_day_list, default=(), help="comma-separated days with no conversations")
    parser.add_argument("--conversations-per-day", type=int, default=40)
    parser.add_argument("--chats-per-day", type=int, default=12,
                        help="legacy chats (Engagement History API) per day on average (default: 12)")
    parser.add_argument("--agents-with-status", type=int, default=8,
                        help="agents whose logins and status changes the Agent Activity API reports (default: 8)")
    parser.add_argument("--forbid", action="append", default=[], choices=API_NAMES, metavar="API",
                        help="answer 403 to this API as to a key without its permission, while the others answer "
                             "(repeatable): " + ", ".join(f"{name} ({PERMISSIONS[name]})" for name in API_NAMES))
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="answer time of each request, the emulator's own work included")
    parser.add_argument("--token-ttl", type=int, default=3600, help="OAuth2 token lifetime in seconds")
    for name in ("429", "429-retry-after", "5xx", "partial", "drop", "slow", "truncated"):
        parser.add_argument(f"--rate-{name}", type=float, default=0.0)
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--env-file", help="write the export lines here (atomically) once listening")
    parser.add_argument("--verbose", action="store_true", help="log method, path and status of each request")
    return parser


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
    )
    return EmulatorConfig(
        account=args.account, seed=args.seed, first_day=first, last_day=last,
        conversations_per_day=args.conversations_per_day, empty_days=args.empty_days,
        chats_per_day=args.chats_per_day, agents_with_status=args.agents_with_status,
        latency_ms=args.latency_ms, token_ttl_seconds=args.token_ttl, faults=faults,
        host=args.host, port=args.port, verbose=args.verbose,
    )


def export_lines(emulator: Emulator) -> list[str]:
    cfg = emulator.config
    env = {**emulator.env(), **emulator.env(oauth2=True)}
    header = (f"# LivePerson emulator listening on {emulator.csds_url} "
              f"(account {cfg.account}, seed {cfg.seed}, {cfg.first_day}..{cfg.last_day})")
    return [header] + [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


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
    args = _parser().parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Emulator(_config(args)) as emulator:
        text = "\n".join(export_lines(emulator)) + "\n"
        sys.stdout.write(text)
        sys.stdout.flush()
        if args.env_file:
            _write_atomically(args.env_file, text)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
