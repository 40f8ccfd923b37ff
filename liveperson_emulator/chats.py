"""Engagement History API (service engHistDomain): ended legacy chats, generated lazily one UTC day at a time.

From LivePerson's docs (Engagement History API, "Methods", data-engagement-history-methods.html):
`POST /interaction_history/api/account/{a}/interactions/search?offset&limit&sort`, body `start {from, to}` epoch
ms, required, "rounded to the last/next round 10 minutes respectively", maximum one month; `limit` default 50,
max 100; sort e.g. `start:asc`, `start:des`. Answer `{"_metadata": {"count", "self", "next", "last",
"shardsStatusResult": {"failureShards", "totalShards", "partialResult"}}, "interactionHistoryRecords": [...]}`;
a record: `info` (engagementId = account id + chat id, startTime "yyyy-MM-dd hh:mm:ss.SSS+0000", startTimeL,
endTime(L), duration in SECONDS, visitorId, visitorName, agentId (a string), agentNickName, agentLoginName,
agentFullName, skillId, skillName, agentGroupId, agentGroupName, channel, startReason(Desc),
endReason(Desc), mcs, alertedMCS, chatMCS, chatRequestedTime(L), chatStartUrl, chatStartPage, isPartial,
ended (always true: "The API returns only ended chats"), ...), `transcript.lines` (time, timeL, controlType,
text, by, source visitor/agent/system, subType REGULAR/ONLY_TO_REP, textType, cannedAnswerType, agentId,
lineSeq as text), `lineScores`, `surveys` {preChat, postChat}, `campaign` (lobId sometimes quoted, as in the
docs' first example), `visitorInfo`, `coBrowseSessions`, `sdes`.

Decided by the emulator: bounds are inclusive after the outward rounding, as for the conversation search;
"one month" is a calendar month in UTC; `source` is required as for the conversation search; records are
sorted by (startTimeL, engagementId); the filters skillIds, agentIds and engagementId are honoured, the others
(keyword, duration, mcs, ...) are accepted and ignored.
"""

import random
from dataclasses import dataclass
from datetime import date

from .catalogs import Catalogs
from .data import (_BROWSERS, _CONSUMER_NAMES, _CONSUMER_TEXTS, _DEVICES, _LOCATIONS, _OPERATING_SYSTEMS, Directory,
                   lp_time, pick_agent)
from .days import AWKWARD_STARTS_MS, DAY_MS, DailyHeaders, day_start_ms, start_times
from .http_types import Request
from .search import PagedQuery, list_filter, parse_paged_search
from .times import plus_one_month_ms

_SORTS = {"start:asc": False, "start:desc": True, "start:des": True}
_FIRST_CHAT_NUMBER = 4_294_967_296  # chat ids are above 2**32 in the docs' examples

_AGENT_CHAT_TEXTS = (
    "Hi! You're chatting with {name}. How can I help?",
    "Let me check that for you…",
    "<b>Done</b> – your order is on its way 🚚",
    "少々お待ちください。",
    "Could you confirm the e-mail on the account?",
    "Voici le lien : https://example.com/help?q=facture&lang=fr",
)
_START_REASONS = (("0", "Visitor request"), ("1", "Transfer"), ("6", "Skill reassign"))
_END_REASONS = (("201", "Rep stopped chat"), ("210", "Visitor closed chat"), ("205", "Visitor disconnected"),
                ("208", "Visitor was no longer in chat"))
_PAGES = (("https://example.com/support", "Support – Example"), ("https://example.com/checkout?step=2", "Checkout"),
          ("https://example.fr/aide", "Aide – Exemple"))


@dataclass(frozen=True, slots=True)
class ChatHeader:
    engagement_id: str
    start_ms: int
    duration_ms: int
    agent_id: int  # -1 = not routed to anyone
    skill_id: int  # -1 = unassigned
    agent_group_id: int  # -1 = unassigned

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.start_ms, self.engagement_id)


