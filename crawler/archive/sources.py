"""Every archive as one kind of source: "captures of URL in [from, to]" and "the raw
capture". The Wayback spider talks to one of these and never asks which archive it is.

* :class:`ArchiveClient` (crawler/archive/client.py): Wayback-shaped archives (the
  Internet Archive, pywb) through their CDX API and ``id_`` replay.
* :class:`CommonCrawlClient`: each crawl's CDX index, then the record by HTTP Range.
* :class:`MementoClient`: any RFC 7089 archive through its TimeMaps and mementos.
* :class:`MultiClient`: several of them at once; captures are merged, so the one nearest a
  period's middle wins whoever holds it, and each capture is fetched from its own archive.

Archive specs (``--archive``, repeatable): ``ia`` (the Internet Archive), an http(s) base
URL with Wayback URL shapes, ``commoncrawl`` (every crawl meeting the period) or
``commoncrawl:CC-MAIN-2019-22,CC-MAIN-2019-26``, and ``memento:<TimeMap base URL>``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from waybackpy.cdx_snapshot import CDXSnapshot

from crawler.archive.client import ArchiveClient, Download, Fetched
from crawler.archive.commoncrawl import (
    BAD_RECORD,
    DEFAULT_CC_DATA,
    DEFAULT_CC_INDEX,
    CcCapture,
    Crawl,
    cdx_query,
    check_range,
    no_captures_message,
    num_pages,
    parse_cc_cdx,
    parse_collinfo,
    range_header,
    read_record,
    select_crawls,
)
from crawler.archive.listing import HostListing, host_prefix
from crawler.archive.memento import (
    LINK_FORMAT,
    pages_to_follow,
    parse_timemap,
    raw_memento_url,
    split_memento,
)
from crawler.failures import failure_detail, failure_reason
from crawler.links import meta_refresh_target
from pipelines.history.periods import parse_ts14
from pipelines.items import FetchRecord

logger = logging.getLogger(__name__)

IA_BASE = "https://web.archive.org"
MAX_TIMEMAP_PAGES = 50
# a host listing of more index pages than this, in one crawl, is not paged: the spider asks
# about ~8 URLs per site and crawl (homepage, its privacy links, probed paths), so per-URL
# queries cost less than 1 + N requests past it
MAX_HOST_PAGES = 8
# endpoint classes for the politeness middleware (rates in crawler/settings.py)
CC_INDEX, CC_DATA, TIMEMAP, MEMENTO = "cc_index", "cc_data", "timemap", "memento"
COLLINFO_UNAVAILABLE = "collinfo_unavailable"
UNKNOWN_CAPTURE = "unknown_capture"


class ArchiveSpecError(ValueError):
    """An ``--archive`` value none of the known shapes fits."""


@dataclass(frozen=True)
class ArchiveSpec:
    kind: str  # "wayback" | "commoncrawl" | "memento"
    base: str  # Wayback base URL, TimeMap base URL, or "" for Common Crawl
    crawls: tuple[str, ...] = ()  # Common Crawl ids; empty = every crawl meeting the period

    @property
    def name(self) -> str:
        """The ``archive`` column's value for captures from here."""
        if self.kind == "commoncrawl":
            return "commoncrawl"
        if self.kind == "memento":
            return f"memento:{urlsplit(self.base).hostname}"
        return "ia" if self.base == IA_BASE else self.base


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArchiveSpecError(f"{what}: not an http(s) URL: {value!r}")
    return value


def parse_archive_spec(value: str) -> ArchiveSpec:
    text = value.strip()
    if text in ("ia", "wayback"):
        return ArchiveSpec("wayback", IA_BASE)
    if text == "commoncrawl" or text.startswith("commoncrawl:"):
        ids = tuple(i.strip() for i in text.partition(":")[2].split(",") if i.strip())
        bad = [i for i in ids if not i.startswith("CC-MAIN-")]
        if bad:
            raise ArchiveSpecError(f"not a Common Crawl crawl id: {bad[0]!r} (CC-MAIN-2019-22)")
        return ArchiveSpec("commoncrawl", "", ids)
    if text.startswith("memento:"):
        base = _http_url(text.removeprefix("memento:"), "memento TimeMap base")
        return ArchiveSpec("memento", base)
    return ArchiveSpec("wayback", _http_url(text.rstrip("/"), "archive"))


