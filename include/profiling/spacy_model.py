"""Is the spaCy pipeline the SDK's PII classifier loads installed? Answered without importing spaCy.

The SDK (``metadata.pii.algorithms.presidio_utils``) calls ``spacy.load("en_core_web_md")`` and,
when that fails, **downloads** the model at run time: behind a corporate proxy that hangs or
fails deep inside the run. The image installs the official wheel, pinned by version and sha256
(see docs/profiling.md); this check fails the preflight first, naming the model and the fix.
"""

from __future__ import annotations

from importlib import metadata, util

from include.errors import PreflightError
from include.profiling.options import SPACY_MODEL

FIX = ("install the official model wheel in the image, pinned by version and sha256 (Dockerfile build arg "
       "SPACY_MODEL_URL, see docs/profiling.md), or run with the param classification=false")


def check_spacy_model(name: str = SPACY_MODEL) -> dict[str, str]:
    """The model's version, or a ``PreflightError`` naming what is missing and the fix."""
    for module, package in (("spacy", "spacy"), ("presidio_analyzer", "presidio-analyzer")):
        if util.find_spec(module) is None:
            raise PreflightError(
                f"PII classification needs the Python package {package!r}, which is not installed. Fix: install "
                f"openmetadata-ingestion[pii-processor] (requirements.txt), or run with the param classification=false")
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        raise PreflightError(
            f"PII classification needs the spaCy model {name!r}, which is not installed (the SDK would try to "
            f"download it at run time). Fix: {FIX}") from None
    if util.find_spec(name) is None:
        raise PreflightError(f"the spaCy model {name!r} {version} is registered but cannot be imported. Fix: {FIX}")
    return {"spacy_model": name, "spacy_model_version": version, "spacy_version": metadata.version("spacy")}
