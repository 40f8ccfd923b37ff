"""Request and Response as the routes see them, independent of the HTTP server."""

import orjson
from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    raw_query: str  # exactly as received, still percent-encoded
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None

    def int_param(self, name: str, default: int) -> int:
        """The parameter as an integer, `default` when it is absent or empty; ValueError when it is not one."""
        raw = self.param(name)
        return default if raw is None or raw == "" else int(raw)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Set by the fault injector: close the socket without writing anything.
    drop_connection: bool = False


def json_response(status: int, payload, headers: dict[str, str] | None = None) -> Response:
    # orjson: a search page of 100 full conversations is about 1 MB, and stdlib json spent 20 ms on each.
    body = orjson.dumps(payload)
    return Response(status, body, headers=dict(headers or {}))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"message": message}, headers)


def service_unavailable_page() -> Response:
    # What a load balancer in front of LivePerson answers: HTML, not JSON.
    page = (
        "<html>\n<head><title>503 Service Unavailable</title></head>\n"
        "<body>\n<center><h1>503 Service Unavailable</h1></center>\n"
        "<p>The server is temporarily unable to service your request. Please try again later.</p>\n"
        "</body>\n</html>\n"
    )
    return Response(503, page.encode("utf-8"), content_type="text/html; charset=utf-8")


def dropped_connection() -> Response:
    return Response(0, drop_connection=True)
