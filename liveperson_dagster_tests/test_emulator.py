"""The LivePerson emulator over real HTTP: CSDS, account configuration, conversation search, OAuth1/OAuth2, faults, CLI."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests_oauthlib import OAuth1

from liveperson_emulator import Emulator, EmulatorConfig, Faults

from .helpers import utc_window, wait_until

ACCOUNT = "13350576"
FIRST_DAY = date(2026, 11, 1)
LAST_DAY = date(2026, 11, 28)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)
MS = timedelta(milliseconds=1)
SERVICES = {"accountConfigReadOnly", "msgHist", "sentinel", "engHistDomain", "agentActivityDomain", "leDataReporting"}
DEFAULT_PARTS = {"messageRecords", "agentParticipants", "consumerParticipants", "transfers", "interactions",
                 "messageScores", "conversationSurveys", "summary", "sdes"}


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MS


def utc(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def make_emu():
    started = []

    def make(**overrides) -> Emulator:
        settings = {"first_day": FIRST_DAY, "last_day": LAST_DAY, **overrides}
        emulator = Emulator(EmulatorConfig(**settings)).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emu(make_emu) -> Emulator:
    return make_emu()


def oauth1(emu: Emulator, **overrides) -> OAuth1:
    c = {**emu.credentials, **overrides}
    return OAuth1(c["app_key"], client_secret=c["app_secret"],
                  resource_owner_key=c["access_token"], resource_owner_secret=c["access_token_secret"])


def config_url(emu: Emulator, kind: str, query: str) -> str:
    return f"{emu.csds_url}/api/account/{ACCOUNT}/configuration/le-users/{kind}?{query}"


def search_url(emu: Emulator, query: str = "offset=0&limit=100&v=2&sort=start:asc&source=LivePersonDagster",
               account: str = ACCOUNT) -> str:
    return f"{emu.csds_url}/messaging_history/api/account/{account}/conversations/search?{query}"


def search(emu: Emulator, start: datetime | None, end: datetime | None, query: str | None = None,
           auth=None, **body) -> requests.Response:
    if start is not None:
        body["start"] = {"from": to_ms(start), "to": to_ms(end)}
    url = search_url(emu, query) if query is not None else search_url(emu)
    return requests.post(url, json=body, auth=auth or oauth1(emu), timeout=10)


def ids_of(response: requests.Response) -> list[str]:
    return [r["info"]["conversationId"] for r in response.json()["conversationHistoryRecords"]]


def in_rounded_window(emu: Emulator, low: datetime, high: datetime) -> list[str]:
    """Ids with low <= start <= high (inclusive, as LivePerson's search), in start order."""
    return [r["info"]["conversationId"] for r in emu.conversations(low, high + MS)]


# CSDS


def test_csds_answers_each_service_with_host_and_port_only(emu):
    for service in SERVICES:
        response = requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/service/{service}/baseURI.json?version=1.0", timeout=30)
        assert response.status_code == 200
        assert response.json() == {"service": service, "account": ACCOUNT, "baseURI": f"127.0.0.1:{emu.port}"}


def test_csds_answers_all_services_at_once(emu):
    response = requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/service/baseURI.json?version=1.0", timeout=30)
    assert response.status_code == 200
    entries = response.json()["baseURIs"]
    assert {e["service"] for e in entries} == SERVICES
    assert all(e["baseURI"] == f"127.0.0.1:{emu.port}" and e["account"] == ACCOUNT for e in entries)


def test_csds_errors(emu):
    base = f"{emu.csds_url}/api/account"
    assert requests.get(f"{base}/999/service/msgHist/baseURI.json?version=1.0", timeout=30).status_code == 401
    for query in ("", "?version=2.0"):
        response = requests.get(f"{base}/{ACCOUNT}/service/msgHist/baseURI.json{query}", timeout=30)
        assert response.status_code == 400 and "message" in response.json()
    response = requests.get(f"{base}/{ACCOUNT}/service/noSuchService/baseURI.json?version=1.0", timeout=30)
    assert response.status_code == 404 and "message" in response.json()


# Account configuration


@pytest.mark.parametrize("kind, version, listing", [
    ("users", "6.0", "users"), ("skills", "4.0", "skills"), ("agentGroups", "4.0", "agent_groups")])
def test_config_serves_one_array_with_and_without_deleted(emu, kind, version, listing):
    everything = requests.get(config_url(emu, kind, f"v={version}&include_deleted=true&select=$all"),
                              auth=oauth1(emu), timeout=30)
    assert everything.status_code == 200
    assert everything.json() == getattr(emu, listing)(include_deleted=True)
    assert everything.headers["ETag"] and everything.headers["ac-revision"]
    current = requests.get(config_url(emu, kind, f"v={version}"), auth=oauth1(emu), timeout=30)
    assert current.json() == getattr(emu, listing)(include_deleted=False)
    deleted = [item for item in everything.json() if item["deleted"] in (True, "true")]
    assert deleted and all(item not in current.json() for item in deleted)
    assert len(current.json()) + len(deleted) == len(everything.json())
    # Not paginated: paging parameters are ignored.
    paged = requests.get(config_url(emu, kind, f"v={version}&include_deleted=true&limit=2&offset=1"),
                         auth=oauth1(emu), timeout=30)
    assert paged.json() == everything.json()


def test_config_data_looks_like_liveperson(emu):
    users, skills, groups = emu.users(), emu.skills(), emu.agent_groups()
    assert 14 <= len(users) <= 16 and len(skills) == 8 and len(groups) == 5
    assert 2 <= sum(u["deleted"] in (True, "true") for u in users) <= 3
    assert sum(u["isApiUser"] in (True, "true") for u in users) == 1
    assert any(u["deleted"] == "false" for u in users) and any(u["deleted"] is False for u in users)
    assert any(isinstance(u["maxChats"], str) for u in users) and any(isinstance(u["maxChats"], int) for u in users)
    assert all(isinstance(u["id"], int) and set(u["memberOf"]) == {"agentGroupId", "assignmentDate"} for u in users)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", u["dateUpdated"]) for u in users)
    assert any("Zoë" in u["fullName"] for u in users)
    assert sum(s["deleted"] for s in skills) == 1 and all(s["skillRoutingConfiguration"] for s in skills)
    assert [g["parentGroupId"] for g in groups].count(None) == 1 and sum(g["deleted"] for g in groups) == 1


def test_config_rejects_missing_or_wrong_version(emu):
    for query in ("include_deleted=true", "v=1.0", "v=abc"):
        response = requests.get(config_url(emu, "users", query), auth=oauth1(emu), timeout=30)
        assert response.status_code == 400 and "message" in response.json()


# Conversation search: validation


@pytest.mark.parametrize("query, body", [
    ("offset=0&limit=101&v=2&source=LivePersonDagster", {"start": {"from": 0, "to": 1000}}),
    ("offset=0&limit=0&v=2&source=LivePersonDagster", {"start": {"from": 0, "to": 1000}}),
    ("offset=0&limit=10&v=2&source=LivePersonDagster", {}),
    ("offset=0&limit=10&v=2&source=LivePersonDagster", {"start": {"from": 0}}),
    ("offset=0&limit=10&v=2&source=LivePersonDagster", {"start": {"from": 0, "to": 92 * 86_400_000 + 1}}),
    ("offset=0&limit=10&v=2&source=LivePersonDagster", {"start": {"from": 2000, "to": 1000}}),
    ("offset=0&limit=10&v=2", {"start": {"from": 0, "to": 1000}}),
    ("offset=0&limit=10&v=2&source=ThisSourceIsTooLong12", {"start": {"from": 0, "to": 1000}}),
])
def test_search_rejects_bad_requests(emu, query, body):
    response = requests.post(search_url(emu, query), json=body, auth=oauth1(emu), timeout=30)
    assert response.status_code == 400 and "message" in response.json()


def test_search_accepts_exactly_92_days(emu):
    start = utc(FIRST_DAY)
    assert search(emu, start, start + timedelta(days=92)).status_code == 200


# Conversation search: windows and paging


def test_search_rounds_bounds_outward_to_ten_minutes_inclusive(emu):
    day = FIRST_DAY + timedelta(days=3)
    boundary = next(
        datetime.fromtimestamp(r["info"]["startTimeL"] / 1000, timezone.utc)
        for r in emu.conversations(utc(day, 1), utc(day, 18))
        if r["info"]["startTimeL"] % 600_000 == 0
    )
    # [T+5m, T+15m) is searched as [T, T+20m]; [T-15m, T-5m) as [T-20m, T].
    for low, high in ((boundary + 5 * MINUTE, boundary + 15 * MINUTE), (boundary - 15 * MINUTE, boundary - 5 * MINUTE)):
        found = ids_of(search(emu, low, high))
        expected = in_rounded_window(emu, low - (low - EPOCH) % (10 * MINUTE),
                                     high + (EPOCH - high) % (10 * MINUTE))
        assert found == expected
        assert emu.conversation_ids(boundary, boundary + MS) <= set(found)
    # The last minutes of a day reach the next day's conversations at exactly 00:00:00.000.
    late = ids_of(search(emu, utc(day, 23, 45), utc(day, 23, 55)))
    next_midnight = emu.conversation_ids(utc(day + timedelta(days=1)), utc(day + timedelta(days=1)) + MS)
    assert len(next_midnight) >= 1 and next_midnight <= set(late)
    assert late == in_rounded_window(emu, utc(day, 23, 40), utc(day + timedelta(days=1)))


def test_search_pages_through_next_links(emu):
    day = FIRST_DAY + timedelta(days=5)
    start, end = utc_window(day)
    expected = in_rounded_window(emu, start, end)
    limit = len(expected) // 3 + 1
    url = search_url(emu, f"offset=0&limit={limit}&v=2&sort=start:asc&source=LivePersonDagster")
    body = {"start": {"from": to_ms(start), "to": to_ms(end)}}
    pages = []
    while url:
        response = requests.post(url, json=body, auth=oauth1(emu), timeout=30)
        assert response.status_code == 200
        page = response.json()
        pages.append(page)
        assert page["_metadata"]["count"] == len(expected)
        assert page["_metadata"]["self"]["href"] == url
        assert page["_metadata"]["shardsStatusResult"] == {"partialResult": False}
        url = page["_metadata"].get("next", {}).get("href")
        if url:
            assert url.startswith(f"http://127.0.0.1:{emu.port}/messaging_history/")
            assert parse_qs(urlsplit(url).query)["source"] == ["LivePersonDagster"]
    assert len(pages) == 3
    assert "next" not in pages[-1]["_metadata"]
    found = [r["info"]["conversationId"] for p in pages for r in p["conversationHistoryRecords"]]
    assert found == expected
    assert set(found) == emu.conversation_ids(start, end + MS)


def test_latency_is_the_least_answer_time_of_every_request(make_emu):
    emu = make_emu(latency_ms=300, conversations_per_day=5)
    for send in (lambda: search(emu, utc(FIRST_DAY), utc(FIRST_DAY, 23)),
                 lambda: requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/service/msgHist/baseURI.json?version=1.0", timeout=30)):
        started = time.monotonic()
        assert send().status_code == 200
        assert time.monotonic() - started >= 0.3


def test_search_offset_beyond_count_is_empty_without_next(emu):
    day = FIRST_DAY + timedelta(days=1)
    response = search(emu, utc(day), utc(day, 1), "offset=500&limit=10&source=x")
    assert response.status_code == 200
    assert response.json()["conversationHistoryRecords"] == []
    assert "next" not in response.json()["_metadata"]


def test_search_sorts_by_start_then_id_and_descending_on_request(emu):
    start, end = utc_window(FIRST_DAY)
    records = search(emu, start, end).json()["conversationHistoryRecords"]
    keys = [(r["info"]["startTimeL"], r["info"]["conversationId"]) for r in records]
    assert keys == sorted(keys)
    descending = search(emu, start, end, "limit=100&sort=start:desc&source=x")
    assert ids_of(descending) == [k[1] for k in reversed(keys)]


def test_search_honours_content_to_retrieve(emu):
    start, end = utc(FIRST_DAY, 9), utc(FIRST_DAY, 15)
    full = {r["info"]["conversationId"]: r for r in emu.conversations(start, end + 10 * MINUTE)}
    chosen = search(emu, start, end, contentToRetrieve=["messageRecords", "summary"]).json()
    for record in chosen["conversationHistoryRecords"]:
        assert set(record) == {"info", "messageRecords", "summary"}
        expected = full[record["info"]["conversationId"]]
        assert record["messageRecords"] == expected["messageRecords"] and record["info"] == expected["info"]
    default = search(emu, start, end).json()["conversationHistoryRecords"]
    assert default and all(set(r) == {"info"} | DEFAULT_PARTS for r in default)


def test_search_filters(emu):
    start, end = utc(LAST_DAY - timedelta(days=1)), utc(LAST_DAY, 23)
    everything = search(emu, start, end, "limit=100&source=x").json()
    opened = search(emu, start, end, "limit=100&source=x", status=["OPEN"]).json()
    assert opened["_metadata"]["count"] >= 1
    assert all(r["info"]["status"] == "OPEN" for r in opened["conversationHistoryRecords"])
    first = everything["conversationHistoryRecords"][0]["info"]
    by_agent = search(emu, start, end, "limit=100&source=x", agentIds=[first["latestAgentId"]]).json()
    assert all(r["info"]["latestAgentId"] == first["latestAgentId"] for r in by_agent["conversationHistoryRecords"])
    by_skill = search(emu, start, end, "limit=100&source=x", skillIds=[first["latestSkillId"]]).json()
    assert all(r["info"]["latestSkillId"] == first["latestSkillId"] for r in by_skill["conversationHistoryRecords"])
    assert by_agent["_metadata"]["count"] >= 1 and by_skill["_metadata"]["count"] >= 1


def test_conversations_are_realistic_and_reference_the_directory(emu):
    records = emu.conversations(*utc_window(FIRST_DAY, LAST_DAY))
    user_ids = {str(u["id"]) for u in emu.users()}
    skill_ids = {s["id"] for s in emu.skills()}
    group_ids = {g["id"] for g in emu.agent_groups()}
    deleted_users = {str(u["id"]) for u in emu.users() if u["deleted"] in (True, "true")}
    infos = [r["info"] for r in records]
    assert all(i["latestAgentId"] in user_ids | {"-1"} for i in infos)
    assert all(i["latestSkillId"] in skill_ids | {-1} for i in infos)
    assert all(i["latestAgentGroupId"] in group_ids | {-1} for i in infos)
    assert any(i["latestSkillId"] == -1 for i in infos) and any(i["latestAgentId"] in deleted_users for i in infos)
    opened = [i for i in infos if i["status"] == "OPEN"]
    assert opened and all(i["endTime"] == "undefined" and i["endTimeL"] == -1 for i in opened)
    assert sum(i["status"] == "CLOSE" for i in infos) > 0.8 * len(infos)
    for info in infos:
        moment = datetime.fromtimestamp(info["startTimeL"] / 1000, timezone.utc)
        assert info["startTime"] == f"{moment:%Y-%m-%d %H:%M:%S}.{info['startTimeL'] % 1000:03d}+0000"
        assert info["isPartial"] is False
    texts = [m["messageData"]["msg"]["text"] for r in records for m in r["messageRecords"]]
    assert any(ord(ch) > 0xFFFF for text in texts for ch in text)  # emoji beyond the BMP
    assert all(isinstance(p["agentId"], str) for r in records for p in r["agentParticipants"])
    assert any(r["transfers"] for r in records) and any(r["conversationSurveys"] for r in records)


def test_every_day_has_conversations_at_awkward_instants(emu):
    day = FIRST_DAY
    while day <= LAST_DAY:
        starts = {r["info"]["startTimeL"] - to_ms(utc(day)) for r in emu.conversations(*utc_window(day))}
        hour, minute = 3_600_000, 60_000
        assert {0, 18 * hour + 15 * minute, 22 * hour, 23 * hour} <= starts
        assert any(s % 600_000 == 0 and s not in (0, 22 * hour, 23 * hour) for s in starts)
        assert any(s % 1000 for s in starts)  # and ordinary millisecond instants
        day += timedelta(days=1)


def test_empty_days_and_lazy_generation(make_emu):
    quiet = FIRST_DAY + timedelta(days=2)
    emu = make_emu(conversations_per_day=50_000, empty_days=(quiet,),
                   first_day=FIRST_DAY, last_day=FIRST_DAY + timedelta(days=60))
    assert emu.conversation_ids(*utc_window(quiet)) == set()
    response = search(emu, utc(quiet, 12), utc(quiet, 13))
    assert response.json()["_metadata"]["count"] == 0
    assert emu.generated_days() == [quiet]
    day = FIRST_DAY + timedelta(days=40)
    response = search(emu, utc(day, 23, 50), utc(day, 23, 55), "limit=5&source=x")
    assert response.json()["_metadata"]["count"] > 10
    assert emu.generated_days() == [quiet, day, day + timedelta(days=1)]


def test_per_day_counts_vary_around_the_average(emu):
    counts = [len(emu.conversation_ids(*utc_window(FIRST_DAY + timedelta(days=n)))) for n in range(28)]
    assert all(30 <= c <= 50 for c in counts) and len(set(counts)) > 3


def test_same_seed_same_data_other_seed_other_data(make_emu):
    a, b, c = make_emu(), make_emu(), make_emu(seed=8)
    start, end = utc(FIRST_DAY, 6), utc(FIRST_DAY, 12)
    assert a.credentials == b.credentials and a.credentials != c.credentials
    page_a, page_b = search(a, start, end).json(), search(b, start, end).json()
    assert page_a["conversationHistoryRecords"] == page_b["conversationHistoryRecords"]
    assert page_a["_metadata"]["count"] == page_b["_metadata"]["count"] > 0
    assert a.users() == b.users() and a.users() != c.users()
    assert a.conversation_ids(start, end) != c.conversation_ids(start, end)


# Authentication


def test_oauth1_rejects_wrong_secrets(emu):
    url = config_url(emu, "skills", "v=4.0")
    assert requests.get(url, auth=oauth1(emu), timeout=30).status_code == 200
    assert requests.get(url, auth=oauth1(emu, app_secret="0" * 32), timeout=30).status_code == 401
    assert requests.get(url, auth=oauth1(emu, access_token_secret="0" * 32), timeout=30).status_code == 401
    assert requests.get(url, auth=oauth1(emu, app_key="f" * 32), timeout=30).status_code == 401
    response = requests.get(url, timeout=30)
    assert response.status_code == 401 and "message" in response.json()
    assert emu.stats["oauth1_rejected"] == 3


def test_oauth1_rejects_tampered_query_and_replayed_nonce(emu):
    session = requests.Session()
    signed = requests.Request("GET", config_url(emu, "users", "v=6.0&include_deleted=true"), auth=oauth1(emu)).prepare()
    tampered = signed.copy()
    tampered.url = tampered.url.replace("include_deleted=true", "include_deleted=false")
    assert session.send(tampered).status_code == 401
    assert session.send(signed).status_code == 200
    assert session.send(signed).status_code == 401  # same nonce and timestamp again


def test_oauth1_rejects_stale_timestamps(emu):
    c = emu.credentials
    stale = OAuth1(c["app_key"], client_secret=c["app_secret"], resource_owner_key=c["access_token"],
                   resource_owner_secret=c["access_token_secret"], timestamp=str(int(time.time()) - 601))
    assert requests.get(config_url(emu, "skills", "v=4.0"), auth=stale, timeout=30).status_code == 401


def test_oauth1_signs_search_query_but_not_json_body(emu):
    start = utc(FIRST_DAY, 10)
    response = search(emu, start, start + MINUTE)
    assert response.status_code == 200


def test_oauth2_tokens(make_emu):
    clock = FakeClock()
    emu = make_emu(clock=clock, token_ttl_seconds=3600)
    creds = emu.credentials
    token_url = f"{emu.csds_url}/sentinel/api/v2/account/{ACCOUNT}/app/token"
    form = {"client_id": creds["client_id"], "client_secret": creds["client_secret"], "grant_type": "client_credentials"}
    response = requests.post(token_url, data=form, timeout=30)
    assert response.status_code == 200
    answer = response.json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600
    token = answer["access_token"]
    assert token.count(".") == 2 and emu.issued_tokens() == [token]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(config_url(emu, "users", "v=6.0"), headers=bearer, timeout=30).status_code == 200
    start = utc(FIRST_DAY, 10)
    body = {"start": {"from": to_ms(start), "to": to_ms(start + MINUTE)}}
    assert requests.post(search_url(emu), json=body, headers=bearer, timeout=30).status_code == 200
    clock.now += 3599
    assert requests.get(config_url(emu, "skills", "v=4.0"), headers=bearer, timeout=30).status_code == 200
    clock.now += 1
    assert requests.get(config_url(emu, "skills", "v=4.0"), headers=bearer, timeout=30).status_code == 401
    assert requests.post(token_url, data={**form, "client_secret": "wrong"}, timeout=30).status_code == 401
    assert requests.post(token_url, data={**form, "grant_type": "password"}, timeout=30).status_code == 400
    assert requests.get(config_url(emu, "skills", "v=4.0"), headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 401
    stats = emu.stats.snapshot()
    assert stats["tokens_issued"] == 1 and stats["bearer_rejected"] == 2


def test_unknown_account_and_path(emu):
    response = requests.post(search_url(emu, account="999"), json={}, auth=oauth1(emu), timeout=30)
    assert response.status_code == 401 and "message" in response.json()
    response = requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/nothing/here", auth=oauth1(emu), timeout=30)
    assert response.status_code == 404 and "message" in response.json()


def test_env_and_credentials(emu):
    env = emu.env()
    assert set(env) == {"LIVEPERSON_ACCOUNT_ID", "LIVEPERSON_CSDS_URL", "LIVEPERSON_APP_KEY", "LIVEPERSON_APP_SECRET",
                        "LIVEPERSON_ACCESS_TOKEN", "LIVEPERSON_ACCESS_TOKEN_SECRET"}
    assert env["LIVEPERSON_CSDS_URL"] == emu.csds_url and env["LIVEPERSON_ACCOUNT_ID"] == ACCOUNT
    assert set(emu.env(oauth2=True)) == {"LIVEPERSON_ACCOUNT_ID", "LIVEPERSON_CSDS_URL",
                                         "LIVEPERSON_CLIENT_ID", "LIVEPERSON_CLIENT_SECRET"}
    assert all(len(v) >= 32 for k, v in emu.credentials.items() if k != "account_id")


# Faults

WINDOW = utc_window(FIRST_DAY)  # the first day


def test_fault_429_with_and_without_retry_after(emu):
    emu.set_faults(Faults(rate_429_retry_after=1.0))
    response = search(emu, *WINDOW)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1" and "message" in response.json()
    emu.set_faults(Faults(rate_429=1.0))
    response = requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=30)
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert emu.stats["faults"] == {"429_retry_after": 1, "429": 1}


def test_fault_503_is_html_and_spares_csds_and_token(emu):
    emu.set_faults(Faults(rate_5xx=1.0))
    response = search(emu, *WINDOW)
    assert response.status_code == 503 and "text/html" in response.headers["Content-Type"]
    assert "Service Unavailable" in response.text
    emu.set_faults(Faults(always_503=True))
    assert requests.get(config_url(emu, "skills", "v=4.0"), auth=oauth1(emu), timeout=30).status_code == 503
    assert requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/service/baseURI.json?version=1.0", timeout=30).status_code == 200
    creds = emu.credentials
    token = requests.post(f"{emu.csds_url}/sentinel/api/v2/account/{ACCOUNT}/app/token",
                          data={"client_id": creds["client_id"], "client_secret": creds["client_secret"],
                                "grant_type": "client_credentials"}, timeout=30)
    assert token.status_code == 200
    assert emu.stats["faults"] == {"5xx": 1, "always_503": 1}


def test_fault_unavailable_day_fails_every_search_touching_it_until_replaced(emu):
    second, third = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=2)
    emu.set_faults(Faults(unavailable_days={second}))
    for window in (utc_window(second), utc_window(FIRST_DAY, second), (utc(second, 23, 59), utc(third, 1))):
        response = search(emu, *window)
        assert response.status_code == 503 and "Service Unavailable" in response.text, window
    # Bounds are inclusive: a window ending the millisecond before the day, or starting as it ends, answers.
    assert search(emu, utc(FIRST_DAY), utc(second) - MS).status_code == 200
    assert search(emu, utc(third), utc(third, 23)).status_code == 200
    assert requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=30).status_code == 200
    assert emu.stats["faults"] == {"503_unavailable_day": 3}
    emu.set_faults(Faults())
    response = search(emu, *utc_window(second))
    assert response.status_code == 200
    assert sorted(ids_of(response)) == sorted(in_rounded_window(emu, *utc_window(second))) != []


