"""The Kerberos configuration the Airflow containers see: realm and KDCs from krb5.conf.

Split from ``include.kerberos.preflight`` (ticket, ODBC driver, TCP): the preflight and
``kerberos_diagnostics`` read it to name the realm and the KDCs in their messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from include.errors import PreflightError
from include.kerberos.preflight import DEFAULT_KRB5_CONFIG, ENV_KRB5_CONFIG, KerberosSettings


@dataclass(frozen=True)
class Krb5Conf:
    paths: tuple[str, ...]
    default_realm: str | None = None
    realms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # realm -> kdc entries
    dns_lookup_kdc: bool | None = None

    def kdcs(self, realm: str | None = None) -> tuple[str, ...]:
        return self.realms.get(realm or self.default_realm or "", ())


_INCLUDEDIR_NAME = re.compile(r"^([A-Za-z0-9_-]+|.*\.conf)$")


def _relations(path: Path, depth: int, seen: set[Path], out: list[tuple[tuple[str, ...], str, str]]) -> None:
    """Append (section path, key, value) for every relation in a profile file (MIT syntax)."""
    if depth > 8 or path in seen:
        return
    seen.add(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    section: str | None = None
    stack: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("include ") or line.startswith("includedir "):
            word, _, target = line.partition(" ")
            target_path = Path(target.strip())
            try:
                if word == "include":
                    _relations(target_path, depth + 1, seen, out)
                else:
                    for child in sorted(target_path.iterdir()):
                        if _INCLUDEDIR_NAME.match(child.name) and child.is_file():
                            _relations(child, depth + 1, seen, out)
            except OSError:
                pass  # MIT fails on a missing include; the report only reads what exists
            continue
        if line.startswith("["):
            end = line.find("]")
            section = line[1:end].strip() if end > 0 else line[1:].strip()
            stack = []
            continue
        if line.startswith("}"):
            if stack:
                stack.pop()
            continue
        key, eq, value = line.partition("=")
        if not eq or section is None:
            continue
        key = key.strip().rstrip("*").strip()
        value = value.strip()
        if value.startswith("{"):
            stack.append(key)
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out.append(((section, *stack), key, value))


def read_krb5_conf(spec: str = DEFAULT_KRB5_CONFIG) -> Krb5Conf:
    """Realm and KDCs from a krb5.conf (``KRB5_CONFIG`` may list files separated by ':').

    A small reader of MIT's profile syntax (``[section]``, ``key = value``,
    ``REALM = { kdc = ... }``, ``include``/``includedir``); configparser cannot
    read the braces. Raises ``FileNotFoundError`` when none of the files exists.
    """
    files = [Path(p) for p in spec.split(":") if p.strip()]
    relations: list[tuple[tuple[str, ...], str, str]] = []
    seen: set[Path] = set()
    read: list[str] = []
    for file in files:
        if file.is_file():
            _relations(file, 0, seen, relations)
            read.append(str(file))
    if not read:
        raise FileNotFoundError(spec)
    default_realm = None
    dns_lookup_kdc = None
    realms: dict[str, list[str]] = {}
    for where, key, value in relations:  # first value wins, as in MIT's profile library
        if where == ("libdefaults",) and key == "default_realm" and default_realm is None:
            default_realm = value
        elif where == ("libdefaults",) and key == "dns_lookup_kdc" and dns_lookup_kdc is None:
            dns_lookup_kdc = value.lower() in ("true", "yes", "on", "1")
        elif len(where) == 2 and where[0] == "realms":
            kdcs = realms.setdefault(where[1], [])
            if key == "kdc":
                kdcs.append(value)
    return Krb5Conf(
        paths=tuple(read),
        default_realm=default_realm,
        realms={realm: tuple(kdcs) for realm, kdcs in realms.items()},
        dns_lookup_kdc=dns_lookup_kdc,
    )


def check_krb5_conf(settings: KerberosSettings | None = None) -> Krb5Conf:
    settings = settings or KerberosSettings.from_env()
    try:
        return read_krb5_conf(settings.krb5_config)
    except FileNotFoundError:
        raise PreflightError(
            f"Kerberos configuration {settings.krb5_config} not found. Fix: mount the host's krb5.conf at "
            f"{DEFAULT_KRB5_CONFIG} read-only in every Airflow container (or set {ENV_KRB5_CONFIG})"
        ) from None
    except OSError as exc:
        raise PreflightError(
            f"Kerberos configuration {settings.krb5_config} cannot be read: {exc.strerror}. "
            "Fix: mount it with mode 0644"
        ) from None
