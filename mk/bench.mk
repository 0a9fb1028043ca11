# `make bench`: every benchmark in one run -> docs/benchmarks.md (bench/run_all.py; ~30 min on 2 cores).
# DAG parse cost, Airflow task vs the SDK's CLI, scale to 10,000 tables, lineage listener.
# Needs the Debian package postgresql and ../shared/pagila. Knobs: BENCH_SIZES=1000,2000 (shorter),
# BENCH_BEFORE_AFTER=1 (re-measure the SDK fixes' before/after); more in bench/run_all.py.
# The machine sets PYTHONDONTWRITEBYTECODE=1 and the venv has no .pyc files: the benchmarks use a
# private bytecode cache instead of recompiling every module in every process.
.PHONY: bench

BENCH_PYCACHE ?= $(or $(TMPDIR),/tmp)/datakit-bench-pycache

bench: $(STAMP) ## Run all benchmarks (parse cost, task vs CLI, scale, listener) and write docs/benchmarks.md
	@start=$$(date +%s); \
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(BENCH_PYCACHE) BENCH_PYCACHE=$(BENCH_PYCACHE) \
	    PYTHONPATH=$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH} $(PY) -m bench.run_all \
	&& echo "make bench: $$(( $$(date +%s) - start )) s wall"
