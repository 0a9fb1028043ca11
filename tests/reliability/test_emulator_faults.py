"""The emulator's fault options this suite relies on: ``every``, ``after``, ``stop``."""

from __future__ import annotations

import json

import pytest
import requests


def statuses(url: str, n: int) -> list[int]:
    return [requests.get(f"{url}/v1/system/version", timeout=5).status_code for _ in range(n)]


def test_every_and_after(om_emulator):
    rule = om_emulator.faults.add("GET", r"/v1/system/version", status=503, every=3)
    assert statuses(om_emulator.url, 7) == [200, 200, 503, 200, 200, 503, 200]
    assert (rule.seen, rule.fired) == (7, 2)
    om_emulator.faults.clear()
    om_emulator.faults.add("GET", r"/v1/system/version", status=401, after=2, times=2)
    assert statuses(om_emulator.url, 5) == [200, 200, 401, 401, 200]


def test_stop_kills_the_server_and_a_new_one_takes_over_its_state(om_emulator_factory, tmp_path):
    state = tmp_path / "state.json"
    emulator = om_emulator_factory(state_path=state)
    requests.put(f"{emulator.url}/v1/services/databaseServices", json={
        "name": "svc", "serviceType": "Postgres",
        "connection": {"config": {"type": "Postgres", "username": "u", "hostPort": "db:5432", "database": "d"}},
    }, timeout=5).raise_for_status()
    emulator.faults.add("GET", r"/v1/system/version", stop=True, nth=2)
    url, port = emulator.url, emulator.port

    assert statuses(url, 1) == [200]
    with pytest.raises(requests.ConnectionError):  # no answer: the server died on this request
        requests.get(f"{url}/v1/system/version", timeout=5)
    with pytest.raises(requests.ConnectionError, match="Connection refused"):
        requests.get(f"{url}/v1/system/version", timeout=5)
    assert emulator.requests_log[-1] == ("GET", "/api/v1/system/version", 0)
    assert json.loads(state.read_text()), "the state was saved as it died"

    back = om_emulator_factory(state_path=state, port=port)
    assert back.url == url and statuses(url, 1) == [200]
    assert [s["name"] for s in back.store.entities("databaseServices")] == ["svc"]
