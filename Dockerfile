# Astro Runtime 3.3-x ships Airflow 3.3.x (the two numbers before the first "-" of the tag
# are Airflow's major.minor). 3.3-2 is the newest 3.3 Runtime in Astronomer's release notes
# when this was written; the -python-3.11 variant matches the Python the suite runs on.
FROM astrocrpublic.azurecr.io/runtime:3.3-2-python-3.11

# packages.txt (Kerberos client, unixODBC) and requirements.txt are installed by the
# Runtime image's ONBUILD steps before the lines below run.

USER root
# Microsoft ODBC Driver 18 for SQL Server, the supported way for the image's Debian base:
# Microsoft's signed apt repository; installing msodbcsql18 requires accepting its EULA.
RUN set -eux; \
    . /etc/os-release; \
    apt-get update; \
    apt-get install -y --no-install-recommends curl gnupg ca-certificates; \
    curl -fsSL https://packages.microsoft.com/keys/microsoft.asc | gpg --dearmor -o /usr/share/keyrings/microsoft-prod.gpg; \
    echo "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] https://packages.microsoft.com/debian/${VERSION_ID}/prod ${VERSION_CODENAME} main" \
      > /etc/apt/sources.list.d/mssql-release.list; \
    apt-get update; \
    ACCEPT_EULA=Y apt-get install -y --no-install-recommends msodbcsql18; \
    rm -rf /var/lib/apt/lists/*
USER astro

# The datakit's own distributions (packages/, listed in requirements-packages.txt): the Runtime's
# ONBUILD installed requirements.txt before it copied the project, so they are installed here.
# Then openmetadata-managed-apis' own Airflow plugin entry point is neutralised: it imports the
# OpenMetadata SDK in every Airflow process (each task pays ~9 s and ~240 MB);
# plugins/datakit_managed_apis.py serves the same managed APIs from the API server only.
# Runs after every install, so a rebuild with a new package version is neutralised again.
RUN pip install --no-cache-dir -r requirements-packages.txt \
 && python -m include.managed_apis.entry_point neutralise \
 && python -m include.managed_apis.entry_point check

# The spaCy English pipeline the SDK's PII classifier loads (en_core_web_md). The SDK would
# download it at run time, which fails behind corporate firewalls: the image installs the official
# wheel, pinned by version. SPACY_MODEL_URL points at a mirror; SPACY_MODEL_SHA256 makes pip verify
# the file (set it from the spacy-models release; it could not be read from where this was
# written). profile_* DAGs' preflight fails by name when the model is missing.
ARG SPACY_MODEL_VERSION=3.8.0
ARG SPACY_MODEL_URL=https://github.com/explosion/spacy-models/releases/download/en_core_web_md-${SPACY_MODEL_VERSION}/en_core_web_md-${SPACY_MODEL_VERSION}-py3-none-any.whl
ARG SPACY_MODEL_SHA256=
RUN set -eu; \
    if [ -n "${SPACY_MODEL_SHA256}" ]; then \
      pip install --no-cache-dir --no-deps "en_core_web_md @ ${SPACY_MODEL_URL}#sha256=${SPACY_MODEL_SHA256}"; \
    else \
      echo "WARNING: en_core_web_md ${SPACY_MODEL_VERSION} installed WITHOUT a sha256 check: pass --build-arg SPACY_MODEL_SHA256=<sha256 of the wheel>" >&2; \
      pip install --no-cache-dir --no-deps "en_core_web_md @ ${SPACY_MODEL_URL}"; \
    fi; \
    python -c "import en_core_web_md"

# Kerberos: the sidecar's shared ticket cache and the host's krb5.conf are mounted here
# (docker-compose.override.yml). No keytab or password ever enters this image.
ENV KRB5CCNAME=FILE:/krb5/cache/krb5cc \
    KRB5_CONFIG=/etc/krb5.conf
