-- The query-log DAGs (query_log_pagila) read pg_stat_statements: the library is preloaded by
-- the service's command (docker-compose.override.yml, pagila-db); the extension lives in pagila.
\connect pagila
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
