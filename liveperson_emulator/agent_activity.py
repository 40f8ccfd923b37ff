"""Agent Activity API (service agentActivityDomain): agent status changes, generated lazily one UTC day at a time.

From LivePerson's docs ("Get Status Changes", agent-activity-api-methods-get-status-changes.html, and its error
codes page):
- `GET /api/v2/account/{a}/status-changes?source=...&v=2&from=...&to=...&limit=...&offset=...` (`agentId` or
  `empId`, not both). `from`/`to` are RFC 3339; both or neither (the default is the 24 hours before the request);
  at most 1 month apart. `limit` default 50, maximum 100 (the 400 example: "limit: must be less than or equal to
  100"); with v=2 limit/offset count records, with v=1 (the default) agents.
- v2 answers `{"_metadata": {"references": [{rel, href}]}, "timeframe": {...}, "stateChanges": [...]}`;
  `self` and `first` always, `next`/`previous`/`last` when there is more than one page. The v2 example quotes
  `timeframe.startTimeL`/`endTimeL` as strings; so does the emulator.
- A change: agentId (number), employeeId, agentLoginName, agentUserName, agentGroupId, time (RFC 3339 text, not a
  number), sessionId, sequenceNumber, statusType (1 change, 3 login, 4 logout), statusSubType (1 offline, 2 online,
  3 occupied, 4 away; 0 on login/logout as in the example), statusReasonId, statusReasonText,
  prevStatusChangeTime. The awkward parts, as documented: the login (sequenceNumber -1) and the default status set
  after it (sequenceNumber 1) share the same millisecond and both have sessionId -1 and no prevStatusChangeTime;
  the logout has no prevStatusChangeTime either and may share its millisecond with the last change. A change
  without a custom reason has statusReasonId -1 and statusReasonText null (the docs' table); login, default status
  and logout carry 0 and "" (the docs' example).
- 400 bodies: {"causes": [...], "message": "..."}.

Decided by the emulator (undocumented): both bounds are inclusive (a change at exactly `to` is returned by this
window and by the one starting there, which a client paging by day must de-duplicate); records are sorted by
(time, agentId, sequenceNumber); "1 month" is one calendar month in UTC; how far back `from` may go is not
enforced (the docs say 6 or 13 months); v1 groups the same records by agent (agentsInfo) without the v1
truncation.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .catalogs import Catalogs
from .data import Directory
from .days import DAY_MS, DailyRecords, day_start_ms
from .http_types import Request, json_response, Response
from .search import with_offset
from .times import parse_rfc3339, plus_one_month_ms, rfc3339_ms, rfc3339_short

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
# Local midnights in UTC offsets within a day: Asia/Kathmandu (+05:45), Europe/Paris summer (+2) and winter (+1).
KATHMANDU_MIDNIGHT_MS = (18 * 60 + 15) * MINUTE_MS
PARIS_SUMMER_MIDNIGHT_MS = 22 * HOUR_MS
PARIS_WINTER_MIDNIGHT_MS = 23 * HOUR_MS

LOGIN, CHANGE, LOGOUT = 3, 1, 4
OFFLINE, ONLINE, OCCUPIED, AWAY = 1, 2, 3, 4
_STATE_SUBTYPE = {"Online": ONLINE, "Occupied": OCCUPIED, "Away": AWAY}

_BAD_REQUEST = ("The server cannot or will not process the request due to something that is perceived to be a "
                "client error (e.g., malformed request syntax). Please fix the issues detailed in `causes` and "
                "try again")


class BadStatusQuery(Exception):
    def __init__(self, *causes: str):
        super().__init__("; ".join(causes))
        self.causes = list(causes)


def bad_request(causes: list[str]) -> Response:
    return json_response(400, {"causes": causes, "message": _BAD_REQUEST})


@dataclass(frozen=True, slots=True)
class _Agent:
    agent_id: int
    employee_id: str
    login_name: str
    user_name: str
    group_id: int


class StatusChangeStore(DailyRecords[tuple]):
    """State changes per UTC day of session start (generated lazily, cached) as entries (time, agentId,
    sequenceNumber, record). A session may run past midnight into the next day when that day is served too;
    sessions never start on an empty day."""

    def __init__(self, account: str, seed: int, first_day: date, last_day: date, empty_days: tuple[date, ...],
                 directory: Directory, catalogs: Catalogs, agents_with_status: int):
        super().__init__(account, seed, first_day, last_day, empty_days)
        rng = random.Random(f"lp-emulator/agent-activity/{account}/{seed}")
        candidates = sorted(user_id for user_id, facts in directory.user_by_id.items() if not facts["isApiUser"])
        rng.shuffle(candidates)
        self.agents: list[_Agent] = []
        for user_id in candidates[:max(0, agents_with_status)]:
            facts = directory.user_by_id[user_id]
            employee = f"E-{rng.randrange(10_000, 99_999)}" if rng.random() < 0.6 else ""
            self.agents.append(_Agent(user_id, employee, facts["loginName"], facts["nickname"], facts["groupId"]))
        reasons = catalogs.status_reasons
        # Agents pick enabled reasons; now and then one that was deleted since (old data still names it).
        self._reasons = {state: [r for r in reasons if r["state"] == state and r["enabled"] and not r["deleted"]]
                         for state in ("Away", "Occupied")}
        self._retired_reasons = [r for r in reasons if r["deleted"]]

    # Reading

    def between(self, low_ms: int, high_ms: int) -> list[dict]:
        """Records with low_ms <= time <= high_ms (both inclusive), sorted; the stored dicts (copy before changing).
        The day before low_ms's is read too: its sessions may run past midnight."""
        found = [entry for entries in self._days_touching(low_ms, high_ms, days_before=1) for entry in entries
                 if low_ms <= entry[0] <= high_ms]
        found.sort(key=lambda entry: entry[:3])
        return [entry[3] for entry in found]

    # Generation

    def _night_agent(self, day: date) -> "_Agent | None":
        """The agent whose session starts on `day` late in the evening and ends the next day (None when the next
        day is not served: nothing runs past the emulator's days or into an empty day)."""
        if len(self.agents) < 4 or not self._serves(day) or not self._serves(day + timedelta(days=1)):
            return None
        return self._rng("night-shift", day.isoformat()).choice(self.agents)

    def _generate_day(self, day: date) -> tuple[tuple, ...]:
        if not self._serves(day) or not self.agents:
            return ()
        rng = self._rng("status-changes", day.isoformat())
        base = day_start_ms(day)
        night, previous_night = self._night_agent(day), self._night_agent(day - timedelta(days=1))
        pool = rng.sample(self.agents, len(self.agents))
        entries: list[tuple] = []

        def session(agent, login, end, fixed=(), last_change_at_logout=False):
            entries.extend(self._session(rng, agent, login, end, fixed, last_change_at_logout))

        def take(excluded) -> "_Agent | None":
            chosen = next((a for a in pool if a is not excluded), None)
            if chosen is not None:
                pool.remove(chosen)
            return chosen

        # The awkward instants of every day, one agent each: a login (and its default status) at exactly
        # 00:00:00.000 UTC; a change at exactly midnight in Kathmandu; changes at exactly midnight in Paris
        # (summer and winter time) and a logout in the day's last millisecond.
        agent = take(previous_night)  # still working the night before until up to 06:00
        if agent:
            session(agent, base, base + rng.randrange(5 * HOUR_MS, 8 * HOUR_MS))
        agent = take(night)
        if agent:
            login = base + rng.randrange(14 * HOUR_MS, 17 * HOUR_MS)
            reason = rng.choice(self._reasons["Away"])
            session(agent, login, base + rng.randrange(20 * HOUR_MS, 21 * HOUR_MS),
                    fixed=[(base + KATHMANDU_MIDNIGHT_MS, AWAY, reason),
                           (base + KATHMANDU_MIDNIGHT_MS + rng.randrange(5, 40) * MINUTE_MS, ONLINE, None)])
        agent = take(night)
        if agent:
            login = base + rng.randrange(19 * HOUR_MS, 21 * HOUR_MS)
            session(agent, login, base + DAY_MS - 1,
                    fixed=[(base + PARIS_SUMMER_MIDNIGHT_MS, OCCUPIED, rng.choice(self._reasons["Occupied"])),
                           (base + PARIS_WINTER_MIDNIGHT_MS, ONLINE, None)])
        if night is not None:  # a night shift that ends the next day
            login = base + rng.randrange(21 * HOUR_MS + 30 * MINUTE_MS, 23 * HOUR_MS + 30 * MINUTE_MS)
            session(night, login, base + DAY_MS + rng.randrange(2 * HOUR_MS, 6 * HOUR_MS))
        for agent in pool:
            if agent is night or rng.random() < 0.15:
                continue  # the night shift works only at night; the others have a day off now and then
            earliest = 7 * HOUR_MS if agent is previous_night else 0
            login = base + rng.randrange(earliest, 14 * HOUR_MS)
            if rng.random() < 0.2:  # a split shift: two sessions
                middle = login + rng.randrange(2 * HOUR_MS, 4 * HOUR_MS)
                session(agent, login, middle)
                second = middle + rng.randrange(30 * MINUTE_MS, 2 * HOUR_MS)
                session(agent, second, min(second + rng.randrange(2 * HOUR_MS, 5 * HOUR_MS), base + DAY_MS - 1),
                        last_change_at_logout=rng.random() < 0.5)
            else:
                session(agent, login, min(login + rng.randrange(4 * HOUR_MS, 9 * HOUR_MS), base + DAY_MS - 1),
                        last_change_at_logout=rng.random() < 0.3)
        entries.sort(key=lambda entry: entry[:3])
        return tuple(entries)

    def _reason(self, rng: random.Random, state: str) -> dict | None:
        if rng.random() < 0.3:
            return None
        if self._retired_reasons and rng.random() < 0.05:
            return rng.choice(self._retired_reasons)
        return rng.choice(self._reasons[state])

    def _session(self, rng: random.Random, agent: _Agent, login: int, end: int, fixed, last_change_at_logout):
        """Entries (time, agentId, sequenceNumber, record) of one login session [login, end]."""
        session_id = rng.randrange(10_000_000, 99_999_999)
        default = ONLINE if rng.random() < 0.8 else AWAY
        # Status changes after the default status, at least a second apart, fixed ones where they were asked for.
        fixed_times = {at for at, _, _ in fixed}
        changes = list(fixed)
        at, state = login, default
        while True:
            at += rng.randrange(10 * MINUTE_MS, 90 * MINUTE_MS) + rng.randrange(1000)
            if at >= end - 1000:
                break
            if any(abs(at - f) < 1000 for f in fixed_times):
                continue
            if state == ONLINE:
                state = AWAY if rng.random() < 0.7 else OCCUPIED
                changes.append((at, state, self._reason(rng, "Away" if state == AWAY else "Occupied")))
            else:
                state = ONLINE
                changes.append((at, ONLINE, None))
        changes = [c for c in sorted(changes, key=lambda c: c[0]) if login < c[0] < end]
        if last_change_at_logout:  # going offline and logging out in the same millisecond, as in the docs' example
            changes.append((end, OFFLINE, None))

        def record(at, session, sequence, status_type, sub_type, reason_id, reason_text, previous):
            return {
                "agentId": agent.agent_id,
                "employeeId": agent.employee_id,
                "agentLoginName": agent.login_name,
                "agentUserName": agent.user_name,
                "agentGroupId": agent.group_id,
                "time": rfc3339_ms(at),
                "sessionId": session,
                "sequenceNumber": sequence,
                "statusType": status_type,
                "statusSubType": sub_type,
                "statusReasonId": reason_id,
                "statusReasonText": reason_text,
                "prevStatusChangeTime": previous,
            }

        out = [(login, agent.agent_id, -1, record(login, -1, -1, LOGIN, 0, 0, "", None)),
               (login, agent.agent_id, 1, record(login, -1, 1, CHANGE, default, 0, "", None))]
        previous, sequence = login, 1
        for at, sub_type, reason in changes:
            sequence += 1
            reason_id, reason_text = (reason["id"], reason["text"]) if reason else (-1, None)
            out.append((at, agent.agent_id, sequence, record(at, session_id, sequence, CHANGE, sub_type, reason_id,
                                                            reason_text, rfc3339_ms(previous))))
            previous = at
        sequence += 1
        out.append((end, agent.agent_id, sequence, record(end, session_id, sequence, LOGOUT, 0, 0, "", None)))
        return out


