"""The exceptions the LivePerson source raises. Messages never contain credentials, signatures or tokens."""

from typing import Iterator, Optional


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what caused it (its `__cause__`, else its `__context__`), and so on; each once. dlt and Dagster
    wrap the errors a run meets, so the one that explains a failure is found down this chain."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


class LivePersonError(Exception):
    """Base of every error raised by the LivePerson source."""


class LivePersonConfigError(LivePersonError):
    """A setting is missing or invalid; the message names the setting."""


class LivePersonWaitTimeout(LivePersonError):
    """Something the source waits for (the account's request slots) stayed taken longer than its setting allows."""


class LivePersonUnsafeURLError(LivePersonError):
    """A URL was refused before any credential was sent to it."""


class LivePersonHTTPError(LivePersonError):
    """LivePerson answered with an error status (or did not answer) after the allowed retries."""

    def __init__(
        self,
        endpoint: str,
        cause: str,
        status: Optional[int] = None,
        api_message: Optional[str] = None,
        hint: Optional[str] = None,
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.api_message = api_message
        self.hint = hint
        parts = [f"{endpoint}: {cause}"]
        if api_message:
            parts.append(f"LivePerson says: {api_message}")
        if hint:
            parts.append(hint)
        super().__init__(". ".join(parts))


class LivePersonTLSError(LivePersonHTTPError):
    """The server's TLS certificate was not accepted (untrusted, expired, another host's): not retried."""


class LivePersonAuthError(LivePersonHTTPError):
    """LivePerson refused the credentials (401) or the permissions (403)."""


class LivePersonOutOfRangeError(LivePersonError):
    """The range asked for is one the API cannot serve (too old, not over yet): refused before any request."""


class LivePersonIncompleteDataError(LivePersonError):
    """The API's answers did not add up (short count, repeating next link, partial shards): nothing was accepted."""


class LivePersonTypeError(LivePersonError):
    """A value does not fit its column's declared type, or the warehouse's column has another type: nothing of the
    run was loaded; the message names the table, the column, the value and the type."""
