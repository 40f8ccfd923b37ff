"""The conversation search of one window: the first page, then the rest of the pages fetched concurrently.

The first page tells the total (`_metadata.count`) and the shape of the `next` link, so the remaining offsets
are known and fetched in parallel (dlt's RESTClient pages strictly one after another). Each page's `next` link is
still checked: it must stay on the same host and advance by one page. Pages are yielded in order, with at most
a few pages in flight, so memory does not grow with the size of the window.
"""

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .errors import LivePersonHTTPError, LivePersonIncompleteDataError
from .urls import require_same_origin


class SearchPage:
    def __init__(self, url: str, response: requests.Response) -> None:
        body = response.json()
        records = body.get("conversationHistoryRecords") if isinstance(body, dict) else None
        if records is not None and not isinstance(records, list):
            raise LivePersonHTTPError(url, "conversationHistoryRecords is not a list", response.status_code)
        metadata = body.get("_metadata") or {}
        self.url = url
        self.records: list = records or []
        self.count: Optional[int] = metadata.get("count") if isinstance(metadata.get("count"), int) else None
        self.next_url: Optional[str] = ((metadata.get("next") or {}).get("href")) or None


def offset_of(url: str) -> int:
    return int(dict(parse_qsl(urlsplit(url).query)).get("offset", 0))


def with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["offset"] = str(offset)
    return urlunsplit(parts._replace(query=urlencode(query)))


class WindowSearch:
    """All pages of one search (one body), each page once, with the count the API promised."""

    def __init__(self, session: requests.Session, url: str, body: dict, page_size: int, workers: int) -> None:
        self._session = session
        self._first_url = url
        self._body = body
        self._page_size = page_size
        self._workers = workers
        self.endpoint = f"POST {urlsplit(url).scheme}://{urlsplit(url).netloc}{urlsplit(url).path}"
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
        offsets = list(range(offset_of(first.url) + self._page_size, self.promised or 0, self._page_size))
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
        response = self._session.post(url, json=self._body)
        page = SearchPage(url, response)
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
