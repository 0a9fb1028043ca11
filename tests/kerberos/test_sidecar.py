"""The sidecar's copy: atomic, validated, readable by the non-root Airflow uid."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from include.kerberos import sidecar
from include.kerberos.ccache import CCacheError, parse_ccache
from include.kerberos.sidecar import SidecarConfig, SidecarError, publish_once, run
from tests.kerberos.helpers import NOBODY, PROJECT_ROOT, REALM, SERVICE, Kdc, run_as_nobody
from tests.support import prereq

pytestmark = pytest.mark.integration


def temp_leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def host_cache(kdc: Kdc, tmp_path: Path) -> Path:
    """The host's cache as kinit leaves it: 0600, root-owned, in a 0700 directory."""
    host_dir = tmp_path / "host"
    host_dir.mkdir(mode=0o700)
    return kdc.kinit(host_dir / "krb5cc_1000")


def test_copy_is_readable_by_the_non_root_uid_and_passes_preflight(host_cache: Path, shared_dir: Path) -> None:
    dest = shared_dir / "cache" / "krb5cc"
    result = publish_once(SidecarConfig(source=host_cache, dest=dest))
    assert result.changed and result.cache.principal == SERVICE
    assert dest.read_bytes() == host_cache.read_bytes()
    assert (dest.stat().st_mode & 0o7777) == 0o644
    assert (dest.parent.stat().st_mode & 0o7777) == 0o755
    assert temp_leftovers(dest.parent) == []

    code = (
        "from include.kerberos.preflight import KerberosSettings, check_ticket\n"
        f"info = check_ticket(KerberosSettings(ccache='FILE:{dest}'))\n"
        "print(info.principal, info.expires_at.isoformat())"
    )
    done = run_as_nobody(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == SERVICE
    assert done.stdout.split()[1] == parse_ccache(host_cache.read_bytes()).tgt_expiry.isoformat()
    # the host's cache itself stays unreadable for that uid: the copy is what makes it work
    direct = run_as_nobody(code.replace(str(dest), str(host_cache)))
    assert direct.returncode != 0 and "is not readable by uid 65534" in direct.stderr

    # same content again: nothing rewritten
    inode = dest.stat().st_ino
    assert publish_once(SidecarConfig(source=host_cache, dest=dest)).changed is False
    assert dest.stat().st_ino == inode


def test_non_root_uid_gets_a_service_ticket_through_the_read_only_copy(
    kdc: Kdc, host_cache: Path, shared_dir: Path
) -> None:
    """What the ODBC driver's GSSAPI does for MSSQLSvc/host:port, done by kvno against the real KDC.

    The copy is root-owned 0644 in a root-owned 0755 directory (a :ro volume in Airflow): the
    non-root uid cannot store the service ticket back, and MIT krb5 carries on without storing.
    """
    kvno = prereq.require_binary("kvno", "/usr/bin", hint="apt-get install krb5-user")
    prereq.require_root("switching to uid 65534")
    dest = shared_dir / "cache" / "krb5cc"
    publish_once(SidecarConfig(source=host_cache, dest=dest))
    before = dest.read_bytes()
    env = dict(kdc.env, KRB5CCNAME=f"FILE:{dest}")
    done = subprocess.run([kvno, f"HTTP/localhost@{REALM}"], env=env, user=NOBODY, group=NOBODY,
                          extra_groups=[], cwd="/", capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert f"HTTP/localhost@{REALM}: kvno = 1" in done.stdout
    assert dest.read_bytes() == before  # nothing written back into the shared cache


def test_group_readable_mode_and_chown(host_cache: Path, shared_dir: Path) -> None:
    dest = shared_dir / "krb5cc"
    publish_once(SidecarConfig(source=host_cache, dest=dest, mode=0o640, uid=0, gid=65534))
    st = dest.stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o640, 0, 65534)
    done = run_as_nobody(f"print(len(open('{dest}', 'rb').read()))")
    assert done.stdout.strip() == str(len(host_cache.read_bytes())), done.stderr


@pytest.mark.parametrize(
    ("bad", "phrase"),
    [
        (b"", "is empty (0 bytes)"),
        (b"\x00" * 300, "is not a Kerberos credential cache"),
        (None, "is truncated"),
        ("no-tgt", "holds no TGT"),
        ("missing", "not found"),
    ],
    ids=["empty", "garbage", "truncated", "no-tgt", "missing"],
)
def test_bad_source_never_replaces_a_good_cache(
    kdc: Kdc, host_cache: Path, shared_dir: Path, bad: bytes | str | None, phrase: str
) -> None:
    dest = shared_dir / "krb5cc"
    publish_once(SidecarConfig(source=host_cache, dest=dest))
    good = dest.read_bytes()
    inode = dest.stat().st_ino
    source = host_cache.parent / "next"
    if bad == "no-tgt":
        kdc.kinit(source, service=f"HTTP/localhost@{REALM}")
    elif bad is None:
        source.write_bytes(good[: len(good) // 2])
    elif isinstance(bad, bytes):
        source.write_bytes(bad)
    config = SidecarConfig(source=source, dest=dest)
    with pytest.raises(SidecarError) as err:
        publish_once(config)
    assert phrase in str(err.value)
    assert f"not publishing; {dest} keeps its current content" in str(err.value)
    assert run(config, once=True) == 1
    assert dest.read_bytes() == good and dest.stat().st_ino == inode
    assert temp_leftovers(shared_dir) == []


@pytest.mark.parametrize("interruption", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_publish_leaves_old_cache_and_no_temp_file(
    kdc: Kdc, host_cache: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    dest = shared_dir / "krb5cc"
    publish_once(SidecarConfig(source=host_cache, dest=dest))
    old = dest.read_bytes()
    newer = kdc.kinit(host_cache.parent / "newer", lifetime="2h")
    assert newer.read_bytes() != old

    calls: list[tuple[str, str]] = []

    def failing_replace(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        assert Path(src).parent == dest.parent and Path(src).read_bytes() == newer.read_bytes()
        assert (Path(src).stat().st_mode & 0o777) == 0o644  # mode set before it becomes visible
        raise interruption

    monkeypatch.setattr(sidecar.os, "replace", failing_replace)
    with pytest.raises(type(interruption)):
        publish_once(SidecarConfig(source=newer, dest=dest))
    assert len(calls) == 1 and calls[0][1] == str(dest)
    assert dest.read_bytes() == old
    assert temp_leftovers(shared_dir) == []

    monkeypatch.undo()
    publish_once(SidecarConfig(source=newer, dest=dest))
    assert dest.read_bytes() == newer.read_bytes()


def test_destination_is_only_ever_replaced_never_written_in_place(
    kdc: Kdc, host_cache: Path, shared_dir: Path
) -> None:
    """A reader looping while the sidecar publishes alternately sees whole caches only."""
    dest = shared_dir / "krb5cc"
    other = kdc.kinit(host_cache.parent / "other", lifetime="3h")
    versions = {host_cache.read_bytes(), other.read_bytes()}
    publish_once(SidecarConfig(source=host_cache, dest=dest))
    stop = threading.Event()
    seen: list[bytes] = []
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            data = dest.read_bytes()
            try:
                parse_ccache(data, str(dest))
            except CCacheError as exc:
                errors.append(str(exc))
            seen.append(data)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(150):
            publish_once(SidecarConfig(source=(other if i % 2 == 0 else host_cache), dest=dest))
    finally:
        stop.set()
        thread.join(10)
    assert errors == []
    assert set(seen) <= versions and len(seen) > 10
    assert temp_leftovers(shared_dir) == []


def test_cli_once_and_stale_temp_cleanup(host_cache: Path, shared_dir: Path) -> None:
    dest = shared_dir / "vol" / "krb5cc"
    dest.parent.mkdir()
    (dest.parent / ".krb5cc.abandoned.tmp").write_bytes(b"half")
    done = subprocess.run(
        [sys.executable, "-m", "include.kerberos.sidecar", "--source", f"FILE:{host_cache}",
         "--dest", str(dest), "--interval", "300", "--once"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert f"published {dest}: {SERVICE}, expires " in done.stderr
    assert dest.read_bytes() == host_cache.read_bytes()
    assert temp_leftovers(dest.parent) == []

    done = subprocess.run(
        [sys.executable, "-m", "include.kerberos.sidecar", "--source", "KEYRING:persistent:0",
         "--dest", str(dest), "--once"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 2 and "cannot be shared through a sidecar volume" in done.stderr


def test_loop_publishes_every_interval_until_stopped(kdc: Kdc, host_cache: Path, shared_dir: Path) -> None:
    dest = shared_dir / "krb5cc"
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(SidecarConfig(source=host_cache, dest=dest, interval=1),),
                              kwargs={"stop": stop})
    thread.start()
    try:
        for _ in range(100):
            if dest.exists():
                break
            stop.wait(0.02)
        first = dest.read_bytes()
        kdc.kinit(host_cache, lifetime="4h")  # the user runs kinit on the host again
        for _ in range(200):
            if dest.read_bytes() != first:
                break
            stop.wait(0.02)
        assert dest.read_bytes() == host_cache.read_bytes() != first
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert (dest.stat().st_mode & 0o777) == 0o644
    assert os.listdir(shared_dir) == ["krb5cc"]


def test_container_entrypoint_with_env_defaults_and_a_bare_python(host_cache: Path, shared_dir: Path) -> None:
    """docker/kerberos-sidecar/entrypoint.sh as the image runs it: options from env, stdlib-only Python."""
    bare = Path("/usr/bin/python3") if Path("/usr/bin/python3").exists() else Path(sys.executable)
    bin_dir = shared_dir / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(bare)
    dest = shared_dir / "krb5" / "cache" / "krb5cc"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "DATAKIT_APP_DIR": str(PROJECT_ROOT),
        "PYTHONPATH": str(PROJECT_ROOT),
        "KRB5_SIDECAR_SOURCE": str(host_cache),
        "KRB5_SIDECAR_DEST": str(dest),
        "KRB5_SIDECAR_REFRESH_SECONDS": "300",
    }
    entrypoint = PROJECT_ROOT / "docker" / "kerberos-sidecar" / "entrypoint.sh"
    done = subprocess.run(["sh", str(entrypoint), "--once"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert f"{host_cache} -> {dest} every 300 s (mode 0644" in done.stderr
    assert dest.read_bytes() == host_cache.read_bytes()
    assert (dest.stat().st_mode & 0o777) == 0o644 and (dest.parent.stat().st_mode & 0o777) == 0o755