class ChatStore(DailyHeaders[ChatHeader]):
    """Chat headers per UTC day of start (generated lazily, cached); full records on demand."""

    KEY = "engagement_id"

    def __init__(self, account: str, seed: int, first_day: date, last_day: date, chats_per_day: int,
                 empty_days: tuple[date, ...], directory: Directory, catalogs: Catalogs):
        super().__init__(account, seed, first_day, last_day, empty_days)
        self._per_day = chats_per_day
        self._directory = directory
        self._usual_agents, self._rare_agents = directory.agents_for_conversations()
        self._all_skills = [s["id"] for s in directory.skills]
        self._lobs = catalogs.lob_ids()
        self._canned = [d["msg"] for item in catalogs.predefined_content for d in item["data"]
                        if d["lang"] == "en-US"]

    def all_headers(self) -> list[ChatHeader]:
        return self.headers_between(day_start_ms(self._first_day), day_start_ms(self._last_day) + DAY_MS - 1)

    def _generate_day(self, day: date) -> tuple[ChatHeader, ...]:
        if not self._serves(day) or self._per_day <= 0:
            return ()
        rng = self._rng("chats", day.isoformat())
        count = max(1, round(self._per_day * rng.uniform(0.75, 1.25)))
        starts = start_times(rng, day, count, min(count, len(AWKWARD_STARTS_MS) + 1))
        first_number = _FIRST_CHAT_NUMBER + (day - date(1970, 1, 1)).days * 1_000_000
        headers = [self._make_header(rng, f"{self._account}{first_number + index}", start)
                   for index, start in enumerate(starts)]
        return tuple(sorted(headers, key=lambda h: h.sort_key))

    def _make_header(self, rng: random.Random, engagement_id: str, start_ms: int) -> ChatHeader:
        if rng.random() < 0.85:
            duration = rng.randrange(40_000, 25 * 60_000)
        else:
            duration = rng.randrange(25 * 60_000, 2 * 3_600_000)
        agent_id = pick_agent(rng, self._usual_agents, self._rare_agents, 0.02, 0.08)
        facts = self._directory.user_by_id.get(agent_id)
        if rng.random() < 0.1 or not facts or not facts["skillIds"]:
            skill_id = -1 if rng.random() < 0.5 else rng.choice(self._all_skills)
        else:
            skill_id = rng.choice(facts["skillIds"])
        group_id = facts["groupId"] if facts else -1
        return ChatHeader(engagement_id, start_ms, duration, agent_id, skill_id, group_id)

    def record(self, header: ChatHeader) -> dict:
        rng = self._rng("chat", header.engagement_id)
        return _build_chat(self._account, self._directory, self._lobs, self._canned, header, rng)


