"""The emulator's conversation parts over real HTTP: every part the client asks for, each alone and exactly shaped."""

from datetime import datetime, timedelta, timezone

import pytest
import requests
from requests_oauthlib import OAuth1

from liveperson_dagster.liveperson.api_constants import ALL_CONTENT_PARTS as CLIENT_PARTS

# The conftest `emulator` serves 2026-11-01..2026-11-10; the last two days hold most OPEN conversations.
FIRST = datetime(2026, 11, 1, tzinfo=timezone.utc)
LAST_END = datetime(2026, 11, 10, 23, 50, tzinfo=timezone.utc)
RECENT = datetime(2026, 11, 9, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

NEW_PARTS = ("agentParticipantsLeave", "agentParticipantsActive", "dialogs", "intents",
             "latestAgentSurvey", "previouslySubmittedAgentSurveys")
DEFAULT_PARTS = {"messageRecords", "agentParticipants", "consumerParticipants", "transfers", "interactions",
                 "messageScores", "conversationSurveys", "summary", "sdes"}
PARTICIPANT_KEYS = {"agentFullName", "agentNickname", "agentLoginName", "agentDeleted", "agentId", "agentPid",
                    "userType", "userTypeName", "role", "agentGroupName", "agentGroupId", "time", "timeL",
                    "permission", "dialogId", "contextData"}
DIALOG_KEYS = {"dialogId", "status", "dialogType", "dialogChannelType", "startTime", "startTimeL", "endTime",
               "endTimeL", "skillId"}
INTENT_KEYS = {"selectedClassification", "allClassifications", "messageId"}
CLASSIFICATION_KEYS = {"intentName", "intentLabel", "confidenceScore", "versions"}
SURVEY_KEYS = {"surveyStatus", "statusReason", "dialogId", "surveyId", "acSurveyId", "acSurveyName",
               "acSurveyRevision", "surveySkillId", "surveySkillName", "assignedAgentId", "assignedAgentNickName",
               "assignedAgentName", "lastUpdateTime", "submittedAnswers"}
PERFORMER_KEYS = {"performedByAgentId", "performedByAgentNickName", "performedByAgentName"}
QUESTION_KEYS = {"questionText", "questionId", "questionDefinition", "questionCategory", "answers"}


def signed(emulator) -> OAuth1:
    c = emulator.credentials
    return OAuth1(c["app_key"], client_secret=c["app_secret"],
                  resource_owner_key=c["access_token"], resource_owner_secret=c["access_token_secret"])


def search_all(emulator, parts=None, start: datetime = FIRST, end: datetime = LAST_END) -> list[dict]:
    """Every record of the window, following the `next` links; `parts` None sends no contentToRetrieve."""
    account = emulator.credentials["account_id"]
    url = (f"{emulator.csds_url}/messaging_history/api/account/{account}/conversations/search"
           "?offset=0&limit=100&v=2&sort=start:asc&source=EmulatorPartsTest")
    body = {"start": {"from": int((start - EPOCH).total_seconds() * 1000),
                      "to": int((end - EPOCH).total_seconds() * 1000)}}
    if parts is not None:
        body["contentToRetrieve"] = list(parts)
    records = []
    while url:
        response = requests.post(url, json=body, auth=signed(emulator), timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        records.extend(page["conversationHistoryRecords"])
        url = page["_metadata"].get("next", {}).get("href")
    assert records
    return records


def test_the_clients_full_list_of_parts_is_known_to_the_emulator(emulator):
    # The drift guard: the product asks for every part it knows; the emulator must answer each of them.
    records = search_all(emulator, CLIENT_PARTS, RECENT)
    missing = set(CLIENT_PARTS) - set(records[0])
    assert not missing, f"the emulator ignores parts the client asks for: {sorted(missing)}"
    assert all(set(record) == {"info"} | set(CLIENT_PARTS) for record in records)


@pytest.mark.parametrize("part", NEW_PARTS)
def test_each_new_part_comes_alone_when_asked_for(emulator, part):
    records = search_all(emulator, [part], RECENT)
    assert all(set(record) == {"info", part} for record in records)


def test_unknown_and_unproduced_part_names_are_ignored(emulator):
    records = search_all(emulator, ["dialogs", "noSuchPart", "skillChanges", "uniqueIntents"], RECENT)
    assert all(set(record) == {"info", "dialogs"} for record in records)


def test_the_default_parts_are_unchanged(emulator):
    records = search_all(emulator, None, RECENT)
    assert all(set(record) == {"info"} | DEFAULT_PARTS for record in records)


def test_active_and_leaving_agents(emulator):
    records = search_all(emulator, ["agentParticipants", "agentParticipantsActive", "agentParticipantsLeave",
                                    "transfers"])
    opened = [r for r in records if r["info"]["status"] == "OPEN" and r["agentParticipants"]]
    closed = [r for r in records if r["info"]["status"] == "CLOSE" and r["agentParticipants"]]
    assert opened and closed
    for record in opened:
        # The agent still in an OPEN conversation is its last assigned agent.
        assert [p["agentId"] for p in record["agentParticipantsActive"]] == [record["info"]["latestAgentId"]]
        assert record["agentParticipantsActive"] == record["agentParticipants"][-1:]
    assert all(record["agentParticipantsActive"] == [] for record in closed)
    assert all(r["agentParticipantsActive"] == [] for r in records if not r["agentParticipants"])
    left = [r for r in records if r["agentParticipantsLeave"]]
    assert left
    for record in left:
        # Agents transferred away left at the transfer; whoever leaves was a participant.
        participants = {p["agentId"]: p for p in record["agentParticipants"]}
        (transfer,) = record["transfers"]
        for leave in record["agentParticipantsLeave"]:
            assert set(leave) == PARTICIPANT_KEYS
            assert leave["agentId"] == transfer["sourceAgentId"] and leave["agentId"] in participants
            assert (leave["timeL"], leave["time"]) == (transfer["timeL"], transfer["time"])
            assert {k: v for k, v in leave.items() if k not in ("time", "timeL")} == {
                k: v for k, v in participants[leave["agentId"]].items() if k not in ("time", "timeL")}
    for record in records:
        assert all(set(p) == PARTICIPANT_KEYS for p in record["agentParticipantsActive"])
        # Every participant but the last left; the last is active while the conversation is OPEN.
        ids = [p["agentId"] for p in record["agentParticipants"]]
        assert [p["agentId"] for p in record["agentParticipantsLeave"]] == ids[:-1]
        if record["info"]["status"] == "OPEN":
            assert [p["agentId"] for p in record["agentParticipantsActive"]] == ids[-1:]


def test_dialogs(emulator):
    for record in search_all(emulator, ["dialogs"]):
        info = record["info"]
        (dialog,) = record["dialogs"]
        expected = set(DIALOG_KEYS)
        if info["status"] == "CLOSE":
            expected |= {"closeReason", "closeReasonDescription"}
            assert (dialog["closeReason"], dialog["closeReasonDescription"]) == (info["closeReason"],
                                                                                 info["closeReasonDescription"])
        if dialog["skillId"] != -1:
            expected.add("skillName")
            assert dialog["skillName"] == info["latestSkillName"]
        assert set(dialog) == expected
        assert dialog["dialogId"] == info["conversationId"]  # the main dialog's id is the conversation's
        assert (dialog["dialogType"], dialog["dialogChannelType"]) == ("MAIN", "MESSAGING")
        assert dialog["status"] == info["status"] and dialog["skillId"] == info["latestSkillId"]
        assert (dialog["startTime"], dialog["startTimeL"]) == (info["startTime"], info["startTimeL"])
        assert (dialog["endTime"], dialog["endTimeL"]) == (info["endTime"], info["endTimeL"])


def test_intents_only_when_present(emulator):
    records = search_all(emulator, ["intents", "messageRecords"])
    with_intents = [r for r in records if r["intents"]]
    assert with_intents and len(with_intents) < len(records)
    for record in with_intents:
        consumer_messages = {m["messageId"] for m in record["messageRecords"] if m["sentBy"] == "Consumer"}
        for intent in record["intents"]:
            assert set(intent) == INTENT_KEYS and intent["messageId"] in consumer_messages
            classifications = [intent["selectedClassification"], *intent["allClassifications"]]
            assert all(set(c) == CLASSIFICATION_KEYS for c in classifications)
            assert all(set(v) == {"modelName", "modelVersion"} for c in classifications for v in c["versions"])
            assert intent["selectedClassification"] == intent["allClassifications"][0]
            scores = [c["confidenceScore"] for c in intent["allClassifications"]]
            assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_agent_surveys(emulator):
    records = search_all(emulator, ["latestAgentSurvey", "previouslySubmittedAgentSurveys"])
    surveyed = [r for r in records if r["latestAgentSurvey"] is not None]
    assert surveyed and len(surveyed) < len(records)
    assert all(r["previouslySubmittedAgentSurveys"] == [] for r in records if r["latestAgentSurvey"] is None)
    statuses = set()
    for record in surveyed:
        info, latest = record["info"], record["latestAgentSurvey"]
        statuses.add(latest["surveyStatus"])
        performed = latest["surveyStatus"] in ("SUBMITTED", "DISMISSED")
        assert set(latest) == SURVEY_KEYS | (PERFORMER_KEYS if performed else set())
        assert (latest["surveyStatus"] == "OPEN") == (info["status"] == "OPEN")
        assert latest["dialogId"] == info["conversationId"]
        assert latest["assignedAgentId"] == info["latestAgentId"] and latest["surveySkillId"] == info["latestSkillId"]
        answered = latest["submittedAnswers"]
        assert bool(answered) == (latest["surveyStatus"] == "SUBMITTED")
        assert all(set(q) == QUESTION_KEYS and q["answers"] for q in answered)
        assert all(set(a) == {"answer", "answerId"} for q in answered for a in q["answers"])
        for earlier in record["previouslySubmittedAgentSurveys"]:
            assert set(earlier) == SURVEY_KEYS | PERFORMER_KEYS and earlier["surveyStatus"] == "SUBMITTED"
            assert earlier["surveyId"] == latest["surveyId"] and earlier["lastUpdateTime"] < latest["lastUpdateTime"]
    assert {"OPEN", "SUBMITTED", "DISMISSED", "CLOSED"} <= statuses
    assert any(r["previouslySubmittedAgentSurveys"] for r in surveyed)


def test_the_python_api_and_http_agree_on_the_new_parts(emulator):
    through = LAST_END + timedelta(milliseconds=1)  # the search includes its upper bound
    full = {r["info"]["conversationId"]: r for r in emulator.conversations(RECENT, through)}
    for record in search_all(emulator, NEW_PARTS, RECENT, LAST_END):
        expected = full[record["info"]["conversationId"]]
        assert {part: record[part] for part in NEW_PARTS} == {part: expected[part] for part in NEW_PARTS}
