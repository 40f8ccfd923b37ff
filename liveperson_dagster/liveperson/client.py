"""LivePerson's REST APIs as the source uses them: account configuration collections and conversation search."""

import logging
import threading
import time
from typing import Callable, Iterator, Optional, Sequence
from urllib.parse import urlencode

from . import settings
from .auth import LivePersonOAuth1, LivePersonOAuth2
from .connection import LivePersonConnection
from .domains import ServiceDomains
from .errors import LivePersonHTTPError, LivePersonIncompleteDataError
from .limiter import AccountLimiter
from .search import WindowSearch
from .records import ids_of, start_ms_of
from .session import LivePersonSession
from .stats import RequestStats
from .windows import Window

logger = logging.getLogger(__name__)

CONFIG_COLLECTIONS = {
    # dataset table -> (API path segment, API version)
    "users": ("users", settings.USERS_API_VERSION),
    "skills": ("skills", settings.SKILLS_API_VERSION),
    "agent_groups": ("agentGroups", settings.AGENT_GROUPS_API_VERSION),
}
# A collection answered in `{"data": [...]}` pages is followed at most this far (guards an endpoint that ignores paging).
MAX_CONFIG_PAGES = 1000


class LivePersonClient:
    """One account's API client for one run: domains resolved once, one limiter, one set of counters."""

    def __init__(
        self,
        connection: LivePersonConnection,
        stats: Optional[RequestStats] = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: Optional[Callable[[RequestStats], None]] = None,
    ) -> None:
        self.connection = connection
        self._progress = progress
        self.stats = stats or RequestStats()
        limiter = AccountLimiter(connection.http.max_concurrent_requests, connection.http.requests_per_second)
        self._public_session = LivePersonSession(connection, self.stats, limiter, sleep)
        self._api_session = LivePersonSession(connection, self.stats, limiter, sleep)
        self.domains = ServiceDomains(
            connection.csds_url, connection.account_id, self._public_session,
            f"{connection.setting_name('account_id')} and {connection.setting_name('csds_url')}",
        )
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
            f"{self.domains.base_url(settings.OAUTH2_TOKEN_SERVICE)}"
            f"/sentinel/api/v2/account/{self.connection.account_id}/app/token"
        )
        return LivePersonOAuth2(
            access_token_url=token_url,
            client_id=keys.client_id,
            client_secret=keys.client_secret,
            session=self._public_session,
        )

    def fetch_collection(self, collection: str) -> Iterator[list]:
        """Yields the records of users, skills or agent_groups, deleted ones included.

        The API answers one JSON array. A `{"data": [...]}` answer is followed by limit/offset until a page is
        empty, short, or the same as the one before (an endpoint that ignores paging is not looped on)."""
        segment, version = CONFIG_COLLECTIONS[collection]
        session = self._session()
        url = (
            f"{self.domains.base_url(settings.ACCOUNT_CONFIG_SERVICE)}/api/account/{self.connection.account_id}"
            f"/configuration/le-users/{segment}"
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
                yield body
                return
            records = body.get("data") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise LivePersonHTTPError(f"GET {url}", f"expected a JSON array of {collection}, got {type(body).__name__}")
            page_ids = ids_of(records)
            if not records or page_ids == previous_ids:
                return
            yield records
            limit = body.get("limit") or len(records)
            total = body.get("count", body.get("total"))
            offset += len(records)
            if len(records) < limit or (isinstance(total, int) and offset >= total):
                return
            previous_ids = page_ids
            params = {**params, "limit": limit, "offset": offset}
        raise LivePersonIncompleteDataError(f"GET {url}: more than {MAX_CONFIG_PAGES} pages of {collection}")

    def search_conversations(self, window: Window, content_parts: Sequence[str]) -> Iterator[list]:
        """Yields pages of conversation records whose start time lies in `window` (half-open), each once."""
        for piece in window.slices():
            yield from self._search_slice(piece, content_parts)

    def _search_slice(self, window: Window, content_parts: Sequence[str]) -> Iterator[list]:
        base = self.domains.base_url(settings.MESSAGING_HISTORY_SERVICE)
        query = urlencode({
            "offset": 0,
            "limit": settings.SEARCH_PAGE_SIZE,
            "v": settings.SEARCH_API_VERSION,
            "sort": settings.SEARCH_SORT,
            "source": settings.SEARCH_CALLER_ID,
        })
        url = f"{base}/messaging_history/api/account/{self.connection.account_id}/conversations/search?{query}"
        body = {"start": window.search_range(), "contentToRetrieve": list(content_parts)}
        # The API rounds bounds outward and includes them: records outside the half-open window are dropped,
        # and a slice fetched again (its count did not fill) yields only what it had not yielded yet.
        yielded: set = set()
        for attempt in range(1, settings.INCOMPLETE_SLICE_ATTEMPTS + 1):
            search = WindowSearch(
                self._session(), url, body, settings.SEARCH_PAGE_SIZE, self.connection.http.max_concurrent_requests
            )
            for records in search.pages_of_records():
                self.stats.add("pages")
                fresh = []
                for record in records:
                    start_ms = start_ms_of(record)
                    conversation_id = (record.get("info") or {}).get("conversationId")
                    if start_ms is None or not conversation_id or not window.contains_ms(start_ms):
                        continue
                    if conversation_id not in yielded:
                        yielded.add(conversation_id)
                        fresh.append(record)
                self.stats.add("conversations", len(fresh))
                self._report_progress()
                if fresh:
                    yield fresh
            if not search.is_short:
                return
            self.stats.retried("count_not_filled")
            logger.warning(
                "%s: window %s: received %d records of the %d that _metadata.count promised (attempt %d of %d)",
                search.endpoint, window, search.received, search.promised, attempt, settings.INCOMPLETE_SLICE_ATTEMPTS,
            )
        raise LivePersonIncompleteDataError(
            f"{search.endpoint}: window {window}: received {search.received} records of the {search.promised} that "
            f"_metadata.count promised, {settings.INCOMPLETE_SLICE_ATTEMPTS} times; the window was not loaded"
        )

    def _report_progress(self) -> None:
        if self._progress is not None:
            self._progress(self.stats)
