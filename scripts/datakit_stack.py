#!/usr/bin/env python3
"""Operate the local stack (Airflow + OpenMetadata + pagila) and back up OpenMetadata's database.

Driven by the Makefile (mk/openmetadata.mk, mk/backup.mk); every setting is an environment
variable, so ``make <target> NAME=value`` works:

  start          astro dev start (with .env loaded for the compose file), then wait for OpenMetadata
  stop           astro dev stop (containers stop, data stays)
  status         every container of this project, OpenMetadata's health, the bot-token one-shot
  logs           docker logs of SERVICE (default openmetadata-server), TAIL lines, FOLLOW=1
  clean          delete OpenMetadata's (and pagila's) containers and volumes; asks first (CONFIRM=yes)
  refresh-token  run the openmetadata-bot-token one-shot again
  pagila-data    put the pinned pagila files into docker/pagila/data (from PAGILA_SOURCE_DIR or upstream)
  backup         pg_dump -Fc of openmetadata_db into backups/ (timestamped, sha256 sidecar)
  restore        restore BACKUP=<file> into the database named in it (asks first; CONFIRM=yes)

Backup/restore targets: by default the stack's openmetadata-db container (``docker exec``);
with DSN=<libpq URI or key=value string> or PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE) any reachable PostgreSQL, with the local pg_dump/pg_restore/psql. BACKUP_MODE=compose
or direct forces one.

Standard library only, Python 3.8+: it runs on the host, before any virtualenv exists. Errors
are one clear message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Mapping, MutableMapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]

OM_DB_SERVICE = "openmetadata-db"
OM_SERVER_SERVICE = "openmetadata-server"
BOT_TOKEN_SERVICE = "openmetadata-bot-token"
OM_DATABASE = "openmetadata_db"
# What `clean` removes: the services of docker-compose.override.yml and their volumes.
OPENMETADATA_SERVICES = (BOT_TOKEN_SERVICE, OM_SERVER_SERVICE, "execute-migrate-all",
                         "openmetadata-search", OM_DB_SERVICE)
OPENMETADATA_VOLUMES = ("openmetadata-db-data", "openmetadata-search-data", "openmetadata-bot-token")
PAGILA_SERVICES = ("pagila-db", "pagila-fetch")
PAGILA_VOLUMES = ("pagila-db-data", "pagila-data")

DOCKER_HINT = "install Docker Desktop or Docker Engine: https://docs.docker.com/get-docker/"
ASTRO_HINT = "install the Astro CLI: https://www.astronomer.io/docs/astro/cli/install-cli"
PG_HINT = ("install the PostgreSQL client programs (Debian/Ubuntu: apt-get install postgresql-client; "
           "macOS: brew install libpq), or leave DSN/PGHOST unset to use the stack's openmetadata-db container")


class StackError(Exception):
    """A condition the user must fix; the message says what and how."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def say(message: str = "") -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# .env
# --------------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def parse_dotenv(text: str) -> Dict[str, str]:
    """KEY=value lines as docker compose reads .env: comments and blank lines skipped,
    one level of matching quotes removed, unquoted values taken literally (``0 2 * * *``),
    an unquoted `` #`` starting a comment."""
    values: Dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        values[key] = value
    return values


def apply_dotenv(env: MutableMapping[str, str], path: Path) -> List[str]:
    """Add the file's variables to ``env`` unless already set (the shell wins, as in compose)."""
    if not path.is_file():
        return []
    added = []
    for key, value in parse_dotenv(path.read_text()).items():
        if key not in env:
            env[key] = value
            added.append(key)
    return added


# --------------------------------------------------------------------------------------------
# Programs
# --------------------------------------------------------------------------------------------

def find_program(env: Mapping[str, str], var: str, default: str, hint: str) -> str:
    name = env.get(var) or default
    path = shutil.which(name, path=env.get("PATH")) if os.sep not in name else (
        name if os.path.isfile(name) and os.access(name, os.X_OK) else None)
    if not path:
        raise StackError(f"{default} not found ({var}={name}): {hint}")
    return path


