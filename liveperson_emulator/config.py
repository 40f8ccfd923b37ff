"""EmulatorConfig: everything that decides what the emulator serves."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from .faults import Faults


def _yesterday_utc() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)


def default_first_day() -> date:
    return _yesterday_utc() - timedelta(days=27)


def default_last_day() -> date:
    return _yesterday_utc()


@dataclass(frozen=True)
class EmulatorConfig:
    account: str = "13350576"
    seed: int = 7
    # Users, skills, agent groups and business hours of this account instead (their ids and names): a sandbox
    # copied from production, or two brands sharing a directory. Conversations, chats and status changes stay the
    # account's own; the same ids then name different people's work in each account.
    directory_of: str | None = None
    # Inclusive UTC days that hold conversations; default: the 28 days ending yesterday.
    first_day: date = field(default_factory=default_first_day)
    last_day: date = field(default_factory=default_last_day)
    conversations_per_day: int = 40
    # Legacy chats (Engagement History) per day, on average; fewer than conversations, as on a messaging account.
    chats_per_day: int = 12
    # Agents (non-API users) whose logins and status changes the Agent Activity API reports.
    agents_with_status: int = 8
    # Days with no conversations, chats or agent sessions.
    empty_days: tuple[date, ...] = ()
    latency_ms: int = 0
    token_ttl_seconds: int = 3600
    faults: Faults = field(default_factory=Faults)
    host: str = "127.0.0.1"
    port: int = 0
    # The emulator's "now" (epoch seconds): OAuth2 token expiry, the request time of the Messaging Operations API
    # (its intervals follow it) and the default 24 hours of the Agent Activity API. Tests pass a fake clock.
    clock: Callable[[], float] = time.time
    # Access log on stderr: method, path (no query) and status only.
    verbose: bool = False
    # The conversation search answers 400 {"message": ...} to a body with `latestUpdateTime`, as LivePerson would if
    # it stopped serving that filter (whether it still does is unconfirmed): for clients that must fail clearly then.
    refuse_latest_update_time: bool = False
    # Not the documented shape, which is one JSON array: account-config answers as {"data": [...]} pages of this
    # size following limit/offset, for clients that must cope with both.
    config_page_size: int | None = None
    # With config_page_size: the endpoint ignores limit/offset and answers every record in one `data` page.
    config_paging_ignores_offset: bool = False
    # Serialize every conversation once, before listening, so that answering costs the emulator almost no CPU: for
    # benchmarks, where the emulator shares the client's cores and a remote LivePerson would not (memory: about
    # 10 KB a conversation).
    serialize_ahead: bool = False
    # Whether the all-services CSDS answer lists leDataReporting (Messaging Operations). The one-service lookup
    # always resolves it, and LivePerson lists it; off by default only because the tests of the five-service list
    # predate it.

    def __post_init__(self):
        object.__setattr__(self, "account", str(self.account))
        object.__setattr__(self, "empty_days", tuple(self.empty_days))
        if self.first_day > self.last_day:
            raise ValueError("first_day must not be after last_day")
        if self.conversations_per_day < 0 or self.latency_ms < 0 or self.token_ttl_seconds < 0:
            raise ValueError("conversations_per_day, latency_ms and token_ttl_seconds must not be negative")
        if self.chats_per_day < 0 or self.agents_with_status < 0:
            raise ValueError("chats_per_day and agents_with_status must not be negative")
