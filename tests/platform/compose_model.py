"""A static model of what `astro dev start` runs: Astro's compose file + docker-compose.override.yml.

No Docker engine (nor the compose plugin) is available where the suite runs, so the override is
checked statically: parsed with PyYAML, ``${VAR}`` interpolated the way compose does it, and
merged onto the services Astro CLI generates for Airflow 3 (astro-cli's airflow3 compose
template: postgres, db-migration, scheduler, dag-processor, api-server, triggerer on the network
``airflow``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
OVERRIDE = REPO / "docker-compose.override.yml"
ENV_EXAMPLE = REPO / ".env.example"

AIRFLOW_SERVICES = ("scheduler", "dag-processor", "api-server", "triggerer")

# The parts of Astro's generated compose file the override relies on.
_ASTRO_AIRFLOW = {
    "image": "openmetadata-datakit/airflow:latest",
    "networks": ["airflow"],
    "volumes": [
        "./dags:/usr/local/airflow/dags:z",
        "./plugins:/usr/local/airflow/plugins:z",
        "./include:/usr/local/airflow/include:z",
        "./tests:/usr/local/airflow/tests:z",
        "airflow_logs:/usr/local/airflow/logs",
    ],
    "environment": {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"},
}
ASTRO_BASE: dict[str, Any] = {
    "networks": {"airflow": {"driver": "bridge"}},
    "volumes": {"postgres_data": {}, "airflow_logs": {}},
    "services": {
        "postgres": {"image": "postgres:12.6", "networks": ["airflow"], "ports": ["127.0.0.1:5432:5432"]},
        "db-migration": {"image": "openmetadata-datakit/airflow:latest", "networks": ["airflow"]},
        "scheduler": dict(_ASTRO_AIRFLOW),
        "dag-processor": dict(_ASTRO_AIRFLOW),
        "api-server": {**_ASTRO_AIRFLOW, "ports": ["127.0.0.1:8080:8080"]},
        "triggerer": dict(_ASTRO_AIRFLOW),
    },
}

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}")


def raw_text() -> str:
    return OVERRIDE.read_text()


def load() -> dict[str, Any]:
    return yaml.safe_load(raw_text())


def variables(text: str) -> dict[str, list[str | None]]:
    """Every ``${VAR...}`` reference: name -> defaults seen (None when there is none)."""
    found: dict[str, list[str | None]] = {}
    for match in _VAR.finditer(text.replace("$$", "")):
        name, op, default = match.group(1), match.group(2), match.group(3)
        found.setdefault(name, []).append(default if op in (":-", "-") else None)
    return found


def interpolate(value: Any, env: dict[str, str] | None = None) -> Any:
    """Compose's interpolation on a parsed value (strings inside dicts/lists too)."""
    env = env or {}
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def repl(match: re.Match) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        if op == ":-":
            return current if current else interpolate(default or "", env)
        if op == "-":
            return current if current is not None else interpolate(default or "", env)
        if op in (":?", "?"):
            if not current:
                raise KeyError(f"{name} is required: {default}")
            return current
        return current or ""

    placeholder = "\0DOLLAR\0"
    text = value.replace("$$", placeholder)
    text = _VAR.sub(repl, text)
    return text.replace(placeholder, "$")


def merged(override: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Astro's base + the override, interpolated with ``env`` (defaults otherwise).

    Merge rules of compose for what is used here: mappings merge by key, ``volumes`` and
    ``ports`` lists merge (a mount target of the override replaces the base's), scalars replace.
    """
    override = interpolate(override if override is not None else load(), env)
    result: dict[str, Any] = {
        "networks": {**ASTRO_BASE["networks"], **(override.get("networks") or {})},
        "volumes": {**ASTRO_BASE["volumes"], **(override.get("volumes") or {})},
        "services": {},
    }
    names = list(ASTRO_BASE["services"]) + [s for s in override["services"] if s not in ASTRO_BASE["services"]]
    for name in names:
        base = ASTRO_BASE["services"].get(name, {})
        over = override["services"].get(name, {})
        service = {**base, **{k: v for k, v in over.items() if k not in ("volumes", "environment")}}
        env_base = dict(base.get("environment") or {})
        env_base.update(over.get("environment") or {})
        if env_base:
            service["environment"] = env_base
        mounts: dict[str, str] = {}
        for spec in list(base.get("volumes") or []) + list(over.get("volumes") or []):
            mounts[mount_target(spec)] = spec
        if mounts:
            service["volumes"] = list(mounts.values())
        result["services"][name] = service
    return result


def mount_target(spec: str) -> str:
    parts = split_mount(spec)
    return parts[1]


def split_mount(spec: str) -> tuple[str, str, str]:
    """``source:target[:mode]`` -> (source, target, mode)."""
    parts = spec.split(":")
    if len(parts) == 2:
        return parts[0], parts[1], "rw"
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"unexpected volume spec {spec!r}")


def service_networks(service: dict[str, Any]) -> list[str]:
    if service.get("network_mode") == "none":
        return []
    networks = service.get("networks") or ["default"]
    return list(networks) if isinstance(networks, list) else list(networks.keys())


def env_example_entries() -> dict[str, str]:
    """``NAME -> value`` for every ``NAME=value`` line of .env.example, commented or not."""
    entries: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            entries.setdefault(match.group(1), match.group(2))
    return entries
