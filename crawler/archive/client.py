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

from crawler.archive.cdx import (
    CdxPage,
    cdx_query_url,
    parse_cdx,
    raw_capture_url,
    same_document,
)
from crawler.archive.listing import HostListing, host_prefix
from crawler.failures import TRUNCATED, failure_detail, failure_reason
from crawler.integrity import TRUNCATED_FLAG
from crawler.links import meta_refresh_target
from pipelines.items import FetchRecord

logger = logging.getLogger(__name__)

Download = Callable[[Request], Awaitable[Response]]
_ARCHIVE_PATH = re.compile(r"/web/(\d{4,14})(?:[a-z]{2}_)?/(.+)$")
MAX_CDX_PAGES = 200
# one page of a host listing: small hosts fit whole; for a big one it still holds the
# homepage's captures (its key sorts first), and it is no bigger than a per-URL page
HOST_LISTING_ROWS = 5000
ARCHIVE_BLOCKED = "archive_blocked"  # the archive refuses to show this URL (exclusion)


def cdx_failure_outcome(status: int, runtime_error: str, body: str) -> str:
    """The reason slug for a CDX answer that is not 200.

    The Internet Archive answers an excluded ("blocked") URL with 403 and a
    ``X-Archive-Wayback-Runtime-Error: ...AdministrativeAccessControlException: Blocked
    Site Error`` header; anything else keeps its status: ``http_429``, ``http_503``, ...
    """
    error = runtime_error + " " + body[:500]
    if status == 403 and ("Blocked" in error or "AccessControl" in error):
        return ARCHIVE_BLOCKED
    return f"http_{status}"


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
    refresh: str | None = None  # a 200 page's <meta> refresh to another page (a moved page)


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
    def __init__(
        self, archive: str, download: Download, run_id: str = "", name: str | None = None
    ) -> None:
        self.archive = archive.rstrip("/")
        self.name = name or self.archive  # the ``archive`` column of its captures
        self.download = download
        self.run_id = run_id
        self.records: list[FetchRecord] = []
        # per site, dropped when the site is done: memory must not grow with the run
        # (site, url, from, to) → every capture listed, whatever its status
        self._cdx_cache: dict[tuple[str, str, str, str], list[CDXSnapshot]] = {}
        self.cdx_requests = 0
        self.replay_requests = 0
        self.malformed_cdx_lines = 0
        self.cdx_failures: dict[str, str] = {}  # url → why its CDX query failed
        # site → (from, to, its host's listing): per site, dropped with the cache
        self._listings: dict[str, tuple[str, str, HostListing]] = {}

    def forget_site(self, site: str) -> None:
        """Drop a finished site's cached CDX answers."""
        self._listings.pop(site, None)
        for key in [k for k in self._cdx_cache if k[0] == site]:
            del self._cdx_cache[key]

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

    def _request(self, url: str, endpoint: str | None = None, **meta: object) -> Request:
        """A request to the archive; ``endpoint`` names its rate-limit class when the URL
        shape does not tell (crawler/middlewares.py ``archive_endpoint``)."""
        extra: dict[str, object] = {"archive_endpoint": endpoint} if endpoint else {}
        return Request(
            url,
            dont_filter=True,
            meta={
                "dont_redirect": True,
                "handle_httpstatus_all": True,
                "dont_obey_robotstxt": True,
                **extra,
                **meta,
            },
        )

    # -- what other archives override (crawler/archive/sources.py) ---------------------
    def capture_url(self, site: str, timestamp: str, url: str) -> str:
        """Where the capture's raw bytes are: the ``archive_url`` of its document."""
        return raw_capture_url(self.archive, timestamp, url)

    def archive_of(self, site: str, timestamp: str, url: str) -> str:
        return self.name

    def split_url(self, target: str) -> tuple[str | None, str]:
        """An archive URL (a redirect's target) → (timestamp, original); else (None, target)."""
        return split_archive_url(self.archive, target)

    def owns(self, url: str) -> bool:
        """True for a URL inside the archive (not an original URL)."""
        return url.startswith(self.archive)

    def replay_endpoint(self) -> str | None:
        return None  # Wayback URL shapes: the middleware tells CDX from replay by itself

    async def captures(
        self, site: str, url: str, from_ts: str, to_ts: str, *, statuses: str = "200"
    ) -> list[CDXSnapshot]:
        """Captures of ``url`` in [from_ts, to_ts] over all resumeKey pages; cached.

        ``statuses``: "200" (the default), "not200" (redirects, errors and revisit records)
        or "any". One unfiltered query per URL serves all three: a period without a 200
        capture, common over the years, would otherwise cost a second query, and the
        archive's CDX API is the part of it with the tightest rate limit.
        """
        key = (site, url, from_ts, to_ts)
        records = self._cdx_cache.get(key)
        if records is None:
            records = self._listed(site, url, from_ts, to_ts)
        if records is None:
            records = self._cdx_cache[key] = await self._query_captures(site, url, from_ts, to_ts)
        if statuses == "200":
            return [r for r in records if r.statuscode == "200"]
        if statuses == "not200":
            return [r for r in records if r.statuscode != "200"]
        return list(records)

    async def list_host(self, site: str, homepage: str, from_ts: str, to_ts: str) -> None:
        """One prefix query for every capture on ``homepage``'s host (crawler/archive/listing.py).

        Later ``captures`` calls for URLs on that host are answered from it when it can
        vouch for them. A failed query counts as the homepage's own query failing: the
        same archive would refuse that one too.
        """
        prefix = host_prefix(homepage)
        q = cdx_query_url(
            self.archive,
            prefix,
            from_ts=from_ts,
            to_ts=to_ts,
            statuses=None,
            match_type="prefix",
            limit=HOST_LISTING_ROWS,
        )
        page = await self._cdx_page(site, homepage, q)
        if page is None:
            self._cdx_cache[(site, homepage, from_ts, to_ts)] = []
            return
        truncated = bool(page.resume_key) or len(page.records) + page.malformed >= HOST_LISTING_ROWS
        self._listings[site] = (
            from_ts,
            to_ts,
            HostListing.build(prefix, page.records, truncated=truncated),
        )

    def _listed(self, site: str, url: str, from_ts: str, to_ts: str) -> list[CDXSnapshot] | None:
        got = self._listings.get(site)
        if got is None or got[:2] != (from_ts, to_ts):
            return None
        return got[2].captures(url)

    async def _cdx_page(self, site: str, url: str, q: str) -> CdxPage | None:
        """One CDX request, recorded in ``fetches``; None (and ``cdx_failures[url]``) on failure."""
        self.cdx_requests += 1
        try:
            resp = await self.download(self._request(q))
        except Exception as exc:  # network failure after retries: record it, carry on
            reason = failure_reason(exc)
            self.cdx_failures[url] = reason
            self._record(site, q, "cdx", reason, detail=failure_detail(exc))
            logger.warning("CDX query for %s failed: %s", url, reason)
            return None
        if resp.status != 200:
            text = resp.body[:500].decode("utf-8", "replace")
            runtime_error = resp.headers.get(b"X-Archive-Wayback-Runtime-Error") or b""
            reason = cdx_failure_outcome(resp.status, runtime_error.decode("latin-1"), text)
            self.cdx_failures[url] = reason
            self._record(site, q, "cdx", reason, status=resp.status, detail=text[:300])
            logger.warning("CDX query for %s failed: %s", url, reason)
            return None
        page = parse_cdx(resp.body)
        self.malformed_cdx_lines += page.malformed
        if page.malformed:
            logger.warning("CDX for %s: skipped %d malformed lines", url, page.malformed)
        self._record(
            site,
            q,
            "cdx",
            "ok",
            status=200,
            detail=f"{len(page.records)} captures, {page.malformed} malformed lines",
        )
        return page

    async def _query_captures(
        self, site: str, url: str, from_ts: str, to_ts: str
    ) -> list[CDXSnapshot]:
        records: list[CDXSnapshot] = []
        resume: str | None = None
        seen_keys: set[str] = set()
        for _ in range(MAX_CDX_PAGES):
            q = cdx_query_url(
                self.archive, url, from_ts=from_ts, to_ts=to_ts, resume_key=resume, statuses=None
            )
            page = await self._cdx_page(site, url, q)
            if page is None:
                break
            records.extend(page.records)
            if not page.resume_key:
                break
            if page.resume_key in seen_keys:
                logger.warning(
                    "CDX for %s repeated resumeKey %r; stopping paging", url, page.resume_key
                )
                break
            seen_keys.add(page.resume_key)
            resume = page.resume_key
        return records

    async def fetch(
        self, site: str, snapshot: str, timestamp: str, url: str, kind: str = "policy"
    ) -> Fetched | None:
        """Fetch one raw capture. Archive errors are recorded and give None."""
        aurl = self.capture_url(site, timestamp, url)
        self.replay_requests += 1
        try:
            resp = await self.download(self._request(aurl, self.replay_endpoint()))
        except Exception as exc:  # network failure after retries: record it, carry on
            reason = failure_reason(exc)
            logger.warning("replay of %s failed: %s", aurl, reason)
            self._record(
                site, url, kind, reason, snapshot, detail=failure_detail(exc), archive_url=aurl
            )
            return None
        if TRUNCATED_FLAG in resp.flags:
            self._record(
                site,
                url,
                kind,
                TRUNCATED,
                snapshot,
                resp.status,
                detail="compressed body ends before its end marker",
                archive_url=aurl,
            )
            return None
        location = memento_ts = None
        if 300 <= resp.status < 400:
            raw_loc = resp.headers.get(b"Location")
            if raw_loc:
                target = urljoin(resp.url, raw_loc.decode("latin-1"))
                ts, orig = self.split_url(target)
                if ts is None and self.owns(target):
                    orig = target  # an archive page we cannot parse: treat as a dead end
                location = orig
                if ts and same_document(orig, url) and ts != timestamp:
                    # the archive's own redirect to the nearest memento, not an archived one
                    memento_ts = ts
        ctype = resp.headers.get(b"Content-Type")
        content_type = ctype.decode("latin-1") if ctype else None
        refresh = None
        if resp.status == 200 and "html" in (content_type or "html").lower():
            refresh = meta_refresh_target(resp.body, url)
        return Fetched(
            url=url,
            timestamp=timestamp,
            archive_url=aurl,
            status=resp.status,
            body=resp.body,
            content_type=content_type,
            location=location,
            memento_ts=memento_ts,
            refresh=refresh,
        )
