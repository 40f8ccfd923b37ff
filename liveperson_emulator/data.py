"""Deterministic LivePerson-shaped data: credentials, users, skills, agent groups, conversations.

Everything derives from (account, seed). Conversations are generated one UTC day at a time from
a generator seeded by (account, seed, day), so any day can be produced alone and in any order;
a day first yields light headers (what search filters, sorts and counts on) and a full record is
expanded from a generator seeded by its conversation id only when a page is served.
"""

import base64
import copy
import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .business_hours import BusinessHours
from .days import AWKWARD_STARTS_MS, DAY_MS, DailyHeaders, start_times

# Every conversation part the emulator can produce, in the order a record lists them. This is the emulator's
# own reading of LivePerson's Messaging Interactions docs (Conversations method, developers.liveperson.com/
# messaging-interactions-api-methods-conversations.html), kept apart from the client's list on purpose. The
# docs also name `skillChanges` and `uniqueIntents`, which the emulator does not produce (a search ignores them).
# The last six were added later and go last, so a record of the first fifteen is byte for byte what it was.
ALL_CONTENT_PARTS = (
    "messageRecords",
    "agentParticipants",
    "consumerParticipants",
    "transfers",
    "interactions",
    "messageScores",
    "messageStatuses",
    "conversationSurveys",
    "coBrowseSessions",
    "summary",
    "sdes",
    "unAuthSdes",
    "monitoring",
    "responseTime",
    "campaign",
    "agentParticipantsLeave",
    "agentParticipantsActive",
    "dialogs",
    "intents",
    "latestAgentSurvey",
    "previouslySubmittedAgentSurveys",
)
# What a search returns (besides `info`) when the body has no contentToRetrieve.
DEFAULT_CONTENT_PARTS = (
    "messageRecords",
    "agentParticipants",
    "consumerParticipants",
    "transfers",
    "interactions",
    "messageScores",
    "conversationSurveys",
    "summary",
    "sdes",
)


def datetime_to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