# -- Common Crawl ----------------------------------------------------------------------
class CommonCrawlClient(ArchiveClient):
    """Common Crawl: per URL, each selected crawl's CDX index; per capture, one range."""

    def __init__(
        self,
        download: Download,
        run_id: str = "",
        *,
        index: str = DEFAULT_CC_INDEX,
        data: str = DEFAULT_CC_DATA,
        crawl_ids: tuple[str, ...] = (),
        start: datetime,
        end: datetime,
    ) -> None:
        super().__init__(index, download, run_id, name="commoncrawl")
        self.data = data.rstrip("/")
        self.crawl_ids = crawl_ids
        self.start, self.end = start, end
        self._crawls: list[Crawl] | None = None
        self._crawls_error: str | None = None
        self._lock = asyncio.Lock()
        self._where: dict[str, dict[tuple[str, str], CcCapture]] = {}  # per site

    def forget_site(self, site: str) -> None:
        super().forget_site(site)
        self._where.pop(site, None)

    async def list_host(self, site: str, homepage: str, from_ts: str, to_ts: str) -> None:
        """Every capture on the homepage's host, per crawl (crawler/archive/listing.py).

        Common Crawl's index answers in pages and a query without ``page=`` is page 0 only,
        so per crawl: ``showNumPages`` (1 request, reads only the secondary index), then
        ``page=0…N-1``. That is 1 + N requests, the same as asking pages until the 400 past
        the end, but a host absent from a crawl costs one request instead of two, and a
        host of more than ``MAX_HOST_PAGES`` pages is not paged at all. A 400 on a page
        (the index changed under us) ends the paging without an error.

        Used only when every crawl answered; otherwise (an error, an index that does not
        count pages, too many pages) each URL is asked about on its own, as without a
        listing.
        """
        prefix = host_prefix(homepage)
        lo, hi = parse_ts14(from_ts), parse_ts14(to_ts)
        found: list[CcCapture] = []
        for crawl in await self.crawls(site):
            if not crawl.meets(lo, hi):
                continue
            pages = await self._num_pages(site, prefix, crawl, from_ts, to_ts)
            if pages is None:
                return  # unreadable or too big: per-URL queries it is
            for page in range(pages):
                q = cdx_query(crawl.cdx_api, prefix, from_ts, to_ts, prefix=True, page=page)
                got = await self._index(site, prefix, q, crawl)
                if got is None:
                    return
                found += got[0]
                if got[2] == 400:  # past the end: the pages that exist are all read
                    break
        where = self._where.setdefault(site, {})
        for cap in found:
            where[(cap.snapshot.timestamp, cap.snapshot.original)] = cap
        listing = HostListing.build(
            prefix, [c.snapshot for c in found], truncated=False, prefix_known=True
        )
        self._listings[site] = (from_ts, to_ts, listing)

    async def _num_pages(
        self, site: str, prefix: str, crawl: Crawl, from_ts: str, to_ts: str
    ) -> int | None:
        """How many index pages the host's prefix query has in ``crawl``; None when the
        index cannot tell or the host is too big to list."""
        q = cdx_query(crawl.cdx_api, prefix, from_ts, to_ts, prefix=True, show_num_pages=True)
        self.cdx_requests += 1
        try:
            resp = await self.download(self._request(q, CC_INDEX))
        except Exception as exc:  # network failure after retries: record it, carry on
            self._record(site, q, "cdx", failure_reason(exc), detail=failure_detail(exc))
            return None
        pages = num_pages(resp.body) if resp.status == 200 else None
        text = resp.body[:300].decode("utf-8", "replace")
        if pages is None:  # an error, or an index that does not count pages: not a failure
            outcome = "ok" if resp.status == 200 else f"http_{resp.status}"
            self._record(site, q, "cdx", outcome, status=resp.status, detail=text)
            return None
        self._record(site, q, "cdx", "ok", status=200, detail=text)
        if pages > MAX_HOST_PAGES:
            logger.info("%s: %d index pages in %s; asking per URL", prefix, pages, crawl.id)
            return None
        return pages

    async def _index(
        self, site: str, url: str, q: str, crawl: Crawl
    ) -> tuple[list[CcCapture], int, int] | None:
        """One index request: (captures, malformed lines, HTTP status), or None when it
        failed. A 404 (no captures) or a 400 (page past the end) is no captures."""
        self.cdx_requests += 1
        try:
            resp = await self.download(self._request(q, CC_INDEX))
        except Exception as exc:  # network failure after retries: record it, carry on
            reason = failure_reason(exc)
            self.cdx_failures[url] = reason
            self._record(site, q, "cdx", reason, detail=failure_detail(exc))
            return None
        if resp.status != 200:
            nothing = no_captures_message(resp.status, resp.body)
            if nothing is not None:
                self._record(site, q, "cdx", "ok", status=resp.status, detail=nothing[:300])
                return [], 0, resp.status
            reason = f"http_{resp.status}"
            self.cdx_failures[url] = reason
            text = resp.body[:300].decode("utf-8", "replace")
            self._record(site, q, "cdx", reason, status=resp.status, detail=text)
            return None
        caps, bad = parse_cc_cdx(resp.body, crawl.id)
        self.malformed_cdx_lines += bad
        self._record(
            site, q, "cdx", "ok", status=200, detail=f"{len(caps)} captures, {bad} malformed"
        )
        return caps, bad, 200

    async def crawls(self, site: str) -> list[Crawl]:
        """The crawls to ask, read once from ``collinfo.json``."""
        async with self._lock:
            if self._crawls is None:
                self._crawls = await self._read_collinfo(site)
        if self._crawls_error:
            self.cdx_failures["*"] = self._crawls_error
        return self._crawls

    async def _read_collinfo(self, site: str) -> list[Crawl]:
        url = f"{self.archive}/collinfo.json"
        self.cdx_requests += 1
        try:
            resp = await self.download(self._request(url, CC_INDEX))
        except Exception as exc:  # network failure after retries: record it, carry on
            self._crawls_error = COLLINFO_UNAVAILABLE
            self._record(site, url, "cdx", failure_reason(exc), detail=failure_detail(exc))
            logger.error("Common Crawl collinfo.json unreadable: %s", failure_reason(exc))
            return []
        try:
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status}")
            listed = parse_collinfo(resp.body, self.archive)
        except ValueError as exc:
            self._crawls_error = COLLINFO_UNAVAILABLE
            self._record(
                site, url, "cdx", COLLINFO_UNAVAILABLE, status=resp.status, detail=str(exc)
            )
            logger.error("Common Crawl collinfo.json unreadable: %s", exc)
            return []
        chosen, missing = select_crawls(listed, self.start, self.end, self.crawl_ids)
        for cid in missing:
            logger.warning("Common Crawl: crawl %s is not in %s; skipped", cid, url)
        self._record(
            site, url, "cdx", "ok", status=200, detail=f"{len(chosen)} of {len(listed)} crawls"
        )
        logger.info("Common Crawl: %d crawls: %s", len(chosen), ", ".join(c.id for c in chosen))
        return chosen

    async def _query_captures(
        self, site: str, url: str, from_ts: str, to_ts: str
    ) -> list[CDXSnapshot]:
        out: list[CDXSnapshot] = []
        where = self._where.setdefault(site, {})
        lo, hi = parse_ts14(from_ts), parse_ts14(to_ts)
        for crawl in await self.crawls(site):
            if not crawl.meets(lo, hi):
                continue
            got = await self._index(site, url, cdx_query(crawl.cdx_api, url, from_ts, to_ts), crawl)
            if got is None:
                continue
            caps = got[0]
            for cap in caps:
                where[(cap.snapshot.timestamp, cap.snapshot.original)] = cap
                out.append(cap.snapshot)
        return out

    def _located(self, site: str, timestamp: str, url: str) -> CcCapture | None:
        return self._where.get(site, {}).get((timestamp, url))

    def capture_url(self, site: str, timestamp: str, url: str) -> str:
        cap = self._located(site, timestamp, url)
        if cap is None:
            return f"{self.data}/"
        return f"{self.data}/{cap.filename}#offset={cap.offset}&length={cap.length}"

    def owns(self, url: str) -> bool:
        return url.startswith((self.data, self.archive))

    async def fetch(
        self, site: str, snapshot: str, timestamp: str, url: str, kind: str = "policy"
    ) -> Fetched | None:
        cap = self._located(site, timestamp, url)
        aurl = self.capture_url(site, timestamp, url)
        if cap is None:
            self._record(site, url, kind, UNKNOWN_CAPTURE, snapshot, archive_url=aurl)
            return None
        req = self._request(
            f"{self.data}/{cap.filename}",
            CC_DATA,
            retry_on_403=True,  # the CDN's 403 is its way of saying "slow down"
            # for --warc-out (crawler/warcout.py): the range is a record of this capture
            warc_record={
                "url": url,
                "timestamp": timestamp,
                "offset": cap.offset,
                "length": cap.length,
                "archive_url": aurl,
            },
        )
        req.headers["Range"] = range_header(cap.offset, cap.length)
        self.replay_requests += 1
        try:
            resp = await self.download(req)
        except Exception as exc:  # network failure after retries: record it, carry on
            self._record(
                site,
                url,
                kind,
                failure_reason(exc),
                snapshot,
                detail=failure_detail(exc),
                archive_url=aurl,
            )
            return None
        crange = resp.headers.get(b"Content-Range")
        refused = check_range(
            resp.status,
            crange.decode("latin-1") if crange else None,
            resp.body,
            cap.offset,
            cap.length,
        )
        if refused is None:
            try:
                rec = read_record(resp.body)
            except ValueError as exc:
                refused, why = BAD_RECORD, str(exc)
        else:
            why = f"HTTP {resp.status}, {len(resp.body)} bytes for {cap.length} asked; not read"
        if refused is not None:
            self._record(
                site, url, kind, refused, snapshot, resp.status, detail=why, archive_url=aurl
            )
            return None
        location = urljoin(url, rec.location) if rec.location else None
        refresh = None
        if rec.status == 200 and "html" in (rec.content_type or "html").lower():
            refresh = meta_refresh_target(rec.body, url)
        return Fetched(
            url=url,
            timestamp=timestamp,
            archive_url=aurl,
            status=rec.status,
            body=rec.body,
            content_type=rec.content_type,
            location=location,
            refresh=refresh,
        )


