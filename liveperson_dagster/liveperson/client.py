"""LivePerson's REST APIs as the source uses them: account configuration collections and conversation search."""

import logging
import threading
import time
from typing import Callable, Iterator, Optional, Sequence
from urllib.parse import urlencode

import requests

from . import api_constants
from .auth import LivePersonOAuth1, LivePersonOAuth2
from .connection import LivePersonConnection
from .domains import ServiceDomains
from .errors import LivePersonHTTPError, LivePersonIncompleteDataError
from .operations import agent_metrics_rows, operations_query, queue_health_rows, timeframe_minutes
from .search import SearchPage, WindowSearch
from .records import CHAT_ENGAGEMENTS, CONVERSATIONS, STATUS_CHANGES, WindowedRecords, ids_of, is_partial
from .session import LivePersonSession
from .slots import AccountLimiter, RequestSlots
from .stats import RequestStats
from .windows import Window, rfc3339_ms

logger = logging.getLogger(__name__)

CONFIG_COLLECTIONS = {
    # dataset table -> (API path under /configuration/, API version)
    "users": ("le-users/users", "6.0"),
    "skills": ("le-users/skills", "4.0"),
    "agent_groups": ("le-users/agentGroups", "4.0"),
    "agent_status_reasons": ("le-agents/status-reasons", "2.0"),
    "profiles": ("le-users/profiles", "4.0"),
    "lobs": ("le-users/lobs", "4.0"),
    "predefined_content": ("engagement-window/canned-responses", "2.0"),
    # The Workdays and Special Occasions docs require `v` but give no value; LivePerson's community code sends 1.0.
    "workdays": ("ac-common/workinghours", "1.0"),
    "special_occasions": ("ac-common/specialoccasion", "1.0"),
}
# Collections whose list answers only id, name, deleted and isDefault (LivePerson's Workdays and Special Occasions
# docs): each full object is read by its id.
LISTED_BY_NAME = ("workdays", "special_occasions")
# A collection answered in `{"data": [...]}` pages is followed at most this far (guards an endpoint that ignores paging).
MAX_CONFIG_PAGES = 1000


