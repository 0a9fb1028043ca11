"""What template/ renders from each answer, and which answers it refuses (copier's API, seconds).

The slow proof that a rendered project works is test_generated_project.py; these pin the
rendering rules: where the two packages come from for each kind of source, that a path
source is installed after the project copy (the Runtime installs requirements.txt before
it), that validators name the answer and the fix, and that defaults hold no machine path.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.template.helpers import (EMULATOR_VERSION, LINEAGE_VERSION, NON_DEFAULT_ANSWERS, REPO, render_api,
                                   require_programs, run, text_files)

CORP = "https://artifacts.corp.example.com"


def lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(("answers", "message"), [
    ({"project_name": "Sales Datakit"}, "project_name \"Sales Datakit\": use 3-50 lowercase letters"),
    ({"owner": "a\"b"}, 'owner "a\\"b": use 1-64 letters'),
    ({"openmetadata_conn_id": "OpenMetadata"}, "openmetadata_conn_id \"OpenMetadata\": use lowercase"),
    ({"database_connections": {}}, "database_connections: give at least one"),
    ({"database_connections": {"dw": {"service": "my.dw", "type": "postgres"}}},
     "database_connections.dw.service \"my.dw\""),
    ({"database_connections": {"dw": {"service": "dw"}}}, "database_connections.dw: give both keys"),
    ({"database_connections": {"Bad-Id": {"service": "dw", "type": "postgres"}}}, "connection id \"Bad-Id\""),
    ({"astro_runtime_tag": "12.1.0"}, "astro_runtime_tag \"12.1.0\": an Airflow 3 Runtime tag"),
    ({"astro_runtime_tag": "3.3-2", "airflow_version": "3.2.1"},
     "airflow_version 3.2.1 does not match astro_runtime_tag 3.3-2"),
    ({"lineage_source": "index", "lineage_location": "pypi.corp.example.com/simple"}, "an index is an http(s) URL"),
    ({"lineage_source": "index", "lineage_location": "file:///srv/simple"}, "an index is an http(s) URL"),
    ({"lineage_source": "find-links", "lineage_location": "/opt/wheels"}, "a path must be relative and inside"),
    ({"lineage_source": "find-links", "lineage_location": "../dist"}, "a path must be relative and inside"),
    ({"lineage_source": "wheel", "lineage_location": f"file:///srv/airflow_openmetadata_lineage-{LINEAGE_VERSION}-py3-none-any.whl"},
     "a path must be relative and inside"),
    ({"lineage_source": "wheel", "lineage_location": "wheels/airflow_openmetadata_lineage-0.0.9-py3-none-any.whl"},
     f"the wheel this template pins is airflow_openmetadata_lineage-{LINEAGE_VERSION}-py3-none-any.whl"),
    ({"lineage_source": "find-links", "lineage_location": "my wheels"}, "without spaces"),
])
def test_a_bad_answer_is_refused_by_name(tmp_path, answers, message):
    with pytest.raises(ValueError) as refused:
        render_api(tmp_path / "p", **answers)
    assert message in str(refused.value)


@pytest.mark.parametrize(("source", "location", "requirements", "lineage", "dev_source"), [
    ("index", "https://pypi.org/simple", [f"airflow-openmetadata-lineage=={LINEAGE_VERSION}"], None, None),
    ("index", f"{CORP}/api/pypi/simple",
     [f"--extra-index-url {CORP}/api/pypi/simple", f"airflow-openmetadata-lineage=={LINEAGE_VERSION}"], None,
     f"--extra-index-url {CORP}/api/pypi/simple"),
    ("find-links", f"{CORP}/wheels/", [f"--find-links {CORP}/wheels/", f"airflow-openmetadata-lineage=={LINEAGE_VERSION}"],
     None, f"--find-links {CORP}/wheels/"),
    ("find-links", "wheels", [], ["--find-links wheels", f"airflow-openmetadata-lineage=={LINEAGE_VERSION}"],
     "--find-links wheels"),
    ("wheel", f"vendor/airflow_openmetadata_lineage-{LINEAGE_VERSION}-py3-none-any.whl", [],
     ["--find-links vendor", f"airflow-openmetadata-lineage=={LINEAGE_VERSION}"], "--find-links vendor"),
    ("wheel", f"{CORP}/lineage/airflow_openmetadata_lineage-{LINEAGE_VERSION}-py3-none-any.whl",
     [f"airflow-openmetadata-lineage @ {CORP}/lineage/airflow_openmetadata_lineage-{LINEAGE_VERSION}-py3-none-any.whl"],
     None, None),
])
def test_each_source_renders_where_both_packages_come_from(tmp_path, source, location, requirements, lineage,
                                                            dev_source):
    project = render_api(tmp_path / "p", lineage_source=source, lineage_location=location)
    assert lines(project / "requirements.txt") == requirements
    dockerfile = (project / "Dockerfile").read_text()
    makefile = (project / "Makefile").read_text()
    if lineage is None:
        assert not (project / "requirements-lineage.txt").exists()
        assert "requirements-lineage.txt" not in dockerfile + makefile
    else:  # a path: installed after the Runtime copies the project in
        assert lines(project / "requirements-lineage.txt") == lineage
        assert "RUN pip install --no-cache-dir -r requirements-lineage.txt" in dockerfile
        assert "REQUIREMENTS := requirements.txt requirements-lineage.txt requirements-dev.txt" in makefile
    dev = lines(project / "requirements-dev.txt")
    emulator = [line for line in dev if "openmetadata-emulator" in line]
    if source == "wheel" and lineage is None:
        assert emulator == [f"openmetadata-emulator @ {CORP}/lineage/openmetadata_emulator-{EMULATOR_VERSION}-py3-none-any.whl"]
    else:
        assert emulator == [f"openmetadata-emulator=={EMULATOR_VERSION}"]
        assert (dev[dev.index(emulator[0]) - 1] == dev_source) if dev_source else not any(
            line.startswith("--") for line in dev)


def test_defaults_render_a_project_without_machine_paths(tmp_path):
    project = render_api(tmp_path / "p")
    machine = re.compile(r"(/work/|/tmp/|/root/|/home/|/Users/|[A-Z]:\\)")
    for path, text in text_files(project):
        if path.name != ".copier-answers.yml":  # copier records the template's location there
            assert not machine.findall(text), f"{path.relative_to(project)}: {machine.findall(text)}"
    assert "FROM astrocrpublic.azurecr.io/runtime:3.3-2-python-3.11" in (project / "Dockerfile").read_text()
    assert "PYTHON_VERSION ?= 3.11" in (project / "Makefile").read_text()


def test_every_answer_is_used(tmp_path):
    project = render_api(tmp_path / "p", **NON_DEFAULT_ANSWERS)
    everything = "\n".join(text for path, text in text_files(project) if path.name != ".copier-answers.yml")
    for needle in ("sales-lineage", "sales_lineage_example_lineage", "sales analytics", "om_sales",
                   "AIRFLOW_CONN_OM_SALES", "AIRFLOW_CONN_SALES_PG", "AIRFLOW_CONN_CRM_MSSQL", '"conn_type": "mssql"',
                   "sales_warehouse", "runtime:3.3-1-python-3.11", "apache-airflow==3.3.2"):
        assert needle in everything, f"answer {needle!r} appears nowhere in the project"


def test_production_files_never_name_the_emulator(tmp_path):
    project = render_api(tmp_path / "p", **NON_DEFAULT_ANSWERS)
    production = [project / "requirements.txt", project / "Dockerfile", *project.glob("dags/**/*.py"),
                  *project.glob("include/**/*.py"), *project.glob("plugins/**/*")]
    for path in production:
        assert "emulator" not in path.read_text(), f"{path.relative_to(project)} names the emulator (a test stand-in)"


@pytest.mark.integration
def test_a_wheels_directory_inside_the_project_resolves(tmp_path, template_wheels):
    """The path source as `make test` and the Dockerfile use it: relative to the project root."""
    uv = require_programs("uv")["uv"]
    project = render_api(tmp_path / "p", **NON_DEFAULT_ANSWERS, lineage_source="find-links",
                         lineage_location="wheels")
    (project / "wheels").mkdir()
    for wheel in template_wheels.values():
        shutil.copy2(wheel, project / "wheels")
    done = run([uv, "pip", "compile", "--quiet", "--python-version", "3.11", "--no-header", "--no-annotate",
                "-c", str(REPO / "constraints.txt"),
                "requirements.txt", "requirements-lineage.txt", "requirements-dev.txt"], cwd=project, timeout=300)
    resolved = done.stdout.splitlines()
    assert f"airflow-openmetadata-lineage=={LINEAGE_VERSION}" in resolved and f"openmetadata-emulator=={EMULATOR_VERSION}" in resolved, \
        done.stdout[-2000:]


@pytest.mark.parametrize("answers", [
    {},
    NON_DEFAULT_ANSWERS,
    {"database_connections": {"dw": {"service": "corp-dw_01", "type": "snowflake"}}, "lineage_source": "wheel",
     "lineage_location": f"airflow_openmetadata_lineage-{LINEAGE_VERSION}-py3-none-any.whl"},
])
def test_every_python_and_yaml_file_is_well_formed(tmp_path, answers):
    import yaml

    project = render_api(tmp_path / "p", **answers)
    for path, text in text_files(project):
        if path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.suffix in {".yml", ".yaml"}:
            assert yaml.safe_load(text) is not None, path
    settings = yaml.safe_load((project / "airflow_settings.yaml").read_text())["airflow"]
    conn_ids = [c["conn_id"] for c in settings["connections"]]
    assert conn_ids == [answers.get("openmetadata_conn_id", "openmetadata_default"),
                        *answers.get("database_connections", {"warehouse_postgres": {}})]
    assert yaml.safe_load((project / ".astro" / "config.yaml").read_text())["project"]["name"] == answers.get(
        "project_name", "my-datakit")


def test_the_template_pins_the_versions_the_packages_have():
    """A package release bumps its pyproject version; the template must pin the same one, or every
    datakit made from it installs the previous release (or none: make dist builds only the new one)."""
    import yaml

    questions = yaml.safe_load((REPO / "template" / "copier.yml").read_text())
    assert questions["lineage_version"]["default"] == LINEAGE_VERSION
    assert questions["emulator_version"]["default"] == EMULATOR_VERSION
