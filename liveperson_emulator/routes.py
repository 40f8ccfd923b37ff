"""What each URL answers: CSDS, account configuration, conversation search (and search by ids), the OAuth2 token
endpoint, and the Agent Activity, Engagement History (chat) and Messaging Operations APIs."""

import re
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, unquote

from . import faults as kinds
from .agent_activity import BadStatusQuery, bad_request, matching_changes, parse_status_query, references
from .agent_activity import timeframe, v1_agents
from .auth import OAuth1Verifier, TokenStore
from .business_hours import SPECIAL_OCCASION_VERSIONS, WORKDAYS_VERSIONS
from .catalogs import (LOB_VERSIONS, PREDEFINED_CONTENT_VERSIONS, PROFILE_VERSIONS, STATUS_REASON_VERSIONS,
                       filter_predefined_content)
from .changes import LiveConversations
from .chats import matching_chats, parse_chat_search
from .data import Dataset
from .extra_data import ExtraData
from .faults import FaultInjector
from .http_types import Request, Response, dropped_connection, error, json_response, service_unavailable_page
from .operations import BadOperationsQuery, parse_operations_query
from .permissions import forbidden_message
from .search import BadSearch, PagedQuery, matching_headers, parse_ids_search, parse_search, with_offset
from .stats import Stats

CSDS_SERVICES = ("accountConfigReadOnly", "msgHist", "sentinel", "engHistDomain", "agentActivityDomain")
OPERATIONS_SERVICE = "leDataReporting"
CONFIG_VERSIONS = {"users": "6.0", "skills": "4.0", "agentGroups": "4.0"}
# Accepted `v` of the other collections, and whether it is required (the docs: profiles "v=4.0 Required"; LOBs
# "Required, Default 1.0 (Most updated: v=4.0)"; status reasons list no `v` on the method page (the overview says
# "Default Value: 1.0"); predefined content lists no `v`, community code sends 2.0).
CATALOG_VERSIONS = {"statusReasons": (STATUS_REASON_VERSIONS, False), "profiles": (PROFILE_VERSIONS, True),
                    "lobs": (LOB_VERSIONS, True), "predefinedContent": (PREDEFINED_CONTENT_VERSIONS, False)}

# A table of patterns rather than a routing library: Starlette's router (installed with Dagster) needs an ASGI server,
# which cannot drop a connection or truncate a body mid-answer as the faults do; Werkzeug's would be a new dependency.
_CSDS_ALL = re.compile(r"/api/account/([^/]+)/service/baseURI\.json")
_CSDS_ONE = re.compile(r"/api/account/([^/]+)/service/([^/]+)/baseURI\.json")
_CONFIG = re.compile(r"/api/account/([^/]+)/configuration/le-users/(users|skills|agentGroups)")
_SEARCH = re.compile(r"/messaging_history/api/account/([^/]+)/conversations/search")
_SEARCH_BY_IDS = re.compile(r"/messaging_history/api/account/([^/]+)/conversations/conversation/search")
_TOKEN = re.compile(r"/sentinel/api/v2/account/([^/]+)/app/token")
_STATUS_REASONS = re.compile(r"/api/account/([^/]+)/configuration/le-agents/status-reasons")
_AC_COMMON = re.compile(r"/api/account/([^/]+)/configuration/ac-common/(workinghours|specialoccasion)(?:/([^/]+))?")
_AC_COMMON_KINDS = {"workinghours": ("workingHours", WORKDAYS_VERSIONS),
                    "specialoccasion": ("specialOccasion", SPECIAL_OCCASION_VERSIONS)}
_CONFIG_MORE = re.compile(r"/api/account/([^/]+)/configuration/le-users/(profiles|lobs)")
_PREDEFINED_CONTENT = re.compile(r"/api/account/([^/]+)/configuration/engagement-window/canned-responses")
_STATUS_CHANGES = re.compile(r"/api/v2/account/([^/]+)/status-changes")
_CHAT_SEARCH = re.compile(r"/interaction_history/api/account/([^/]+)/interactions/search")
_OPERATIONS = re.compile(r"/operations/api/account/([^/]+)/(msgqueuehealth|msgconversation)")

_TRANSIENT_REFUSALS = {
    kinds.RETRY_AFTER_429: lambda: error(429, "Too many requests", {"Retry-After": "1"}),
    kinds.PLAIN_429: lambda: error(429, "Too many requests"),
    kinds.UNAVAILABLE_503: service_unavailable_page,
    kinds.ALWAYS_503: service_unavailable_page,
    kinds.DROP: dropped_connection,
}


