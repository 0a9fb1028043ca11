"""Kerberos for the datakit: a shared ticket cache, checked before any work starts.

Layout (see docs in each module):

* ``ccache``    - stdlib reader of MIT ``FILE:`` credential caches (format 0x0503/0x0504).
* ``preflight`` - settings, ``check_ticket``, ``check_odbc_driver``, ``check_tcp``, krb5.conf.
* ``sidecar``   - the sidecar's atomic copy loop (``python -m include.kerberos.sidecar``).
* ``diagnose``  - one readable report (``python -m include.kerberos.diagnose``).

This package is imported by DAG files and by the sidecar container (plain
``python:3.11-slim``): keep it stdlib-only at import time. Never import the
OpenMetadata SDK (``metadata``) or ``airflow`` at module level here.
"""
