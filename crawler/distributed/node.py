"""A node of a distributed run: which sites it takes, and the Scrapy settings it needs.

Every node is started with the same sites file, output, Redis URL and run name. The first
puts the sites in Redis: that set of leases is the run's shared frontier. Each node leases a
few sites at a time (``POLICYARCHIVE_NODE_SITES``), renews its leases while it works, and
stops when every site of the run is done. Requests go through scrapy-redis's scheduler (each
node its own queue, kept in Redis) and duplicate filter. The queue is the node's own because a
shared one let every node pop the sites another had just leased: the leasing node then waited
on sites it no longer had, and two nodes were slower than one (measured with
``bench/bench_distributed.py``). Before crawling, a node claims the site
(:meth:`SiteLeases.claim`), so two nodes never crawl one site at once. A site is done when
its rows are committed (:class:`pipelines.storage.shared.SharedRecord`), never before: the
sites of a node killed at any moment come back to the others when its leases run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import UsageError

from crawler.distributed.leases import SiteLeases
from crawler.sites import SiteEntry
from pipelines.steps.parquet import commit_requested, recover_requested, sites_committed
from pipelines.storage.shared import client_options, run_prefix

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)


class DistributedAddon:
    """Scrapy add-on: with ``POLICYARCHIVE_REDIS_URL`` set, the run is shared through Redis."""

    def update_settings(self, settings: Settings) -> None:
        url = settings.get("POLICYARCHIVE_REDIS_URL")
        if not url:
            return
        run = settings.get("POLICYARCHIVE_RUN_NAME")
        if not run:
            raise UsageError("a distributed run needs a name: --run NAME (POLICYARCHIVE_RUN_NAME)")
        if not settings.get("POLICYARCHIVE_NODE_ID"):
            # the empty default is a project setting: set it at that priority, not below
            node = f"{socket.gethostname()}-{os.getpid()}"
            priority = settings.getpriority("POLICYARCHIVE_NODE_ID") or "addon"
            settings.set("POLICYARCHIVE_NODE_ID", node, priority)
        node = settings.get("POLICYARCHIVE_NODE_ID").replace("%", "%%")  # a %-format key
        prefix = run_prefix(run)
        for key, value in {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,  # a node that stops does not empty the shared queue
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
            "SCHEDULER_QUEUE_KEY": prefix + "requests:%(spider)s:" + node,
            "SCHEDULER_DUPEFILTER_KEY": prefix + "dupefilter:%(spider)s",
            "DUPEFILTER_KEY": prefix + "dupefilter:%(timestamp)s",
            "REDIS_URL": url,
            "REDIS_PARAMS": client_options(),  # the scheduler's client rides out a restart
        }.items():
            settings.set(key, value, "addon")


def async_client_options() -> dict[str, Any]:
    from redis.asyncio.retry import Retry

    opts = client_options()
    opts["retry"] = Retry(opts["retry"]._backoff, 25)
    return opts


class Node:
    def __init__(self, crawler: Crawler) -> None:
        import redis.asyncio

        s = crawler.settings
        self.crawler = crawler
        self.run = s.get("POLICYARCHIVE_RUN_NAME")
        self.node = s.get("POLICYARCHIVE_NODE_ID")
        self.capacity = max(1, s.getint("POLICYARCHIVE_NODE_SITES"))
        self.poll = s.getfloat("POLICYARCHIVE_NODE_POLL_SECONDS")
        ttl = s.getfloat("POLICYARCHIVE_LEASE_SECONDS")
        self.redis = redis.asyncio.Redis.from_url(
            s.get("POLICYARCHIVE_REDIS_URL"), **async_client_options()
        )
        self.leases = SiteLeases(self.redis, self.run, self.node, ttl_s=ttl)
        self.renew_every = max(0.2, ttl / 3)
        self.active: set[str] = set()  # sites this node holds a lease on, until committed
        self.working: set[str] = set()  # of those, sites not yet crawled to the end
        self._renewer: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        crawler.signals.connect(self._committed, signal=sites_committed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Node | None:
        return cls(crawler) if crawler.settings.get("POLICYARCHIVE_REDIS_URL") else None

    def _committed(self, sites: Iterable[str]) -> None:
        self.active.difference_update(sites)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                # a site another node claimed from the shared queue is no longer ours
                self.active &= await self.leases.owned(self.active)
                self.working &= self.active
                await self.leases.renew(self.active)
                await self.leases.heartbeat()
            except Exception as exc:  # Redis restarting: the next round tries again
                logger.warning("node %s: could not renew its leases: %s", self.node, exc)

    async def entries(self, sites: Iterable[SiteEntry]) -> AsyncIterator[SiteEntry]:
        """The sites this node leases, until every site of the run is done."""
        by_site = {e.site: e for e in sites}
        if await self.leases.load(by_site):
            logger.info("run %s: this node put its %d sites in Redis", self.run, len(by_site))
        self._renewer = asyncio.ensure_future(self._renew_loop())
        stats = self.crawler.stats
        while True:
            room = self.capacity - len(self.working)
            if room <= 0:
                await self._wait_for_room()
                continue
            try:
                self.crawler.signals.send_catch_log(recover_requested)
                got = await self.leases.acquire(room)
            except Exception as exc:
                logger.warning("node %s: Redis unavailable (%s); retrying", self.node, exc)
                await asyncio.sleep(self.poll)
                continue
            for site in got:
                entry = by_site.get(site)
                if entry is None:  # another node's sites file has a site ours does not
                    logger.error("run %s: site %s is not in this node's sites file", self.run, site)
                    continue
                self.active.add(site)
                self.working.add(site)
                stats.inc_value("policyarchive/distributed/leased")
                yield entry
            if got:
                continue
            try:
                progress = await self.leases.progress()
            except Exception as exc:
                logger.warning("node %s: Redis unavailable (%s); retrying", self.node, exc)
                await asyncio.sleep(self.poll)
                continue
            stats.set_value("policyarchive/distributed/sites_done", progress.done)
            stats.set_value("policyarchive/distributed/sites_total", progress.total)
            if progress.complete:
                logger.info("run %s complete: %d sites done", self.run, progress.done)
                await self._drop_request_queues()
                break
            if not self.working and self.active:
                # nothing to crawl here: commit what this node has settled (its sites are
                # done only then) and look again at once: the run may be complete now
                self.crawler.signals.send_catch_log(commit_requested)
                if not self.active:
                    continue
            # wait for the others' leases to end or run out
            await self._wait_for_room()
        await self.close()

    async def claim(self, site: str) -> bool:
        ok = await self.leases.claim(site)
        if ok:
            self.active.add(site)
            self.working.add(site)
        else:
            self.crawler.stats.inc_value("policyarchive/distributed/not_claimed")
            logger.info("node %s: %s is done or crawled by another node; skipped", self.node, site)
        return ok

    def release(self, site: str) -> None:
        """The site is crawled: room for another (its lease is kept until it is committed)."""
        self.working.discard(site)
        self._room.set()

    async def _wait_for_room(self) -> None:
        """Until a site of this node is crawled, or ``poll`` seconds (to look again)."""
        self._room.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._room.wait(), self.poll)

    async def _drop_request_queues(self) -> None:
        """Every site is done: what is left in any node's queue (a killed node's requests)
        would only be refused by :meth:`claim`, so the run's queues go."""
        try:
            pattern = run_prefix(self.run) + "requests:*"
            async for key in self.redis.scan_iter(match=pattern, count=100):
                await self.redis.delete(key)
        except Exception as exc:  # only tidiness is lost
            logger.warning("run %s: could not remove old request queues: %s", self.run, exc)

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None


def distributed_settings(redis_url: str | None, run: str | None) -> dict[str, Any]:
    """Settings for ``--redis URL --run NAME`` (the add-on derives the rest)."""
    if not redis_url:
        if run:
            raise UsageError("--run names a distributed run: give --redis URL too")
        return {}
    if not run:
        raise UsageError("--redis needs --run NAME: every node of one run uses the same name")
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise UsageError(f"cannot reach Redis at {redis_url}: {exc}") from None
    return {"POLICYARCHIVE_REDIS_URL": redis_url, "POLICYARCHIVE_RUN_NAME": run}
