"""Request signers for LivePerson's two credential kinds."""

import logging
import threading

import pendulum
from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
import oauthlib.oauth1  # noqa: F401  (its loggers exist before the filters below are added)
from requests_oauthlib import OAuth1

from . import api_constants
from .connection import LivePersonConnection


# Both libraries log signed headers (token and signature) at DEBUG. A filter on each of their loggers, unlike a
# level, survives whoever reconfigures logging later (Dagster sets managed loggers' levels at run start).
for _name, _logger in list(logging.root.manager.loggerDict.items()):
    if _name.split(".")[0] in ("oauthlib", "requests_oauthlib") and isinstance(_logger, logging.Logger):
        _logger.addFilter(lambda record: record.levelno > logging.DEBUG)


class LivePersonOAuth1(OAuth1):
    """HMAC-SHA1 signatures in the Authorization header; query parameters are signed, a JSON body is not."""

    def __init__(self, connection: LivePersonConnection) -> None:
        keys = connection.oauth1
        super().__init__(
            client_key=keys.app_key,
            client_secret=keys.app_secret,
            resource_owner_key=keys.access_token,
            resource_owner_secret=keys.access_token_secret,
            signature_method="HMAC-SHA1",
            signature_type="AUTH_HEADER",
        )

    def __repr__(self) -> str:
        return "LivePersonOAuth1(<redacted>)"


@configspec
class LivePersonOAuth2(OAuth2ClientCredentials):
    """Client-credentials bearer token from `sentinel`, renewed before it expires and on demand after a 401."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._token_lock = threading.Lock()

    def __call__(self, request):
        with self._token_lock:
            if self.access_token is None or self.is_token_expired():
                self.obtain_token()
            token = self.access_token
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def obtain_token(self) -> None:
        super().obtain_token()
        self.session.add_secret(self.access_token)
        # Renew ahead of the expiry, by a margin that still leaves short-lived tokens usable.
        lifetime = (self.token_expiry - pendulum.now()).total_seconds()
        margin = min(api_constants.OAUTH2_RENEW_MARGIN_SECONDS, lifetime / 10)
        self.token_expiry = self.token_expiry.subtract(seconds=margin)

    def invalidate(self) -> None:
        with self._token_lock:
            self.access_token = None

    def __repr__(self) -> str:
        return "LivePersonOAuth2(<redacted>)"

    __str__ = __repr__
