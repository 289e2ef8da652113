"""``--warc-out DIR``: every page response a crawl used, kept as WARC (storage/warcwrite.py).

Two small Scrapy components, both off unless ``POLICYARCHIVE_WARC_OUT`` names a directory:

* :class:`WarcOutMiddleware` (downloader, 580: inside HttpCompressionMiddleware, so bodies
  are decoded) writes each page response: for archive spiders the raw (``id_``) captures
  they replay — homepages, frames, policies, archived redirects — under their original URL
  and capture time; for Common Crawl the WARC record read by range (request meta
  ``warc_record``, set by crawler/archive/sources.py), unpacked and stored the same way;
  for the live spider every page it fetches, with its request. Index
  queries, robots.txt and the archive's own hops between mementos are not pages and are
  not written. Writing is synchronous: one gzip member per record, a few milliseconds
  for a policy-sized page, next to the seconds a polite crawl waits between requests.
* :class:`WarcProvenancePipeline` (item step 150) stamps each PolicyPage with the file and
  offset of the record its body was stored in (``warc_filename``, ``warc_offset``), which
  ``policyarchive reextract`` reads back.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from crawler.archive.cdx import raw_capture_url, same_document
from crawler.archive.commoncrawl import check_range, read_record
from pipelines.history.periods import parse_ts14
from pipelines.items import PolicyPage
from pipelines.storage.warcwrite import Capture, WarcOut

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# a raw capture URL of any Wayback-shaped archive: IA and pywb (/web/<ts>id_/<url>),
# Arquivo.pt (/wayback/<ts>id_/<url>), ...
_REPLAY = re.compile(r"^https?://[^/]+/(?:.*?/)?(\d{4,14})id_/(.+)$")


def replay_parts(url: str) -> tuple[str, str] | None:
    """(timestamp, original URL) of a raw capture URL; None for any other URL."""
    m = _REPLAY.match(url)
    if m is None:
        return None
    ts, orig = m.groups()
    if "%3A" in orig[:10]:  # some archives hand back the seed-style escaped scheme
        orig = unquote(orig)
    if orig.startswith(("http:/", "https:/")) and not orig.startswith(("http://", "https://")):
        orig = orig.replace(":/", "://", 1)  # proxies collapse '//' in paths
    return (ts, orig) if orig.startswith(("http://", "https://")) else None


# the archive's own headers on a replayed capture: not part of what the site sent
_ARCHIVE_HEADERS = re.compile(
    r"^(link|memento-datetime|x-archive-.*|x-app-server|x-ts|x-tr|x-location|server-timing|"
    r"content-security-policy.*|x-frame-options|set-cookie|preference-applied)$",
    re.I,
)


def _headers(response: Response) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, values in response.headers.items():
        name = key.decode("latin-1")
        for v in values:
            out.append((name, v.decode("latin-1")))
    return out


def original_headers(headers: list[tuple[str, str]], base: str) -> list[tuple[str, str]]:
    """A replayed capture's headers as the site sent them.

    The Internet Archive prefixes the original headers with ``X-Archive-Orig-``; pywb's
    ``id_`` mode passes them through. Archive-made headers go; an archived redirect's
    ``Location`` goes back to the original URL.
    """
    orig = [(k[15:], v) for k, v in headers if k.lower().startswith("x-archive-orig-")]
    if orig:
        keep = [(k, v) for k, v in headers if k.lower() == "content-type"]
        headers = keep + [(k, v) for k, v in orig if k.lower() != "content-type"]
    else:
        headers = [(k, v) for k, v in headers if not _ARCHIVE_HEADERS.match(k)]
    out = []
    for k, v in headers:
        if k.lower() == "location":
            parts = replay_parts(urljoin(base, v))
            v = parts[1] if parts else v
        out.append((k, v))
    return out


def record_capture(response: Response, where: dict[str, Any]) -> Capture | None:
    """The capture in a range answer holding one WARC/ARC record (Common Crawl), or None
    when the answer is not exactly that record (the client refuses it too)."""
    crange = response.headers.get(b"Content-Range")
    offset, length = int(where["offset"]), int(where["length"])
    body = response.body
    crange_text = crange.decode("latin-1") if crange else None
    if check_range(response.status, crange_text, body, offset, length) is not None:
        return None
    try:
        rec = read_record(body)
    except ValueError:
        return None
    return Capture(
        url=str(where["url"]),
        captured_at=rec.date or parse_ts14(str(where["timestamp"])),
        status=rec.status,
        headers=list(rec.headers),
        body=rec.body,
        archive_url=str(where["archive_url"]),
    )


# sent by the wayback spider when it uses a capture without fetching it: its CDX digest
# names a payload it already fetched (kwargs: rec, a CDXSnapshot; archive, the base URL)
capture_reused = object()


class WarcOutMiddleware:
    def __init__(self, crawler: Crawler, directory: str) -> None:
        self.crawler = crawler
        self.directory = Path(directory)
        self.max_bytes = crawler.settings.getint("POLICYARCHIVE_WARC_MAX_BYTES")
        self.out: WarcOut | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.reused, signal=capture_reused)
        crawler.warc_out = self  # type: ignore[attr-defined]  # for WarcProvenancePipeline

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcOutMiddleware:
        directory = crawler.settings.get("POLICYARCHIVE_WARC_OUT")
        if not directory:
            raise NotConfigured
        return cls(crawler, str(directory))

    def _writer(self) -> WarcOut:
        if self.out is None:
            spider = self.crawler.spider
            run_id = getattr(spider, "run_id", "") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            info = {"run-id": run_id, "spider": getattr(spider, "name", "")}
            archive = getattr(getattr(spider, "args", None), "archive", None)
            if archive:
                info["archive"] = str(archive)
            self.out = WarcOut(self.directory, run_id, max_bytes=self.max_bytes, info=info)
            logger.info("writing the fetched pages as WARC into %s", self.directory)
        return self.out

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            cap = self.capture(request, response)
        except Exception:  # never let keeping a copy break the crawl
            logger.exception("could not describe %s for the WARC output", response.url)
            return response
        if cap is not None:
            self._writer().write(cap)
            self.crawler.stats.inc_value("policyarchive/warc_out/records")
        return response

    def capture(self, request: Request, response: Response) -> Capture | None:
        url = response.url
        if not url.startswith(("http://", "https://")) or url.endswith("/robots.txt"):
            return None
        where = request.meta.get("warc_record")
        if where is not None:
            return record_capture(response, where)
        spider = self.crawler.spider
        live = getattr(spider, "name", "") == "live"
        parts = None if live else replay_parts(url)
        if parts is not None:
            ts, orig = parts
            headers = _headers(response)
            if 300 <= response.status < 400:
                loc = response.headers.get(b"Location")
                target = loc and replay_parts(urljoin(url, loc.decode("latin-1")))
                if target and target[0] != ts and same_document(target[1], orig):
                    return None  # the archive's hop to its nearest memento: not a capture
            when = response.headers.get(b"Memento-Datetime")
            at = parse_ts14(ts)
            if when:
                with contextlib.suppress(TypeError, ValueError):
                    at = parsedate_to_datetime(when.decode("latin-1")).astimezone(UTC)
            return Capture(
                url=orig,
                captured_at=at,
                status=response.status,
                headers=original_headers(headers, url),
                body=response.body,
                archive_url=url,
            )
        if not live:
            return None  # index queries, Save Page Now, ...: not pages
        return Capture(
            url=url,
            captured_at=datetime.now(UTC),
            status=response.status,
            headers=_headers(response),
            body=response.body,
            request_headers=[
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, vs in request.headers.items()
                for v in vs
            ],
            method=request.method,
            ip_address=str(response.ip_address) if response.ip_address else None,
        )

    def reused(self, rec: Any, archive: str, archive_url: str | None = None) -> None:
        """A capture used through its digest: stored as a revisit of the payload we hold."""
        out = self._writer()
        at = parse_ts14(rec.timestamp)
        if out.has(rec.original, at) or not out.knows_payload(rec.digest):
            return
        status = int(rec.statuscode) if rec.statuscode.isdigit() else 200
        headers = [("Content-Type", rec.mimetype)] if "/" in rec.mimetype else []
        url = archive_url or raw_capture_url(archive, rec.timestamp, rec.original)
        out.write_revisit(rec.original, at, rec.digest, status, headers, url)
        self.crawler.stats.inc_value("policyarchive/warc_out/records")

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.out is not None:
            self.out.close()
            logger.info(
                "WARC output: %d captures in %s (%s)",
                self.out.records,
                self.directory,
                ", ".join(self.out.files),
            )


class WarcProvenancePipeline:
    """Item step 150: each PolicyPage learns where its body was stored as WARC."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcProvenancePipeline:
        if not crawler.settings.get("POLICYARCHIVE_WARC_OUT"):
            raise NotConfigured
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        mw: WarcOutMiddleware | None = getattr(self.crawler, "warc_out", None)
        if isinstance(item, PolicyPage) and mw is not None and mw.out is not None:
            if not mw.out.has(item.policy_url, item.captured_at):
                # a body the spider re-used for another capture (same digest): that capture
                # is stored too, as a revisit, so the WARCs hold every capture a row names
                mw.out.write(
                    Capture(
                        url=item.policy_url,
                        captured_at=item.captured_at,
                        status=item.http_status,
                        headers=[("Content-Type", item.content_type)] if item.content_type else [],
                        body=item.body,
                        archive_url=item.archive_url,
                    )
                )
            found = mw.out.locate(item.content_digest)
            if found is not None and item.warc_filename is None:
                item.warc_filename = str((mw.directory / found[0]).resolve())
                item.warc_offset = found[1]
        return item
