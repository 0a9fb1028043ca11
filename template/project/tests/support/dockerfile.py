"""The ``ENV`` settings of a Dockerfile, so the tests run with the image's settings."""

from __future__ import annotations

import shlex
from pathlib import Path


def dockerfile_env(path: Path) -> dict[str, str]:
    """``{NAME: value}`` of every ``ENV NAME=value ...`` instruction (continuation lines joined).

    No Dockerfile (a test run inside the image, where the ENV is already set): ``{}``.
    """
    env: dict[str, str] = {}
    if not path.is_file():
        return env
    instruction = ""
    for line in path.read_text().splitlines():
        if not instruction and (not line.strip() or line.lstrip().startswith("#")):
            continue
        instruction += line.rstrip().removesuffix("\\") + " "
        if line.rstrip().endswith("\\"):
            continue
        words = shlex.split(instruction, comments=True)
        instruction = ""
        if len(words) > 1 and words[0].upper() == "ENV":
            for word in words[1:]:
                name, sep, value = word.partition("=")
                if not sep:
                    raise ValueError(f"{path}: ENV {word!r}: use the ENV NAME=value form")
                env[name] = value
    return env