class LivePersonClient:
    """One account's API client for one run: domains resolved once, one limiter (its requests in flight counted
    against the account's slots on this machine, shared with the other runs), one set of counters."""

    def __init__(
        self,
        connection: LivePersonConnection,
        stats: Optional[RequestStats] = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: Optional[Callable[[RequestStats], None]] = None,
        clock: Callable[[], float] = time.time,
        limiter: Optional[AccountLimiter] = None,
    ) -> None:
        self.connection = connection
        self._clock = clock
        self._progress = progress
        self.stats = stats or RequestStats()
        limiter = limiter or account_limiter(connection)
        self._public_session = LivePersonSession(connection, self.stats, limiter, sleep)
        self._api_session = LivePersonSession(connection, self.stats, limiter, sleep)
        self.domains = ServiceDomains(
            connection.csds_url, connection.account_id, self._public_session, connection.setting_name)
        self._auth_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LivePersonClient(account_id={self.connection.account_id!r})"

    def _session(self) -> LivePersonSession:
        with self._auth_lock:
            if self._api_session.auth is None:
                self._api_session.auth = self._make_auth()
        return self._api_session

    def _make_auth(self):
        if self.connection.oauth1 is not None:
            return LivePersonOAuth1(self.connection)
        keys = self.connection.oauth2
        token_url = (
            f"{self.domains.base_url(api_constants.OAUTH2_TOKEN_SERVICE)}"
            f"/sentinel/api/v2/account/{self.connection.account_id}/app/token"
        )
        return LivePersonOAuth2(
            access_token_url=token_url,
            client_id=keys.client_id,
            client_secret=keys.client_secret,
            session=self._public_session,
        )

    def fetch_collection(self, collection: str) -> Iterator[list]:
        """Yields the records of a configuration collection (CONFIG_COLLECTIONS), deleted ones included.

        The API answers one JSON array. A `{"data": [...]}` answer is followed by limit/offset until a page is
        empty, short, or the same as the one before (an endpoint that ignores paging is not looped on)."""
        path, version = CONFIG_COLLECTIONS[collection]
        session = self._session()
        url = (
            f"{self.domains.base_url(api_constants.ACCOUNT_CONFIG_SERVICE)}/api/account/{self.connection.account_id}"
            f"/configuration/{path}"
        )
        params = {"v": version, "include_deleted": "true"}
        if collection == "users":
            params["select"] = "$all"
        previous_ids = None
        offset = 0
        for _ in range(MAX_CONFIG_PAGES):
            body = session.get(url, params=params).json()
            self.stats.add("pages")
            if isinstance(body, list):
                self.stats.add(collection, len(body))
                yield body
                return
            records = body.get("data") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise LivePersonHTTPError(f"GET {url}", f"expected a JSON array of {collection}, got {type(body).__name__}")
            page_ids = ids_of(records)
            if not records or page_ids == previous_ids:
                return
            self.stats.add(collection, len(records))
            yield records
            limit = body.get("limit") or len(records)
            total = body.get("count", body.get("total"))
            offset += len(records)
            if len(records) < limit or (isinstance(total, int) and offset >= total):
                return
            previous_ids = page_ids
            params = {**params, "limit": limit, "offset": offset}
        raise LivePersonIncompleteDataError(f"GET {url}: more than {MAX_CONFIG_PAGES} pages of {collection}")

    def fetch_full_objects(self, collection: str) -> Iterator[list]:
        """Yields the full objects of a collection of LISTED_BY_NAME, deleted ones included: the list, then a
        `GET .../{id}` of each object listed."""
        path, version = CONFIG_COLLECTIONS[collection]
        url = (
            f"{self.domains.base_url(api_constants.ACCOUNT_CONFIG_SERVICE)}/api/account/{self.connection.account_id}"
            f"/configuration/{path}"
        )
        session = self._session()
        for page in self.fetch_collection(collection):
            objects = [session.get(f"{url}/{record['id']}", params={"v": version}).json() for record in page
                       if isinstance(record, dict) and record.get("id") is not None]
            self.stats.add("pages", len(objects))
            yield objects

    def search_conversations(self, window: Window, content_parts: Sequence[str],
                             updated_since_ms: Optional[int] = None) -> Iterator[list]:
        """Yields pages of conversation records whose start time lies in `window` (half-open), each once; with
        `updated_since_ms`, only those updated since then (the API rounds it down to 10 minutes)."""
        url = self._conversation_search_url(api_constants.SEARCH_PAGE_SIZE)
        for piece in window.slices(api_constants.MAX_SEARCH_SLICE_DAYS):
            body = {"start": piece.search_range(), "contentToRetrieve": list(content_parts),
                    **_updated_since(updated_since_ms)}
            yield from self._records_in_window(piece, CONVERSATIONS, url, self._poster(body))

    def count_updated_conversations(self, window: Window, updated_since_ms: int) -> int:
        """How many conversations that started in `window` were updated since `updated_since_ms`, as the search
        counts them (`_metadata.count`: one request of one record per slice of the window)."""
        url = self._conversation_search_url(1)
        total = 0
        for piece in window.slices(api_constants.MAX_SEARCH_SLICE_DAYS):
            body = {"start": piece.search_range(), "contentToRetrieve": [], **_updated_since(updated_since_ms)}
            page = SearchPage(url, self._poster(body)(url), CONVERSATIONS.records_key)
            self.stats.add("requests_counting_updates")
            total += page.count or 0
        return total

    def _conversation_search_url(self, page_size: int) -> str:
        base = self.domains.base_url(api_constants.MESSAGING_HISTORY_SERVICE)
        query = urlencode({
            "offset": 0,
            "limit": page_size,
            "v": api_constants.SEARCH_API_VERSION,
            "sort": api_constants.SEARCH_SORT,
            "source": api_constants.SEARCH_CALLER_ID,
        })
        return f"{base}/messaging_history/api/account/{self.connection.account_id}/conversations/search?{query}"

    def conversations_by_ids(self, conversation_ids: Sequence[str], content_parts: Sequence[str]) -> list:
        """The records of `conversation_ids` as the search by ids answers them now, asked in batches of at most
        SEARCH_BY_IDS_BATCH_SIZE ids; ids it does not find (unknown, deleted) are absent from the list."""
        base = self.domains.base_url(api_constants.MESSAGING_HISTORY_SERVICE)
        query = urlencode({"source": api_constants.SEARCH_CALLER_ID})
        url = (f"{base}/messaging_history/api/account/{self.connection.account_id}"
               f"/conversations/conversation/search?{query}")
        session = self._session()
        ids = list(dict.fromkeys(conversation_ids))
        records: list = []
        for first in range(0, len(ids), api_constants.SEARCH_BY_IDS_BATCH_SIZE):
            body = {"conversationIds": ids[first:first + api_constants.SEARCH_BY_IDS_BATCH_SIZE],
                    "contentToRetrieve": list(content_parts)}
            records += SearchPage(url, session.post(url, json=body), CONVERSATIONS.records_key).records
            self.stats.add("pages")
            self._report_progress()
        return records

    def search_chat_engagements(self, window: Window) -> Iterator[list]:
        """Yields pages of chat (Engagement History) records whose start time lies in `window`, each once."""
        base = self.domains.base_url(api_constants.ENGAGEMENT_HISTORY_SERVICE)
        query = urlencode({
            "offset": 0,
            "limit": api_constants.CHAT_SEARCH_PAGE_SIZE,
            "sort": api_constants.SEARCH_SORT,
            "source": api_constants.SEARCH_CALLER_ID,
        })
        url = f"{base}/interaction_history/api/account/{self.connection.account_id}/interactions/search?{query}"
        for piece in window.slices(api_constants.MAX_CHAT_SLICE_DAYS):
            body = {"start": piece.search_range()}
            yield from self._records_in_window(piece, CHAT_ENGAGEMENTS, url, self._poster(body))

    def status_changes(self, window: Window) -> Iterator[list]:
        """Yields pages of agent status changes whose `time` lies in `window` (half-open), each once."""
        base = self.domains.base_url(api_constants.AGENT_ACTIVITY_SERVICE)
        session = self._session()
        for piece in window.slices(api_constants.MAX_STATUS_CHANGES_SLICE_DAYS):
            query = urlencode({
                "source": api_constants.SEARCH_CALLER_ID,
                "v": api_constants.STATUS_CHANGES_API_VERSION,
                # One millisecond wider on each side, whichever bounds the API includes; the records outside the
                # half-open window are dropped below.
                "from": rfc3339_ms(piece.start_ms - 1),
                "to": rfc3339_ms(piece.end_ms),
                "limit": api_constants.STATUS_CHANGES_PAGE_SIZE,
                "offset": 0,
            })
            url = f"{base}/api/v2/account/{self.connection.account_id}/status-changes?{query}"
            yield from self._records_in_window(piece, STATUS_CHANGES, url, session.get, method="GET")

    def messaging_queue_health(self, window: Window) -> list:
        """Queue health of every skill, one row per skill and 5-minute interval that starts in `window`."""
        timeframe = timeframe_minutes(window, self._now_ms())
        return self._operations("msgqueuehealth", operations_query(timeframe, skillIds="all"), window,
                                queue_health_rows, "messaging_queue_health")

    def messaging_agent_metrics(self, window: Window) -> list:
        """Conversation metrics of every agent, one row per agent and 5-minute bucket that ends in `window`."""
        timeframe = timeframe_minutes(window, self._now_ms())
        return self._operations("msgconversation", operations_query(timeframe, agentIds="all"), window,
                                agent_metrics_rows, "messaging_agent_metrics")

    def _operations(self, method: str, query: dict, window: Window, rows_of, name: str) -> list:
        base = self.domains.base_url(api_constants.OPERATIONS_SERVICE)
        url = f"{base}/operations/api/account/{self.connection.account_id}/{method}?{urlencode(query)}"
        body = self._session().get(url).json()
        self.stats.add("pages")
        rows = list(rows_of(body, window))
        self.stats.add(name, len(rows))
        self._report_progress()
        return rows

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _poster(self, body: dict) -> Callable[[str], requests.Response]:
        session = self._session()
        return lambda url: session.post(url, json=body)

    def _records_in_window(self, window: Window, query: "WindowedRecords", url: str,
                           fetch: Callable[[str], requests.Response], method: str = "POST") -> Iterator[list]:
        # The APIs round bounds outward and include them: records outside the half-open window are dropped, and a
        # window fetched again (its count did not fill) yields only what it had not yielded yet.
        yielded: set = set()
        for attempt in range(1, api_constants.INCOMPLETE_SLICE_ATTEMPTS + 1):
            search = WindowSearch(fetch, url, query.records_key, query.page_size(),
                                  self.connection.http.max_concurrent_requests, method)
            for records in search.pages_of_records():
                self.stats.add("pages")
                fresh = []
                for record in records:
                    at_ms, key = query.time_ms_of(record), query.key_of(record)
                    if at_ms is None or not key or not window.contains_ms(at_ms) or key in yielded:
                        continue
                    yielded.add(key)
                    fresh.append(record)
                self.stats.add(query.name, len(fresh))
                self._report_progress()
                if fresh:
                    yield fresh
            if not search.is_short:
                return
            self.stats.retried("count_not_filled")
            logger.warning(
                "%s: window %s: received %d records of the %d that _metadata.count promised (attempt %d of %d)",
                search.endpoint, window, search.received, search.promised, attempt, api_constants.INCOMPLETE_SLICE_ATTEMPTS,
            )
        raise LivePersonIncompleteDataError(
            f"{search.endpoint}: window {window}: received {search.received} records of the {search.promised} that "
            f"_metadata.count promised, {api_constants.INCOMPLETE_SLICE_ATTEMPTS} times; the window was not loaded"
        )

    def _report_progress(self) -> None:
        if self._progress is not None:
            self._progress(self.stats)


