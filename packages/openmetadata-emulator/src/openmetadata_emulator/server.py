"""HTTP front end of the OpenMetadata API emulator and its ``Emulator`` Python API.

A test stand-in for the OpenMetadata server (see README.md); production
code never imports it.

* stdlib ``ThreadingHTTPServer`` with daemon threads, HTTP/1.1 keep-alive, every
  response with an exact ``Content-Length`` (the SDK's ``requests`` session reuses
  its connections)
* one dispatch function (``Emulator.dispatch``) for every request: auth -> faults ->
  route -> handler -> JSON; unknown routes answer 501 and log a WARNING on the
  ``openmetadata_emulator`` logger
* ``Emulator.timing()``: requests answered and the server-side wall/CPU seconds they took
  (the benchmarks' check that the emulator is not the bottleneck)
* optional state file: loaded at start, saved atomically after mutating requests
  (debounced) and at stop
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from . import routes, sdk
from .faults import Faults
from .store import ApiError, Store

logger = logging.getLogger("openmetadata_emulator")

API_PREFIX = "/api"
LOGIN_PATH = API_PREFIX + "/v1/users/login"

# Largest request body (413 above it, every route): 64 MiB, MySQL 8's default max_allowed_packet
# (the server writes each entity/status JSON as one row). An oversized body up to _DRAIN_LIMIT is
# read and dropped so the client sees the 413; a larger one closes the connection after it.
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
_DRAIN_LIMIT = 1024 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: "Emulator"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    wbufsize = 1 << 16  # ... and are coalesced here (flushed after each response)
    server_version = "openmetadata-emulator"
    sys_version = ""
    server: _Server

    # every method goes through the same dispatch
    def do_GET(self):  # noqa: N802
        self._handle()

    do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("%s - %s", self.address_string(), format % args)

    def send_error(self, code, message=None, explain=None):  # JSON instead of HTML, always
        if code == 501:  # a method http.server has no do_X for
            message = f"unknown route {self.command} {self.path.partition('?')[0]}"
            logger.warning("openmetadata-emulator: %s", message)
            emulator = getattr(self.server, "emulator", None)
            if emulator is not None:
                emulator._log(self.command, self.path.partition("?")[0], 501)  # pylint: disable=protected-access
        body = json.dumps({"code": code, "message": f"openmetadata-emulator: {message or explain or code}"}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _discard(self, count: int) -> None:
        while count > 0:
            got = self.rfile.read(min(count, 1 << 20))
            if not got:
                break
            count -= len(got)

    def _read_body(self, limit: int) -> tuple[bytes, int]:
        """(body, its size); an empty body and the size when it is over ``limit`` (dropped)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > limit:
                    chunks.clear()
                    if total > _DRAIN_LIMIT:
                        self.close_connection = True
                        return b"", total
                    self._discard(size)
                else:
                    chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return (b"", total) if total > limit else (b"".join(chunks), total)
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            if length > _DRAIN_LIMIT:
                self.close_connection = True
            else:
                self._discard(length)
            return b"", length
        return (self.rfile.read(length) if length > 0 else b""), max(length, 0)

    def _handle(self) -> None:
        # Cheap server-side accounting (wall and CPU time of this thread per request, from
        # reading the body to the last byte written): how much of a client's time was ours.
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            self._respond()
        finally:
            self.server.emulator._account(time.perf_counter() - started, time.thread_time() - cpu)  # pylint: disable=protected-access

    def _respond(self) -> None:
        emulator = self.server.emulator
        limit = emulator.max_request_bytes
        body, size = self._read_body(limit)
        if size > limit:
            result = emulator.too_large(self.command, self.path, size)
        else:
            result = emulator.dispatch(self.command, self.path, dict(self.headers.items()), body)
        if result is None:  # fault injection: drop the connection without answering
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        status, payload = result
        self.send_response(status)
        if status == 204 or status == 304:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)


def _user_from_token(auth: str | None) -> str:
    """``sub`` of a JWT bearer token (unverified), else ``admin``."""
    if not auth or not auth.lower().startswith("bearer "):
        return "admin"
    token = auth[7:].strip()
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            sub = payload.get("sub")
            if isinstance(sub, str) and sub:
                return sub
        except Exception:  # noqa: BLE001 - not a JWT: fall through
            pass
    return "admin"


