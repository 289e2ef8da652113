"""An async client for Wayback-shaped archives (the Internet Archive, or pywb set up alike).

It downloads through Scrapy's engine (so retries, throttling and stats apply) and records
every request it makes as a FetchRecord, which the spider yields into the ``fetches`` dataset.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urljoin

from scrapy import Request
from scrapy.http import Response
from waybackpy.cdx_snapshot import CDXSnapshot

from crawler.archive.cdx import cdx_query_url, parse_cdx, raw_capture_url, same_document
from pipelines.items import FetchRecord

logger = logging.getLogger(__name__)

Download = Callable[[Request], Awaitable[Response]]
_ARCHIVE_PATH = re.compile(r"/web/(\d{4,14})(?:[a-z]{2}_)?/(.+)$")
MAX_CDX_PAGES = 200


@dataclass
class Fetched:
    url: str  # original URL of the capture
    timestamp: str
    archive_url: str
    status: int
    body: bytes
    content_type: str | None
    location: str | None  # original-URL target of an archived redirect
    memento_ts: str | None = None  # the archive sent us to another capture of the same URL


def split_archive_url(archive: str, url: str) -> tuple[str | None, str]:
    """``<archive>/web/<ts>id_/<orig>`` → (ts, orig); other URLs → (None, url)."""
    if url.startswith(archive):
        m = _ARCHIVE_PATH.search(url[len(archive) :])
        if m:
            orig = m[2]
            if "%3A" in orig[:10]:  # some archives hand back the seed-style escaped scheme
                orig = unquote(orig)
            if orig.startswith(("http:/", "https:/")) and not orig.startswith(
                ("http://", "https://")
            ):
                orig = orig.replace(":/", "://", 1)  # proxies collapse '//' in paths
            return m[1], orig
    return None, url


class ArchiveClient:
    def __init__(self, archive: str, download: Download, run_id: str = "") -> None:
        self.archive = archive.rstrip("/")
        self.download = download
        self.run_id = run_id
        self.records: list[FetchRecord] = []
        self._cdx_cache: dict[tuple[str, str], list[CDXSnapshot]] = {}
        self.cdx_requests = 0
        self.replay_requests = 0
        self.malformed_cdx_lines = 0

    def drain(self) -> list[FetchRecord]:
        out, self.records = self.records, []
        return out

    def _record(
        self,
        site: str,
        url: str,
        kind: str,
        outcome: str,
        snapshot: str = "all",
        status: int | None = None,
        detail: str = "",
        archive_url: str | None = None,
        captured_at: datetime | None = None,
    ) -> None:
        self.records.append(
            FetchRecord(
                site=site,
                url=url,
                snapshot=snapshot,
                source="wayback",
                outcome=outcome,
                kind=kind,
                http_status=status,
                detail=detail,
                archive_url=archive_url,
                captured_at=captured_at,
                fetched_at=datetime.now(UTC),
                run_id=self.run_id,
            )
        )

    def _request(self, url: str) -> Request:
        return Request(
            url,
            dont_filter=True,
            meta={
                "dont_redirect": True,
                "handle_httpstatus_all": True,
                "dont_obey_robotstxt": True,
            },
        )

    async def captures(
        self, site: str, url: str, from_ts: str, to_ts: str, *, statuses: str = "200"
    ) -> list[CDXSnapshot]:
        """Captures of ``url`` in [from_ts, to_ts] over all resumeKey pages; cached.

        ``statuses``: "200" (the default query), "not200" (redirects and errors) or "any".
        """
        key = (url, statuses)
        if key in self._cdx_cache:
            return self._cdx_cache[key]
        records: list[CDXSnapshot] = []
        resume: str | None = None
        seen_keys: set[str] = set()
        for _ in range(MAX_CDX_PAGES):
            q = cdx_query_url(self.archive, url, from_ts=from_ts, to_ts=to_ts, resume_key=resume)
            if statuses == "not200":
                q = q.replace("filter=statuscode%3A200", "filter=%21statuscode%3A200")
            elif statuses == "any":
                q = q.replace("&filter=statuscode%3A200", "")
            self.cdx_requests += 1
            try:
                resp = await self.download(self._request(q))
            except Exception as exc:  # network failure after retries: record it, carry on
                self._record(site, q, "cdx", f"error_{type(exc).__name__}", detail=str(exc))
                break
            if resp.status != 200:
                self._record(
                    site,
                    q,
                    "cdx",
                    f"http_{resp.status}",
                    status=resp.status,
                    detail=resp.text[:300] if hasattr(resp, "text") else "",
                )
                break
            page = parse_cdx(resp.body)
            self.malformed_cdx_lines += page.malformed
            records.extend(page.records)
            self._record(
                site,
                q,
                "cdx",
                "ok",
                status=200,
                detail=f"{len(page.records)} captures, {page.malformed} malformed lines",
            )
            if not page.resume_key:
                break
            if page.resume_key in seen_keys:
                logger.warning(
                    "CDX for %s repeated resumeKey %r; stopping paging", url, page.resume_key
                )
                break
            seen_keys.add(page.resume_key)
            resume = page.resume_key
        self._cdx_cache[key] = records
        return records

    async def fetch(
        self, site: str, snapshot: str, timestamp: str, url: str, kind: str = "policy"
    ) -> Fetched | None:
        """Fetch one raw capture. Archive errors are recorded and give None."""
        aurl = raw_capture_url(self.archive, timestamp, url)
        self.replay_requests += 1
        try:
            resp = await self.download(self._request(aurl))
        except Exception as exc:
            self._record(
                site,
                url,
                kind,
                f"error_{type(exc).__name__}",
                snapshot,
                detail=str(exc),
                archive_url=aurl,
            )
            return None
        location = memento_ts = None
        if 300 <= resp.status < 400:
            raw_loc = resp.headers.get(b"Location")
            if raw_loc:
                target = urljoin(resp.url, raw_loc.decode("latin-1"))
                ts, orig = split_archive_url(self.archive, target)
                if ts is None and target.startswith(self.archive):
                    orig = target  # an archive page we cannot parse: treat as a dead end
                location = orig
                if ts and same_document(orig, url) and ts != timestamp:
                    # the archive's own redirect to the nearest memento, not an archived one
                    memento_ts = ts
        ctype = resp.headers.get(b"Content-Type")
        return Fetched(
            url=url,
            timestamp=timestamp,
            archive_url=aurl,
            status=resp.status,
            body=resp.body,
            content_type=ctype.decode("latin-1") if ctype else None,
            location=location,
            memento_ts=memento_ts,
        )
