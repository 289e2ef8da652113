"""The Wayback spider: each site's privacy policy, period by period, from a web archive.

For each site: plan periods → find the policy URL as of each period (explicit, the
archived homepage's privacy link, or a common path with captures) → pick one capture per
snapshot (closest to the period's middle; every distinct version with ``every=capture``)
→ fetch the raw capture, following archived redirects only through the archive and only
inside the period → yield PolicyPage items. Every dead end is a FetchRecord with its reason.

A chosen capture that processing refuses as no policy (a "Legal" hub found on the homepage,
an imprint, terms) does not end the period's search: the privacy links on that archived page
(at most 2, best first) are tried next, as archived in the same period, within
MAX_TRIES_PER_PERIOD captures; the policy found so has ``discovered_by = "refused_page_link"``.
The spider learns a page's outcome from the pipeline (crawler/spiders/outcomes.py), and only
for pages that have such links: a site whose chosen captures are policies costs nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from waybackpy.cdx_snapshot import CDXSnapshot

from crawler.archive.cdx import (
    captured_at,
    closest_to_midpoint,
    distinct_versions,
    in_period,
    is_revisit,
    same_document,
    usable,
)
from crawler.archive.client import Fetched
from crawler.archive.sources import make_client, parse_archive_spec
from crawler.args import WaybackArgs
from crawler.links import (
    common_policy_urls,
    find_policy_links,
    frames_to_search,
    links_to_follow,
)
from crawler.sites import SiteEntry
from crawler.spiders.base import PolicySpider
from crawler.spiders.outcomes import Outcomes
from crawler.warcout import capture_reused
from pipelines.history.periods import Period, parse_ts14, plan_periods
from pipelines.items import FetchRecord, PolicyPage
from pipelines.storage.state import SiteDone, StoredSnapshots

logger = logging.getLogger(__name__)

MAX_LINK_CANDIDATES = 4
MAX_COMMON_PATHS = 8
MAX_REDIRECT_HOPS = 5
# policy captures fetched for one snapshot, at most: the chosen one, then privacy links on
# pages refused as no policy (the same cap as the homepage links looked up)
MAX_TRIES_PER_PERIOD = MAX_LINK_CANDIDATES
REFUSED_PAGE_LINK = "refused_page_link"


@dataclass
class Choice:
    """The capture chosen for one snapshot and how its URL was found."""

    rec: CDXSnapshot
    discovered_by: str
    homepage_url: str | None = None


@dataclass
class Lead:
    """A yielded page with privacy links not yet tried: they are, if processing refuses it."""

    period: Period
    snapshot: str
    homepage_url: str | None
    page: PolicyPage
    outcome: asyncio.Future[bool]  # True: refused as no policy
    links: list[str]  # to try next, best first
    tried: set[str]
    tries: int  # policy captures fetched for this snapshot so far


NO_HOMEPAGE: Any = object()  # choose(): no homepage capture in the period (decide later)


class WaybackSpider(PolicySpider):
    name = "wayback"
    args_model = WaybackArgs
    args: WaybackArgs
    outcomes: Outcomes

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WaybackSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.outcomes = Outcomes(crawler, cls.name)  # what processing made of a page
        return spider  # type: ignore[no-any-return]

    async def start(self) -> AsyncIterator[Any]:
        self.periods = plan_periods(self.args.start, self.args.end, self.args.every)
        self.client = make_client(
            [parse_archive_spec(a) for a in self.args.archives],
            self.download,
            self.run_id,
            start=self.periods[0].start,
            end=self.periods[-1].end,
            cc_index=self.args.cc_index,
            cc_data=self.args.cc_data,
        )
        self.from_ts, self.to_ts = self.periods[0].from_ts, self.periods[-1].to_ts
        # snapshots an earlier run already stored are not fetched again (pipelines/storage/state.py)
        out = self.crawler.settings.get("OUTPUT_DIR")
        self.stored = StoredSnapshots(out, "wayback", self.args.archive)
        logger.info(
            "wayback: %d sites × %d periods (%s) from %s",
            len(self.args.sites),
            len(self.periods),
            self.args.every,
            self.args.archive,
        )
        async for entry in self.site_entries():
            # one cheap local request per site starts its story; the rest is awaited inline
            yield Request(
                "data:,",
                callback=self.crawl_site,
                cb_kwargs={"entry": entry},
                dont_filter=True,
                meta={"dont_obey_robotstxt": True},
            )

    async def crawl_site(self, response: Response, entry: SiteEntry) -> AsyncIterator[Any]:
        if not await self.claim(entry.site):
            return  # a distributed run: done, or another node is crawling it
        pages = 0
        async for item in self.crawl_site_items(entry):
            pages += isinstance(item, PolicyPage)
            yield item
        self.client.forget_site(entry.site)
        self.crawler.stats.inc_value("policyarchive/sites_done")  # the progress display's count
        # last: lets the writer settle this site's snapshots once its pages are through
        yield SiteDone(entry.site, "wayback", self.args.archive, pages)
        self.release(entry.site)

    async def crawl_site_items(self, entry: SiteEntry) -> AsyncIterator[Any]:
        choices: dict[str, Choice | None] = {}
        links_by_digest: dict[str, list[str]] = {}
        no_home: list[Period] = []
        if self.args.every != "capture" and all(
            self.stored.has(entry.site, p.label, p.end) for p in self.periods
        ):
            self.crawler.stats.inc_value("policyarchive/skipped/already_stored", len(self.periods))
            return  # every snapshot of this site is stored: nothing to ask the archive
        if not entry.policy_url:
            # the homepage, its links and the common paths: one index query for the host
            await self.client.list_host(entry.site, entry.homepage, self.from_ts, self.to_ts)
        for period in self.periods:
            choice = await self.choose(entry, period, links_by_digest)
            if choice is NO_HOMEPAGE:
                no_home.append(period)
                choice = None
            for rec in self.client.drain():
                yield rec
            choices[period.label] = choice
        for period in no_home:
            # no homepage capture in this period: try the policy URLs that the homepage linked
            # in the nearest periods before looking no further
            choices[period.label] = await self.choose_from_neighbours(entry, period, choices)
            for rec in self.client.drain():
                yield rec
        if self.args.every == "capture":
            async for item in self.every_version(entry, choices):
                yield item
            return
        bodies: dict[str, Fetched] = {}  # cdx digest → fetched capture: re-use, don't refetch
        leads: list[Lead] = []
        for period in self.periods:
            choice = choices[period.label]
            if choice is None:
                continue
            if self.stored.has(entry.site, period.label, period.end):
                self.crawler.stats.inc_value("policyarchive/skipped/already_stored")
                continue
            item = await self.fetch_policy(entry, period, period.label, choice, bodies)
            for rec in self.client.drain():
                yield rec
            if item is not None:
                tried = {choice.rec.original}
                lead = self.lead(item, period, period.label, choice.homepage_url, tried, 1)
                if lead is not None:
                    leads.append(lead)
                yield item
        # the other periods' fetches gave processing its time: now ask what it made of them
        for lead in leads:
            async for item in self.follow_refused(entry, lead, bodies):
                yield item

    async def every_version(
        self, entry: SiteEntry, choices: dict[str, Choice | None]
    ) -> AsyncIterator[Any]:
        """``every=capture``: each distinct version the site's policy went through, once.

        The policy URL can change between periods; versions are distinct when the digest
        differs from the previous capture of the site's policy, whatever its URL.
        """
        timeline: list[tuple[CDXSnapshot, Period, Choice]] = []
        for period in self.periods:
            choice = choices[period.label]
            if choice is None:
                continue
            recs = await self.client.captures(
                entry.site, choice.rec.original, self.from_ts, self.to_ts, statuses="any"
            )
            # revisit records are captures too: the first version inside the window, or the
            # policy going back to an earlier text
            recs = [r for r in recs if usable(r) or is_revisit(r)]
            timeline += [(r, period, choice) for r in in_period(recs, period)]
        for r in self.client.drain():
            yield r
        context = {rec.timestamp + rec.original: (p, c) for rec, p, c in timeline}
        bodies: dict[str, Fetched] = {}
        for rec in distinct_versions([rec for rec, _, _ in timeline]):
            period, choice = context[rec.timestamp + rec.original]
            if self.stored.has(entry.site, rec.timestamp):
                self.crawler.stats.inc_value("policyarchive/skipped/already_stored")
                continue
            c = Choice(rec, choice.discovered_by, choice.homepage_url)
            item = await self.fetch_policy(entry, period, rec.timestamp, c, bodies)
            for r in self.client.drain():
                yield r
            if item is not None:
                yield item

    # -- finding the policy URL for a period ------------------------------------------
    async def choose(
        self, entry: SiteEntry, period: Period, links_by_digest: dict[str, list[str]]
    ) -> Choice | None:
        if entry.policy_url:
            rec = await self.closest(entry, entry.policy_url, period)
            if rec is None:
                failed = self.client.cdx_failures.get(entry.policy_url)
                self.no_policy(
                    entry,
                    period,
                    entry.policy_url,
                    failed or "no_capture_in_period",
                    f"the archive index could not be read: {failed}"
                    if failed
                    else "the given policy URL has no capture in this period",
                )
                return None
            return Choice(rec, "input")
        homepage = await self.homepage_links(entry, period, links_by_digest)
        if homepage is not None:
            home_url, links = homepage
            for url in links[:MAX_LINK_CANDIDATES]:
                rec = await self.closest(entry, url, period)
                if rec is not None:
                    return Choice(rec, "homepage_link", home_url)
        for url in common_policy_urls(entry.homepage)[:MAX_COMMON_PATHS]:
            rec = await self.closest(entry, url, period, redirects_ok=False)
            if rec is not None:
                return Choice(rec, "common_path", homepage[0] if homepage else None)
        if homepage is None:
            return NO_HOMEPAGE  # decided after every period's homepage has been seen
        else:
            self.no_policy(
                entry,
                period,
                homepage[0],
                "no_policy_found",
                f"homepage links tried: {homepage[1][:MAX_LINK_CANDIDATES]}; "
                "no common policy path captured in this period",
            )
        return None

    async def choose_from_neighbours(
        self, entry: SiteEntry, period: Period, choices: dict[str, Choice | None]
    ) -> Choice | None:
        """Policy URLs found through the homepage in other periods, nearest period first."""
        mid = period.midpoint
        found = [
            (abs((p.midpoint - mid).total_seconds()), c)
            for p in self.periods
            if (c := choices.get(p.label)) is not None and c.discovered_by == "homepage_link"
        ]
        tried: set[str] = set()
        for _, c in sorted(found, key=lambda x: x[0]):
            if c.rec.original in tried:
                continue
            tried.add(c.rec.original)
            rec = await self.closest(entry, c.rec.original, period)
            if rec is not None:
                return Choice(rec, "nearby_homepage_link", c.homepage_url)
        self.no_policy(
            entry,
            period,
            entry.homepage,
            "no_capture_in_period",
            "no homepage capture in this period; no common policy path and no policy URL "
            f"linked from the homepage in other periods captured here (tried {len(tried)})",
        )
        return None

    def no_policy(
        self, entry: SiteEntry, period: Period, url: str, outcome: str, detail: str
    ) -> None:
        self.crawler.stats.inc_value(f"policyarchive/dropped/{outcome}")
        self.client.records.append(
            FetchRecord(
                site=entry.site,
                url=url,
                snapshot=period.label,
                source="wayback",
                outcome=outcome,
                kind="policy",
                detail=detail,
                run_id=self.run_id,
            )
        )

    async def closest(
        self, entry: SiteEntry, url: str, period: Period, *, redirects_ok: bool = True
    ) -> CDXSnapshot | None:
        """The 200 capture of ``url`` nearest the period's middle; else its revisit record (an
        identical re-capture) nearest it; else an archived redirect."""
        recs = await self.client.captures(entry.site, url, self.from_ts, self.to_ts)
        # choose among all 200 captures: a period may hold only re-captures of an old version
        rec = closest_to_midpoint([r for r in recs if usable(r)], period)
        if rec is not None:
            return rec
        others = await self.client.captures(
            entry.site, url, self.from_ts, self.to_ts, statuses="not200"
        )
        # the page re-captured unchanged and stored as a revisit (the Internet Archive
        # does this a lot): the policy is there, its body is the digest's
        rec = closest_to_midpoint([r for r in others if is_revisit(r)], period)
        if rec is None and redirects_ok:
            redirects = [r for r in others if r.statuscode.startswith("3")]
            rec = closest_to_midpoint(redirects, period)
        return rec

    async def homepage_links(
        self, entry: SiteEntry, period: Period, links_by_digest: dict[str, list[str]]
    ) -> tuple[str, list[str]] | None:
        """Privacy links on the homepage as archived in this period (None: no capture)."""
        recs = await self.client.captures(
            entry.site, entry.homepage, self.from_ts, self.to_ts, statuses="any"
        )
        ok = [r for r in recs if r.statuscode == "200" or r.statuscode.startswith("3")]
        rec = closest_to_midpoint(ok, period) or closest_to_midpoint(
            [r for r in recs if is_revisit(r)], period
        )
        if rec is None:
            return None
        if rec.digest != "-" and rec.digest in links_by_digest:
            # used without a fetch: --warc-out stores it as a revisit (crawler/warcout.py)
            self.crawler.signals.send_catch_log(
                capture_reused,
                rec=rec,
                archive=self.args.archive,
                archive_url=self.client.capture_url(entry.site, rec.timestamp, rec.original),
            )
            return rec.original, links_by_digest[rec.digest]
        url, ts = rec.original, rec.timestamp
        for _ in range(MAX_REDIRECT_HOPS):
            got = await self.client.fetch(entry.site, period.label, ts, url, kind="homepage")
            if got is None:
                return None
            # the archive's own redirect to another memento: follow it exactly
            target = got.memento_ts and (got.memento_ts, got.location or url)
            if not target and got.location:
                nxt = await self.closest(entry, got.location, period)
                target = nxt and (nxt.timestamp, nxt.original)
            if 300 <= got.status < 400 and target:
                ts, url = target
                if not period.contains(parse_ts14(ts)):
                    break
                continue
            if got.status == 200 and got.refresh:  # a <meta refresh> stub homepage
                nxt = await self.closest(entry, got.refresh, period)
                if nxt is not None:
                    ts, url = nxt.timestamp, nxt.original
                    continue
            if got.status != 200:
                self.client._record(
                    entry.site,
                    url,
                    "homepage",
                    f"http_{got.status}",
                    period.label,
                    got.status,
                    archive_url=got.archive_url,
                )
                return None
            links = [c.url for c in find_policy_links(got.body, url)]
            if not links:  # a frameset: the links live in its frames
                links = await self.links_in_frames(entry, period, got.body, url)
            self.client._record(
                entry.site,
                url,
                "homepage",
                "ok",
                period.label,
                200,
                detail=f"{len(links)} privacy link candidates",
                archive_url=got.archive_url,
            )
            if rec.digest != "-":
                links_by_digest[rec.digest] = links
            return url, links
        return None

    # -- after a refusal: the refused page's privacy links ------------------------------
    def lead(
        self,
        page: PolicyPage,
        period: Period,
        snapshot: str,
        homepage_url: str | None,
        tried: set[str],
        tries: int,
        queued: list[str] | None = None,
    ) -> Lead | None:
        """Watch ``page``'s outcome when something is left to try should it be refused: its
        own privacy links (resolved against its original URL), then the links ``queued``."""
        if tries >= MAX_TRIES_PER_PERIOD:
            return None
        tried = tried | {page.policy_url, *page.redirects}
        own: list[str] = []
        if "html" in (page.content_type or "text/html").lower():
            own = [c.url for c in links_to_follow(page.body, page.policy_url, tried)]
        links = own + [u for u in queued or [] if u not in own]
        if not links:
            return None  # nothing to try: no need to know
        fut = self.outcomes.expect(page)
        return Lead(period, snapshot, homepage_url, page, fut, links, tried, tries)

    async def follow_refused(
        self, entry: SiteEntry, lead: Lead | None, bodies: dict[str, Fetched]
    ) -> AsyncIterator[Any]:
        """While the page last tried is refused as no policy: the next privacy link, as
        archived in the same period. The refused page's ``fetches`` row (the pipeline's)
        names what it was taken for; the next link's row follows it."""
        while lead is not None and await self.outcomes.refused(lead.page, lead.outcome):
            refused, lead = lead, None
            queue, tried, tries = list(refused.links), set(refused.tried), refused.tries
            period, snapshot, home = refused.period, refused.snapshot, refused.homepage_url
            while queue and tries < MAX_TRIES_PER_PERIOD:
                url = queue.pop(0)
                tried.add(url)
                rec = await self.closest(entry, url, period)
                if rec is None:
                    self.client._record(
                        entry.site,
                        url,
                        "policy_candidate",
                        "no_capture_in_period",
                        snapshot,
                        detail=f"privacy link on {refused.page.policy_url} (refused): "
                        "no capture in this period",
                    )
                    continue
                tries += 1
                choice = Choice(rec, REFUSED_PAGE_LINK, home)
                page = await self.fetch_policy(entry, period, snapshot, choice, bodies)
                for r in self.client.drain():
                    yield r
                if page is None:
                    continue
                tried.add(rec.original)
                # its own links first should it be refused too, then the rest of the queue
                lead = self.lead(page, period, snapshot, home, tried, tries, queue)
                yield page
                break
            for r in self.client.drain():
                yield r

    # -- fetching the chosen capture ---------------------------------------------------
    async def links_in_frames(
        self, entry: SiteEntry, period: Period, body: bytes, url: str
    ) -> list[str]:
        """Privacy links in a frameset homepage's frames, as archived in this period."""
        links: list[str] = []
        for frame_url in frames_to_search(body, url):
            rec = await self.closest(entry, frame_url, period)
            if rec is None:
                continue
            got = await self.client.fetch(
                entry.site, period.label, rec.timestamp, rec.original, kind="homepage"
            )
            if got is not None and got.status == 200:
                links += [c.url for c in find_policy_links(got.body, rec.original)]
        return links

    async def fetch_policy(
        self,
        entry: SiteEntry,
        period: Period,
        snapshot: str,
        choice: Choice,
        bodies: dict[str, Fetched],
    ) -> PolicyPage | None:
        rec = choice.rec
        url, ts = rec.original, rec.timestamp
        redirects: list[str] = []
        got = bodies.get(rec.digest) if rec.digest != "-" else None
        if got is not None:
            self.crawler.stats.inc_value("policyarchive/replay_reused")
        for _ in range(MAX_REDIRECT_HOPS + 1):
            if got is None:
                got = await self.client.fetch(entry.site, snapshot, ts, url)
                if got is None:
                    return None
            moved_to = None  # where an archived redirect or a <meta refresh> stub points
            if 300 <= got.status < 400:
                if got.memento_ts and period.contains(parse_ts14(got.memento_ts)):
                    # the archive's own redirect to another memento: follow it exactly
                    ts, url, got = got.memento_ts, got.location or url, None
                    continue
                moved_to = got.location or ""
                how = "archived redirect"
            elif got.status == 200 and got.refresh:
                moved_to, how = got.refresh, "meta refresh"
            if moved_to is None:
                break
            nxt: CDXSnapshot | None = None
            if moved_to and not same_document(moved_to, url):
                nxt = await self.closest(entry, moved_to, period)
            if nxt is None:
                self.client._record(
                    entry.site,
                    url,
                    "policy",
                    "redirect_outside_period",
                    snapshot,
                    got.status,
                    detail=f"{how} to {moved_to or None}: no capture of the target inside "
                    "the period",
                    archive_url=got.archive_url,
                )
                self.crawler.stats.inc_value("policyarchive/dropped/redirect_outside_period")
                return None
            redirects.append(url)
            url, ts, rec, got = nxt.original, nxt.timestamp, nxt, None
        else:
            self.client._record(entry.site, url, "policy", "too_many_redirects", snapshot)
            return None
        assert got is not None
        if got.status != 200:
            self.client._record(
                entry.site,
                url,
                "policy",
                f"http_{got.status}",
                snapshot,
                got.status,
                archive_url=got.archive_url,
            )
            self.crawler.stats.inc_value(f"policyarchive/dropped/http_{got.status}")
            return None
        if rec.digest != "-":
            bodies[rec.digest] = got
        return PolicyPage(
            site=entry.site,
            source="wayback",
            policy_url=url,
            captured_at=captured_at(rec),
            snapshot=snapshot,
            body=got.body,
            http_status=got.status,
            content_type=got.content_type,
            archive=self.client.archive_of(entry.site, rec.timestamp, rec.original),
            archive_url=self.client.capture_url(entry.site, rec.timestamp, url),
            cdx_digest=rec.digest if rec.digest != "-" else None,
            homepage_url=choice.homepage_url,
            discovered_by=choice.discovered_by,
            redirects=redirects,
            run_id=self.run_id,
        )
