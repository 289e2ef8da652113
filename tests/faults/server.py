"""Misbehaving live websites on one 127.0.0.1 port, one fault per host name.

A request to ``http://<fault>.faults.test:PORT/...`` gets fault ``<fault>`` (the first
label of the Host header); the crawler reaches it by resolving ``*.faults.test`` to
127.0.0.1 (``POLICYARCHIVE_RESOLVE``). Modelled on Scrapy's own ``tests/mockserver``: each
fault is a small function that writes exactly the bytes it wants, down to resetting the
connection or stalling. ``/robots.txt`` answers 404 everywhere (allow all), so only the
policy request meets the fault.

    with FaultServer() as srv:
        srv.url("gzip-bomb")            # http://gzip-bomb.faults.test:PORT/privacy
        srv.hits("503-then-ok")         # how many requests that fault received
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from tests.faults import payloads

logger = logging.getLogger(__name__)

DOMAIN = "faults.test"
STALL_SECONDS = 8.0  # longer than the DOWNLOAD_TIMEOUT the fault crawl sets
FIFTY_MB = 50 * 1024 * 1024

Fault = Callable[["FaultHandler", int], None]  # (handler, hit number starting at 1)


def _send(
    h: FaultHandler,
    status: int,
    body: bytes = b"",
    ctype: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> None:
    h.send_response(status)
    if ctype:
        h.send_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body) if length is None else length))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)
    h.close_connection = True


def _policy(h: FaultHandler, org: str) -> None:
    _send(h, 200, payloads.policy_html(org).encode())


def _reset(h: FaultHandler) -> None:
    # SO_LINGER 0: close() sends RST instead of FIN
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _stall(h: FaultHandler) -> None:
    h.server_owner.stop_event.wait(STALL_SECONDS)
    h.close_connection = True


def _fifty_mb(h: FaultHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(FIFTY_MB))
    h.end_headers()
    chunk = b"<p>" + b"privacy " * 8190 + b"</p>"
    sent = 0
    try:
        while sent < FIFTY_MB and not h.server_owner.stop_event.is_set():
            part = chunk[: FIFTY_MB - sent]
            h.wfile.write(part)
            sent += len(part)
    except OSError:
        pass  # the crawler hung up: that is the point
    h.close_connection = True


def _fifty_mb_chunked(h: FaultHandler) -> None:
    """Same size, no Content-Length: the cap must hold while bytes arrive."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<p>" + b"privacy " * 8190 + b"</p>"
    sent = 0
    try:
        while sent < FIFTY_MB and not h.server_owner.stop_event.is_set():
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        h.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass
    h.close_connection = True


def _encoded(encoding: str) -> Fault:
    def fault(h: FaultHandler, hit: int) -> None:
        _send(h, 200, payloads.bomb(encoding), headers={"Content-Encoding": encoding})

    return fault


def _then_ok(first: Callable[[FaultHandler], None], failures: int = 1) -> Fault:
    def fault(h: FaultHandler, hit: int) -> None:
        if hit <= failures:
            first(h)
        else:
            _policy(h, h.fault_name)

    return fault


def _redirect_to(target: Callable[[FaultHandler], str]) -> Fault:
    def fault(h: FaultHandler, hit: int) -> None:
        _send(h, 302, b"", headers={"Location": target(h)})

    return fault


def _hop_chain(h: FaultHandler, hit: int) -> None:
    """/privacy → /hop/1 → /hop/2 → … /hop/25 (which would be the policy)."""
    n = int(h.path.rsplit("/", 1)[1]) if h.path.startswith("/hop/") else 0
    if n >= 25:
        _policy(h, "Far Away")
    else:
        _send(h, 302, b"", headers={"Location": f"/hop/{n + 1}"})


def _meta_loop(h: FaultHandler, hit: int) -> None:
    other = "/b" if h.path != "/b" else "/privacy"
    _send(h, 200, payloads.meta_refresh(other))


