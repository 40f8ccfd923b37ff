"""A dlt source for LivePerson's REST APIs: plain typed arguments, no Dagster and no environment variable.

    import dlt
    from liveperson_dagster.liveperson import HttpSettings, LivePersonConnection, OAuth2ClientKeys, Window
    from liveperson_dagster.liveperson import liveperson_source

    connection = LivePersonConnection(account_id="13350576", oauth2=OAuth2ClientKeys(client_id, client_secret),
                                      http=HttpSettings(max_concurrent_requests=4))
    source = liveperson_source(connection, Window(start, end))
    dlt.pipeline("liveperson", destination="duckdb", dataset_name="liveperson").run(source)
"""

from .client import LivePersonClient
from .connection import AccountSettings, HttpSettings, LivePersonConnection, OAuth1Keys, OAuth2ClientKeys
from .errors import (
    LivePersonAuthError,
    LivePersonConfigError,
    LivePersonError,
    LivePersonHTTPError,
    LivePersonIncompleteDataError,
    LivePersonTLSError,
    LivePersonTypeError,
    LivePersonUnsafeURLError,
)
from .source import liveperson_source
from .stats import RequestStats
from .windows import Window

__all__ = [
    "AccountSettings",
    "HttpSettings",
    "LivePersonAuthError",
    "LivePersonClient",
    "LivePersonConfigError",
    "LivePersonConnection",
    "LivePersonError",
    "LivePersonHTTPError",
    "LivePersonIncompleteDataError",
    "LivePersonTLSError",
    "LivePersonTypeError",
    "LivePersonUnsafeURLError",
    "OAuth1Keys",
    "OAuth2ClientKeys",
    "RequestStats",
    "Window",
    "liveperson_source",
]
