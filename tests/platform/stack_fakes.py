"""Run the make targets of mk/openmetadata.mk and mk/backup.mk with stand-ins for docker and astro."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.platform.compose_model import REPO

FAKES = Path(__file__).resolve().parent / "fakes"
# What a make target may see from the developer's shell: nothing of it leaks into these runs.
_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEEP}
    env["DATAKIT_ENV_FILE"] = os.devnull + ".absent"  # never the developer's real .env
    env.update(extra)
    return env


def container(cid: str, service: str, state: str = "running", status: str = "Up 2 minutes (healthy)",
              project: str = "openmetadata-datakit_abc123") -> dict[str, str]:
    return {"id": cid, "project": project, "service": service, "state": state, "status": status,
            "working_dir": str(REPO)}


@dataclass
class FakeStack:
    root: Path
    containers: list[dict] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    exec_env: dict[str, str] = field(default_factory=dict)
    engine_down: bool = False

    @property
    def state_file(self) -> Path:
        return self.root / "docker-state.json"

    @property
    def docker_log(self) -> Path:
        return self.root / "docker-calls.jsonl"

    @property
    def astro_log(self) -> Path:
        return self.root / "astro-calls.jsonl"

    def save(self) -> None:
        self.state_file.write_text(json.dumps({
            "containers": self.containers, "volumes": self.volumes, "exec_env": self.exec_env,
            "engine_down": self.engine_down}))

    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def docker_calls(self) -> list[list[str]]:
        if not self.docker_log.exists():
            return []
        return [json.loads(line) for line in self.docker_log.read_text().splitlines()]

    def astro_calls(self) -> list[dict]:
        if not self.astro_log.exists():
            return []
        return [json.loads(line) for line in self.astro_log.read_text().splitlines()]

    def env(self, **extra: str) -> dict[str, str]:
        self.save()
        settings = {"DOCKER": str(FAKES / "docker"), "ASTRO": str(FAKES / "astro"),
                    "FAKE_DOCKER_STATE": str(self.state_file), "FAKE_DOCKER_LOG": str(self.docker_log),
                    "FAKE_ASTRO_LOG": str(self.astro_log)}
        settings.update(extra)
        return clean_env(**settings)


def make(target: str, env: dict[str, str], *args: str, stdin: str | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-s", target, *args], cwd=REPO, env=env,
                          input=stdin if stdin is not None else "", capture_output=True, text=True,
                          timeout=timeout)
