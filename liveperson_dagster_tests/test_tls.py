"""TLS failures are not network drops: a certificate that is not accepted fails at once, says "certificate" and
how to trust a proxy's authority (LIVEPERSON_CA_BUNDLE), and is never retried."""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from liveperson_dagster import cli
from liveperson_dagster.liveperson import LivePersonClient, LivePersonConfigError, LivePersonTLSError
from liveperson_dagster.config import ProjectSettings, SettingsError, connection_from_env

from .helpers import FAST_HTTP

TLS = Path(__file__).parent / "tls"
CERTIFICATE = TLS / "loopback-cert.pem"  # self-signed, for 127.0.0.1 only


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server():
    """A loopback HTTPS server presenting the self-signed certificate; it answers 404 to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERTIFICATE, TLS / "loopback-key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def variables(port: int, host: str = "127.0.0.1", **extra) -> dict:
    return {"LIVEPERSON_ACCOUNT_ID": "13350576", "LIVEPERSON_CSDS_URL": f"https://{host}:{port}",
            "LIVEPERSON_CLIENT_ID": "client", "LIVEPERSON_CLIENT_SECRET": "secret-value", **extra}


def test_an_untrusted_certificate_fails_at_once_naming_the_certificate_and_the_setting(https_server):
    client = LivePersonClient(connection_from_env(variables(https_server), http=FAST_HTTP))
    with pytest.raises(LivePersonTLSError) as raised:
        list(client.fetch_collection("users"))
    message = str(raised.value)
    assert "TLS certificate not accepted (self-signed certificate)" in message
    assert "LIVEPERSON_CA_BUNDLE" in message and f"https://127.0.0.1:{https_server}/api/account/" in message
    assert client.stats.count("requests") == 1 and client.stats.retries == {}  # not retried


def test_a_certificate_of_another_host_is_refused_even_when_its_authority_is_trusted(https_server):
    connection = connection_from_env(variables(https_server, "localhost", LIVEPERSON_CA_BUNDLE=str(CERTIFICATE)),
                                     http=FAST_HTTP)
    client = LivePersonClient(connection)
    with pytest.raises(LivePersonTLSError, match=r"TLS certificate not accepted \(Hostname mismatch"):
        list(client.fetch_collection("users"))
    assert client.stats.count("requests") == 1


def test_the_ca_bundle_setting_makes_the_authority_trusted(https_server):
    # Past TLS, the server's 404 is what CSDS answers for an unknown account: the handshake succeeded.
    connection = connection_from_env(variables(https_server, LIVEPERSON_CA_BUNDLE=str(CERTIFICATE)), http=FAST_HTTP)
    with pytest.raises(LivePersonConfigError, match=r"does not know account '13350576' \(HTTP 404"):
        list(LivePersonClient(connection).fetch_collection("users"))


def test_the_check_command_reports_the_certificate(https_server, monkeypatch, capsys):
    for name, value in variables(https_server).items():
        monkeypatch.setenv(name, value)
    assert cli.main(["check"]) == 1
    verdict = capsys.readouterr().out.splitlines()[-1]
    assert verdict.startswith("FAILED: GET https://127.0.0.1:") and "certificate" in verdict
    assert "secret-value" not in verdict


def test_a_ca_bundle_that_is_not_a_readable_file_stops_the_load(tmp_path):
    missing = tmp_path / "no-such.pem"
    with pytest.raises(SettingsError, match=rf"^LIVEPERSON_CA_BUNDLE='{missing}' is invalid: expected the path of a "
                                            "readable PEM file"):
        ProjectSettings.from_env({"LIVEPERSON_CA_BUNDLE": str(missing)})
