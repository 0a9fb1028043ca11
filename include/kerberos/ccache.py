"""Read MIT Kerberos ``FILE:`` credential caches with the standard library.

Format reference: MIT krb5 ``doc/formats/ccache_file_format.rst``. Versions
0x0503 and 0x0504 (big-endian; 0x0504 adds a header with tagged fields, tag 1 =
KDC time offset). Versions 0x0501/0x0502 (native byte order, pre-1995 software)
are refused with a clear message.

    file        ::= version(16) [header (v4)] default_principal credential*
    principal   ::= name_type(32) count(32) realm(data) component(data)*
    data        ::= length(32) bytes
    credential  ::= client server keyblock authtime starttime endtime renew_till
                    is_skey(8) flags(32) addresses authdata ticket(data) second_ticket(data)
    keyblock    ::= enctype(16) [enctype(16) again in v3] data
    addresses   ::= count(32) (addrtype(16) data)*
    authdata    ::= count(32) (ad_type(16) data)*

Credentials whose server realm is ``X-CACHECONF:`` are configuration entries
(``pa_type``, ``fast_avail``, ...), not tickets; they are counted and skipped.

Only what a preflight needs is kept (principals, times, flags, enctype);
key material and ticket bytes are never stored in the returned objects.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

CONFIG_REALM = "X-CACHECONF:"
SUPPORTED_VERSIONS = (0x0503, 0x0504)
# A declared length above this is not a truncated cache but garbage.
_MAX_DATA = 1 << 20
_MAX_COMPONENTS = 64
_MAX_COUNT = 4096

# KRB5CCNAME types that do not live in a single file a volume can share.
_NOT_SHAREABLE = {
    "KEYRING": "a kernel-keyring cache: it lives in the host's kernel, not in a file",
    "KCM": "a KCM cache: it lives in the host's KCM daemon (sssd-kcm), not in a file",
    "MEMORY": "an in-memory cache: it exists only inside one process",
    "API": "a CCAPI cache (macOS/Windows): it lives in a system service, not in a file",
    "MSLSA": "the Windows LSA cache: it lives in the Windows logon session",
    "DIR": "a directory collection of caches: it is not a single cache file",
}


class CCacheError(ValueError):
    """The credential cache cannot be used; ``kind`` says why, the message says what.

    kinds: ``unsupported_type``, ``empty``, ``not_ccache``, ``unsupported_version``,
    ``truncated``, ``corrupt``.
    """

    def __init__(self, kind: str, path: str, message: str) -> None:
        self.kind = kind
        self.path = path
        super().__init__(message)


@dataclass(frozen=True)
class Principal:
    components: tuple[str, ...]
    realm: str
    name_type: int = 1

    def __str__(self) -> str:
        return "/".join(self.components) + "@" + self.realm


@dataclass(frozen=True)
class Credential:
    """One ticket of the cache (key and ticket bytes are not kept)."""

    client: Principal
    server: Principal
    authtime: datetime | None
    starttime: datetime | None
    endtime: datetime | None
    renew_till: datetime | None
    flags: int
    is_skey: bool
    enctype: int

    @property
    def server_name(self) -> str:
        return str(self.server)

    @property
    def is_tgt(self) -> bool:
        return len(self.server.components) == 2 and self.server.components[0] == "krbtgt"

    @property
    def renewable(self) -> bool:
        return bool(self.flags & 0x00800000)  # TKT_FLG_RENEWABLE


@dataclass(frozen=True)
class CCache:
    path: str
    version: int  # 0x0503 or 0x0504
    principal: str  # "user@REALM"
    realm: str
    default_principal: Principal
    credentials: tuple[Credential, ...] = ()
    # KDC clock minus client clock, from the v4 header (zero when absent).
    time_offset: timedelta = timedelta(0)
    config_entries: int = 0
    size: int = 0

    @property
    def tgt(self) -> Credential | None:
        """The initial TGT ``krbtgt/REALM@REALM`` of the default principal's realm."""
        wanted = ("krbtgt", self.realm)
        candidates = [
            c for c in self.credentials if c.server.components == wanted and c.server.realm == self.realm
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda c: c.endtime or datetime.min.replace(tzinfo=timezone.utc))

    @property
    def tgt_expiry(self) -> datetime | None:
        tgt = self.tgt
        return tgt.endtime if tgt else None

    @property
    def servers(self) -> list[str]:
        return [c.server_name for c in self.credentials]


