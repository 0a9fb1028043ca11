"""Runs ``bench/bench_listener.py`` (the lineage listener benchmark) in a child process and reads its result.

The listener benchmark is kept as it is; this only runs it, parses its printed medians and p90s
and checks them against the targets: healthy <= 50 ms median added per task; OpenMetadata down
or slow bounded by the listener's timeout (<= 2.5 s).
"""

from __future__ import annotations

import re
from typing import Any

from bench.common import PY, airflow_env, last_json_line, timed_child, verdict

HEALTHY_TARGET_MS = 50.0
BOUND_TARGET_MS = 2500.0
_LINE = re.compile(r"^\s*(\w+)\s+median\s+([\d.]+) ms\s+p90\s+([\d.]+) ms\s+added vs disabled\s+(-?[\d.]+) ms")


def run_child(module: str, runs: int, env: dict[str, str] | None, timeout: float) -> tuple[dict, dict, dict]:
    """``python -m bench.<module> --runs N`` with the listener's timeout (2 s unless ``env`` sets it):
    the child's result, its medians (its last JSON line) and the environment it ran with."""
    env = dict(env or airflow_env())
    env.setdefault("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "2")
    child = timed_child([PY, "-m", f"bench.{module}", "--runs", str(runs)], env=env, timeout=timeout)
    if child["returncode"] != 0:
        raise RuntimeError(f"{module} failed:\n{child['stderr'][-3000:]}")
    return child, last_json_line(child["stdout"]), env


def run(runs: int = 30, env: dict[str, str] | None = None) -> dict[str, Any]:
    child, medians, env = run_child("bench_listener", runs, env, timeout=1200)
    scenarios: dict[str, dict[str, float]] = {}
    text = []
    for line in child["stdout"].splitlines():
        if line.startswith("listener added time") or _LINE.match(line):
            text.append(line)
        found = _LINE.match(line)
        if found:
            scenarios[found.group(1)] = {"median_ms": float(found.group(2)), "p90_ms": float(found.group(3)),
                                         "added_ms": float(found.group(4))}
    healthy_ok = medians["healthy"] <= HEALTHY_TARGET_MS
    down_ok = medians["down"] <= BOUND_TARGET_MS
    slow_ok = medians["slow"] <= BOUND_TARGET_MS
    return {"runs": runs, "timeout_s": float(env["OPENMETADATA_LINEAGE_TIMEOUT_SECONDS"]), "medians_ms": medians,
            "scenarios": scenarios, "text": "\n".join(text), "healthy_ok": healthy_ok, "down_ok": down_ok,
            "slow_ok": slow_ok, "ok": healthy_ok and down_ok and slow_ok, "seconds": child["seconds"]}


def report(result: dict[str, Any]) -> str:
    m = result["medians_ms"]
    s = result["scenarios"]

    def p90(name: str) -> str:
        return f"{s[name]['p90_ms']:.1f} ms" if name in s else "-"

    lines = [
        "## 4. Lineage listener: added time per task",
        "",
        "`python -m bench.bench_listener` as it is (its own method: `listener.handle` on a task with 4 inlets "
        f"and 1 outlet, scenarios alternating in one run, {result['runs']} runs, slow: 5), listener timeout "
        f"{result['timeout_s']:g} s. Disabled = the kill switch (`OPENMETADATA_LINEAGE_ENABLED=false`).",
        "",
        "| OpenMetadata | median | p90 | target |",
        "|---|---:|---:|---|",
        f"| healthy (emulator) | **{m['healthy']:.1f} ms** | {p90('healthy')} | <= 50 ms: {verdict(result['healthy_ok'])} |",
        f"| down (closed port) | **{m['down']:.1f} ms** | {p90('down')} | <= 2.5 s: {verdict(result['down_ok'])} |",
        f"| slow (10 s delay, cut at the bound) | **{m['slow']:.1f} ms** | {p90('slow')} | <= 2.5 s: {verdict(result['slow_ok'])} |",
        f"| disabled (kill switch) | {m['disabled']:.2f} ms | {p90('disabled')} | |",
        "",
        "```",
        result["text"],
        "```",
    ]
    return "\n".join(lines) + "\n"
