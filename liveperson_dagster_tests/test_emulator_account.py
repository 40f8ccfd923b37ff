"""The emulator's other LivePerson APIs over real HTTP: status reasons, profiles, LOBs and predefined content
(account configuration), agent status changes (Agent Activity), chat search (Engagement History), queue health and
conversation metrics (Messaging Operations), and a key without permission for one of them."""

from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth1

from liveperson_emulator import Emulator, Faults
from liveperson_emulator.__main__ import _config, _parser

from .helpers import FIRST_DAY, LAST_DAY, utc_window

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)
MINUTE = timedelta(minutes=1)
HOUR_MS, MINUTE_MS, DAY_MS = 3_600_000, 60_000, 86_400_000
SOURCE = "LivePersonDagster"


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MS


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * MS


def utc(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def time_ms(record: dict) -> int:
    return to_ms(datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%f%z"))


class FakeClock:
    def __init__(self, moment: datetime):
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta.total_seconds()


def signed(emulator: Emulator) -> OAuth1:
    c = emulator.credentials
    return OAuth1(c["app_key"], client_secret=c["app_secret"],
                  resource_owner_key=c["access_token"], resource_owner_secret=c["access_token_secret"])


def account_of(emulator: Emulator) -> str:
    return emulator.credentials["account_id"]


def get(emulator: Emulator, path: str, query: str = "", auth="signed") -> requests.Response:
    url = f"{emulator.csds_url}{path.format(account=account_of(emulator))}" + (f"?{query}" if query else "")
    return requests.get(url, auth=signed(emulator) if auth == "signed" else auth, timeout=30)


CATALOGS = {  # path, the query that must work, Emulator method
    "statusReasons": ("/api/account/{account}/configuration/le-agents/status-reasons", "v=1.0", "status_reasons"),
    "profiles": ("/api/account/{account}/configuration/le-users/profiles", "v=4.0", "profiles"),
    "lobs": ("/api/account/{account}/configuration/le-users/lobs", "v=4.0", "lobs"),
    "predefinedContent": ("/api/account/{account}/configuration/engagement-window/canned-responses", "v=2.0",
                          "predefined_content"),
}
STATUS_PATH = "/api/v2/account/{account}/status-changes"
CHAT_PATH = "/interaction_history/api/account/{account}/interactions/search"
OPERATIONS_PATH = "/operations/api/account/{account}/{method}"


# Account configuration: status reasons, profiles, LOBs, predefined content


@pytest.mark.parametrize("kind", list(CATALOGS))
def test_catalogs_serve_one_array_with_and_without_deleted(emulator, kind):
    path, query, method = CATALOGS[kind]
    everything = get(emulator, path, f"{query}&include_deleted=true")
    assert everything.status_code == 200
    assert everything.json() == getattr(emulator, method)(include_deleted=True)
    assert everything.headers["ETag"] == everything.headers["ac-revision"]
    current = get(emulator, path, query)
    assert current.json() == getattr(emulator, method)(include_deleted=False)
    deleted = [item for item in everything.json() if item["deleted"] is True]
    assert deleted and not [item for item in current.json() if item["deleted"] is not False]
    assert len(current.json()) + len(deleted) == len(everything.json())
    assert emulator.stats["requests"] == {kind: 2}


def test_catalog_versions(emulator):
    profiles, _, _ = CATALOGS["profiles"]
    lobs, _, _ = CATALOGS["lobs"]
    reasons, _, _ = CATALOGS["statusReasons"]
    canned, _, _ = CATALOGS["predefinedContent"]
    for path, query in ((profiles, ""), (profiles, "v=6.0"), (lobs, ""), (lobs, "v=9.0"), (reasons, "v=3.0"),
                        (canned, "v=5.0")):
        response = get(emulator, path, query)
        assert response.status_code == 400 and "message" in response.json(), (path, query)
    for path, query in ((lobs, "v=1.0"), (lobs, "v=2.0"), (reasons, ""), (reasons, "v=2.0"), (canned, "")):
        assert get(emulator, path, query).status_code == 200, (path, query)


def test_catalogs_look_like_liveperson_and_match_the_directory(emulator):
    reasons = emulator.status_reasons()
    assert all(set(r) == {"id", "text", "state", "deleted", "enabled"} for r in reasons)
    assert {r["state"] for r in reasons} <= {"Online", "Occupied", "Away"}
    assert len({r["id"] for r in reasons}) == len(reasons)
    assert any(not r["enabled"] and not r["deleted"] for r in reasons)

    profiles = {p["id"]: p for p in emulator.profiles()}
    assert all({"id", "name", "description", "roleTypeId", "roleTypeName", "permissions", "permissionPackages",
                "isAssignedToLPA", "numOfAssignedUsers", "deleted", "dateUpdated"} <= set(p) for p in profiles.values())
    assert {p["roleTypeId"] for p in profiles.values()} == {1, 2, 3, 4}
    live_users = [u for u in emulator.users() if u["deleted"] not in (True, "true")]
    for user in emulator.users():
        assert set(user["profileIds"]) <= set(profiles)  # the ids the users already carry exist
    for profile_id, profile in profiles.items():
        if not profile["deleted"]:
            assert profile["numOfAssignedUsers"] == sum(profile_id in u["profileIds"] for u in live_users)

    lobs = emulator.lobs()
    assert all(set(lob) == {"id", "name", "description", "deleted", "dateUpdated"} for lob in lobs)
    skill_ids = {s["id"] for s in emulator.skills()}
    for item in emulator.predefined_content():
        assert {"id", "deleted", "enabled", "type", "data", "categoriesIds", "skillIds"} <= set(item)
        assert set(item["skillIds"]) <= skill_ids and item["data"]
        assert all(set(d) == {"msg", "lang", "title", "isDefault"} for d in item["data"])
    lob_ids = {lob["id"] for lob in lobs} | {-1}
    chats = emulator.chat_engagements(*utc_window(FIRST_DAY, LAST_DAY))
    chat_lobs = {int(c["campaign"]["lobId"]) for c in chats}
    assert chat_lobs <= lob_ids and len(chat_lobs) > 1


def test_predefined_content_filters(emulator):
    path, query, _ = CATALOGS["predefinedContent"]
    items = emulator.predefined_content(include_deleted=False)
    french = get(emulator, path, f"{query}&lang=fr-FR").json()
    assert french and all(d["lang"] == "fr-FR" for item in french for d in item["data"])
    assert len(french) < len(items)
    skill = next(s for item in items for s in item["skillIds"])
    by_skill = get(emulator, path, f"{query}&skill_ids={skill}").json()
    assert by_skill == [item for item in items if skill in item["skillIds"]]
    chosen = [items[0]["id"], items[-1]["id"]]
    by_id = get(emulator, path, f"{query}&ids={chosen[0]},{chosen[1]}").json()
    assert [item["id"] for item in by_id] == chosen
    assert get(emulator, path, f"{query}&ids=abc").status_code == 400


# Agent Activity: status changes


def status_query(start: datetime, end: datetime, limit: int = 100, extra: str = "") -> str:
    return f"source={SOURCE}&v=2&from={rfc3339(start)}&to={rfc3339(end)}&limit={limit}&offset=0{extra}"


def status_pages(emulator: Emulator, query: str) -> list[dict]:
    url = f"{emulator.csds_url}{STATUS_PATH.format(account=account_of(emulator))}?{query}"
    pages = []
    while url:
        response = requests.get(url, auth=signed(emulator), timeout=30)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        assert len(pages) < 200
        refs = {ref["rel"]: ref["href"] for ref in pages[-1]["_metadata"]["references"]}
        assert refs["self"] == url
        url = refs.get("next")
    return pages


def test_status_changes_page_through_next_references_to_the_exact_records(emulator):
    day = FIRST_DAY + timedelta(days=2)
    start, end = utc_window(day)
    pages = status_pages(emulator, status_query(start, end, limit=20))
    expected = emulator.status_changes(start, end + MS)  # both bounds are inclusive
    found = [change for page in pages for change in page["stateChanges"]]
    assert found == expected and len(pages) == -(-len(expected) // 20) >= 3
    for number, page in enumerate(pages):
        refs = {ref["rel"]: ref["href"] for ref in page["_metadata"]["references"]}
        assert {"self", "first", "last"} <= set(refs)
        assert ("previous" in refs) == (number > 0) and ("next" in refs) == (number < len(pages) - 1)
        assert parse_qs(urlsplit(refs["last"]).query)["offset"] == [str((len(expected) - 1) // 20 * 20)]
        assert refs["first"].startswith(f"http://127.0.0.1:{emulator.port}/api/v2/account/")
        assert page["timeframe"] == {"startTime": rfc3339(start)[:-5] + "Z", "endTime": rfc3339(end)[:-5] + "Z",
                                     "startTimeL": str(to_ms(start)), "endTimeL": str(to_ms(end))}
    # The next day's midnight login (and its default status) is in this window and in the next day's: both bounds
    # are inclusive.
    assert [(time_ms(c), c["statusType"], c["sequenceNumber"]) for c in found[-2:]] == [(to_ms(end), 3, -1),
                                                                                         (to_ms(end), 1, 1)]
    assert emulator.stats["requests"] == {"statusChanges": len(pages)}


def test_status_change_fields_and_the_login_sharing_a_millisecond_with_the_default_status(emulator):
    changes = emulator.status_changes(*utc_window(FIRST_DAY, LAST_DAY))
    users = {u["id"]: u for u in emulator.users()}
    reasons = {r["id"]: r for r in emulator.status_reasons(include_deleted=True)}
    keys = {"agentId", "employeeId", "agentLoginName", "agentUserName", "agentGroupId", "time", "sessionId",
            "sequenceNumber", "statusType", "statusSubType", "statusReasonId", "statusReasonText",
            "prevStatusChangeTime"}
    assert all(set(c) == keys for c in changes)
    assert {c["agentId"] for c in changes} == set(emulator.status_agents()) <= set(users)
    assert all(c["agentGroupId"] == users[c["agentId"]]["memberOf"]["agentGroupId"] for c in changes)
    logins = [i for i, c in enumerate(changes) if c["statusType"] == 3]
    assert len(logins) >= len(emulator.status_agents()) * 5
    for index in logins:
        login, default = changes[index], changes[index + 1]
        assert (login["sessionId"], login["sequenceNumber"], login["statusSubType"]) == (-1, -1, 0)
        assert default["agentId"] == login["agentId"] and default["time"] == login["time"]
        assert (default["statusType"], default["sessionId"], default["sequenceNumber"]) == (1, -1, 1)
        assert login["prevStatusChangeTime"] is None and default["prevStatusChangeTime"] is None
    # (agent, time) is not a key: the login and its default status share both.
    assert len({(c["agentId"], c["time"]) for c in changes}) < len(changes)
    logouts = [c for c in changes if c["statusType"] == 4]
    assert logouts and all(c["prevStatusChangeTime"] is None and c["sessionId"] > 0 for c in logouts)
    later = [c for c in changes if c["statusType"] == 1 and c["sequenceNumber"] >= 2]
    assert all(c["sessionId"] > 0 and c["prevStatusChangeTime"] < c["time"] for c in later)
    assert {c["statusSubType"] for c in later} == {1, 2, 3, 4}
    custom = [c for c in later if c["statusReasonId"] != -1]
    assert custom and all(reasons[c["statusReasonId"]]["text"] == c["statusReasonText"] for c in custom)
    assert any(reasons[c["statusReasonId"]]["deleted"] for c in custom)  # a reason deleted since
    assert all(c["statusReasonText"] is None for c in later if c["statusReasonId"] == -1)


def test_every_day_has_status_changes_at_local_midnights(emulator):
    changes = emulator.status_changes(*utc_window(FIRST_DAY, LAST_DAY))
    times = {time_ms(c) for c in changes}
    day = FIRST_DAY
    while day <= LAST_DAY:
        base = to_ms(utc(day))
        # UTC, Asia/Kathmandu (+05:45), Europe/Paris (summer, winter), and the day's last millisecond.
        assert {base, base + 18 * HOUR_MS + 15 * MINUTE_MS, base + 22 * HOUR_MS, base + 23 * HOUR_MS,
                base + DAY_MS - 1} <= times, day
        day += timedelta(days=1)
    kathmandu = next(c for c in changes if time_ms(c) == to_ms(utc(FIRST_DAY, 18, 15)))
    # The same instant asked for with the Kathmandu offset (percent-encoded "+"), as a one-instant window.
    response = get(emulator, STATUS_PATH, f"source={SOURCE}&v=2&from=2026-11-02T00:00:00%2B05:45"
                                          f"&to=2026-11-02T00:00%2B05:45")
    assert response.json()["stateChanges"] == [kathmandu]


def test_status_changes_reject_bad_requests(emulator):
    start = utc(FIRST_DAY)
    month_later = utc(date(2026, 12, 1))
    for query in (
        f"v=2&from={rfc3339(start)}&to={rfc3339(start + MINUTE)}",  # no source
        f"source={SOURCE}&v=2&from={rfc3339(start)}",  # from without to
        f"source={SOURCE}&v=2&from={rfc3339(start)}&to={rfc3339(month_later + MS)}",  # over one month
        f"source={SOURCE}&v=2&from={rfc3339(start + MINUTE)}&to={rfc3339(start)}",
        f"source={SOURCE}&v=2&from=2026-11-01&to=2026-11-02",  # dates are not RFC 3339 date-times
        f"source={SOURCE}&v=2&from=2026-11-01T00:00:00+01:00&to=2026-11-02T00:00:00+01:00",  # "+" not encoded
        status_query(start, start + MINUTE, limit=101),
        status_query(start, start + MINUTE, limit=0),
        status_query(start, start + MINUTE).replace("offset=0", "offset=-1"),
        status_query(start, start + MINUTE, extra="&agentId=1&empId=E-1"),
        f"source={SOURCE}&v=3",
    ):
        response = get(emulator, STATUS_PATH, query)
        assert response.status_code == 400, query
        assert response.json()["message"] and response.json()["causes"], query
    assert get(emulator, STATUS_PATH, status_query(start, month_later)).status_code == 200  # exactly one month


def test_status_changes_default_to_the_24_hours_before_the_clock_and_filter_by_agent(start_emulator):
    now = utc(FIRST_DAY + timedelta(days=4), 12, 30)
    emulator = start_emulator(clock=FakeClock(now))
    answer = get(emulator, STATUS_PATH, f"source={SOURCE}&v=2&limit=100").json()
    assert answer["timeframe"]["startTimeL"] == str(to_ms(now - timedelta(hours=24)))
    assert answer["timeframe"]["endTimeL"] == str(to_ms(now))
    expected = emulator.status_changes(now - timedelta(hours=24), now + MS)
    assert answer["stateChanges"] == expected[:100] and len(expected) > 0
    agent = expected[0]["agentId"]
    mine = get(emulator, STATUS_PATH, f"source={SOURCE}&v=2&limit=100&agentId={agent}").json()["stateChanges"]
    assert mine == [c for c in expected if c["agentId"] == agent][:100]
    employee = next(c["employeeId"] for c in expected if c["employeeId"])
    theirs = get(emulator, STATUS_PATH, f"source={SOURCE}&v=2&limit=100&empId={employee}").json()["stateChanges"]
    assert theirs and all(c["employeeId"] == employee for c in theirs)
    # v1 (the default version) groups the same changes by agent; limit counts agents there.
    grouped = get(emulator, STATUS_PATH, f"source={SOURCE}&limit=2").json()
    assert "stateChanges" not in grouped and len(grouped["agentsInfo"]) == 2
    first = grouped["agentsInfo"][0]
    assert first["statusChangeHistory"] == [
        {k: v for k, v in c.items() if k not in ("agentId", "employeeId", "agentLoginName", "agentUserName",
                                                 "agentGroupId")}
        for c in expected if c["agentId"] == first["agentId"]]


def test_status_changes_are_lazy_deterministic_and_respect_empty_days(start_emulator):
    quiet = FIRST_DAY + timedelta(days=3)
    a = start_emulator(empty_days=(quiet,))
    assert a.generated_days("statusChanges") == []
    assert a.status_changes(*utc_window(quiet)) == [] and a.chat_engagement_ids(*utc_window(quiet)) == set()
    day = FIRST_DAY + timedelta(days=5)
    a.status_changes(utc(day, 10), utc(day, 11))
    assert a.generated_days("statusChanges") == [quiet - timedelta(days=1), quiet, day - timedelta(days=1), day]
    b, c = start_emulator(empty_days=(quiet,)), start_emulator(seed=8, empty_days=(quiet,))
    window = utc_window(day)
    assert a.status_changes(*window) == b.status_changes(*window) != c.status_changes(*window)
    assert a.chat_engagements(*window) == b.chat_engagements(*window) != c.chat_engagements(*window)


# Engagement History: chat search


def chat_url(emulator: Emulator, query: str = f"offset=0&limit=100&sort=start:asc&source={SOURCE}") -> str:
    return f"{emulator.csds_url}{CHAT_PATH.format(account=account_of(emulator))}?{query}"


def chat_search(emulator: Emulator, start: datetime, end: datetime, query: str | None = None, **body):
    body["start"] = {"from": to_ms(start), "to": to_ms(end)}
    url = chat_url(emulator, query) if query else chat_url(emulator)
    return requests.post(url, json=body, auth=signed(emulator), timeout=30)


def chat_ids(response: requests.Response) -> list[str]:
    return [r["info"]["engagementId"] for r in response.json()["interactionHistoryRecords"]]


def chats_in(emulator: Emulator, low: datetime, high: datetime) -> list[str]:
    """engagementIds with low <= start <= high, in start order."""
    return [r["info"]["engagementId"] for r in emulator.chat_engagements(low, high + MS)]


def test_chat_search_pages_through_next_links_to_the_exact_records(emulator):
    start, end = utc_window(FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=3))
    expected = emulator.chat_engagements(start, end + MS)
    limit = len(expected) // 3 + 1
    url = chat_url(emulator, f"offset=0&limit={limit}&sort=start:asc&source={SOURCE}")
    body = {"start": {"from": to_ms(start), "to": to_ms(end)}}
    pages = []
    while url:
        response = requests.post(url, json=body, auth=signed(emulator), timeout=30)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        metadata = pages[-1]["_metadata"]
        assert metadata["count"] == len(expected) and metadata["self"]["href"] == url
        assert metadata["shardsStatusResult"]["partialResult"] is False
        url = metadata.get("next", {}).get("href")
        assert url is None or url.startswith(f"http://127.0.0.1:{emulator.port}/interaction_history/")
    assert len(pages) == 3 and "next" not in pages[-1]["_metadata"]
    assert [r for page in pages for r in page["interactionHistoryRecords"]] == expected
    assert emulator.stats["requests"] == {"chatSearch": 3}


def test_chat_search_rounds_bounds_outward_to_ten_minutes_inclusive(emulator):
    day = FIRST_DAY + timedelta(days=4)
    boundary = utc(day, 22)  # every day has a chat at 22:00 and at 23:00 exactly (midnight in Paris)
    assert emulator.chat_engagement_ids(boundary, boundary + MS)
    for low, high in ((boundary + 5 * MINUTE, boundary + 15 * MINUTE), (boundary - 15 * MINUTE, boundary - 5 * MINUTE)):
        found = chat_ids(chat_search(emulator, low, high))
        assert found == chats_in(emulator, low - (low - EPOCH) % (10 * MINUTE), high + (EPOCH - high) % (10 * MINUTE))
        assert emulator.chat_engagement_ids(boundary, boundary + MS) <= set(found)
    late = chat_ids(chat_search(emulator, utc(day, 23, 45), utc(day, 23, 55)))
    next_midnight = emulator.chat_engagement_ids(utc(day + timedelta(days=1)), utc(day + timedelta(days=1)) + MS)
    assert len(next_midnight) == 2 and next_midnight <= set(late)
    descending = chat_ids(chat_search(emulator, *utc_window(day), f"limit=100&sort=start:desc&source={SOURCE}"))
    assert descending == list(reversed(chats_in(emulator, *utc_window(day))))


def test_chat_search_rejects_bad_requests_and_allows_one_month(emulator):
    start = utc(FIRST_DAY)
    month = to_ms(utc(date(2026, 12, 1))) - to_ms(start)
    for query, body in (
        (f"limit=101&source={SOURCE}", {"start": {"from": 0, "to": 1000}}),
        (f"limit=0&source={SOURCE}", {"start": {"from": 0, "to": 1000}}),
        ("limit=10", {"start": {"from": 0, "to": 1000}}),
        (f"limit=10&source={SOURCE}", {}),
        (f"limit=10&source={SOURCE}", {"start": {"from": 0}}),
        (f"limit=10&source={SOURCE}", {"start": {"from": to_ms(start), "to": to_ms(start) + month + 1}}),
        (f"limit=10&source={SOURCE}&sort=visitor:up", {"start": {"from": 0, "to": 1000}}),
    ):
        response = requests.post(chat_url(emulator, query), json=body, auth=signed(emulator), timeout=30)
        assert response.status_code == 400 and "message" in response.json(), (query, body)
    body = {"start": {"from": str(to_ms(start)), "to": str(to_ms(start) + month)}}  # quoted, as in the docs
    response = requests.post(chat_url(emulator), json=body, auth=signed(emulator), timeout=30)
    assert response.status_code == 200
    assert response.json()["_metadata"]["count"] == len(emulator.chat_engagement_ids(start, start + month * MS + MS))


def test_chats_are_ended_realistic_and_at_awkward_instants(emulator):
    chats = emulator.chat_engagements(*utc_window(FIRST_DAY, LAST_DAY))
    conversations = emulator.conversation_ids(*utc_window(FIRST_DAY, LAST_DAY))
    assert 0 < len(chats) < len(conversations)
    users = {str(u["id"]) for u in emulator.users()}
    for chat in chats:
        info = chat["info"]
        assert info["ended"] is True and info["endTimeL"] > info["startTimeL"] >= info["chatRequestedTimeL"]
        assert info["duration"] == (info["endTimeL"] - info["startTimeL"]) // 1000  # seconds, not milliseconds
        assert info["engagementId"].startswith(account_of(emulator)) and info["agentId"] in users | {"-1"}
        assert set(chat) == {"info", "transcript", "lineScores", "surveys", "campaign", "visitorInfo",
                             "coBrowseSessions", "sdes"}
        lines = chat["transcript"]["lines"]
        assert [line["lineSeq"] for line in lines] == [str(n) for n in range(1, len(lines) + 1)]
        assert lines[-1]["timeL"] == info["endTimeL"] and {line["source"] for line in lines} >= {"system", "visitor"}
    assert len({c["info"]["engagementId"] for c in chats}) == len(chats)
    day = FIRST_DAY
    while day <= LAST_DAY:
        starts = [c["info"]["startTimeL"] - to_ms(utc(day)) for c in emulator.chat_engagements(*utc_window(day))]
        assert starts.count(0) == 2 and {18 * HOUR_MS + 15 * MINUTE_MS, 22 * HOUR_MS, 23 * HOUR_MS} <= set(starts)
        day += timedelta(days=1)


def test_chat_search_filters(emulator):
    start, end = utc_window(FIRST_DAY, FIRST_DAY + timedelta(days=2))
    first = emulator.chat_engagements(start, end)[0]["info"]
    by_agent = chat_search(emulator, start, end, agentIds=[int(first["agentId"])]).json()
    assert by_agent["interactionHistoryRecords"]
    assert all(r["info"]["agentId"] == first["agentId"] for r in by_agent["interactionHistoryRecords"])
    by_skill = chat_search(emulator, start, end, skillIds=[first["skillId"]]).json()
    assert all(r["info"]["skillId"] == first["skillId"] for r in by_skill["interactionHistoryRecords"])
    # An engagementId ignores the time window.
    far = utc(LAST_DAY, 12)
    by_id = chat_search(emulator, far, far + MINUTE, engagementId=first["engagementId"]).json()
    assert chat_ids_of(by_id) == [first["engagementId"]]


def chat_ids_of(answer: dict) -> list[str]:
    return [r["info"]["engagementId"] for r in answer["interactionHistoryRecords"]]


# Messaging Operations


def operations(emulator: Emulator, method: str, query: str) -> requests.Response:
    return get(emulator, OPERATIONS_PATH.format(account="{account}", method=method), query)


@pytest.mark.parametrize("method", ["msgqueuehealth", "msgconversation"])
def test_operations_validate_timeframe_and_interval(emulator, method):
    for query in ("v=1", "timeframe=60", "timeframe=abc&v=1", "timeframe=0&v=1", "timeframe=1441&v=1",
                  "timeframe=60&v=1&interval=4", "timeframe=60&v=1&interval=7", "timeframe=60&v=1&interval=120",
                  "timeframe=20&v=1&interval=3", "timeframe=60&v=1&skillIds=one"):
        response = operations(emulator, method, query)
        assert response.status_code == 400 and "message" in response.json(), query
    for query in ("timeframe=1440&v=1", "timeframe=1440&v=1&interval=1440", "timeframe=60&v=1&interval=5",
                  f"timeframe=7&v=1&source={SOURCE}"):
        assert operations(emulator, method, query).status_code == 200, query
    assert emulator.stats["requests"] == {method: 14}


def test_queue_health_intervals_follow_the_clock_back_24_hours(start_emulator):
    now = datetime(2026, 11, 29, 8, 51, 55, 321000, tzinfo=timezone.utc)
    emulator = start_emulator(clock=FakeClock(now))
    assert emulator.now() == now
    answer = operations(emulator, "msgqueuehealth", "timeframe=1440&v=1&skillIds=all&interval=60").json()
    stamps = [entry["timestamp"] for entry in answer["metricsByIntervals"]]
    # Not rounded: each timestamp is the start of its interval, counted back from the request time; newest first.
    assert stamps == [to_ms(now) - k * HOUR_MS for k in range(1, 25)]
    assert stamps[-1] == to_ms(now - timedelta(hours=24))
    for entry in answer["metricsByIntervals"]:
        start = from_ms(entry["timestamp"])
        assert entry["metricsData"] == emulator.queue_health(start, start + timedelta(hours=1), "all")
    assert answer["timeframeSummary"] == emulator.queue_health(now - timedelta(hours=24), now, "all")
    skills = {str(s["id"]) for s in emulator.skills() if not s["deleted"]}
    summary = answer["timeframeSummary"]
    assert set(summary["skillsMetrics"]) == skills
    for metrics in summary["skillsMetrics"].values():
        assert metrics["unassignedConversations"] == pytest.approx(
            metrics["actionableConversations"] + metrics["notActionableConversations"], abs=2e-4)
    assert summary["metricsTotal"]["actionableConversations"] == pytest.approx(
        sum(m["actionableConversations"] for m in summary["skillsMetrics"].values()), abs=1e-3)
    # Without skillIds: the account level only; unknown skills: no skillsMetrics entries, totals at zero.
    assert set(operations(emulator, "msgqueuehealth", "timeframe=60&v=1").json()) == {"metricsTotal"}
    unknown = operations(emulator, "msgqueuehealth", "timeframe=60&v=1&skillIds=1,2").json()
    assert unknown["skillsMetrics"] == {} and set(unknown["metricsTotal"].values()) == {0}
    one = sorted(skills)[0]
    only = operations(emulator, "msgqueuehealth", f"timeframe=60&v=1&skillIds={one}").json()
    assert only == emulator.queue_health(now - timedelta(hours=1), now, [int(one)])


def test_queue_health_same_interval_same_numbers_across_overlapping_polls(start_emulator):
    clock = FakeClock(datetime(2026, 11, 29, 14, 7, 12, 5000, tzinfo=timezone.utc))
    emulator = start_emulator(clock=clock)
    query = "timeframe=180&v=1&skillIds=all&interval=30"
    first = operations(emulator, "msgqueuehealth", query).json()["metricsByIntervals"]
    clock.advance(timedelta(minutes=60))
    second = operations(emulator, "msgqueuehealth", query).json()["metricsByIntervals"]
    earlier = {entry["timestamp"]: entry["metricsData"] for entry in first}
    later = {entry["timestamp"]: entry["metricsData"] for entry in second}
    shared = set(earlier) & set(later)
    assert len(shared) == 4 and all(earlier[stamp] == later[stamp] for stamp in shared)
    assert min(later) > min(earlier)
    # A poll 7 minutes later has intervals of its own (not rounded), whose numbers differ.
    clock.advance(timedelta(minutes=7))
    third = operations(emulator, "msgqueuehealth", query).json()["metricsByIntervals"]
    assert not {entry["timestamp"] for entry in third} & set(later)


def test_msgconversation_buckets_round_up_to_five_minutes(start_emulator):
    now = datetime(2026, 11, 29, 14, 7, 30, tzinfo=timezone.utc)
    clock = FakeClock(now)
    emulator = start_emulator(clock=clock)
    answer = operations(emulator, "msgconversation", "timeframe=20&v=1&interval=10&agentIds=all").json()
    # The docs' example: now 8:07, timeframe 20, interval 10 -> 7:45-7:50, 7:50-8:00, 8:00-8:10 (end timestamps).
    ends = [utc(now.date(), 13, 50), utc(now.date(), 14), utc(now.date(), 14, 10)]
    starts = [utc(now.date(), 13, 45), utc(now.date(), 13, 50), utc(now.date(), 14)]
    assert [entry["timestamp"] for entry in answer["metricsByIntervals"]] == [to_ms(end) for end in ends]
    for entry, start, end in zip(answer["metricsByIntervals"], starts, ends):
        assert entry["metricsData"] == emulator.conversation_metrics(start, min(end, now + MS), agent_ids="all")
    assert answer["timeframeSummary"] == emulator.conversation_metrics(starts[0], now + MS, agent_ids="all")
    # The same complete interval polled later has the same numbers.
    clock.advance(timedelta(minutes=30))
    later = operations(emulator, "msgconversation", "timeframe=60&v=1&interval=10&agentIds=all").json()
    by_stamp = {entry["timestamp"]: entry["metricsData"] for entry in later["metricsByIntervals"]}
    assert by_stamp[to_ms(ends[1])] == answer["metricsByIntervals"][1]["metricsData"]


def test_msgconversation_shapes(start_emulator):
    now = datetime(2026, 11, 29, 16, 0, 0, tzinfo=timezone.utc)
    emulator = start_emulator(clock=FakeClock(now))
    day_ago = now - timedelta(hours=24)
    account = operations(emulator, "msgconversation", "timeframe=1440&v=1").json()
    assert set(account) == {"metricsTotals"}
    totals = account["metricsTotals"]
    assert totals["totalResolvedConversations"] == sum(
        totals[f"resolvedConversations_by{r}"] for r in ("CCP", "Consumer", "System")) > 20
    assert totals["avgTime_resolvedConversations"] == pytest.approx(
        totals["totalHandlingTime_resolvedConversations"] / totals["totalResolvedConversations"], rel=1e-6)
    both = operations(emulator, "msgconversation", "timeframe=1440&v=1&skillIds=all&agentIds=all").json()
    assert set(both) == {"skillsMetricsPerAgent", "agentsMetrics"}
    assert both == emulator.conversation_metrics(day_ago, now + MS, agent_ids="all", skill_ids="all")
    per_agent = both["agentsMetrics"]["metricsPerAgent"]
    assert sum(m["totalResolvedConversations"] for m in per_agent.values()) == totals["totalResolvedConversations"]
    agent = sorted(per_agent)[0]
    mine = operations(emulator, "msgconversation", f"timeframe=1440&v=1&agentIds={agent}").json()
    assert mine["agentsMetrics"]["metricsPerAgent"] == {agent: per_agent[agent]}
    assert mine["agentsMetrics"]["metricsTotals"] == per_agent[agent]
    skills = both["skillsMetricsPerAgent"]["metricsPerSkill"]
    assert skills and all(set(entry) == {"metricsPerAgent", "metricsTotals"} for entry in skills.values())
    # The documented POST, for long agentIds lists, answers as the GET.
    url = f"{emulator.csds_url}/operations/api/account/{account_of(emulator)}/msgconversation"
    posted = requests.post(url, json={"timeframe": "1440", "v": "1", "agentIds": agent}, auth=signed(emulator), timeout=30)
    assert posted.status_code == 200 and posted.json() == mine
    queue = requests.post(url.replace("msgconversation", "msgqueuehealth"), json={}, auth=signed(emulator), timeout=30)
    assert queue.status_code == 405


def test_csds_resolves_le_data_reporting(start_emulator):
    emulator = start_emulator()
    base = f"{emulator.csds_url}/api/account/{account_of(emulator)}/service"
    one = requests.get(f"{base}/leDataReporting/baseURI.json?version=1.0", timeout=30)
    assert one.json() == {"service": "leDataReporting", "account": account_of(emulator),
                          "baseURI": f"127.0.0.1:{emulator.port}"}
    services = requests.get(f"{base}/baseURI.json?version=1.0", timeout=30)
    assert "leDataReporting" in {entry["service"] for entry in services.json()["baseURIs"]}


# Permissions and authentication


def every_new_endpoint(emulator: Emulator, auth="signed") -> dict[str, requests.Response]:
    start, end = utc(FIRST_DAY, 9), utc(FIRST_DAY, 10)
    chat_body = {"start": {"from": to_ms(start), "to": to_ms(end)}}
    answers = {kind: get(emulator, path, query, auth) for kind, (path, query, _) in CATALOGS.items()}
    answers["agentActivity"] = get(emulator, STATUS_PATH, status_query(start, end), auth)
    answers["engHist"] = requests.post(chat_url(emulator), json=chat_body,
                                       auth=signed(emulator) if auth == "signed" else auth, timeout=30)
    answers["operations"] = operations(emulator, "msgqueuehealth", "timeframe=60&v=1") if auth == "signed" else \
        get(emulator, OPERATIONS_PATH.format(account="{account}", method="msgconversation"), "timeframe=60&v=1", auth)
    return answers


def test_a_forbidden_api_answers_403_while_the_others_answer(start_emulator):
    emulator = start_emulator(faults=Faults(forbidden_apis={"agentActivity"}))
    answers = every_new_endpoint(emulator)
    assert answers.pop("agentActivity").status_code == 403
    assert {kind: r.status_code for kind, r in answers.items()} == {kind: 200 for kind in answers}
    refused = get(emulator, STATUS_PATH, status_query(utc(FIRST_DAY), utc(FIRST_DAY, 1)))
    assert refused.status_code == 403 and "Agent Status Changes" in refused.json()["message"]
    users = get(emulator, "/api/account/{account}/configuration/le-users/users", "v=6.0")
    assert users.status_code == 200
    emulator.set_faults(Faults(forbidden_apis=frozenset({"users", "engHist", "msgHist"})))
    assert get(emulator, "/api/account/{account}/configuration/le-users/users", "v=6.0").status_code == 403
    assert get(emulator, "/api/account/{account}/configuration/le-users/skills", "v=4.0").status_code == 200
    search = requests.post(f"{emulator.csds_url}/messaging_history/api/account/{account_of(emulator)}"
                           f"/conversations/search?source={SOURCE}", json={"start": {"from": 0, "to": 1}},
                           auth=signed(emulator), timeout=30)
    assert search.status_code == 403 and "Messaging Interactions" in search.json()["message"]
    assert every_new_endpoint(emulator)["engHist"].status_code == 403
    assert get(emulator, STATUS_PATH, status_query(utc(FIRST_DAY), utc(FIRST_DAY, 1))).status_code == 200
    assert emulator.stats["faults"] == {"403_forbidden": 5}
    with pytest.raises(ValueError, match="agentStatus"):
        Faults(forbidden_apis={"agentStatus"})


def test_every_new_endpoint_needs_credentials(emulator):
    answers = every_new_endpoint(emulator, auth=None)
    assert len(answers) == 7
    for kind, response in answers.items():
        assert response.status_code == 401 and "message" in response.json(), kind
    wrong = OAuth1("f" * 32, client_secret="0" * 32, resource_owner_key="a" * 32, resource_owner_secret="b" * 32)
    assert {r.status_code for r in every_new_endpoint(emulator, auth=wrong).values()} == {401}
    assert emulator.stats["unauthenticated"] == 7 and emulator.stats["oauth1_rejected"] == 7


def test_new_endpoints_are_fault_injected(emulator):
    emulator.set_faults(Faults(rate_429=1.0))
    assert {r.status_code for r in every_new_endpoint(emulator).values()} == {429}
    emulator.set_faults(Faults(rate_partial=1.0))
    partial = chat_search(emulator, *utc_window(FIRST_DAY), f"limit=10&source={SOURCE}").json()
    assert partial["_metadata"]["shardsStatusResult"]["partialResult"] is True
    assert len(partial["interactionHistoryRecords"]) < 10
    emulator.set_faults(Faults(next_host="evil.example.com"))
    answer = get(emulator, STATUS_PATH, status_query(*utc_window(FIRST_DAY), limit=5)).json()
    refs = {ref["rel"]: ref["href"] for ref in answer["_metadata"]["references"]}
    assert urlsplit(refs["next"]).netloc == "evil.example.com"


def test_cli_options_for_the_new_apis():
    args = _parser().parse_args(["--chats-per-day", "3", "--agents-with-status", "2", "--forbid", "engHist",
                                 "--forbid", "operations"])
    config = _config(args)
    assert (config.chats_per_day, config.agents_with_status) == (3, 2)
    assert config.faults.forbidden_apis == {"engHist", "operations"}
    with pytest.raises(SystemExit):
        _parser().parse_args(["--forbid", "nothing"])
    help_text = _parser().format_help()
    for option in ("--chats-per-day", "--agents-with-status", "--forbid"):
        assert option in help_text


def test_every_cli_option_has_help_with_its_default():
    parser = _parser()
    options = [action for action in parser._actions if "-h" not in action.option_strings]
    assert len(options) >= 20
    for action in options:
        assert action.help and action.help.strip(), action.option_strings
        assert "default" in action.help, action.option_strings
    help_text = parser.format_help()  # expands every %(default)s
    assert "--rate-429-retry-after" in help_text and "(default: 3600)" in help_text


def _parse(argv: list[str]):
    from liveperson_emulator.__main__ import _parse_args

    return _parse_args(_parser(), argv)


@pytest.mark.parametrize("argv, option", [
    (["--rate-429", "1.5"], "--rate-429"),
    (["--rate-429-retry-after", "-0.1"], "--rate-429-retry-after"),
    (["--rate-5xx", "nan"], "--rate-5xx"),
    (["--rate-drop", "inf"], "--rate-drop"),
    (["--rate-slow", "half"], "--rate-slow"),
    (["--rate-partial", "2"], "--rate-partial"),
    (["--rate-truncated", ""], "--rate-truncated"),
    (["--slow-seconds", "-1"], "--slow-seconds"),
    (["--slow-seconds", "nan"], "--slow-seconds"),
    (["--port", "-1"], "--port"),
    (["--port", "65536"], "--port"),
    (["--port", "80.5"], "--port"),
    (["--account", "abc"], "--account"),
    (["--account", "1335-0576"], "--account"),
    (["--account", ""], "--account"),
    (["--account", "١٢٣"], "--account"),
    (["--seed", "1.5"], "--seed"),
    (["--days", "2024-02-01:2024-01-31"], "--days"),
    (["--days", "2024-01-01"], "--days"),
    (["--days", "20240101:20240102"], "--days"),
    (["--days", "2024-01-01:2024-01-02:2024-01-03"], "--days"),
    (["--empty-days", "2024-02-30"], "--empty-days"),
    (["--unavailable-days", "2024-1-5"], "--unavailable-days"),
    (["--conversations-per-day", "-1"], "--conversations-per-day"),
    (["--conversations-per-day", "1.5"], "--conversations-per-day"),
    (["--chats-per-day", "-3"], "--chats-per-day"),
    (["--agents-with-status", "x"], "--agents-with-status"),
    (["--latency-ms", "-5"], "--latency-ms"),
    (["--latency-ms", "0.5"], "--latency-ms"),
    (["--token-ttl", "0"], "--token-ttl"),
    (["--forbid", "nothing"], "--forbid"),
    (["--host", ""], "--host"),
    (["--env-file", ""], "--env-file"),
    (["--env-file", "."], "--env-file"),
    (["--env-file", "/no/such/directory/env"], "--env-file"),
    (["--verbose", "yes"], "yes"),
    (["--rate-429", "0.6", "--rate-5xx", "0.6"], "--rate-*"),
])
def test_cli_refuses_bad_values_naming_the_option(argv, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parse(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("liveperson-emulator: error: ") and option in error, error


def test_cli_good_values_give_the_same_config_as_before():
    from liveperson_emulator import EmulatorConfig

    assert _config(_parse([])) == EmulatorConfig()
    argv = ["--host", "0.0.0.0", "--port", "65535", "--account", "0123", "--seed", "-4",
            "--days", "2024-01-01:2024-01-01", "--empty-days", "2024-01-01,2024-01-03",
            "--conversations-per-day", "0", "--chats-per-day", "0", "--agents-with-status", "0",
            "--forbid", "lobs", "--latency-ms", "0", "--token-ttl", "1",
            "--rate-429-retry-after", "0.1", "--rate-429", "0.2", "--rate-5xx", "0.3", "--rate-partial", "0",
            "--rate-drop", "0.05", "--rate-slow", "0.05", "--rate-truncated", "0.3", "--slow-seconds", "0",
            "--unavailable-days", "2024-01-01", "--verbose"]
    assert _config(_parse(argv)) == EmulatorConfig(
        host="0.0.0.0", port=65535, account="0123", seed=-4, first_day=date(2024, 1, 1), last_day=date(2024, 1, 1),
        empty_days=(date(2024, 1, 1), date(2024, 1, 3)), conversations_per_day=0, chats_per_day=0,
        agents_with_status=0, latency_ms=0, token_ttl_seconds=1, verbose=True,
        faults=Faults(rate_429_retry_after=0.1, rate_429=0.2, rate_5xx=0.3, rate_drop=0.05, rate_slow=0.05,
                      rate_truncated=0.3, slow_seconds=0.0, forbidden_apis={"lobs"},
                      unavailable_days={date(2024, 1, 1)}))
    assert _config(_parse(["--rate-slow", "1", "--port", "0", "--slow-seconds", "2.5", "--token-ttl", "7200"])) == \
        EmulatorConfig(token_ttl_seconds=7200, faults=Faults(rate_slow=1.0, slow_seconds=2.5))
    assert _parse(["--env-file", "env.sh"]).env_file == "env.sh"
