"""docker-compose.override.yml, checked statically (no Docker engine here).

What `astro dev start` starts is Astro's generated compose file merged with the override;
tests/platform/compose_model.py models that merge and compose's ${VAR} interpolation.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlsplit

import pytest
import yaml

from tests.platform import compose_model as cm
from tests.platform.compose_model import AIRFLOW_SERVICES, REPO

OPENMETADATA_STACK = ("openmetadata-db", "openmetadata-search", "execute-migrate-all",
                      "openmetadata-server", "openmetadata-bot-token")
PAGILA_STACK = ("pagila-fetch", "pagila-db")
LONG_RUNNING = ("openmetadata-db", "openmetadata-search", "openmetadata-server", "pagila-db")
ONE_SHOTS = ("execute-migrate-all", "openmetadata-bot-token", "pagila-fetch")
IMAGE_VARS = {
    "openmetadata-db": "IMAGE_OPENMETADATA_DB",
    "openmetadata-search": "IMAGE_SEARCH",
    "execute-migrate-all": "IMAGE_OPENMETADATA_SERVER",
    "openmetadata-server": "IMAGE_OPENMETADATA_SERVER",
    "openmetadata-bot-token": "IMAGE_DATAKIT_TOOLS",
    "pagila-fetch": "IMAGE_DATAKIT_TOOLS",
    "pagila-db": "IMAGE_PAGILA_DB",
    "kerberos-sidecar": "IMAGE_KERBEROS_SIDECAR",
}
# Exact versions: PostgreSQL versions have two parts (15.18), the others three.
EXACT_TAG = {"postgres": r"\d+\.\d+(-[a-z0-9]+)?", "*": r"\d+\.\d+\.\d+(-[a-z0-9.-]+)?"}
SECRET_WORDS = {"PASSWORD", "PASSWD", "SECRET", "FERNET", "JWT", "TOKEN", "APIKEY"}
NOT_SECRETS = {"DATAKIT_LOCAL_BOT_TOKEN"}  # an on/off flag


def is_secret_key(key: str) -> bool:
    words = set(re.split(r"[^A-Z0-9]+", key.upper()))
    return bool(words & SECRET_WORDS) and key not in NOT_SECRETS


# Defaults that are upstream built-ins, not ours to rename: OpenMetadata's first-start admin
# password and the Airflow user Astro's local stack signs everyone in as.
BUILTIN_DEFAULTS = {"OPENMETADATA_ADMIN_PASSWORD": "admin", "OPENMETADATA_AIRFLOW_PASSWORD": "admin"}


@pytest.fixture(scope="module")
def compose():
    return cm.load()


@pytest.fixture(scope="module")
def project():
    """Astro's project + the override, interpolated with the defaults (an empty .env)."""
    return cm.merged()


# --- shape ---------------------------------------------------------------------------------------


def test_top_level_keys(compose):
    assert set(k for k in compose if not k.startswith("x-")) == {"services", "networks", "volumes"}
    assert "version" not in compose, "the obsolete `version` key makes compose v2 warn"


def test_every_service_is_there(compose):
    expected = set(OPENMETADATA_STACK + PAGILA_STACK + AIRFLOW_SERVICES + ("kerberos-sidecar",))
    assert set(compose["services"]) == expected


def test_astro_services_are_only_extended(compose):
    """Astro owns image, command, ports of its services; the override adds mounts and env only."""
    for name in AIRFLOW_SERVICES:
        assert set(compose["services"][name]) <= {"volumes", "environment"}, name
    for name in ("postgres", "db-migration"):
        assert name not in compose["services"]


def test_only_the_kerberos_sidecar_is_behind_a_profile(compose):
    """A plain `astro dev start` brings up OpenMetadata and pagila; Kerberos is opt-in."""
    with_profiles = {n: s["profiles"] for n, s in compose["services"].items() if "profiles" in s}
    assert with_profiles == {"kerberos-sidecar": ["kerberos"]}