def run(cmd: Sequence[str], env: Optional[Mapping[str, str]] = None, *, capture: bool = True,
        input_bytes: Optional[bytes] = None, timeout: Optional[float] = None, cwd: Optional[Path] = None
        ) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(list(cmd), env=dict(env) if env is not None else None, cwd=str(cwd or REPO),
                              input=input_bytes, capture_output=capture, timeout=timeout)
    except FileNotFoundError as exc:
        raise StackError(f"cannot run {cmd[0]}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"{' '.join(cmd[:3])} did not finish within {timeout:.0f} s") from None


def _text(data: Optional[bytes]) -> str:
    return (data or b"").decode("utf-8", "replace").strip()


def _first_line(data: Optional[bytes]) -> str:
    lines = [line for line in _text(data).splitlines() if line.strip()]
    return lines[0] if lines else ""


class Docker:
    """The docker CLI, and the containers of this project found by their compose labels."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.bin = find_program(env, "DOCKER", "docker", DOCKER_HINT)
        result = run([self.bin, "info", "--format", "{{.ServerVersion}}"], env, timeout=30)
        if result.returncode != 0:
            reason = _first_line(result.stderr) or _first_line(result.stdout) or f"exit {result.returncode}"
            raise StackError(
                f"the Docker engine is not reachable ({reason}). Start Docker Desktop, or the docker "
                f"service (sudo systemctl start docker), then try again")

    def __call__(self, *args: str, capture: bool = True, timeout: Optional[float] = None,
                 input_bytes: Optional[bytes] = None) -> subprocess.CompletedProcess:
        return run([self.bin, *args], self.env, capture=capture, timeout=timeout, input_bytes=input_bytes)

    def check(self, *args: str, what: str, timeout: Optional[float] = None) -> str:
        result = self(*args, timeout=timeout)
        if result.returncode != 0:
            raise StackError(f"{what} failed: {_text(result.stderr) or _text(result.stdout)}")
        return _text(result.stdout)

    _FORMAT = ('{{.ID}}\t{{.Label "com.docker.compose.project"}}\t{{.Label "com.docker.compose.service"}}'
               '\t{{.State}}\t{{.Status}}')

    def containers(self) -> List[Dict[str, str]]:
        """Containers of this project (any state): by project name if COMPOSE_PROJECT_NAME is
        set, else by the compose label naming this directory, else by Astro's project name."""
        filters: List[str] = []
        if self.env.get("COMPOSE_PROJECT_NAME"):
            filters.append(f"label=com.docker.compose.project={self.env['COMPOSE_PROJECT_NAME']}")
        else:
            filters.append(f"label=com.docker.compose.project.working_dir={REPO}")
            filters.append(f"label=com.docker.compose.project={astro_project_name()}")
        for flt in filters:
            out = self.check("ps", "-a", "--filter", flt, "--format", self._FORMAT, what="docker ps")
            rows = []
            for line in out.splitlines():
                parts = line.split("\t")
                if len(parts) >= 5:
                    rows.append(dict(zip(("id", "project", "service", "state", "status"), parts)))
            if rows:
                return sorted(rows, key=lambda r: r["service"])
        return []

    def project(self) -> str:
        if self.env.get("COMPOSE_PROJECT_NAME"):
            return self.env["COMPOSE_PROJECT_NAME"]
        for row in self.containers():
            if row["project"]:
                return row["project"]
        return astro_project_name()

    def container(self, service: str, *, running: bool = False) -> Optional[Dict[str, str]]:
        for row in self.containers():
            if row["service"] == service and (not running or row["state"] == "running"):
                return row
        return None


def astro_project_name() -> str:
    """The compose project name the Astro CLI uses: <project name>_<md5(project dir)[:6]>."""
    name = "airflow"
    config = REPO / ".astro" / "config.yaml"
    if config.is_file():
        match = re.search(r"^\s+name:\s*['\"]?([^'\"\n]+)", config.read_text(), re.MULTILINE)
        if match:
            name = match.group(1).strip()
    digest = hashlib.md5(str(REPO).encode()).hexdigest()[:6]  # noqa: S324 (a name, not security)
    return re.sub(r"[^a-z0-9_-]", "", f"{name}_{digest}".lower())


def confirm(env: Mapping[str, str], lines: Sequence[str]) -> None:
    """Ask for 'yes' unless CONFIRM=yes; refuse when nobody can answer."""
    for line in lines:
        if line:
            say(line)
    if env.get("CONFIRM", "").strip().lower() == "yes":
        say("CONFIRM=yes given: going ahead.")
        return
    if not sys.stdin.isatty():
        raise StackError("refusing without confirmation: no terminal to ask on. Re-run with CONFIRM=yes "
                         "to go ahead without a prompt.")
    try:
        answer = input("Type 'yes' to continue: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() != "yes":
        raise StackError("aborted: nothing was changed.")


# --------------------------------------------------------------------------------------------
# start / stop / status / logs / clean / refresh-token
# --------------------------------------------------------------------------------------------

def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise StackError(f"{name}={raw!r} is not a whole number") from None


def _local_host(env: Mapping[str, str]) -> str:
    bind = (env.get("DATAKIT_BIND_ADDRESS") or "127.0.0.1").strip()
    return "127.0.0.1" if bind in ("", "0.0.0.0", "::") else bind


def openmetadata_urls(env: Mapping[str, str]) -> Tuple[str, str]:
    host = _local_host(env)
    ui = f"http://{host}:{_int_env(env, 'OPENMETADATA_PORT', 8585)}"
    health = f"http://{host}:{_int_env(env, 'OPENMETADATA_ADMIN_PORT', 8586)}/healthcheck"
    return ui, health


def probe(url: str, timeout: float = 3.0) -> Tuple[bool, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))


def load_env(env: MutableMapping[str, str]) -> None:
    path = Path(env.get("DATAKIT_ENV_FILE") or REPO / ".env")
    if path.is_file():
        added = apply_dotenv(env, path)
        say(f"Loaded {len(added)} setting(s) from {path} (variables already set in the shell win).")
    else:
        say(f"No {path}: the local defaults of docker-compose.override.yml apply "
            f"(cp .env.example .env to change them).")


def cmd_start(env: MutableMapping[str, str]) -> int:
    astro = find_program(env, "ASTRO", "astro", ASTRO_HINT)
    docker = Docker(env)
    load_env(env)
    args = [astro, "dev", "start", *shlex.split(env.get("ASTRO_START_ARGS", ""))]
    say("$ " + " ".join(["astro", *args[1:]]))
    say("First start pulls the images and initialises OpenMetadata and pagila: allow 5-10 minutes.")
    result = run(args, env, capture=False)
    if result.returncode != 0:
        raise StackError(f"astro dev start failed (exit {result.returncode}). See `make openmetadata-status` "
                         f"and `make openmetadata-logs SERVICE=<service>`.", code=result.returncode)
    ui, health = openmetadata_urls(env)
    wait = _int_env(env, "OPENMETADATA_WAIT_SECONDS", 600)
    healthy = wait_until(lambda: probe(health)[0], wait, f"waiting for OpenMetadata ({health})")
    if (env.get("DATAKIT_LOCAL_BOT_TOKEN") or "true").strip().lower() not in ("1", "true", "yes", "on"):
        token = "not fetched (DATAKIT_LOCAL_BOT_TOKEN is off): set openmetadata_default yourself"
    else:
        token = wait_for_one_shot(docker, BOT_TOKEN_SERVICE, 90 if healthy else 0)
    say("")
    say("Airflow        http://localhost:8080 (Astro's default port)")
    say(f"OpenMetadata   {ui}   (admin@open-metadata.org / admin on a new catalog: change it)"
        + ("" if healthy else "   NOT healthy yet: make openmetadata-status"))
    say(f"pagila         {_local_host(env)}:{env.get('PAGILA_DB_HOST_PORT') or '5433'} (db pagila, user postgres)")
    say(f"Bot token      {token}")
    return 0 if healthy or wait == 0 else 1


def wait_until(check: Callable[[], bool], seconds: int, what: str) -> bool:
    if seconds <= 0:
        return check()
    interval = min(5.0, max(0.5, seconds / 10))
    deadline = time.monotonic() + seconds
    say(f"{what}, up to {seconds} s ...")
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            warn(f"gave up {what} after {seconds} s")
            return False
        time.sleep(interval)


def one_shot_state(docker: Docker, service: str) -> str:
    row = docker.container(service)
    if not row:
        return "not created"
    return f"{row['state']} ({row['status']})"


def wait_for_one_shot(docker: Docker, service: str, seconds: int) -> str:
    deadline = time.monotonic() + seconds
    while True:
        row = docker.container(service)
        if row and row["state"] == "exited":
            ok = row["status"].startswith("Exited (0)")
            return ("openmetadata_default written for Airflow" if ok else
                    f"FAILED: {row['status']}; see `make openmetadata-logs SERVICE={service}`")
        if time.monotonic() >= deadline:
            return one_shot_state(docker, service) + "; see `make openmetadata-status`"
        time.sleep(3)


def cmd_stop(env: MutableMapping[str, str]) -> int:
    astro = find_program(env, "ASTRO", "astro", ASTRO_HINT)
    Docker(env)
    load_env(env)
    result = run([astro, "dev", "stop"], env, capture=False)
    if result.returncode != 0:
        raise StackError(f"astro dev stop failed (exit {result.returncode})", code=result.returncode)
    say("Stopped. Data is kept: `make openmetadata-start` resumes, `make openmetadata-clean` deletes it.")
    return 0


def cmd_status(env: MutableMapping[str, str]) -> int:
    docker = Docker(env)
    load_env(env)
    rows = docker.containers()
    if not rows:
        say(f"No container of this project ({astro_project_name()}): `make openmetadata-start`.")
        return 3
    say(f"Compose project: {rows[0]['project']}")
    width = max(len(r["service"]) for r in rows)
    say(f"{'SERVICE'.ljust(width)}  {'STATE'.ljust(8)}  STATUS")
    for row in rows:
        say(f"{row['service'].ljust(width)}  {row['state'].ljust(8)}  {row['status']}")
    ui, health = openmetadata_urls(env)
    ok, detail = probe(health)
    say("")
    say(f"OpenMetadata health  {health}: {'ok' if ok else 'NOT ok'} ({detail})")
    say(f"OpenMetadata UI      {ui}")
    say(f"Bot token one-shot   {one_shot_state(docker, BOT_TOKEN_SERVICE)}")
    failed = [r["service"] for r in rows
              if "unhealthy" in r["status"] or (r["state"] == "exited" and not r["status"].startswith("Exited (0)"))
              or r["state"] in ("restarting", "dead")]
    if failed:
        say(f"Problems: {', '.join(failed)}: `make openmetadata-logs SERVICE=<service>`")
        return 1
    return 0 if ok else 1


def cmd_logs(env: MutableMapping[str, str]) -> int:
    docker = Docker(env)
    service = env.get("SERVICE") or OM_SERVER_SERVICE
    row = docker.container(service)
    if not row:
        known = ", ".join(r["service"] for r in docker.containers()) or "none: start the stack first"
        raise StackError(f"no container for service {service!r} (services: {known})")
    args = ["logs", "--tail", str(_int_env(env, "TAIL", 200))]
    if env.get("FOLLOW", "").strip().lower() in ("1", "yes", "true"):
        args.append("-f")
    result = docker(*args, row["id"], capture=False)
    return result.returncode


def cmd_refresh_token(env: MutableMapping[str, str]) -> int:
    docker = Docker(env)
    row = docker.container(BOT_TOKEN_SERVICE)
    if not row:
        raise StackError(f"no {BOT_TOKEN_SERVICE} container: `make openmetadata-start` first")
    say(f"Running {BOT_TOKEN_SERVICE} again (it logs the token's length and expiry, never the token).")
    return docker("start", "-a", row["id"], capture=False).returncode


def cmd_clean(env: MutableMapping[str, str]) -> int:
    docker = Docker(env)
    load_env(env)
    keep_pagila = env.get("KEEP_PAGILA", "").strip().lower() in ("1", "yes", "true")
    services = OPENMETADATA_SERVICES + (() if keep_pagila else PAGILA_SERVICES)
    volumes = OPENMETADATA_VOLUMES + (() if keep_pagila else PAGILA_VOLUMES)
    project = docker.project()
    confirm(env, [
        f"This DELETES, in compose project {project}:",
        f"  containers: {', '.join(services)}",
        f"  volumes:    {', '.join(volumes)}",
        "  = the OpenMetadata catalog (database, search index, bot token)"
        + ("" if keep_pagila else " and the pagila database") + ".",
        "Airflow and its metadata database are kept. Back up first: make backup",
    ])
    ids = [r["id"] for r in docker.containers() if r["service"] in services]
    if ids:
        docker.check("rm", "-f", "-v", *ids, what="docker rm")
    listed = docker.check("volume", "ls", "--filter", f"label=com.docker.compose.project={project}",
                          "--format", '{{.Name}}\t{{.Label "com.docker.compose.volume"}}', what="docker volume ls")
    names = [line.split("\t")[0] for line in listed.splitlines()
             if "\t" in line and line.split("\t")[1] in volumes]
    if names:
        docker.check("volume", "rm", *names, what="docker volume rm")
    say(f"Removed {len(ids)} container(s) and {len(names)} volume(s). `make openmetadata-start` "
        f"recreates an empty catalog.")
    return 0


def cmd_pagila_data(env: MutableMapping[str, str]) -> int:
    sys.path.insert(0, str(REPO / "docker" / "pagila"))
    import fetch_pagila  # noqa: E402  (docker/pagila/fetch_pagila.py)

    sources = []
    if env.get("PAGILA_SOURCE_DIR"):
        sources.append(Path(env["PAGILA_SOURCE_DIR"]))
    elif (REPO.parent / "shared" / "pagila").is_dir():
        sources.append(REPO.parent / "shared" / "pagila")
    offline = env.get("PAGILA_OFFLINE", "").strip().lower() in ("1", "yes", "true")
    base_url = None if offline else (env.get("PAGILA_BASE_URL") or fetch_pagila.PINNED_BASE_URL)
    try:
        fetch_pagila.ensure_pagila(Path(env.get("PAGILA_DATA_DIR") or REPO / "docker" / "pagila" / "data"),
                                   fetch_pagila.read_sums(REPO / "docker" / "pagila" / "SHA256SUMS"),
                                   sources, base_url)
    except fetch_pagila.PagilaError as exc:
        raise StackError(str(exc)) from None
    say("The pinned pagila files are in place (docker/pagila/data is git-ignored; pagila-fetch uses it).")
    return 0


# --------------------------------------------------------------------------------------------
# backup / restore
# --------------------------------------------------------------------------------------------

def mask_dsn(dsn: str) -> str:
    if "://" in dsn:
        parts = urlsplit(dsn)
        if parts.password is not None:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return urlunsplit(parts._replace(netloc=netloc))
        return dsn
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn)


