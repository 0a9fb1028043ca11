"""make openmetadata-* and pagila-data: what they run, and what they say when something is missing.

docker and astro are stand-ins (tests/platform/fakes/) that record their calls; the make targets
and scripts/datakit_stack.py are the real ones.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.platform.compose_model import REPO
from tests.platform.stack_fakes import FakeStack, clean_env, container, make

sys.path.insert(0, str(REPO / "scripts"))
import datakit_stack  # noqa: E402

TARGETS = ("openmetadata-start", "openmetadata-stop", "openmetadata-status", "openmetadata-logs",
           "openmetadata-clean", "openmetadata-token", "pagila-data", "backup", "restore")
DOCKER_TARGETS = ("openmetadata-start", "openmetadata-stop", "openmetadata-status", "openmetadata-logs",
                  "openmetadata-clean", "openmetadata-token", "backup")
PROJECT = "openmetadata-datakit_abc123"


@pytest.fixture
def stack(tmp_path):
    fake = FakeStack(root=tmp_path)
    fake.containers = [
        container("c-sched", "scheduler"), container("c-api", "api-server"),
        container("c-pg", "postgres"),
        container("c-omdb", "openmetadata-db"), container("c-search", "openmetadata-search"),
        container("c-mig", "execute-migrate-all", "exited", "Exited (0) 3 minutes ago"),
        container("c-om", "openmetadata-server"),
        container("c-bot", "openmetadata-bot-token", "exited", "Exited (0) 1 minute ago"),
        container("c-fetch", "pagila-fetch", "exited", "Exited (0) 4 minutes ago"),
        container("c-pagila", "pagila-db"),
    ]
    fake.volumes = [f"{PROJECT}_{v}" for v in ("postgres_data", "airflow_logs", "openmetadata-db-data",
                                               "openmetadata-search-data", "openmetadata-bot-token",
                                               "pagila-data", "pagila-db-data", "krb5-cache")]
    return fake


@pytest.fixture
def health_endpoint():
    """A loopback /healthcheck standing in for OpenMetadata's admin port."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200 if self.path == "/healthcheck" else 404)
            self.end_headers()
            self.wfile.write(b'{"healthy":true}')

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _no_traceback(result):
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_help_lists_every_target_with_a_description():
    result = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    for target in TARGETS:
        line = next((ln for ln in plain.splitlines() if ln.strip().startswith(target + " ")), None)
        assert line and len(line.split(None, 1)[1]) > 20, f"`make help` must describe {target}"


# --- missing programs: a clear message, never a traceback ------------------------------------------


@pytest.mark.parametrize("target", DOCKER_TARGETS)
def test_missing_docker_is_a_clear_message(target):
    env = clean_env(DOCKER="/nonexistent/docker", ASTRO=str(REPO / "tests/platform/fakes/astro"))
    result = make(target, env)
    assert result.returncode != 0
    assert "docker not found" in result.stderr and "https://docs.docker.com/get-docker/" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize("target", DOCKER_TARGETS)
def test_docker_engine_down_is_a_clear_message(stack, target):
    stack.engine_down = True
    result = make(target, stack.env())
    assert result.returncode != 0
    assert "Docker engine is not reachable" in result.stderr and "Start Docker Desktop" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize("target", ("openmetadata-start", "openmetadata-stop"))
def test_missing_astro_is_a_clear_message(stack, target):
    result = make(target, stack.env(ASTRO="/nonexistent/astro"))
    assert result.returncode != 0
    assert "astro not found" in result.stderr and "install-cli" in result.stderr
    _no_traceback(result)
    assert stack.astro_calls() == []


# --- start / stop ----------------------------------------------------------------------------------


