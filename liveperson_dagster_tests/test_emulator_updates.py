"""The emulator's late changes over real HTTP: when conversations were last updated and the search's
`latestUpdateTime` filter (its `from` rounded down to 10 minutes), conversations that change after they were served
(closed, new messages, CSAT), partial records, the search by ids, and the option that refuses the filter."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from requests_oauthlib import OAuth1

from liveperson_emulator import Emulator
from liveperson_emulator.__main__ import _config, _parse_args, _parser
from liveperson_emulator.data import ALL_CONTENT_PARTS

from .helpers import FIRST_DAY, LAST_DAY, utc_window

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)
SOURCE = "LivePersonDagster"
DEFAULT_PARTS = {"messageRecords", "agentParticipants", "consumerParticipants", "transfers", "interactions",
                 "messageScores", "conversationSurveys", "summary", "sdes"}
# The start window of every conversation of the `start_emulator` fixture (2026-11-01..2026-11-10).
EVERY_START = utc_window(FIRST_DAY, LAST_DAY)
# The clock of most tests: after every generated event (the last one is on 2026-11-13, 16:38), so a conversation
# changed today is the only one updated today.
NOW = datetime(2026, 11, 14, 20, tzinfo=timezone.utc)
LATE_PARTS = {"messageRecords", "messageStatuses", "messageScores", "summary", "responseTime", "latestAgentSurvey"}


def today(hour: int, minute: int = 0, second: int = 0, millisecond: int = 0) -> datetime:
    return datetime(2026, 11, 14, hour, minute, second, millisecond * 1000, tzinfo=timezone.utc)


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MS


class FakeClock:
    def __init__(self, moment: datetime):
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emu(start_emulator) -> Emulator:
    return start_emulator(clock=FakeClock(NOW))


def signed(emulator: Emulator) -> OAuth1:
    c = emulator.credentials
    return OAuth1(c["app_key"], client_secret=c["app_secret"],
                  resource_owner_key=c["access_token"], resource_owner_secret=c["access_token_secret"])


def post(emulator: Emulator, path: str, body, query: str, auth="signed") -> requests.Response:
    account = emulator.credentials["account_id"]
    url = f"{emulator.csds_url}/messaging_history/api/account/{account}/{path}?{query}"
    return requests.post(url, json=body, auth=signed(emulator) if auth == "signed" else auth, timeout=30)


def search(emulator: Emulator, start=EVERY_START, query: str = f"offset=0&limit=100&v=2&source={SOURCE}",
           **body) -> requests.Response:
    body["start"] = {"from": to_ms(start[0]), "to": to_ms(start[1])}
    return post(emulator, "conversations/search", body, query)


def search_pages(emulator: Emulator, start=EVERY_START, limit: int = 100, sort: str = "start:asc",
                 **body) -> tuple[list[dict], list[dict]]:
    """(every record found, following `next`; each page's _metadata)."""
    response = search(emulator, start, f"offset=0&limit={limit}&v=2&sort={sort}&source={SOURCE}", **body)
    records, metadata = [], []
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        records += page["conversationHistoryRecords"]
        metadata.append(page["_metadata"])
        if "next" not in page["_metadata"]:
            return records, metadata
        response = requests.post(page["_metadata"]["next"]["href"], json=body | {"start": {
            "from": to_ms(start[0]), "to": to_ms(start[1])}}, auth=signed(emulator), timeout=30)


def found_ids(emulator: Emulator, start=EVERY_START, **body) -> list[str]:
    return [r["info"]["conversationId"] for r in search_pages(emulator, start, **body)[0]]


def by_ids(emulator: Emulator, body, query: str = f"v=2&source={SOURCE}", auth="signed") -> requests.Response:
    return post(emulator, "conversations/conversation/search", body, query, auth)


def updated_since(moment: datetime) -> dict:
    return {"latestUpdateTime": {"from": to_ms(moment)}}


def ids(records) -> list[str]:
    return [r["info"]["conversationId"] for r in records]


def newest_ms(record: dict) -> int:
    """The last update of a generated record by the emulator's documented rule: its newest instant."""
    info = record["info"]
    times = [m["timeL"] for m in record["messageRecords"]]
    if info["status"] == "CLOSE":
        times.append(info["endTimeL"])
    if record["latestAgentSurvey"] is not None:
        times.append(record["latestAgentSurvey"]["lastUpdateTime"])
    return max(times)


def pick(emulator: Emulator, count: int, status: str, first=FIRST_DAY, last=LAST_DAY,
         agents: int | None = None) -> list[dict]:
    """The first `count` records (by start) of that status started on those days, with at least two messages and
    an agent when OPEN (so new messages alternate), without CSAT when CLOSE; with `agents`, that many agents."""
    chosen = []
    for record in emulator.conversations(*utc_window(first, last)):
        info = record["info"]
        if info["status"] != status or len(record["messageRecords"]) < 2:
            continue
        if (status == "OPEN" and not record["agentParticipants"]) or (status == "CLOSE" and info["csatRate"]):
            continue
        if agents is not None and len(record["agentParticipants"]) != agents:
            continue
        chosen.append(record)
    assert len(chosen) >= count
    return chosen[:count]


# When conversations were last updated


@pytest.mark.parametrize("now", [NOW, datetime(2026, 11, 10, 12, 3, 7, 250_000, tzinfo=timezone.utc)])
def test_last_update_is_the_newest_instant_of_the_record_and_never_after_the_clock(start_emulator, now):
    emu = start_emulator(clock=FakeClock(now))
    records = emu.conversations(*EVERY_START)
    expected = {r["info"]["conversationId"]: min(newest_ms(r), to_ms(now)) for r in records}
    assert {i: to_ms(emu.last_update(i)) for i in expected} == expected
    capped = [r["info"]["conversationId"] for r in records if newest_ms(r) > to_ms(now)]
    assert bool(capped) == (now != NOW)  # on 2026-11-10 at noon, later messages are still to come
    # The search with `from` = now finds exactly the conversations updated since now rounded down (12:00).
    since = to_ms(now) - to_ms(now) % 600_000
    assert set(found_ids(emu, **updated_since(now))) == {i for i, ms in expected.items() if ms >= since}
    assert set(capped) <= set(found_ids(emu, **updated_since(now)))


def test_from_is_rounded_down_to_ten_minutes_and_inclusive(emu):
    x, y = pick(emu, 2, "CLOSE")
    x_id, y_id = x["info"]["conversationId"], y["info"]["conversationId"]
    emu.update_conversation(x_id, today(19, 5), csat=5)
    emu.update_conversation(y_id, today(19, 10), csat=3)
    assert (emu.last_update(x_id), emu.last_update(y_id)) == (today(19, 5), today(19, 10))
    both = [x_id, y_id]  # in start order
    cases = [
        (today(18, 50), both),
        (today(19, 0), both),
        (today(19, 5, 0, 1), both),  # after x's update, but rounded to 19:00
        (today(19, 9, 59, 999), both),  # rounded to 19:00
        (today(19, 10), [y_id]),  # a multiple of 10 minutes stays: 19:10, after x's update at 19:05
        (today(19, 19, 59, 999), [y_id]),  # rounded to 19:10, y's update included (bounds are included)
        (today(19, 20), []),
        (NOW, []),
    ]
    for moment, expected in cases:
        assert found_ids(emu, **updated_since(moment)) == expected, moment
    # The Emulator's own view filters exactly (no rounding).
    assert emu.conversation_ids(*EVERY_START, updated_since=today(19, 5, 0, 1)) == {y_id}
    assert emu.conversation_ids(*EVERY_START, updated_since=today(19, 5)) == {x_id, y_id}


def test_the_filter_combines_with_the_start_window_status_sort_and_paging(emu):
    late = (LAST_DAY - timedelta(days=1), LAST_DAY)
    inside = pick(emu, 2, "OPEN", *late) + pick(emu, 3, "CLOSE", *late)
    outside = pick(emu, 1, "OPEN", FIRST_DAY, FIRST_DAY + timedelta(days=5)) + pick(emu, 1, "CLOSE")
    for record in inside + outside:
        cid, is_open = record["info"]["conversationId"], record["info"]["status"] == "OPEN"
        emu.update_conversation(cid, today(19, 5), **({"add_messages": 1} if is_open else {"csat": 4}))
    window = utc_window(*late)
    expected = sorted(inside, key=lambda r: (r["info"]["startTimeL"], r["info"]["conversationId"]))
    records, metadata = search_pages(emu, window, limit=2, **updated_since(today(19, 0)))
    assert ids(records) == ids(expected)
    assert [m["count"] for m in metadata] == [5, 5, 5]
    assert [bool(m.get("next")) for m in metadata] == [True, True, False]
    descending, _ = search_pages(emu, window, sort="start:desc", **updated_since(today(19, 0)))
    assert ids(descending) == ids(expected)[::-1]
    opened, _ = search_pages(emu, window, status=["OPEN"], **updated_since(today(19, 0)))
    assert ids(opened) == [i for i, r in zip(ids(expected), expected) if r["info"]["status"] == "OPEN"]
    assert len(ids(opened)) == 2
    assert search_pages(emu, window, status=["OPEN"], **updated_since(today(19, 10)))[0] == []
    # Without the filter the window holds many more.
    assert len(search_pages(emu, window)[0]) == len(emu.conversation_ids(window[0], window[1] + MS)) > 5


@pytest.mark.parametrize("value", [1541578792011, "x", ["from"], {"from": "1541578792011"}, {"from": None},
                                   {"from": True}, {"to": 1541578792011}, {}, {"from": [1]}])
def test_latest_update_time_must_be_an_object_with_a_number_from(emu, value):
    response = search(emu, latestUpdateTime=value)
    assert response.status_code == 400 and "latestUpdateTime" in response.json()["message"]


def test_a_fractional_from_counts_as_a_whole_millisecond_and_null_as_no_filter(emu):
    (record,) = pick(emu, 1, "CLOSE")
    emu.update_conversation(record["info"]["conversationId"], today(19, 5), csat=2)
    assert found_ids(emu, latestUpdateTime={"from": to_ms(today(19, 9, 59, 999)) + 0.5}) == ids([record])
    assert len(found_ids(emu, latestUpdateTime=None)) == len(emu.conversation_ids(*EVERY_START))


# Changes after a conversation was served


def test_new_messages_then_close_and_csat_show_in_every_part_and_view(emu):
    (before,) = pick(emu, 1, "OPEN", agents=2)  # transferred: the new messages are the second agent's
    cid, start_ms = before["info"]["conversationId"], before["info"]["startTimeL"]
    count = len(before["messageRecords"])
    last_ms = before["messageRecords"][-1]["timeL"]
    consumer = before["consumerParticipants"][0]["participantId"]
    agent = before["agentParticipants"][-1]["agentId"]
    whole = {"contentToRetrieve": list(ALL_CONTENT_PARTS)}

    returned = emu.update_conversation(cid, today(18), add_messages=3)
    (after,) = by_ids(emu, {"conversationId": cid, **whole}).json()["conversationHistoryRecords"]
    assert after == returned
    added = after["messageRecords"][count:]
    assert after["messageRecords"][:count] == before["messageRecords"]
    assert [m["seq"] for m in added] == [count, count + 1, count + 2]
    assert [m["messageId"] for m in added] == [f"ms::conv:{cid}::msg:{seq}" for seq in range(count, count + 3)]
    span = to_ms(today(18)) - last_ms
    assert [m["timeL"] for m in added] == [last_ms + span // 3, last_ms + 2 * span // 3, to_ms(today(18))]
    assert added[-1]["time"] == "2026-11-14 18:00:00.000+0000"
    for message in added:
        expected = ("Agent", agent) if message["seq"] % 2 == 1 else ("Consumer", consumer)
        assert (message["sentBy"], message["participantId"]) == expected
    statuses, scores = before["messageStatuses"], before["messageScores"]
    assert after["messageStatuses"][:len(statuses)] == statuses
    new_statuses = after["messageStatuses"][len(statuses):]
    assert [(s["messageId"], s["timeL"], s["messageDeliveryStatus"]) for s in new_statuses] == [
        (m["messageId"], m["timeL"], "READ") for m in added]
    assert after["messageScores"][:len(scores)] == scores
    assert [s["messageId"] for s in after["messageScores"][len(scores):]] == [
        m["messageId"] for m in added if m["sentBy"] == "Consumer"]
    assert after["summary"]["lastUpdatedTime"] == to_ms(today(18))
    assert after["responseTime"]["latestEffectiveResponseDueTime"] == to_ms(today(18)) + 3_600_000
    assert after["info"]["status"] == "OPEN" and after["info"]["duration"] == to_ms(today(18)) - start_ms
    assert {part: after[part] for part in ALL_CONTENT_PARTS if part not in LATE_PARTS} == {
        part: before[part] for part in ALL_CONTENT_PARTS if part not in LATE_PARTS}
    assert emu.last_update(cid) == today(18)

    emu.update_conversation(cid, today(19, 30), close=True, csat=4)
    closed_ms = to_ms(today(19, 30))
    (served,) = [r for r in search_pages(emu, **whole, **updated_since(today(19, 30)))[0]]
    (by_id,) = by_ids(emu, {"conversationIds": [cid], **whole}).json()["conversationHistoryRecords"]
    (viewed,) = emu.conversations(*EVERY_START, updated_since=today(19, 30))
    assert served == by_id == viewed
    info = served["info"]
    assert (info["status"], info["fullDialogStatus"], info["endTimeL"], info["endTime"], info["duration"]) == (
        "CLOSE", "CLOSE", closed_ms, "2026-11-14 19:30:00.000+0000", closed_ms - start_ms)
    assert (info["closeReason"], info["closeReasonDescription"], info["csatRate"]) == ("AGENT", "Agent", 4)
    keys = list(info)
    assert keys.index("closeReason") == keys.index("source") + 1  # where generated CLOSE records have it
    (dialog,) = served["dialogs"]
    assert (dialog["status"], dialog["endTimeL"], dialog["endTime"], dialog["closeReason"]) == (
        "CLOSE", closed_ms, info["endTime"], "AGENT")
    assert served["agentParticipantsActive"] == []
    survey = served["conversationSurveys"][-1]
    assert (survey["surveyType"], survey["surveyStatus"], survey["dialogId"]) == ("PostSurvey", "FILLED", cid)
    assert survey["surveyData"][0]["answer"] == "4"
    assert served["summary"]["lastUpdatedTime"] == closed_ms
    assert served["responseTime"]["latestEffectiveResponseDueTime"] == -1
    assert served["messageRecords"] == after["messageRecords"]
    # Every filter sees it closed.
    assert cid in found_ids(emu, status=["CLOSE"]) and cid not in found_ids(emu, status=["OPEN"])
    assert emu.conversation_ids(*EVERY_START, updated_since=today(19, 30)) == {cid}
    assert emu.conversation_ids(*EVERY_START, updated_since=today(19, 30) + MS) == set()
    assert emu.last_update(cid) == today(19, 30)


def test_a_conversation_without_agent_gets_consumer_messages_and_closes_by_the_system(start_emulator):
    emu = start_emulator(clock=FakeClock(NOW), conversations_per_day=200)
    lonely = next(r for r in emu.conversations(*EVERY_START)
                  if r["info"]["status"] == "OPEN" and not r["agentParticipants"])
    cid, count = lonely["info"]["conversationId"], len(lonely["messageRecords"])
    record = emu.update_conversation(cid, today(12), add_messages=2, close=True)
    assert [m["sentBy"] for m in record["messageRecords"][count:]] == ["Consumer", "Consumer"]
    assert (record["info"]["closeReason"], record["info"]["closeReasonDescription"]) == ("SYSTEM", "Auto close")
    assert record["info"]["endTimeL"] == record["messageRecords"][-1]["timeL"] == to_ms(today(12))


def test_changes_that_cannot_happen_are_refused_and_change_nothing(emu):
    (opened,) = pick(emu, 1, "OPEN")
    (closed,) = pick(emu, 1, "CLOSE")
    open_id, closed_id = opened["info"]["conversationId"], closed["info"]["conversationId"]
    emu.update_conversation(open_id, today(10), add_messages=1)
    refused = [
        (open_id, dict(at=NOW + MS, add_messages=1)),  # after the clock's now
        (open_id, dict(at=today(9), add_messages=1)),  # before its last update
        (open_id, dict(at=today(11))),  # nothing to change
        (open_id, dict(at=today(11), add_messages=-1)),
        (open_id, dict(at=today(11), csat=4)),  # open: no CSAT yet
        (open_id, dict(at=today(11), close=True, csat=6)),
        (open_id, dict(at=today(11), close=True, csat=True)),
        (closed_id, dict(at=today(11), add_messages=1)),  # closed: no more messages
        (closed_id, dict(at=today(11), close=True)),
        (open_id, dict(at=datetime(2026, 11, 14, 11), add_messages=1)),  # naive datetime
    ]
    for cid, change in refused:
        with pytest.raises(ValueError):
            emu.update_conversation(cid, **change)
    emu.update_conversation(closed_id, today(11), csat=1)
    with pytest.raises(ValueError):
        emu.update_conversation(closed_id, today(12), csat=2)  # rated once
    with pytest.raises(KeyError):
        emu.update_conversation("no-such-conversation", today(11), close=True)
    emu.delete_conversations([open_id])
    with pytest.raises(KeyError):
        emu.update_conversation(open_id, today(11), close=True)
    with pytest.raises(KeyError):
        emu.last_update(open_id)
    assert emu.last_update(closed_id) == today(11)
    (record,) = by_ids(emu, {"conversationId": closed_id}).json()["conversationHistoryRecords"]
    assert record["info"]["csatRate"] == 1 and len(record["conversationSurveys"]) == 1


def test_concurrent_changes_of_one_conversation_all_land(emu):
    (record,) = pick(emu, 1, "OPEN")
    cid, count = record["info"]["conversationId"], len(record["messageRecords"])
    barrier = threading.Barrier(8, timeout=30)
    failures = []

    def add_one():
        barrier.wait()
        try:
            emu.update_conversation(cid, today(15), add_messages=1)
            assert search(emu).status_code == 200
        except Exception as problem:  # reported below, from the main thread
            failures.append(problem)

    threads = [threading.Thread(target=add_one, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [thread for thread in threads if thread.is_alive()], "a change did not end within 60 s"
    assert failures == []
    (after,) = by_ids(emu, {"conversationId": cid}).json()["conversationHistoryRecords"]
    assert [m["seq"] for m in after["messageRecords"]] == list(range(count + 8))


# Partial records


def test_partial_records_for_n_servings_then_whole(emu):
    a, b, c = pick(emu, 3, "CLOSE", LAST_DAY, LAST_DAY)
    a_id, b_id, c_id = (r["info"]["conversationId"] for r in (a, b, c))
    emu.make_partial([a_id], times=2)
    emu.make_partial([b_id], times=None)
    whole = {"contentToRetrieve": list(ALL_CONTENT_PARTS)}
    window = utc_window(LAST_DAY)

    def served() -> dict:
        return {r["info"]["conversationId"]: r for r in search_pages(emu, window, **whole)[0]}

    def check_partial(record: dict, full: dict):
        half = len(full["messageRecords"]) // 2
        kept = {m["messageId"] for m in full["messageRecords"][:half]}
        assert record["info"] == {**full["info"], "isPartial": True}
        assert record["messageRecords"] == full["messageRecords"][:half]
        assert record["messageStatuses"] == [s for s in full["messageStatuses"] if s["messageId"] in kept]
        assert record["messageScores"] == [s for s in full["messageScores"] if s["messageId"] in kept]
        others = set(ALL_CONTENT_PARTS) - {"messageRecords", "messageStatuses", "messageScores"}
        assert {p: record[p] for p in others} == {p: full[p] for p in others}

    first = served()  # 1st serving of a and b
    check_partial(first[a_id], a)
    check_partial(first[b_id], b)
    assert first[c_id] == c and c["info"]["isPartial"] is False
    assert all(r["info"]["isPartial"] is False for i, r in first.items() if i not in (a_id, b_id))
    # The Emulator's own view is never partial, and is no serving.
    assert all(r["info"]["isPartial"] is False for r in emu.conversations(*window))
    # 2nd serving, through the search by ids: a for the last time.
    second = by_ids(emu, {"conversationIds": [a_id, b_id, c_id], **whole}).json()["conversationHistoryRecords"]
    check_partial(second[0], a)
    check_partial(second[1], b)
    assert second[2] == c
    third = served()
    assert third[a_id] == a  # whole again, equal to the Emulator's own view
    check_partial(third[b_id], b)  # for good
    check_partial(by_ids(emu, {"conversationId": b_id, **whole}).json()["conversationHistoryRecords"][0], b)
    # A new mark replaces the old one; a record not in an answer is not served.
    emu.make_partial([b_id], times=1)
    assert by_ids(emu, {"conversationId": b_id}).json()["conversationHistoryRecords"][0]["info"]["isPartial"] is True
    assert by_ids(emu, {"conversationId": b_id}).json()["conversationHistoryRecords"][0]["info"]["isPartial"] is False


def test_partial_marks_need_known_conversations_and_a_positive_count(emu):
    (record,) = pick(emu, 1, "CLOSE")
    cid = record["info"]["conversationId"]
    for times in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            emu.make_partial([cid], times=times)
    with pytest.raises(KeyError):
        emu.make_partial([cid, "no-such-conversation"])
    assert by_ids(emu, {"conversationId": cid}).json()["conversationHistoryRecords"][0]["info"]["isPartial"] is False


# Search by ids


def test_search_by_ids_answers_the_records_found_in_the_order_asked(emu):
    records = emu.conversations(*utc_window(FIRST_DAY + timedelta(days=2)))
    first, second, gone = records[3], records[0], records[5]
    emu.delete_conversations([gone["info"]["conversationId"]])
    asked = [first["info"]["conversationId"], "no-such-conversation", second["info"]["conversationId"],
             gone["info"]["conversationId"], first["info"]["conversationId"]]
    response = by_ids(emu, {"conversationIds": asked})
    assert response.status_code == 200
    answer = response.json()
    assert answer["_metadata"]["count"] == 2 and answer["_metadata"]["shardsStatusResult"] == {"partialResult": False}
    assert "next" not in answer["_metadata"]
    assert ids(answer["conversationHistoryRecords"]) == ids([first, second])
    assert all(set(r) == {"info"} | DEFAULT_PARTS for r in answer["conversationHistoryRecords"])
    assert answer["conversationHistoryRecords"][0] == {k: first[k] for k in {"info"} | DEFAULT_PARTS}
    chosen = by_ids(emu, {"conversationIds": asked[:1], "contentToRetrieve": ["dialogs", "messageRecords"]}).json()
    assert chosen["conversationHistoryRecords"] == [{k: first[k] for k in ("info", "messageRecords", "dialogs")}]
    single = by_ids(emu, {"conversationId": second["info"]["conversationId"]}).json()
    assert ids(single["conversationHistoryRecords"]) == ids([second]) and single["_metadata"]["count"] == 1
    nothing = by_ids(emu, {"conversationId": gone["info"]["conversationId"]}).json()
    assert nothing["conversationHistoryRecords"] == [] and nothing["_metadata"]["count"] == 0
    hundred = by_ids(emu, {"conversationIds": asked[:1] + [f"unknown-{n}" for n in range(99)]}).json()
    assert ids(hundred["conversationHistoryRecords"]) == ids([first])
    assert emu.stats["requests"] == {"searchByIds": 5}


@pytest.mark.parametrize("body, query", [
    ({"conversationIds": [f"id-{n}" for n in range(101)]}, f"source={SOURCE}"),
    ({"conversationIds": []}, f"source={SOURCE}"),
    ({"conversationIds": "id-1"}, f"source={SOURCE}"),
    ({"conversationIds": ["id-1", 2]}, f"source={SOURCE}"),
    ({"conversationId": 7}, f"source={SOURCE}"),
    ({"conversationId": "id-1", "conversationIds": ["id-2"]}, f"source={SOURCE}"),
    ({}, f"source={SOURCE}"),
    ({"conversationId": "id-1", "contentToRetrieve": "messageRecords"}, f"source={SOURCE}"),
    ({"conversationId": "id-1"}, "v=2"),
    ({"conversationId": "id-1"}, "source=ThisSourceIsTooLong12"),
    (["id-1"], f"source={SOURCE}"),
])
def test_search_by_ids_refuses_bad_requests(emu, body, query):
    response = by_ids(emu, body, query)
    assert response.status_code == 400 and response.json()["message"]


def test_search_by_ids_says_how_many_ids_it_takes_and_needs_credentials(emu):
    response = by_ids(emu, {"conversationIds": [f"id-{n}" for n in range(101)]})
    assert response.json() == {"message": "conversationIds must hold at most 100 ids, got 101"}
    assert by_ids(emu, {"conversationId": "id-1"}, auth=None).status_code == 401
    account = emu.credentials["account_id"]
    url = f"{emu.csds_url}/messaging_history/api/account/{account}/conversations/conversation/search?source=x"
    assert requests.get(url, auth=signed(emu), timeout=30).status_code == 405


# Refusing the filter


def test_the_option_refuses_the_filter_and_nothing_else(start_emulator):
    emu = start_emulator(clock=FakeClock(NOW), refuse_latest_update_time=True)
    refused = search(emu, **updated_since(today(19)))
    assert refused.status_code == 400
    assert refused.json() == {"message": "latestUpdateTime is not a supported filter"}
    assert search(emu, latestUpdateTime=None).status_code == 400  # the field at all, whatever its value
    assert search(emu).status_code == 200
    (record,) = pick(emu, 1, "CLOSE")
    assert by_ids(emu, {"conversationId": record["info"]["conversationId"]}).status_code == 200


def test_the_cli_option_refuses_the_filter():
    assert _config(_parse_args(_parser(), ["--refuse-latest-update-time"])).refuse_latest_update_time is True
    assert _config(_parse_args(_parser(), [])).refuse_latest_update_time is False
    with pytest.raises(SystemExit):
        _parse_args(_parser(), ["--refuse-latest-update-time", "yes"])
    assert "--refuse-latest-update-time" in _parser().format_help()


def test_serialized_ahead_the_answers_are_the_same_and_still_change(start_emulator):
    """`serialize_ahead` (--serialize-ahead, for benchmarks) changes what answering costs, not the answers: every
    record as an emulator building each one when asked serves it; then a conversation changed after start-up, one
    marked partial, one deleted and a search for fewer parts are answered as they are now."""
    plain = start_emulator(clock=FakeClock(NOW))
    ahead = start_emulator(clock=FakeClock(NOW), serialize_ahead=True)
    whole = {"contentToRetrieve": list(ALL_CONTENT_PARTS)}
    generated, _ = search_pages(plain, **whole)
    assert search_pages(ahead, **whole)[0] == generated and len(generated) > 200

    closed, rated = pick(ahead, 1, "OPEN")[0]["info"]["conversationId"], pick(ahead, 1, "CLOSE")[0]["info"]
    partial, deleted = [cid for cid in ids(generated) if cid not in (closed, rated["conversationId"])][:2]
    for emulator in (plain, ahead):
        emulator.update_conversation(closed, today(19), close=True)
        emulator.update_conversation(rated["conversationId"], today(19), csat=4)
        emulator.make_partial([partial])
        emulator.delete_conversations([deleted])
    now_served = search_pages(ahead, **whole)[0]
    assert now_served == search_pages(plain, **whole)[0]
    by_id = {record["info"]["conversationId"]: record for record in now_served}
    assert by_id[closed]["info"]["status"] == "CLOSE" and by_id[rated["conversationId"]]["info"]["csatRate"] == 4
    assert by_id[partial]["info"]["isPartial"] is True and len(by_id[partial]["messageRecords"]) < len(
        next(r for r in generated if r["info"]["conversationId"] == partial)["messageRecords"])
    assert deleted not in by_id and len(now_served) == len(generated) - 1
    fewer = {"contentToRetrieve": ["messageRecords"]}
    assert search_pages(ahead, **fewer)[0] == search_pages(plain, **fewer)[0]
