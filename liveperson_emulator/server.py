"""The HTTP server (stdlib ThreadingHTTPServer) and the Emulator that owns it."""

import socket
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .auth import TokenStore
from .config import EmulatorConfig
from .data import Dataset, datetime_to_ms
from .faults import FaultInjector, Faults
from .http_types import Request, Response, error
from .routes import Api
from .stats import Stats


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
    """A local LivePerson: CSDS, account configuration, conversation search and OAuth2 on one port."""

    def __init__(self, config: EmulatorConfig | None = None):
        self.config = config or EmulatorConfig()
        cfg = self.config
        self._dataset = Dataset(cfg.account, cfg.seed, cfg.first_day, cfg.last_day,
                                cfg.conversations_per_day, cfg.empty_days)
        self._injector = FaultInjector(cfg.faults, cfg.seed)
        self._tokens = TokenStore(cfg.account, self._dataset.credentials.client_id,
                                  self._dataset.credentials.client_secret, cfg.token_ttl_seconds, cfg.clock)
        self.stats = Stats()
        self._stopping = threading.Event()
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
                         self.config.config_page_size, self.config.config_paging_ignores_offset)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"liveperson-emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._stopping.is_set():
            return
        self._stopping.set()  # releases slow-fault and latency waits
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)

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

    def _headers(self, start: datetime, end: datetime):
        low, high = datetime_to_ms(start), datetime_to_ms(end)
        if high <= low:
            return []
        return self._dataset.conversations.headers_between(low, high - 1)

    def conversation_ids(self, start: datetime, end: datetime) -> set[str]:
        """Ids of conversations with start <= startTime < end (tz-aware datetimes)."""
        return {h.conversation_id for h in self._headers(start, end)}

    def conversations(self, start: datetime, end: datetime) -> list[dict]:
        """Full records (info and every part) with start <= startTime < end, sorted by start then id."""
        return [self._dataset.conversations.record(h) for h in self._headers(start, end)]

    def generated_days(self) -> list:
        """Days whose conversations have been generated so far (generation is lazy)."""
        return self._dataset.conversations.generated_days

    # Runtime control and inspection

    def set_faults(self, faults: Faults) -> None:
        self._injector.replace(faults)

    @property
    def faults(self) -> Faults:
        return self._injector.faults

    def issued_tokens(self) -> list[str]:
        return self._tokens.issued()
