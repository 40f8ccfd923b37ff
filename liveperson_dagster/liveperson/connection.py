"""What the source needs to reach one LivePerson account: account id, credentials, CSDS URL and HTTP settings.

Credentials are held in objects whose repr never shows them, so they cannot leak through a log line,
an exception or a trace that prints its arguments.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional

from . import api_constants
from .errors import LivePersonConfigError

OAUTH1_FIELDS = ("app_key", "app_secret", "access_token", "access_token_secret")
OAUTH2_FIELDS = ("client_id", "client_secret")
CREDENTIAL_FIELDS = OAUTH1_FIELDS + OAUTH2_FIELDS


def variable_name(field: str) -> str:
    """The variable of a setting: `app_key` is LIVEPERSON_APP_KEY."""
    return f"LIVEPERSON_{field.upper()}"


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

    request_timeout_seconds: float = api_constants.REQUEST_TIMEOUT_SECONDS
    max_attempts: int = api_constants.MAX_ATTEMPTS
    backoff_base_seconds: float = api_constants.BACKOFF_BASE_SECONDS
    max_backoff_seconds: float = api_constants.MAX_BACKOFF_SECONDS
    min_rate_limit_wait_seconds: float = api_constants.MIN_RATE_LIMIT_WAIT_SECONDS
    max_concurrent_requests: int = api_constants.MAX_CONCURRENT_REQUESTS
    requests_per_second: Optional[float] = api_constants.REQUESTS_PER_SECOND
    # A PEM file of certificate authorities to trust instead of the system's (a proxy's own CA).
    ca_bundle: Optional[str] = None
    # Where the machine's runs share the account's max_concurrent_requests slots (slots.py); None: the temp dir's
    # liveperson-request-slots.
    request_slots_dir: Optional[str] = None
    request_slot_timeout_seconds: float = api_constants.REQUEST_SLOT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        # Written `not (low <= value <= high)` so that nan, which compares false, is refused too.
        if not 1 <= self.max_attempts <= api_constants.MAX_ATTEMPTS_LIMIT:
            raise LivePersonConfigError(f"max_attempts must be from 1 to {api_constants.MAX_ATTEMPTS_LIMIT}")
        if not 1 <= self.max_concurrent_requests <= api_constants.MAX_CONCURRENT_REQUESTS_LIMIT:
            raise LivePersonConfigError(
                f"max_concurrent_requests must be from 1 to {api_constants.MAX_CONCURRENT_REQUESTS_LIMIT}")
        if self.requests_per_second is not None and not 0 < self.requests_per_second <= api_constants.REQUESTS_PER_SECOND_LIMIT:
            raise LivePersonConfigError(f"requests_per_second must be > 0 and <= {api_constants.REQUESTS_PER_SECOND_LIMIT} "
                                        "(or unset for no cap)")
        if not 0 < self.request_timeout_seconds <= api_constants.REQUEST_TIMEOUT_SECONDS_LIMIT:
            raise LivePersonConfigError(
                f"request_timeout_seconds must be > 0 and <= {api_constants.REQUEST_TIMEOUT_SECONDS_LIMIT}")
        if not 1 <= self.request_slot_timeout_seconds <= api_constants.REQUEST_SLOT_TIMEOUT_SECONDS_LIMIT:
            raise LivePersonConfigError(
                f"request_slot_timeout_seconds must be from 1 to {api_constants.REQUEST_SLOT_TIMEOUT_SECONDS_LIMIT}")
        if self.request_timeout_seconds >= self.request_slot_timeout_seconds:
            # A request holds its slot for up to its timeout: one waiting for a slot must wait longer.
            raise LivePersonConfigError("request_timeout_seconds must be shorter than request_slot_timeout_seconds")


@dataclass(frozen=True, repr=False)
class LivePersonConnection:
    """`named_by_variables`: whether errors name the settings as LIVEPERSON_* variables (LIVEPERSON_APP_KEY) or
    as the fields they were given in (app_key), so that each user reads the names they set."""

    account_id: str
    oauth1: Optional[OAuth1Keys] = None
    oauth2: Optional[OAuth2ClientKeys] = None
    csds_url: str = api_constants.DEFAULT_CSDS_URL
    http: HttpSettings = field(default_factory=HttpSettings)
    named_by_variables: bool = False

    def __post_init__(self) -> None:
        if not str(self.account_id or "").strip():
            raise LivePersonConfigError(f"{self.setting_name('account_id')} is not set")
        if self.oauth1 is None and self.oauth2 is None:
            raise LivePersonConfigError(
                f"no LivePerson credentials: set the OAuth1 {self._names(OAUTH1_FIELDS)} or the OAuth2 pair "
                f"{self._names(OAUTH2_FIELDS)}"
            )

    def setting_name(self, field_name: str) -> str:
        return variable_name(field_name) if self.named_by_variables else field_name

    def _names(self, fields) -> str:
        return f"({', '.join(self.setting_name(name) for name in fields)})"

    @property
    def auth_kind(self) -> str:
        return "oauth1" if self.oauth1 is not None else "oauth2"

    @property
    def credential_settings(self) -> tuple:
        """The names of the settings that hold the credentials in use."""
        return tuple(self.setting_name(name) for name in (OAUTH1_FIELDS if self.oauth1 is not None else OAUTH2_FIELDS))

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
    def from_variables(cls, variables: Mapping[str, str], http: Optional[HttpSettings] = None):
        """A connection from LIVEPERSON_* variables (any mapping of names to values); errors name the variables."""
        values = {name: variables.get(variable_name(name)) for name in ("account_id", "csds_url", *CREDENTIAL_FIELDS)}
        return connection_from_settings(values, http or HttpSettings(), named_by_variables=True)


def connection_from_settings(values: Mapping[str, Optional[str]], http: HttpSettings,
                             named_by_variables: bool = False) -> LivePersonConnection:
    """Picks the complete credential set out of `values` (keyed by field: account_id, csds_url, app_key, ...);
    OAuth1 wins when both sets are complete, and the error names what is missing when neither is."""
    given = {name: (value or "").strip() for name, value in values.items()}
    name = variable_name if named_by_variables else str
    if not given.get("account_id"):
        raise LivePersonConfigError(f"{name('account_id')} is not set")
    oauth1_missing = [name(field) for field in OAUTH1_FIELDS if not given.get(field)]
    oauth2_missing = [name(field) for field in OAUTH2_FIELDS if not given.get(field)]
    oauth1 = oauth2 = None
    if not oauth1_missing:
        oauth1 = OAuth1Keys(*(given[field] for field in OAUTH1_FIELDS))
    elif not oauth2_missing:
        oauth2 = OAuth2ClientKeys(*(given[field] for field in OAUTH2_FIELDS))
    else:
        raise LivePersonConfigError(
            f"incomplete LivePerson credentials: set the OAuth1 {'variables' if named_by_variables else 'fields'} "
            f"(missing: {', '.join(oauth1_missing)}) or the OAuth2 pair (missing: {', '.join(oauth2_missing)})"
        )
    return LivePersonConnection(
        account_id=given["account_id"], oauth1=oauth1, oauth2=oauth2,
        csds_url=given.get("csds_url") or api_constants.DEFAULT_CSDS_URL, http=http, named_by_variables=named_by_variables,
    )
