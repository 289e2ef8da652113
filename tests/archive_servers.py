"""Local servers shaped like other archives, serving the same captures (usable without pytest).

* :class:`CcIndexServer`: Common Crawl's index host: ``/collinfo.json`` and, per crawl,
  ``/<crawl>-index?url=…&output=json`` answering NDJSON with every value a string, a 404
  with a JSON ``message`` for no captures, a 400 for a page past the end. Prefix queries
  are paged as pywb's ZipNum index pages them (``page_size`` blocks of ``block_lines``
  lines; no ``page=`` is page 0; ``showNumPages=true`` counts the pages).
* :class:`RangeDataServer`: a data host with real HTTP Range support (``http.server``
  ignores Range), serving the crawls' WARC.gz files.
* :class:`TimeMapServer`: an RFC 7089 archive: paged link-format TimeMaps written the
  awkward ways real archives write them, and mementos (``/wayback/<ts>[id_]/<url>``).

Faults are switched on per path or per URL with :meth:`ArchiveHTTPServer.fault`:
``ignore_range`` (a 200 with the whole file), ``forbid`` (a 403 with a body), ``busy``
(a 503 with ``Retry-After: 1``, once), ``overcount`` (``showNumPages`` counts one page
more than there is, as when the index changes between two requests).
"""

from __future__ import annotations

import gzip
import io
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from warcio.archiveiterator import ArchiveIterator

from pipelines.storage.warcbuild import CaptureSpec, build_warc

Answer = tuple[int, list[tuple[str, str]], bytes]


def url_key(url: str) -> str:
    """Scheme-, ``www.``- and case-blind key of a URL, as archive indexes match them."""
    s = urlsplit(url.strip())
    host = (s.hostname or "").lower().removeprefix("www.")
    key = host + (s.path or "/")
    return (key + ("?" + s.query if s.query else "")).lower()


class ArchiveHTTPServer:
    """A threaded server on 127.0.0.1 whose answers come from :meth:`answer`."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()
        self.requests: list[str] = []  # paths asked for, in order
        self.faults: dict[str, str] = {}  # path substring → fault name
        self._fired: set[str] = set()

    def fault(self, where: str, kind: str) -> None:
        self.faults[where] = kind

    def _fault(self, path: str) -> str | None:
        for where, kind in self.faults.items():
            if where in path:
                if kind == "busy":  # once per place
                    if where in self._fired:
                        continue
                    self._fired.add(where)
                return kind
        return None

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, headers: dict[str, str]) -> Answer:
        raise NotImplementedError

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with owner._lock:
                    owner.requests.append(self.path)
                    fault = owner._fault(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if fault == "busy":
                    status, extra, body = 503, [("Retry-After", "1")], b"slow down"
                elif fault == "forbid":
                    status, extra, body = 403, [], b"<html>Forbidden by the CDN</html>"
                else:
                    if fault == "ignore_range":
                        headers.pop("range", None)
                    if fault:
                        headers["x-fault"] = fault
                    status, extra, body = owner.answer(self.path, headers)
                self.send_response(status)
                for k, v in extra:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ArchiveHTTPServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- Common Crawl -----------------------------------------------------------------------
def crawl_id_of(ts: str) -> str:
    """The fixture crawl a capture belongs to: one crawl per half-year of its timestamp."""
    half = 10 if int(ts[4:6]) <= 6 else 40
    return f"CC-MAIN-{ts[:4]}-{half:02d}"


def build_cc_collection(
    caps: Iterable[CaptureSpec], root: Path, crawl_of: Callable[[str], str] = crawl_id_of
) -> dict[str, list[dict[str, str]]]:
    """Write one WARC.gz per crawl under ``root`` and return each crawl's index lines."""
    by_crawl: dict[str, list[CaptureSpec]] = {}
    for cap in caps:
        # a revisit's original may sit in another crawl's file: store the payload whole
        by_crawl.setdefault(crawl_of(cap.timestamp), []).append(replace(cap, revisit=False))
    index: dict[str, list[dict[str, str]]] = {}
    for crawl, group in sorted(by_crawl.items()):
        name = f"crawl-data/{crawl}/segments/1/warc/{crawl}-00000.warc.gz"
        path = root / name
        build_warc(group, path)
        index[crawl] = list(_index_lines(path, name))
    return index


def _index_lines(path: Path, name: str) -> Iterable[dict[str, str]]:
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            if rec.rec_type not in ("response", "revisit"):
                continue
            url = rec.rec_headers.get_header("WARC-Target-URI")
            date = rec.rec_headers.get_header("WARC-Date")
            digest = (rec.rec_headers.get_header("WARC-Payload-Digest") or "-").split(":")[-1]
            http = rec.http_headers
            rec.content_stream().read()
            line = {
                "urlkey": url_key(url),
                "timestamp": datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%d%H%M%S"),
                "url": url,
                "mime": "warc/revisit"
                if rec.rec_type == "revisit"
                else (http.get_header("Content-Type") or "-").split(";")[0],
                "status": "-" if rec.rec_type == "revisit" else http.get_statuscode(),
                "digest": digest,
                "offset": str(it.get_record_offset()),
                "length": str(it.get_record_length()),
                "filename": name,
            }
            if line["status"].startswith("3") and http.get_header("Location"):
                line["redirect"] = http.get_header("Location")
            yield line


