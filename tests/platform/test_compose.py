"""docker-compose.override.yml, checked statically (no Docker engine here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("scheduler", "dag-processor", "api-server", "triggerer")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.override.yml").read_text())


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
    mount = compose["services"]["scheduler"]["volumes"][1]
    default = re.search(r":-([^}]+)\}", mount).group(1)
    assert (REPO / default).is_file()


def test_no_secrets_inline():
    text = (REPO / "docker-compose.override.yml").read_text()
    assert not re.search(r"(?i)(password|secret|token|keytab)\s*[:=]\s*\S", text)
    assert "krb5-cache" in yaml.safe_load(text)["volumes"]
