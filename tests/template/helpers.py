"""Rendering template/ with copier, building the two wheels, and serving them as a package index.

Shared by the template tests. Programs run in an environment stripped of this repository's
settings (Airflow home, PYTHONPATH, DATAKIT_*): a generated project must work on its own.
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

from tests.support import prereq

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template"
PACKAGES = ("airflow-openmetadata-lineage", "openmetadata-emulator")


def package_version(name: str) -> str:
    """The version in packages/<name>/pyproject.toml: what make dist builds and the template must pin."""
    import tomllib

    return tomllib.loads((REPO / "packages" / name / "pyproject.toml").read_text())["project"]["version"]


LINEAGE_VERSION = package_version("airflow-openmetadata-lineage")
EMULATOR_VERSION = package_version("openmetadata-emulator")
COPIER = Path(sys.executable).with_name("copier")

# Answers a user could give, none of them a default (the tests check every one is used).
NON_DEFAULT_ANSWERS: dict[str, Any] = {
    "project_name": "sales-lineage",
    "owner": "sales analytics",
    "openmetadata_conn_id": "om_sales",
    "database_connections": {
        "sales_pg": {"service": "sales_warehouse", "type": "postgres"},
        "crm_mssql": {"service": "crm_mssql", "type": "mssql"},
    },
    "astro_runtime_tag": "3.3-1-python-3.11",
    "airflow_version": "3.3.2",
}

# Who commits in the throwaway git repositories (no global git config needed).
GIT_ENV = {
    "GIT_AUTHOR_NAME": "template-test", "GIT_AUTHOR_EMAIL": "template-test@example.invalid",
    "GIT_COMMITTER_NAME": "template-test", "GIT_COMMITTER_EMAIL": "template-test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without this repository's settings, plus ``extra``."""
    dropped = ("AIRFLOW", "DATAKIT_", "OPENMETADATA_LINEAGE_", "PYTHON", "VIRTUAL_ENV", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(GIT_ENV)
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run ``args``; a non-zero exit fails with the command's output tail."""
    done = subprocess.run(args, cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} (in {cwd}) exited {done.returncode}:\n"
        f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def copier_data_args(answers: dict[str, Any]) -> list[str]:
    """``-d name=value`` arguments (YAML flow style for mappings, as a user would type them)."""
    import yaml

    args: list[str] = []
    for name, value in answers.items():
        text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip() if isinstance(value, dict) else str(value)
        args += ["-d", f"{name}={text.removesuffix('...').strip()}"]
    return args


def copier_copy(src: str | Path, dst: Path, answers: dict[str, Any], *extra: str) -> None:
    """``copier copy --defaults`` with ``answers``, as a user runs it (the CLI, not the API)."""
    run([str(COPIER), "copy", "--defaults", "--quiet", *extra, *copier_data_args(answers), str(src), str(dst)],
        cwd=dst.parent, timeout=120)


def render_api(dst: Path, **answers: Any) -> Path:
    """Render template/ as it is in the work tree (copier's Python API: fast checks of the output)."""
    import copier

    copier.run_copy(str(TEMPLATE), dst, data=answers, defaults=True, quiet=True, vcs_ref="HEAD", unsafe=False)
    return dst


def require_programs(*names: str) -> dict[str, str]:
    return {name: prereq.require_binary(name) for name in names}


def build_wheels(out: Path) -> dict[str, Path]:
    """Both distributions built by this repository's own ``make dist``, into ``out``."""
    require_programs("uv", "make")
    run(["make", "--no-print-directory", "dist", f"DIST_DIR={out}"], cwd=REPO, timeout=300)
    wheels = {}
    for package in PACKAGES:
        found = sorted(out.glob(f"{package.replace('-', '_')}-*.whl"))
        assert len(found) == 1, f"expected one wheel of {package} in {out}, found {found}"
        wheels[package] = found[0]
    return wheels


@dataclass
class PackageIndex:
    """A PEP 503 'simple' index on loopback serving the given wheels (a corporate mirror's stand-in)."""

    root: Path
    server: ThreadingHTTPServer

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/simple"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_index(root: Path, wheels: dict[str, Path]) -> PackageIndex:
    for name, wheel in wheels.items():
        project = root / "simple" / re.sub(r"[-_.]+", "-", name).lower()
        project.mkdir(parents=True)
        shutil.copy2(wheel, project / wheel.name)
        (project / "index.html").write_text(
            f'<!DOCTYPE html><html><body><a href="{html.escape(wheel.name)}">{html.escape(wheel.name)}</a>'
            "</body></html>\n")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # the test output stays readable
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, name="template-test-index", daemon=True).start()
    return PackageIndex(root, server)


def text_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every text file of a generated project (not .git, .venv, caches or wheels)."""
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(root).parts)
        if path.is_file() and not parts & {".git", ".venv", "__pycache__", ".pytest_cache", "wheels"}:
            yield path, path.read_text()
