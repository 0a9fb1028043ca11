"""The kerberos sidecar: copy the host's ticket cache into the shared volume, atomically.

    python -m include.kerberos.sidecar --source /host-krb5/krb5cc --dest /krb5/cache/krb5cc \
        --interval 300 [--mode 0644] [--uid N] [--gid N] [--once]

Every ``interval`` seconds the source (the host's ``FILE:`` cache, mounted
read-only) is read under a shared lock (kinit writes under an exclusive one),
parsed, and published only if it is a valid cache holding a TGT: a garbage,
empty, half-written or TGT-less source never replaces a good cache. Publishing
writes a temp file in the destination directory, fchmod (0644 by default, so
Airflow's non-root user can read it) and optional fchown, fsync, then
``os.replace``: readers see the old cache or the new one, never a partial file.

Stdlib only: runs in a plain ``python:3.11-slim`` with ``include/`` mounted.
Options default from env: KRB5_SIDECAR_SOURCE, KRB5_SIDECAR_DEST,
KRB5_SIDECAR_REFRESH_SECONDS, KRB5_SIDECAR_MODE, KRB5_SIDECAR_DIR_MODE,
KRB5_SIDECAR_UID, KRB5_SIDECAR_GID.

On the host, the cache must be a FILE: cache in a directory of its own (KEYRING:,
KCM: and macOS API: caches are not files): ``kinit -c FILE:$HOME/.datakit-krb5/krb5cc
user@CORP.EXAMPLE.COM``. Compose service (docker-compose.override.yml)::

    kerberos-sidecar:
      image: ${IMAGE_KERBEROS_SIDECAR:-python:3.11-slim}
      user: "0:0"
      working_dir: /app
      environment:
        PYTHONPATH: /app
        PYTHONUNBUFFERED: "1"
        PYTHONDONTWRITEBYTECODE: "1"
        KRB5_SIDECAR_REFRESH_SECONDS: ${KRB5_SIDECAR_REFRESH_SECONDS:-300}
      volumes:
        - ./include:/app/include:ro
        - ${KRB5_HOST_CCACHE_DIR:?set KRB5_HOST_CCACHE_DIR to the host directory of the FILE cache}:/host-krb5:ro
        - krb5-cache:/krb5/cache
      command: ["python", "-m", "include.kerberos.sidecar",
                "--source", "/host-krb5/${KRB5_HOST_CCACHE_FILE:-krb5cc}", "--dest", "/krb5/cache/krb5cc"]
      restart: unless-stopped

and in every Airflow service (scheduler, dag-processor, api-server, triggerer)::

      volumes: [krb5-cache:/krb5/cache:ro, "${KRB5_HOST_CONFIG:-/etc/krb5.conf}:/etc/krb5.conf:ro"]
      environment: {KRB5CCNAME: "FILE:/krb5/cache/krb5cc", KRB5_CONFIG: /etc/krb5.conf}

plus a top-level ``volumes: {krb5-cache: {}}``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from include.kerberos.ccache import CCache, CCacheError, parse_ccache, resolve_ccache_name
from include.kerberos.preflight import (
    DEFAULT_CACHE_MODE,
    DEFAULT_DIR_MODE,
    DEFAULT_REFRESH_SECONDS,
    ENV_REFRESH,
    SHARED_CACHE_DIR,
    format_utc,
    human_duration,
)

logger = logging.getLogger("include.kerberos.sidecar")

DEFAULT_SOURCE = "/host-krb5/krb5cc"
DEFAULT_DEST = f"{SHARED_CACHE_DIR}/krb5cc"
TEMP_SUFFIX = ".tmp"


class SidecarError(Exception):
    """One copy cycle failed; the cache already published (if any) is left as it was."""


@dataclass(frozen=True)
class SidecarConfig:
    source: Path
    dest: Path
    interval: int = DEFAULT_REFRESH_SECONDS
    mode: int = DEFAULT_CACHE_MODE
    dir_mode: int = DEFAULT_DIR_MODE
    uid: int | None = None
    gid: int | None = None


@dataclass(frozen=True)
class PublishResult:
    cache: CCache
    dest: Path
    changed: bool


def read_source(source: Path, lock_timeout: float = 5.0) -> bytes:
    """The source's bytes, read under a shared fcntl lock when the filesystem offers one."""
    with open(source, "rb") as handle:
        locked = False
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                fcntl.lockf(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                locked = True
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    break  # no locking here (or kinit holds it too long): the parse below still guards
                time.sleep(0.05)
        try:
            return handle.read()
        finally:
            if locked:
                with contextlib.suppress(OSError):
                    fcntl.lockf(handle.fileno(), fcntl.LOCK_UN)


def _same_published(dest: Path, data: bytes, config_mode: int, uid: int | None, gid: int | None) -> bool:
    try:
        st = os.stat(dest)
        if (st.st_mode & 0o7777) != config_mode:
            return False
        if uid is not None and st.st_uid != uid or gid is not None and st.st_gid != gid:
            return False
        with open(dest, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def atomic_write(dest: Path, data: bytes, *, mode: int, uid: int | None = None, gid: int | None = None) -> None:
    """Replace ``dest`` with ``data`` through a temp file in the same directory and ``os.replace``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TEMP_SUFFIX, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if uid is not None or gid is not None:
                os.fchown(handle.fileno(), -1 if uid is None else uid, -1 if gid is None else gid)
            os.fsync(handle.fileno())
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    with contextlib.suppress(OSError):  # persist the rename itself
        dir_fd = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temps(dest: Path) -> None:
    """Temp files a killed sidecar may have left (never read by anyone, but clutter)."""
    with contextlib.suppress(OSError):
        for leftover in dest.parent.glob(f".{dest.name}.*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def publish_once(config: SidecarConfig) -> PublishResult:
    """Validate the source and publish it at ``config.dest``; SidecarError leaves the old cache intact."""
    source, dest = config.source, config.dest
    keep = f"not publishing; {dest} keeps its current content"
    try:
        data = read_source(source)
    except FileNotFoundError:
        raise SidecarError(
            f"host ticket cache {source} not found ({keep}). Fix: on the host run kinit into the FILE: cache "
            f"this sidecar mounts (`kinit -c FILE:<host dir>/{source.name} user@REALM`) and check the read-only "
            f"mount of that directory at {source.parent}"
        ) from None
    except PermissionError:
        raise SidecarError(
            f"host ticket cache {source} is not readable by the sidecar (uid {os.getuid()}) ({keep}). "
            "Fix: run the sidecar as root (user: root) or as the host user that owns the cache"
        ) from None
    except IsADirectoryError:
        raise SidecarError(
            f"host ticket cache {source} is a directory ({keep}): the host path mounted there did not exist. "
            "Fix: mount the host directory that holds the cache, and pass the file with --source"
        ) from None
    try:
        cache = parse_ccache(data, str(source))
    except CCacheError as exc:
        raise SidecarError(f"{exc} ({keep}). Fix: run kinit on the host again") from None
    if cache.tgt is None:
        raise SidecarError(
            f"host ticket cache {source} holds no TGT krbtgt/{cache.realm}@{cache.realm} for {cache.principal} "
            f"({keep}). Fix: run kinit on the host"
        )

    directory = dest.parent
    directory.mkdir(parents=True, exist_ok=True)
    try:
        if (os.stat(directory).st_mode & 0o7777) != config.dir_mode:
            os.chmod(directory, config.dir_mode)
    except PermissionError:
        logger.warning("cannot chmod %s to %04o: readers need at least 0555", directory, config.dir_mode)

    changed = not _same_published(dest, data, config.mode, config.uid, config.gid)
    if changed:
        atomic_write(dest, data, mode=config.mode, uid=config.uid, gid=config.gid)
    expiry = cache.tgt_expiry
    now = datetime.now(timezone.utc) + cache.time_offset
    if expiry and expiry <= now:
        logger.warning(
            "published %s: ticket of %s EXPIRED at %s; run kinit on the host",
            dest, cache.principal, format_utc(expiry),
        )
    elif expiry:
        logger.info(
            "%s %s: %s, expires %s (in %s)",
            "published" if changed else "unchanged", dest, cache.principal,
            format_utc(expiry), human_duration(expiry - now),
        )
    return PublishResult(cache=cache, dest=dest, changed=changed)


def run(config: SidecarConfig, *, once: bool = False, stop: threading.Event | None = None) -> int:
    """Copy loop. With ``once``: one cycle, exit status 0/1. Else until ``stop`` is set (SIGTERM)."""
    stop = stop or threading.Event()
    remove_stale_temps(config.dest)
    logger.info(
        "kerberos sidecar: %s -> %s every %d s (mode %04o, uid %s, gid %s)",
        config.source, config.dest, config.interval, config.mode,
        "unchanged" if config.uid is None else config.uid, "unchanged" if config.gid is None else config.gid,
    )
    while True:
        ok = False
        try:
            publish_once(config)
            ok = True
        except SidecarError as exc:
            logger.error("%s", exc)
        except OSError as exc:
            logger.error("copy to %s failed: %s (the current cache is left as it was)", config.dest, exc)
        if once:
            return 0 if ok else 1
        if stop.wait(config.interval):
            return 0


def _octal(text: str) -> int:
    try:
        value = int(text, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an octal mode such as 0644") from None
    if not 0 <= value <= 0o7777:
        raise argparse.ArgumentTypeError(f"{text!r} is not a file mode")
    return value


def _optional_int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def build_parser(environ: dict[str, str] | None = None) -> argparse.ArgumentParser:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m include.kerberos.sidecar",
        description="Copy the host's Kerberos ticket cache into the shared volume, atomically.",
    )
    parser.add_argument("--source", default=env.get("KRB5_SIDECAR_SOURCE", DEFAULT_SOURCE),
                        help="host cache (FILE:/path or /path), mounted read-only [%(default)s]")
    parser.add_argument("--dest", default=env.get("KRB5_SIDECAR_DEST", DEFAULT_DEST),
                        help="published cache in the shared volume [%(default)s]")
    parser.add_argument("--interval", type=int, default=int(env.get(ENV_REFRESH) or DEFAULT_REFRESH_SECONDS),
                        help=f"seconds between copies (env {ENV_REFRESH}) [%(default)s]")
    parser.add_argument("--mode", type=_octal, default=_octal(env.get("KRB5_SIDECAR_MODE") or "0644"),
                        help="mode of the published cache [0644]")
    parser.add_argument("--dir-mode", type=_octal, default=_octal(env.get("KRB5_SIDECAR_DIR_MODE") or "0755"),
                        help="mode of the destination directory [0755]")
    parser.add_argument("--uid", type=int, default=_optional_int(env.get("KRB5_SIDECAR_UID")),
                        help="chown the published cache to this uid")
    parser.add_argument("--gid", type=int, default=_optional_int(env.get("KRB5_SIDECAR_GID")),
                        help="chgrp the published cache to this gid (use with --mode 0640)")
    parser.add_argument("--once", action="store_true", help="copy once and exit (0 ok, 1 failed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.interval < 1:
        logger.error("--interval must be >= 1 second")
        return 2
    try:
        source = resolve_ccache_name(args.source)
        dest = resolve_ccache_name(args.dest)
    except CCacheError as exc:
        logger.error("%s", exc)
        return 2
    config = SidecarConfig(
        source=source, dest=dest, interval=args.interval, mode=args.mode,
        dir_mode=args.dir_mode, uid=args.uid, gid=args.gid,
    )
    stop = threading.Event()
    if not args.once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    return run(config, once=args.once, stop=stop)


if __name__ == "__main__":
    sys.exit(main())