# Completes the conversation records LivePerson serves partial (`info.isPartial: true`: content incomplete).
#
# Each page of the search goes through `completed` before it becomes rows: its partial records are asked for again
# with the search by ids, and those still partial again, up to PARTIAL_REFETCH_ATTEMPTS times. A record that stays
# partial is loaded as last served, flagged by its `is_partial` column (records.py): never silently. The
# materialization counts it and the `complete_records` check warns until a re-load of its day completes it.
#
# The attempts follow each other without a pause: the search's later pages wait while a page is completed, so a
# pause would be paid on every page that holds a stubborn record; such a record is not lost but flagged, and the
# schedule's re-load of the last days asks for it again hours later.
def completed(client: LivePersonClient, page: list, content_parts: Sequence[str]) -> list:
    """`page` (records of the search) with each partial record replaced by what the search by ids answers for
    it, in the same order (the client's `conversations_by_ids` and `stats` are all it uses).

    Counts in the client's stats `partial_refetched` (records served partial that the refetch completed) and
    `partial_remaining` (records still partial after the attempts, loaded as last served)."""
    served_partial = [index for index, record in enumerate(page) if is_partial(record)]
    if not served_partial:
        return page
    page = list(page)
    pending = served_partial
    for _ in range(api_constants.PARTIAL_REFETCH_ATTEMPTS):
        answer = client.conversations_by_ids([CONVERSATIONS.key_of(page[index]) for index in pending], content_parts)
        by_id = {CONVERSATIONS.key_of(record): record for record in answer}
        still = []
        for index in pending:
            fresh = by_id.get(CONVERSATIONS.key_of(page[index]))
            if fresh is None:
                # The search served it a moment ago but the search by ids does not find it: deleted meanwhile, or not
                # found by id yet. It keeps its partial version, flagged, and is not asked for again. Dropping it
                # would be a silent loss (and a replacing load would delete the warehouse's row): a re-load of its
                # day settles it either way, whole again or removed with the day's replacement.
                continue
            page[index] = fresh
            if is_partial(fresh):
                still.append(index)
        pending = still
        if not pending:
            break
    remaining = [CONVERSATIONS.key_of(page[index]) for index in served_partial if is_partial(page[index])]
    client.stats.add("partial_refetched", len(served_partial) - len(remaining))
    client.stats.add("partial_remaining", len(remaining))
    if remaining:
        logger.warning(
            "%d conversation(s) still partial after up to %d searches by id, loaded flagged (is_partial): %s",
            len(remaining), api_constants.PARTIAL_REFETCH_ATTEMPTS, ", ".join(remaining[:10]),
        )
    return page


def account_limiter(connection: LivePersonConnection) -> AccountLimiter:
    """A run's limiter, its requests in flight held against the account's slots shared by the machine's runs."""
    http = connection.http
    slots = RequestSlots(connection.account_id, http.max_concurrent_requests, http.request_slots_dir,
                         setting=connection.setting_name("request_slots_dir"),
                         timeout_seconds=http.request_slot_timeout_seconds,
                         timeout_setting=connection.setting_name("request_slot_timeout_seconds"))
    return AccountLimiter(http.max_concurrent_requests, http.requests_per_second, slots=slots)


def _updated_since(updated_since_ms: Optional[int]) -> dict:
    return {} if updated_since_ms is None else {"latestUpdateTime": {"from": updated_since_ms}}