class Emulator:
    """A running OpenMetadata API emulator.

    >>> with Emulator() as om:            # doctest: +SKIP
    ...     om.url                        # 'http://127.0.0.1:PORT/api' (the SDK's hostPort)
    ...     om.store.count("tables")
    ...     om.requests_log[-1]           # ('GET', '/api/v1/system/version', 200)

    ``token``: when set, every request needs ``Authorization: Bearer <token>`` (else 401).
    ``state_path``: JSON state file loaded at start (if present) and saved atomically
    after mutating requests (debounced by ``save_debounce`` seconds) and at stop.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        state_path: str | None = None,
        save_debounce: float = 0.3,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ):
        self.host = host
        self.max_request_bytes = max_request_bytes
        self.port = port
        self.token = token
        self.state_path = state_path
        self.save_debounce = save_debounce
        self.store = Store()
        self.faults = Faults()
        self.requests_log: list[tuple[str, str, int]] = []
        # Server-side time spent answering (see ``_Handler._handle``); ``timing()`` reads it.
        self.busy_seconds = 0.0
        self.busy_cpu_seconds = 0.0
        self.handled = 0
        self.unknown_routes: list[tuple[str, str]] = []
        self._log_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._save_lock = threading.Lock()

    # -------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """``http://HOST:PORT/api`` - what the SDK wants as ``hostPort``."""
        if self._server is None:
            raise RuntimeError("Emulator is not started")
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    def start(self) -> "Emulator":
        if self._server is not None:
            return self
        sdk.load()
        sdk.server_version()
        if self.state_path:
            self.store.load(self.state_path)
        self.store.seed()  # the built-in entities of a fresh server (kept as they are in a state file)
        self._server = _Server((self.host, self.port), _Handler)
        self._server.emulator = self
        self.port = self._server.server_address[1]
        self.store.base_url = self.url
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="om-emulator", daemon=True
        )
        self._thread.start()
        if self.state_path:
            self.store.on_mutation = self._dirty.set
            self._saver = threading.Thread(target=self._save_loop, name="om-emulator-saver", daemon=True)
            self._saver.start()
        logger.info("openmetadata-emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._dirty.set()
        if self._saver is not None:
            self._saver.join(timeout=5)
            self._saver = None
        self.store.on_mutation = None
        self.save()

    def save(self) -> None:
        """Write the state file now (no-op without ``state_path``)."""
        if not self.state_path:
            return
        with self._save_lock:
            self.store.save(self.state_path)

    def _save_loop(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            if self._stopping.is_set():
                break
            time.sleep(self.save_debounce)  # coalesce a burst of writes into one save
            self._dirty.clear()
            try:
                self.save()
            except Exception:  # noqa: BLE001 - keep serving; the final save at stop retries
                logger.exception("openmetadata-emulator: saving state to %s failed", self.state_path)

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every entity, status, edge and logged request; clear faults."""
        self.store.clear()
        self.faults.clear()
        with self._log_lock:
            self.requests_log.clear()
            self.unknown_routes.clear()
            self.busy_seconds = self.busy_cpu_seconds = 0.0
            self.handled = 0

    # -------------------------------------------------------------- dispatch

    def _account(self, seconds: float, cpu_seconds: float) -> None:
        with self._log_lock:
            self.busy_seconds += seconds
            self.busy_cpu_seconds += cpu_seconds
            self.handled += 1

    def timing(self) -> dict[str, float]:
        """Requests answered and the summed server-side wall / CPU seconds they took."""
        with self._log_lock:
            return {"requests": self.handled, "busy_seconds": self.busy_seconds, "busy_cpu_seconds": self.busy_cpu_seconds}

    def _log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.requests_log.append((method, path, status))

    def too_large(self, method: str, target: str, size: int) -> tuple[int, dict]:
        """413 for a body over ``max_request_bytes`` (on every route, known or not)."""
        raw_path = target.partition("?")[0]
        self._log(method, raw_path, 413)
        message = (
            f"openmetadata-emulator: request entity too large: the body of {method} {raw_path} has {size} bytes, "
            f"the limit is {self.max_request_bytes} bytes; send less per request (split it, or bound the payload)"
        )
        logger.warning("%s", message)
        return 413, {"code": 413, "message": message}

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes):
        """Answer one request: returns (status, json-or-None), or None to drop the connection."""
        raw_path, _, raw_query = target.partition("?")
        headers = {k.lower(): v for k, v in headers.items()}
        if self._server is None:  # stopped: a lingering keep-alive connection gets dropped
            return None

        login = method == "POST" and raw_path == LOGIN_PATH  # the server's login needs no token
        if self.token is not None and not login and headers.get("authorization") != f"Bearer {self.token}":
            self._log(method, raw_path, 401)
            return 401, {"code": 401, "message": "openmetadata-emulator: missing or invalid Authorization Bearer token"}

        api_path = raw_path[len(API_PREFIX) :] if raw_path.startswith(API_PREFIX + "/") else None

        fault = self.faults.check(method, api_path if api_path is not None else raw_path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.stop:  # the server dies here: no answer, listening socket closed
                self._log(method, raw_path, 0)
                self.stop()
                return None
            if fault.drop:
                self._log(method, raw_path, 0)
                return None
            if fault.status is not None:
                self._log(method, raw_path, fault.status)
                payload = fault.body if fault.body is not None else {
                    "code": fault.status,
                    "message": f"openmetadata-emulator: injected fault on {method} {raw_path}",
                }
                return fault.status, payload

        found = routes.match(method, api_path) if api_path is not None else None
        if found is None:
            message = f"openmetadata-emulator: unknown route {method} {raw_path}"
            logger.warning("%s", message)
            with self._log_lock:
                self.unknown_routes.append((method, raw_path))
            self._log(method, raw_path, 501)
            return 501, {"code": 501, "message": message}

        route, params = found
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        query = dict(pairs)
        req = routes.Request(
            method=method,
            path=api_path,
            query=query,
            query_pairs=pairs,
            body=body,
            user=_user_from_token(headers.get("authorization")),
            params=params,
            content_type=headers.get("content-type", ""),
        )
        try:
            status, payload = route.handler(self, req)
        except ApiError as err:
            status, payload = err.status, {"code": err.status, "message": err.message}
            if err.status >= 500:
                logger.error("openmetadata-emulator: %s %s -> %s %s", method, raw_path, err.status, err.message)
        except Exception as exc:  # noqa: BLE001 - a bug in the emulator: say so loudly
            logger.exception("openmetadata-emulator: internal error on %s %s", method, raw_path)
            status, payload = 500, {"code": 500, "message": f"openmetadata-emulator internal error: {exc!r}"}
        self._log(method, raw_path, status)
        return status, payload