def dsn_with_db(dsn: str, database: str) -> str:
    """The same connection string, pointing at another database."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        return urlunsplit(parts._replace(path="/" + database))
    quoted = "'" + database.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if re.search(r"(^|\s)dbname\s*=", dsn):
        return re.sub(r"((?:^|\s)dbname\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", lambda m: m.group(1) + quoted, dsn)
    return f"{dsn} dbname={quoted}"


def dsn_database(dsn: str) -> Optional[str]:
    if "://" in dsn:
        path = urlsplit(dsn).path.lstrip("/")
        return path or None
    match = re.search(r"(?:^|\s)dbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn)
    if not match:
        return None
    value = match.group(1)
    return value[1:-1].replace("\\'", "'") if value.startswith("'") else value


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Postgres:
    """Runs the PostgreSQL client programs against the backup/restore target."""

    mode = "?"
    where = "?"

    def tool(self, program: str, args: Sequence[str], *, database: Optional[str] = None,
             input_bytes: Optional[bytes] = None) -> subprocess.CompletedProcess:
        raise NotImplementedError

    def put(self, local: Path) -> str:
        """Make ``local`` readable by the programs; return the path they use."""
        return str(local)

    def fetch(self, remote: str, local: Path) -> None:
        """Bring a file written by the programs to ``local``."""

    def temp_path(self, name: str) -> str:
        raise NotImplementedError

    def default_database(self) -> str:
        return OM_DATABASE

    def cleanup(self, path: Optional[str] = None) -> None:
        """Remove the temporary file ``path`` (default: all of them)."""

    def check(self, program: str, args: Sequence[str], what: str, *, database: Optional[str] = None) -> str:
        result = self.tool(program, args, database=database)
        if result.returncode != 0:
            raise StackError(f"{what} failed ({program} exit {result.returncode}): "
                             f"{_text(result.stderr)[-2000:] or _text(result.stdout)[-2000:]}")
        return _text(result.stdout)

    def sql(self, statement: str, *, database: str) -> str:
        return self.check("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement],
                          f"psql ({statement.split()[0]} ...)", database=database)

    def exists(self, database: str, maintenance: str) -> bool:
        return self.sql(f"SELECT 1 FROM pg_database WHERE datname = {quote_literal(database)}",
                        database=maintenance) == "1"


class DirectPostgres(Postgres):
    """Local pg_dump/pg_restore/psql against DSN or PG* variables."""

    mode = "direct"

    def __init__(self, env: Mapping[str, str]):
        self.env = dict(env)
        self.dsn = env.get("DSN") or ""
        for program in ("pg_dump", "pg_restore", "psql"):
            find_program(env, f"{program.upper()}_BIN", program, PG_HINT)
        if self.dsn:
            self.where = mask_dsn(self.dsn)
        else:
            self.where = (f"{env.get('PGHOST') or '<local socket>'}:{env.get('PGPORT') or '5432'}"
                          f" as {env.get('PGUSER') or '<current user>'}")
        if not sys.stdin.isatty():
            self.env.setdefault("PGCONNECT_TIMEOUT", "10")

    def default_database(self) -> str:
        return (dsn_database(self.dsn) if self.dsn else None) or self.env.get("PGDATABASE") or OM_DATABASE

    def _dbname(self, database: Optional[str]) -> List[str]:
        if database is None:
            return []
        return [f"--dbname={dsn_with_db(self.dsn, database) if self.dsn else database}"]

    def tool(self, program, args, *, database=None, input_bytes=None):
        binary = find_program(self.env, f"{program.upper()}_BIN", program, PG_HINT)
        # Nobody to type a password: fail at once instead of waiting for one.
        extra = [] if sys.stdin.isatty() else ["--no-password"]
        return run([binary, *extra, *self._dbname(database), *args], self.env, input_bytes=input_bytes)

    def temp_path(self, name: str) -> str:
        return name  # unused: direct mode works on the local files


class ComposePostgres(Postgres):
    """The programs inside the stack's openmetadata-db container, as its POSTGRES_USER."""

    mode = "compose"

    def __init__(self, docker: Docker):
        self.docker = docker
        row = docker.container(OM_DB_SERVICE, running=True)
        if not row:
            raise StackError(f"the {OM_DB_SERVICE} container is not running: start the stack "
                             f"(`make openmetadata-start`), or point DSN=... / PGHOST=... at a PostgreSQL")
        self.cid = row["id"]
        self.where = f"container {OM_DB_SERVICE} ({row['project']})"
        self._remote: List[str] = []

    def default_database(self) -> str:
        return OM_DATABASE

    def tool(self, program, args, *, database=None, input_bytes=None):
        db = [f"--dbname={database}"] if database is not None else []
        script = f'exec {program} -U "$POSTGRES_USER" "$@"'
        exec_args = ["exec", "-i"] if input_bytes is not None else ["exec"]
        return self.docker(*exec_args, self.cid, "sh", "-c", script, "sh", *db, *args, input_bytes=input_bytes)

    def temp_path(self, name: str) -> str:
        path = f"/tmp/{name}"
        self._remote.append(path)
        return path

    def put(self, local: Path) -> str:
        remote = self.temp_path(f"datakit-restore-{os.getpid()}-{int(time.time())}.dump")
        self.docker.check("cp", str(local), f"{self.cid}:{remote}", what="docker cp (into the container)")
        return remote

    def fetch(self, remote: str, local: Path) -> None:
        self.docker.check("cp", f"{self.cid}:{remote}", str(local), what="docker cp (out of the container)")

    def cleanup(self, path: Optional[str] = None) -> None:
        paths = [path] if path else list(self._remote)
        if paths:
            self.docker("exec", self.cid, "rm", "-f", *paths)
            self._remote = [p for p in self._remote if p not in paths]


