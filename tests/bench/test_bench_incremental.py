"""bench_incremental's arithmetic and report (the benchmark itself runs in `make bench`, not here)."""

from __future__ import annotations

import json

from bench import bench_incremental
from bench.common import REPO

LATEST = REPO / "bench" / "results" / "latest.json"


def row(size: int, full: float, zero: float, one: float, rss=(700, 400, 450)) -> dict:
    mib = 2**20
    return {
        "size": size, "objects": size, "full": {"s": full, "rss": rss[0] * mib},
        "zero": {"s": zero, "rss": rss[1] * mib, "changed": 0}, "one": {"s": one, "rss": rss[2] * mib, "changed": 95,
                                                                        "fingerprint_s": 1.0},
        "zero_ratio": zero / full, "one_ratio": one / full, "sharded_ratio": 0.8, "rss_ok": max(rss[1:]) <= rss[0],
        "sharded": {"shards": 2, "work_s": full * 0.8, "plan_s": 1.0, "shard_s": [30.0, 31.0], "finalize_s": 0.5,
                    "emulator_share": 0.1, "rss": 600 * mib},
    }


def test_report_states_the_targets_and_the_ratios():
    result = {"pg_version": "15", "rows": [row(1000, 50, 1.5, 3), row(10_000, 400, 8, 30)], "targets_at": 10_000,
              "one_ok": 30 / 400 <= 0.10, "zero_ok": 8 / 400 <= 0.03, "rss_ok": True, "correct": True}
    text = bench_incremental.report(result)
    assert "**7.5 %**" in text and "**2.0 %**" in text and "**0.80x**" in text
    assert "1 % changed <= 10 % of the full refresh: met; 0 % <= 3 %: met" in text
    rows = bench_incremental.headline(result)
    assert len(rows) == 4 and all(r.startswith("| 6 |") for r in rows)
    missed = {**result, "zero_ok": False}
    assert "0 % <= 3 %: **MISSED**" in bench_incremental.report(missed)


def test_below_10000_the_targets_are_not_claimed():
    result = {"pg_version": "15", "rows": [row(1000, 50, 1.5, 3)], "targets_at": None, "one_ok": None,
              "zero_ok": None, "rss_ok": True, "correct": True}
    assert "not measured: sizes stopped below 10,000" in bench_incremental.report(result)
    assert "not measured at 10,000" in bench_incremental.headline(result)[0]


def test_the_recorded_run_renders():
    """The run recorded in bench/results/latest.json (paths and secrets: tests/bench/test_benchmarks_doc.py)."""
    result = json.loads(LATEST.read_text())["incremental"]
    assert result["correct"], "the recorded run must have decided and counted right"
    assert "## 6. Incremental refresh" in bench_incremental.report(result)