def test_start_loads_dotenv_for_the_compose_file_and_waits_for_openmetadata(stack, tmp_path, health_endpoint):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# local settings\nIMAGE_OPENMETADATA_SERVER=mirror.corp/openmetadata/server:2.0.6\n"
                      "IMAGE_SEARCH=from-dotenv\nDATAKIT_SCHEDULE_NIGHTLY=0 2 * * *\n"
                      "export PAGILA_DB_PASSWORD='quoted value'\n")
    env = stack.env(DATAKIT_ENV_FILE=str(dotenv), IMAGE_SEARCH="from-shell", ASTRO_START_ARGS="--wait 5m",
                    OPENMETADATA_ADMIN_PORT=str(health_endpoint), OPENMETADATA_WAIT_SECONDS="30")
    result = make("openmetadata-start", env)
    assert result.returncode == 0, result.stdout + result.stderr
    [call] = stack.astro_calls()
    assert call["args"] == ["dev", "start", "--wait", "5m"]
    assert call["env"] == {"IMAGE_OPENMETADATA_SERVER": "mirror.corp/openmetadata/server:2.0.6",
                           "IMAGE_SEARCH": "from-shell",  # the shell wins over .env, as in compose
                           "DATAKIT_SCHEDULE_NIGHTLY": "0 2 * * *", "PAGILA_DB_PASSWORD": "quoted value"}
    assert "OpenMetadata   http://127.0.0.1:8585" in result.stdout
    assert "openmetadata_default written for Airflow" in result.stdout
    assert "quoted value" not in result.stdout + result.stderr


def test_start_reports_an_astro_failure(stack):
    result = make("openmetadata-start", stack.env(FAKE_ASTRO_EXIT="3", OPENMETADATA_WAIT_SECONDS="0"))
    assert result.returncode != 0
    assert "astro dev start failed (exit 3)" in result.stderr and "openmetadata-status" in result.stderr
    _no_traceback(result)


def test_start_says_when_openmetadata_is_not_healthy(stack):
    stack.containers = [c for c in stack.containers if c["service"] != "openmetadata-bot-token"]
    result = make("openmetadata-start", stack.env(OPENMETADATA_ADMIN_PORT="9", OPENMETADATA_WAIT_SECONDS="1"))
    assert result.returncode != 0
    assert "NOT healthy yet" in result.stdout and "gave up waiting for OpenMetadata" in result.stderr


def test_stop_drives_astro_dev_stop(stack):
    result = make("openmetadata-stop", stack.env())
    assert result.returncode == 0, result.stderr
    assert [c["args"] for c in stack.astro_calls()] == [["dev", "stop"]]
    assert "Data is kept" in result.stdout


# --- status / logs / token -------------------------------------------------------------------------