def backup_mode(env: Mapping[str, str]) -> str:
    mode = (env.get("BACKUP_MODE") or "").strip().lower()
    if mode and mode not in ("compose", "direct"):
        raise StackError(f"BACKUP_MODE={mode!r}: use compose or direct")
    if mode:
        return mode
    return "direct" if (env.get("DSN") or env.get("PGHOST")) else "compose"


def target_postgres(env: Mapping[str, str]) -> Postgres:
    if backup_mode(env) == "direct":
        return DirectPostgres(env)
    return ComposePostgres(Docker(env))


def backup_dir(env: Mapping[str, str]) -> Path:
    path = Path(env.get("BACKUP_DIR") or REPO / "backups")
    return path if path.is_absolute() else REPO / path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def toc_info(listing: str) -> Dict[str, object]:
    """Header facts and counts from ``pg_restore --list``."""
    info: Dict[str, object] = {"dbname": None, "created": None, "tables": 0, "entries": 0}
    for line in listing.splitlines():
        stripped = line.strip("; ").strip()
        if stripped.lower().startswith("dbname:"):
            info["dbname"] = stripped.split(":", 1)[1].strip()
        elif stripped.lower().startswith("archive created at"):
            info["created"] = stripped[len("archive created at"):].strip()
        elif line and not line.startswith(";"):
            info["entries"] = int(info["entries"]) + 1  # type: ignore[arg-type]
            if " TABLE DATA " in line:
                info["tables"] = int(info["tables"]) + 1  # type: ignore[arg-type]
    return info


