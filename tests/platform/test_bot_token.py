"""include/openmetadata/bot_token.py against a tiny fake OpenMetadata on loopback.

The fake answers exactly the three calls of the real API (login -> bot -> auth mechanism) and
records every request, so the tests see what was sent (base64 password, bearer token) and that
nothing at all is sent when the guard refuses.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from include.openmetadata import bot_token
from tests.platform.compose_model import REPO

BOT_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJlLW5vdC1hLXJlYWwtc2VjcmV0"
ADMIN_ACCESS = "admin-session-token-not-a-real-secret"
BOT_USER_ID = "4d7a6c1e-0000-4000-8000-00000000b07"
LOCAL_ENV = {"DATAKIT_LOCAL_BOT_TOKEN": "true"}


class FakeOpenMetadata:
    """Loopback HTTP server with the routes bot_token calls; ``fail`` injects answers."""

    def __init__(self):
        self.requests: list[dict] = []
        self.password = "admin"
        self.fail: dict[str, list[int]] = {}  # path prefix -> statuses to answer first
        self.redirect_login = False
        self.jwt: str | None = BOT_JWT
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def _answer(self, status, body=None, headers=None):
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append({"method": method, "path": self.path, "body": body,
                                      "authorization": self.headers.get("Authorization")})
                for prefix, statuses in fake.fail.items():
                    if self.path.startswith(prefix) and statuses:
                        return self._answer(statuses.pop(0), {"message": "not ready"})
                if method == "POST" and self.path == "/api/v1/users/login":
                    if fake.redirect_login:
                        return self._answer(302, None, {"Location": "http://198.51.100.7/api/v1/users/login"})
                    expected = base64.b64encode(fake.password.encode()).decode()
                    if body != {"email": "admin@open-metadata.org", "password": expected}:
                        return self._answer(401, {"code": 401, "message": "You have entered an invalid username or password."})
                    return self._answer(200, {"tokenType": "Bearer", "accessToken": ADMIN_ACCESS, "expiryDuration": 3600})
                if self.headers.get("Authorization") != f"Bearer {ADMIN_ACCESS}":
                    return self._answer(401, {"message": "Not Authorized"})
                if method == "GET" and self.path == "/api/v1/bots/name/ingestion-bot":
                    return self._answer(200, {"name": "ingestion-bot", "botUser": {"id": BOT_USER_ID, "type": "user"}})
                if method == "GET" and self.path == f"/api/v1/users/auth-mechanism/{BOT_USER_ID}":
                    config = {"JWTTokenExpiry": "Unlimited"}
                    if fake.jwt:
                        config["JWTToken"] = fake.jwt
                    return self._answer(200, {"authType": "JWT", "config": config})
                return self._answer(404, {"message": f"no route {self.path}"})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_om():
    with FakeOpenMetadata() as fake:
        yield fake


def test_fetches_the_bot_token_login_bot_auth_mechanism(fake_om):
    token = bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV)
    assert token.jwt == BOT_JWT and token.bot_user_id == BOT_USER_ID and token.expiry == "Unlimited"
    assert [(r["method"], r["path"]) for r in fake_om.requests] == [
        ("POST", "/api/v1/users/login"),
        ("GET", "/api/v1/bots/name/ingestion-bot"),
        ("GET", f"/api/v1/users/auth-mechanism/{BOT_USER_ID}"),
    ]
    login = fake_om.requests[0]
    assert login["body"]["password"] == base64.b64encode(b"admin").decode(), "OpenMetadata wants base64"
    assert login["authorization"] is None
    assert all(r["authorization"] == f"Bearer {ADMIN_ACCESS}" for r in fake_om.requests[1:])
    assert BOT_JWT not in repr(token) and BOT_JWT not in token.describe()


@pytest.mark.parametrize("api_url", [
    "http://om.corp.example.com:8585/api",
    "https://openmetadata.example.org/api",
    "http://localhost.evil.example:8585/api",
    "http://openmetadata-server.example.com:8585/api",
    "http://127.0.0.1.nip.io:8585/api",
    "http://localhost@198.51.100.7:8585/api",
    "http://10.0.0.5:8585/api",
    "ftp://localhost/api",
])
def test_refuses_any_server_that_is_not_local(api_url, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a refused server must not be contacted")

    monkeypatch.setattr(bot_token._Client, "call", no_network)
    with pytest.raises(bot_token.RefusedError):
        bot_token.fetch_bot_token(api_url, env=LOCAL_ENV)


@pytest.mark.parametrize("host", ["openmetadata-server:8585", "localhost:8585", "127.0.0.1:8585", "[::1]:8585"])
def test_local_hosts_are_allowed(host):
    assert bot_token.check_local(f"http://{host}/api/", LOCAL_ENV) == f"http://{host}/api"


@pytest.mark.parametrize("flag", [None, "", "false", "0", "no", "maybe"])
def test_refuses_without_the_local_flag(fake_om, flag):
    env = {} if flag is None else {"DATAKIT_LOCAL_BOT_TOKEN": flag}
    with pytest.raises(bot_token.DisabledError):
        bot_token.fetch_bot_token(fake_om.api_url, env=env)
    assert fake_om.requests == []


def test_wrong_admin_password_says_what_to_set(fake_om):
    fake_om.password = "changed-by-the-admin"
    with pytest.raises(bot_token.BotTokenError, match="OPENMETADATA_ADMIN_PASSWORD"):
        bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV)
    assert len(fake_om.requests) == 1


def test_redirects_are_not_followed(fake_om):
    fake_om.redirect_login = True
    with pytest.raises(bot_token.BotTokenError, match="redirect"):
        bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV)


def test_proxies_from_the_environment_are_ignored(fake_om, monkeypatch):
    # A proxy would receive the admin password; this one does not exist, so using it would fail.
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV).jwt == BOT_JWT


def test_waits_while_the_server_is_starting(fake_om):
    fake_om.fail["/api/v1/users/login"] = [503, 503]
    token = bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV, wait=10, retry_sleep=0.05)
    assert token.jwt == BOT_JWT
    assert [r["path"] for r in fake_om.requests].count("/api/v1/users/login") == 3


def test_gives_up_after_the_wait(fake_om):
    fake_om.fail["/api/v1/users/login"] = [503] * 100
    with pytest.raises(bot_token.BotTokenError, match="HTTP 503"):
        bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV, wait=0.2, retry_sleep=0.05)


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(bot_token.BotTokenError, match="refused|Connection"):
        bot_token.fetch_bot_token("http://127.0.0.1:9/api", env=LOCAL_ENV, timeout=2)


def test_bot_without_jwt(fake_om):
    fake_om.jwt = None
    with pytest.raises(bot_token.BotTokenError, match="Settings > Bots"):
        bot_token.fetch_bot_token(fake_om.api_url, env=LOCAL_ENV)


# --- the CLI the compose one-shot runs -------------------------------------------------------------


def test_cli_writes_a_connections_file_airflow_reads(fake_om, tmp_path, caplog, capsys):
    target = tmp_path / "secrets" / "connections.json"
    with caplog.at_level(logging.DEBUG):
        code = bot_token.main(["--api-url", fake_om.api_url, "--write-connections", str(target)], env=LOCAL_ENV)
    assert code == 0
    data = json.loads(target.read_text())
    assert set(data) == {"openmetadata_default"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not list(target.parent.glob(".*")), "no temp file left behind"

    # Airflow's own backend reads it, and the datakit's server settings accept it.
    from airflow.secrets.local_filesystem import LocalFilesystemBackend

    from include.openmetadata.server import server_from_connection

    conn = LocalFilesystemBackend(connections_file_path=str(target)).get_connection("openmetadata_default")
    assert conn.password == BOT_JWT
    server = server_from_connection(conn)
    assert server.api_url == fake_om.api_url and server.jwt == BOT_JWT
    assert (server.connect_timeout, server.read_timeout) == (5, 60)

    out = capsys.readouterr()
    assert BOT_JWT not in out.out + out.err
    assert BOT_JWT not in caplog.text and ADMIN_ACCESS not in caplog.text
    assert f"{len(BOT_JWT)} characters" in caplog.text


def test_cli_connection_url_is_what_airflow_uses(fake_om, tmp_path):
    target = tmp_path / "connections.json"
    code = bot_token.main(["--api-url", fake_om.api_url, "--connection-url", "http://openmetadata-server:8585/api",
                           "--write-connections", str(target), "--conn-id", "om_local"], env=LOCAL_ENV)
    assert code == 0
    entry = json.loads(target.read_text())["om_local"]
    assert (entry["schema"], entry["host"], entry["port"]) == ("http", "openmetadata-server", 8585)


def test_cli_refuses_a_remote_server_and_leaves_the_file_alone(tmp_path, caplog):
    target = tmp_path / "connections.json"
    target.write_text('{"keep": "me"}')
    code = bot_token.main(["--api-url", "https://catalog.corp.example.com/api", "--write-connections", str(target)],
                          env=LOCAL_ENV)
    assert code == 2
    assert target.read_text() == '{"keep": "me"}'
    assert "refused" in caplog.text


def test_cli_disabled_leaves_no_stale_connection(fake_om, tmp_path):
    target = tmp_path / "connections.json"
    assert bot_token.main(["--api-url", fake_om.api_url, "--write-connections", str(target)], env=LOCAL_ENV) == 0
    assert "openmetadata_default" in json.loads(target.read_text())
    code = bot_token.main(["--api-url", fake_om.api_url, "--write-connections", str(target)],
                          env={"DATAKIT_LOCAL_BOT_TOKEN": "false"})
    assert code == 0
    assert json.loads(target.read_text()) == {}, "a connection set elsewhere must win once disabled"
    assert len(fake_om.requests) == 3, "disabled: no request"


def test_cli_login_failure_keeps_the_previous_file(fake_om, tmp_path, caplog):
    target = tmp_path / "connections.json"
    target.write_text('{"openmetadata_default": {"conn_type": "http", "password": "previous"}}')
    fake_om.password = "rotated"
    code = bot_token.main(["--api-url", fake_om.api_url, "--write-connections", str(target)], env=LOCAL_ENV)
    assert code == 1
    assert "previous" in target.read_text()
    assert "OPENMETADATA_ADMIN_PASSWORD" in caplog.text


def test_cli_admin_credentials_from_the_environment(fake_om, tmp_path):
    fake_om.password = "n3w-admin-pw"
    env = {**LOCAL_ENV, "OPENMETADATA_ADMIN_PASSWORD": "n3w-admin-pw"}
    code = bot_token.main(["--api-url", fake_om.api_url, "--write-connections", str(tmp_path / "c.json")], env=env)
    assert code == 0


def test_runs_as_a_module_in_a_bare_python(fake_om, tmp_path):
    """What the compose one-shot runs: plain python, only include/ on the path, no SDK, no Airflow."""
    app = tmp_path / "app"
    (app / "include" / "openmetadata").mkdir(parents=True)
    for name in ("include/__init__.py", "include/openmetadata/__init__.py", "include/openmetadata/bot_token.py"):
        (app / name).write_bytes((REPO / name).read_bytes())
    target = tmp_path / "out" / "connections.json"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(app), "DATAKIT_LOCAL_BOT_TOKEN": "true"}
    result = subprocess.run(
        [sys.executable, "-S", "-m", "include.openmetadata.bot_token", "--api-url", fake_om.api_url,
         "--write-connections", str(target), "--wait", "5"],
        cwd=app, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text())["openmetadata_default"]["password"] == BOT_JWT
    assert BOT_JWT not in result.stdout + result.stderr
    assert "wrote connection openmetadata_default" in result.stderr


def test_the_flow_against_the_emulator_finds_what_it_reads(om_emulator_factory):
    """The login -> bot -> auth-mechanism calls against the OpenMetadata emulator, whose fresh
    store holds what a fresh server has (the admin user, the ``ingestion-bot`` bot and user): the
    emulator's contract tests pin those built-ins against the server's seed data."""
    emulator = om_emulator_factory(token="emulator-bot-jwt")
    token = bot_token.fetch_bot_token(emulator.url, env=LOCAL_ENV)
    assert token.jwt == "emulator-bot-jwt" and token.expiry == "Unlimited"
    bot_user = emulator.store.get("users", "ingestion-bot")
    assert token.bot_user_id == bot_user["id"] and bot_user["isBot"]
    assert [path for _, path, _ in emulator.requests_log] == [
        "/api/v1/users/login", "/api/v1/bots/name/ingestion-bot", f"/api/v1/users/auth-mechanism/{bot_user['id']}",
    ]
