"""Conversations as they are now, on top of the generated ones: changes after they were first served (a test closes
one, adds messages, records a CSAT answer at a given time), when each was last updated (what the search's
`latestUpdateTime` filter compares), and records served as partial (`info.isPartial`).

The generated data never changes by itself; LiveConversations keeps the changes and applies them to every record
it builds, so the conversation search, the search by ids and the Emulator's own views agree.
"""

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from .data import ALL_CONTENT_PARTS, ConversationHeader, ConversationStore, lp_time, post_survey

# A bound past any day the emulator serves, for "every header".
_FAR_FUTURE_MS = 253_402_214_400_000  # 9999-12-31T00:00:00Z
ALL_PARTS = frozenset(ALL_CONTENT_PARTS)
# Texts of the messages a change adds: distinct from the generated ones, so a demo or a test can tell them apart.
_LATE_CONSUMER_TEXTS = ("Any news about my order? 📦", "C'est toujours bloqué…", "まだ届いていません。")
_LATE_AGENT_TEXTS = ("Thanks for waiting, it's fixed now ✅", "Je vérifie tout de suite.", "確認いたしました。")
_CLOSED_BY_AGENT = ("AGENT", "Agent")
_CLOSED_BY_SYSTEM = ("SYSTEM", "Auto close")  # no agent ever joined


@dataclass(frozen=True)
class Change:
    """What happens to one conversation at `at_ms`, in this order: `messages` new messages (the last one at
    at_ms), then it closes (`close`), then the consumer answers the CSAT survey (`csat`, 1 to 5)."""

    at_ms: int
    close: bool = False
    messages: int = 0
    csat: int | None = None


def newest_time(full: dict) -> int:
    """When a generated conversation was last updated: the newest instant its record carries, which is its last
    message, its end when closed, or its agent survey's last update (agents fill those in up to 30 minutes after
    the close). LivePerson does not say which events count for `latestUpdateTime`; taking every event the record
    shows is the reading under which a client that re-fetches what changed misses nothing. A post-conversation
    CSAT answer carries no time of its own in the record, so it counts at the close (a later one made with
    LiveConversations.update counts at its own time)."""
    info = full["info"]
    times = [message["timeL"] for message in full["messageRecords"]] + [info["startTimeL"]]
    if info["status"] == "CLOSE":
        times.append(info["endTimeL"])
    survey = full["latestAgentSurvey"]
    if survey is not None:
        times.append(survey["lastUpdateTime"])
    return max(times)


def check_change(full: dict, change: Change, last_update_ms: int, now_ms: int) -> None:
    """ValueError unless `change` can happen to the conversation `full` (as it is now, last updated at
    last_update_ms) when the emulator's clock says now_ms."""
    info = full["info"]
    cid = info["conversationId"]
    if not (change.close or change.messages or change.csat is not None):
        raise ValueError("nothing to change: give close=True, add_messages > 0 or a csat")
    if change.messages < 0:
        raise ValueError(f"add_messages must not be negative, got {change.messages}")
    if change.at_ms > now_ms:
        raise ValueError(f"`at` ({lp_time(change.at_ms)}) is after the emulator clock's now ({lp_time(now_ms)})")
    if change.at_ms < last_update_ms:
        raise ValueError(f"conversation {cid} was already updated at {lp_time(last_update_ms)}, after `at` "
                         f"({lp_time(change.at_ms)}): changes happen in time order")
    was_closed = info["status"] == "CLOSE"
    if was_closed and (change.close or change.messages):
        raise ValueError(f"conversation {cid} is already closed: it can neither close again nor get messages")
    if change.csat is not None:
        if isinstance(change.csat, bool) or not isinstance(change.csat, int) or not 1 <= change.csat <= 5:
            raise ValueError(f"csat must be a whole number from 1 to 5, got {change.csat!r}")
        if not (was_closed or change.close):
            raise ValueError(f"conversation {cid} is open: the CSAT survey comes when it closes (give close=True)")
        if info["csatRate"]:
            raise ValueError(f"conversation {cid} already has a CSAT rate ({info['csatRate']})")


