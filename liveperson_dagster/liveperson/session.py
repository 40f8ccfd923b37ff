"""The HTTP session every LivePerson request goes through: URL vetting, signing, limits, retries, errors.

It exists because dlt's retrying `Client` resends the same prepared request: that replays an OAuth1 nonce, cannot
renew an OAuth2 token after a 401, and pauses only the thread that met a 429. Here every attempt is signed afresh.
The attempt loop is written out rather than driven by tenacity: with tenacity the same rules (a token renewal that is
not an attempt, the run-wide 429 pause, the attempt count in the error) came out longer and split across callbacks.
"""

import logging
import random
import re
import time
from email.utils import parsedate_to_datetime
from typing import Callable, Optional
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from . import api_constants
from .connection import HttpSettings, LivePersonConnection
from .errors import LivePersonAuthError, LivePersonHTTPError, LivePersonIncompleteDataError, LivePersonTLSError
from .slots import AccountLimiter
from .stats import RequestStats
from .domains import require_safe_url

logger = logging.getLogger(__name__)

_TAGS = re.compile(r"<[^>]+>")
_CERTIFICATE_REASON = re.compile(r"certificate verify failed: ([^(']+)")
_SPACES = re.compile(r"\s+")


class LivePersonSession(requests.Session):
    def __init__(
        self,
        connection: LivePersonConnection,
        stats: RequestStats,
        limiter: AccountLimiter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.trust_env = False  # no proxies or .netrc credentials picked up behind the user's back
        self.verify = connection.http.ca_bundle or True
        self.headers["User-Agent"] = "liveperson-dagster"
        adapter = HTTPAdapter(pool_maxsize=connection.http.max_concurrent_requests)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self._connection = connection
        self._settings: HttpSettings = connection.http
        self._stats = stats
        self._limiter = limiter
        self._sleep = sleep
        self._secrets = connection.secret_values()

    def __repr__(self) -> str:
        return f"LivePersonSession(account_id={self._connection.account_id!r})"

    def add_secret(self, value: str) -> None:
        """Registers a value (such as a bearer token) that must be redacted from every message."""
        if value:
            self._secrets.append(value)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        endpoint = describe_endpoint(request)
        require_safe_url(request.url, endpoint, self._connection.setting_name("csds_url"))
        kwargs["timeout"] = kwargs.get("timeout") or self._settings.request_timeout_seconds
        renewed_token = False
        attempt = 1
        while True:
            failure, response = self._attempt(self._sign(request), kwargs)  # signed afresh: no nonce is replayed
            if failure is None:
                return response
            if failure == "unauthorized" and not renewed_token and hasattr(self.auth, "invalidate"):
                # A bearer token can be revoked or expire early: renew it once (not an attempt), then believe the 401.
                self.auth.invalidate()
                renewed_token = True
                self._stats.retried("token_renewal")
                continue
            if failure not in RETRYABLE or attempt >= self._settings.max_attempts:
                raise self._error(endpoint, failure, response, attempt)
            wait = self._wait_seconds(failure, response, attempt)
            if failure == "http_429":
                self._limiter.pause(wait)  # every thread of the run waits out a 429, which no retry library does
            self._stats.retried(failure)
            logger.warning(
                "%s: %s, attempt %d of %d, retrying in %.1f s",
                endpoint, FAILURE_TEXT[failure], attempt, self._settings.max_attempts, wait,
            )
            self._sleep(wait)
            attempt += 1

    def _sign(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        signed = request.copy()
        signed.headers.pop("Authorization", None)
        return self.auth(signed) if self.auth else signed

    def _attempt(self, request: requests.PreparedRequest, kwargs: dict):
        self._stats.add("requests")
        try:
            with self._limiter.slot():
                response = super().send(request, **kwargs)
        except requests.exceptions.SSLError as error:
            # An SSLError is a ConnectionError to requests, but no retry mends a certificate: say so at once.
            raise self._tls_error(describe_endpoint(request), error) from None
        except requests.Timeout:
            return "timeout", None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            return "connection", None
        return classify(response), response

    def _wait_seconds(self, failure: str, response: Optional[requests.Response], attempt: int) -> float:
        s = self._settings
        backoff = min(s.max_backoff_seconds, s.backoff_base_seconds * 2 ** (attempt - 1))
        backoff *= random.uniform(0.5, 1.0)  # jitter: threads that failed together do not retry together
        if failure != "http_429":
            return backoff
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        wait = max(backoff, retry_after or 0.0, s.min_rate_limit_wait_seconds)
        return min(wait, max(s.max_backoff_seconds, s.min_rate_limit_wait_seconds))

    def _error(self, endpoint: str, failure: str, response: Optional[requests.Response], attempts: int):
        status = response.status_code if response is not None else None
        # A 2xx body is data, not an error message: it is not quoted.
        quoted = response is not None and response.status_code >= 400
        api_message = self._redact(api_message_of(response)) if quoted else None
        tries = f" after {attempts} attempts" if failure in RETRYABLE else ""
        cause = f"{FAILURE_TEXT.get(failure, 'HTTP ' + str(status))}{tries}"
        if failure == "unauthorized":
            return LivePersonAuthError(
                endpoint, cause, status, api_message,
                hint=f"check {', '.join(self._connection.credential_settings)} and "
                     f"{self._connection.setting_name('account_id')}",
            )
        if failure == "forbidden":
            return LivePersonAuthError(
                endpoint, cause, status, api_message,
                hint=permission_hint(endpoint),
            )
        if failure == "partial":
            return LivePersonIncompleteDataError(f"{endpoint}: {cause}; nothing from this window was accepted")
        if failure == "http_429":
            name = self._connection.setting_name
            hint = f"lower {name('max_concurrent_requests')} or set {name('requests_per_second')}"
        elif failure == "timeout":
            hint = f"the request timeout is {self._settings.request_timeout_seconds:g} s"
        else:
            hint = None
        return LivePersonHTTPError(endpoint, cause, status, api_message, hint)

    def _tls_error(self, endpoint: str, error: requests.exceptions.SSLError) -> LivePersonTLSError:
        reason = _CERTIFICATE_REASON.search(str(error))
        cause = f"TLS certificate not accepted ({reason.group(1).strip() if reason else 'the TLS handshake failed'})"
        hint = ("if a proxy or gateway with its own certificate authority sits between this machine and LivePerson, "
                f"point {self._connection.setting_name('ca_bundle')} at that authority's PEM file"
                + (f" (now {self._settings.ca_bundle})" if self._settings.ca_bundle else ""))
        return LivePersonTLSError(endpoint, cause, hint=hint)

    def _redact(self, text: Optional[str]) -> Optional[str]:
        if not text:
            return text
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


RETRYABLE = {"http_429", "http_5xx", "timeout", "connection", "partial", "invalid_json"}
FAILURE_TEXT = {
    "http_429": "rate limited (HTTP 429)",
    "http_5xx": "server error (HTTP 5xx)",
    "timeout": "no answer within the request timeout",
    "connection": "connection failed or was dropped",
    "partial": "the page stayed partial (shardsStatusResult.partialResult is true)",
    "invalid_json": "the answer was not valid JSON (truncated body?)",
    "unauthorized": "not authenticated (HTTP 401)",
    "forbidden": "not authorized (HTTP 403)",
}


def classify(response: requests.Response) -> Optional[str]:
    """Names what is wrong with an answer, or None when it can be used."""
    status = response.status_code
    if status == 429:
        return "http_429"
    if status >= 500:
        return "http_5xx"
    if status == 401:
        return "unauthorized"
    if status == 403:
        return "forbidden"
    if status >= 400:
        return f"http_{status}"
    try:
        parsed = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return "invalid_json"
    # Parsed once here; the REST client and the paginator read it again through response.json().
    response.json = lambda **_: parsed
    if isinstance(parsed, dict):
        shards = (parsed.get("_metadata") or {}).get("shardsStatusResult") or {}
        if shards.get("partialResult") is True:
            return "partial"
    return None


def permission_hint(endpoint: str) -> str:
    for path, api, permission in api_constants.API_PERMISSIONS:
        if path in endpoint:
            return (f"the credentials are valid but may not read the {api}: ask for the \"{permission}\" permission "
                    "on the API key (or for the feature on the account)")
    return "the credentials are valid but lack the permission for this API (see the API key's permissions)"


def describe_endpoint(request: requests.PreparedRequest) -> str:
    parts = urlsplit(request.url)
    return f"{request.method} {parts.scheme}://{parts.netloc}{parts.path}"


def api_message_of(response: requests.Response) -> Optional[str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "errorMessage"):
            if body.get(key):
                return str(body[key])[:300]
    text = _SPACES.sub(" ", _TAGS.sub(" ", response.text or "")).strip()
    return text[:200] or None


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
