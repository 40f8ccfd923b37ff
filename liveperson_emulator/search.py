"""Messaging Interactions conversation search: parameter rules, window rounding, filtering, paging. The rules it
shares with the Engagement History chat search (chats.py) are here too: PagedQuery, parse_paged_search, list_filter."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from .data import ALL_CONTENT_PARTS, DEFAULT_CONTENT_PARTS, ConversationHeader, ConversationStore
from .days import TEN_MINUTES_MS
from .http_types import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_SOURCE_LENGTH = 20
MAX_RANGE_MS = 92 * 86_400_000  # "3 months"
_SORTS = {"start:asc": False, "start:desc": True}


class BadSearch(Exception):
    """Answered as 400 with this message."""


@dataclass(frozen=True)
class PagedQuery:
    offset: int
    limit: int
    descending: bool
    from_ms: int
    to_ms: int

    @property
    def window(self) -> tuple[int, int]:
        return rounded_window(self.from_ms, self.to_ms)


@dataclass(frozen=True)
class SearchQuery(PagedQuery):
    statuses: frozenset[str] | None
    skill_ids: frozenset[int] | None
    agent_ids: frozenset[str] | None
    parts: tuple[str, ...]


def rounded_window(from_ms: int, to_ms: int) -> tuple[int, int]:
    """LivePerson rounds the bounds outward to 10 minutes; both ends are inclusive."""
    return from_ms - from_ms % TEN_MINUTES_MS, to_ms + (-to_ms) % TEN_MINUTES_MS


def _int_param(request: Request, name: str, default: int) -> int:
    try:
        return request.int_param(name, default)
    except ValueError:
        raise BadSearch(f"{name} must be an integer") from None


def _epoch_ms(value, name: str) -> int:
    if not isinstance(value, bool) and isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():  # the chat docs' example 6 quotes them
        return int(value)
    raise BadSearch(f"start.{name} must be epoch milliseconds")


def list_filter(body: dict, name: str, convert) -> frozenset | None:
    """The body's list `name` as a set of convert(value), or None when it is absent."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadSearch(f"{name} must be a list")
    try:
        return frozenset(convert(v) for v in value)
    except (TypeError, ValueError):
        raise BadSearch(f"{name} has an invalid value") from None


def parse_paged_search(request: Request, sorts: dict[str, bool], latest_to: Callable[[int], int],
                       longest: str) -> tuple[dict, dict]:
    """The rules both searches share: offset, limit, source and sort (one of `sorts`, to descending) in the query
    string; a JSON object body with start {from, to} in epoch ms, `to` at most latest_to(from) (`longest` names the
    limit). Returns PagedQuery's fields as keyword arguments, and the body."""
    offset = _int_param(request, "offset", 0)
    limit = _int_param(request, "limit", DEFAULT_LIMIT)
    if offset < 0:
        raise BadSearch("offset must not be negative")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadSearch(f"limit must be between 1 and {MAX_LIMIT}")
    source = request.param("source")
    if not source:
        raise BadSearch("source is required")
    if len(source) > MAX_SOURCE_LENGTH:
        raise BadSearch(f"source must be at most {MAX_SOURCE_LENGTH} characters")
    sort = request.param("sort") or "start:asc"
    if sort not in sorts:
        raise BadSearch(f"unsupported sort {sort!r}")
    try:
        body = json.loads(request.body.decode("utf-8")) if request.body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadSearch("body must be JSON") from None
    if not isinstance(body, dict):
        raise BadSearch("body must be a JSON object")
    start = body.get("start")
    if not isinstance(start, dict) or "from" not in start or "to" not in start:
        raise BadSearch("start with from and to is required")
    from_ms, to_ms = _epoch_ms(start["from"], "from"), _epoch_ms(start["to"], "to")
    if from_ms > to_ms:
        raise BadSearch("start.from must not be after start.to")
    if to_ms > latest_to(from_ms):
        raise BadSearch(f"time range must not exceed {longest}")
    return dict(offset=offset, limit=limit, descending=sorts[sort], from_ms=from_ms, to_ms=to_ms), body


def parse_search(request: Request) -> SearchQuery:
    paging, body = parse_paged_search(request, _SORTS, lambda from_ms: from_ms + MAX_RANGE_MS, "3 months")
    parts = body.get("contentToRetrieve")
    if parts is None:
        chosen = DEFAULT_CONTENT_PARTS
    elif isinstance(parts, list) and all(isinstance(p, str) for p in parts):
        # LivePerson's docs list the valid values of contentToRetrieve but do not say what happens to any other
        # name (no error is documented for it), so a name the emulator does not know is ignored, as are the
        # documented `skillChanges` and `uniqueIntents`, which the emulator does not produce. Every known part
        # asked for is returned, in the record's own order, and nothing else.
        chosen = tuple(p for p in ALL_CONTENT_PARTS if p in parts)
    else:
        raise BadSearch("contentToRetrieve must be a list of strings")

    return SearchQuery(
        **paging,
        statuses=list_filter(body, "status", lambda v: str(v).upper()),
        skill_ids=list_filter(body, "skillIds", int),
        agent_ids=list_filter(body, "agentIds", str),
        parts=chosen,
    )


def matching_headers(store: ConversationStore, query: SearchQuery) -> list[ConversationHeader]:
    low, high = query.window
    found = [
        h for h in store.headers_between(low, high)
        if (query.statuses is None or h.status in query.statuses)
        and (query.skill_ids is None or h.skill_id in query.skill_ids)
        and (query.agent_ids is None or str(h.agent_id) in query.agent_ids)
    ]
    if query.descending:
        found.reverse()
    return found


def with_offset(raw_query: str, offset: int) -> str:
    """The query string with offset replaced (or added), every other parameter left as the client sent it."""
    pieces = [p for p in raw_query.split("&") if p]
    if any(p.split("=", 1)[0] == "offset" for p in pieces):
        pieces = [f"offset={offset}" if p.split("=", 1)[0] == "offset" else p for p in pieces]
    else:
        pieces.insert(0, f"offset={offset}")
    return "&".join(pieces)
