"""Neutralising openmetadata-managed-apis' own plugin entry point (include/managed_apis/entry_point.py).

On a copy of the real installed dist-info in a throwaway site dir, so nothing here touches the venv.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from include.managed_apis import entry_point
from include.managed_apis.entry_point import DISTRIBUTION, GROUP

REPO = Path(__file__).resolve().parents[3]
SHIPPED = "[airflow.plugins]\nopenmetadata_managed_apis = openmetadata_managed_apis.plugin:RestApiPlugin\n"


@pytest.fixture
def site(tmp_path) -> Path:
    """A site dir holding the package's dist-info as the package installs it, its entry_points.txt
    hard-linked from a 'cache' file, as uv installs it."""
    dist = metadata.distribution(DISTRIBUTION)
    record = next(f for f in dist.files if f.name == "RECORD")
    source = Path(dist.locate_file(record)).parent
    site = tmp_path / "site"
    shutil.copytree(source, site / source.name)
    cache = tmp_path / "cache-entry_points.txt"
    cache.write_text(SHIPPED)
    target = site / source.name / "entry_points.txt"
    target.unlink()
    os.link(cache, target)
    return site


def live_names(site: Path) -> list[str]:
    [dist] = [d for d in metadata.distributions(path=[str(site)])]
    return [ep.name for ep in dist.entry_points if ep.group == GROUP]


def test_neutralise_comments_the_entry_point_out_and_records_what_it_was(site, tmp_path):
    assert live_names(site) == ["openmetadata_managed_apis"]
    assert entry_point.stock_entry_point_active([str(site)])

    [outcome] = entry_point.neutralise([str(site)])

    assert outcome.action == "neutralised"
    assert live_names(site) == []
    assert entry_point.stock_entry_point_active([str(site)]) == []
    text = outcome.path.read_text()
    assert "# datakit-was: openmetadata_managed_apis = openmetadata_managed_apis.plugin:RestApiPlugin" in text
    # uv's cache (the other name of the hard link) still holds what the package shipped
    assert (tmp_path / "cache-entry_points.txt").read_text() == SHIPPED


def test_record_gets_the_new_hash_and_size(site):
    [outcome] = entry_point.neutralise([str(site)])
    data = outcome.path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record = (outcome.path.parent / "RECORD").read_text()
    assert f"{outcome.path.parent.name}/entry_points.txt,sha256={digest},{len(data)}" in record


def test_idempotent_and_restore_gives_back_what_was_shipped(site):
    entry_point.neutralise([str(site)])
    [again] = entry_point.neutralise([str(site)])
    assert again.action == "already neutralised"
    [restored] = entry_point.restore([str(site)])
    assert restored.action == "restored"
    assert restored.path.read_text() == SHIPPED
    assert live_names(site) == ["openmetadata_managed_apis"]


def test_a_reinstall_brings_it_back_and_the_next_neutralise_removes_it(site, tmp_path):
    [first] = entry_point.neutralise([str(site)])
    first.path.unlink()  # a reinstall writes the file the package ships
    shutil.copy(tmp_path / "cache-entry_points.txt", first.path)
    assert live_names(site) == ["openmetadata_managed_apis"]
    [second] = entry_point.neutralise([str(site)])
    assert second.action == "neutralised" and live_names(site) == []


def test_check_exits_1_naming_the_fix_while_live(site, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(site))  # the live copy is found beside the venv's neutralised one
    assert entry_point.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "entry point is live" in out and "entry_point neutralise" in out
    entry_point.neutralise([str(site)])
    assert entry_point.main(["check"]) == 0


def test_this_venv_is_neutralised():
    """`make setup` (which `make test` runs first) neutralised the real install."""
    assert entry_point.stock_entry_point_active() == [], (
        "openmetadata-managed-apis' entry point is live in this venv: run `make setup`")


def test_make_setup_neutralises_after_every_install():
    """The install and the neutraliser are one recipe, in that order, and `make setup` runs it again
    even when nothing needs installing (a package reinstalled by hand)."""
    dry = subprocess.run(["make", "-n", "setup", "-W", "requirements.txt"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    install = dry.index("uv pip install")
    assert dry.index("entry_point neutralise", install) > install
    up_to_date = subprocess.run(["make", "-n", "setup"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "entry_point neutralise" in up_to_date


def test_the_image_neutralises_after_installing():
    dockerfile = (REPO / "Dockerfile").read_text()
    run = dockerfile.index("RUN pip install --no-cache-dir -r requirements-packages.txt")
    assert dockerfile.index("python -m include.managed_apis.entry_point neutralise", run) > run
    assert dockerfile.index("python -m include.managed_apis.entry_point check", run) > run