# -- Memento ----------------------------------------------------------------------------
class MementoClient(ArchiveClient):
    """An RFC 7089 archive: the TimeMap (all its pages) per URL, mementos in ``id_`` form."""

    def __init__(self, timemap_base: str, download: Download, run_id: str = "") -> None:
        super().__init__(timemap_base, download, run_id)
        self.timemap_base = timemap_base
        self.name = f"memento:{urlsplit(timemap_base).hostname}"
        self.prefix: str | None = None  # replay prefix, learned from the first memento
        self._uris: dict[str, dict[tuple[str, str], str]] = {}  # per site: capture → memento

    def forget_site(self, site: str) -> None:
        super().forget_site(site)
        self._uris.pop(site, None)

    async def list_host(self, site: str, homepage: str, from_ts: str, to_ts: str) -> None:
        return None  # TimeMaps are per URL

    async def _query_captures(
        self, site: str, url: str, from_ts: str, to_ts: str
    ) -> list[CDXSnapshot]:
        lo, hi = parse_ts14(from_ts), parse_ts14(to_ts)
        uris = self._uris.setdefault(site, {})
        out: dict[tuple[str, str], CDXSnapshot] = {}
        todo, seen = [self.timemap_base + url], set()
        while todo and len(seen) < MAX_TIMEMAP_PAGES:
            tm = todo.pop(0)
            seen.add(tm)
            self.cdx_requests += 1
            req = self._request(tm, TIMEMAP)
            req.headers["Accept"] = LINK_FORMAT
            try:
                resp = await self.download(req)
            except Exception as exc:  # network failure after retries: record it, carry on
                reason = failure_reason(exc)
                self.cdx_failures[url] = reason
                self._record(site, tm, "cdx", reason, detail=failure_detail(exc))
                break
            if resp.status == 404:  # RFC 7089: no mementos of this URL
                self._record(site, tm, "cdx", "ok", status=404, detail="no TimeMap")
                break
            if resp.status != 200:
                reason = f"http_{resp.status}"
                self.cdx_failures[url] = reason
                text = resp.body[:300].decode("utf-8", "replace")
                self._record(site, tm, "cdx", reason, status=resp.status, detail=text)
                break
            page = parse_timemap(resp.body.decode("utf-8", "replace"), url)
            self.malformed_cdx_lines += page.malformed
            self._record(
                site,
                tm,
                "cdx",
                "ok",
                status=200,
                detail=f"{len(page.mementos)} mementos, {page.malformed} malformed",
            )
            for m in page.mementos:
                if not lo <= m.when <= hi:
                    continue
                if self.prefix is None and (split := split_memento(m.uri)):
                    self.prefix = split[0]
                key = (m.timestamp, m.original)
                uris.setdefault(key, m.uri)
                # a TimeMap says nothing of status or type: the fetch tells
                out.setdefault(
                    key,
                    CDXSnapshot(
                        {
                            "urlkey": "-",
                            "timestamp": m.timestamp,
                            "original": m.original,
                            "mimetype": "unk",
                            "statuscode": "200",
                            "digest": "-",
                            "length": "-",
                        }
                    ),
                )
            todo += pages_to_follow(page.pages, seen | set(todo), lo, hi)
        return sorted(out.values(), key=lambda r: r.timestamp)

    def capture_url(self, site: str, timestamp: str, url: str) -> str:
        uri = self._uris.get(site, {}).get((timestamp, url))
        if uri is not None:
            return raw_memento_url(uri)
        base = self.prefix or self.timemap_base
        return f"{base}{timestamp}id_/{url}"

    def split_url(self, target: str) -> tuple[str | None, str]:
        if self.prefix and target.startswith(self.prefix):
            split = split_memento(target)
            if split is not None:
                return split[1], split[2]
        return None, target

    def owns(self, url: str) -> bool:
        return bool(self.prefix and url.startswith(self.prefix))

    def replay_endpoint(self) -> str | None:
        return MEMENTO