def test_fault_partial_drops_records_and_flags_the_page(emu):
    emu.set_faults(Faults(rate_partial=1.0))
    response = search(emu, *WINDOW, "limit=20&source=x").json()
    assert response["_metadata"]["shardsStatusResult"]["partialResult"] is True
    assert 0 < len(response["conversationHistoryRecords"]) < 20
    assert response["_metadata"]["count"] == len(emu.conversation_ids(WINDOW[0], WINDOW[1] + MS))
    # Partial is a search-only fault.
    assert requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=30).status_code == 200
    assert emu.stats["faults"] == {"partial": 1}


def test_fault_drop_closes_the_connection(emu):
    emu.set_faults(Faults(rate_drop=1.0))
    with pytest.raises(requests.ConnectionError):
        search(emu, *WINDOW)
    assert emu.stats["faults"] == {"drop": 1}


def test_fault_slow_exceeds_client_timeout_but_answers_correctly(emu):
    emu.set_faults(Faults(rate_slow=1.0, slow_seconds=30))
    with pytest.raises(requests.Timeout):
        requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=0.3)
    emu.set_faults(Faults(rate_slow=1.0, slow_seconds=0.05))
    response = requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=10)
    assert response.status_code == 200 and response.json() == emu.users(include_deleted=False)
    assert emu.stats["faults"] == {"slow": 2}


