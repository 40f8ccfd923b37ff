"""What the source needs to reach one LivePerson account: account id, credentials, CSDS URL and HTTP settings.

Each setting is declared here once, with its default, its bounds and the rule its errors state; the Dagster
project's settings and resources take them from here. Errors name a setting by its field (`max_attempts`), or by
the name the caller's `setting_name` gives it (the Dagster project passes the names of its variables).

Credentials are held in objects whose repr never shows them, so they cannot leak through a log line,
an exception or a trace that prints its arguments.
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import LivePersonConfigError

DEFAULT_CSDS_URL = "https://api.liveperson.net"
OAUTH1_FIELDS = ("app_key", "app_secret", "access_token", "access_token_secret")
OAUTH2_FIELDS = ("client_id", "client_secret")
CREDENTIAL_FIELDS = OAUTH1_FIELDS + OAUTH2_FIELDS
Naming = Callable[[str], str]


def bounded(kind: str, unset: Optional[str] = None, **bounds) -> dict:
    """The arguments of a number field within `bounds` (ge or gt, and le) and the rule its errors state: "max_attempts
    must be from 1 to 20" to a user of fields, "expected a whole number from 1 to 20" to a user of variables.
    `unset`: what leaving it unset means."""
    low = f"from {bounds['ge']:g} to" if "ge" in bounds else f"> {bounds['gt']:g} and <="
    finite = {} if kind.startswith("a whole number") else {"allow_inf_nan": False}
    return {**bounds, **finite, "json_schema_extra": {"kind": kind, "rule": f"{low} {bounds['le']:g}", "unset": unset}}


def expected(field_info) -> Optional[str]:
    """What a field allows, as an error to a user of variables states it; None for a field that is no setting."""
    extra = field_info.json_schema_extra or {}
    if "allowed" in extra:
        return extra["allowed"]
    if "rule" not in extra:
        return None
    return f"{extra['kind']} {extra['rule']}" + (f" (unset for {extra['unset']})" if extra["unset"] else "")


class Unusable(ValueError):
    """A value its field's bounds allow that cannot be used all the same. `finding` says why (after what is expected,
    to a user of variables), `must` what it must be (to a user of fields); each a text, or a function of the naming
    when it names another setting."""

    def __init__(self, finding: Union[str, Callable[[Naming], str]], must: Optional[Callable[[Naming], str]] = None):
        super().__init__(finding if isinstance(finding, str) else "unusable")
        self.finding, self.must = finding, must

    def found(self, name: Naming) -> str:
        return self.finding if isinstance(self.finding, str) else self.finding(name)


class SettingsModel(BaseModel):
    """Settings given in Python: a bad value raises LivePersonConfigError naming the fields, each with its rule."""

    model_config = ConfigDict(frozen=True)

    def __init__(self, **values) -> None:
        try:
            super().__init__(**values)
        except ValidationError as invalid:
            raise LivePersonConfigError("; ".join(self._describe(error) for error in invalid.errors())) from None

    @classmethod
    def _describe(cls, error: dict) -> str:
        name = str(error["loc"][0]) if error.get("loc") else ""
        extra = (cls.model_fields[name].json_schema_extra or {}) if name in cls.model_fields else {}
        finding = (error.get("ctx") or {}).get("error")
        if isinstance(finding, Unusable) and finding.must:
            return f"{name} {finding.must(str)}"
        if "rule" in extra:
            return f"{name} must be {extra['rule']}" + (f" (or unset for {extra['unset']})" if extra["unset"] else "")
        return f"{name}: {error['msg']}"


class HttpSettings(SettingsModel):
    """Timeouts, retries and concurrency for the requests made to one account."""

    # Before request_timeout_seconds, which is checked against it.
    request_slot_timeout_seconds: float = Field(
        # A slot is held for one attempt (at most the request timeout), so runs queued for slots get one within
        # seconds; every slot taken for 10 minutes is a process that stalls holding them (stopped, or leaked by a
        # test), and waiting on would stall this run silently.
        600.0, **bounded("a number of seconds", ge=1, le=86400),
        description="How long a request waits for one of the account's request slots while other processes hold "
        "them all (it logs their pids), before its run fails",
    )
    request_timeout_seconds: float = Field(60.0, **bounded("a number of seconds", gt=0, le=3600),
                                           description="Timeout of every request")
    max_attempts: int = Field(6, **bounded("a whole number", ge=1, le=20),
                              description="Attempts per request (429, 5xx, timeouts, dropped connections)")
    # The account's limits are account-specific and unpublished.
    max_concurrent_requests: int = Field(
        4, **bounded("a whole number", ge=1, le=100),
        description="Requests in flight against the account, all runs on the machine together",
    )
    requests_per_second: Optional[float] = Field(None, **bounded("a number", gt=0, le=1000, unset="no cap"),
                                                 description="Request rate cap for the account")
    ca_bundle: Optional[str] = Field(
        None, json_schema_extra={"allowed": "the path of a readable PEM file of certificate authorities"},
        description="Certificate authorities to trust for LivePerson's hosts instead of the system's (a proxy's CA)",
    )
    request_slots_dir: Optional[str] = Field(
        None, json_schema_extra={"allowed": "a directory path in a writable directory (created if missing)"},
        description="Where the runs on the machine share the account's request slots; the temp dir's "
        "liveperson-request-slots when unset",
    )
    # Tuning, not settings of the environment.
    backoff_base_seconds: float = Field(5.0, ge=0)  # LivePerson suggests pauses of 5, 10, 15 s on 5xx
    max_backoff_seconds: float = Field(60.0, ge=0)
    min_rate_limit_wait_seconds: float = Field(1.0, ge=0)  # "429: wait at least 1 s"

    @field_validator("request_timeout_seconds")
    @classmethod
    def _within_the_slot_wait(cls, value: float, info: ValidationInfo) -> float:
        # A request holds its slot for up to its timeout: one waiting for a slot must wait longer.
        slot_wait = info.data.get("request_slot_timeout_seconds")
        if slot_wait is not None and value >= slot_wait:
            raise Unusable(lambda name: f"it is not shorter than {name('request_slot_timeout_seconds')} "
                                        f"({slot_wait:g} s), how long a request waits for another's slot",
                           must=lambda name: f"must be shorter than {name('request_slot_timeout_seconds')}")
        return value

    def http(self) -> "HttpSettings":
        """The HTTP settings alone (of settings that hold more)."""
        return HttpSettings(**{name: getattr(self, name) for name in HttpSettings.model_fields})


class AccountSettings(HttpSettings):
    """The account, where its hosts are found and how to send it requests; its credentials are apart."""

    account_id: str = Field(default="", pattern=r"^[0-9]*$", description="LivePerson account (site) id",
                            json_schema_extra={"allowed": "a LivePerson site id (digits only)"})
    csds_url: str = Field(
        default=DEFAULT_CSDS_URL, pattern=r"^https?://[^/\s?#]+/?$",
        json_schema_extra={"allowed": "an http(s) URL with a host and no path, like https://api.liveperson.net"},
        description="Domain discovery (CSDS) URL; service hosts are reached with its scheme",
    )


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


@dataclass(frozen=True, repr=False)
class LivePersonConnection:
    """`setting_name`: how errors name a setting, the field itself (account_id) unless the caller names its settings
    otherwise (the Dagster project: by its variables), so that each user reads the names they set."""

    account_id: str
    oauth1: Optional[OAuth1Keys] = None
    oauth2: Optional[OAuth2ClientKeys] = None
    csds_url: str = DEFAULT_CSDS_URL
    http: HttpSettings = field(default_factory=HttpSettings)
    setting_name: Naming = str

    def __post_init__(self) -> None:
        if not str(self.account_id or "").strip():
            raise LivePersonConfigError(f"{self.setting_name('account_id')} is not set")
        if self.oauth1 is None and self.oauth2 is None:
            raise LivePersonConfigError(
                f"no LivePerson credentials: set the OAuth1 {self._names(OAUTH1_FIELDS)} or the OAuth2 pair "
                f"{self._names(OAUTH2_FIELDS)}"
            )

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


def connection_from_settings(values: Mapping[str, Optional[str]], http: HttpSettings,
                             setting_name: Naming = str) -> LivePersonConnection:
    """Picks the complete credential set out of `values` (keyed by field: account_id, csds_url, app_key, ...);
    OAuth1 wins when both sets are complete, and the error names what is missing when neither is."""
    given = {name: (value or "").strip() for name, value in values.items()}
    if not given.get("account_id"):
        raise LivePersonConfigError(f"{setting_name('account_id')} is not set")
    oauth1_missing = [setting_name(field) for field in OAUTH1_FIELDS if not given.get(field)]
    oauth2_missing = [setting_name(field) for field in OAUTH2_FIELDS if not given.get(field)]
    oauth1 = oauth2 = None
    if not oauth1_missing:
        oauth1 = OAuth1Keys(*(given[field] for field in OAUTH1_FIELDS))
    elif not oauth2_missing:
        oauth2 = OAuth2ClientKeys(*(given[field] for field in OAUTH2_FIELDS))
    else:
        raise LivePersonConfigError(
            f"incomplete LivePerson credentials: set the OAuth1 {'fields' if setting_name is str else 'variables'} "
            f"(missing: {', '.join(oauth1_missing)}) or the OAuth2 pair (missing: {', '.join(oauth2_missing)})"
        )
    return LivePersonConnection(
        account_id=given["account_id"], oauth1=oauth1, oauth2=oauth2,
        csds_url=given.get("csds_url") or DEFAULT_CSDS_URL, http=http, setting_name=setting_name,
    )
