"""A dlt source for LivePerson's REST APIs. Usable without Dagster:

    import dlt
    from liveperson_dagster.liveperson import Window, liveperson_source
    from liveperson_dagster.config import connection_from_env  # or LivePersonConnection(...) built in code

    source = liveperson_source(connection_from_env(), Window(start, end))
    dlt.pipeline("liveperson", destination="duckdb", dataset_name="liveperson").run(source)
"""

from .client import LivePersonClient
from .connection import HttpSettings, LivePersonConnection, OAuth1Keys, OAuth2ClientKeys
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
