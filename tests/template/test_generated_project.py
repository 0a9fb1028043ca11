"""A datakit made from template/ works on its own: its venv installs, its own suite passes.

Non-default answers throughout; the lineage package and the emulator come from a package
index on loopback (the stand-in for a corporate mirror) serving the wheels built from
packages/. The generated suite runs with CI=true, so none of its tests may skip.
"""

from __future__ import annotations

import re

import pytest

from tests.template.helpers import EMULATOR_VERSION, LINEAGE_VERSION, text_files

# The first test builds the venv (session fixture): minutes on a cold uv cache, not the default 600 s.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1500)]

# Every test the generated project ships, by file (the suite must run all of them).
EXPECTED = {
    "tests/dags/test_dag_integrity.py::test_no_import_errors",
    "tests/dags/test_dag_integrity.py::test_every_dag_file_defines_a_dag",
    "tests/dags/test_dag_integrity.py::test_dags_have_tags_owner_and_retries",
    "tests/dags/test_dag_integrity.py::test_dags_serialize_with_their_lineage",
    "tests/dags/test_dag_integrity.py::test_parsing_imports_nothing_heavy",
    "tests/dags/test_example_lineage.py::test_example_dag_sends_its_lineage",
    ".astro/test_dag_integrity_default.py::test_no_import_errors",
    ".astro/test_dag_integrity_default.py::test_dags_found",
}


def test_its_own_suite_passes_with_every_test_run(generated_project):
    assert generated_project.returncode == 0, generated_project.output[-6000:]
    assert generated_project.outcomes, f"no JUnit report:\n{generated_project.output[-3000:]}"
    assert set(generated_project.outcomes) == EXPECTED, sorted(generated_project.outcomes)
    not_passed = {name: outcome for name, outcome in generated_project.outcomes.items() if outcome != "passed"}
    assert not not_passed, f"{not_passed}\n{generated_project.output[-4000:]}"


def test_the_example_lineage_used_the_answers(generated_project):
    """The edge the suite found is the one the answers describe (service, pipeline service)."""
    project = generated_project.project
    dag = (project / "dags" / "example_lineage.py").read_text()
    assert 'dag_id="sales_lineage_example_lineage"' in dag
    assert 'table("sales_pg", "analytics", "public", "raw_orders")' in dag
    assert '"sales_pg": "sales_warehouse"' in (project / "include" / "lineage_tables.py").read_text()
    dockerfile = (project / "Dockerfile").read_text()
    assert "FROM astrocrpublic.azurecr.io/runtime:3.3-1-python-3.11" in dockerfile
    assert "OPENMETADATA_LINEAGE_OPENMETADATA_CONN_ID=om_sales" in dockerfile
    assert "OPENMETADATA_LINEAGE_PIPELINE_SERVICE=sales_lineage_airflow" in dockerfile
    # Only crm_mssql's service is named like its connection.
    assert "OPENMETADATA_LINEAGE_ASSET_CONNECTIONS=crm_mssql " in dockerfile


def test_requirements_pin_the_packages_from_the_answered_index(generated_project):
    project, index = generated_project.project, generated_project.answers["lineage_location"]
    requirements = [line for line in (project / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert requirements == [f"--extra-index-url {index}", f"airflow-openmetadata-lineage=={LINEAGE_VERSION}"]
    dev = (project / "requirements-dev.txt").read_text()
    assert f"--extra-index-url {index}\nopenmetadata-emulator=={EMULATOR_VERSION}" in dev
    assert "apache-airflow==3.3.2" in dev
    assert not (project / "requirements-lineage.txt").exists()
    # What the venv really got: the wheels built from packages/, at the pinned version.
    installed = {p.name for p in (project / ".venv" / "lib").glob("python3.*/site-packages/*.dist-info")}
    assert {f"airflow_openmetadata_lineage-{LINEAGE_VERSION}.dist-info", f"openmetadata_emulator-{EMULATOR_VERSION}.dist-info"} <= installed


def test_the_project_has_no_machine_path_and_no_secret(generated_project):
    project = generated_project.project
    index = generated_project.answers["lineage_location"]
    machine = re.compile(r"(/work/|/tmp/|/root/|/home/|/Users/|[A-Z]:\\)")
    for path, text in text_files(project):
        if path.name == ".copier-answers.yml":
            continue  # copier records the template's location there (a git URL for users)
        found = machine.findall(text.replace(index, "<answered index>"))
        assert not found, f"{path.relative_to(project)} holds machine paths {found}"
    settings = (project / "airflow_settings.yaml").read_text()
    assert re.findall(r"conn_password:(.*)", settings) == ["", "", ""], "airflow_settings.yaml must hold no password"
    assert "<ingestion-bot JWT>" in (project / ".env.example").read_text()