def test_status_lists_every_container_and_the_health(stack, health_endpoint):
    result = make("openmetadata-status", stack.env(OPENMETADATA_ADMIN_PORT=str(health_endpoint)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Compose project: {PROJECT}" in result.stdout
    for service in ("openmetadata-server", "openmetadata-db", "pagila-db", "scheduler"):
        assert re.search(rf"^{service}\s+running", result.stdout, re.MULTILINE), service
    assert "/healthcheck: ok (HTTP 200)" in result.stdout
    assert "Bot token one-shot   exited (Exited (0)" in result.stdout


def test_status_flags_problems(stack, health_endpoint):
    stack.containers[6]["status"] = "Up 5 minutes (unhealthy)"
    stack.containers[7]["status"] = "Exited (1) 1 minute ago"
    result = make("openmetadata-status", stack.env(OPENMETADATA_ADMIN_PORT=str(health_endpoint)))
    assert result.returncode != 0
    assert "Problems: openmetadata-bot-token, openmetadata-server" in result.stdout


def test_status_without_containers(stack):
    stack.containers = []
    result = make("openmetadata-status", stack.env())
    assert result.returncode != 0 and "make openmetadata-start" in result.stdout


def test_logs_of_a_service(stack):
    result = make("openmetadata-logs", stack.env(SERVICE="pagila-db", TAIL="50"))
    assert result.returncode == 0 and "log line of pagila-db" in result.stdout
    assert ["logs", "--tail", "50", "c-pagila"] in stack.docker_calls()
    result = make("openmetadata-logs", stack.env(SERVICE="nope"))
    assert result.returncode != 0 and "no container for service 'nope'" in result.stderr
    assert "openmetadata-server" in result.stderr


def test_token_reruns_the_one_shot(stack):
    result = make("openmetadata-token", stack.env())
    assert result.returncode == 0 and "ran again" in result.stdout
    assert ["start", "-a", "c-bot"] in stack.docker_calls()


# --- clean -------------------------------------------------------------------------------------------


def test_clean_refuses_without_confirmation(stack):
    result = make("openmetadata-clean", stack.env())
    assert result.returncode != 0
    assert "CONFIRM=yes" in result.stderr and "DELETES" in result.stdout
    assert not any(call[0] in ("rm", "volume") and call[1:2] != ["ls"] for call in stack.docker_calls())
    assert len(stack.state()["containers"]) == 10


def test_clean_removes_openmetadata_and_pagila_only(stack):
    result = make("openmetadata-clean", stack.env(CONFIRM="yes"))
    assert result.returncode == 0, result.stderr
    state = stack.state()
    assert sorted(c["service"] for c in state["containers"]) == ["api-server", "postgres", "scheduler"]
    assert sorted(state["volumes"]) == sorted(f"{PROJECT}_{v}" for v in ("postgres_data", "airflow_logs", "krb5-cache"))


def test_clean_can_keep_pagila(stack):
    result = make("openmetadata-clean", stack.env(CONFIRM="yes", KEEP_PAGILA="yes"))
    assert result.returncode == 0, result.stderr
    services = {c["service"] for c in stack.state()["containers"]}
    assert {"pagila-db", "pagila-fetch"} <= services and "openmetadata-db" not in services
    assert f"{PROJECT}_pagila-db-data" in stack.state()["volumes"]


# --- helpers ---------------------------------------------------------------------------------------


def test_parse_dotenv_like_compose():
    text = ("# comment\n\nA=1\nB = two words\nexport C=\"quoted # not a comment\"\nD='single'\n"
            "E=value # trailing comment\nF=\nG=0 2 * * *\nnot a line\n")
    assert datakit_stack.parse_dotenv(text) == {
        "A": "1", "B": "two words", "C": "quoted # not a comment", "D": "single", "E": "value", "F": "",
        "G": "0 2 * * *"}


def test_the_repositorys_env_example_parses():
    values = datakit_stack.parse_dotenv((REPO / ".env.example").read_text())
    assert values["DATAKIT_SCHEDULE_NIGHTLY"] == "0 2 * * *"


def test_astro_project_name_shape():
    assert re.fullmatch(r"openmetadata-datakit_[0-9a-f]{6}", datakit_stack.astro_project_name())


@pytest.mark.parametrize("dsn, db, masked", [
    ("postgresql://om:pw@db.example:5432/openmetadata_db?sslmode=require", "postgresql://om:pw@db.example:5432/postgres?sslmode=require",
     "postgresql://om:***@db.example:5432/openmetadata_db?sslmode=require"),
    ("host=db.example user=om password=pw dbname=openmetadata_db", "host=db.example user=om password=pw dbname='postgres'",
     "host=db.example user=om password=*** dbname=openmetadata_db"),
    ("host=db.example user=om", "host=db.example user=om dbname='postgres'", "host=db.example user=om"),
])
def test_dsn_helpers(dsn, db, masked):
    assert datakit_stack.dsn_with_db(dsn, "postgres") == db
    assert datakit_stack.mask_dsn(dsn) == masked
    assert datakit_stack.dsn_database(db) == "postgres"


def test_start_with_the_local_token_switched_off(stack, health_endpoint):
    result = make("openmetadata-start", stack.env(DATAKIT_LOCAL_BOT_TOKEN="false",
                                                  OPENMETADATA_ADMIN_PORT=str(health_endpoint)))
    assert result.returncode == 0, result.stderr
    assert "not fetched (DATAKIT_LOCAL_BOT_TOKEN is off)" in result.stdout
