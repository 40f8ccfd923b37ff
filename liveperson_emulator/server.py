"""The HTTP server (stdlib ThreadingHTTPServer) and the Emulator that owns it."""

import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .auth import TokenStore
from .changes import Change, LiveConversations
from .config import EmulatorConfig
from .data import Dataset, datetime_to_ms
from .extra_data import build_extra_data
from .faults import FaultInjector, Faults
from .http_types import Request, Response, error
from .routes import Api
from .stats import Stats
from .times import ms_to_datetime


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    server_version = "LivePersonEmulator/1.0"
    sys_version = ""

    def version_string(self):
        return self.server_version

    server: "_Server"

    def setup(self):
        super().setup()
        self.server.track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _serve(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the unread body would be taken for the next request
            self._send(error(400, "Invalid Content-Length"))
            return
        body = self.rfile.read(length) if length else b""
        path, _, raw_query = self.path.partition("?")
        request = Request(self.command, path, raw_query, dict(self.headers.items()), body)
        self.server.stats.request_started()
        try:
            response = self.server.api.handle(request)
        finally:
            self.server.stats.request_finished()
        if response.drop_connection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._log(path, "dropped")
            return
        self._send(response)
        self._log(path, response.status)

    def _send(self, response: Response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _log(self, path: str, status):
        # Method, path and status only: never the query string or headers (they carry credentials).
        if self.server.verbose:
            print(f"{self.command} {path} {status}", file=sys.stderr, flush=True)

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: Api
    stats: Stats
    verbose: bool = False

    def __init__(self, address):
        super().__init__(address, _Handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection):
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection):
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self):
        """Idle keep-alive connections would otherwise keep answering after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # Clients that time out or hang up mid-answer are expected (slow and drop faults).
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class Emulator:
    """A local LivePerson on one port: CSDS, account configuration (users, skills, agent groups, status reasons,
    profiles, LOBs, predefined content, workdays, special occasions), conversation search (and search by ids), OAuth2, agent status changes
    (Agent Activity), chat search (Engagement History) and Messaging Operations. Tests can change conversations
    after they were served (update_conversation) and have them served as partial records (make_partial)."""

    def __init__(self, config: EmulatorConfig | None = None):
        self.config = config or EmulatorConfig()
        cfg = self.config
        self._dataset = Dataset(cfg.account, cfg.seed, cfg.first_day, cfg.last_day,
                                cfg.conversations_per_day, cfg.empty_days, cfg.directory_of)
        self._extra = build_extra_data(self._dataset, cfg.seed, cfg.first_day, cfg.last_day, cfg.empty_days,
                                       cfg.chats_per_day, cfg.agents_with_status)
        self._conversations = LiveConversations(self._dataset.conversations, cfg.clock)
        if cfg.serialize_ahead:
            self._conversations.serialize_ahead()
        self._injector = FaultInjector(cfg.faults, cfg.seed)
        self._tokens = TokenStore(cfg.account, self._dataset.credentials.client_id,
                                  self._dataset.credentials.client_secret, cfg.token_ttl_seconds, cfg.clock)
        self.stats = Stats()
        self._stopping = threading.Event()
        self._holds: dict[str, threading.Event] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> "Emulator":
        if self._server is not None:
            raise RuntimeError("emulator already started")
        server = _Server((self.config.host, self.config.port))
        server.verbose = self.config.verbose
        server.stats = self.stats
        server.api = Api(self._dataset, self._advertised_address(server.server_address[1]), self._injector,
                         self.stats, self._tokens, self.config.latency_ms, self._stopping.wait,
                         self.config.config_page_size, self.config.config_paging_ignores_offset,
                         extra=self._extra, clock=self.config.clock, conversations=self._conversations,
                         refuse_latest_update_time=self.config.refuse_latest_update_time, holds=self._holds)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"liveperson-emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._stopping.is_set():
            return
        self._stopping.set()  # releases slow-fault and latency waits
        for hold in list(self._holds.values()):
            hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)

    @contextmanager
    def holding(self, endpoint: str) -> Iterator[None]:
        """While the block runs, requests to `endpoint` (named as in stats["requests"]: "search", "csds", ...) are
        received and counted but not answered: they stay in flight until the block ends (or the emulator stops), and
        are answered then. For tests that need requests of several clients in flight at one moment."""
        release = threading.Event()
        self._holds[endpoint] = release
        try:
            yield
        finally:
            del self._holds[endpoint]
            release.set()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # Where and how to connect

    def _advertised_address(self, port: int) -> str:
        host = self.config.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"{host}:{port}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server.server_address[1]

    @property
    def csds_url(self) -> str:
        return f"http://{self._advertised_address(self.port)}"

    @property
    def credentials(self) -> dict[str, str]:
        return self._dataset.credentials.as_dict()

    def env(self, oauth2: bool = False) -> dict[str, str]:
        creds = self._dataset.credentials
        env = {"LIVEPERSON_CSDS_URL": self.csds_url, "LIVEPERSON_ACCOUNT_ID": creds.account_id}
        if oauth2:
            env.update(LIVEPERSON_CLIENT_ID=creds.client_id, LIVEPERSON_CLIENT_SECRET=creds.client_secret)
        else:
            env.update(
                LIVEPERSON_APP_KEY=creds.app_key,
                LIVEPERSON_APP_SECRET=creds.app_secret,
                LIVEPERSON_ACCESS_TOKEN=creds.access_token,
                LIVEPERSON_ACCESS_TOKEN_SECRET=creds.access_token_secret,
            )
        return env

    # What it serves

    def users(self, include_deleted: bool = True) -> list[dict]:
        return self._dataset.directory.listing("users", include_deleted)

    def skills(self, include_deleted: bool = True) -> list[dict]:
        return self._dataset.directory.listing("skills", include_deleted)

    def agent_groups(self, include_deleted: bool = True) -> list[dict]:
        return self._dataset.directory.listing("agentGroups", include_deleted)

    def workdays(self, include_deleted: bool = True) -> list[dict]:
        """The full workdays objects (each as its by-id method serves it)."""
        return self._dataset.business_hours.full("workingHours", include_deleted)

    def special_occasions(self, include_deleted: bool = True) -> list[dict]:
        """The full special-occasion objects (each as its by-id method serves it)."""
        return self._dataset.business_hours.full("specialOccasion", include_deleted)

    def _headers(self, start: datetime, end: datetime, updated_since: datetime | None = None):
        low, high = datetime_to_ms(start), datetime_to_ms(end)
        if high <= low:
            return []
        headers = self._conversations.headers_between(low, high - 1)
        if updated_since is None:
            return headers
        since, now = datetime_to_ms(updated_since), self._conversations.now_ms()
        return [h for h in headers if self._conversations.last_update_ms(h, now) >= since]

    def conversation_ids(self, start: datetime, end: datetime, updated_since: datetime | None = None) -> set[str]:
        """Ids of conversations with start <= startTime < end (tz-aware datetimes) and, with updated_since, last
        updated at or after it (exactly: the search's latestUpdateTime rounds its `from` down to 10 minutes)."""
        return {h.conversation_id for h in self._headers(start, end, updated_since)}

    def conversations(self, start: datetime, end: datetime, updated_since: datetime | None = None) -> list[dict]:
        """Full records (info and every part) as they are now, with start <= startTime < end (and last updated at
        or after updated_since, as conversation_ids), sorted by start then id."""
        return [self._conversations.record(h) for h in self._headers(start, end, updated_since)]

    def last_update(self, conversation_id: str) -> datetime:
        """When the conversation was last updated, as the search's latestUpdateTime filter sees it: the time of
        the last update_conversation, else the newest instant its generated record carries (its last message, its
        end when closed, its agent survey's last update), and never after the clock's now. KeyError when unknown
        or deleted."""
        conversations = self._conversations
        header = conversations.header_of(conversation_id)
        if header is None:
            raise KeyError(f"no conversation {conversation_id!r} is served (unknown or deleted)")
        return ms_to_datetime(conversations.last_update_ms(header, conversations.now_ms()))

    # Changes after a conversation was served (for tests), partial records

    def update_conversation(self, conversation_id: str, at: datetime, *, close: bool = False,
                            add_messages: int = 0, csat: int | None = None) -> dict:
        """What happens to a conversation at `at` (tz-aware, not after the clock's now, not before its last update),
        in this order: `add_messages` new messages (consumer and agent alternating as in generated ones, spread
        after its last message, the last at `at`; with their statuses and consumer scores), then it closes at `at`
        (`close`: status CLOSE, endTime, duration, close reason, in `info` and `dialogs`), then the consumer rates
        it (`csat`, 1 to 5: `info.csatRate` and a PostSurvey in conversationSurveys; only once it is closed).
        Its last update becomes `at`, and every view shows the change: both searches, every content part,
        conversations(), conversation_ids(updated_since=...), last_update(). Returns the full record as it is now.
        KeyError when unknown or deleted; ValueError for a change that cannot happen (a closed conversation gets
        no messages, `at` before its last update or after now, nothing to change)."""
        change = Change(datetime_to_ms(at), close=close, messages=add_messages, csat=csat)
        return self._conversations.update(conversation_id, change)

    def make_partial(self, conversation_ids: Iterable[str], times: int | None = 1) -> None:
        """The next `times` servings of each conversation (a record in an answer of either search) are partial:
        `info.isPartial` true and only the first half of its messages (with their statuses and scores); the
        servings after are whole again. times=None: partial for good. Views (conversations()) stay whole. KeyError
        when one is unknown or deleted."""
        self._conversations.mark_partial(conversation_ids, times)

    def delete_conversations(self, ids: Iterable[str]) -> None:
        """Serves these conversations no more, as after a privacy deletion request."""
        self._dataset.conversations.delete(ids)

    def delete_chat_engagements(self, ids: Iterable[str]) -> None:
        """Serves these chats no more, as after a privacy deletion request."""
        self._extra.chats.delete(ids)

    def generated_days(self, kind: str = "conversations") -> list:
        """Days whose conversations (or "statusChanges", or "chats") have been generated so far (generation is
        lazy, one UTC day at a time)."""
        stores = {"conversations": self._dataset.conversations, "statusChanges": self._extra.status_changes,
                  "chats": self._extra.chats}
        return stores[kind].generated_days

    # More account configuration (exactly as served; include_deleted=False leaves the deleted ones out)

    def status_reasons(self, include_deleted: bool = True) -> list[dict]:
        return self._extra.catalogs.listing("statusReasons", include_deleted)

    def profiles(self, include_deleted: bool = True) -> list[dict]:
        return self._extra.catalogs.listing("profiles", include_deleted)

    def lobs(self, include_deleted: bool = True) -> list[dict]:
        return self._extra.catalogs.listing("lobs", include_deleted)

    def predefined_content(self, include_deleted: bool = True) -> list[dict]:
        return self._extra.catalogs.listing("predefinedContent", include_deleted)

    # Agent Activity

    def status_changes(self, start: datetime, end: datetime) -> list[dict]:
        """State changes with start <= time < end (tz-aware datetimes), in the order the API serves them: by
        time, then agentId, then sequenceNumber. (The API's own bounds are both inclusive.)"""
        low, high = datetime_to_ms(start), datetime_to_ms(end)
        if high <= low:
            return []
        return [dict(r) for r in self._extra.status_changes.between(low, high - 1)]

    def status_agents(self) -> list[int]:
        """Ids of the users whose status changes are reported (EmulatorConfig.agents_with_status of them)."""
        return [agent.agent_id for agent in self._extra.status_changes.agents]

    # Engagement History (chat)

    def _chat_headers(self, start: datetime, end: datetime):
        low, high = datetime_to_ms(start), datetime_to_ms(end)
        if high <= low:
            return []
        return self._extra.chats.headers_between(low, high - 1)

    def chat_engagement_ids(self, start: datetime, end: datetime) -> set[str]:
        """engagementIds of the chats with start <= startTime < end."""
        return {h.engagement_id for h in self._chat_headers(start, end)}

    def chat_engagements(self, start: datetime, end: datetime) -> list[dict]:
        """Full chat records with start <= startTime < end, sorted by start then engagementId."""
        return [self._extra.chats.record(h) for h in self._chat_headers(start, end)]

    # Messaging Operations (any window here; the API itself reaches back 24 hours from now() at most)

    def now(self) -> datetime:
        """The emulator's clock (EmulatorConfig.clock) as a UTC datetime, with millisecond precision."""
        return datetime.fromtimestamp(int(self.config.clock() * 1000) / 1000, timezone.utc)

    def queue_health(self, start: datetime, end: datetime, skill_ids: str | Iterable[int] | None = None) -> dict:
        """The `metricsData` msgqueuehealth answers for [start, end): the average of the per-minute queue samples
        taken at minute starts in the window; `skill_ids` as the skillIds parameter ("all", ids, or None for the
        account-level `metricsTotal` only)."""
        selection = skill_ids if skill_ids in (None, "all") else frozenset(int(s) for s in skill_ids)
        return self._extra.operations.queue_metrics(datetime_to_ms(start), datetime_to_ms(end), selection)

    def conversation_metrics(self, start: datetime, end: datetime, agent_ids: str | Iterable[int] | None = None,
                             skill_ids: str | Iterable[int] | None = None) -> dict:
        """The `metricsData` msgconversation answers for the conversations resolved in [start, end), shaped by
        agent_ids/skill_ids as by the agentIds/skillIds parameters ("all", ids, or None)."""
        def selection(ids):
            return ids if ids in (None, "all") else frozenset(int(i) for i in ids)

        operations = self._extra.operations
        events = operations.resolutions(datetime_to_ms(start), datetime_to_ms(end))
        return operations.conversation_metrics_of(events, selection(agent_ids), selection(skill_ids))

    # Runtime control and inspection

    def set_faults(self, faults: Faults) -> None:
        self._injector.replace(faults)

    @property
    def faults(self) -> Faults:
        return self._injector.faults

    def issued_tokens(self) -> list[str]:
        return self._tokens.issued()
