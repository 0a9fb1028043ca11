# `make demo`: the datakit end to end without Docker (for a laptop or CI).
# PostgreSQL 15 + pagila, the OpenMetadata API emulator and `airflow standalone` with this
# project, each in its own process session (pid files in .demo/); then catalog_pagila,
# pagila_film_revenue (-> catalog_refresh_assets via its Assets), catalog_airflow,
# sync_descriptions_pagila, profile_pagila and query_log_pagila (scripts/demo_depth.py) run for
# real and the catalog is printed. Needs the Debian package postgresql and ../shared/pagila.
# Ports: DEMO_AIRFLOW_PORT (default 8080 if free), DEMO_OPENMETADATA_PORT (default 8585 if free).
.PHONY: demo demo-stop demo-status

# `down` uses only the standard library: it works before `make setup` and after `make clean-venv`.
DEMO_PY = $(if $(wildcard $(PY)),$(PY),python3)

demo: $(STAMP) ## Run the datakit end to end without Docker: PostgreSQL+pagila, OpenMetadata emulator, airflow standalone, real DAG runs
	$(PY) scripts/demo.py up

demo-stop: ## Stop everything `make demo` started (by process group; idempotent)
	@$(DEMO_PY) scripts/demo.py down

demo-status: ## Is the demo running, and where to look (UI URL, login)
	@$(DEMO_PY) scripts/demo.py status