@dataclass
class _Reader:
    data: bytes
    path: str
    pos: int = 0
    where: str = "the header"

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise CCacheError(
                "truncated",
                self.path,
                f"{self.path} is truncated: it ends inside {self.where} "
                f"(needs {end - len(self.data)} more byte(s) at byte {self.pos} of {len(self.data)})",
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def u8(self) -> int:
        return self._take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self._take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self._take(4))[0]

    def i32(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def corrupt(self, detail: str) -> CCacheError:
        return CCacheError(
            "corrupt",
            self.path,
            f"{self.path} is not a valid Kerberos credential cache: {detail} "
            f"in {self.where} at byte {self.pos} of {len(self.data)}",
        )

    def octets(self) -> bytes:
        n = self.u32()
        if n > _MAX_DATA:
            raise self.corrupt(f"a field declares {n} bytes")
        return self._take(n)

    def count(self, what: str, limit: int = _MAX_COUNT) -> int:
        n = self.u32()
        if n > limit:
            raise self.corrupt(f"{what} count {n} is implausible")
        return n

    def text(self) -> str:
        return self.octets().decode("utf-8", errors="replace")

    def principal(self) -> Principal:
        name_type = self.u32()
        n = self.count("principal component", _MAX_COMPONENTS)
        realm = self.text()
        components = tuple(self.text() for _ in range(n))
        return Principal(components=components, realm=realm, name_type=name_type)

    def time(self) -> datetime | None:
        value = self.u32()  # unsigned: MIT treats ccache times as unsigned (y2038)
        return datetime.fromtimestamp(value, tz=timezone.utc) if value else None


def parse_ccache(data: bytes, path: str = "<bytes>") -> CCache:
    """Parse the bytes of a ``FILE:`` credential cache; raise ``CCacheError`` if unusable."""
    size = len(data)
    if size == 0:
        raise CCacheError(
            "empty",
            path,
            f"{path} is empty (0 bytes): kinit has not written it, or a copy was interrupted",
        )
    if data[0] != 0x05 or (size >= 2 and data[1] not in (1, 2, 3, 4)):
        head = data[:4].hex(" ")
        raise CCacheError(
            "not_ccache",
            path,
            f"{path} is not a Kerberos credential cache: it starts with bytes {head}, "
            "a FILE: cache starts with 05 03 or 05 04",
        )
    r = _Reader(data, path)
    version = r.u16()
    if version not in SUPPORTED_VERSIONS:
        raise CCacheError(
            "unsupported_version",
            path,
            f"{path} is a credential cache of format version 0x{version:04x}; only 0x0503 and "
            "0x0504 (written by MIT Kerberos and Heimdal since the 1990s) are supported",
        )
    offset = timedelta(0)
    if version == 0x0504:
        header_len = r.u16()
        header_end = r.pos + header_len
        if header_end > size:
            r.where = "the v4 header"
            r._take(header_len)  # raises "truncated"
        while r.pos < header_end:
            r.where = "the v4 header"
            tag = r.u16()
            tag_len = r.u16()
            if r.pos + tag_len > header_end:
                raise r.corrupt(f"header field {tag} overruns the header")
            if tag == 1 and tag_len == 8:
                seconds = r.i32()
                usec = r.i32()
                offset = timedelta(seconds=seconds, microseconds=usec)
            else:
                r._take(tag_len)  # unknown tags are ignored, as MIT and Heimdal do
    r.where = "the default principal"
    default = r.principal()
    creds: list[Credential] = []
    config_entries = 0
    index = 0
    while r.pos < size:
        index += 1
        r.where = f"credential #{index}"
        client = r.principal()
        server = r.principal()
        enctype = r.u16()
        if version == 0x0503:
            r.u16()  # v3 stores the enctype twice
        r.octets()  # key: read and dropped
        authtime, starttime, endtime, renew_till = r.time(), r.time(), r.time(), r.time()
        is_skey = r.u8()
        if is_skey not in (0, 1):
            raise r.corrupt(f"is_skey byte is {is_skey}")
        flags = r.u32()
        for _ in range(r.count("address")):
            r.u16()
            r.octets()
        for _ in range(r.count("authdata")):
            r.u16()
            r.octets()
        r.octets()  # ticket
        r.octets()  # second ticket
        if server.realm == CONFIG_REALM:
            config_entries += 1
            continue
        creds.append(
            Credential(
                client=client,
                server=server,
                authtime=authtime,
                starttime=starttime,
                endtime=endtime,
                renew_till=renew_till,
                flags=flags,
                is_skey=bool(is_skey),
                enctype=enctype,
            )
        )
    return CCache(
        path=path,
        version=version,
        principal=str(default),
        realm=default.realm,
        default_principal=default,
        credentials=tuple(creds),
        time_offset=offset,
        config_entries=config_entries,
        size=size,
    )


def read_ccache(path: str | os.PathLike[str]) -> CCache:
    """Read and parse a cache file. ``OSError`` (missing, unreadable) is left to the caller."""
    with open(path, "rb") as handle:
        data = handle.read()
    return parse_ccache(data, str(path))


def resolve_ccache_name(name: str, *, fix_hint: str = "") -> Path:
    """The file path of a ``KRB5CCNAME`` value: ``FILE:/path``, ``/path`` (or ``DIR::/dir/tkt``).

    Other cache types cannot be shared through a sidecar volume; the error says
    which type it is and what to set instead (``fix_hint`` is appended).
    """
    value = name.strip()
    if not value:
        raise CCacheError("unsupported_type", name, "KRB5CCNAME is empty")
    prefix, sep, rest = value.partition(":")
    if sep and ("/" not in prefix) and prefix:
        kind = prefix.upper()
        if kind in ("FILE", "WRFILE"):
            if not rest:
                raise CCacheError("unsupported_type", name, f"KRB5CCNAME={name} names no file")
            return Path(rest)
        if kind == "DIR" and rest.startswith(":") and len(rest) > 1:
            return Path(rest[1:])  # DIR::/dir/tktXYZ names one FILE-format cache of a collection
        what = _NOT_SHAREABLE.get(kind, f"a cache of type {prefix!r}, not a plain file")
        raise CCacheError(
            "unsupported_type",
            name,
            f"KRB5CCNAME={name} is {what}, so it cannot be shared through a sidecar volume. "
            "Set KRB5CCNAME=FILE:/krb5/cache/krb5cc in the Airflow containers (the sidecar's volume), "
            "and on the host run kinit into a FILE: cache the sidecar mounts, e.g. "
            "`kinit -c FILE:$HOME/.krb5/krb5cc user@REALM`"
            + (f". {fix_hint}" if fix_hint else ""),
        )
    return Path(value)


def klist_valid(ccname: str, klist: str | None = None, timeout: float = 5.0) -> bool | None:
    """``klist -s`` as a cross-check: True/False, or None when klist is not installed.

    Exit 0 means "a valid, unexpired TGT"; 1 covers missing, unreadable,
    garbage and expired caches alike, so it explains nothing on its own.
    """
    program = klist or shutil.which("klist")
    if not program:
        return None
    try:
        done = subprocess.run(
            [program, "-s", "-c", ccname],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode == 0
