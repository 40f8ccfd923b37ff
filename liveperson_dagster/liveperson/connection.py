"""What the source needs to reach one LivePerson account: account id, credentials, CSDS URL and HTTP settings.

Credentials are held in objects whose repr never shows them, so they cannot leak through a log line,
an exception or a trace that prints its arguments.
"""

import os
from dataclasses import dataclass, field
from typing import Mapping, Optional

from . import settings
from .errors import LivePersonConfigError

OAUTH1_VARIABLES = (
    "LIVEPERSON_APP_KEY",
    "LIVEPERSON_APP_SECRET",
    "LIVEPERSON_ACCESS_TOKEN",
    "LIVEPERSON_ACCESS_TOKEN_SECRET",
)
OAUTH2_VARIABLES = ("LIVEPERSON_CLIENT_ID", "LIVEPERSON_CLIENT_SECRET")


@dataclass(frozen=True, repr=False)
class OAuth1Keys:
    """LivePerson "API keys": OAuth 1.0a consumer key/secret and access token/secret."""

    app_key: str
    app_secret: str
    access_token: str
    access_token_secret: str

    def __repr__(self) -> str:
        return "OAuth1Keys(<redacted>)"


@dataclass(frozen=True, repr=False)
class OAuth2ClientKeys:
    """OAuth 2.0 client-credentials pair, exchanged for a bearer token at LivePerson's `sentinel` service."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return "OAuth2ClientKeys(<redacted>)"


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts, retries and concurrency for the requests made to one account."""

    request_timeout_seconds: float = settings.REQUEST_TIMEOUT_SECONDS
    max_attempts: int = settings.MAX_ATTEMPTS
    backoff_base_seconds: float = settings.BACKOFF_BASE_SECONDS
    max_backoff_seconds: float = settings.MAX_BACKOFF_SECONDS
    min_rate_limit_wait_seconds: float = settings.MIN_RATE_LIMIT_WAIT_SECONDS
    max_concurrent_requests: int = settings.MAX_CONCURRENT_REQUESTS
    requests_per_second: Optional[float] = settings.REQUESTS_PER_SECOND

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise LivePersonConfigError("max_attempts must be at least 1")
        if self.max_concurrent_requests < 1:
            raise LivePersonConfigError("max_concurrent_requests must be at least 1")
        if self.requests_per_second is not None and self.requests_per_second <= 0:
            raise LivePersonConfigError("requests_per_second must be positive (or unset for no cap)")
        if self.request_timeout_seconds <= 0:
            raise LivePersonConfigError("request_timeout_seconds must be positive")


@dataclass(frozen=True, repr=False)
class LivePersonConnection:
    account_id: str
    oauth1: Optional[OAuth1Keys] = None
    oauth2: Optional[OAuth2ClientKeys] = None
    csds_url: str = settings.DEFAULT_CSDS_URL
    http: HttpSettings = field(default_factory=HttpSettings)

    def __post_init__(self) -> None:
        if not str(self.account_id or "").strip():
            raise LivePersonConfigError("LIVEPERSON_ACCOUNT_ID is not set")
        if self.oauth1 is None and self.oauth2 is None:
            raise LivePersonConfigError(
                "no LivePerson credentials: set the OAuth1 variables "
                f"({', '.join(OAUTH1_VARIABLES)}) or the OAuth2 pair ({', '.join(OAUTH2_VARIABLES)})"
            )

    @property
    def auth_kind(self) -> str:
        return "oauth1" if self.oauth1 is not None else "oauth2"

    @property
    def credential_variables(self) -> tuple:
        return OAUTH1_VARIABLES if self.oauth1 is not None else OAUTH2_VARIABLES

    def secret_values(self) -> list:
        """Every credential string, for redaction and for tests that scan output for leaks."""
        values = []
        if self.oauth1:
            values += [self.oauth1.app_secret, self.oauth1.access_token, self.oauth1.access_token_secret]
        if self.oauth2:
            values += [self.oauth2.client_secret]
        return [v for v in values if v]

    def __repr__(self) -> str:
        return (
            f"LivePersonConnection(account_id={self.account_id!r}, auth={self.auth_kind}, "
            f"csds_url={self.csds_url!r})"
        )

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, http: Optional[HttpSettings] = None):
        """Builds a connection from the LIVEPERSON_* variables; OAuth1 wins when both sets are complete."""
        env = os.environ if environ is None else environ
        values = {name: (env.get(name) or "").strip() for name in (*OAUTH1_VARIABLES, *OAUTH2_VARIABLES)}
        return connection_from_values(
            account_id=(env.get("LIVEPERSON_ACCOUNT_ID") or "").strip(),
            csds_url=(env.get("LIVEPERSON_CSDS_URL") or "").strip() or settings.DEFAULT_CSDS_URL,
            values=values,
            http=http or HttpSettings(),
        )


def connection_from_values(account_id: str, csds_url: str, values: Mapping[str, str], http: HttpSettings):
    """Picks the complete credential set out of variable values, naming what is missing when neither is."""
    if not account_id:
        raise LivePersonConfigError("LIVEPERSON_ACCOUNT_ID is not set")
    oauth1_missing = [name for name in OAUTH1_VARIABLES if not values.get(name)]
    oauth2_missing = [name for name in OAUTH2_VARIABLES if not values.get(name)]
    oauth1 = oauth2 = None
    if not oauth1_missing:
        oauth1 = OAuth1Keys(*(values[name] for name in OAUTH1_VARIABLES))
    elif not oauth2_missing:
        oauth2 = OAuth2ClientKeys(*(values[name] for name in OAUTH2_VARIABLES))
    else:
        raise LivePersonConfigError(
            "incomplete LivePerson credentials: set the OAuth1 variables (missing: "
            f"{', '.join(oauth1_missing)}) or the OAuth2 pair (missing: {', '.join(oauth2_missing)})"
        )
    return LivePersonConnection(account_id=account_id, oauth1=oauth1, oauth2=oauth2, csds_url=csds_url, http=http)
