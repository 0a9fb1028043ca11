"""`copier update` brings a template change into a datakit whose user edited it, keeping the edit.

The template goes into a throwaway git repository (tag v1.0.0), a datakit is made from it and
committed, its user edits the example DAG and commits, the template changes (tag v2.0.0:
a DAG tag in the same file, a new pin of the lineage package, a .gitignore line) and the
datakit runs `copier update`. Both layouts are checked: template/ as a repository of its
own, and this repository's layout (template/ beside this repository's root copier.yml, which
includes template/copier.yml: what a user's `copier copy <git URL of this repo>` reads).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.template.helpers import (COPIER, LINEAGE_VERSION, NON_DEFAULT_ANSWERS, REPO, TEMPLATE, copier_copy,
                                   require_programs, run)

BUMPED = "99.0.0"  # the pin a later template release carries

pytestmark = pytest.mark.integration

USER_LINE = 'print("orders_daily: built by the sales team\'s own SQL")'
ORIGINAL_LINE = 'print("orders_daily built from raw_orders")'


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected {old!r} once (the template changed: update this test)"
    path.write_text(text.replace(old, new))


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo, timeout=60).stdout


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    if tag:
        git(repo, "tag", tag)


def template_repo(root: Path, layout: str) -> tuple[Path, Path]:
    """A git repository holding this template at v1.0.0; returns (repo, its template dir)."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    if layout == "template-root":
        shutil.copytree(TEMPLATE, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        template_dir = root
    else:
        shutil.copytree(TEMPLATE, root / "template", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(REPO / "copier.yml", root / "copier.yml")
        template_dir = root / "template"
    commit_all(root, "template v1", tag="v1.0.0")
    return root, template_dir


def change_template(template_dir: Path) -> None:
    """v2 of the template: what a maintainer's fix looks like."""
    replace_once(template_dir / "project" / "dags" / "example_lineage.py.jinja",
                 'tags=["lineage", "example"]', 'tags=["lineage", "example", "openmetadata"]')
    replace_once(template_dir / "copier.yml", f'lineage_version:\n  type: str\n  default: "{LINEAGE_VERSION}"',
                 f'lineage_version:\n  type: str\n  default: "{BUMPED}"')
    gitignore = template_dir / "project" / ".gitignore"
    gitignore.write_text(gitignore.read_text() + ".ruff_cache/\n")


@pytest.mark.parametrize("layout", ["template-root", "repo-with-root-copier-yml"])
def test_update_keeps_the_users_edit_and_brings_the_template_change(tmp_path, layout):
    require_programs("git")
    repo, template_dir = template_repo(tmp_path / "template-repo", layout)
    project = tmp_path / "sales-lineage"
    copier_copy(repo, project, {**NON_DEFAULT_ANSWERS, "lineage_source": "index",
                                "lineage_location": "https://pypi.corp.example.com/simple"})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0", answers
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "new datakit from the template")

    dag = project / "dags" / "example_lineage.py"
    replace_once(dag, ORIGINAL_LINE, USER_LINE)
    commit_all(project, "our own SQL")

    change_template(template_dir)
    commit_all(repo, "template v2", tag="v2.0.0")

    run([str(COPIER), "update", "--defaults", "--quiet"], cwd=project, timeout=120)

    text = dag.read_text()
    assert USER_LINE in text and ORIGINAL_LINE not in text, "the user's edit was lost:\n" + text
    assert 'tags=["lineage", "example", "openmetadata"]' in text, "the template change did not arrive:\n" + text
    assert f"airflow-openmetadata-lineage=={BUMPED}" in (project / "requirements.txt").read_text()
    assert (project / ".gitignore").read_text().endswith(".ruff_cache/\n")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v2.0.0"
    assert answers["project_name"] == "sales-lineage" and answers["openmetadata_conn_id"] == "om_sales"
    leftovers = [p.name for p in project.rglob("*.rej")]
    conflicts = [str(p) for p in project.rglob("*") if p.is_file() and ".git" not in p.parts
                 and "<<<<<<<" in p.read_text(errors="replace")]
    assert not leftovers and not conflicts, (leftovers, conflicts)