class CcIndexServer(ArchiveHTTPServer):
    """``/collinfo.json`` and each crawl's CDX API over the given index lines.

    Paging follows pywb's ZipNum index (Common Crawl's): the crawl's sorted lines are cut
    into blocks of ``block_lines`` (3000 at Common Crawl), a page is ``page_size`` blocks (5)
    counted from the block holding the query's first line, ``from``/``to`` filter inside a
    page (an emptied page is a 404), and a page past the last is a 400. Only prefix queries
    are paged here: one URL's captures in one crawl fit in Common Crawl's first page, but
    not in the tiny pages a test asks for.
    """

    def __init__(
        self,
        index: dict[str, list[dict[str, str]]],
        with_dates: bool = True,
        *,
        block_lines: int = 3000,
        page_size: int = 5,
    ) -> None:
        super().__init__()
        self.index = index
        self.with_dates = with_dates  # newer collinfo.json copies carry from/to
        self.block_lines = block_lines
        self.page_size = page_size

    def answer(self, path: str, headers: dict[str, str]) -> Answer:
        parts = urlsplit(path)
        if parts.path == "/collinfo.json":
            out = []
            for crawl, lines in sorted(self.index.items(), reverse=True):
                entry = {
                    "id": crawl,
                    "name": f"Fixture crawl {crawl}",
                    "timegate": f"{self.base}/{crawl}/",
                    "cdx-api": f"{self.base}/{crawl}-index",
                }
                if self.with_dates:
                    stamps = sorted(x["timestamp"] for x in lines)
                    entry["from"] = _iso(stamps[0])
                    entry["to"] = _iso(stamps[-1])
                out.append(entry)
            return 200, [("Content-Type", "application/json")], json.dumps(out).encode()
        crawl = parts.path.strip("/").removesuffix("-index")
        if crawl not in self.index:
            return 404, [], b"no such crawl"
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        key = url_key(q.get("url", ""))
        lo, hi = q.get("from", "0"), q.get("to", "99999999999999")
        lines = sorted(self.index[crawl], key=lambda x: (x["urlkey"], x["timestamp"]))
        if q.get("matchType") == "prefix":
            where = [i for i, x in enumerate(lines) if x["urlkey"].startswith(key)]
            if where:
                first = where[0] // self.block_lines
                blocks = where[-1] // self.block_lines - first + 1
                pages = (blocks - 1) // self.page_size + 1
            else:
                first, blocks, pages = 0, 0, 0
            if q.get("showNumPages") == "true":
                pages += pages > 0 and headers.get("x-fault") == "overcount"
                info = {"pages": pages, "pageSize": self.page_size, "blocks": blocks}
                return 200, [("Content-Type", "application/json")], json.dumps(info).encode()
            page = int(q.get("page", "0"))
            if pages and not 0 <= page < pages:
                msg = {"message": f"Page {page} invalid: First Page is 0, Last Page is {pages - 1}"}
                return 400, [("Content-Type", "application/json")], json.dumps(msg).encode()
            start = (first + page * self.page_size) * self.block_lines
            window = lines[start : start + self.page_size * self.block_lines]
            candidates = [x for x in window if x["urlkey"].startswith(key)]
        else:
            if int(q.get("page", "0")) > 0:
                msg = b'{"message": "page past end"}'
                return 400, [("Content-Type", "application/json")], msg
            candidates = [x for x in lines if x["urlkey"] == key]
        hits = [x for x in candidates if lo <= x["timestamp"][: len(lo)] and x["timestamp"] <= hi]
        hits = hits[: int(q.get("limit", "100000"))]
        if not hits:
            msg = {"message": f"No Captures found for: {q.get('url')}"}
            return 404, [("Content-Type", "application/json")], json.dumps(msg).encode()
        body = "".join(json.dumps(x) + "\n" for x in hits).encode()
        return 200, [("Content-Type", "text/x-ndjson")], body


def _iso(ts: str) -> str:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()


