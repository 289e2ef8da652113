"""Local HTTP servers for tests, usable without pytest.

:class:`LiveSiteServer` plays several "live" websites from ``tests/fixtures/live/<host>/``
on one 127.0.0.1 port, choosing the site by the request's ``Host`` header (port
stripped). The live spider is pointed at it by resolving ``*.example`` to 127.0.0.1, so
URLs look like ``http://www.alpha.example:PORT/``. Pages that link to another host write
the port as the literal ``{{PORT}}``; the server substitutes its own port when serving
HTML and text, so fixtures need not know it in advance.

    with LiveSiteServer() as live:
        live.url("www.alpha.example", "/")      # http://www.alpha.example:PORT/
        ...
        live.requests_for("www.gamma.example")  # what the crawler asked for
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

LIVE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "live"
PORT_PLACEHOLDER = b"{{PORT}}"
_TEXT_TYPES = ("text/", "application/xhtml")


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    host: str  # Host header without the port, lower-cased
    path: str  # path plus query, as sent
    user_agent: str
    status: int
    at: float = 0.0  # time.monotonic() when it arrived


def _content_type(path: Path) -> str:
    if path.suffix == "":
        return "text/html; charset=utf-8"  # extension-less pages, e.g. /legal/privacy-notice
    guessed, _ = mimetypes.guess_type(path.name)
    guessed = guessed or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def resolve(root: Path, host: str, raw_path: str) -> Path | None:
    """The file that answers ``raw_path`` on ``host``, or None (-> 404).

    Directories answer with their index.html; nothing outside ``root/host`` is served.
    """
    site = (root / host).resolve()
    if not host or not site.is_dir() or site.parent != root.resolve():
        return None
    rel = unquote(urlsplit(raw_path).path).lstrip("/")
    target = (site / rel).resolve()
    if target != site and site not in target.parents:
        return None  # path traversal
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


class LiveSiteServer:
    """A threaded HTTP server on 127.0.0.1 serving fixture sites by Host header."""

    def __init__(self, root: Path = LIVE_FIXTURES, port: int = 0) -> None:
        self.root = Path(root)
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: list[Request] = []

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LiveSiteServer is not running")
        return int(self._server.server_address[1])

    @property
    def hosts(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, host: str) -> list[Request]:
        return [r for r in self.requests if r.host == host]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, req: Request) -> None:
        with self._lock:
            self._requests.append(req)

    def start(self) -> str:
        """Start serving; returns ``http://127.0.0.1:PORT``."""
        if self._server is not None:
            return f"http://127.0.0.1:{self.port}"
        server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="LiveSiteServer", daemon=True
        )
        self._thread.start()
        logger.debug("live fixture sites %s on port %d", self.hosts, self.port)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LiveSiteServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _handler_for(owner: LiveSiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "LiveFixture/1.0"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve(with_body=True)

        def do_HEAD(self) -> None:
            self._serve(with_body=False)

        def _serve(self, *, with_body: bool) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip().lower()
            target = resolve(owner.root, host, self.path)
            if target is None:
                status, ctype = 404, "text/html; charset=utf-8"
                body = b"<html><body><h1>404 Not Found</h1></body></html>\n"
            else:
                status, ctype = 200, _content_type(target)
                body = target.read_bytes()
                if ctype.startswith(_TEXT_TYPES):
                    body = body.replace(PORT_PLACEHOLDER, str(owner.port).encode())
            owner._record(
                Request(
                    method=self.command,
                    host=host,
                    path=self.path,
                    user_agent=self.headers.get("User-Agent", ""),
                    status=status,
                    at=time.monotonic(),
                )
            )
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            logger.debug("live %s - %s", self.address_string(), format % args)

    return Handler
