"""Messaging Operations API (service leDataReporting): queue health and messaging conversation metrics of the
last 24 hours, computed from a synthetic history that depends only on (account, seed, time), so two polls that
cover the same instants see the same numbers.

From LivePerson's docs (Messaging Operations API, "Messaging Queue Health" and "Messaging Conversation" methods):
- Both: `timeframe` in minutes, required, at most 1440, ending at the request time; `v=1` required; `interval`
  optional, at least 5, at most `timeframe` and a divisor of it; with it the answer is
  `{"metricsByIntervals": [{"timestamp": ms, "metricsData": {...}}], "timeframeSummary": {...}}`.
- msgqueuehealth: per skill (`skillIds=all` or a list) the average queue state of each interval: unassigned
  (= actionable + notActionable), actionable, notActionable, actionableAndManualSla, actionableAndDuringTransfer,
  actionableAndConsumerLastMessage, notActionableDuringTransfer, notActionableAndManualSla,
  unassignedConversationsAndFirstTimeConsumer (doubles) under `skillsMetrics`, and `metricsTotal` (no s) the sum of
  the skills' averages. Intervals are NOT rounded: the timestamp is the interval's START, counted back from the
  request time to the millisecond; the docs' example lists the newest interval first, and so does the emulator.
- msgconversation: events are collected into 5-minute buckets, so the data starts at the 5-minute boundary at or
  before (now - timeframe); the timestamp is the interval's END, the latest rounded up to the next 5 minutes and
  the earliest interval holding only the remainder (the docs' example: now 8:07, timeframe 20, interval 10 ->
  8:00-8:10, 7:50-8:00, 7:45-7:50). Shapes: no ids -> `metricsTotals`; agentIds -> `agentsMetrics`
  {metricsPerAgent, metricsTotals}; skillIds -> `skillsMetricsPerAgent` {metricsPerSkill {skill:
  {metricsPerAgent, metricsTotals}}, metricsTotals}. Metrics: resolvedConversations_byCCP/_byConsumer/_bySystem,
  totalResolvedConversations, totalHandlingTime_resolvedConversations(_byCCP/_byConsumer/_bySystem),
  avgTime_resolvedConversations(_byCCP/_byConsumer/_bySystem). A POST with the parameters as a JSON body is
  documented too (for long agentIds lists).

Decided by the emulator: queue samples are taken at each minute start (a skill has no sample in a minute when its
queue was empty; an interval's average counts such minutes as 0; a skill without any sample in the interval is
left out); msgconversation intervals are listed oldest first (the agent-segments example's order); handling times
are in seconds; averages and queue states are written as whole numbers when they are whole (`300`, not `300.0`),
as the docs' examples write them; without skillIds the queue health answers `metricsTotal` only (account level); `source` is
accepted and ignored.
"""

import json
import math
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .data import Directory
from .http_types import Request

MINUTE_MS = 60_000
BUCKET_MS = 5 * MINUTE_MS
MAX_TIMEFRAME = 1440
MIN_INTERVAL = 5

QUEUE_METRICS = ("unassignedConversations", "actionableConversations", "notActionableConversations",
                 "actionableAndManualSla", "actionableAndDuringTransfer", "actionableAndConsumerLastMessage",
                 "notActionableDuringTransfer", "notActionableAndManualSla",
                 "unassignedConversationsAndFirstTimeConsumer")
_RESOLVERS = ("CCP", "Consumer", "System")


class BadOperationsQuery(Exception):
    """Answered as 400 with this message."""


@dataclass(frozen=True)
class OperationsQuery:
    timeframe: int  # minutes
    interval: int | None  # minutes
    skill_ids: frozenset[int] | str | None  # "all", ids, or None (not asked for)
    agent_ids: frozenset[int] | str | None


def _ids(raw, name: str):
    if raw is None or raw == "":
        return None
    if str(raw).strip().lower() == "all":
        return "all"
    try:
        return frozenset(int(part) for part in str(raw).split(",") if part.strip())
    except ValueError:
        raise BadOperationsQuery(f"{name} must be 'all' or comma-separated numbers") from None


def parse_operations_query(request: Request, with_agents: bool) -> OperationsQuery:
    params = {name: values[0] for name, values in request.params.items()}
    if request.method == "POST" and request.body.strip():
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadOperationsQuery("body must be JSON") from None
        if not isinstance(body, dict):
            raise BadOperationsQuery("body must be a JSON object")
        params.update({k: str(v) for k, v in body.items() if v is not None})
    if params.get("v") not in ("1", "1.0"):
        raise BadOperationsQuery("v is required and must be 1")
    try:
        timeframe = int(params.get("timeframe", ""))
    except ValueError:
        raise BadOperationsQuery("timeframe (minutes) is required and must be a number") from None
    if not 1 <= timeframe <= MAX_TIMEFRAME:
        raise BadOperationsQuery(f"timeframe must be between 1 and {MAX_TIMEFRAME} minutes")
    interval = None
    if params.get("interval") not in (None, ""):
        try:
            interval = int(params["interval"])
        except ValueError:
            raise BadOperationsQuery("interval must be a number of minutes") from None
        if interval < MIN_INTERVAL:
            raise BadOperationsQuery(f"interval must be at least {MIN_INTERVAL} minutes")
        if interval > timeframe or timeframe % interval:
            raise BadOperationsQuery("interval must be at most timeframe and a divisor of it")
    return OperationsQuery(timeframe, interval, _ids(params.get("skillIds"), "skillIds"),
                           _ids(params.get("agentIds"), "agentIds") if with_agents else None)


