"""What the contact-center report shows, read from the marts (schema liveperson_marts) of the last days they hold.

The period is the `days` days that end with the latest day of `fct_conversations` (so a report built after a
backfill of old days still shows the newest ones), or fewer when the marts begin later. Every figure comes from a mart, by the marts' own definitions:
CSAT averages the answers (1 to 5; 0 is no answer), first-response times are `fct_conversations`'
`first_response_seconds` (calendar time) and `first_response_business_seconds` (open time of the skill's schedule),
the service level is `fct_skill_daily.service_level_share`. A day of the period with no conversation and no agent
status is a day not loaded. The SQL runs unchanged on DuckDB and PostgreSQL.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import List, Optional, Sequence, Tuple

from dlt.destinations.sql_client import SqlClientBase

MARTS = "liveperson_marts"
UNASSIGNED_SKILL = "Unassigned (-1)"
# First-response time buckets: (label, lower bound in seconds, upper bound or None). Half-open: lower <= t < upper.
RESPONSE_BUCKETS: Tuple[Tuple[str, float, Optional[float]], ...] = (
    ("< 15 s", 0, 15), ("15-30 s", 15, 30), ("30-60 s", 30, 60), ("1-2 min", 60, 120), ("2-5 min", 120, 300),
    ("5-10 min", 300, 600), ("10-30 min", 600, 1800), ("30-60 min", 1800, 3600), (">= 1 h", 3600, None),
)
STATUSES = ("ONLINE", "OCCUPIED", "AWAY", "OFFLINE")
TOP_AGENTS = 10


@dataclass(frozen=True)
class Headline:
    conversations: int
    closed: int
    median_first_response_seconds: Optional[float]
    avg_csat: Optional[float]
    csat_answers: int
    agent_hours_online: float
    median_first_response_business_seconds: Optional[float] = None


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    conversations: int
    median_first_response_seconds: Optional[float]
    avg_csat: Optional[float]
    # The account of the agent (`default`: the single account); ids are only unique within an account
    account_name: str = "default"


@dataclass(frozen=True)
class ReportData:
    """The period's figures; the series are in day order (`days`), one value per day."""

    first_day: Optional[date]
    last_day: Optional[date]
    headline: Headline
    days: List[date] = field(default_factory=list)
    # skill name -> conversations per day
    conversations_by_skill: dict = field(default_factory=dict)
    # bucket label -> conversations; and those with no first response
    response_buckets: dict = field(default_factory=dict)
    no_first_response: int = 0
    # per day: average CSAT of the answers (None without answers) and how many answers
    csat_by_day: List[Optional[float]] = field(default_factory=list)
    csat_answers_by_day: List[int] = field(default_factory=list)
    # status -> agent hours per day
    status_hours: dict = field(default_factory=dict)
    top_agents: List[AgentRow] = field(default_factory=list)
    # skill name -> share of its conversations (with a consumer message) within the service level, per day (None:
    # none that day)
    service_level_by_skill: dict = field(default_factory=dict)
    # days of the period the marts hold nothing of (no conversation, no agent status): never loaded
    days_not_loaded: List[date] = field(default_factory=list)


def read_report_data(client: SqlClientBase, days: int, account: Optional[str] = None) -> ReportData:
    """The figures of the last `days` days of the marts (empty figures when no conversation is built yet), of the
    account named `account` only when given."""
    ((first_built, last_day),) = client.execute_sql(
        f"select min(day), max(day) from {MARTS}.fct_conversations where 1 = 1{_only(account)}",
        *([account] if account else []))
    if last_day is None:
        return ReportData(None, None, Headline(0, 0, None, None, 0, 0.0))
    first_day = max(first_built, last_day - timedelta(days=days - 1))
    period = _Period(first_day, last_day, account)
    day_list = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    return ReportData(
        first_day=first_day,
        last_day=last_day,
        headline=_headline(client, period),
        days=day_list,
        **_by_skill(client, period, day_list),
        response_buckets=_response_buckets(client, period),
        no_first_response=_count(client, f"select count(*) from {MARTS}.fct_conversations "
                                         f"where day between %s and %s{period.only()} and first_response_seconds is null",
                                 period),
        **_csat_by_day(client, period, day_list),
        status_hours=_status_hours(client, period, day_list),
        top_agents=_top_agents(client, period),
        days_not_loaded=_days_not_loaded(client, period, day_list),
    )


class _Period(tuple):
    """(first day, last day) as query parameters, then the account's name when the report is one account's:
    `only(alias)` is the SQL that keeps that account's rows."""

    def __new__(cls, first: date, last: date, account: Optional[str]):
        period = super().__new__(cls, (first, last, *([account] if account else [])))
        period.account = account
        return period

    def only(self, alias: str = "") -> str:
        return _only(self.account, alias)


def _only(account: Optional[str], alias: str = "") -> str:
    """The SQL that keeps one account's rows (none: every account's); its parameter is the account's name."""
    return f" and {alias}account_name = %s" if account else ""


def _count(client: SqlClientBase, sql: str, params: Sequence) -> int:
    ((value,),) = client.execute_sql(sql, *params)
    return int(value or 0)


def _float(value) -> Optional[float]:
    return None if value is None else float(value)