def _build_chat(account: str, directory: Directory, lobs, canned, h: ChatHeader, rng: random.Random) -> dict:
    agent = directory.user_by_id.get(h.agent_id)
    skill = directory.skill_by_id.get(h.skill_id)
    group = directory.group_by_id.get(h.agent_group_id)
    end_ms = h.start_ms + h.duration_ms
    requested_ms = h.start_ms - rng.randrange(2_000, 90_000)
    first_name, _ = rng.choice(_CONSUMER_NAMES)
    visitor_id = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                         for _ in range(22))
    agent_name = agent["nickname"] if agent else "info"

    lines, scores = [], []

    def line(at, control, text, by, source, agent_id=0, sub_type="REGULAR", text_type="plain", canned_type=0):
        seq = len(lines) + 1
        lines.append({"time": lp_time(at), "timeL": at, "controlType": control, "text": text, "by": by,
                      "source": source, "subType": sub_type, "textType": text_type,
                      "cannedAnswerType": canned_type, "agentId": agent_id, "lineSeq": str(seq)})
        if source == "visitor":
            scores.append({"lineSeq": str(seq), "lineRawScore": rng.randint(-3, 3), "mcs": rng.randint(0, 100)})

    line(requested_ms + rng.randrange(100, 900), 4,
         "Thank you for choosing to chat with us.  An agent will be with you shortly.", "info", "system")
    if agent:
        line(h.start_ms, 3, f"You are now chatting with {agent['nickname']}.", "info", "system")
        times = sorted(rng.randrange(h.start_ms + 1, end_ms) for _ in range(rng.randint(2, 10)))
        for index, at in enumerate(times):
            if index % 2 == 0:
                line(at, 0, rng.choice(_CONSUMER_TEXTS), first_name, "visitor")
            elif canned and rng.random() < 0.25:
                line(at, 0, rng.choice(canned), agent_name, "agent", agent["id"], canned_type=1)
            else:
                text = rng.choice(_AGENT_CHAT_TEXTS).format(name=agent["nickname"])
                note = rng.random() < 0.1
                line(at, 0, text, agent_name, "agent", agent["id"], sub_type="ONLY_TO_REP" if note else "REGULAR",
                     text_type="html" if "<b>" in text else "plain")
    else:
        line(h.start_ms + 1, 0, rng.choice(_CONSUMER_TEXTS), first_name, "visitor")
    line(end_ms, 5, "Thank you for chatting with us.", "info", "system")

    chat_mcs = rng.randint(0, 100)
    alerted = 1 if chat_mcs > 66 else (-1 if chat_mcs < 33 else 0)
    start_reason, start_description = rng.choice(_START_REASONS)
    end_reason, end_description = rng.choice(_END_REASONS)
    url, title = rng.choice(_PAGES)
    pre_chat = rng.random() < 0.4
    post_chat = bool(agent) and rng.random() < 0.3
    info = {
        "startTime": lp_time(h.start_ms),
        "startTimeL": h.start_ms,
        "endTime": lp_time(end_ms),
        "endTimeL": end_ms,
        "duration": h.duration_ms // 1000,
        "visitorId": visitor_id,
        "visitorName": first_name,
        "engagementId": h.engagement_id,
        "isInteractive": True,
        "accountId": account,
        "agentId": str(h.agent_id),
        "agentNickName": agent["nickname"] if agent else "",
        "agentLoginName": agent["loginName"] if agent else "",
        "agentFullName": agent["fullName"] if agent else "",
        "agentDeleted": agent["deleted"] if agent else False,
        "skillId": h.skill_id,
        "skillName": skill["name"] if skill else "Unassigned",
        "isAgentSurvey": False,
        "isPostChatSurvey": post_chat,
        "isPreChatSurvey": pre_chat,
        "channel": 1,
        "startReason": start_reason,
        "startReasonDesc": start_description,
        "endReason": end_reason,
        "endReasonDesc": end_description,
        "engagementSet": 0,
        "engagementSequence": 0,
        "agentGroupId": h.agent_group_id,
        "agentGroupName": group["name"] if group else "NA",
        "mcs": alerted,
        "alertedMCS": alerted,
        "chatMCS": chat_mcs,
        "chatRequestedTime": lp_time(requested_ms),
        "chatRequestedTimeL": requested_ms,
        "chatStartUrl": url,
        "chatStartPage": title,
        "isPartial": False,
        "ended": True,
        "interactive": True,
        "chatDataEnriched": rng.random() < 0.9,
    }
    surveys = {"preChat": [], "postChat": []}
    if pre_chat:
        surveys["preChat"].append({"scope": "Session", "source": "Pre-Chat", "displayName": "Name",
                                   "value": first_name, "values": [first_name], "name": "Pre-Chat Survey",
                                   "time": lp_time(requested_ms), "timeL": requested_ms, "questionID": 1,
                                   "surveyID": 195991})
    if post_chat:
        answer = rng.choice(("Yes", "No", "Très bien 👍"))
        surveys["postChat"].append({"scope": "Session", "source": "Exit", "displayName": "Will you recommend us?",
                                    "value": answer, "values": [answer], "name": "Post-chat Survey (All Channels)",
                                    "time": lp_time(end_ms + 8_000), "timeL": end_ms + 8_000, "questionID": 14,
                                    "surveyID": 222726})
    lob_id, lob_name = rng.choice(lobs) if lobs and rng.random() < 0.5 else (-1, "NA")
    campaign = {
        "campaignEngagementId": str(rng.randrange(10**9, 10**10)),
        "campaignEngagementName": "Sticky chat button",
        "campaignId": str(rng.randrange(10**9, 10**10)),
        "campaignName": "Live Chat on your site",
        "goalId": str(rng.randrange(10**9, 10**10)),
        "goalName": "Interact with visitors",
        "visitorBehaviorId": str(rng.randrange(10**9, 10**10)),
        "visitorBehaviorName": "Any behavior",
        "visitorProfileId": str(rng.randrange(10**9, 10**10)),
        "visitorProfileName": "All visitors",
        "lobId": str(lob_id) if rng.random() < 0.3 else lob_id,
        "lobName": lob_name,
    }
    country, country_code, city = rng.choice(_LOCATIONS)
    visitor_info = {"country": country, "countryCode": country_code, "state": "", "city": city, "isp": "",
                    "org": "", "device": rng.choice(_DEVICES), "ipAddress": f"198.51.100.{rng.randint(1, 254)}",
                    "browser": rng.choice(_BROWSERS), "operatingSystem": rng.choice(_OPERATING_SYSTEMS)}
    events = []
    if rng.random() < 0.3:
        stamp = str(h.start_ms - rng.randrange(1_000, 600_000))
        events.append({"purchase": {"total": f"{rng.randint(5, 500)}.{rng.randint(0, 99):02d}", "currency": None,
                                    "serverTimeStamp": stamp,
                                    "cart": {"total": None, "serverTimeStamp": None, "products": [], "numItems": None},
                                    "orderId": f"A-{rng.randint(1000, 9999)}"},
                       "serverTimeStamp": stamp, "sdeType": "PURCHASE", "isAuthenticated": False})
    return {
        "info": info,
        "transcript": {"lines": lines},
        "lineScores": scores,
        "surveys": surveys,
        "campaign": campaign,
        "visitorInfo": visitor_info,
        "coBrowseSessions": {"coBrowseSessionsList": []},
        "sdes": {"events": events},
    }


# The HTTP method

@dataclass(frozen=True)
class ChatQuery(PagedQuery):
    skill_ids: frozenset[int] | None
    agent_ids: frozenset[str] | None
    engagement_id: str | None


def parse_chat_search(request: Request) -> ChatQuery:
    paging, body = parse_paged_search(request, _SORTS, plus_one_month_ms, "one month")
    engagement_id = body.get("engagementId")
    return ChatQuery(
        **paging, skill_ids=list_filter(body, "skillIds", int),
        agent_ids=list_filter(body, "agentIds", lambda v: str(int(v))),
        engagement_id=None if engagement_id in (None, "") else str(engagement_id),
    )


def matching_chats(store: ChatStore, query: ChatQuery) -> list[ChatHeader]:
    if query.engagement_id is not None:  # "When used, all time limitations are ignored."
        candidates = [h for h in store.all_headers() if h.engagement_id == query.engagement_id]
    else:
        candidates = store.headers_between(*query.window)
    found = [h for h in candidates
             if (query.skill_ids is None or h.skill_id in query.skill_ids)
             and (query.agent_ids is None or str(h.agent_id) in query.agent_ids)]
    if query.descending:
        found.reverse()
    return found