def apply_change(full: dict, change: Change) -> None:
    """Changes the full record (every part) in place."""
    if change.messages:
        _add_messages(full, change)
    if change.close:
        _close(full, change.at_ms)
    if change.csat is not None:
        full["info"]["csatRate"] = change.csat
        full["conversationSurveys"].append(post_survey(full["info"]["conversationId"], change.csat, ""))


def _add_messages(full: dict, change: Change) -> None:
    """Messages spread evenly after the last one, the last at change.at_ms; like generated ones, every odd `seq`
    is the current agent's when an agent has joined, every other the consumer's; each has its READ status and
    each consumer message its score."""
    info = full["info"]
    cid, start_ms = info["conversationId"], info["startTimeL"]
    messages = full["messageRecords"]
    previous_ms = messages[-1]["timeL"]
    consumer_id = full["consumerParticipants"][0]["participantId"]
    agents = full["agentParticipants"]
    agent_id = agents[-1]["agentId"] if agents else None
    consumer_device = next((m["device"] for m in messages if m["sentBy"] == "Consumer"), "NA")
    rng = random.Random(f"lp-emulator/late-messages/{cid}/{len(messages)}")
    for index in range(change.messages):
        seq = len(messages)
        at = previous_ms + (change.at_ms - previous_ms) * (index + 1) // change.messages
        by_agent = agent_id is not None and seq % 2 == 1
        message_id = f"ms::conv:{cid}::msg:{seq}"
        texts = _LATE_AGENT_TEXTS if by_agent else _LATE_CONSUMER_TEXTS
        messages.append({
            "type": "TEXT_PLAIN",
            "messageData": {"msg": {"text": texts[seq % len(texts)]}},
            "messageId": message_id,
            "audience": "ALL",
            "seq": seq,
            "dialogId": cid,
            "participantId": agent_id if by_agent else consumer_id,
            "source": "AGENT" if by_agent else "APP",
            "time": lp_time(at),
            "timeL": at,
            "device": "NA" if by_agent else consumer_device,
            "sentBy": "Agent" if by_agent else "Consumer",
            "contextData": {"rawMetadata": "[]", "structuredMetadata": []},
        })
        full["messageStatuses"].append({
            "messageId": message_id, "seq": seq, "time": lp_time(at), "timeL": at, "participantId": consumer_id,
            "participantType": "Consumer" if by_agent else "Agent", "messageDeliveryStatus": "READ",
            "dialogId": cid,
        })
        if not by_agent:
            full["messageScores"].append({"messageId": message_id, "messageRawScore": rng.randint(-3, 3),
                                          "mcs": rng.randint(0, 100), "time": lp_time(at), "timeL": at})
    # What follows the last message of an open conversation, as in generated ones.
    last_ms = change.at_ms
    info["duration"] = max(info["duration"], last_ms - start_ms)
    full["summary"]["lastUpdatedTime"] = last_ms
    full["responseTime"]["latestEffectiveResponseDueTime"] = last_ms + 3_600_000
    survey = full["latestAgentSurvey"]
    if survey is not None and survey["surveyStatus"] == "OPEN":
        survey["lastUpdateTime"] = last_ms


def _close(full: dict, at_ms: int) -> None:
    """Status, end and duration in `info` and the main dialog; no agent stays active. An agent survey still OPEN
    stays so: agents fill them in after the close."""
    info = full["info"]
    cid = info["conversationId"]
    reason = _CLOSED_BY_AGENT if full["agentParticipants"] else _CLOSED_BY_SYSTEM
    closing = {"status": "CLOSE", "endTime": lp_time(at_ms), "endTimeL": at_ms}
    info.update(closing, fullDialogStatus="CLOSE", duration=at_ms - info["startTimeL"])
    full["info"] = _with_after(info, "source", {"closeReason": reason[0], "closeReasonDescription": reason[1]})
    full["dialogs"] = [
        _with_after({**dialog, **closing}, "endTimeL",
                    {"closeReason": reason[0], "closeReasonDescription": reason[1]})
        if dialog["dialogId"] == cid else dialog
        for dialog in full["dialogs"]
    ]
    full["agentParticipantsActive"] = []
    full["summary"]["lastUpdatedTime"] = at_ms
    full["responseTime"]["latestEffectiveResponseDueTime"] = -1