def take_backup(env: Mapping[str, str], pg: Postgres, database: str, suffix: str = "") -> Path:
    out_dir = backup_dir(env)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(out_dir, 0o700)
    except OSError:
        pass
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    final = out_dir / f"{database}-{stamp}{suffix}.dump"
    counter = 1
    while final.exists():
        counter += 1
        final = out_dir / f"{database}-{stamp}{suffix}-{counter}.dump"
    partial = final.with_name(final.name + ".partial")
    say(f"Backing up database {database} ({pg.mode}: {pg.where}) to {final.relative_to(REPO) if _under_repo(final) else final}")
    extra = shlex.split(env.get("PG_DUMP_OPTS", ""))
    remote = None
    try:
        if isinstance(pg, ComposePostgres):
            remote = pg.temp_path(f"datakit-backup-{stamp}-{os.getpid()}.dump")
            pg.check("pg_dump", ["--format=custom", f"--file={remote}", *extra], "pg_dump", database=database)
            listing = verify_archive(pg, remote)
            pg.fetch(remote, partial)
        else:
            pg.check("pg_dump", ["--format=custom", f"--file={partial}", *extra], "pg_dump", database=database)
            listing = verify_archive(pg, str(partial))
        os.chmod(partial, 0o600)
        os.replace(partial, final)
    finally:
        if remote:
            pg.cleanup(remote)
        if partial.exists():
            partial.unlink()
    digest = sha256_file(final)
    sidecar = final.with_name(final.name + ".sha256")
    sidecar.write_text(f"{digest}  {final.name}\n")
    info = toc_info(listing)
    say(f"OK: {final.stat().st_size} bytes, {info['tables']} tables with data, sha256 {digest[:16]}...")
    return final