# --- images ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(IMAGE_VARS))
def test_image_is_pinned_and_overridable(compose, service):
    image = compose["services"][service]["image"]
    match = re.fullmatch(r"\$\{(IMAGE_[A-Z_]+):-([^}]+)\}", image)
    assert match, f"{service}: image must be ${{IMAGE_...:-repo:tag}}, got {image!r}"
    var, default = match.groups()
    assert var == IMAGE_VARS[service]
    assert "@sha256:" in default or ":" in default.rsplit("/", 1)[-1], f"{service}: no tag in {default}"
    repo, tag = default.rsplit(":", 1)
    assert tag != "latest"
    pattern = EXACT_TAG.get(repo.rsplit("/", 1)[-1], EXACT_TAG["*"])
    assert re.fullmatch(pattern, tag), f"{service}: {default} is not an exact version"


def test_one_variable_one_default():
    """Services sharing an image variable agree on its default (else the pin is ambiguous)."""
    for name, defaults in cm.variables(cm.raw_text()).items():
        assert len(set(defaults)) == 1, f"{name} has several defaults: {set(defaults)}"


def test_openmetadata_server_matches_the_sdk_major_minor(compose):
    """The catalog DAGs' preflight refuses a server whose major.minor differs from the SDK's."""
    tag = compose["services"]["openmetadata-server"]["image"].rsplit(":", 1)[1].rstrip("}")
    sdk = re.search(r"openmetadata-ingestion\[[^\]]*\]==(\d+\.\d+)\.", (REPO / "requirements.txt").read_text())
    assert sdk and tag.startswith(sdk.group(1) + "."), (tag, sdk and sdk.group(1))
    assert compose["services"]["execute-migrate-all"]["image"] == compose["services"]["openmetadata-server"]["image"]


def test_search_engine_is_the_one_openmetadata_2_ships(project):
    search = project["services"]["openmetadata-search"]
    assert search["image"].startswith("docker.elastic.co/elasticsearch/elasticsearch:9.")
    env = project["services"]["openmetadata-server"]["environment"]
    assert env["SEARCH_TYPE"] == "elasticsearch"
    assert search["environment"]["discovery.type"] == "single-node"


