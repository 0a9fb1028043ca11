"""tests/support/standalone.py: stopping a process session really stops every process in it (fast)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from tests.support.standalone import airflow_env, session_members, stop_session

# A leader that forks a child into its own process group (as Airflow's task supervisor does)
# and a grandchild that ignores SIGTERM.
TREE = textwrap.dedent("""
    import os, signal, subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], preexec_fn=lambda: os.setpgid(0, 0))
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ok', flush=True); "
                                 "time.sleep(300)"], stdout=subprocess.PIPE, text=True)
    stubborn.stdout.readline()
    print("ready", flush=True)
    time.sleep(300)
""")


def test_stop_session_stops_every_process_group_and_is_idempotent():
    leader = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    assert leader.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 10
    while len(session_members(leader.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    members = session_members(leader.pid)
    assert len(members) == 3 and len(set(members.values())) == 2, members  # two process groups

    started = time.monotonic()
    assert stop_session(leader.pid, timeout=2, leader=leader) is True
    assert session_members(leader.pid) == {}
    assert leader.poll() is not None
    assert 2 <= time.monotonic() - started < 10  # the SIGTERM-ignoring one got SIGKILL after the timeout
    assert stop_session(leader.pid, timeout=2, leader=leader) is False


def test_airflow_env_is_explicit(tmp_path):
    base = {"PATH": "/usr/bin", "AIRFLOW__CORE__DAGS_FOLDER": "/elsewhere", "AIRFLOW_CONN_X": "{}",
            "DATAKIT_OWNER": "someone", "AIRFLOW_HOME": "/home/x/airflow", "HOME": "/root"}
    env = airflow_env(tmp_path, 8081, connections={"pagila_postgres": {"conn_type": "postgres"}},
                      bundles={"probes": tmp_path / "probes"}, base=base)
    assert env["AIRFLOW_HOME"] == str(tmp_path) and env["HOME"] == "/root"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"].endswith("/dags") and "AIRFLOW_CONN_X" not in env
    assert "DATAKIT_OWNER" not in env
    assert env["AIRFLOW_CONN_PAGILA_POSTGRES"] == '{"conn_type": "postgres"}'
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8081"
    assert '"name": "probes"' in env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"]
    assert env["PATH"].split(":")[0] == str(__import__("pathlib").Path(sys.executable).parent)