def verify_archive(pg: Postgres, path: str) -> str:
    """The archive's table of contents, after reading the whole archive once (catches truncation)."""
    listing = pg.check("pg_restore", ["--list", path], "reading the archive (is it a pg_dump -Fc file?)")
    pg.check("pg_restore", ["--file=/dev/null", path], "reading the whole archive (pg_restore --file=/dev/null)")
    return listing


def _under_repo(path: Path) -> bool:
    try:
        path.relative_to(REPO)
        return True
    except ValueError:
        return False


def cmd_backup(env: MutableMapping[str, str]) -> int:
    load_env(env)
    pg = target_postgres(env)
    database = env.get("BACKUP_DB") or pg.default_database()
    final = take_backup(env, pg, database)
    say(f"Restore with: make restore BACKUP={final.relative_to(REPO) if _under_repo(final) else final}")
    say("Keep OPENMETADATA_FERNET_KEY (from .env) with your backups: OpenMetadata encrypts the secrets it "
        "stores with it, and a restored catalog needs the same key.")
    return 0


def _archive_owner(pg: Postgres, archive: str, database: str) -> Optional[str]:
    script = pg.check("pg_restore", ["--create", "--schema-only", "--file=-", archive],
                      "reading the archive (pg_restore --create --schema-only)")
    pattern = re.compile(r"^ALTER DATABASE (.+?) OWNER TO (.+?);$", re.MULTILINE)
    for match in pattern.finditer(script):
        owner = match.group(2).strip()
        return owner[1:-1].replace('""', '"') if owner.startswith('"') else owner
    return None