# The HTTP method

@dataclass(frozen=True)
class StatusQuery:
    version: str
    from_ms: int
    to_ms: int
    agent_id: int | None
    employee_id: str | None
    limit: int
    offset: int


def _int(request: Request, name: str, default: int, causes: list[str]) -> int:
    try:
        return request.int_param(name, default)
    except ValueError:
        causes.append(f"{name}: must be a number")
        return default


def parse_status_query(request: Request, now_ms: int) -> StatusQuery:
    causes: list[str] = []
    if not request.param("source"):
        causes.append("source: must not be empty")
    version = request.param("v") or "1"
    if version not in ("1", "2"):
        causes.append("v: must be 1 or 2")
    raw_from, raw_to = request.param("from"), request.param("to")
    from_ms, to_ms = now_ms - 24 * HOUR_MS, now_ms
    if raw_from is None and raw_to is None:
        pass
    elif raw_from is None or raw_to is None:
        causes.append("from, to: must both be provided or both be omitted")
    else:
        try:
            from_ms = parse_rfc3339(raw_from)
        except ValueError:
            causes.append(f"from: must be an RFC 3339 date-time, got {raw_from!r}")
        try:
            to_ms = parse_rfc3339(raw_to)
        except ValueError:
            causes.append(f"to: must be an RFC 3339 date-time, got {raw_to!r}")
        if not causes:
            if from_ms > to_ms:
                causes.append("from: must not be after to")
            elif to_ms > plus_one_month_ms(from_ms):
                causes.append("to: the timeframe between from and to must not exceed 1 month")
    agent_id, employee_id = None, request.param("empId")
    raw_agent = request.param("agentId")
    if raw_agent is not None:
        try:
            agent_id = int(raw_agent)
        except ValueError:
            causes.append("agentId: must be a number")
        if employee_id is not None:
            causes.append("agentId, empId: at most one of them may be provided")
    limit = _int(request, "limit", DEFAULT_LIMIT, causes)
    offset = _int(request, "offset", 0, causes)
    if limit > MAX_LIMIT:
        causes.append(f"limit: must be less than or equal to {MAX_LIMIT}")
    if limit < 1:
        causes.append("limit: must be greater than or equal to 1")
    if offset < 0:
        causes.append("offset: must be greater than or equal to 0")
    if causes:
        raise BadStatusQuery(*causes)
    return StatusQuery(version, from_ms, to_ms, agent_id, employee_id, limit, offset)


