"""Pagination of the conversation search by `_metadata.next.href`, with the checks that keep a day complete."""

from typing import Any, List, Optional

from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import Response

from .errors import LivePersonIncompleteDataError
from .urls import require_same_origin


class SearchPaginator(JSONLinkPaginator):
    """Follows the absolute `next` link; refuses links to another host and links that repeat, and knows
    whether the records received add up to the `_metadata.count` the API promised."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(next_url_path="_metadata.next.href")
        self._endpoint = endpoint
        self._seen_urls: set = set()
        self.promised: Optional[int] = None
        self.received = 0

    def update_state(self, response: Response, data: Optional[List[Any]] = None) -> None:
        body = response.json()
        metadata = body.get("_metadata") or {}
        if isinstance(metadata.get("count"), int):
            self.promised = metadata["count"]
        self.received += len(data or [])
        super().update_state(response, data)
        next_url = self._next_reference
        if next_url is None:
            return
        if not data:
            # An empty page cannot advance the search: stop here and let the count check judge completeness.
            self._next_reference = None
            return
        require_same_origin(next_url, response.url, self._endpoint)
        if next_url in self._seen_urls or next_url == response.url:
            raise LivePersonIncompleteDataError(
                f"{self._endpoint}: the next link repeats a page already fetched ({_offset_of(next_url)}): "
                "the search would never end"
            )
        self._seen_urls.add(response.url)
        self._seen_urls.add(next_url)

    @property
    def is_short(self) -> bool:
        return self.promised is not None and self.received < self.promised


def _offset_of(url: str) -> str:
    query = url.partition("?")[2]
    return "&".join(p for p in query.split("&") if p.startswith(("offset=", "limit="))) or url
