"""Production code never imports the OpenMetadata API emulator (a test stand-in).

dags/, include/, plugins/ and every production distribution in packages/ (all but the
emulator's own) must not import ``openmetadata_emulator`` (nor ``tests``), and the image's
requirements must not install it: only requirements-dev.txt does.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("openmetadata_emulator", "tests")


def production_files() -> list[Path]:
    roots = [REPO / "dags", REPO / "include", REPO / "plugins"]
    roots += [p / "src" for p in (REPO / "packages").glob("*") if p.name != "openmetadata-emulator"]
    return sorted(f for root in roots if root.is_dir() for f in root.rglob("*.py"))


def forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in FORBIDDEN]
    if "openmetadata_emulator" in source and not found:  # importlib/subprocess ways in
        found.append("openmetadata_emulator (named in the source)")
    return found


def test_the_scanner_finds_each_way_in():
    assert forbidden_imports("import openmetadata_emulator.server") == ["openmetadata_emulator.server"]
    assert forbidden_imports("from openmetadata_emulator import Emulator") == ["openmetadata_emulator"]
    assert forbidden_imports("from tests.support import postgres") == ["tests.support"]
    assert forbidden_imports("importlib.import_module('openmetadata_emulator')")
    assert forbidden_imports("import include.lineage\nfrom .x import y") == []


def test_production_code_never_imports_the_emulator():
    files = production_files()
    assert any(f.parent.name == "dags" for f in files) and any("include" in f.parts for f in files)
    offenders = {str(f.relative_to(REPO)): hits for f in files if (hits := forbidden_imports(f.read_text()))}
    assert offenders == {}, "production code must not import the test stand-in; move this into tests/"


def test_only_the_dev_requirements_install_the_emulator():
    for name in ("requirements.txt", "requirements-packages.txt"):
        assert "openmetadata-emulator" not in (REPO / name).read_text(), f"{name} must not install the emulator"
    assert "./packages/openmetadata-emulator" in (REPO / "requirements-dev.txt").read_text().split()
