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

# The distributions in packages/ are installed like any user installs them (built wheels, not
# editable): requirements-packages.txt for the datakit, requirements-dev.txt for test-only ones.
# uv caches a local build by its pyproject.toml alone, so a changed source file forces a rebuild
# of our own packages (--reinstall-package), never of anything from the index.
OWN_PACKAGES := $(notdir $(patsubst %/pyproject.toml,%,$(wildcard packages/*/pyproject.toml)))
OWN_PACKAGE_FILES := $(shell find packages -type f -not -path '*/tests/*' -not -path '*/__pycache__/*' 2>/dev/null)

$(STAMP): requirements.txt requirements-packages.txt requirements-dev.txt constraints.txt $(OWN_PACKAGE_FILES)
	@command -v $(UV) >/dev/null || { echo "uv is not installed: pip install uv (or see https://docs.astral.sh/uv/)"; exit 1; }
	@test -x $(PY) || $(UV) venv --python $(PYTHON_VERSION) $(VENV)
	$(UV) pip install --python $(PY) apache-airflow==3.3.2 -r requirements.txt -r requirements-packages.txt \
	    -r requirements-dev.txt -c constraints.txt $(addprefix --reinstall-package ,$(OWN_PACKAGES))
	$(NEUTRALISE)
	@touch $@

# openmetadata-managed-apis' own plugin entry point imports the SDK in every Airflow process (each
# task: ~9 s, ~240 MB); after every install it is neutralised and plugins/datakit_managed_apis.py
# loads the managed APIs in the API server only (include/managed_apis/entry_point.py says why).
NEUTRALISE = PYTHONPATH=$(CURDIR) $(PY) -m include.managed_apis.entry_point neutralise

setup: $(STAMP) ## Create .venv with uv: Airflow 3.3.2 + requirements (idempotent; fast when nothing changed)
	@$(NEUTRALISE) >/dev/null

test: $(STAMP) ## Run the whole test suite (unit, emulator contract, real PostgreSQL/Kerberos/Airflow runs)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## Run only the tests that need no external program
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

clean-venv: ## Remove .venv
	rm -rf $(VENV)
