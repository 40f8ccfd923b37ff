"""Domain discovery: the per-account host of each LivePerson service, resolved through CSDS once per run; and the
checks that keep credentials on LivePerson's hosts: every URL is vetted before a request is signed."""

import ipaddress
import re
import threading
from typing import Callable
from urllib.parse import urlsplit

import requests

from .errors import LivePersonConfigError, LivePersonHTTPError, LivePersonUnsafeURLError

_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def require_safe_url(url: str, what: str, setting: str = "csds_url") -> None:
    """Refuses anything but https, or plain http to a loopback host (the local emulator); `setting` is the name of
    the CSDS URL's setting, which the error asks to check."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme == "http" and loopback:
        return
    raise LivePersonUnsafeURLError(
        f"{what}: refusing {parts.scheme or '(no scheme)'}://{host or '(no host)'}: credentials are only sent over "
        f"https, or plain http to a loopback host (check {setting})"
    )


def service_base_url(csds_url: str, host: str, service: str, setting: str = "csds_url") -> str:
    """Joins a host that CSDS returned (host[:port], no scheme) with the CSDS URL's scheme."""
    if not isinstance(host, str) or not _HOST_PORT.match(host):
        raise LivePersonUnsafeURLError(
            f"CSDS answered an invalid host for service {service!r}: {str(host)[:80]!r}"
        )
    url = f"{urlsplit(csds_url).scheme}://{host}"
    require_safe_url(url, f"host of service {service!r} from CSDS", setting)
    return url


def require_same_origin(next_url: str, current_url: str, what: str) -> None:
    """A pagination link must stay on the host (and scheme) that produced it."""
    nxt, cur = urlsplit(next_url), urlsplit(current_url)
    if (nxt.scheme, nxt.netloc.lower()) != (cur.scheme, cur.netloc.lower()):
        raise LivePersonUnsafeURLError(
            f"{what}: refusing a next link to {nxt.scheme}://{nxt.hostname} (the page came from "
            f"{cur.scheme}://{cur.hostname}): credentials never leave the LivePerson hosts"
        )
    require_safe_url(next_url, what)


class ServiceDomains:
    def __init__(self, csds_url: str, account_id: str, session: requests.Session,
                 setting_name: Callable[[str], str] = str) -> None:
        self._csds_url = csds_url.rstrip("/")
        self._csds_setting = setting_name("csds_url")
        self._settings_to_check = f"{setting_name('account_id')} and {self._csds_setting}"
        self._account_id = account_id
        self._session = session
        self._lock = threading.Lock()
        self._hosts = None

    def base_url(self, service: str) -> str:
        """`scheme://host` of a service, the scheme being the CSDS URL's."""
        with self._lock:
            if self._hosts is None:
                self._hosts = self._fetch_all()
            host = self._hosts.get(service)
        if host is None:
            raise LivePersonConfigError(
                f"CSDS at {self._csds_url} knows no {service!r} service for account {self._account_id} "
                f"(check {self._settings_to_check})"
            )
        return service_base_url(self._csds_url, host, service, self._csds_setting)

    def _fetch_all(self) -> dict:
        url = f"{self._csds_url}/api/account/{self._account_id}/service/baseURI.json"
        try:
            response = self._session.get(url, params={"version": "1.0"})
        except LivePersonHTTPError as error:
            if error.status in (400, 401, 404):
                raise LivePersonConfigError(
                    f"CSDS at {self._csds_url} does not know account {self._account_id!r} "
                    f"(HTTP {error.status}; check {self._settings_to_check})"
                ) from None
            raise
        entries = response.json().get("baseURIs") if isinstance(response.json(), dict) else None
        if not isinstance(entries, list):
            raise LivePersonHTTPError(f"GET {url}", "CSDS answered without a baseURIs list", response.status_code)
        return {entry.get("service"): entry.get("baseURI") for entry in entries if isinstance(entry, dict)}