def lp_time(ms: int) -> str:
    """LivePerson's conversation time format: 2016-08-29 14:30:24.565+0000."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)  # much cheaper than datetime formatting, which dominated page builds
    return "%04d-%02d-%02d %02d:%02d:%02d.%03d+0000" % (
        t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, millis)


def ac_time(moment: datetime) -> str:
    """Account-configuration format: YYYY-MM-DD hh:mm:ss."""
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hex(rng: random.Random, length: int) -> str:
    return rng.randbytes(length // 2).hex()


@dataclass(frozen=True)
class Credentials:
    account_id: str
    app_key: str
    app_secret: str
    access_token: str
    access_token_secret: str
    client_id: str
    client_secret: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


def make_credentials(account: str, seed: int) -> Credentials:
    rng = random.Random(f"lp-emulator/credentials/{account}/{seed}")
    return Credentials(
        account_id=account,
        app_key=_hex(rng, 32),
        app_secret=_hex(rng, 32),
        access_token=_hex(rng, 32),
        access_token_secret=_hex(rng, 32),
        client_id=_uuid(rng),
        client_secret=_hex(rng, 48),
    )


@dataclass(frozen=True, slots=True)
class ConversationHeader:
    conversation_id: str
    start_ms: int
    status: str  # OPEN or CLOSE
    duration_ms: int
    agent_id: int  # -1 = never assigned
    skill_id: int  # -1 = unassigned
    agent_group_id: int  # -1 = unassigned

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.start_ms, self.conversation_id)


# fullName, nickname, loginName, email local part
_HUMAN_AGENTS = (
    ("Zoë Ångström", "Zoë", "zoe.angstrom"),
    ("渡辺 健太", "ケンタ", "kenta.watanabe"),
    ("María José Núñez", "Majo 🌮", "mj.nunez"),
    ("Олег Петров", "Олег", "oleg.petrov"),
    ("Aiyana Smith 🌻", "Aiyana", "aiyana.smith"),
    ("Søren Kierkegaard-Holm", "Søren", "soren.holm"),
    ("李小龙", "小龙", "xiaolong.li"),
    ("فاطمة الزهراء", "Fatima", "fatima.alzahra"),
    ("Chloé Dubois", "Chloé", "chloe.dubois"),
    ("Kwame Mensah", "Kwame", "kwame.mensah"),
    ("Seán O'Brien", "Seán", "sean.obrien"),
    ("Łukasz Wiśniewski", "Łukasz", "lukasz.wisniewski"),
    ("Ngozi Okafor", "Ngozi", "ngozi.okafor"),
)
_BOT = ("Concierge Bot 🤖", "Concierge", "concierge.bot")
_API_USER = ("LivePerson Dagster Export", "export", "lp-dagster-export")

# name, description, parent index (None = root), deleted
_AGENT_GROUPS = (
    ("Main Group", "Root of the account's group tree", None, False),
    ("Tier 1 – Support", "First line", 0, False),
    ("Équipe Paris 🇫🇷", "Support francophone", 0, False),
    ("東京チーム", "Tokyo team", 1, False),
    ("Legacy Night Shift", "Disbanded", 0, True),
)

# name, description, deleted
_SKILLS = (
    ("Billing", "Invoices, refunds and payment plans", False),
    ("Technical Support", "Connectivity & devices", False),
    ("Ventas — España", "Ventas en español", False),
    ("Réclamations", "Plaintes et litiges", False),
    ("技术支持", "中文技术支持", False),
    ("VIP 💎", "High-value customers", False),
    ("Returns & Exchanges", "Returns, \"exchanges\" and repairs", False),
    ("Legacy Chat", "Retired chat queue", True),
)

_CONSUMER_NAMES = (
    ("Ana", "Souza"), ("Jörg", "Müller"), ("Yuki", "Tanaka"), ("Amara", "Diallo"), ("Liam", "Nguyễn"),
    ("Ivana", "Horváth"), ("Mateo", "García"), ("Siobhán", "Kelly"), ("Аня", "Смирнова"), ("Noa", "Cohen"),
)

_CONSUMER_TEXTS = (
    "Bonjour, j'ai un problème avec ma facture 🧾",
    "こんにちは！注文の状況を教えてください。",
    "¿Puedo cambiar la dirección de envío?",
    "My router keeps dropping the connection 😩",
    "Ок, спасибо",
    "شكرا جزيلا",
    "Is the 👨‍👩‍👧‍👦 family plan still available?",
    "He said \"it's fine\"\nbut it isn't.",
    "Danke schön 👍",
    "refund pls!!! order #A-1002 \\ tracking 'none'",
    "我的账户被锁定了",
    "Thanks!! 🙏🏽",
)
_AGENT_TEXTS = (
    "Hi, thanks for reaching out! How can I help? 😊",
    "Let me check that for you…",
    "Voici le lien : https://example.com/help?q=facture&lang=fr",
    "少々お待ちください。",
    "I've issued the refund; it takes 3–5 business days.",
    "¡Listo! Tu dirección quedó actualizada ✅",
    "Could you confirm the e-mail on the account?",
    "Is there anything else I can help with?",
)
_SUMMARIES = (
    "Customer asked about an invoice; agent explained the charges.",
    "Shipping address changed; customer satisfied ✅",
    "Router troubleshooting, escalated to Tier 2.",
    "Remboursement accordé pour la commande A-1002.",
    "",
)
_CLOSE_REASONS = (("AGENT", "Agent"), ("CONSUMER", "Consumer"), ("SYSTEM", "Auto close"), ("TIMEOUT", "Idle timeout"))
_SOURCES = ("APP", "SHARK", "WEB", "FACEBOOK", "WHATSAPP", "SMS")
_DEVICES = ("DESKTOP", "SMARTPHONE", "TABLET", "NA")
_BROWSERS = ("Chrome 131.0", "Safari 18.1", "Firefox 133.0", "Edge 131.0", "Other")
_OPERATING_SYSTEMS = ("WINDOWS", "MAC_OSX", "IOS", "ANDROID", "LINUX")
_LOCATIONS = (("France", "FR", "Paris"), ("Japan", "JP", "東京"), ("Brazil", "BR", "São Paulo"),
              ("United States", "US", "New York"), ("Nepal", "NP", "Kathmandu"), ("Nigeria", "NG", "Lagos"))
# Intent taxonomy: (intentName, intentLabel); like LivePerson's, an intentName is a UUID.
_INTENTS = tuple(
    (str(uuid.uuid5(uuid.NAMESPACE_URL, f"lp-emulator/intent/{label}")), label)
    for label in ("ask about invoice", "change shipping address", "report connection problem",
                  "request refund", "unlock account", "ask about plan availability")
)
_INTENT_MODEL_VERSIONS = ({"modelName": "sic", "modelVersion": "1.0"},)
# The account's agent survey form: name, revision, and its two questions (text, definition, category).
_AGENT_SURVEY_NAME = "Wrap-up ✍️"
_AGENT_SURVEY_REVISION = 24
_AGENT_SURVEY_QUESTIONS = (
    ("Contact reason", "REGULAR_QUESTION", "FREE_TEXT"),
    ("Follow-up minutes", "REGULAR_QUESTION", "NUMBER"),
)
_AGENT_SURVEY_REASONS = ("Facture / invoice", "配送先の変更", "Router – reboot", "Refund ✅", "Cuenta bloqueada")


class Directory:
    """Users, skills and agent groups as the account-configuration API serves them."""

    def __init__(self, account: str, seed: int, first_day: date):
        rng = random.Random(f"lp-emulator/directory/{account}/{seed}")
        self._rng = rng
        self._latest_update = datetime.combine(first_day, datetime.min.time()) - timedelta(days=1)
        self.revisions = {name: rng.randrange(100, 5000) for name in ("users", "skills", "agentGroups")}
        self.agent_groups = self._make_agent_groups()
        self.skills = self._make_skills()
        self.users = self._make_users()
        # Typed views used by conversation generation (served dicts may quote numbers as strings).
        self.user_by_id = dict(self._user_facts)
        self.skill_by_id = {skill["id"]: skill for skill in self.skills}
        self.group_by_id = {group["id"]: group for group in self.agent_groups}
        # The account's agent survey form (its own generator, so the listings above do not change with it).
        form_rng = random.Random(f"lp-emulator/agent-survey/{account}/{seed}")
        self.agent_survey_form = {
            "acSurveyId": str(form_rng.randrange(3_500_000_000, 3_700_000_000)),
            "questionIds": [str(form_rng.randrange(1_560_000_000_000, 1_570_000_000_000)) for _ in range(2)],
        }

    def _updated(self) -> str:
        return ac_time(self._latest_update - timedelta(seconds=self._rng.randrange(1, 400 * 86_400)))

    def _ids(self, count: int, low: int, high: int) -> list[int]:
        return sorted(self._rng.sample(range(low, high), count))

    def _make_agent_groups(self) -> list[dict]:
        ids = self._ids(len(_AGENT_GROUPS), 1_000_000, 99_999_999)
        groups = []
        for group_id, (name, description, parent, deleted) in zip(ids, _AGENT_GROUPS):
            groups.append({
                "id": group_id,
                "name": name,
                "deleted": deleted,
                "parentGroupId": None if parent is None else ids[parent],
                "isEnabled": not deleted,
                "description": description,
                "dateUpdated": self._updated(),
            })
        return groups

    def _make_skills(self) -> list[dict]:
        ids = self._ids(len(_SKILLS), 1_000_000_000, 4_000_000_000)
        live_groups = [g["id"] for g in self.agent_groups if not g["deleted"]]
        skills = []
        for order, (skill_id, (name, description, deleted)) in enumerate(zip(ids, _SKILLS), start=1):
            routed = self._rng.sample(live_groups, self._rng.randint(1, 2))
            split = 100 // len(routed)
            skills.append({
                "id": skill_id,
                "name": name,
                "description": description,
                "deleted": deleted,
                "skillOrder": order,
                "maxWaitTime": self._rng.choice((60, 120, 300, 600)),
                "dateUpdated": self._updated(),
                "canTransfer": self._rng.random() < 0.8,
                "skillTransferList": self._rng.sample([i for i in ids if i != skill_id], self._rng.randint(0, 3)),
                "lobIds": [],
                "skillRoutingConfiguration": [
                    {"agentGroupId": group_id, "priority": priority, "splitPercentage": split + (100 % split if priority == 1 else 0)}
                    for priority, group_id in enumerate(routed, start=1)
                ],
                "wrapUpTime": self._rng.choice((0, 30, 60)),
                "slaDefaultResponseTime": self._rng.choice((60, 3600, 86400)),
            })
        return skills

    def _make_users(self) -> list[dict]:
        rng = self._rng
        people = [(p, 1, False) for p in _HUMAN_AGENTS] + [(_BOT, 2, False), (_API_USER, 1, True)]
        ids = self._ids(len(people), 1_000_000_000, 4_300_000_000)
        deleted = set(rng.sample(range(len(_HUMAN_AGENTS)), rng.choice((2, 3))))
        groups = self.agent_groups
        live_groups = [g["id"] for g in groups if not g["deleted"]]
        deleted_group = next(g["id"] for g in groups if g["deleted"])
        live_skills = [s["id"] for s in self.skills if not s["deleted"]]
        managers = set(rng.sample([i for i in range(len(_HUMAN_AGENTS)) if i not in deleted], 2))
        users, self._user_facts = [], {}
        for index, ((full_name, nickname, login), user_type, is_api) in enumerate(people):
            user_id = ids[index]
            is_deleted = index in deleted
            group_id = deleted_group if is_deleted and rng.random() < 0.5 else rng.choice(live_groups)
            skill_ids = [] if is_api else sorted(rng.sample(live_skills, rng.randint(1, 3)))
            assignment = {"agentGroupId": group_id, "assignmentDate": self._updated()}
            user = {
                "id": user_id,
                "pid": base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("="),
                "deleted": is_deleted,
                "loginName": login,
                "fullName": full_name,
                "nickname": nickname,
                "email": f"{login}@example.com",
                "isEnabled": not is_deleted,
                "skillIds": skill_ids,
                "profileIds": [rng.choice((3, 4, 5))] if not is_api else [1],
                "lobIds": [],
                "memberOf": assignment,
                "managerOf": (
                    [{"agentGroupId": g, "assignmentDate": self._updated()} for g in rng.sample(live_groups, 2)]
                    if index in managers else []
                ),
                "permissionGroups": ["4"] if is_api else (["2", "1"] if index in managers else ["1"]),
                "maxChats": rng.choice((2, 3, 4, 6)),
                "maxAsyncChats": rng.choice((5, 10, 20)),
                "dateUpdated": self._updated(),
                "isApiUser": is_api,
                "userTypeId": user_type,
            }
            self._user_facts[user_id] = {
                "id": user_id, "pid": user["pid"], "fullName": full_name, "nickname": nickname,
                "loginName": login, "deleted": is_deleted, "groupId": group_id, "skillIds": skill_ids,
                "userTypeId": user_type, "isApiUser": is_api,
            }
            # Like LivePerson's documented example, some users quote booleans and numbers as strings.
            if rng.random() < 0.4:
                for key in ("deleted", "isEnabled", "isApiUser"):
                    user[key] = "true" if user[key] else "false"
                for key in ("maxChats", "maxAsyncChats", "userTypeId"):
                    user[key] = str(user[key])
            users.append(user)
        return users

    def listing(self, kind: str, include_deleted: bool) -> list[dict]:
        """users, skills or agentGroups exactly as served (copies)."""
        items = {"users": self.users, "skills": self.skills, "agentGroups": self.agent_groups}[kind]
        return [copy.deepcopy(item) for item in items if include_deleted or item["deleted"] not in (True, "true")]

    def agents_for_conversations(self) -> tuple[list[int], list[int]]:
        """(current agents, rarely seen ones: deleted humans and the bot); the API user never chats."""
        usual, rare = [], []
        for user_id, facts in self.user_by_id.items():
            if facts["isApiUser"]:
                continue
            (rare if facts["deleted"] or facts["userTypeId"] == 2 else usual).append(user_id)
        return usual, rare


def pick_agent(rng: random.Random, usual: list[int], rare: list[int], nobody_below: float, rare_below: float) -> int:
    """One roll: nobody (-1) below `nobody_below`, a rarely seen agent below `rare_below` (when there is one),
    else a current one (the two lists of Directory.agents_for_conversations)."""
    roll = rng.random()
    if roll < nobody_below:
        return -1
    if roll < rare_below and rare:
        return rng.choice(rare)
    return rng.choice(usual)


class ConversationStore(DailyHeaders[ConversationHeader]):
    """Conversation headers per day (generated lazily, cached) and full records on demand."""

    KEY = "conversation_id"

    def __init__(self, account: str, seed: int, first_day: date, last_day: date,
                 conversations_per_day: int, empty_days: tuple[date, ...], directory: Directory):
        super().__init__(account, seed, first_day, last_day, empty_days)
        self._per_day = conversations_per_day
        self._directory = directory
        self._usual_agents, self._rare_agents = directory.agents_for_conversations()
        self._live_skills = [s["id"] for s in directory.skills if not s["deleted"]]
        self._all_skills = [s["id"] for s in directory.skills]

    def _generate_day(self, day: date) -> tuple[ConversationHeader, ...]:
        if not self._serves(day):
            return ()
        rng = self._rng("conversations", day.isoformat())
        count = round(self._per_day * rng.uniform(0.75, 1.25))
        starts = start_times(rng, day, count, min(count, len(AWKWARD_STARTS_MS) + max(3, count // 20)))
        recent = day >= self._last_day - timedelta(days=1)
        headers = [self._make_header(rng, start, recent) for start in starts]
        return tuple(sorted(headers, key=lambda h: h.sort_key))

    def _make_header(self, rng: random.Random, start_ms: int, recent: bool) -> ConversationHeader:
        conversation_id = _uuid(rng)
        is_open = rng.random() < (0.25 if recent else 0.03)
        roll = rng.random()
        if roll < 0.6:
            duration = rng.randrange(60_000, 30 * 60_000)
        elif roll < 0.9:
            duration = rng.randrange(30 * 60_000, DAY_MS)
        else:
            duration = rng.randrange(DAY_MS, 3 * DAY_MS)
        agent_id = pick_agent(rng, self._usual_agents, self._rare_agents, 0.03, 0.10)
        facts = self._directory.user_by_id.get(agent_id)
        roll = rng.random()
        if roll < 0.05:
            skill_id = -1
        elif roll < 0.10 or not facts or not facts["skillIds"]:
            skill_id = rng.choice(self._all_skills)  # sometimes a deleted skill
        else:
            skill_id = rng.choice(facts["skillIds"])
        group_id = -1 if facts is None or rng.random() < 0.05 else facts["groupId"]
        return ConversationHeader(conversation_id, start_ms, "OPEN" if is_open else "CLOSE",
                                  duration, agent_id, skill_id, group_id)

    def record(self, header: ConversationHeader, parts=ALL_CONTENT_PARTS) -> dict:
        rng = self._rng("conversation", header.conversation_id)
        full = _RecordBuilder(self._account, self._directory, header, rng).build()
        record = {"info": full["info"]}
        for part in ALL_CONTENT_PARTS:
            if part in parts:
                record[part] = full[part]
        return record


def post_survey(dialog_id: str, csat: int, comment: str) -> dict:
    """The conversationSurveys entry of a consumer's CSAT answer (1 to 5), as `info.csatRate` reports it."""
    return {
        "surveyType": "PostSurvey",
        "surveyStatus": "FILLED",
        "dialogId": dialog_id,
        "surveyData": [
            {"questionId": "101", "question": "How would you rate the conversation? ⭐",
             "answerId": str(csat), "answer": str(csat)},
            {"questionId": "102", "question": "Anything else?", "answerId": "", "answer": comment},
        ],
    }


