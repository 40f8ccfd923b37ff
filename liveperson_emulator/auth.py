"""Server-side authentication: OAuth1 signature checks (LivePerson "API keys") and OAuth2 bearer tokens."""

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from collections.abc import Callable

from oauthlib.common import safe_string_equals
from oauthlib.oauth1 import RequestValidator, ResourceEndpoint

NONCE_LIFETIME_SECONDS = 600


class NonceRegistry:
    """Remembers (consumer key, nonce, timestamp) triples for as long as their timestamp is acceptable."""

    def __init__(self, lifetime_seconds: int = NONCE_LIFETIME_SECONDS):
        self._lifetime = lifetime_seconds
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def seen(self, client_key: str, timestamp: str, nonce: str) -> bool:
        with self._lock:
            return (client_key, nonce, timestamp) in self._seen

    def first_use(self, client_key: str, timestamp: str, nonce: str) -> bool:
        """Records the triple; False if it was already recorded."""
        # oauthlib itself rejects timestamps further than the lifetime from time.time(),
        # so entries older than that can never match again and are pruned.
        now = time.time()
        key = (client_key, nonce, timestamp)
        with self._lock:
            if now >= self._next_prune:
                horizon = now - 2 * self._lifetime
                self._seen = {k: seen_at for k, seen_at in self._seen.items() if seen_at >= horizon}
                self._next_prune = now + 60
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


class _Validator(RequestValidator):
    """Knows exactly one consumer (app key) and one access token."""

    # oauthlib's defaults (20-30 alphanumerics) reject realistic keys and nonces.
    _SAFE = frozenset(string.ascii_letters + string.digits + "-._~+/=")

    def __init__(self, app_key: str, app_secret: str, access_token: str, access_token_secret: str,
                 nonces: NonceRegistry):
        super().__init__()
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token
        self._access_token_secret = access_token_secret
        self._nonces = nonces

    enforce_ssl = False  # plain http on loopback
    allowed_signature_methods = ("HMAC-SHA1",)
    safe_characters = _SAFE
    client_key_length = (8, 128)
    access_token_length = (8, 128)
    nonce_length = (8, 128)
    realms = ()
    # Used in place of unknown keys so a bad key costs as much as a good one; never valid.
    dummy_client = "dummy-client-key"
    dummy_access_token = "dummy-access-token"

    def validate_client_key(self, client_key, request):
        return safe_string_equals(client_key, self._app_key)

    def validate_access_token(self, client_key, token, request):
        return safe_string_equals(client_key, self._app_key) and safe_string_equals(token, self._access_token)

    def get_client_secret(self, client_key, request):
        return self._app_secret if safe_string_equals(client_key, self._app_key) else "dummy"

    def get_access_token_secret(self, client_key, token, request):
        return self._access_token_secret if safe_string_equals(token, self._access_token) else "dummy"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, request_token=None,
                                     access_token=None):
        # Only checked here; recorded once the signature is verified, so a forged request
        # cannot burn the nonce of a genuine one.
        return not self._nonces.seen(client_key, timestamp, nonce)

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True


class OAuth1Verifier:
    def __init__(self, app_key: str, app_secret: str, access_token: str, access_token_secret: str):
        self._nonces = NonceRegistry()
        validator = _Validator(app_key, app_secret, access_token, access_token_secret, self._nonces)
        self._endpoint = ResourceEndpoint(validator)

    def verify(self, url: str, method: str, headers: dict[str, str], body: bytes) -> bool:
        """`url` must be the one the client signed: scheme + Host header + raw path and query."""
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        # A form body is part of the signature base string; a JSON body is not.
        form_body = body.decode("utf-8", "replace") if "application/x-www-form-urlencoded" in content_type else None
        try:
            valid, request = self._endpoint.validate_protected_resource_request(
                url, http_method=method, body=form_body, headers=headers)
        except (ValueError, TypeError, UnicodeError):
            return False
        # Recording is atomic, so of two concurrent copies of one request only the first passes.
        return valid and self._nonces.first_use(request.client_key, request.timestamp, request.nonce)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class TokenStore:
    """Issues JWT-shaped bearer tokens for the client-credentials grant and checks them."""

    def __init__(self, account: str, client_id: str, client_secret: str, ttl_seconds: int,
                 clock: Callable[[], float]):
        self._account = account
        self._client_id = client_id
        self._client_secret = client_secret
        self._ttl = ttl_seconds
        self._clock = clock
        self._signing_key = secrets.token_bytes(32)
        self._expiry_by_token: dict[str, float] = {}
        self._issued: list[str] = []
        self._lock = threading.Lock()

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def client_matches(self, client_id: str, client_secret: str) -> bool:
        return safe_string_equals(client_id, self._client_id) and safe_string_equals(client_secret, self._client_secret)

    def issue(self) -> str:
        now = self._clock()
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"iss": "https://sentinel.liveperson.net", "sub": self._client_id, "aud": self._account,
                  "iat": int(now), "exp": int(now + self._ttl), "jti": secrets.token_hex(12)}
        signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        signature = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha256).digest()
        token = signing_input + "." + _b64url(signature)
        with self._lock:
            self._expiry_by_token[token] = now + self._ttl
            self._issued.append(token)
        return token

    def is_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry_by_token.get(token)
        return expiry is not None and self._clock() < expiry

    def issued(self) -> list[str]:
        with self._lock:
            return list(self._issued)