# --- start order, health -------------------------------------------------------------------------


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_long_running_services_have_health_checks(compose, service):
    spec = compose["services"][service]
    check = spec["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) >= 2
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in check, f"{service}: healthcheck.{key}"
    assert spec["restart"] == "unless-stopped"


def test_health_check_endpoints(compose):
    server = " ".join(compose["services"]["openmetadata-server"]["healthcheck"]["test"])
    assert "http://localhost:8586/healthcheck" in server
    db = compose["services"]["openmetadata-db"]["healthcheck"]["test"][1]
    assert "pg_isready -h 127.0.0.1" in db and "openmetadata_db" in db
    pagila = compose["services"]["pagila-db"]["healthcheck"]["test"][1]
    assert "-h 127.0.0.1" in pagila and "rental_by_category" in pagila and "ispopulated" in pagila


@pytest.mark.parametrize("service", ONE_SHOTS)
def test_one_shots_run_once(compose, service):
    assert compose["services"][service]["restart"] == "no"
    assert "healthcheck" not in compose["services"][service]


def test_start_order(compose):
    def deps(name):
        return {k: v["condition"] for k, v in compose["services"][name].get("depends_on", {}).items()}

    assert deps("execute-migrate-all") == {"openmetadata-db": "service_healthy",
                                           "openmetadata-search": "service_healthy"}
    assert deps("openmetadata-server") == {"openmetadata-db": "service_healthy",
                                           "openmetadata-search": "service_healthy",
                                           "execute-migrate-all": "service_completed_successfully"}
    assert deps("openmetadata-bot-token") == {"openmetadata-server": "service_healthy"}
    assert deps("pagila-db") == {"pagila-fetch": "service_completed_successfully"}
    assert deps("openmetadata-db") == deps("openmetadata-search") == deps("pagila-fetch") == {}
    for name in AIRFLOW_SERVICES:
        assert "depends_on" not in compose["services"][name], "Airflow must not wait for OpenMetadata"


def test_dependencies_exist_and_have_no_cycle(project):
    services = project["services"]
    graph = {n: set((s.get("depends_on") or {})) for n, s in services.items()}
    for name, targets in graph.items():
        assert targets <= set(services), f"{name} depends on unknown {targets - set(services)}"
    seen: dict[str, int] = {}

    def visit(node):
        assert seen.get(node) != 1, f"dependency cycle through {node}"
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for target in graph[node]:
            visit(target)
        seen[node] = 2

    for node in graph:
        visit(node)


def test_migration_command(compose):
    assert compose["services"]["execute-migrate-all"]["command"] == "./bootstrap/openmetadata-ops.sh migrate"


# --- networks, ports, volumes ---------------------------------------------------------------------


def test_networks(project, compose):
    services = project["services"]
    assert compose["networks"]["openmetadata"] == {"internal": True}
    assert cm.service_networks(services["openmetadata-db"]) == ["openmetadata"]
    assert cm.service_networks(services["openmetadata-search"]) == ["openmetadata"]
    assert cm.service_networks(services["execute-migrate-all"]) == ["openmetadata"]
    assert set(cm.service_networks(services["openmetadata-server"])) == {"openmetadata", "airflow"}
    assert cm.service_networks(services["pagila-db"]) == ["airflow"], "Airflow reaches pagila-db:5432"
    assert services["kerberos-sidecar"]["network_mode"] == "none", "the sidecar copies a file: no network"
    for name, service in services.items():
        for network in cm.service_networks(service):
            assert network in project["networks"], f"{name}: network {network} is not defined"
    for name in AIRFLOW_SERVICES + ("postgres",):
        assert "openmetadata" not in cm.service_networks(services[name]), \
            "OpenMetadata's database and search engine stay off Airflow's network"


def test_published_ports_are_loopback_and_unique(project):
    published = {}
    for name, service in project["services"].items():
        for spec in service.get("ports") or []:
            parts = str(spec).split(":")
            assert len(parts) == 3, f"{name}: {spec} must name the host address"
            host, port, _ = parts
            assert host == "127.0.0.1", f"{name}: {spec} must bind to 127.0.0.1 by default"
            assert port not in published, f"host port {port}: {name} and {published[port]}"
            published[port] = name
    assert published["8585"] == published["8586"] == "openmetadata-server"
    assert published["5433"] == "pagila-db"
    assert "9200" not in published, "the search engine is not published"


def test_bind_address_and_ports_are_configurable():
    env = {"DATAKIT_BIND_ADDRESS": "0.0.0.0", "OPENMETADATA_PORT": "18585", "PAGILA_DB_HOST_PORT": "15433"}
    services = cm.merged(env=env)["services"]
    assert "0.0.0.0:18585:8585" in services["openmetadata-server"]["ports"]
    assert "0.0.0.0:15433:5432" in services["pagila-db"]["ports"]


def test_named_volumes_are_declared_and_bind_mounts_exist(project):
    for name, service in project["services"].items():
        for spec in service.get("volumes") or []:
            source, target, mode = cm.split_mount(spec)
            assert target.startswith("/"), f"{name}: {spec}"
            assert mode in ("ro", "rw", "z"), f"{name}: {spec}"
            if source.startswith((".", "/", "~")):
                if source.startswith("~"):
                    continue  # the host's ticket cache directory (kerberos profile)
                assert (REPO / source).exists(), f"{name}: bind source {source} does not exist"
            else:
                assert source in project["volumes"], f"{name}: volume {source} is not declared"


def test_data_lives_in_named_volumes(compose):
    mounts = {n: s.get("volumes", []) for n, s in compose["services"].items()}
    assert "openmetadata-db-data:/var/lib/postgresql/data" in mounts["openmetadata-db"]
    assert "openmetadata-search-data:/usr/share/elasticsearch/data" in mounts["openmetadata-search"]
    assert "pagila-db-data:/var/lib/postgresql/data" in mounts["pagila-db"]


# --- secrets and .env.example -------------------------------------------------------------------------


def _secret_settings(compose):
    """(where, key, raw value) of every secret-like environment setting, anchors included."""
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
        for key, value in items:
            if is_secret_key(key) or re.search(r"://[^/\s:@]+:[^@\s]+@", str(value)):
                yield name, key, str(value)


def test_no_secrets_inline(compose):
    settings = list(_secret_settings(compose))
    keys = {key for _, key, _ in settings}
    assert {"POSTGRES_PASSWORD", "DB_USER_PASSWORD", "FERNET_KEY", "AIRFLOW_PASSWORD",
            "OPENMETADATA_ADMIN_PASSWORD", "AIRFLOW_CONN_PAGILA_POSTGRES"} <= keys
    for where, key, value in settings:
        refs = re.findall(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}", value)
        assert refs, f"{where}.{key}: a secret must come from a ${{VARIABLE}}, got {value!r}"
        if key == "AIRFLOW_CONN_PAGILA_POSTGRES":
            password = urlsplit(value).password or ""
            assert re.fullmatch(r"\$\{[A-Z_]+:-[^}]*\}", password), f"{where}.{key}: {value}"
        for var, default in refs:
            if not default:
                continue
            assert "local" in default.lower() or BUILTIN_DEFAULTS.get(var) == default, \
                f"{where}.{key}: default {default!r} of {var} must be marked local-only"


def test_no_literal_credentials_in_text():
    text = cm.raw_text()
    without_refs = re.sub(r"\$\{[^}]*\}", "${}", text)
    for number, line in enumerate(without_refs.splitlines(), 1):
        match = re.match(r"^\s*(?:-\s*)?[\"']?([A-Za-z_.]+)[\"']?\s*[:=]\s*(.*)$", line)
        if match and is_secret_key(match.group(1)):
            value = match.group(2).strip().strip("\"'")
            assert value in ("", "${}"), f"line {number}: {match.group(1)} has a literal value"
    assert not re.search(r"://[^/\s:@$]+:[^@\s$]+@", without_refs), "credentials in a URL"


def test_fernet_default_is_a_valid_key_marked_local(compose):
    value = compose["x-openmetadata-env"]["FERNET_KEY"]
    default = re.fullmatch(r"\$\{OPENMETADATA_FERNET_KEY:-([^}]+)\}", value).group(1)
    assert default.startswith("LocalOnly")
    assert len(base64.urlsafe_b64decode(default)) == 32 and len(base64.b64decode(default)) == 32


def test_every_variable_is_documented_in_env_example():
    documented = cm.env_example_entries()
    used = cm.variables(cm.raw_text())
    missing = sorted(set(used) - set(documented))
    assert not missing, f"document these in .env.example: {missing}"


def test_env_example_shows_the_compose_defaults():
    documented = cm.env_example_entries()
    for name, defaults in cm.variables(cm.raw_text()).items():
        default = defaults[0]
        if default is None or name not in documented or name.startswith("KRB5_HOST"):
            continue
        assert documented[name] == default, f".env.example shows {name}={documented[name]!r}, compose uses {default!r}"


def test_env_example_sets_no_real_secret():
    for name, value in cm.env_example_entries().items():
        if is_secret_key(name) and value:
            assert "local" in value.lower() or BUILTIN_DEFAULTS.get(name) == value, f"{name}={value}"


# --- OpenMetadata wiring ---------------------------------------------------------------------------


def test_migration_and_server_share_one_environment(compose):
    migrate = compose["services"]["execute-migrate-all"]["environment"]
    server = compose["services"]["openmetadata-server"]["environment"]
    assert migrate is server or migrate == server, "migration and server must agree (FERNET_KEY, DB)"


def test_openmetadata_server_environment(project):
    env = project["services"]["openmetadata-server"]["environment"]
    db = project["services"]["openmetadata-db"]["environment"]
    assert (env["DB_HOST"], env["DB_PORT"], env["OM_DATABASE"]) == ("openmetadata-db", "5432", "openmetadata_db")
    assert env["DB_SCHEME"] == "postgresql" and env["DB_DRIVER_CLASS"] == "org.postgresql.Driver"
    assert (env["DB_USER"], env["DB_USER_PASSWORD"]) == (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"])
    assert db["POSTGRES_DB"] == env["OM_DATABASE"]
    assert (env["ELASTICSEARCH_HOST"], env["ELASTICSEARCH_PORT"]) == ("openmetadata-search", "9200")
    assert env["AUTHENTICATION_PROVIDER"] == "basic"
    assert env["AUTHENTICATION_ENABLE_SELF_SIGNUP"] == "false"
    assert env["SERVER_PORT"] == "8585" and env["SERVER_ADMIN_PORT"] == "8586"


def test_pipeline_service_client_points_at_this_airflow(project):
    env = project["services"]["openmetadata-server"]["environment"]
    assert env["PIPELINE_SERVICE_CLIENT_ENABLED"] == "true"
    assert env["PIPELINE_SERVICE_CLIENT_CLASS_NAME"] == \
        "org.openmetadata.service.clients.pipeline.airflow.AirflowRESTClient"
    endpoint = urlsplit(env["PIPELINE_SERVICE_CLIENT_ENDPOINT"])
    assert endpoint.hostname == "api-server" and endpoint.port == 8080
    assert "api-server" in project["services"], "the endpoint names Astro's API server"
    assert env["SERVER_HOST_API_URL"] == "http://openmetadata-server:8585/api"
    assert "airflow" in cm.service_networks(project["services"]["openmetadata-server"])


# --- the ingestion-bot token, Airflow side --------------------------------------------------------


def test_bot_token_one_shot_writes_what_airflow_reads(project):
    token = project["services"]["openmetadata-bot-token"]
    command = token["command"]
    assert command[:3] == ["python", "-m", "include.openmetadata.bot_token"]
    args = dict(zip(command[3::2], command[4::2]))
    assert urlsplit(args["--api-url"]).hostname == "openmetadata-server"
    written = args["--write-connections"]
    assert (REPO / "include/openmetadata/bot_token.py").is_file()
    assert "./include:/app/include:ro" in token["volumes"]
    assert token["environment"]["DATAKIT_LOCAL_BOT_TOKEN"] == "true"
    rw = [cm.split_mount(v) for v in token["volumes"] if v.startswith("openmetadata-bot-token:")]
    assert len(rw) == 1 and rw[0][2] == "rw" and written.startswith(rw[0][1] + "/")
    for name in AIRFLOW_SERVICES:
        spec = project["services"][name]
        env = spec["environment"]
        assert env["AIRFLOW__SECRETS__BACKEND"] == "airflow.secrets.local_filesystem.LocalFilesystemBackend"
        assert json.loads(env["AIRFLOW__SECRETS__BACKEND_KWARGS"]) == {"connections_file_path": written}
        ro = [cm.split_mount(v) for v in spec["volumes"] if v.startswith("openmetadata-bot-token:")]
        assert ro == [("openmetadata-bot-token", rw[0][1], "ro")], name


def test_openmetadata_connection_matches_airflow_settings(project):
    settings = yaml.safe_load((REPO / "airflow_settings.yaml").read_text())
    conn = next(c for c in settings["airflow"]["connections"] if c["conn_id"] == "openmetadata_default")
    command = project["services"]["openmetadata-bot-token"]["command"]
    api = urlsplit(command[command.index("--api-url") + 1])
    assert (api.scheme, api.hostname, api.port) == (conn["conn_schema"], conn["conn_host"], conn["conn_port"])


# --- pagila --------------------------------------------------------------------------------------------


def test_pagila_connection_matches_the_service_and_settings(project):
    from airflow.models.connection import Connection

    from include.settings import AssetHosts

    uri = project["services"]["scheduler"]["environment"]["AIRFLOW_CONN_PAGILA_POSTGRES"]
    conn = Connection(conn_id="pagila_postgres", uri=uri)
    assert (conn.conn_type, conn.host, conn.port, conn.schema, conn.login) == \
        ("postgres", "pagila-db", 5432, "pagila", "postgres")
    assert conn.extra_dejson == {"sslmode": "disable"}
    db = project["services"]["pagila-db"]["environment"]
    assert conn.password == db["POSTGRES_PASSWORD"] == "local-only-pagila"
    assert (db["POSTGRES_USER"], db["POSTGRES_DB"]) == (conn.login, conn.schema)
    assert AssetHosts().pagila == f"{conn.host}:{conn.port}", "DATAKIT_PAGILA_HOSTPORT default"
    settings = yaml.safe_load((REPO / "airflow_settings.yaml").read_text())
    declared = next(c for c in settings["airflow"]["connections"] if c["conn_id"] == "pagila_postgres")
    assert (declared["conn_host"], declared["conn_port"], declared["conn_schema"], declared["conn_login"]) == \
        (conn.host, conn.port, conn.schema, conn.login)


def test_pagila_connection_follows_the_password_variable():
    services = cm.merged(env={"PAGILA_DB_PASSWORD": "s3cret-x"})["services"]
    assert "postgres:s3cret-x@pagila-db" in services["api-server"]["environment"]["AIRFLOW_CONN_PAGILA_POSTGRES"]
    assert services["pagila-db"]["environment"]["POSTGRES_PASSWORD"] == "s3cret-x"


def test_pagila_load_is_checked_and_pinned(project):
    import importlib.util

    fetch = project["services"]["pagila-fetch"]
    db = project["services"]["pagila-db"]
    assert "./docker/pagila/initdb:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert "pagila-data:/pagila-data:ro" in db["volumes"]
    assert "pagila-data:/pagila-data" in fetch["volumes"]
    assert (REPO / "docker/pagila/initdb/10-load-pagila.sh").stat().st_mode & 0o111, "init script must be executable"
    spec = importlib.util.spec_from_file_location("fetch_pagila", REPO / "docker/pagila/fetch_pagila.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert fetch["environment"]["PAGILA_BASE_URL"] == module.PINNED_BASE_URL
    assert module.PINNED_BASE_URL.endswith("/5ba5a57aeb159f75f02aca2432d3c262186d13d3")
    assert "5ba5a57aeb159f75f02aca2432d3c262186d13d3" in (REPO.parent / "shared/pagila/SOURCE.txt").read_text() \
        if (REPO.parent / "shared/pagila/SOURCE.txt").is_file() else True


def test_pagila_data_directory_is_git_ignored():
    ignore = (REPO / "docker/pagila/data/.gitignore").read_text().split()
    assert "*" in ignore and "!.gitignore" in ignore


# --- Kerberos (unchanged behaviour) ------------------------------------------------------------------


def test_kerberos_sidecar_service(compose):
    sidecar = compose["services"]["kerberos-sidecar"]
    assert sidecar["profiles"] == ["kerberos"]
    assert re.fullmatch(r"\$\{IMAGE_KERBEROS_SIDECAR:-[^}]+\}", sidecar["image"])
    volumes = sidecar["volumes"]
    assert any(v.endswith(":/host-krb5:ro") for v in volumes), "the host cache must be mounted read-only"
    assert "krb5-cache:/krb5/cache" in volumes
    command = " ".join(sidecar["command"])
    assert "include.kerberos.sidecar" in command and "--dest /krb5/cache/krb5cc" in command
    assert (REPO / "include/kerberos/sidecar.py").is_file()


@pytest.mark.parametrize("service", AIRFLOW_SERVICES)
def test_airflow_services_read_the_shared_cache_read_only(compose, service):
    spec = compose["services"][service]
    assert "krb5-cache:/krb5/cache:ro" in spec["volumes"]
    assert any(v.endswith(":/etc/krb5.conf:ro") for v in spec["volumes"])
    assert spec["environment"]["KRB5CCNAME"] == "FILE:/krb5/cache/krb5cc"


def test_default_krb5_conf_exists(compose):
    mount = next(v for v in compose["services"]["scheduler"]["volumes"] if v.endswith(":/etc/krb5.conf:ro"))
    default = re.search(r":-([^}]+)\}", mount).group(1)
    assert (REPO / default).is_file()


@pytest.mark.parametrize("service", AIRFLOW_SERVICES)
def test_astro_mounts_survive_the_merge(project, service):
    targets = {cm.mount_target(v) for v in project["services"][service]["volumes"]}
    assert {"/usr/local/airflow/dags", "/usr/local/airflow/include", "/usr/local/airflow/logs",
            "/krb5/cache", "/etc/krb5.conf", "/datakit/secrets/openmetadata"} <= targets


def test_pagila_db_has_the_query_log_the_query_log_dags_read(project):
    """query_log_pagila reads pg_stat_statements: pagila-db preloads the library and its init
    creates the extension in pagila (the preflight's message names both steps)."""
    command = project["services"]["pagila-db"]["command"]
    assert command[0] == "postgres"
    assert all(flag == "-c" for flag in command[1::2])
    values = dict(item.split("=", 1) for item in command[2::2])
    assert values["shared_preload_libraries"] == "pg_stat_statements"
    mounts = project["services"]["pagila-db"]["volumes"]
    assert any("docker/pagila/initdb:/docker-entrypoint-initdb.d" in str(m) for m in mounts), mounts
    script = (REPO / "docker/pagila/initdb/20-pg-stat-statements.sql").read_text()
    assert "\\connect pagila" in script and "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" in script
    # Init scripts run in name order: after the load.
    assert sorted(p.name for p in (REPO / "docker/pagila/initdb").iterdir())[-1] == "20-pg-stat-statements.sql"
