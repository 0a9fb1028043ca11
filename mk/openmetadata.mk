# The local stack: Airflow (Astro) + OpenMetadata 2.0 + pagila, from docker-compose.override.yml.
# Logic: scripts/datakit_stack.py (Python 3 standard library, no virtualenv needed). Settings are
# environment variables, so `make <target> NAME=value` works; see .env.example.
#   make openmetadata-start [ASTRO_START_ARGS="--wait 10m"] [OPENMETADATA_WAIT_SECONDS=600]
#   make openmetadata-logs [SERVICE=openmetadata-server] [TAIL=200] [FOLLOW=1]
#   make openmetadata-clean [CONFIRM=yes] [KEEP_PAGILA=yes]
.PHONY: openmetadata-start openmetadata-stop openmetadata-status openmetadata-logs openmetadata-clean \
        openmetadata-token pagila-data

HOST_PYTHON ?= python3
DATAKIT_STACK = $(HOST_PYTHON) scripts/datakit_stack.py

openmetadata-start: ## Start Airflow + OpenMetadata + pagila (astro dev start, .env loaded), wait until healthy
	@$(DATAKIT_STACK) start

openmetadata-stop: ## Stop the whole local stack (astro dev stop); data is kept
	@$(DATAKIT_STACK) stop

openmetadata-status: ## Every container's state/health, OpenMetadata's health check, the bot-token one-shot
	@$(DATAKIT_STACK) status

openmetadata-logs: ## Logs of SERVICE (default openmetadata-server); TAIL=200, FOLLOW=1
	@$(DATAKIT_STACK) logs

openmetadata-clean: ## DELETE OpenMetadata's (and pagila's) containers and data; asks first (CONFIRM=yes, KEEP_PAGILA=yes)
	@$(DATAKIT_STACK) clean

openmetadata-token: ## Fetch the local ingestion-bot JWT again into Airflow's openmetadata_default
	@$(DATAKIT_STACK) refresh-token

pagila-data: ## Put the pinned pagila files into docker/pagila/data (PAGILA_SOURCE_DIR=dir, else ../shared/pagila or upstream)
	@$(DATAKIT_STACK) pagila-data