def test_fault_truncated_body(emu):
    for faults, kind in ((Faults(rate_truncated=1.0), "truncated"), (Faults(always_truncated=True), "always_truncated")):
        emu.set_faults(faults)
        response = search(emu, *WINDOW)
        assert response.status_code == 200
        with pytest.raises(ValueError):
            json.loads(response.content)
        assert emu.stats["faults"][kind] == 1


def test_fault_next_link_that_loops(emu):
    emu.set_faults(Faults(next_loop=True))
    response = search(emu, *WINDOW, "offset=100&limit=100&v=2&source=x").json()
    assert response["conversationHistoryRecords"] == []
    assert parse_qs(urlsplit(response["_metadata"]["next"]["href"]).query)["offset"] == ["0"]


def test_fault_count_inflation(emu):
    emu.set_faults(Faults(count_inflation=7))
    true_count = len(emu.conversation_ids(WINDOW[0], WINDOW[1] + MS))
    response = search(emu, *WINDOW, "limit=100&source=x").json()
    assert response["_metadata"]["count"] == true_count + 7
    assert len(response["conversationHistoryRecords"]) == true_count and "next" not in response["_metadata"]


def test_fault_foreign_hosts(emu):
    emu.set_faults(Faults(next_host="evil.example.com", csds_host_override="attacker.example.net"))
    response = search(emu, *WINDOW, "limit=5&source=x").json()
    assert urlsplit(response["_metadata"]["next"]["href"]).netloc == "evil.example.com"
    csds = requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/service/msgHist/baseURI.json?version=1.0", timeout=30).json()
    assert csds["baseURI"] == "attacker.example.net"
    assert emu.stats["faults"] == {"next_host": 1, "csds_host_override": 1}


