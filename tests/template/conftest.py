"""The expensive part of the template tests, done once per session.

``generated_project``: template/ rendered with non-default answers, its packages served by a
loopback package index (built from packages/ like ``make dist``), its venv created by its own
``make setup`` (uv, the shared uv cache, constraints.txt through ``UV_CONSTRAINT``), and its
own test suite run by its own ``make test`` with ``CI=true`` (so nothing in it may skip).
The times are printed at the end of the session and saved to test-artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.template.helpers import (
    NON_DEFAULT_ANSWERS, REPO, TEMPLATE, build_wheels, clean_env, copier_copy, require_programs, run, serve_index,
)

TIMINGS: dict[str, float] = {}


@dataclass
class GeneratedRun:
    project: Path
    answers: dict
    wheels: dict[str, Path]
    returncode: int
    output: str
    outcomes: dict[str, str] = field(default_factory=dict)  # "file::test" -> passed/failed/error/skipped


def junit_outcomes(path: Path) -> dict[str, str]:
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        module = "." + module[1:] if module.startswith("/") else module  # .astro/...
        name = f"{module}.py::{case.get('name')}"
        kinds = [child.tag for child in case if child.tag in {"failure", "error", "skipped"}]
        outcomes[name] = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(kinds[0], "?") if kinds \
            else "passed"
    return outcomes


@pytest.fixture(scope="session")
def template_wheels(tmp_path_factory) -> dict[str, Path]:
    started = time.monotonic()
    wheels = build_wheels(tmp_path_factory.mktemp("template-dist"))
    TIMINGS["build both wheels (make dist)"] = time.monotonic() - started
    return wheels


@pytest.fixture(scope="session")
def generated_project(tmp_path_factory, template_wheels) -> GeneratedRun:
    require_programs("uv", "make", "git")
    work = tmp_path_factory.mktemp("template-project")
    index = serve_index(work / "index", template_wheels)
    answers = {**NON_DEFAULT_ANSWERS, "lineage_source": "index", "lineage_location": index.url}
    project = work / "sales-lineage"
    try:
        started = time.monotonic()
        copier_copy(TEMPLATE, project, answers)
        TIMINGS["render (copier copy)"] = time.monotonic() - started
        started = time.monotonic()
        run(["make", "setup"], cwd=project, timeout=900, UV_CONSTRAINT=str(REPO / "constraints.txt"))
        TIMINGS["its venv (make setup: uv venv + uv pip install)"] = time.monotonic() - started
    finally:
        index.stop()
    junit = work / "junit.xml"
    started = time.monotonic()
    done = subprocess.run(["make", "test", f"PYTEST_ARGS=-p no:cacheprovider --junitxml={junit}"], cwd=project,
                          env=clean_env(CI="true"), capture_output=True, text=True, timeout=900)
    TIMINGS["its test suite (make test)"] = time.monotonic() - started
    outcomes = junit_outcomes(junit) if junit.is_file() else {}
    return GeneratedRun(project, answers, template_wheels, done.returncode, done.stdout + done.stderr, outcomes)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TIMINGS:
        return
    terminalreporter.section("template: time spent")
    for what, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{seconds:7.1f} s  {what}")
    out = REPO / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "template-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