def _participant_copy(participant: dict, **changes) -> dict:
    """An agentParticipants entry for another part, sharing no mutable value with the original."""
    return {**participant, "contextData": dict(participant["contextData"]), **changes}


class _RecordBuilder:
    """Expands one header into a full conversation record. Always builds every part in the same
    order so the record does not depend on which parts were asked for."""

    def __init__(self, account: str, directory: Directory, header: ConversationHeader, rng: random.Random):
        self.account = account
        self.directory = directory
        self.h = header
        self.rng = rng

    def _agent_facts(self, agent_id: int) -> dict | None:
        return self.directory.user_by_id.get(agent_id)

    def build(self) -> dict:
        rng, h = self.rng, self.h
        cid = h.conversation_id
        is_closed = h.status == "CLOSE"
        end_ms = h.start_ms + h.duration_ms
        agent = self._agent_facts(h.agent_id)
        skill = self.directory.skill_by_id.get(h.skill_id)
        group = self.directory.group_by_id.get(h.agent_group_id)
        first_name, last_name = rng.choice(_CONSUMER_NAMES)
        consumer_id = _uuid(rng)

        # A transferred conversation had an earlier agent.
        previous = None
        if agent is not None and rng.random() < 0.25:
            others = [a for a in self.directory.user_by_id.values()
                      if a["id"] != agent["id"] and not a["isApiUser"] and not a["deleted"]]
            previous = rng.choice(others)
        agents = [a for a in (previous, agent) if a is not None]

        message_count = rng.randint(2, 14) if agents else rng.randint(1, 3)
        times = sorted(rng.randrange(h.start_ms, end_ms) for _ in range(message_count - 1))
        times = [h.start_ms + rng.randrange(0, 2000)] + times
        times = sorted(min(t, end_ms) for t in times)
        join_ms = times[1] if len(times) > 1 else h.start_ms
        transfer_ms = times[len(times) // 2]

        messages, scores, statuses = [], [], []
        for seq, at in enumerate(times):
            by_agent = bool(agents) and seq % 2 == 1
            sender = (agent if at >= transfer_ms or previous is None else previous) if by_agent else None
            text = rng.choice(_AGENT_TEXTS if by_agent else _CONSUMER_TEXTS)
            message_id = f"ms::conv:{cid}::msg:{seq}"
            participant = str(sender["id"]) if sender else consumer_id
            messages.append({
                "type": "TEXT_PLAIN",
                "messageData": {"msg": {"text": text}},
                "messageId": message_id,
                "audience": "ALL",
                "seq": seq,
                "dialogId": cid,
                "participantId": participant,
                "source": "APP" if not by_agent else "AGENT",
                "time": lp_time(at),
                "timeL": at,
                "device": "NA" if by_agent else rng.choice(_DEVICES),
                "sentBy": "Agent" if by_agent else "Consumer",
                "contextData": {"rawMetadata": "[]", "structuredMetadata": []},
            })
            statuses.append({
                "messageId": message_id, "seq": seq, "time": lp_time(at), "timeL": at,
                "participantId": consumer_id if by_agent else participant,
                "participantType": "Consumer" if by_agent else "Agent",
                "messageDeliveryStatus": "READ", "dialogId": cid,
            })
            if not by_agent:
                raw = rng.randint(-3, 3)
                scores.append({"messageId": message_id, "messageRawScore": raw,
                               "mcs": rng.randint(0, 100), "time": lp_time(at), "timeL": at})

        agent_participants = []
        for index, who in enumerate(agents):
            joined = join_ms if index == 0 else transfer_ms
            who_group = self.directory.group_by_id.get(who["groupId"])
            agent_participants.append({
                "agentFullName": who["fullName"],
                "agentNickname": who["nickname"],
                "agentLoginName": who["loginName"],
                "agentDeleted": who["deleted"],
                "agentId": str(who["id"]),
                "agentPid": who["pid"],
                "userType": str(who["userTypeId"]),
                "userTypeName": "Bot" if who["userTypeId"] == 2 else "Human",
                "role": "ASSIGNED_AGENT",
                "agentGroupName": who_group["name"] if who_group else None,
                "agentGroupId": who["groupId"],
                "time": lp_time(joined),
                "timeL": joined,
                "permission": "ASSIGNED_AGENT",
                "dialogId": cid,
                "contextData": {},
            })

        transfers = []
        if previous is not None:
            source_skill = self.directory.skill_by_id.get(rng.choice(list(self.directory.skill_by_id)))
            transfers.append({
                "timeL": transfer_ms,
                "time": lp_time(transfer_ms),
                "assignedAgentId": str(agent["id"]),
                "targetSkillId": h.skill_id,
                "targetSkillName": skill["name"] if skill else None,
                "reason": rng.choice(("Agent", "Skill")),
                "by": str(previous["id"]),
                "sourceSkillId": source_skill["id"],
                "sourceSkillName": source_skill["name"],
                "sourceAgentId": str(previous["id"]),
                "sourceAgentFullName": previous["fullName"],
                "sourceAgentLoginName": previous["loginName"],
                "sourceAgentNickname": previous["nickname"],
                "dialogId": cid,
            })

        interactions = [
            {"assignedAgentId": str(who["id"]), "agentAccountId": self.account,
             "interactionTimeL": p["timeL"], "interactionTime": p["time"],
             "interactiveSequence": seq, "dialogId": cid}
            for seq, (who, p) in enumerate(zip(agents, agent_participants), start=1)
        ]

        csat = rng.randint(1, 5) if is_closed and agents and rng.random() < 0.35 else 0
        surveys = []
        if csat:
            surveys.append(post_survey(cid, csat, rng.choice(("", "Très bien, merci !", "遅かった"))))

        summary_ms = end_ms if is_closed else times[-1]
        sde_events = []
        if rng.random() < 0.3:
            sde_events.append({
                "customerInfo": {"serverTimeStamp": str(h.start_ms),
                                 "customerInfo": {"customerStatus": "Active", "customerType": "Gold",
                                                  "companyBranch": rng.choice(("Paris", "東京", "Lagos"))}},
                "sdeType": "CUSTOMER_INFO",
                "serverTimeStamp": str(h.start_ms),
            })
        country, country_code, city = rng.choice(_LOCATIONS)
        device = rng.choice(_DEVICES)
        browser = rng.choice(_BROWSERS)
        operating_system = rng.choice(_OPERATING_SYSTEMS)
        close_reason, close_description = rng.choice(_CLOSE_REASONS)
        mcs = rng.randint(0, 100)

        info = {
            "startTime": lp_time(h.start_ms),
            "startTimeL": h.start_ms,
            "endTime": lp_time(end_ms) if is_closed else "undefined",
            "endTimeL": end_ms if is_closed else -1,
            "duration": h.duration_ms,
            "conversationId": cid,
            "brandId": self.account,
            "latestAgentId": str(h.agent_id),
        }
        if agent is not None:
            info.update({
                "latestAgentNickname": agent["nickname"],
                "latestAgentFullName": agent["fullName"],
                "latestAgentLoginName": agent["loginName"],
                "agentDeleted": agent["deleted"],
            })
        info["latestSkillId"] = h.skill_id
        if skill is not None:
            info["latestSkillName"] = skill["name"]
        info["source"] = rng.choice(_SOURCES)
        if is_closed:
            info["closeReason"] = close_reason
            info["closeReasonDescription"] = close_description
        info.update({
            "mcs": mcs,
            "alertedMCS": 1 if mcs > 66 else (-1 if mcs < 33 else 0),
            "status": h.status,
            "fullDialogStatus": h.status,
            "firstConversation": rng.random() < 0.3,
            "csatRate": csat,
            "device": device,
            "browser": browser,
            "operatingSystem": operating_system,
            "latestAgentGroupId": h.agent_group_id,
        })
        if group is not None:
            info["latestAgentGroupName"] = group["name"]
        info.update({"latestQueueState": "ACTIVE", "isPartial": False, "language": rng.choice(("en-US", "fr-FR", "ja-JP", "es-ES"))})

        full = {
            "info": info,
            "messageRecords": messages,
            "agentParticipants": agent_participants,
            "consumerParticipants": [{
                "participantId": consumer_id,
                "time": lp_time(h.start_ms),
                "timeL": h.start_ms,
                "firstName": first_name,
                "lastName": last_name,
                "token": "undefined",
                "email": "",
                "phone": "",
                "avatarURL": "",
                "consumerName": f"{first_name} {last_name}",
                "dialogId": cid,
            }],
            "transfers": transfers,
            "interactions": interactions,
            "messageScores": scores,
            "messageStatuses": statuses,
            "conversationSurveys": surveys,
            "coBrowseSessions": {"coBrowseSessionsList": []},
            "summary": {"text": rng.choice(_SUMMARIES), "lastUpdatedTime": summary_ms},
            "sdes": {"events": sde_events},
            "unAuthSdes": {"events": []},
            "monitoring": {
                "country": country, "countryCode": country_code, "state": "", "city": city,
                "isp": "", "org": "", "device": device,
                "ipAddress": f"203.0.113.{rng.randint(1, 254)}",
                "browser": browser, "operatingSystem": operating_system,
                "conversationStartPage": "https://example.com/support",
                "conversationStartPageTitle": "Support – Example",
            },
            "responseTime": {
                "latestEffectiveResponseDueTime": times[-1] + 3_600_000 if not is_closed else -1,
                "configuredResponseTime": 3600,
            },
            "campaign": {
                "campaignEngagementId": str(rng.randrange(10**9, 10**10)),
                "campaignEngagementName": "Messaging engagement",
                "campaignId": str(rng.randrange(10**9, 10**10)),
                "campaignName": "Default campaign",
                "goalId": str(rng.randrange(10**9, 10**10)),
                "goalName": "Interact with consumers",
                "engagementSource": "WEB_SITE",
                "lobId": -1,
                "locationId": str(rng.randrange(10**9, 10**10)),
                "locationName": "Entire site",
            },
        }
        # The later parts draw from the generator only after everything above, so the parts above stay the same.
        full.update(self._later_parts(agents, agent_participants, messages, transfer_ms, end_ms, skill,
                                      close_reason, close_description))
        return full

    def _later_parts(self, agents, agent_participants, messages, transfer_ms, end_ms, skill,
                     close_reason, close_description) -> dict:
        """agentParticipantsLeave, agentParticipantsActive, dialogs, intents and the agent surveys.

        dialogs, intents, latestAgentSurvey and previouslySubmittedAgentSurveys follow the field tables and the
        JSON example of LivePerson's Conversations method. The docs name agentParticipantsLeave and
        agentParticipantsActive but document no fields for them: they reuse the agentParticipants entry."""
        rng, h, cid = self.rng, self.h, self.h.conversation_id
        is_closed = h.status == "CLOSE"

        # Same entries as agentParticipants. An agent transferred away left at the transfer (the entry is
        # stamped with that time); the last agent stays to the end. Active are the agents still in an OPEN
        # conversation, so a CLOSE one has none.
        leaves = [_participant_copy(participant, time=lp_time(transfer_ms), timeL=transfer_ms)
                  for participant in agent_participants[:-1]]
        active = [_participant_copy(agent_participants[-1])] if agent_participants and not is_closed else []

        # One MAIN dialog whose id is the conversation id (the docs: "The main dialog id is the conversation id").
        dialog = {
            "dialogId": cid,
            "status": h.status,
            "dialogType": "MAIN",
            "dialogChannelType": "MESSAGING",
            "startTime": lp_time(h.start_ms),
            "startTimeL": h.start_ms,
            "endTime": lp_time(end_ms) if is_closed else "undefined",
            "endTimeL": end_ms if is_closed else -1,
        }
        if is_closed:
            dialog["closeReason"] = close_reason
            dialog["closeReasonDescription"] = close_description
        dialog["skillId"] = h.skill_id
        if skill is not None:
            dialog["skillName"] = skill["name"]

        # A quarter of the conversations had their first consumer message classified.
        intents = []
        if rng.random() < 0.25:
            first = next(m for m in messages if m["sentBy"] == "Consumer")
            chosen, other = rng.sample(_INTENTS, 2)
            score = round(rng.uniform(0.55, 1.0), 3)
            runner_up = round(rng.uniform(0.0, score), 3)
            intents.append({
                "selectedClassification": self._classification(chosen, score),
                "allClassifications": [self._classification(chosen, score), self._classification(other, runner_up)],
                "messageId": first["messageId"],
            })

        latest, previous = self._agent_surveys(agents, end_ms, skill, messages[-1]["timeL"])
        return {
            "agentParticipantsLeave": leaves,
            "agentParticipantsActive": active,
            "dialogs": [dialog],
            "intents": intents,
            "latestAgentSurvey": latest,
            "previouslySubmittedAgentSurveys": previous,
        }

    @staticmethod
    def _classification(intent: tuple[str, str], score: float) -> dict:
        name, label = intent
        return {"intentName": name, "intentLabel": label, "confidenceScore": score,
                "versions": [dict(v) for v in _INTENT_MODEL_VERSIONS]}

    def _agent_surveys(self, agents, end_ms: int, skill, last_message_ms: int) -> tuple[dict | None, list]:
        """(latestAgentSurvey, previouslySubmittedAgentSurveys). Agent surveys belong to a skill and are filled
        in by human agents, so only a conversation with a skill whose last agent is human can have one
        (about 30% of those). latestAgentSurvey is null when there is none; previouslySubmittedAgentSurveys
        lists earlier submissions of the same survey (an edit before the latest state), oldest first."""
        rng, h = self.rng, self.h
        assigned = agents[-1] if agents else None
        if skill is None or assigned is None or assigned["userTypeId"] != 1 or rng.random() >= 0.3:
            return None, []
        form = self.directory.agent_survey_form
        if h.status == "OPEN":
            status, reason, updated = "OPEN", "OPEN", last_message_ms
        else:
            roll = rng.random()
            if roll < 0.6:
                status, reason = "SUBMITTED", "SUBMITTED"
            elif roll < 0.75:
                status, reason = "DISMISSED", "DISMISSED"
            else:
                status, reason = "CLOSED", "timeout"
            updated = end_ms + rng.randrange(5_000, 1_800_000)
        base = {
            "surveyStatus": status,
            "statusReason": reason,
            "dialogId": h.conversation_id,
            "surveyId": _uuid(rng),
            "acSurveyId": form["acSurveyId"],
            "acSurveyName": _AGENT_SURVEY_NAME,
            "acSurveyRevision": _AGENT_SURVEY_REVISION,
            "surveySkillId": h.skill_id,
            "surveySkillName": skill["name"],
            "assignedAgentId": str(assigned["id"]),
            "assignedAgentNickName": assigned["nickname"],
            "assignedAgentName": assigned["fullName"],
        }

        def state(performer: dict | None, at: int, answered: bool) -> dict:
            survey = dict(base)
            if performer is not None:
                survey.update({"performedByAgentId": str(performer["id"]),
                               "performedByAgentNickName": performer["nickname"],
                               "performedByAgentName": performer["fullName"]})
            survey["lastUpdateTime"] = at
            survey["submittedAnswers"] = self._agent_survey_answers(form) if answered else []
            return survey

        if status in ("OPEN", "CLOSED"):
            return state(None, updated, False), []
        if status == "DISMISSED":
            return state(assigned, updated, False), []
        # SUBMITTED, sometimes edited: the earlier submission by the agent, the latest by them or another agent.
        earlier = []
        if rng.random() < 0.25:
            first_at = end_ms + rng.randrange(1_000, 5_000)
            earlier.append(state(assigned, first_at, True))
            others = [a for a in self.directory.user_by_id.values()
                      if a["userTypeId"] == 1 and not a["isApiUser"] and not a["deleted"]
                      and a["id"] != assigned["id"]]
            performer = rng.choice(others) if others and rng.random() < 0.5 else assigned
        else:
            performer = assigned
        return state(performer, updated, True), earlier

    def _agent_survey_answers(self, form: dict) -> list[dict]:
        rng = self.rng
        (reason_q, minutes_q) = _AGENT_SURVEY_QUESTIONS
        reason_id, minutes_id = form["questionIds"]
        return [
            {"questionText": reason_q[0], "questionId": reason_id, "questionDefinition": reason_q[1],
             "questionCategory": reason_q[2],
             "answers": [{"answer": rng.choice(_AGENT_SURVEY_REASONS), "answerId": reason_id}]},
            {"questionText": minutes_q[0], "questionId": minutes_id, "questionDefinition": minutes_q[1],
             "questionCategory": minutes_q[2],
             "answers": [{"answer": str(rng.randint(0, 15)), "answerId": minutes_id}]},
        ]


class Dataset:
    """Everything one emulated account serves."""

    def __init__(self, account: str, seed: int, first_day: date, last_day: date,
                 conversations_per_day: int, empty_days: tuple[date, ...], directory_of: str | None = None):
        self.account = account
        self.credentials = make_credentials(account, seed)
        self.directory = Directory(directory_of or account, seed, first_day)
        self.business_hours = BusinessHours(directory_of or account, seed, first_day)
        self.business_hours.assign(self.directory.skills)
        self.conversations = ConversationStore(account, seed, first_day, last_day,
                                               conversations_per_day, empty_days, self.directory)
