# `make health`: the catalog_health DAG's check from a shell (OpenMetadata, each source, Kerberos).
# Connections come from AIRFLOW_CONN_* variables (or the Airflow metadata DB of AIRFLOW_HOME).
# In the Astro containers: `astro dev bash`, then `python -m include.health`.
.PHONY: health

HEALTH_ARGS ?=

health: $(STAMP) ## Check OpenMetadata, every source and the Kerberos ticket; one table, exit 1 on FAIL
	PYTHONPATH=$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH} $(PY) -m include.health $(HEALTH_ARGS)
