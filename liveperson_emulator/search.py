"""Messaging Interactions conversation search: parameter rules, window rounding, filtering (`latestUpdateTime`
too), paging; and the search by conversation ids. The rules the conversation search shares with the Engagement
History chat search (chats.py) are here too: PagedQuery, parse_paged_search, list_filter."""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from .changes import LiveConversations
from .data import ALL_CONTENT_PARTS, DEFAULT_CONTENT_PARTS, ConversationHeader
from .days import TEN_MINUTES_MS
from .http_types import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_SOURCE_LENGTH = 20
MAX_RANGE_MS = 92 * 86_400_000  # "3 months"
MAX_CONVERSATION_IDS = 100  # the search by ids: "at most 100"
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
    updated_from_ms: int | None = None  # latestUpdateTime.from as sent

    @property
    def updated_since_ms(self) -> int | None:
        """latestUpdateTime.from as LivePerson applies it: "Including bounds. The value is rounded to the last 10
        minutes", read as the start.from bound is (rounded down to a multiple of 10 minutes, a multiple staying
        as it is: 19:09:59.999 -> 19:00, 19:10:00.000 -> 19:10). The docs' own example ("19:10 is rounded to
        19:00") would move an exact multiple back 10 minutes more; a client must not lean on either reading at the
        boundary (stepping its cursor back by at least 10 minutes covers both)."""
        if self.updated_from_ms is None:
            return None
        return self.updated_from_ms - self.updated_from_ms % TEN_MINUTES_MS


@dataclass(frozen=True)
class IdsQuery:
    """A search by conversation ids: each id once, in the order sent."""
    conversation_ids: tuple[str, ...]
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


def _check_source(request: Request) -> None:
    source = request.param("source")
    if not source:
        raise BadSearch("source is required")
    if len(source) > MAX_SOURCE_LENGTH:
        raise BadSearch(f"source must be at most {MAX_SOURCE_LENGTH} characters")


def _json_object_body(request: Request) -> dict:
    try:
        body = json.loads(request.body.decode("utf-8")) if request.body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadSearch("body must be JSON") from None
    if not isinstance(body, dict):
        raise BadSearch("body must be a JSON object")
    return body


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
    _check_source(request)
    sort = request.param("sort") or "start:asc"
    if sort not in sorts:
        raise BadSearch(f"unsupported sort {sort!r}")
    body = _json_object_body(request)
    start = body.get("start")
    if not isinstance(start, dict) or "from" not in start or "to" not in start:
        raise BadSearch("start with from and to is required")
    from_ms, to_ms = _epoch_ms(start["from"], "from"), _epoch_ms(start["to"], "to")
    if from_ms > to_ms:
        raise BadSearch("start.from must not be after start.to")
    if to_ms > latest_to(from_ms):
        raise BadSearch(f"time range must not exceed {longest}")
    return dict(offset=offset, limit=limit, descending=sorts[sort], from_ms=from_ms, to_ms=to_ms), body


def _content_parts(body: dict) -> tuple[str, ...]:
    parts = body.get("contentToRetrieve")
    if parts is None:
        return DEFAULT_CONTENT_PARTS
    if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
        # LivePerson's docs list the valid values of contentToRetrieve but do not say what happens to any other
        # name (no error is documented for it), so a name the emulator does not know is ignored, as are the
        # documented `skillChanges` and `uniqueIntents`, which the emulator does not produce. Every known part
        # asked for is returned, in the record's own order, and nothing else.
        return tuple(p for p in ALL_CONTENT_PARTS if p in parts)
    raise BadSearch("contentToRetrieve must be a list of strings")


def _updated_from(body: dict) -> int | None:
    """latestUpdateTime.from (epoch ms; only `from` is documented), None when the filter is absent. A JSON number
    is taken as a Java long would be (a fraction dropped); anything else is refused."""
    latest = body.get("latestUpdateTime")
    if latest is None:
        return None
    if not isinstance(latest, dict) or "from" not in latest:
        raise BadSearch("latestUpdateTime must be an object with from (epoch milliseconds)")
    value = latest["from"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadSearch("latestUpdateTime.from must be epoch milliseconds (a number)")
    return int(value)


def parse_search(request: Request, refuse_latest_update_time: bool = False) -> SearchQuery:
    """`refuse_latest_update_time`: answer a body with latestUpdateTime as an API that no longer serves it would."""
    paging, body = parse_paged_search(request, _SORTS, lambda from_ms: from_ms + MAX_RANGE_MS, "3 months")
    if refuse_latest_update_time and "latestUpdateTime" in body:
        raise BadSearch("latestUpdateTime is not a supported filter")
    return SearchQuery(
        **paging,
        statuses=list_filter(body, "status", lambda v: str(v).upper()),
        skill_ids=list_filter(body, "skillIds", int),
        agent_ids=list_filter(body, "agentIds", str),
        parts=_content_parts(body),
        updated_from_ms=_updated_from(body),
    )


def parse_ids_search(request: Request) -> IdsQuery:
    """The search by ids: `source` (and `v`, not checked) as for the conversation search; no paging (at most 100
    ids, one answer). A body with conversationIds (1 to 100 strings) or conversationId (one string), and
    contentToRetrieve."""
    _check_source(request)
    body = _json_object_body(request)
    if "conversationIds" in body and "conversationId" in body:
        raise BadSearch("send conversationIds or conversationId, not both")
    if "conversationId" in body:
        ids = [body["conversationId"]]
        if not isinstance(ids[0], str) or not ids[0]:
            raise BadSearch("conversationId must be a conversation id (a string)")
    else:
        ids = body.get("conversationIds")
        if not isinstance(ids, list) or not ids:
            raise BadSearch("conversationIds (a list of 1 to 100 conversation ids) or conversationId is required")
        if len(ids) > MAX_CONVERSATION_IDS:
            raise BadSearch(f"conversationIds must hold at most {MAX_CONVERSATION_IDS} ids, got {len(ids)}")
        if not all(isinstance(i, str) and i for i in ids):
            raise BadSearch("conversationIds must be conversation ids (strings)")
    return IdsQuery(conversation_ids=tuple(dict.fromkeys(ids)), parts=_content_parts(body))


def matching_headers(conversations: LiveConversations, query: SearchQuery, now_ms: int) -> list[ConversationHeader]:
    """The headers the query finds, as of now_ms (the emulator's clock, which bounds every last update)."""
    low, high = query.window
    since = query.updated_since_ms

    def find() -> list[ConversationHeader]:
        found = [
            h for h in conversations.headers_between(low, high)
            if (query.statuses is None or conversations.status_of(h) in query.statuses)
            and (query.skill_ids is None or h.skill_id in query.skill_ids)
            and (query.agent_ids is None or str(h.agent_id) in query.agent_ids)
            and (since is None or conversations.last_update_ms(h, now_ms) >= since)
        ]
        if query.descending:
            found.reverse()
        return found

    if since is not None:  # as of now: the clock moves between pages
        return find()
    return conversations.found((low, high, query.statuses, query.skill_ids, query.agent_ids, query.descending),
                               find)


def with_offset(raw_query: str, offset: int) -> str:
    """The query string with offset replaced (or added), every other parameter left as the client sent it."""
    pieces = [p for p in raw_query.split("&") if p]
    if any(p.split("=", 1)[0] == "offset" for p in pieces):
        pieces = [f"offset={offset}" if p.split("=", 1)[0] == "offset" else p for p in pieces]
    else:
        pieces.insert(0, f"offset={offset}")
    return "&".join(pieces)
