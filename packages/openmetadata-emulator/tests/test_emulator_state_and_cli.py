"""State file persistence and the ``python -m openmetadata_emulator`` entry point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from emulator_helpers import Api, make_hierarchy, table_request


def test_state_survives_a_restart(om_emulator_factory, tmp_path):
    state = tmp_path / "om-state.json"
    first = om_emulator_factory(state_path=state)
    api = Api(first.url)
    schema = make_hierarchy(api)
    table = api.put("tables", table_request(schema, "persisted", description="kept")).json()
    gone = api.put("tables", table_request(schema, "soft_deleted")).json()
    api.delete(f"tables/{gone['id']}?hardDelete=false")

    # saved in the background shortly after the writes (debounced), atomically
    deadline = time.time() + 5
    while time.time() < deadline and not state.exists():
        time.sleep(0.05)
    assert state.exists()
    first.stop()
    assert not list(tmp_path.glob(".om-emulator-*.tmp"))

    second = om_emulator_factory(state_path=state)
    api2 = Api(second.url)
    got = api2.get(f"tables/{table['id']}").json()
    assert got["fullyQualifiedName"] == "svc.db.sch.persisted" and got["description"] == "kept"
    assert api2.get(f"tables/{gone['id']}").status_code == 404
    assert api2.get(f"tables/{gone['id']}", params={"include": "deleted"}).json()["deleted"] is True
    # indexes are rebuilt: upsert keeps the id, filters work
    again = api2.put("tables", table_request(schema, "persisted")).json()
    assert again["id"] == table["id"] and again["version"] == table["version"]
    assert api2.get("tables", params={"databaseSchema": schema}).json()["paging"]["total"] == 1


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box:
        raise AssertionError(f"no listening line within {timeout}s")
    return box[0]


def test_cli_prints_listening_line_answers_and_saves_on_sigterm(tmp_path):
    state = tmp_path / "cli-state.json"
    # From the installed distribution: no source checkout on the path, another working directory.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "openmetadata_emulator", "--port", "0", "--token", "tok", "--state", str(state),
         "--max-request-bytes", "4096"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(proc, timeout=120)
        prefix = "openmetadata-emulator listening on "
        assert line.startswith(prefix), line
        url = line[len(prefix) :].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        assert int(url.split(":")[2].split("/")[0]) > 0

        assert Api(url).get("system/version").status_code == 401
        api = Api(url, token="tok")
        assert api.get("system/version").status_code == 200
        assert api.put("services/databaseServices", {"name": "from_cli", "serviceType": "Mssql"}).status_code == 201
        too_big = {"name": "too_big", "serviceType": "Mssql", "description": "x" * 5000}
        assert api.put("services/databaseServices", too_big).status_code == 413  # --max-request-bytes
        api.session.close()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        saved = json.loads(state.read_text())
        names = [e["name"] for e in saved["entities"]["services/databaseServices"]]
        assert names == ["from_cli"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize("bad_state", ['{"format": "something-else"}'])
def test_foreign_state_file_is_refused(om_emulator_factory, tmp_path, bad_state):
    state = tmp_path / "bad.json"
    state.write_text(bad_state)
    with pytest.raises(ValueError):
        om_emulator_factory(state_path=state)