def as_json_number(value: float):
    """A whole number as LivePerson writes it (`300`, `0`), a fraction as a fraction: the docs document these metrics
    as doubles, yet their examples answer whole numbers without a decimal point (`0` for an agent with nothing
    resolved), so a client meets both in one column."""
    return int(value) if float(value).is_integer() else value


def _activity(ms: int) -> float:
    """0.2 at night .. 1.0 in the afternoon (UTC)."""
    hour = (ms % 86_400_000) / 3_600_000
    return 0.2 + 0.8 * max(0.0, math.sin(math.pi * (hour - 6) / 16)) if 6 <= hour <= 22 else 0.2


class OperationsData:
    def __init__(self, account: str, seed: int, directory: Directory):
        self._account = account
        self._seed = seed
        self.skills = [s["id"] for s in directory.skills if not s["deleted"]]
        usual, _ = directory.agents_for_conversations()
        self._agents = [(agent_id, directory.user_by_id[agent_id]["skillIds"]) for agent_id in sorted(usual)]
        self._minutes: OrderedDict[int, dict] = OrderedDict()
        self._buckets: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()

    # Queue health

    def _minute(self, minute_ms: int) -> dict[int, tuple]:
        with self._lock:
            cached = self._minutes.get(minute_ms)
        if cached is not None:
            return cached
        rng = random.Random(f"lp-emulator/queue/{self._account}/{self._seed}/{minute_ms}")
        load = _activity(minute_ms)
        sample = {}
        for skill_id in self.skills:
            if rng.random() > 0.4 + 0.5 * load:
                continue  # an empty queue: no sample
            actionable = rng.randint(0, round(12 * load))
            not_actionable = rng.randint(0, round(6 * load))
            sample[skill_id] = (
                actionable + not_actionable,
                actionable,
                not_actionable,
                rng.randint(0, actionable),
                rng.randint(0, actionable),
                rng.randint(0, actionable),
                rng.randint(0, not_actionable),
                rng.randint(0, not_actionable),
                rng.randint(0, actionable + not_actionable),
            )
        with self._lock:
            self._minutes[minute_ms] = sample
            if len(self._minutes) > 6000:
                self._minutes.popitem(last=False)
        return sample

    def queue_metrics(self, low_ms: int, high_ms: int, skill_ids) -> dict:
        """metricsData of [low_ms, high_ms): `skillsMetrics` (when skill_ids is "all" or ids) and `metricsTotal`."""
        first = -(-low_ms // MINUTE_MS) * MINUTE_MS
        minutes = range(first, high_ms, MINUTE_MS)
        count = len(minutes)
        sums: dict[int, list[int]] = {}
        for minute in minutes:
            for skill_id, values in self._minute(minute).items():
                acc = sums.setdefault(skill_id, [0] * len(QUEUE_METRICS))
                for index, value in enumerate(values):
                    acc[index] += value
        chosen = self.skills if skill_ids in (None, "all") else [s for s in self.skills if s in skill_ids]
        averages = {skill_id: [total / count for total in sums[skill_id]]
                    for skill_id in chosen if skill_id in sums and count}
        totals = [as_json_number(round(sum(values[i] for values in averages.values()), 4))
                  for i in range(len(QUEUE_METRICS))]
        data = {}
        if skill_ids is not None:
            data["skillsMetrics"] = {str(skill_id): dict(zip(QUEUE_METRICS, (as_json_number(round(v, 4))
                                                                               for v in values)))
                                     for skill_id, values in averages.items()}
        data["metricsTotal"] = dict(zip(QUEUE_METRICS, totals))
        return data

    def queue_health_answer(self, query: OperationsQuery, now_ms: int) -> dict:
        start = now_ms - query.timeframe * MINUTE_MS
        if query.interval is None:
            return self.queue_metrics(start, now_ms, query.skill_ids)
        step = query.interval * MINUTE_MS
        intervals = [{"timestamp": now_ms - k * step, "metricsData": self.queue_metrics(now_ms - k * step,
                                                                                       now_ms - (k - 1) * step,
                                                                                       query.skill_ids)}
                     for k in range(1, query.timeframe // query.interval + 1)]
        return {"metricsByIntervals": intervals,
                "timeframeSummary": self.queue_metrics(start, now_ms, query.skill_ids)}

    # Messaging conversation

    def _bucket(self, bucket_ms: int) -> tuple:
        """Resolved conversations of one 5-minute bucket: (time, agentId, skillId, resolvedBy, handling s)."""
        with self._lock:
            cached = self._buckets.get(bucket_ms)
        if cached is not None:
            return cached
        rng = random.Random(f"lp-emulator/resolutions/{self._account}/{self._seed}/{bucket_ms}")
        events = []
        if self._agents:
            for _ in range(rng.randint(0, round(4 * _activity(bucket_ms)))):
                agent_id, skills = rng.choice(self._agents)
                skill_id = rng.choice(skills) if skills and rng.random() < 0.9 else -1
                resolver = rng.choices(_RESOLVERS, weights=(45, 35, 20))[0]
                events.append((bucket_ms + rng.randrange(BUCKET_MS), agent_id, skill_id, resolver,
                               rng.randrange(30, 1800)))
        events = tuple(sorted(events))
        with self._lock:
            self._buckets[bucket_ms] = events
            if len(self._buckets) > 2000:
                self._buckets.popitem(last=False)
        return events

    def resolutions(self, low_ms: int, high_ms: int) -> list[tuple]:
        """Events with low_ms <= time < high_ms."""
        found = []
        bucket = low_ms // BUCKET_MS * BUCKET_MS
        while bucket < high_ms:
            found.extend(e for e in self._bucket(bucket) if low_ms <= e[0] < high_ms)
            bucket += BUCKET_MS
        return found

    @staticmethod
    def _metrics(events) -> dict:
        counts = {r: 0 for r in _RESOLVERS}
        handling = {r: 0 for r in _RESOLVERS}
        for _, _, _, resolver, seconds in events:
            counts[resolver] += 1
            handling[resolver] += seconds
        total, total_handling = sum(counts.values()), sum(handling.values())

        def average(h, c):
            return as_json_number(round(h / c, 6)) if c else 0

        metrics = {f"resolvedConversations_by{r}": counts[r] for r in _RESOLVERS}
        metrics["totalResolvedConversations"] = total
        metrics.update({f"totalHandlingTime_resolvedConversations_by{r}": handling[r] for r in _RESOLVERS})
        metrics["totalHandlingTime_resolvedConversations"] = total_handling
        metrics.update({f"avgTime_resolvedConversations_by{r}": average(handling[r], counts[r]) for r in _RESOLVERS})
        metrics["avgTime_resolvedConversations"] = average(total_handling, total)
        return metrics

    def conversation_metrics_of(self, events, agent_ids, skill_ids) -> dict:
        """metricsData of these events, shaped by which ids were asked for."""
        if agent_ids is None and skill_ids is None:
            return {"metricsTotals": self._metrics(events)}

        def per_agent(selected) -> dict:
            grouped: dict[int, list] = {}
            for event in selected:
                grouped.setdefault(event[1], []).append(event)
            return {str(agent_id): self._metrics(grouped[agent_id]) for agent_id in sorted(grouped)}

        if agent_ids not in (None, "all"):
            events = [e for e in events if e[1] in agent_ids]
        data = {}
        if skill_ids is not None:
            in_skills = [e for e in events if e[2] != -1 and (skill_ids == "all" or e[2] in skill_ids)]
            grouped: dict[int, list] = {}
            for event in in_skills:
                grouped.setdefault(event[2], []).append(event)
            data["skillsMetricsPerAgent"] = {
                "metricsPerSkill": {str(skill_id): {"metricsPerAgent": per_agent(grouped[skill_id]),
                                                    "metricsTotals": self._metrics(grouped[skill_id])}
                                    for skill_id in sorted(grouped)},
                "metricsTotals": self._metrics(in_skills),
            }
        if agent_ids is not None:
            data["agentsMetrics"] = {"metricsPerAgent": per_agent(events), "metricsTotals": self._metrics(events)}
        return data

    def conversation_answer(self, query: OperationsQuery, now_ms: int) -> dict:
        data_start = (now_ms - query.timeframe * MINUTE_MS) // BUCKET_MS * BUCKET_MS
        happened = now_ms + 1  # events up to the request time, never after it
        if query.interval is None:
            return self.conversation_metrics_of(self.resolutions(data_start, happened),
                                                query.agent_ids, query.skill_ids)
        step = query.interval * MINUTE_MS
        last_end = -(-now_ms // BUCKET_MS) * BUCKET_MS
        intervals = []
        end = last_end
        while end > data_start:
            start = max(end - step, data_start)
            events = self.resolutions(start, min(end, happened))
            intervals.append({"timestamp": end,
                              "metricsData": self.conversation_metrics_of(events, query.agent_ids, query.skill_ids)})
            end -= step
        intervals.reverse()
        return {"metricsByIntervals": intervals,
                "timeframeSummary": self.conversation_metrics_of(self.resolutions(data_start, happened),
                                                                 query.agent_ids, query.skill_ids)}
