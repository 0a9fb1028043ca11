"""docs/benchmarks.md is what ``make bench`` measured, and the benchmarks' arithmetic is right.

The benchmarks themselves take ~25 minutes and do not run in the suite (``make bench``);
these checks are cheap: the committed page must be exactly the rendering of the committed
results (bench/results/latest.json), so a hand edit of the page or a renderer change without
a re-run (``python -m bench.run_all --render``) fails here.
"""

from __future__ import annotations

import json
import math

import pytest

from bench import bench_scale, run_all


def test_the_page_is_the_rendering_of_the_recorded_results():
    results = json.loads(run_all.LATEST.read_text())
    assert run_all.DOC.read_text() == run_all.render(results), (
        "docs/benchmarks.md differs from the rendering of bench/results/latest.json: re-run `make bench`, "
        "or `.venv/bin/python -m bench.run_all --render` after a change to the report text only")


def test_the_recorded_run_is_a_full_one_with_every_headline():
    results = json.loads(run_all.LATEST.read_text())
    assert results["config"]["sizes"] == [1000, 2000, 5000, 10000]
    assert results["scale"]["complete"], "every synthetic table and view must reach the catalog"
    page = run_all.DOC.read_text()
    for heading in ("## 1. DAG parse cost", "## 2. Pipeline overhead", "## 3. Scale", "## 4. Lineage listener"):
        assert heading in page


def test_the_recorded_results_hold_no_machine_paths_or_secrets():
    text = run_all.LATEST.read_text() + run_all.DOC.read_text()
    for needle in ("/work/", "/root/", "/home/", "/tmp/", "password\": \"", "jwtToken"):
        assert needle not in text, needle


@pytest.mark.parametrize("sizes, seconds, expected", [
    ((1000, 2000), (10.0, 22.0), 2.2),          # one doubling: the plain ratio
    ((2000, 5000), (20.0, 50.0), 2.0),          # linear over 2.5x: 2.0 per doubling
    ((5000, 10000), (100.0, 400.0), 4.0),       # quadratic: 4x per doubling
    ((1000, 4000), (10.0, 40.0), 2.0),          # two doublings, linear
])
def test_the_ratio_per_doubling(sizes, seconds, expected):
    rows = [{"objects": n, "ingest_s": s} for n, s in zip(sizes, seconds)]
    [pair] = bench_scale.per_doubling(rows)
    assert math.isclose(pair["per_doubling"], expected, rel_tol=1e-9)
    assert pair["ok"] is (expected <= bench_scale.DOUBLING_TARGET)


@pytest.mark.parametrize("argv, expected", [
    ([], set()),
    (["--only", "listener,plugins"], {"listener", "plugins"}),
    (["--only=parse"], {"parse"}),
])
def test_only_names_the_sections_to_re_measure(argv, expected):
    assert run_all._only(argv) == expected


def test_every_section_alone_is_a_known_one():
    """A section recorded as re-measured alone exists, and the page says so."""
    results = json.loads(run_all.LATEST.read_text())
    known = set(run_all._sections(results["config"], {}))
    assert set(results.get("alone") or {}) <= known
    for key in results.get("alone") or {}:
        assert f"`{key}` on " in run_all.DOC.read_text()
