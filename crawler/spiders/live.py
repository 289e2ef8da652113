"""The live spider: each site's current privacy policy, straight from the web.

Homepage → privacy link (same scoring as the archive spider) → policy. A candidate that
processing refuses (a "Legal" hub, terms, an imprint) does not end the search: the privacy
link found on that page is tried next, then the remaining candidates, within the same caps
(MAX_TRIES fetches); each refused page has its own ``fetches`` row naming the type it was
taken for, so the rows tell the whole path. robots.txt is
obeyed (Scrapy's RobotsTxtMiddleware; a robots.txt that fails to download counts as
"allow all", Scrapy's documented behaviour). Redirects and policies on other hosts are fine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.args import LiveArgs
from crawler.failures import REDIRECT_BAD_SCHEME, TRUNCATED, failure_detail, failure_reason
from crawler.integrity import TRUNCATED_FLAG
from crawler.links import (
    common_policy_urls,
    find_policy_links,
    frames_to_search,
    links_to_follow,
)
from crawler.save import SavePageNow
from crawler.sites import SiteEntry
from crawler.spiders.base import PolicySpider
from crawler.spiders.outcomes import Outcomes
from pipelines.history.periods import period_of
from pipelines.items import FetchRecord, PolicyPage
from pipelines.storage.state import SiteDone

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 4
MAX_COMMON_PATHS = 4
MAX_TRIES = MAX_CANDIDATES + MAX_COMMON_PATHS  # policy candidates fetched per site, at most


class LiveSpider(PolicySpider):
    name = "live"
    args_model = LiveArgs
    args: LiveArgs
    outcomes: Outcomes

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> LiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.outcomes = Outcomes(crawler, cls.name)  # what processing made of each page
        return spider  # type: ignore[no-any-return]

    async def start(self) -> AsyncIterator[Any]:
        self.snapshot = period_of(datetime.now(UTC), self.args.every).label
        logger.info("live: %d sites, snapshot %s", len(self.args.sites), self.snapshot)
        self.saver: SavePageNow | None = None
        if self.args.save_to_archive:
            s = self.crawler.settings
            self.saver = SavePageNow(
                s.get("POLICYARCHIVE_SAVE_ENDPOINT"),
                s.getfloat("POLICYARCHIVE_SAVE_PER_MINUTE"),
                s.get("USER_AGENT"),
            )
        async for entry in self.site_entries():
            yield Request(
                "data:,",
                callback=self.crawl_site,
                cb_kwargs={"entry": entry},
                dont_filter=True,
                meta={"dont_obey_robotstxt": True},
            )

    def _rec(
        self,
        entry: SiteEntry,
        url: str,
        kind: str,
        outcome: str,
        status: int | None = None,
        detail: str = "",
    ) -> FetchRecord:
        self.crawler.stats.inc_value(f"policyarchive/live/{kind}/{outcome}")
        return FetchRecord(
            site=entry.site,
            url=url,
            snapshot=self.snapshot,
            source="live",
            outcome=outcome,
            kind=kind,
            http_status=status,
            detail=detail,
            fetched_at=datetime.now(UTC),
            run_id=self.run_id,
        )

    async def get(self, url: str) -> tuple[Response | None, str, str]:
        """(response, outcome, detail); outcome is "ok" or a reason slug (crawler.failures).

        HTTP redirects and meta refreshes are followed by Scrapy's middlewares (http and
        https only, at most REDIRECT_MAX_TIMES hops); every status reaches us, since a
        download through the engine skips the spider's HttpError filter.
        """
        try:
            resp = await self.download(Request(url, dont_filter=True))
        except Exception as exc:  # IgnoreRequest, or network errors after retries
            reason = failure_reason(exc)
            logger.info("live: %s: %s (%s)", url, reason, failure_detail(exc, 200))
            return None, reason, failure_detail(exc)
        if 300 <= resp.status < 400:
            location = resp.headers.get(b"Location", b"").decode("latin-1")
            if location and urlsplit(urljoin(resp.url, location)).scheme not in ("http", "https"):
                # Scrapy hands back a redirect it will not follow (file:, ftp:, data:, ...)
                logger.info("live: %s redirects to %s: not followed", url, location[:100])
                return resp, REDIRECT_BAD_SCHEME, f"redirect to {location[:300]}"
        if resp.status != 200:
            logger.info("live: %s: http_%d", url, resp.status)
            return resp, f"http_{resp.status}", ""
        if TRUNCATED_FLAG in resp.flags:
            logger.info("live: %s: %s", url, TRUNCATED)
            return resp, TRUNCATED, "compressed body ends before its end marker"
        return resp, "ok", ""

    async def crawl_site(self, response: Response, entry: SiteEntry) -> AsyncIterator[Any]:
        if not await self.claim(entry.site):
            return  # a distributed run: done, or another node is crawling it
        pages = 0
        async for item in self.crawl_site_items(entry):
            pages += isinstance(item, PolicyPage)
            yield item
        self.crawler.stats.inc_value("policyarchive/sites_done")  # the progress display's count
        # last: the writer knows when this site's pages are through (and, in a distributed
        # run, that the site is done once they are committed)
        yield SiteDone(entry.site, "live", "", pages)
        self.release(entry.site)

    async def crawl_site_items(self, entry: SiteEntry) -> AsyncIterator[Any]:
        # (url, how it was found, link text)
        candidates: list[tuple[str, str, str]] = []
        homepage_url: str | None = None
        if entry.policy_url:
            candidates.append((entry.policy_url, "input", ""))
        else:
            home, outcome, detail = await self.get(entry.homepage)
            yield self._rec(
                entry, entry.homepage, "homepage", outcome, home.status if home else None, detail
            )
            if home is not None and outcome == "ok":
                homepage_url = home.url
                links = find_policy_links(home.body, home.url)
                for frame_url in frames_to_search(home.body, home.url) if not links else []:
                    frame, f_outcome, f_detail = await self.get(frame_url)
                    status = frame.status if frame else None
                    yield self._rec(entry, frame_url, "homepage", f_outcome, status, f_detail)
                    if frame is not None and f_outcome == "ok":
                        links += find_policy_links(frame.body, frame.url)
                candidates += [(c.url, "live_link", c.anchor) for c in links[:MAX_CANDIDATES]]
            candidates += [
                (u, "common_path", "")
                for u in common_policy_urls(entry.homepage)[:MAX_COMMON_PATHS]
            ]
        tried: set[str] = set()
        fetched = refused = 0
        while candidates and fetched < MAX_TRIES:
            url, how, link_text = candidates.pop(0)
            if url in tried:
                continue
            tried.add(url)
            fetched += 1
            resp, outcome, detail = await self.get(url)
            if resp is None or outcome != "ok":
                yield self._rec(
                    entry, url, "policy_candidate", outcome, resp.status if resp else None, detail
                )
                continue
            tried.add(resp.url)
            ctype = resp.headers.get(b"Content-Type")
            redirects = (
                [u for u in resp.request.meta.get("redirect_urls", [])] if resp.request else []
            )
            page = PolicyPage(
                site=entry.site,
                source="live",
                policy_url=resp.url,
                captured_at=datetime.now(UTC),
                snapshot=self.snapshot,
                body=resp.body,
                http_status=resp.status,
                content_type=ctype.decode("latin-1") if ctype else None,
                homepage_url=homepage_url,
                discovered_by=how,
                redirects=redirects,
                run_id=self.run_id,
                link_text=link_text,
            )
            fut = self.outcomes.expect(page)
            yield page
            if await self.outcomes.refused(page, fut):
                # its fetches row (written by the pipeline) names what it was taken for; its
                # own privacy links come next: a "Legal" hub links the policy
                refused += 1
                candidates[:0] = [
                    (c.url, "refused_page_link", c.anchor)
                    for c in links_to_follow(resp.body, resp.url, tried)
                ]
                continue
            if self.saver is not None:
                result = await self.saver.save(resp.url)
                yield self._rec(
                    entry,
                    resp.url,
                    "save",
                    result.outcome,
                    detail=(f"{result.archive_url or ''} {result.detail}".strip()),
                )
            return
        if refused:
            return  # each refused page has its fetches row with its reason: that is the answer
        yield self._rec(
            entry,
            homepage_url or entry.homepage,
            "policy",
            "no_policy_found",
            detail=f"tried {fetched} candidate URLs",
        )
