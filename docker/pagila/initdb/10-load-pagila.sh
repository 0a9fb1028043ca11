#!/usr/bin/env bash
# Load pagila into the database the postgres image just created (POSTGRES_DB, default pagila).
#
# Runs once, from /docker-entrypoint-initdb.d, on the first start of an empty pagila-db volume.
# The files come from PAGILA_DATA_DIR (the volume pagila-data, filled by the pagila-fetch
# one-shot) and are checked against PAGILA_SHA256SUMS before anything is loaded: a file whose
# sha256 differs stops the initialisation (the container exits and says which file).
#
# Also runnable by hand against any PostgreSQL (it uses psql's usual PG* variables):
#   PGHOST=127.0.0.1 PGPORT=5432 PGPASSWORD=... POSTGRES_USER=postgres POSTGRES_DB=pagila \
#   PAGILA_DATA_DIR=../shared/pagila PAGILA_SHA256SUMS=docker/pagila/SHA256SUMS \
#   bash docker/pagila/initdb/10-load-pagila.sh
# The database must exist, be UTF8, and a role named postgres must exist (pagila's schema
# assigns its objects to it).
set -euo pipefail

data_dir="${PAGILA_DATA_DIR:-/pagila-data}"
sums="${PAGILA_SHA256SUMS:-/pagila-kit/SHA256SUMS}"
db="${POSTGRES_DB:-pagila}"
user="${POSTGRES_USER:-postgres}"

log() { printf 'pagila-init: %s\n' "$*"; }
fail() { printf 'pagila-init: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -r "$sums" ]] || fail "checksum file $sums not found (mount docker/pagila/SHA256SUMS there)"
[[ -d "$data_dir" ]] || fail "data directory $data_dir not found (the pagila-fetch one-shot fills it)"

# sha256sum -c reports every file; any mismatch or missing file fails the load.
sums_abs="$(cd "$(dirname "$sums")" && pwd)/$(basename "$sums")"
if ! (cd "$data_dir" && sha256sum --strict -c "$sums_abs"); then
  fail "pagila files in $data_dir do not match the pinned checksums in $sums; refusing to load"
fi

psql_run() {
  psql -X -q -v ON_ERROR_STOP=1 --username "$user" --dbname "$db" "$@"
}

log "loading pagila-schema.sql into $db"
psql_run -f "$data_dir/pagila-schema.sql"
log "loading pagila-data.sql into $db"
psql_run -f "$data_dir/pagila-data.sql"
# Created WITH NO DATA by the schema; populated last, so "populated" means "load complete"
# (the pagila-db health check tests exactly that).
psql_run -c "REFRESH MATERIALIZED VIEW public.rental_by_category"
log "pagila loaded into $db: $(psql_run -At -c "select count(*) from pg_tables where schemaname = 'public'") tables"