def _with_after(mapping: dict, key: str, added: dict) -> dict:
    """`mapping` with `added` placed right after `key`, where generated records of a closed conversation have it."""
    result = {}
    for name, value in mapping.items():
        if name not in added:
            result[name] = value
        if name == key:
            result.update(added)
    return result


def partial_copy(full: dict) -> dict:
    """The record as LivePerson may serve it before all of it is indexed: `info.isPartial` true, and (the emulator's
    choice; the docs do not say what a partial record lacks) only the first half of its messages, with their
    statuses and scores."""
    messages = full["messageRecords"]
    kept = messages[: len(messages) // 2]
    kept_ids = {m["messageId"] for m in kept}
    return {
        **full,
        "info": {**full["info"], "isPartial": True},
        "messageRecords": kept,
        "messageStatuses": [s for s in full["messageStatuses"] if s["messageId"] in kept_ids],
        "messageScores": [s for s in full["messageScores"] if s["messageId"] in kept_ids],
    }


class LiveConversations:
    """The generated conversations (a ConversationStore) with what happened to them since: changes, partial marks.
    Thread-safe: the server answers requests on many threads while a test changes conversations."""

    def __init__(self, store: ConversationStore, clock: Callable[[], float]):
        """`clock`: the emulator's now, epoch seconds."""
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._changes: dict[str, tuple[Change, ...]] = {}
        self._partial: dict[str, int | None] = {}  # servings still partial (None: every one)
        self._generated_newest: dict[str, int] = {}  # cache of newest_time of generated records
        self._by_id: dict[str, ConversationHeader] | None = None
        self._serialized: dict[str, orjson.Fragment] = {}  # serialize_ahead(): every part, as generated
        # Searches found (headers, in order), by query: each page of a search asks the same one again.
        self._found: dict[tuple, list[ConversationHeader]] = {}
        self._changes_made = 0

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # Finding conversations

    def headers_between(self, low_ms: int, high_ms: int) -> list[ConversationHeader]:
        """Headers with low_ms <= start <= high_ms (both inclusive), sorted by (start, id); none deleted."""
        return self._store.headers_between(low_ms, high_ms)

    def found(self, query: tuple, find: Callable[[], list[ConversationHeader]]) -> list[ConversationHeader]:
        """`find()`, kept for the next pages of the same `query` (a key of its filters) while no conversation
        changes or is deleted: filtering a day of headers for each page made a large day's pages cost the
        emulator more than building them."""
        key = (query, self._changes_made, self._store.deletions)
        found = self._found.get(key)
        if found is None:
            found = find()
            if len(self._found) >= 16:
                self._found.clear()
            self._found[key] = found
        return found

    def serialize_ahead(self) -> int:
        """Serializes every conversation with every part, as generated, once: answers of those records then cost
        the emulator almost nothing (a benchmark's server should take the client's cores as little as a remote one
        would). About 10 KB of memory a conversation. Returns how many."""
        for header in self._store.headers_between(0, _FAR_FUTURE_MS):
            full = self._store.record(header)
            self._generated_newest[header.conversation_id] = newest_time(full)
            self._serialized[header.conversation_id] = orjson.Fragment(orjson.dumps(full))
        return len(self._serialized)

    def header_of(self, conversation_id: str) -> ConversationHeader | None:
        """The header of a conversation the emulator serves (None when unknown or deleted). The first call
        generates every day: ids say nothing of the day a conversation started on."""
        with self._lock:
            if self._by_id is None:
                self._by_id = {h.conversation_id: h for h in self._store.headers_between(0, _FAR_FUTURE_MS)}
            header = self._by_id.get(conversation_id)
        if header is None:  # a deletion request since: its day serves it no more
            return None
        same_start = self._store.headers_between(header.start_ms, header.start_ms)
        return header if any(h.conversation_id == conversation_id for h in same_start) else None

    # What each conversation is now

    def _changes_of(self, conversation_id: str) -> tuple[Change, ...]:
        with self._lock:
            return self._changes.get(conversation_id, ())

    def status_of(self, header: ConversationHeader) -> str:
        closed = any(change.close for change in self._changes_of(header.conversation_id))
        return "CLOSE" if closed else header.status

    def last_update_ms(self, header: ConversationHeader, now_ms: int) -> int:
        """When the conversation was last updated, never after now_ms: generated records whose last event lies in
        the clock's future (long conversations near the last day) are still changing, so as of now_ms they were
        last updated now."""
        return min(self._last_update_ms(header), now_ms)

    def _last_update_ms(self, header: ConversationHeader) -> int:
        cid = header.conversation_id
        changes = self._changes_of(cid)
        if changes:
            return changes[-1].at_ms
        with self._lock:
            cached = self._generated_newest.get(cid)
        if cached is None:
            cached = newest_time(self._store.record(header))
            with self._lock:
                self._generated_newest[cid] = cached
        return cached

    def record(self, header: ConversationHeader, parts: Iterable[str] = ALL_CONTENT_PARTS,
               partial: bool = False) -> dict:
        """The record as it is now, `info` and the `parts` asked for (in the record's own order)."""
        full = self._store.record(header)  # built afresh: every change below is to this copy only
        for change in self._changes_of(header.conversation_id):
            apply_change(full, change)
        if partial:
            full = partial_copy(full)
        return {"info": full["info"], **{part: full[part] for part in ALL_CONTENT_PARTS if part in parts}}

    def serve(self, header: ConversationHeader, parts: Iterable[str], serialized: bool = True):
        """The record for an answer: one of the servings marked partial, if any is left. With `serialized`, a
        record serialized ahead, unchanged and asked for whole is answered as that JSON (an orjson Fragment)."""
        cid = header.conversation_id
        partial = self._take_partial(cid)
        if serialized and not partial and cid in self._serialized and set(parts) >= ALL_PARTS \
                and not self._changes_of(cid):
            return self._serialized[cid]
        return self.record(header, parts, partial=partial)

    # Changing them (tests)

    def update(self, conversation_id: str, change: Change) -> dict:
        """Applies `change` (checked by check_change against the clock) and returns the full record as it is now.
        KeyError for an unknown or deleted conversation."""
        header = self._known(conversation_id)
        with self._lock:  # check and record together: two changes of one conversation never interleave
            full = self._store.record(header)
            for earlier in self._changes.get(conversation_id, ()):
                apply_change(full, earlier)
            last_update = (self._changes[conversation_id][-1].at_ms if conversation_id in self._changes
                           else newest_time(full))
            check_change(full, change, last_update, self.now_ms())
            apply_change(full, change)
            self._changes[conversation_id] = self._changes.get(conversation_id, ()) + (change,)
            self._changes_made += 1
        return full

    def mark_partial(self, conversation_ids: Iterable[str], times: int | None) -> None:
        """The next `times` servings of each conversation are partial (None: all of them), replacing an earlier
        mark. KeyError for an unknown or deleted conversation (before any is marked)."""
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a whole number >= 1 or None (always), got {times!r}")
        ids = list(conversation_ids)
        for conversation_id in ids:
            self._known(conversation_id)
        with self._lock:
            for conversation_id in ids:
                self._partial[conversation_id] = times

    def _known(self, conversation_id: str) -> ConversationHeader:
        header = self.header_of(conversation_id)
        if header is None:
            raise KeyError(f"no conversation {conversation_id!r} is served (unknown or deleted)")
        return header

    def _take_partial(self, conversation_id: str) -> bool:
        with self._lock:
            if conversation_id not in self._partial:
                return False
            left = self._partial[conversation_id]
            if left is not None:
                if left <= 1:
                    del self._partial[conversation_id]
                else:
                    self._partial[conversation_id] = left - 1
            return True