FAULTS: dict[str, Fault] = {
    "control": lambda h, hit: _policy(h, "Control Corp"),
    "429-retry-after": _then_ok(
        lambda h: _send(h, 429, b"slow down", "text/plain", {"Retry-After": "1"})
    ),
    "429-no-retry-after": lambda h, hit: _send(h, 429, b"too many requests", "text/plain"),
    "503-then-ok": _then_ok(lambda h: _send(h, 503, b"try later", "text/plain"), failures=2),
    "timeout": lambda h, hit: _stall(h),
    "reset": lambda h, hit: _reset(h),
    "truncated-gzip": lambda h, hit: _send(
        h,
        200,
        payloads.truncated_gzip(payloads.policy_html("Half Gone").encode()),
        headers={"Content-Encoding": "gzip"},
    ),
    "short-body": lambda h, hit: _send(
        h, 200, payloads.policy_html("Short Body").encode()[:600], length=20_000
    ),
    "gzip-bomb": _encoded("gzip"),
    "deflate-bomb": _encoded("deflate"),
    "br-bomb": _encoded("br"),
    "zstd-bomb": _encoded("zstd"),
    "fifty-mb": lambda h, hit: _fifty_mb(h),
    "fifty-mb-chunked": lambda h, hit: _fifty_mb_chunked(h),
    "deep-html": lambda h, hit: _send(h, 200, payloads.nested_html()),
    "empty-body": lambda h, hit: _send(h, 200, b""),
    "binary-garbage": lambda h, hit: _send(
        h, 200, payloads.binary_garbage(), "application/octet-stream"
    ),
    "pdf": lambda h, hit: _send(h, 200, payloads.tiny_pdf(), "application/pdf"),
    "image": lambda h, hit: _send(h, 200, payloads.tiny_png(), "image/png"),
    "invalid-utf8": lambda h, hit: _send(h, 200, payloads.invalid_utf8_policy()),
    # header says UTF-8, bytes and <meta> are windows-1252
    "charset-mismatch": lambda h, hit: _send(
        h, 200, payloads.german_policy_html("windows-1252").encode("cp1252")
    ),
    # header says ISO-8859-1, bytes are UTF-8
    "charset-mismatch-utf8": lambda h, hit: _send(
        h,
        200,
        payloads.german_policy_html("iso-8859-1").encode("utf-8"),
        "text/html; charset=iso-8859-1",
    ),
    "meta-refresh-loop": _meta_loop,
    "redirect-25-hops": _hop_chain,
    "redirect-loop": _redirect_to(lambda h: "/privacy"),
    "redirect-file": _redirect_to(lambda h: "file:///etc/passwd"),
    "redirect-ftp": _redirect_to(lambda h: "ftp://ftp.faults.test/privacy.txt"),
    "redirect-data": _redirect_to(
        lambda h: "data:text/html;base64,PGgxPlByaXZhY3kgUG9saWN5PC9oMT4="
    ),
}


class FaultHandler(BaseHTTPRequestHandler):
    server_version = "FaultServer/1.0"
    protocol_version = "HTTP/1.1"
    server_owner: FaultServer
    fault_name = ""

    def do_GET(self) -> None:  # noqa: N802
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        self.fault_name = host.split(".", 1)[0]
        if self.path == "/robots.txt":
            _send(self, 404, b"no robots.txt", "text/plain")
            return
        fault = FAULTS.get(self.fault_name)
        hit = self.server_owner._hit(self.fault_name, self.path)
        if fault is None:
            _send(self, 404, b"<html><body>unknown fault</body></html>")
            return
        try:
            fault(self, hit)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("fault %s - %s", self.address_string(), format % args)


class FaultServer:
    """A threaded HTTP server on 127.0.0.1 serving :data:`FAULTS` by host name."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self.paths: list[tuple[str, str]] = []
        handler = type("Handler", (FaultHandler,), {"server_owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def host(self, fault: str) -> str:
        return f"{fault}.{DOMAIN}"

    def url(self, fault: str, path: str = "/privacy") -> str:
        return f"http://{self.host(fault)}:{self.port}{path}"

    def _hit(self, fault: str, path: str) -> int:
        with self._lock:
            self._hits[fault] += 1
            self.paths.append((fault, path))
            return self._hits[fault]

    def hits(self, fault: str) -> int:
        with self._lock:
            return self._hits[fault]

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="FaultServer", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on: connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
