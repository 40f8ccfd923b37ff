"""A search paged by offset: the first page, then the rest of the pages fetched concurrently.

The first page tells the total (`_metadata.count`, or the offset of the `last` reference) and the shape of the
`next` link, so the remaining offsets are known and fetched in parallel (dlt's RESTClient pages strictly one after
another). Each page's `next` link is still checked: it must stay on the same host and advance by one page. Pages
are yielded in order, with at most a few pages in flight, so memory does not grow with the size of the window.
Used by the conversation search, the chat (Engagement History) search and the agent status changes.
"""

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .errors import LivePersonHTTPError, LivePersonIncompleteDataError
from .domains import require_same_origin


class SearchPage:
    """One page: its records, the total the API promised (if it says), and its `next` and `last` links."""

    def __init__(self, url: str, response: requests.Response, records_key: str) -> None:
        body = response.json()
        records = body.get(records_key) if isinstance(body, dict) else None
        if records is not None and not isinstance(records, list):
            raise LivePersonHTTPError(url, f"{records_key} is not a list", response.status_code)
        metadata = (body.get("_metadata") if isinstance(body, dict) else None) or {}
        links = {ref.get("rel"): ref.get("href") for ref in metadata.get("references") or [] if isinstance(ref, dict)}
        self.url = url
        self.records: list = records or []
        self.count: Optional[int] = metadata.get("count") if isinstance(metadata.get("count"), int) else None
        # The search puts `next` in `_metadata.next`; the Agent Activity API lists it among `_metadata.references`.
        self.next_url: Optional[str] = ((metadata.get("next") or {}).get("href")) or links.get("next") or None
        last_url = links.get("last")
        self.last_offset: Optional[int] = offset_of(last_url) if last_url else None


def offset_of(url: str) -> int:
    return int(dict(parse_qsl(urlsplit(url).query)).get("offset", 0))


def with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["offset"] = str(offset)
    return urlunsplit(parts._replace(query=urlencode(query)))


class WindowSearch:
    """All pages of one query, each page once, with the count the API promised (when it tells one).

    `fetch(url)` answers one page's `requests.Response` (a POST of the search body, a GET of a listing)."""

    def __init__(self, fetch: Callable[[str], requests.Response], url: str, records_key: str, page_size: int,
                 workers: int, method: str = "POST") -> None:
        self._fetch_response = fetch
        self._first_url = url
        self._records_key = records_key
        self._page_size = page_size
        self._workers = workers
        self.endpoint = f"{method} {urlsplit(url).scheme}://{urlsplit(url).netloc}{urlsplit(url).path}"
        self.promised: Optional[int] = None
        self.received = 0

    @property
    def is_short(self) -> bool:
        return self.promised is not None and self.received < self.promised

    def pages_of_records(self) -> Iterator[list]:
        first = self._fetch(self._first_url)
        yield first.records
        self.promised = first.count
        if first.next_url is None or not first.records:
            return
        end = self.promised if self.promised is not None else (first.last_offset or 0) + 1
        offsets = list(range(offset_of(first.url) + self._page_size, end, self._page_size))
        last = self._checked_next(first, expected=offsets[0] if offsets else None)
        if offsets:
            last = yield from self._fan_out([with_offset(last, offset) for offset in offsets])
        # The total grew while paging (conversations appear within a minute): follow the links one by one.
        while last is not None:
            page = self._fetch(last)
            if not page.records:
                return
            yield page.records
            last = self._checked_next(page, expected=offset_of(page.url) + self._page_size)

    def _fan_out(self, urls: list):
        """Fetches `urls` with a bounded number in flight; yields their records in order and returns the next
        link of the last page, if it has one."""
        next_url = None
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="liveperson-search") as pool:
            pending: deque = deque()
            queued = iter(urls)
            try:
                for url in queued:
                    pending.append(pool.submit(self._fetch, url))
                    if len(pending) >= 2 * self._workers:
                        break
                while pending:
                    page = pending.popleft().result()
                    for url in queued:
                        pending.append(pool.submit(self._fetch, url))
                        break
                    if not page.records:
                        return None
                    yield page.records
                    next_url = self._checked_next(page, expected=offset_of(page.url) + self._page_size)
            finally:
                # On an error, an early end or a consumer that stops: no more requests than those under way.
                for future in pending:
                    future.cancel()
        return next_url

    def _fetch(self, url: str) -> SearchPage:
        page = SearchPage(url, self._fetch_response(url), self._records_key)
        self.received += len(page.records)
        return page

    def _checked_next(self, page: SearchPage, expected: Optional[int]) -> Optional[str]:
        if page.next_url is None:
            return None
        require_same_origin(page.next_url, page.url, self.endpoint)
        offset = offset_of(page.next_url)
        if offset <= offset_of(page.url) or (expected is not None and offset != expected):
            raise LivePersonIncompleteDataError(
                f"{self.endpoint}: the next link repeats or skips pages (offset {offset_of(page.url)} links to "
                f"offset {offset}): the search would never end or would miss conversations"
            )
        return page.next_url
