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

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.args import LiveArgs
from crawler.failures import REDIRECT_BAD_SCHEME, TRUNCATED, failure_detail, failure_reason
from crawler.integrity import TRUNCATED_FLAG
from crawler.links import common_policy_urls, find_policy_links, frames_to_search
from crawler.save import SavePageNow
from crawler.sites import SiteEntry
from crawler.spiders.base import PolicySpider
from pipelines.history.periods import period_of
from pipelines.items import FetchRecord, PolicyPage
from pipelines.steps.process import page_processed
from pipelines.storage.state import SiteDone

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 4
MAX_COMMON_PATHS = 4
MAX_TRIES = MAX_CANDIDATES + MAX_COMMON_PATHS  # policy candidates fetched per site, at most
FOLLOW_FROM_REFUSED = 2  # privacy links taken from a refused candidate page
# refusals that say the page is no policy: the search goes on. Others (a timeout, a crashed
# worker, "already_stored") say nothing about the page: the search ends there, as before
SEARCH_ON = ("not_a_policy", "extract_")
OUTCOME_WAIT_S = 900.0  # a page's processing outcome; past this the search stops as before


class LiveSpider(PolicySpider):
    name = "live"
    args_model = LiveArgs
    args: LiveArgs

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> LiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._waiting = {}
        crawler.signals.connect(spider._processed, signal=page_processed)
        crawler.signals.connect(spider._dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._dropped, signal=signals.item_error)
        crawler.signals.connect(spider._scraped, signal=signals.item_scraped)
        return spider  # type: ignore[no-any-return]

    # -- what became of a yielded page (pipelines/steps/process.py says) ----------------
    def _settle(self, page: Any, refused: bool) -> None:
        fut = self._waiting.pop(id(page), None) if isinstance(page, PolicyPage) else None
        if fut is not None and not fut.done():
            fut.set_result(refused)

    def _processed(self, page: PolicyPage, reason: str | None, **kw: Any) -> None:
        self._settle(page, reason is not None and reason.startswith(SEARCH_ON))

    def _dropped(self, item: Any, exception: BaseException, **kw: Any) -> None:
        self._settle(item, getattr(exception, "reason", "").startswith(SEARCH_ON))

    def _scraped(self, item: Any, **kw: Any) -> None:
        self._settle(item, False)  # through every pipeline as it is: nothing refused it

    def _expect(self, page: PolicyPage) -> asyncio.Future[bool]:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[id(page)] = fut
        return fut

    async def _refused(self, page: PolicyPage, fut: asyncio.Future[bool]) -> bool:
        try:
            return await asyncio.wait_for(fut, OUTCOME_WAIT_S)
        except TimeoutError:
            self._waiting.pop(id(page), None)
            logger.warning("live: no outcome for %s in %gs", page.policy_url, OUTCOME_WAIT_S)
            return False

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
            fut = self._expect(page)
            yield page
            if await self._refused(page, fut):
                # its fetches row (written by the pipeline) names what it was taken for; its
                # own privacy links come next: a "Legal" hub links the policy
                refused += 1
                follow = [
                    (c.url, "refused_page_link", c.anchor)
                    for c in find_policy_links(resp.body, resp.url)
                    if c.url not in tried
                ][:FOLLOW_FROM_REFUSED]
                candidates[:0] = follow
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