def matching_changes(store: StatusChangeStore, query: StatusQuery) -> list[dict]:
    records = store.between(query.from_ms, query.to_ms)
    if query.agent_id is not None:
        records = [r for r in records if r["agentId"] == query.agent_id]
    if query.employee_id is not None:
        records = [r for r in records if r["employeeId"] == query.employee_id]
    return records


def references(base: str, raw_query: str, offset: int, limit: int, total: int, next_base: str | None = None,
               loop: bool = False) -> list[dict]:
    """self and first always; previous, next and last when there is more than one page (next only when more)."""
    refs = [{"rel": "self", "href": base + (f"?{raw_query}" if raw_query else "")},
            {"rel": "first", "href": f"{base}?{with_offset(raw_query, 0)}"}]
    if total > limit or offset > 0:
        if offset > 0:
            refs.append({"rel": "previous", "href": f"{base}?{with_offset(raw_query, max(0, offset - limit))}"})
        if loop or offset + limit < total:
            target = 0 if loop else offset + limit
            refs.append({"rel": "next", "href": f"{next_base or base}?{with_offset(raw_query, target)}"})
        last = max(0, (total - 1) // limit * limit)
        refs.append({"rel": "last", "href": f"{base}?{with_offset(raw_query, last)}"})
    return refs


def timeframe(query: StatusQuery) -> dict:
    return {"startTime": rfc3339_short(query.from_ms), "endTime": rfc3339_short(query.to_ms),
            "startTimeL": str(query.from_ms), "endTimeL": str(query.to_ms)}


_AGENT_KEYS = ("agentId", "employeeId", "agentLoginName", "agentUserName", "agentGroupId")


def v1_agents(records: list[dict]) -> list[dict]:
    """v1: the records grouped by agent (agents by id), each change without the agent's fields."""
    by_agent: dict[int, dict] = {}
    for record in records:
        agent = by_agent.get(record["agentId"])
        if agent is None:
            agent = by_agent[record["agentId"]] = {key: record[key] for key in _AGENT_KEYS}
            agent["statusChangeHistory"] = []
        agent["statusChangeHistory"].append({k: v for k, v in record.items() if k not in _AGENT_KEYS})
    return [by_agent[agent_id] for agent_id in sorted(by_agent)]
