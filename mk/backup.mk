# Backups of OpenMetadata's database (openmetadata_db): pg_dump -Fc into backups/ (git-ignored),
# named <db>-<UTC timestamp>.dump, mode 0600, with a .sha256 beside it. Logic: scripts/datakit_stack.py.
#   make backup                                  the stack's openmetadata-db container (docker exec)
#   make backup DSN=postgresql://u@host:5432/db  any PostgreSQL (local pg_dump); or PGHOST/PGUSER/PGDATABASE...
#   make restore BACKUP=backups/<file>.dump [CONFIRM=yes] [RESTORE_DB=name] [DSN=... | PG*]
# Restore goes into a scratch database first and swaps it in only when pg_restore succeeded;
# the database it replaces is backed up first (RESTORE_SAFETY_BACKUP=no skips that).
.PHONY: backup restore

HOST_PYTHON ?= python3

backup: ## Back up OpenMetadata's database to backups/ (stack container, or DSN=... / PG* for any PostgreSQL)
	@$(HOST_PYTHON) scripts/datakit_stack.py backup

restore: ## Restore OpenMetadata's database: BACKUP=backups/<file>.dump; asks first (CONFIRM=yes)
	@$(HOST_PYTHON) scripts/datakit_stack.py restore
