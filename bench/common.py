"""What the benchmarks share: an isolated Airflow home, the machine and versions, statistics.

Every benchmark is measured in ONE run with its variants interleaved (A, B, A, B, ...),
and reported as medians and ratios of medians, so the load of a shared 2-core machine
hits every variant alike. Absolute seconds vary from run to run; the ratios are the result.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
# A private bytecode cache. This machine sets PYTHONDONTWRITEBYTECODE=1 and the venv holds no
# .pyc files, so every process would recompile every module it imports (~15 s of the SDK's
# import); a deployed image has bytecode. Children write and reuse .pyc files here instead.
PYCACHE = Path(os.environ.get("BENCH_PYCACHE", Path(tempfile.gettempdir()) / "datakit-bench-pycache"))


def use_bytecode_cache() -> None:
    """This process too (it runs the emulator, which imports the SDK). Called by each benchmark's
    ``main()``, never at import: importing bench modules (tests/bench) changes nothing."""
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(PYCACHE)


def bytecode_env(env: dict[str, str]) -> dict[str, str]:
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def airflow_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment of a process that runs the datakit's Airflow in isolation (like tests/conftest.py)."""
    home = home or Path(tempfile.mkdtemp(prefix="bench-airflow-"))
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "PYTHONWARNINGS": "ignore",
    })
    env.update(extra)
    return bytecode_env(env)


def warm_bytecode(env: dict[str, str]) -> float:
    """Import what the benchmarks' children import once, so the cache holds their bytecode."""
    started = time.perf_counter()
    run([PY, "-c", "import airflow, airflow.sdk, metadata.workflow.metadata, metadata.cli.ingest, "
                   "openmetadata_emulator.server as s; s.sdk.load(); "
                   "from airflow.dag_processing.dagbag import DagBag; DagBag()"], env=env, timeout=900)
    return time.perf_counter() - started


def migrate_airflow_db(env: dict[str, str]) -> None:
    """``airflow db migrate`` of the isolated home (SQLite), once per benchmark run."""
    run([PY, "-c", "from airflow.utils import db; db.initdb()"], env=env, timeout=600)


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 1800,
        cwd: Path = REPO) -> subprocess.CompletedProcess:
    result = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))[:200]} failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def timed_child(cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 3600,
                stdout_path: Path | None = None) -> dict[str, Any]:
    """Run one child process; its wall time and ITS OWN peak RSS (``os.wait4``, not the cumulative
    RUSAGE_CHILDREN maximum), stdout text, and return code."""
    out = open(stdout_path, "w+") if stdout_path else tempfile.TemporaryFile("w+")
    err = tempfile.TemporaryFile("w+")
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), env=env, cwd=REPO, stdout=out, stderr=err, text=True)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    out.close()
    err.close()
    return {"seconds": seconds, "maxrss_bytes": usage.ru_maxrss * 1024, "returncode": proc.returncode,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "stdout": stdout, "stderr": stderr}


def openmetadata_conn_json(port: int, read_timeout: float | None = 120) -> str:
    """``AIRFLOW_CONN_OPENMETADATA_DEFAULT`` for an emulator on ``port`` (its token is no secret);
    ``read_timeout``: the client's, in the connection's extra (``None``: the datakit's default)."""
    conn: dict[str, Any] = {"conn_type": "http", "schema": "http", "host": "127.0.0.1", "port": port,
                            "password": "bench-jwt-not-a-secret"}
    if read_timeout is not None:
        conn["extra"] = {"read_timeout": read_timeout}
    return json.dumps(conn)


def last_json_line(text: str) -> dict[str, Any]:
    """The last line of ``text`` that parses as a JSON object (children print their result last)."""
    import json

    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise ValueError(f"no JSON result in the child's output:\n{text[-2000:]}")


def parse_sizes(text: str) -> list[int]:
    """``"1000, 2000"`` -> ``[1000, 2000]``; empty -> ``[]``."""
    return [int(x) for x in text.replace(" ", "").split(",") if x]


def env_sizes(name: str, default: str) -> list[int]:
    """Sizes from the environment variable ``name`` (set but empty: none), else ``default``."""
    return parse_sizes(os.environ.get(name, default))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(len(ordered) * 0.9)) - 1)] if ordered else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def mib(size: float) -> str:
    return f"{size / 2**20:.0f} MiB"


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"nproc": str(os.cpu_count()), "ram": f"{ram / 2**30:.1f} GiB", "cpu": cpu,
            "kernel": platform.release(), "loadavg_at_start": load}


def versions(pg_version: str | None = None) -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version(), "airflow": version("apache-airflow"),
           "openmetadata-ingestion": version("openmetadata-ingestion")}
    if pg_version:
        out["postgresql"] = pg_version
    return out


def self_maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
