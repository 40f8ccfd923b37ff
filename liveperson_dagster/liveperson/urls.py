"""Checks that keep credentials on LivePerson's hosts: every URL is vetted before a request is signed."""

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import LivePersonUnsafeURLError

_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def require_safe_url(url: str, what: str, setting: str = "csds_url") -> None:
    """Refuses anything but https, or plain http to a loopback host (the local emulator); `setting` is the name of
    the CSDS URL's setting, which the error asks to check."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and is_loopback(host):
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
