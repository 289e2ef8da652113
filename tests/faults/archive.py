"""A misbehaving Wayback-shaped archive on 127.0.0.1, plus replay of real recorded traffic.

URL shapes are the Internet Archive's: ``/cdx/search/cdx?url=...`` and
``/web/<timestamp>id_/<original URL>``, so ``policyarchive wayback --archive <base>``
talks to it as it would to web.archive.org.

- Fault cases: an original URL on ``<case>.arch.test`` gets the CDX answers and replays
  of :data:`CASES[case] <CASES>` (all captures in 2010 unless the case says otherwise).
- Anything else is answered from the recorded cassettes (:mod:`tests.faults.cassettes`):
  recorded CDX pages by url and resumeKey; recorded replays by path, with Location headers
  pointing at web.archive.org rewritten to this server; a CDX query for a URL with
  recorded replays lists those mementos (what the real index held when they were
  recorded); a replay nobody recorded gets the archive's "not archived" 404 page.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from tests.faults import payloads
from tests.faults.cassettes import Cassettes, norm_url

logger = logging.getLogger(__name__)

DOMAIN = "arch.test"
_REPLAY = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$")
NOT_ARCHIVED = (
    b"<!DOCTYPE html><html><head><title>Wayback Machine</title></head><body>"
    b"<h2>Hrm.</h2><p>The Wayback Machine has not archived that URL.</p>"
    b"<p>This page is not available on the web because page does not exist</p></body></html>"
)
PARKED = (
    b"<!DOCTYPE html><html><head><title>parked.arch.test - This domain is for sale</title>"
    b"</head><body><h1>parked.arch.test</h1><p>This domain may be for sale. Buy this domain "
    b"today!</p><p>Related searches: privacy policy, insurance, loans, credit cards</p>"
    b"<p>This webpage is parked free courtesy of a domain registrar.</p></body></html>"
)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


def cdx_line(
    ts: str,
    url: str,
    status: str = "200",
    mime: str = "text/html",
    digest: str | None = None,
    length: str = "2048",
) -> str:
    host = urlsplit(url).hostname or ""
    urlkey = ",".join(reversed(host.split("."))) + ")" + (urlsplit(url).path or "/")
    return f"{urlkey} {ts} {url} {mime} {status} {digest or 'D' + ts} {length}"


def _filter(lines: list[str], params: dict[str, list[str]]) -> list[str]:
    """Apply ``filter=statuscode:200`` / ``filter=!statuscode:200`` as the IA does."""
    for f in params.get("filter", []):
        neg = f.startswith("!")
        name, _, value = f.lstrip("!").partition(":")
        if name == "statuscode":
            lines = [ln for ln in lines if (ln.split()[4] == value) != neg]
    return lines


def _cdx_text(lines: list[str], resume: str | None = None) -> bytes:
    text = "\n".join(lines) + "\n"
    if resume:
        text += f"\n{resume}\n"
    return text.encode()


def _policy(org: str) -> Reply:
    return Reply(200, payloads.policy_html(org).encode(), {"Content-Type": "text/html"})


# -- fault cases -----------------------------------------------------------------------
# Each case: cdx(params, hit) -> Reply and replay(ts, url, hit) -> Reply.


class Case:
    captures: list[tuple[str, str]] = [("20100615120000", "200")]  # (timestamp, status)

    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        lines = [cdx_line(ts, url, st) for ts, st in self.captures if url.endswith("/privacy")]
        return Reply(200, _cdx_text(_filter(lines, params)), {"Content-Type": "text/plain"})

    def replay(self, ts: str, url: str, hit: int) -> Reply:
        return _policy(self.__class__.__name__)


class Control(Case):
    pass


class RedirectInPeriod(Case):
    """An archived 302 to a page captured the same month: followed through the archive."""

    captures = [("20100601000000", "302")]

    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        if url.endswith("/new-privacy"):
            lines = [cdx_line("20100602000000", url)]
            return Reply(200, _cdx_text(_filter(lines, params)))
        return super().cdx(url, params, hit)

    def replay(self, ts: str, url: str, hit: int) -> Reply:
        if url.endswith("/privacy"):
            return Reply(302, b"", {"Location": url.replace("/privacy", "/new-privacy")})
        return _policy("Redirected Corp")


class RedirectOutOfPeriod(RedirectInPeriod):
    """An archived 302 whose target was only captured two years later."""

    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        if url.endswith("/new-privacy"):
            lines = [cdx_line("20120602000000", url)]
            return Reply(200, _cdx_text(_filter(lines, params)))
        return Case.cdx(self, url, params, hit)


class NotArchived(Case):
    """The index lists a capture; the replay says the archive never had it."""

    def replay(self, ts: str, url: str, hit: int) -> Reply:
        return Reply(404, NOT_ARCHIVED, {"Content-Type": "text/html; charset=utf-8"})


class Parked(Case):
    def replay(self, ts: str, url: str, hit: int) -> Reply:
        return Reply(200, PARKED, {"Content-Type": "text/html"})


class OutsidePeriod(Case):
    """The index ignores from/to and answers with captures of other years."""

    captures = [("19990101000000", "200"), ("20231231000000", "200")]


class MalformedCdx(Case):
    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        lines = [
            "this is not a cdx line",
            "com,malformed-cdx)/privacy 2010XXXX1200 " + url + " text/html 200 X 1",
            cdx_line("20100615120000", url),
            "com,malformed-cdx)/privacy 20100616 " + url,  # too few fields
            "\x00\x01\x02 binary junk",
        ]
        return Reply(200, _cdx_text(lines))


class DashFields(Case):
    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        lines = [cdx_line("20100615120000", url, mime="-", digest="-", length="-")]
        return Reply(200, _cdx_text(_filter(lines, params)))


class Revisit(Case):
    """A revisit record sits nearest the period's middle; its replay is not the page."""

    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        lines = [
            cdx_line("20100701000000", url, status="-", mime="warc/revisit"),
            cdx_line("20100301000000", url),
        ]
        return Reply(200, _cdx_text(lines))

    def replay(self, ts: str, url: str, hit: int) -> Reply:
        if ts.startswith("20100701"):
            return Reply(404, NOT_ARCHIVED)
        return _policy("Revisited Corp")