def test_fault_rates_are_deterministic_and_mixed(make_emu):
    outcomes = []
    for _ in range(2):
        emu = make_emu(faults=Faults(rate_429=0.3, rate_5xx=0.2))
        url = config_url(emu, "agentGroups", "v=4.0")
        outcomes.append([requests.get(url, auth=oauth1(emu), timeout=30).status_code for _ in range(30)])
    assert outcomes[0] == outcomes[1] and {200, 429, 503} == set(outcomes[0])


def test_requests_are_counted_by_endpoint(emu):
    requests.get(f"{emu.csds_url}/api/account/{ACCOUNT}/service/msgHist/baseURI.json?version=1.0", timeout=30)
    requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=30)
    search(emu, *WINDOW)
    search(emu, *WINDOW)
    assert emu.stats["requests"] == {"csds": 1, "users": 1, "search": 2}


def test_held_requests_stay_in_flight_until_the_hold_ends_and_stats_reset(emu):
    held = f"{emu.csds_url}/api/account/{ACCOUNT}/service/msgHist/baseURI.json?version=1.0"
    answers = []
    with emu.holding("csds"):
        threads = [threading.Thread(target=lambda: answers.append(requests.get(held, timeout=30).status_code))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        wait_until(lambda: emu.stats["requests"].get("csds", 0) == 3, 30, "three held requests")
        assert requests.get(config_url(emu, "users", "v=6.0"), auth=oauth1(emu), timeout=30).ok  # other endpoints answer
        assert answers == [] and emu.stats["max_in_flight"] == 4
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200, 200, 200]
    emu.stats.reset()
    assert emu.stats["requests"] == {} and emu.stats["max_in_flight"] == 0


