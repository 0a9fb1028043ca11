#!/usr/bin/env python3
"""Put the pinned pagila files into a directory, every file checked against its sha256.

The pins are docker/pagila/SHA256SUMS (``sha256sum`` format): pagila-schema.sql and
pagila-data.sql of upstream commit 5ba5a57aeb159f75f02aca2432d3c262186d13d3 of
https://github.com/devrimgunduz/pagila (MIT/PostgreSQL licensed; the data is never committed
to this repository).

Order of sources, first complete one wins:

1. ``--dest`` already holds every file with the right checksum: nothing to do;
2. each ``--source`` directory (a local copy, e.g. ``../shared/pagila`` or docker/pagila/data);
3. ``--base-url`` (default ``$PAGILA_BASE_URL``, else the pinned upstream commit's raw files):
   downloaded, checked, then moved into place.

A file whose checksum differs is never written to ``--dest``; the run fails and says which
file, which source and both checksums. Files are written atomically (temp file + rename), so a
half-downloaded file is never mistaken for a good one. Standard library only (it runs in the
plain python image of the compose one-shot ``pagila-fetch`` and on any host with python3).

Exit codes: 0 ok, 1 a file could not be obtained with the pinned checksum, 2 usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SUMS = HERE / "SHA256SUMS"
PINNED_BASE_URL = (
    "https://raw.githubusercontent.com/devrimgunduz/pagila/5ba5a57aeb159f75f02aca2432d3c262186d13d3"
)
CHUNK = 1 << 16


class PagilaError(Exception):
    """A pinned file could not be obtained with its checksum."""


def read_sums(path: Path) -> dict[str, str]:
    """``{file name: sha256}`` from a ``sha256sum``-format file."""
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise PagilaError(f"{path}:{number}: not a sha256sum line: {line!r}")
        digest, name = parts
        sums[name.lstrip("*")] = digest.lower()
    if not sums:
        raise PagilaError(f"{path} lists no file")
    return sums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_good(path: Path, expected: str) -> bool:
    return path.is_file() and sha256_of(path) == expected


def _install(tmp: Path, dest: Path) -> None:
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


def _copy_checked(src: Path, dest: Path, expected: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as handle:
            shutil.copyfileobj(handle, out, CHUNK)
        actual = sha256_of(tmp)
        if actual != expected:
            raise PagilaError(f"{src}: sha256 {actual} != pinned {expected}")
        _install(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _download_checked(url: str, dest: Path, expected: str, timeout: float) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (pinned URL)
                    for chunk in iter(lambda: response.read(CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as exc:
                raise PagilaError(f"GET {url}: HTTP {exc.code} {exc.reason}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise PagilaError(f"GET {url}: {reason}") from None
        actual = digest.hexdigest()
        if actual != expected:
            raise PagilaError(f"{url}: sha256 {actual} != pinned {expected} (file refused)")
        _install(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_pagila(
    dest: Path,
    sums: dict[str, str],
    sources: list[Path] | tuple[Path, ...] = (),
    base_url: str | None = PINNED_BASE_URL,
    timeout: float = 60.0,
    log=print,
) -> dict[str, Path]:
    """Make ``dest`` hold every pinned file; return ``{name: path}``. Raises ``PagilaError``."""
    dest.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    result: dict[str, Path] = {}
    for name, expected in sums.items():
        target = dest / name
        if _is_good(target, expected):
            log(f"pagila: {name} already in {dest} (sha256 ok)")
            result[name] = target
            continue
        done = False
        for source in sources:
            candidate = Path(source) / name
            if not candidate.is_file():
                continue
            try:
                _copy_checked(candidate, target, expected)
            except PagilaError as exc:
                problems.append(str(exc))
                log(f"pagila: refused {candidate}: checksum differs from the pin")
                continue
            log(f"pagila: {name} copied from {source} (sha256 ok)")
            done = True
            break
        if not done and base_url:
            url = f"{base_url.rstrip('/')}/{name}"
            try:
                _download_checked(url, target, expected, timeout)
            except PagilaError as exc:
                problems.append(str(exc))
            else:
                log(f"pagila: {name} downloaded from {url} (sha256 ok)")
                done = True
        if not done:
            where = ", ".join(str(s) for s in sources) or "no local source"
            detail = "; ".join(problems) or "not found"
            raise PagilaError(
                f"could not obtain {name} with sha256 {expected} (looked in {where}"
                f"{', then ' + base_url if base_url else ''}): {detail}. Fix: put the pinned files "
                f"in docker/pagila/data/ (`make pagila-data PAGILA_SOURCE_DIR=<dir with the files>`), "
                f"or set PAGILA_BASE_URL to a mirror of the pinned commit"
            )
        result[name] = target
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", required=True, type=Path, help="directory to fill")
    parser.add_argument("--source", action="append", type=Path, default=[],
                        help="local directory with the files (repeatable, tried in order)")
    parser.add_argument("--sums", type=Path, default=DEFAULT_SUMS, help="sha256sum-format pin file")
    parser.add_argument("--base-url", default=os.environ.get("PAGILA_BASE_URL") or PINNED_BASE_URL,
                        help="where to download missing files from (default: $PAGILA_BASE_URL or the pinned commit)")
    parser.add_argument("--offline", action="store_true", help="never download")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per download")
    args = parser.parse_args(argv)
    try:
        sums = read_sums(args.sums)
        ensure_pagila(args.dest, sums, args.source, None if args.offline else args.base_url, args.timeout)
    except PagilaError as exc:
        print(f"pagila: ERROR: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pagila: ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"pagila: {args.dest} holds the pinned files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