def cmd_restore(env: MutableMapping[str, str]) -> int:
    load_env(env)
    raw = (env.get("BACKUP") or "").strip()
    out_dir = backup_dir(env)
    if not raw:
        latest = sorted(out_dir.glob("*.dump"))[-5:] if out_dir.is_dir() else []
        hint = ("\n  " + "\n  ".join(str(p.relative_to(REPO) if _under_repo(p) else p) for p in latest)) if latest else \
            f" (no backup in {out_dir}: `make backup` makes one)"
        raise StackError(f"BACKUP=<file> is required: make restore BACKUP=backups/<file>.dump. Latest:{hint}", code=2)
    archive = Path(raw)
    if not archive.is_absolute():
        archive = (Path.cwd() / archive) if (Path.cwd() / archive).exists() else REPO / archive
    if not archive.is_file():
        raise StackError(f"BACKUP={raw}: no such file", code=2)
    sidecar = archive.with_name(archive.name + ".sha256")
    if sidecar.is_file():
        expected = sidecar.read_text().split()[0]
        actual = sha256_file(archive)
        if actual != expected:
            raise StackError(f"{archive.name}: sha256 {actual} differs from {sidecar.name} ({expected}): "
                             f"the file changed since the backup; refusing to restore it", code=2)
    pg = target_postgres(env)
    maintenance = env.get("RESTORE_MAINTENANCE_DB") or "postgres"
    try:
        remote = pg.put(archive)
        listing = verify_archive(pg, remote)
        info = toc_info(listing)
        target = env.get("RESTORE_DB") or str(info["dbname"] or pg.default_database())
        target_exists = pg.exists(target, maintenance)
        docker = getattr(pg, "docker", None)
        server = docker.container(OM_SERVER_SERVICE, running=True) if docker else None
        safety = env.get("RESTORE_SAFETY_BACKUP", "yes").strip().lower() not in ("no", "0", "false")
        confirm(env, [
            f"Restore {archive.name} (database {info['dbname']}, made {info['created']}, "
            f"{info['tables']} tables with data)",
            f"  into database {target} ({pg.mode}: {pg.where}).",
            f"  {target} exists and will be REPLACED." if target_exists else f"  {target} does not exist: it is created.",
            (f"  First, the current {target} is saved to {out_dir.name}/ (RESTORE_SAFETY_BACKUP=no skips it)."
             if target_exists and safety else ""),
            (f"  {OM_SERVER_SERVICE} is stopped during the restore and started again." if server else ""),
        ])
        if target_exists and safety:
            take_backup(env, pg, target, suffix="-pre-restore")
        if server:
            say(f"Stopping {OM_SERVER_SERVICE} ...")
            docker.check("stop", server["id"], what=f"docker stop {OM_SERVER_SERVICE}", timeout=120)
        scratch = f"{target}__restore"
        owner = _archive_owner(pg, remote, str(info["dbname"]))
        if owner and pg.sql(f"SELECT 1 FROM pg_roles WHERE rolname = {quote_literal(owner)}", database=maintenance) != "1":
            warn(f"role {owner} (the backup's database owner) does not exist here: the connecting user owns "
                 f"{target}; objects keep their owners only if those roles exist (PG_RESTORE_OPTS=--no-owner "
                 f"gives all to the connecting user)")
            owner = None
        pg.sql(f"DROP DATABASE IF EXISTS {quote_ident(scratch)} WITH (FORCE)", database=maintenance)
        pg.sql(f"CREATE DATABASE {quote_ident(scratch)} TEMPLATE template0 ENCODING 'UTF8'"
               + (f" OWNER {quote_ident(owner)}" if owner else ""), database=maintenance)
        say(f"Restoring into {scratch} ...")
        result = pg.tool("pg_restore", ["--exit-on-error", "--single-transaction",
                                        *shlex.split(env.get("PG_RESTORE_OPTS", "")), remote], database=scratch)
        if result.returncode != 0:
            pg.sql(f"DROP DATABASE IF EXISTS {quote_ident(scratch)} WITH (FORCE)", database=maintenance)
            raise StackError(f"pg_restore failed; {target} was NOT changed: {_text(result.stderr)[-2000:]}")
        # Swap: DROP DATABASE cannot run in a transaction, so one statement per psql call.
        pg.sql(f"DROP DATABASE IF EXISTS {quote_ident(target)} WITH (FORCE)", database=maintenance)
        pg.sql(f"ALTER DATABASE {quote_ident(scratch)} RENAME TO {quote_ident(target)}", database=maintenance)
        tables = pg.sql("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
                        database=target)
        say(f"OK: {target} restored from {archive.name} ({tables} tables).")
    finally:
        pg.cleanup()
    if server:
        say(f"Starting {OM_SERVER_SERVICE} again ...")
        docker.check("start", server["id"], what=f"docker start {OM_SERVER_SERVICE}", timeout=120)
        say("Next: once healthy, rebuild the search index (OpenMetadata > Settings > Applications > "
            "Search Indexing > Run, with 'Recreate Indexes'), then `make openmetadata-token`.")
    elif pg.mode == "direct" and target == OM_DATABASE:
        say("If an OpenMetadata server uses this database, restart it and rebuild its search index "
            "(Settings > Applications > Search Indexing, 'Recreate Indexes').")
    return 0


# --------------------------------------------------------------------------------------------

COMMANDS: Dict[str, Callable[[MutableMapping[str, str]], int]] = {
    "start": cmd_start,
    "stop": cmd_stop,
    "status": cmd_status,
    "logs": cmd_logs,
    "clean": cmd_clean,
    "refresh-token": cmd_refresh_token,
    "pagila-data": cmd_pagila_data,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


def main(argv: Optional[Sequence[str]] = None, env: Optional[MutableMapping[str, str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ) if env is None else env
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        print(f"usage: {Path(sys.argv[0]).name} {{{','.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](env)
    except StackError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return exc.code or 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
