"""The Airflow 3 UI with this project, in a real browser (headless Chromium + selenium).

One ``airflow standalone`` with the project's DAGs and plugins (shared with
tests/platform/test_managed_apis.py: ``tests.support.standalone.project_stack``), pagila in a
throwaway PostgreSQL and the OpenMetadata emulator. The test logs in through the real login
form, checks that every DAG of ``dags/`` is served (REST) and every catalog DAG is listed in the
UI, with no import errors (REST ``/api/v2/importErrors`` and the home page), then triggers
``catalog_pagila`` by clicking *Trigger* and the dialog's *Trigger*, waits for the run to succeed
(REST), and saves a screenshot of the run page to ``test-artifacts/``.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the Python package
``selenium`` (requirements-dev.txt); missing ones skip locally and fail under CI=true.
"""

from __future__ import annotations

import re
import time
from urllib.parse import unquote

import pytest

from tests.support import prereq
from tests.support.airflow_run import REPO
from tests.support.standalone import ARTIFACTS, StandaloneError, project_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000")
SCREENSHOT = ARTIFACTS / "ui-catalog_pagila-run.png"


def project_dag_ids() -> set[str]:
    """Every DAG the files in dags/ define (parsed here, as the DAG-integrity test does)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(REPO / "dags"))
    assert not bag.import_errors, bag.import_errors
    return set(bag.dag_ids)


@pytest.fixture(scope="module")
def stack(pg_cluster):
    return project_stack(pg_cluster)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = prereq.require_binary("chromium", hint="Debian package chromium")
    chromedriver = prereq.require_binary("chromedriver", "/usr/lib/chromium", hint="Debian package chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        prereq.missing("Python package selenium not installed (requirements-dev.txt)")
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(90)
    try:
        yield driver
    finally:
        driver.quit()


def login(browser, base_url: str, password: str, next_path: str = "/") -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(f"{base_url}{next_path}")
    wait.until(lambda d: "/auth/login" in d.current_url)  # not logged in: the auth manager's form
    wait.until(ec.visibility_of_element_located((By.NAME, "username"))).send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "/auth/login" not in d.current_url)


def body_text(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def wait_for_text(browser, pattern: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = body_text(browser)
        if re.search(pattern, text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{pattern!r} not on {browser.current_url} after {timeout:.0f} s:\n{text[:1500]}")
        time.sleep(0.5)


@pytest.mark.timeout(900)
def test_ui_lists_catalog_dags_and_triggers_catalog_pagila(stack, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    airflow = stack.airflow
    expected = project_dag_ids()
    catalog_dags = sorted(d for d in expected if d.startswith("catalog_"))
    assert "catalog_pagila" in catalog_dags

    # Every DAG of the project is served, none has an import error (REST). A DAG that is not
    # served fails the test at the end, after the UI checks (which need only the catalog DAGs).
    try:
        airflow.wait_for_dags(expected, timeout=240, settle=45)
        missing: set[str] = set()
    except StandaloneError:
        served = {d["dag_id"] for d in airflow.api("GET", "/api/v2/dags?limit=1000")["dags"]}
        missing = expected - served
        airflow.wait_for_dags(catalog_dags, timeout=60)
    errors = airflow.api("GET", "/api/v2/importErrors")
    assert errors["total_entries"] == 0, errors["import_errors"]

    # The real login form, then the DAG list and the home page.
    login(browser, airflow.url, airflow.passwords()["admin"], "/dags")
    wait = WebDriverWait(browser, 60)
    listed = wait_for_text(browser, re.escape(catalog_dags[-1]))
    for dag_id in catalog_dags:
        assert re.search(rf"(?m)^{re.escape(dag_id)}$", listed), f"{dag_id} not listed in the UI:\n{listed[:2000]}"
    browser.get(f"{airflow.url}/")
    home = wait_for_text(browser, r"Stats")
    assert "import error" not in home.lower(), home[:1500]

    # Trigger catalog_pagila by clicking, as a user would.
    airflow.unpause("catalog_pagila")
    before = {r["dag_run_id"] for r in airflow.runs("catalog_pagila")}
    browser.get(f"{airflow.url}/dags/catalog_pagila")
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "button[aria-label='Trigger Dag']"))).click()
    wait.until(ec.visibility_of_element_located((By.XPATH, "//*[@role='dialog'][.//*[contains(., 'Trigger Dag')]]")))
    confirm = wait.until(lambda d: next((b for b in d.find_elements(By.XPATH, "//*[@role='dialog']//button")
                                         if b.text.strip() == "Trigger" and b.is_enabled()), None))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", confirm)
    wait.until(ec.element_to_be_clickable(confirm)).click()
    wait.until(lambda d: "/runs/" in d.current_url)
    run_id = unquote(browser.current_url.rsplit("/runs/", 1)[1].split("?")[0].rstrip("/"))
    assert {r["dag_run_id"] for r in airflow.runs("catalog_pagila")} - before == {run_id}

    # Success, by REST; the catalog got pagila's tables.
    run = airflow.wait_for_run("catalog_pagila", run_id, timeout=600)
    assert run["state"] == "success", airflow.task_states("catalog_pagila", run_id)
    assert run["run_type"] == "manual"
    tables = stack.emulator.store.list("tables", limit=1000)[0]
    assert any(t["fullyQualifiedName"].startswith("pagila_postgres.pagila_standalone.public.") for t in tables)

    # The run page, for the record.
    browser.get(browser.current_url)
    page = wait_for_text(browser, r"(?m)^Success$")
    assert run_id in page
    wait_for_text(browser, r"ingest_metadata")
    time.sleep(1)  # let the grid finish drawing
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT)), SCREENSHOT

    if missing:
        pytest.fail(airflow.missing_dags_report(missing), pytrace=False)
