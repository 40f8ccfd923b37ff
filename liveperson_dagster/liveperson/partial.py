"""Completes the conversation records LivePerson serves partial (`info.isPartial: true`: content incomplete).

Each page of the search goes through `completed` before it becomes rows: its partial records are asked for again
with the search by ids, and those still partial again, up to PARTIAL_REFETCH_ATTEMPTS times. A record that stays
partial is loaded as last served, flagged by its `is_partial` column (records.py): never silently. The
materialization counts it and the `complete_records` check warns until a re-load of its day completes it.

The attempts follow each other without a pause: the search's later pages wait while a page is completed, so a
pause would be paid on every page that holds a stubborn record; such a record is not lost but flagged, and the
schedule's re-load of the last days asks for it again hours later.
"""

import logging
from typing import TYPE_CHECKING, Sequence

from . import api_constants
from .records import CONVERSATIONS, is_partial

if TYPE_CHECKING:
    from .client import LivePersonClient

logger = logging.getLogger(__name__)


def completed(client: "LivePersonClient", page: list, content_parts: Sequence[str]) -> list:
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
