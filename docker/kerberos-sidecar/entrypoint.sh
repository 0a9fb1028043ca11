#!/bin/sh
# Kerberos sidecar entrypoint: copy the host's FILE: ticket cache into the shared volume.
# Options (all default from env, see include/kerberos/sidecar.py):
#   --source FILE  host cache, mounted read-only       [$KRB5_SIDECAR_SOURCE or /host-krb5/krb5cc]
#   --dest FILE    cache in the shared volume          [$KRB5_SIDECAR_DEST or /krb5/cache/krb5cc]
#   --interval S   seconds between copies              [$KRB5_SIDECAR_REFRESH_SECONDS or 300]
#   --mode 0644 --dir-mode 0755 --uid N --gid N --once
set -eu
cd "${DATAKIT_APP_DIR:-/app}"
exec python -m include.kerberos.sidecar "$@"
