"""Start and stop a real ``airflow standalone`` with this project, for tests and ``make demo``.

``airflow standalone`` runs the scheduler, DAG processor, API server and triggerer as child
processes of one Python process, and each LocalExecutor task runs in its own process group
(the Task SDK's supervisor calls ``setpgid``). Killing the standalone's pid alone leaves the
components and tasks running. So:

* ``Standalone.start`` launches it in a **new session** (``setsid``): its pid is the session id
  and the leader of the process group, and every process it ever forks stays in that session,
  whatever process group it moves to;
* ``stop_session`` sends SIGTERM to every process group of the session, waits, then SIGKILLs
  whatever is left. It works from another process too (``make demo-stop`` with a pid file),
  and is idempotent.

The environment is explicit (``airflow_env``): nothing from the caller's ``AIRFLOW__*`` /
``AIRFLOW_CONN_*`` leaks in, so a test session's own Airflow settings never reach the server.
Health is ``GET /api/v2/monitor/health`` with every component healthy; logins use the simple
auth manager's generated passwords (``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated``)
and ``POST /auth/token``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
_DROPPED_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "DATAKIT_")


class StandaloneError(RuntimeError):
    """Airflow standalone did not start, or did not answer as expected (message has the log tail)."""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def airflow_env(
    home: Path,
    port: int,
    *,
    connections: Mapping[str, Mapping[str, Any] | str] | None = None,
    users: str = "admin:admin",
    extra: Mapping[str, str] | None = None,
    bundles: Mapping[str, Path] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a standalone Airflow running this project's DAGs and plugins.

    ``connections``: conn_id -> Airflow connection (dict or JSON) as ``AIRFLOW_CONN_<ID>``.
    ``bundles``: extra DAG bundles (name -> folder) next to the project's ``dags/``.
    ``users``: the simple auth manager's ``user:role`` list (passwords are generated).
    """
    base = dict(os.environ if base is None else base)
    env = {k: v for k, v in base.items() if k != "AIRFLOW_HOME" and not k.startswith(_DROPPED_PREFIXES)}
    db = home / "airflow.db"
    env.update({
        "AIRFLOW_HOME": str(home),
        # ``airflow standalone`` starts its components as ``airflow <cmd>`` from PATH.
        "PATH": os.pathsep.join([str(VENV_BIN), base.get("PATH", "/usr/bin:/bin")]),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), base.get("PYTHONPATH")])),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": users,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        # New DAG files are found at start; a short scan interval only matters for late writes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
        "FORCE_COLOR": "", "NO_COLOR": "1",
    })
    if bundles:
        config = [{"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                   "kwargs": {}}]
        config += [{"name": name, "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                    "kwargs": {"path": str(path), "refresh_interval": 30}} for name, path in bundles.items()]
        env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps(config)
    for conn_id, conn in (connections or {}).items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = conn if isinstance(conn, str) else json.dumps(conn)
    env.update(extra or {})
    return env


# ---------------------------------------------------------------------------- process sessions


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, pgid, sid) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    return fields[0], int(fields[2]), int(fields[3])


def session_members(sid: int) -> dict[int, int]:
    """pid -> pgid of every live (non-zombie) process in session ``sid``."""
    members = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        info = _stat(int(entry))
        if info and info[2] == sid and info[0] != "Z":
            members[int(entry)] = info[1]
    return members


def stop_session(sid: int, *, timeout: float = 30.0, leader: subprocess.Popen | None = None) -> bool:
    """SIGTERM every process group of session ``sid``, then SIGKILL what is left after ``timeout``.

    Returns True when something was running. Safe to call twice, or for a session that is gone.
    """
    members = session_members(sid)
    if not members and (leader is None or leader.poll() is not None):
        return False
    for pgid in sorted(set(members.values())):
        try:
            os.killpg(pgid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if leader is not None:
            leader.poll()  # reap our own child, or it stays a zombie member
        if not session_members(sid):
            break
        time.sleep(0.25)
    for pid in session_members(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    # SIGKILL is delivered asynchronously: on a loaded machine a killed process is still
    # listed for a moment. Wait (bounded) until the session is really empty.
    gone_by = time.monotonic() + 5
    while session_members(sid) and time.monotonic() < gone_by:
        if leader is not None:
            leader.poll()
        time.sleep(0.05)
    if leader is not None:
        try:
            leader.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    return True


# ---------------------------------------------------------------------------- the server


@dataclass
class Standalone:
    """A running ``airflow standalone`` (its session id is ``pid``)."""

    home: Path
    port: int
    pid: int
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle

    @classmethod
    def start(cls, home: Path, env: Mapping[str, str], *, log_path: Path | None = None) -> "Standalone":
        home.mkdir(parents=True, exist_ok=True)
        log_path = log_path or home / "standalone.log"
        port = int(env["AIRFLOW__API__PORT"])
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(VENV_BIN / "airflow"), "standalone"], env=dict(env), cwd=str(home),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return cls(home=home, port=port, pid=process.pid, log_path=log_path, process=process)

    def stop(self, timeout: float = 30.0) -> bool:
        return stop_session(self.pid, timeout=timeout, leader=self.process)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return _stat(self.pid) is not None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def dag_processor_errors(self, last: int = 12) -> list[str]:
        """The DAG processor's last error lines in the standalone log (deduplicated)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        errors = [line for line in lines if line.startswith("dag-processor") and "# Errors" not in line
                  and re.search(r"(Error|Exception)\b", line)]
        return list(dict.fromkeys(errors[-last:]))

    def missing_dags_report(self, missing: Iterable[str]) -> str:
        return (f"DAGs defined in dags/ but not stored by the DAG processor: {sorted(missing)}. Their files "
                f"parsed, but the result could not be stored (Airflow records no import error for this). "
                f"DAG processor errors in {self.log_path}:\n  " + "\n  ".join(self.dag_processor_errors()))

    def health(self) -> dict[str, Any] | None:
        import requests

        try:
            response = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5)
        except requests.RequestException:
            return None
        return response.json() if response.ok else None

    def wait_healthy(self, timeout: float = 300.0) -> float:
        """Wait until every component is healthy and a login works; returns the seconds waited."""
        started = time.monotonic()
        while True:
            if not self.alive():
                raise StandaloneError(f"airflow standalone exited (log {self.log_path}):\n{self.log_tail()}")
            health = self.health() or {}
            if all((health.get(c) or {}).get("status") == "healthy" for c in HEALTH_COMPONENTS):
                if (self.home / PASSWORDS_FILE).is_file():
                    return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise StandaloneError(f"airflow standalone not healthy after {timeout:.0f} s: {health} "
                                      f"(log {self.log_path}):\n{self.log_tail()}")
            time.sleep(1)

    # -- auth

    def passwords(self) -> dict[str, str]:
        return json.loads((self.home / PASSWORDS_FILE).read_text())

    def token(self, username: str = "admin", password: str | None = None) -> str:
        """A JWT from ``POST /auth/token`` (cached per user)."""
        import requests

        if password is None and username in self._tokens:
            return self._tokens[username]
        secret = password if password is not None else self.passwords()[username]
        response = requests.post(f"{self.url}/auth/token", json={"username": username, "password": secret},
                                 timeout=30)
        if response.status_code not in (200, 201):
            raise StandaloneError(f"POST /auth/token for {username!r}: {response.status_code} {response.text[:300]}")
        token = response.json()["access_token"]
        if password is None:
            self._tokens[username] = token
        return token

    # -- REST

    def request(self, method: str, path: str, *, token: str | None = None, user: str | None = "admin",
                **kwargs):
        """A raw request; authenticated as ``user`` unless ``token`` is given or ``user`` is None."""
        import requests

        headers = dict(kwargs.pop("headers", None) or {})
        if token is None and user is not None:
            token = self.token(user)
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        # 60 s: on a 2-core machine the API server shares the CPU with the scheduler, DAG processor and
        # a task; one answer took over 30 s in a loaded full-suite run.
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=kwargs.pop("timeout", 60),
                                **kwargs)

    def api(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        if not response.ok:
            raise StandaloneError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def wait_for_dags(self, dag_ids: Iterable[str], timeout: float = 180.0, settle: float | None = None
                      ) -> dict[str, dict]:
        """Wait until the DAG processor has stored every DAG; returns them by id.

        ``settle``: give up early when the set of stored DAGs has not changed for that many
        seconds (the processor's first pass is over, the rest will not come).
        """
        wanted = set(dag_ids)
        started = time.monotonic()
        seen: set[str] = set()
        changed = started
        while True:
            dags = {d["dag_id"]: d for d in self.api("GET", "/api/v2/dags?limit=1000")["dags"]}
            if wanted <= dags.keys():
                return dags
            now = time.monotonic()
            if dags.keys() != seen:
                seen, changed = set(dags), now
            settled = settle is not None and seen and now - changed > settle
            if settled or now - started > timeout:
                errors = self.api("GET", "/api/v2/importErrors")
                raise StandaloneError(f"DAGs {sorted(wanted - dags.keys())} not stored after {now - started:.0f} s; "
                                      f"import errors: {errors}")
            time.sleep(2)

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        body: dict[str, Any] = {"logical_date": None}
        if conf:
            body["conf"] = conf
        return self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=-start_date")["dag_runs"]

    def wait_for_run(self, dag_id: str, run_id: str | None = None, timeout: float = 600.0,
                     poll: float = 2.0) -> dict:
        """Wait until a run (``run_id``, or the newest one of ``dag_id``) is success or failed."""
        deadline = time.monotonic() + timeout
        while True:
            if run_id is not None:
                run = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            else:
                runs = self.runs(dag_id)
                run = runs[0] if runs else {}
            if run.get("state") in ("success", "failed"):
                return run
            if time.monotonic() > deadline:
                raise StandaloneError(f"run {dag_id}/{run_id or 'latest'} not finished after {timeout:.0f} s: "
                                      f"{run.get('state')}")
            if not self.alive():
                raise StandaloneError(f"airflow standalone exited while waiting for {dag_id}:\n{self.log_tail()}")
            time.sleep(poll)

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        tis = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
        return {ti["task_id"]: ti["state"] for ti in tis}


# ---------------------------------------------------------------------------- one stack per test session

PROBE_DAG_ID = "datakit_probe_managed_apis"
PROBE_BUNDLE = "datakit-test-probes"
# A DAG outside the project (its own bundle), for tests that create runs: it stays paused,
# so a run it gets is only ever queued, never executed.
PROBE_DAG_SOURCE = f'''
"""Probe for tests of the managed APIs: trigger it, then count its runs."""
from datetime import datetime, timezone

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("{PROBE_DAG_ID}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         catchup=False, tags=["test"]):
    EmptyOperator(task_id="noop")
'''
TEST_USERS = "admin:admin,viewer:viewer,user:user"
ARTIFACTS = REPO / "test-artifacts"


@dataclass
class ProjectStack:
    """``airflow standalone`` with the project, the OpenMetadata emulator and (optionally) pagila."""

    airflow: Standalone
    root: Path
    emulator: Any = field(repr=False)
    pg: Any = field(default=None, repr=False)
    database: str | None = None
    closed: bool = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.airflow.stop()
        finally:
            self.emulator.stop()
            import shutil

            shutil.rmtree(self.root, ignore_errors=True)


_STACK: ProjectStack | None = None
_STACK_ERROR: BaseException | None = None


def project_stack(pg_cluster=None) -> ProjectStack:
    """The test session's one standalone Airflow (started on first use, stopped at exit).

    Test modules in different folders share it through this module (a session fixture would
    need the top-level conftest). With ``pg_cluster`` the ``pagila_postgres`` connection points at
    a copy of its pagila template (``pagila_standalone``: not the ``pagila`` database that
    function-scoped fixtures drop and recreate). The scheduler creates no scheduled runs
    (``use_job_schedule=False``): tests trigger what they need, nothing else runs.
    """
    global _STACK, _STACK_ERROR
    if _STACK is not None:
        return _STACK
    if _STACK_ERROR is not None:
        raise StandaloneError(f"the shared airflow standalone failed to start earlier: {_STACK_ERROR}")
    try:
        _STACK = _start_stack(pg_cluster)
    except BaseException as exc:
        _STACK_ERROR = exc
        raise
    import atexit

    atexit.register(_STACK.close)
    return _STACK


def _start_stack(pg_cluster) -> ProjectStack:
    import tempfile

    from openmetadata_emulator import Emulator

    root = Path(tempfile.mkdtemp(prefix="datakit-standalone-"))
    bundle = root / "probe-dags"
    bundle.mkdir()
    (bundle / "probe_managed_apis.py").write_text(PROBE_DAG_SOURCE)
    emulator = Emulator(host="127.0.0.1", port=0)
    emulator.start()
    try:
        from urllib.parse import urlsplit

        om_port = urlsplit(emulator.url).port  # http://127.0.0.1:PORT/api
        connections: dict[str, Any] = {
            "openmetadata_default": {"conn_type": "http", "schema": "http", "host": "127.0.0.1", "port": om_port,
                                     "password": "test-jwt-not-a-secret", "extra": {"read_timeout": 30}},
            "airflow_metadata_db": {"conn_type": "sqlite", "host": str(root / "airflow" / "airflow.db"),
                                    "extra": {"number_of_status": 0}},
        }
        extra = {"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}
        database = None
        if pg_cluster is not None:
            database = "pagila_standalone"
            pg_cluster.drop_database(database)
            pg_cluster.create_database(database, template="pagila_template")
            connections["pagila_postgres"] = pg_cluster.airflow_conn_json(database)
            extra["DATAKIT_PAGILA_HOSTPORT"] = f"{pg_cluster.host}:{pg_cluster.port}"
        home = root / "airflow"
        port = free_port()
        env = airflow_env(home, port, connections=connections, users=TEST_USERS, extra=extra,
                          bundles={PROBE_BUNDLE: bundle})
        ARTIFACTS.mkdir(exist_ok=True)
        airflow = Standalone.start(home, env, log_path=ARTIFACTS / "airflow-standalone.log")
        stack = ProjectStack(airflow=airflow, root=root, emulator=emulator, pg=pg_cluster, database=database)
        try:
            airflow.wait_healthy(timeout=420)
        except BaseException:
            stack.close()
            raise
        return stack
    except BaseException:
        emulator.stop()
        raise