def _headline(client: SqlClientBase, period: tuple) -> Headline:
    ((conversations, closed, median_response, avg_csat, answers, median_business),) = client.execute_sql(
        f"""select count(*), sum(case when status = 'CLOSE' then 1 else 0 end),
                   percentile_cont(0.5) within group (order by first_response_seconds),
                   avg(case when csat >= 1 then cast(csat as double precision) end),
                   sum(case when csat >= 1 then 1 else 0 end),
                   percentile_cont(0.5) within group (order by first_response_business_seconds)
            from {MARTS}.fct_conversations where day between %s and %s{period.only()}""", *period)
    ((online_seconds,),) = client.execute_sql(
        f"select coalesce(sum(seconds), 0) from {MARTS}.fct_agent_status_daily "
        f"where day between %s and %s{period.only()} and status = 'ONLINE'", *period)
    return Headline(int(conversations), int(closed or 0), _float(median_response), _float(avg_csat),
                    int(answers or 0), float(online_seconds) / 3600, _float(median_business))


def _by_skill(client: SqlClientBase, period: tuple, day_list: list) -> dict:
    """Per skill and day: the conversations, and the share of them (with a consumer message) within the service
    level (None: none that day; skills that never had one left out)."""
    rows = client.execute_sql(
        f"""select s.day, s.skill_id, k.skill_name, s.conversations, s.service_level_share
            from {MARTS}.fct_skill_daily s
            left join {MARTS}.dim_skills k on k.account_name = s.account_name and k.skill_id = s.skill_id
            where s.day between %s and %s{period.only("s.")}""", *period)
    index = {day: position for position, day in enumerate(day_list)}
    conversations: dict = {}
    service_level: dict = {}
    for day, skill_id, skill_name, count, share in rows:
        name = _skill_name(skill_id, skill_name)
        conversations.setdefault(name, [0] * len(day_list))[index[day]] += int(count)
        if share is not None:
            service_level.setdefault(name, [None] * len(day_list))[index[day]] = float(share)
    # Busiest skills first, so the legend reads in order of size.
    return {"conversations_by_skill": dict(sorted(conversations.items(), key=lambda item: (-sum(item[1]), item[0]))),
            "service_level_by_skill": dict(sorted(service_level.items()))}


def _bucket_case(column: str) -> str:
    branches = " ".join(
        f"when {column} < {upper} then {position}"
        for position, (_, _, upper) in enumerate(RESPONSE_BUCKETS) if upper is not None)
    return f"case {branches} else {len(RESPONSE_BUCKETS) - 1} end"


def _response_buckets(client: SqlClientBase, period: tuple) -> dict:
    rows = client.execute_sql(
        f"""select {_bucket_case('first_response_seconds')} as bucket, count(*)
            from {MARTS}.fct_conversations
            where day between %s and %s{period.only()} and first_response_seconds is not null
            group by 1""", *period)
    counts = {int(bucket): int(count) for bucket, count in rows}
    return {label: counts.get(position, 0) for position, (label, _, _) in enumerate(RESPONSE_BUCKETS)}


def _csat_by_day(client: SqlClientBase, period: tuple, day_list: list) -> dict:
    rows = client.execute_sql(
        f"""select day, avg(cast(csat as double precision)), count(*)
            from {MARTS}.fct_conversations where day between %s and %s{period.only()} and csat >= 1
            group by day""", *period)
    by_day = {day: (float(avg), int(count)) for day, avg, count in rows}
    return {"csat_by_day": [by_day.get(day, (None, 0))[0] for day in day_list],
            "csat_answers_by_day": [by_day.get(day, (None, 0))[1] for day in day_list]}


def _status_hours(client: SqlClientBase, period: tuple, day_list: list) -> dict:
    rows = client.execute_sql(
        f"""select day, status, sum(seconds) from {MARTS}.fct_agent_status_daily
            where day between %s and %s{period.only()} group by day, status""", *period)
    index = {day: position for position, day in enumerate(day_list)}
    hours = {status: [0.0] * len(day_list) for status in STATUSES}
    for day, status, seconds in rows:
        hours.setdefault(status, [0.0] * len(day_list))[index[day]] += float(seconds) / 3600
    return hours


def _top_agents(client: SqlClientBase, period: tuple) -> List[AgentRow]:
    rows = client.execute_sql(
        f"""select c.account_name, c.latest_agent_id, coalesce(a.full_name, a.nickname, a.login_name), count(*),
                   percentile_cont(0.5) within group (order by c.first_response_seconds),
                   avg(case when c.csat >= 1 then cast(c.csat as double precision) end)
            from {MARTS}.fct_conversations c
            left join {MARTS}.dim_agents a on a.account_name = c.account_name and a.agent_id = c.latest_agent_id
            where c.day between %s and %s{period.only("c.")} and c.latest_agent_id <> -1
            group by c.account_name, c.latest_agent_id, a.full_name, a.nickname, a.login_name
            order by count(*) desc, c.account_name, c.latest_agent_id
            limit {TOP_AGENTS}""", *period)
    return [AgentRow(int(agent_id), name or f"agent {agent_id}", int(count), _float(median), _float(csat), account)
            for account, agent_id, name, count, median, csat in rows]


def _skill_name(skill_id: int, skill_name: Optional[str]) -> str:
    return UNASSIGNED_SKILL if skill_id == -1 else (skill_name or f"skill {skill_id}")


def _days_not_loaded(client: SqlClientBase, period: tuple, day_list: list) -> List[date]:
    rows = client.execute_sql(
        f"""select day from {MARTS}.fct_conversations where day between %s and %s{period.only()}
            union select day from {MARTS}.fct_agent_status_daily where day between %s and %s{period.only()}""",
        *period, *period)
    held = {day for (day,) in rows}
    return [day for day in day_list if day not in held]
