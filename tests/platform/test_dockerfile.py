"""What the image build does that no test here can run (no Docker daemon): read from the Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def _arg(name: str) -> str:
    found = re.search(rf"^ARG {name}=(.*)$", DOCKERFILE, re.M)
    assert found, f"Dockerfile has no ARG {name}"
    return found.group(1)


def test_the_spacy_model_is_pinned_to_the_pinned_spacy_and_verified_when_a_hash_is_given():
    spacy = re.search(r"^spacy==(\d+)\.(\d+)\.", (REPO / "constraints.txt").read_text(), re.M)
    model = _arg("SPACY_MODEL_VERSION").split(".")
    assert model[:2] == [spacy.group(1), spacy.group(2)], "a spaCy model only loads in its own major.minor"
    assert "en_core_web_md-${SPACY_MODEL_VERSION}-py3-none-any.whl" in _arg("SPACY_MODEL_URL")
    assert '#sha256=${SPACY_MODEL_SHA256}"' in DOCKERFILE  # pip checks the file against it
    assert 'python -c "import en_core_web_md"' in DOCKERFILE  # the build fails if it does not load


def test_the_packages_are_installed_after_the_project_copy():
    """ONBUILD installs requirements.txt before the copy: packages/ paths only exist afterwards."""
    assert "./packages/" not in (REPO / "requirements.txt").read_text()
    assert "RUN pip install --no-cache-dir -r requirements-packages.txt" in DOCKERFILE