class RepeatedResumeKey(Case):
    """Every page ends with the same resumeKey: paging must stop, not spin."""

    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        lines = [cdx_line(f"201006{10 + min(hit, 9):02d}120000", url)]
        return Reply(200, _cdx_text(lines, resume="com,repeated-resumekey)/privacy+20100610"))


class Cdx429(Case):
    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        if hit == 1:
            return Reply(429, b"Too Many Requests", {"Retry-After": "1"})
        return super().cdx(url, params, hit)


class Cdx503(Case):
    def cdx(self, url: str, params: dict[str, list[str]], hit: int) -> Reply:
        if hit == 1:
            return Reply(503, b"Service Unavailable")
        return super().cdx(url, params, hit)


class ReplayReset(Case):
    def replay(self, ts: str, url: str, hit: int) -> Reply:
        return Reply(reset=True)


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z0-9][a-z])|(?<=[a-z])(?=[0-9])", "-", name).lower()


CASES: dict[str, Case] = {
    _slug(c.__name__): c()
    for c in (
        Control,
        RedirectInPeriod,
        RedirectOutOfPeriod,
        NotArchived,
        Parked,
        OutsidePeriod,
        MalformedCdx,
        DashFields,
        Revisit,
        RepeatedResumeKey,
        Cdx429,
        Cdx503,
        ReplayReset,
    )
}


# -- the server -------------------------------------------------------------------------


class ArchiveHandler(BaseHTTPRequestHandler):
    server_version = "FaultArchive/1.0"
    protocol_version = "HTTP/1.1"
    owner: FaultArchive

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path == "/cdx/search/cdx":
            params = parse_qs(parts.query)
            url = params.get("url", [""])[0]
            reply = self.owner.cdx(url, params)
        elif m := _REPLAY.match(self.path):
            reply = self.owner.replay(m[1], m[3], self.path)
        else:
            reply = Reply(404, b"not found")
        self._write(reply)

    def _write(self, r: Reply) -> None:
        if r.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(r.status)
        headers = {k.lower(): (k, v) for k, v in r.headers.items()}
        for k, v in headers.values():
            self.send_header(k, v)
        if "content-type" not in headers:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(r.body)))
        self.end_headers()
        self.wfile.write(r.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("archive %s - %s", self.address_string(), format % args)


class FaultArchive:
    def __init__(self, cassettes: Path | None = None) -> None:
        self.cassettes = Cassettes(cassettes) if cassettes else None
        self._lock = threading.Lock()
        self.hits: Counter[tuple[str, str]] = Counter()  # (kind, key) → requests
        self.requests: list[tuple[str, str]] = []  # (kind, path)
        handler = type("Handler", (ArchiveHandler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @staticmethod
    def policy_url(case: str) -> str:
        return f"http://{case}.{DOMAIN}/privacy"

    def _count(self, kind: str, key: str, path: str) -> int:
        with self._lock:
            self.hits[(kind, key)] += 1
            self.requests.append((kind, path))
            return self.hits[(kind, key)]

    def cdx_requests(self, norm: str) -> list[str]:
        with self._lock:
            return [p for k, p in self.requests if k == "cdx" and norm in p]

    def cdx(self, url: str, params: dict[str, list[str]]) -> Reply:
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        norm = norm_url(url)
        resume = params.get("resumeKey", [""])[0]
        hit = self._count("cdx", f"{norm} {resume}", f"{norm} {resume}")
        if host.endswith("." + DOMAIN):
            case = CASES.get(host.split(".")[0])
            return case.cdx(url, params, hit) if case else Reply(200, b"")
        if self.cassettes is None:
            return Reply(200, b"")
        recorded = self.cassettes.cdx.get((norm, resume))
        if recorded:
            rec = recorded[min(hit, len(recorded)) - 1]
            return Reply(rec.status, rec.body, dict(rec.headers))
        mementos = self.cassettes.mementos.get(norm, [])
        # an index that lists a capture whose replay fails is exactly the fault we replay
        lines = [
            cdx_line(ts, original, st if st[0] in "23" else "200", mime)
            for ts, original, st, mime in mementos
        ]
        return Reply(200, _cdx_text(_filter(lines, params)))

    def replay(self, ts: str, url: str, path: str) -> Reply:
        host = urlsplit(url).hostname or ""
        hit = self._count("replay", path, path)
        if host.endswith("." + DOMAIN):
            case = CASES.get(host.split(".")[0])
            return case.replay(ts, url, hit) if case else Reply(404, NOT_ARCHIVED)
        recorded = self.cassettes.replay.get(path) if self.cassettes else None
        if not recorded:
            return Reply(404, NOT_ARCHIVED, {"Content-Type": "text/html; charset=utf-8"})
        rec = recorded[min(hit, len(recorded)) - 1]
        headers = {}
        for k, v in rec.headers:
            if k.lower() == "location":
                v = re.sub(r"^(?:https?:)?//web\.archive\.org", self.base, v)
            headers[k] = v
        return Reply(rec.status, rec.body, headers)

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="FaultArchive", daemon=True
        )
        self._thread.start()
        return self.base

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultArchive:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