# CLI


def test_cli_prints_exports_writes_env_file_and_stops_on_sigterm(tmp_path):
    env_file = tmp_path / "emulator.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "liveperson_emulator", "--port", "0", "--seed", "3",
         "--days", "2026-11-01:2026-11-03", "--env-file", str(env_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not env_file.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "emulator did not write its env file"
            time.sleep(0.02)
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", env_file.read_text(), re.MULTILINE))
        assert {"LIVEPERSON_CSDS_URL", "LIVEPERSON_ACCOUNT_ID", "LIVEPERSON_APP_KEY", "LIVEPERSON_APP_SECRET",
                "LIVEPERSON_ACCESS_TOKEN", "LIVEPERSON_ACCESS_TOKEN_SECRET", "LIVEPERSON_CLIENT_ID",
                "LIVEPERSON_CLIENT_SECRET"} == set(exports)
        csds = exports["LIVEPERSON_CSDS_URL"]
        response = requests.get(f"{csds}/api/account/{exports['LIVEPERSON_ACCOUNT_ID']}/service/msgHist/baseURI.json?version=1.0", timeout=30)
        assert response.status_code == 200 and response.json()["baseURI"] == csds.removeprefix("http://")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        stdout = process.stdout.read()
        assert stdout.startswith(f"# LivePerson emulator listening on {csds} (account 13350576, seed 3, 2026-11-01..2026-11-03)")
        assert stdout == env_file.read_text()
        assert not [p for p in os.listdir(tmp_path) if p != env_file.name]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
