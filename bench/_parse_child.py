"""Child of bench_parse: in a fresh interpreter that has already imported Airflow, parse ONE file.

    python bench/_parse_child.py FILE [--cold]

Imports Airflow and what a DAG processor has loaded before it parses a file: ``airflow.sdk``,
``DagBag``, the plugins (a warm-up DagBag of an empty folder) and, as Airflow's DAG processor
does by default (``[dag_processor] parsing_pre_import_modules = True``), the ``airflow.*``
modules the file imports. ``--cold`` skips that last pre-import (the file then also pays
for the Airflow providers it uses). Times only ``DagBag(FILE)``: the file's own import and
the bagging of its DAGs, after a full garbage collection (as pyperf does): otherwise a
collection of Airflow's import heap (~100 ms) lands on whichever file's parse triggers it.
Prints one JSON line; ``preloaded`` lists the modules the file imports that are not ``airflow.*``
yet were already imported before the timer (the parent fails the benchmark when any is: the DAG
processor pre-imports ``airflow.*`` modules only, so the file must pay for everything else).
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
import warnings


# What DAG files reach through the project's own modules: never loaded before the timer either.
ALSO_WATCHED = {"include", "airflow_openmetadata_lineage", "metadata"}


def _imported_roots(path: str) -> set[str]:
    """Top-level packages a DAG file imports, other than ``airflow`` (whose pre-import is the processor's)."""
    import ast

    roots = set()
    for node in ast.walk(ast.parse(open(path, "rb").read())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return {r for r in roots if r != "airflow" and r not in sys.stdlib_module_names}


def main() -> None:
    path = sys.argv[1]
    cold = "--cold" in sys.argv[2:]
    warnings.simplefilter("ignore")
    import airflow  # noqa: F401
    import airflow.sdk  # noqa: F401
    from airflow.dag_processing.dagbag import DagBag

    with tempfile.TemporaryDirectory() as empty:
        DagBag(dag_folder=empty)  # warm: plugins, settings, listeners
    if not cold:
        import logging

        from airflow.dag_processing.processor import _pre_import_airflow_modules

        _pre_import_airflow_modules(path, logging.getLogger("bench"))
    preloaded = sorted(name for name in _imported_roots(path) | ALSO_WATCHED if name in sys.modules)
    gc.collect()
    started = time.perf_counter()
    bag = DagBag(dag_folder=path)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "dags": sorted(bag.dags), "preloaded": preloaded,
                      "errors": {k: str(v)[:300] for k, v in bag.import_errors.items()}}))


if __name__ == "__main__":
    main()