class Api:
    def __init__(self, dataset: Dataset, address: str, injector: FaultInjector, stats: Stats,
                 tokens: TokenStore, latency_ms: int, wait: Callable[[float], object],
                 config_page_size: int | None = None, config_paging_ignores_offset: bool = False,
                 extra: ExtraData | None = None, clock: Callable[[], float] = time.time,
                 conversations: LiveConversations | None = None, refuse_latest_update_time: bool = False,
                 holds: dict[str, threading.Event] | None = None):
        """`address` is host:port as advertised by CSDS and in search links; `wait` sleeps
        but returns early when the emulator stops; `clock` is the emulator's now (epoch seconds); `conversations`
        the dataset's conversations with the changes made to them since (EmulatorConfig has the last option);
        `holds`: endpoint name -> an event its requests wait for before they are answered (Emulator.holding)."""
        self._holds = holds if holds is not None else {}
        self._data = dataset
        self._conversations = (conversations if conversations is not None
                               else LiveConversations(dataset.conversations, clock))
        self._refuse_latest_update_time = refuse_latest_update_time
        self._account = dataset.account
        self._address = address
        self._injector = injector
        self._stats = stats
        self._tokens = tokens
        self._latency_s = latency_ms / 1000
        self._wait = wait
        self._config_page_size = config_page_size
        self._config_paging_ignores_offset = config_paging_ignores_offset
        self._extra = extra
        self._clock = clock
        self._listed_services = CSDS_SERVICES + (OPERATIONS_SERVICE,)
        creds = dataset.credentials
        self._oauth1 = OAuth1Verifier(creds.app_key, creds.app_secret, creds.access_token, creds.access_token_secret)
        # (pattern, methods, endpoint name in stats (None: the pattern's second group), handler); the original five
        # first, so the conversation search is found as fast as before.
        self._routes = (
            (_CSDS_ALL, ("GET",), "csds_all", self._csds_all),
            (_CSDS_ONE, ("GET",), "csds", self._csds_one),
            (_CONFIG, ("GET",), None, self._config),
            (_SEARCH, ("POST",), "search", self._search),
            (_TOKEN, ("POST",), "token", self._token),
            (_SEARCH_BY_IDS, ("POST",), "searchByIds", self._search_by_ids),
            (_AC_COMMON, ("GET",), None, self._business_hours),
        )
        if extra is not None:
            self._routes += (
                (_STATUS_REASONS, ("GET",), "statusReasons", lambda r, a: self._catalog(r, a, "statusReasons")),
                (_CONFIG_MORE, ("GET",), None, self._catalog),
                (_PREDEFINED_CONTENT, ("GET",), "predefinedContent",
                 lambda r, a: self._catalog(r, a, "predefinedContent")),
                (_STATUS_CHANGES, ("GET",), "statusChanges", self._status_changes),
                (_CHAT_SEARCH, ("POST",), "chatSearch", self._chat_search),
                (_OPERATIONS, ("GET", "POST"), None, self._operations),
            )

    def handle(self, request: Request) -> Response:
        """Answers after the configured latency at the earliest: the latency is the API's answer time, so the
        emulator's own work on a request counts toward it (on a real account that work is not on this machine)."""
        started = time.monotonic()
        response = self._route(request)
        remaining = self._latency_s - (time.monotonic() - started)
        if remaining > 0:
            self._wait(remaining)
        return response

    def _route(self, request: Request) -> Response:
        path = unquote(request.path)
        for pattern, methods, endpoint, answer in self._routes:
            match = pattern.fullmatch(path)
            if match:
                self._stats.count_request(endpoint or match.group(2))
                hold = self._holds.get(endpoint or match.group(2))
                if hold is not None:
                    hold.wait()
                if request.method not in methods:
                    return error(405, f"Method {request.method} not allowed", {"Allow": ", ".join(methods)})
                return answer(request, *match.groups())
        self._stats.count_request("not_found")
        return error(404, f"No resource at {path}")

    # CSDS: no authentication, never faulted except for the persistent host override.

    def _csds_refusal(self, request: Request, account: str) -> Response | None:
        if request.param("version") != "1.0":
            return error(400, "version must be 1.0")
        if account != self._account:
            return error(401, f"Invalid site {account}")
        return None

    def _base_uri(self, service: str) -> dict:
        override = self._injector.faults.csds_host_override
        if override:
            self._stats.count_fault(kinds.CSDS_HOST_OVERRIDE)
        return {"service": service, "account": self._account, "baseURI": override or self._address}

    def _csds_one(self, request: Request, account: str, service: str) -> Response:
        refusal = self._csds_refusal(request, account)
        if refusal:
            return refusal
        if service not in CSDS_SERVICES and service != OPERATIONS_SERVICE:
            return error(404, f"Unknown service {service}")
        return json_response(200, self._base_uri(service))

    def _csds_all(self, request: Request, account: str) -> Response:
        refusal = self._csds_refusal(request, account)
        return refusal or json_response(200, {"baseURIs": [self._base_uri(s) for s in self._listed_services]})

    # Data endpoints: authenticated, then subject to faults.

    def _authentication_refusal(self, request: Request, account: str) -> Response | None:
        if account != self._account:
            return error(401, f"Invalid site {account}")
        scheme, _, credentials = (request.header("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "bearer":
            if self._tokens.is_valid(credentials.strip()):
                return None
            self._stats.count("bearer_rejected")
            return error(401, "Invalid or expired bearer token")
        if scheme.lower() == "oauth":
            # Verify against the URL the client signed.
            host = request.header("Host") or self._address
            url = f"http://{host}{request.path}" + (f"?{request.raw_query}" if request.raw_query else "")
            if self._oauth1.verify(url, request.method, request.headers, request.body):
                return None
            self._stats.count("oauth1_rejected")
            return error(401, "OAuth1 verification failed")
        self._stats.count("unauthenticated")
        return error(401, "Authentication required")

    def _serve_data(self, request: Request, account: str, is_search: bool,
                    produce: Callable[[bool], Response], api: str | None = None) -> Response:
        """Authentication (401), then permission for `api` (403, Faults.forbidden_apis), then faults."""
        refusal = self._authentication_refusal(request, account)
        if refusal:
            return refusal
        if api is not None and api in self._injector.faults.forbidden_apis:
            self._stats.count_fault(kinds.FORBIDDEN)
            return error(403, forbidden_message(api))
        fault = self._injector.draw(is_search)
        if fault in _TRANSIENT_REFUSALS:
            self._stats.count_fault(fault)
            return _TRANSIENT_REFUSALS[fault]()
        if fault == kinds.SLOW:
            self._stats.count_fault(fault)
            self._wait(self._injector.faults.slow_seconds)
        response = produce(fault == kinds.PARTIAL)
        if response.status == 200 and (fault == kinds.TRUNCATED or self._injector.faults.always_truncated):
            self._stats.count_fault(kinds.TRUNCATED if fault == kinds.TRUNCATED else kinds.ALWAYS_TRUNCATED)
            response.body = response.body[: len(response.body) // 2]
        return response

    def _config(self, request: Request, account: str, kind: str) -> Response:
        def produce(_partial: bool) -> Response:
            version = request.param("v")
            if version != CONFIG_VERSIONS[kind]:
                return error(400, f"Unsupported version {version!r}; use v={CONFIG_VERSIONS[kind]}")
            include_deleted = (request.param("include_deleted") or "").lower() == "true"
            revision = str(self._data.directory.revisions[kind])
            records = self._data.directory.listing(kind, include_deleted)
            return json_response(200, self._paged(request, records), {"ETag": revision, "ac-revision": revision})

        return self._serve_data(request, account, False, produce, kind)

    def _paged(self, request: Request, records: list):
        if self._config_page_size is None:
            return records
        if self._config_paging_ignores_offset:
            return {"data": records}
        limit = int(request.param("limit") or self._config_page_size)
        offset = int(request.param("offset") or 0)
        return {"data": records[offset: offset + limit], "count": len(records), "limit": limit, "offset": offset}

    def _search(self, request: Request, account: str) -> Response:
        return self._serve_data(request, account, True, lambda partial: self._search_page(request, partial),
                                "msgHist")

    def _search_page(self, request: Request, partial: bool) -> Response:
        try:
            query = parse_search(request, self._refuse_latest_update_time)
        except BadSearch as problem:
            return error(400, str(problem))
        if self._injector.faults.window_unavailable(query.from_ms, query.to_ms):
            self._stats.count_fault(kinds.UNAVAILABLE_DAY)
            return service_unavailable_page()
        conversations = self._conversations
        found = matching_headers(conversations, query, conversations.now_ms())
        page = self._partial_page(found[query.offset: query.offset + query.limit], partial)
        records = self._served(page, query.parts)
        metadata = self._search_metadata(request, query, len(found))
        metadata["shardsStatusResult"] = {"partialResult": partial}
        return json_response(200, {"_metadata": metadata, "conversationHistoryRecords": records})

    def _served(self, headers: list, parts: tuple[str, ...]) -> list:
        """The records of an answer (each a serving, for the records marked partial), drifted by that fault."""
        drift = self._injector.faults.schema_drift or self._injector.faults.type_drift
        records = [self._conversations.serve(header, parts, serialized=not drift) for header in headers]
        if self._injector.faults.schema_drift:
            self._stats.count_fault("schema_drift")
            records = [drifted(record) for record in records]
        if self._injector.faults.type_drift:
            self._stats.count_fault("type_drift")
            records = [type_drifted(record) for record in records]
        return records

    def _search_by_ids(self, request: Request, account: str) -> Response:
        """The records of the ids found, in the order asked; unknown and deleted ids are left out."""
        def produce(partial: bool) -> Response:
            try:
                query = parse_ids_search(request)
            except BadSearch as problem:
                return error(400, str(problem))
            found = [h for h in map(self._conversations.header_of, query.conversation_ids) if h is not None]
            records = self._served(self._partial_page(found, partial), query.parts)
            base = f"http://{self._address}{request.path}"
            metadata = {"count": len(found),
                        "self": {"rel": "self", "href": base + (f"?{request.raw_query}" if request.raw_query else "")},
                        "shardsStatusResult": {"partialResult": partial}}
            return json_response(200, {"_metadata": metadata, "conversationHistoryRecords": records})

        return self._serve_data(request, account, True, produce, "msgHist")

    def _partial_page(self, records: list, partial: bool) -> list:
        """The page's records (or headers), some left out when the answer is partial (a fault)."""
        if not partial:
            return records
        self._stats.count_fault(kinds.PARTIAL)
        left_out = self._injector.records_to_drop(len(records))
        return [r for index, r in enumerate(records) if index not in left_out]

    def _search_metadata(self, request: Request, query: PagedQuery, total: int) -> dict:
        """A search page's count (inflated by that fault), self, and next when there is more (or when the faults
        loop it back to the first page; on another host when they say so)."""
        faults = self._injector.faults
        count = total
        if faults.count_inflation:
            self._stats.count_fault(kinds.COUNT_INFLATION)
            count += faults.count_inflation
        base = f"http://{self._address}{request.path}"
        metadata = {"count": count,
                    "self": {"rel": "self", "href": base + (f"?{request.raw_query}" if request.raw_query else "")}}
        next_host, loop = self._next_target()
        if loop or query.offset + query.limit < total:
            if loop:
                self._stats.count_fault(kinds.NEXT_LOOP)
            if next_host:
                self._stats.count_fault(kinds.NEXT_HOST)
            target = 0 if loop else query.offset + query.limit
            next_base = f"http://{next_host}{request.path}" if next_host else base
            metadata["next"] = {"rel": "next", "href": f"{next_base}?{with_offset(request.raw_query, target)}"}
        return metadata

    # More account configuration: status reasons, profiles, LOBs, predefined content.

    def _catalog(self, request: Request, account: str, kind: str) -> Response:
        def produce(_partial: bool) -> Response:
            versions, required = CATALOG_VERSIONS[kind]
            version = request.param("v")
            if (version is None and required) or (version is not None and version not in versions):
                return error(400, f"Unsupported version {version!r}; use v={versions[-1]}")
            include_deleted = (request.param("include_deleted") or "").lower() == "true"
            catalogs = self._extra.catalogs
            records = catalogs.listing(kind, include_deleted)
            if kind == "predefinedContent":
                try:
                    records = filter_predefined_content(
                        records, _id_set(request.param("skill_ids")), _id_set(request.param("ids")),
                        {lang.strip().lower() for lang in request.param("lang").split(",") if lang.strip()}
                        if request.param("lang") else None)
                except ValueError:
                    return error(400, "skill_ids and ids must be comma-separated numbers")
            revision = str(catalogs.revisions[kind])
            return json_response(200, self._paged(request, records), {"ETag": revision, "ac-revision": revision})

        return self._serve_data(request, account, False, produce, kind)

    # Workdays and special occasions: the list names the objects, the by-id method answers each in full.

    def _business_hours(self, request: Request, account: str, path_kind: str, item_id: str | None) -> Response:
        kind, versions = _AC_COMMON_KINDS[path_kind]

        def produce(_partial: bool) -> Response:
            version = request.param("v")
            if version not in versions:
                return error(400, f"Unsupported version {version!r}; use v={versions[-1]}")
            hours = self._data.business_hours
            headers = {"ac-revision": str(hours.revisions[kind])}
            if item_id is None:
                include_deleted = (request.param("include_deleted") or "").lower() == "true"
                return json_response(200, hours.listing(kind, include_deleted), headers)
            found = hours.by_id(kind, item_id)
            if found is None:
                return error(404, f"Data not found: no {kind} object {item_id}")
            return json_response(200, found, headers)

        return self._serve_data(request, account, False, produce, kind)

    # Agent Activity: status changes.

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _next_target(self) -> tuple[str | None, bool]:
        """(host of `next` links, whether `next` loops back to the first page) as the faults decide."""
        faults = self._injector.faults
        return faults.next_host, faults.next_loop

    def _status_changes(self, request: Request, account: str) -> Response:
        def produce(_partial: bool) -> Response:
            try:
                query = parse_status_query(request, self._now_ms())
            except BadStatusQuery as problem:
                return bad_request(problem.causes)
            records = matching_changes(self._extra.status_changes, query)
            items = records if query.version == "2" else v1_agents(records)
            page = items[query.offset: query.offset + query.limit]
            base = f"http://{self._address}{request.path}"
            next_host, loop = self._next_target()
            has_next = loop or query.offset + query.limit < len(items)
            if has_next and loop:
                self._stats.count_fault(kinds.NEXT_LOOP)
            if has_next and next_host:
                self._stats.count_fault(kinds.NEXT_HOST)
            refs = references(base, request.raw_query, query.offset, query.limit, len(items),
                              f"http://{next_host}{request.path}" if next_host else None, loop)
            body = {"_metadata": {"references": refs}, "timeframe": timeframe(query)}
            body["stateChanges" if query.version == "2" else "agentsInfo"] = page
            return json_response(200, body)

        return self._serve_data(request, account, False, produce, "agentActivity")

    # Engagement History: chat search.

    def _chat_search(self, request: Request, account: str) -> Response:
        def produce(partial: bool) -> Response:
            try:
                query = parse_chat_search(request)
            except BadSearch as problem:
                return error(400, str(problem))
            store = self._extra.chats
            found = matching_chats(store, query)
            page = found[query.offset: query.offset + query.limit]
            records = self._partial_page([store.record(header) for header in page], partial)
            metadata = self._search_metadata(request, query, len(found))
            if len(found) > query.limit:
                last = (len(found) - 1) // query.limit * query.limit
                base = f"http://{self._address}{request.path}"
                metadata["last"] = {"rel": "last", "href": f"{base}?{with_offset(request.raw_query, last)}"}
            metadata["shardsStatusResult"] = {"failureShards": 1 if partial else 0, "totalShards": 6,
                                              "partialResult": partial}
            return json_response(200, {"_metadata": metadata, "interactionHistoryRecords": records})

        return self._serve_data(request, account, True, produce, "engHist")

    # Messaging Operations: queue health and conversation metrics.

    def _operations(self, request: Request, account: str, kind: str) -> Response:
        if kind == "msgqueuehealth" and request.method != "GET":
            return error(405, f"Method {request.method} not allowed", {"Allow": "GET"})

        def produce(_partial: bool) -> Response:
            try:
                query = parse_operations_query(request, with_agents=kind == "msgconversation")
            except BadOperationsQuery as problem:
                return error(400, str(problem))
            operations, now = self._extra.operations, self._now_ms()
            if kind == "msgqueuehealth":
                return json_response(200, operations.queue_health_answer(query, now))
            return json_response(200, operations.conversation_answer(query, now))

        return self._serve_data(request, account, False, produce, "operations")

    # OAuth2 token endpoint: no authentication header, never faulted.

    def _token(self, request: Request, account: str) -> Response:
        if account != self._account:
            return error(401, f"Invalid site {account}")
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)

        def field(name: str) -> str:
            return (form.get(name) or [""])[0]

        if field("grant_type") != "client_credentials":
            return error(400, "grant_type must be client_credentials")
        if not self._tokens.client_matches(field("client_id"), field("client_secret")):
            return error(401, "Invalid client credentials")
        token = self._tokens.issue()
        self._stats.count("tokens_issued")
        return json_response(200, {"access_token": token, "token_type": "Bearer",
                                   "expires_in": self._tokens.ttl_seconds},
                             {"Cache-Control": "no-store"})


def _id_set(raw: str | None) -> set[int] | None:
    if raw is None or raw == "":
        return None
    return {int(part) for part in raw.split(",") if part.strip()}


def drifted(record: dict) -> dict:
    """A record as a newer API version might send it."""
    changed = {key: value for key, value in record.items() if key not in ("summary", "transfers")}
    info = dict(changed["info"])
    info["brandSegment"] = {"tier": "gold", "region": "emea"}
    changed["info"] = info
    return changed


def type_drifted(record: dict) -> dict:
    """A record whose `info.mcs` (a number in the docs) is sent as text."""
    info = dict(record["info"])
    if "mcs" in info:
        info["mcs"] = f"score {info['mcs']}"
    return {**record, "info": info}