# -- several archives ---------------------------------------------------------------------
class MultiClient:
    """Several archives as one: merged captures, each fetched from the archive that has it."""

    def __init__(self, clients: list[ArchiveClient], run_id: str = "") -> None:
        self.clients = clients
        self.run_id = run_id
        self.records: list[FetchRecord] = []
        self._owner: dict[str, dict[tuple[str, str], ArchiveClient]] = {}

    @property
    def cdx_failures(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for c in reversed(self.clients):
            merged.update(c.cdx_failures)
        return merged

    def forget_site(self, site: str) -> None:
        self._owner.pop(site, None)
        for c in self.clients:
            c.forget_site(site)

    def drain(self) -> list[FetchRecord]:
        out, self.records = self.records, []
        for c in self.clients:
            out += c.drain()
        return out

    def _record(self, *args: object, **kw: object) -> None:
        self.clients[0]._record(*args, **kw)  # type: ignore[arg-type]

    async def list_host(self, site: str, homepage: str, from_ts: str, to_ts: str) -> None:
        for c in self.clients:
            await c.list_host(site, homepage, from_ts, to_ts)

    async def captures(
        self, site: str, url: str, from_ts: str, to_ts: str, *, statuses: str = "200"
    ) -> list[CDXSnapshot]:
        owners = self._owner.setdefault(site, {})
        out: list[CDXSnapshot] = []
        for c in self.clients:
            for rec in await c.captures(site, url, from_ts, to_ts, statuses=statuses):
                key = (rec.timestamp, rec.original)
                if owners.setdefault(key, c) is c:  # the same capture twice: the first archive
                    out.append(rec)
        return out

    def _client(self, site: str, timestamp: str, url: str) -> ArchiveClient:
        return self._owner.get(site, {}).get((timestamp, url), self.clients[0])

    def capture_url(self, site: str, timestamp: str, url: str) -> str:
        return self._client(site, timestamp, url).capture_url(site, timestamp, url)

    def archive_of(self, site: str, timestamp: str, url: str) -> str:
        return self._client(site, timestamp, url).name

    async def fetch(
        self, site: str, snapshot: str, timestamp: str, url: str, kind: str = "policy"
    ) -> Fetched | None:
        client = self._client(site, timestamp, url)
        got = await client.fetch(site, snapshot, timestamp, url, kind)
        if got is not None and got.memento_ts:
            # the archive sent us to another of its captures: that one is its too (also as
            # the spider names it afterwards: the first capture's time, the new URL)
            owners = self._owner.setdefault(site, {})
            owners.setdefault((got.memento_ts, got.location or url), client)
            owners.setdefault((timestamp, got.location or url), client)
        return got


def make_client(
    specs: list[ArchiveSpec],
    download: Download,
    run_id: str,
    *,
    start: datetime,
    end: datetime,
    cc_index: str = DEFAULT_CC_INDEX,
    cc_data: str = DEFAULT_CC_DATA,
) -> ArchiveClient | MultiClient:
    clients: list[ArchiveClient] = []
    for spec in specs:
        if spec.kind == "commoncrawl":
            clients.append(
                CommonCrawlClient(
                    download,
                    run_id,
                    index=cc_index,
                    data=cc_data,
                    crawl_ids=spec.crawls,
                    start=start,
                    end=end,
                )
            )
        elif spec.kind == "memento":
            clients.append(MementoClient(spec.base, download, run_id))
        else:
            clients.append(ArchiveClient(spec.base, download, run_id, name=spec.name))
    if len(clients) == 1:
        return clients[0]
    return MultiClient(clients, run_id)
