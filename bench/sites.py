"""Many "live" sites on one 127.0.0.1 port, for crawl benchmarks.

``www.p00042.example/privacy.html`` answers with real page number 42 (modulo the corpus);
``/robots.txt`` allows everything. The crawler reaches every ``*.example`` host through
``POLICYARCHIVE_RESOLVE``. The server counts the policy pages it served, which the memory
benchmark reads as progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

ROBOTS = b"User-agent: *\nAllow: /\n"
# every host to this machine: the corpus pages link to real sites (openai.com, ...), which a
# crawl's discovery may try; their names must not even be looked up elsewhere
EVERY_HOST_HERE = {"*": "127.0.0.1"}


class BenchSites:
    def __init__(self, bodies: Sequence[bytes]) -> None:
        self.bodies = list(bodies)
        self.served = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def host(self, i: int) -> str:
        return f"www.p{i:05d}.example"

    def write_sites_file(self, path: Path, n: int) -> Path:
        lines = (
            f"p{i:05d}.example,http://{self.host(i)}:{self.port}/privacy.html\n" for i in range(n)
        )
        path.write_text("".join(lines), encoding="utf-8")
        return path

    def _body(self, host: str, path: str) -> tuple[int, bytes]:
        if path == "/robots.txt":
            return 200, ROBOTS
        if path == "/privacy.html" and host.startswith("www.p"):
            try:
                i = int(host[5:10])
            except ValueError:
                return 404, b"not found"
            with self._lock:
                self.served += 1
            return 200, self.bodies[i % len(self.bodies)]
        return 404, b"not found"

    def __enter__(self) -> BenchSites:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                status, body = owner._body(host, self.path)
                self.send_response(status)
                ctype = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
