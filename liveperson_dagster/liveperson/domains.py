"""Domain discovery: the per-account host of each LivePerson service, resolved through CSDS once per run."""

import threading
from typing import Callable

import requests

from .errors import LivePersonConfigError, LivePersonHTTPError
from .urls import service_base_url


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
