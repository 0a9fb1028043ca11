# The datakit's commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION ?= 3.11
VENV ?= .venv
PY := $(VENV)/bin/python
UV ?= uv
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help setup test test-fast clean-venv

# Feature targets live in mk/*.mk (demo, openmetadata, backup, health, bench, ...).
-include mk/*.mk

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@command -v $(UV) >/dev/null || { echo "uv is not installed: pip install uv (or see https://docs.astral.sh/uv/)"; exit 1; }
	@test -x $(PY) || $(UV) venv --python $(PYTHON_VERSION) $(VENV)
	$(UV) pip install --python $(PY) apache-airflow==3.3.2 -r requirements.txt -r requirements-dev.txt -c constraints.txt
	@touch $@

setup: $(STAMP) ## Create .venv with uv: Airflow 3.3.2 + requirements (idempotent; fast when nothing changed)

test: $(STAMP) ## Run the whole test suite (unit, emulator contract, real PostgreSQL/Kerberos/Airflow runs)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## Run only the tests that need no external program
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

clean-venv: ## Remove .venv
	rm -rf $(VENV)