class RangeDataServer(ArchiveHTTPServer):
    """Files under ``root`` with real single-range support (``bytes=a-b``)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()

    def answer(self, path: str, headers: dict[str, str]) -> Answer:
        target = (self.root / urlsplit(path).path.lstrip("/")).resolve()
        if self.root not in target.parents or not target.is_file():
            return 404, [], b"not found"
        data = target.read_bytes()
        rng = headers.get("range", "")
        if not rng.startswith("bytes="):
            return 200, [("Content-Type", "application/octet-stream")], data
        first_s, _, last_s = rng.removeprefix("bytes=").partition("-")
        first = int(first_s)
        last = min(int(last_s) if last_s else len(data) - 1, len(data) - 1)
        if first >= len(data) or last < first:
            return 416, [("Content-Range", f"bytes */{len(data)}")], b""
        return (
            206,
            [
                ("Content-Type", "application/octet-stream"),
                ("Content-Range", f"bytes {first}-{last}/{len(data)}"),
            ],
            data[first : last + 1],
        )


# -- Memento ------------------------------------------------------------------------------
@dataclass
class _Memento:
    cap: CaptureSpec
    body: bytes


class TimeMapServer(ArchiveHTTPServer):
    """An RFC 7089 archive over the given captures.

    TimeMaps live at ``/timemap/link/<url>`` and hold ``page_size`` mementos a page; later
    pages are ``/timemap/link/<n>/<url>``, chained with ``rel="timemap"`` and their
    ``from``/``until``. Mementos are ``/wayback/<ts>/<url>`` (rewritten: a banner is
    added) and ``/wayback/<ts>id_/<url>`` (the bytes as archived); a timestamp that is not a
    capture redirects to the nearest one, as pywb does.
    """

    def __init__(self, caps: Iterable[CaptureSpec], page_size: int = 3) -> None:
        super().__init__()
        self.page_size = page_size
        self.by_key: dict[str, list[_Memento]] = {}
        for cap in sorted(caps, key=lambda c: c.timestamp):
            self.by_key.setdefault(url_key(cap.url), []).append(_Memento(cap, cap.body))

    def answer(self, path: str, headers: dict[str, str]) -> Answer:
        if path.startswith("/timemap/link/"):
            rest = path.removeprefix("/timemap/link/")
            page = 1
            head, _, tail = rest.partition("/")
            if head.isdigit():
                page, rest = int(head), tail
            return self._timemap(rest, page)
        if path.startswith("/wayback/"):
            ts_mod, _, url = path.removeprefix("/wayback/").partition("/")
            return self._memento(ts_mod[:14], ts_mod[14:], url)
        return 404, [], b"not found"

    def _timemap(self, url: str, page: int) -> Answer:
        mementos = self.by_key.get(url_key(url), [])
        if not mementos:
            return 404, [], b"no captures"
        chunks = [mementos[i : i + self.page_size] for i in range(0, len(mementos), self.page_size)]
        if page > len(chunks):
            return 404, [], b"no such page"

        def tm(n: int) -> str:
            return (
                f"{self.base}/timemap/link/{url}"
                if n == 1
                else (f"{self.base}/timemap/link/{n}/{url}")
            )

        def date(m: _Memento) -> str:
            when = datetime.strptime(m.cap.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            return format_datetime(when, usegmt=True)

        chunk = chunks[page - 1]
        lines = [
            f'<{url}>;rel="original"',
            # a title with a comma and a semicolon inside quotes: a naive split breaks here
            f'<{tm(page)}> ; rel="self"; type=application/link-format; title="page {page}, '
            f'of {len(chunks)}; fixture"; from="{date(chunk[0])}"; until="{date(chunk[-1])}"',
        ]
        for n, c in enumerate(chunks, 1):
            if n != page:
                lines.append(
                    f'<{tm(n)}>; rel="timemap"; type="application/link-format"; '
                    f'from="{date(c[0])}"; until="{date(c[-1])}"'
                )
        lines.append(f'<{self.base}/timemap/json/{url}>; rel="timemap"; type="application/json"')
        for i, m in enumerate(chunk):
            rel = "memento"
            if page == 1 and i == 0:
                rel = "first memento"
            elif page == len(chunks) and i == len(chunk) - 1:
                rel = "last memento"
            lines.append(
                f'<{self.base}/wayback/{m.cap.timestamp}/{m.cap.url}>;\n   rel="{rel}"; '
                f'datetime="{date(m)}"'
            )
        body = ",\n".join(lines).encode()
        return 200, [("Content-Type", "application/link-format")], body

    def _memento(self, ts: str, mod: str, url: str) -> Answer:
        mementos = self.by_key.get(url_key(url), [])
        if not mementos:
            return 404, [], b"not archived"
        exact = [m for m in mementos if m.cap.timestamp == ts and m.cap.url == url]
        if not exact:
            near = min(mementos, key=lambda m: abs(int(m.cap.timestamp) - int(ts or "0")))
            loc = f"{self.base}/wayback/{near.cap.timestamp}{mod}/{near.cap.url}"
            return 302, [("Location", loc)], b""
        m = exact[0]
        when = datetime.strptime(m.cap.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        headers = [
            ("Content-Type", m.cap.content_type),
            ("Memento-Datetime", format_datetime(when, usegmt=True)),
            *m.cap.headers,
        ]
        if m.cap.location:
            headers.append(("Location", m.cap.location))
        body = m.body
        if mod != "id_":
            body = b"<!-- ARCHIVE BANNER: rewritten replay -->" + body
        return m.cap.status, headers, body


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as fh:
        fh.write(data)
    return buf.getvalue()
