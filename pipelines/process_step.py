"""Pipeline step 200: the per-document work (extract → detect → clauses), in worker processes.

Extraction is CPU-bound; run inline it would stall the reactor and every download with it.
A bounded number of documents are in flight at once, so a fast download side cannot pile
up work without limit.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from pipelines.drops import Refused
from pipelines.items import Document, PolicyPage
from pipelines.process import NotAPolicy, Processed, process_page

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _run(page: PolicyPage, min_score: float) -> Processed | tuple[str, str]:
    # in the worker: return the refusal as data so the parent need not unpickle exceptions
    try:
        return process_page(page, min_policy_score=min_score)
    except NotAPolicy as exc:
        return (exc.reason, exc.detail)


class ProcessPipeline:
    def __init__(self, workers: int, timeout: float, min_score: float, crawler: Crawler) -> None:
        self.workers = workers
        self.timeout = timeout
        self.min_score = min_score
        self.stats = crawler.stats
        self.pool: ProcessPoolExecutor | None = None
        self.slots = asyncio.Semaphore(max(1, workers) * 2) if workers else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProcessPipeline:
        s = crawler.settings
        workers = s.get("POLICYARCHIVE_WORKERS")
        n = (os.cpu_count() or 1) if workers in (None, "") else int(workers)
        return cls(
            n,
            s.getfloat("POLICYARCHIVE_DOC_TIMEOUT"),
            s.getfloat("POLICYARCHIVE_MIN_POLICY_SCORE"),
            crawler,
        )

    def open_spider(self) -> None:
        if self.workers > 0:
            # spawn: a forked child of a running reactor inherits its sockets and threads
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
            logger.info("extraction runs in %d worker processes", self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PolicyPage):
            return item
        result = await self._process(item)
        if isinstance(result, tuple):
            reason, detail = result
            raise Refused(reason, detail)
        self.stats.inc_value("policyarchive/documents")
        self.stats.inc_value("policyarchive/clauses", len(result.clauses))
        return Document(snapshot=item.snapshot, policy=result.policy, clauses=result.clauses)

    async def _process(self, page: PolicyPage) -> Processed | tuple[str, str]:
        if self.pool is None or self.slots is None:
            return _run(page, self.min_score)
        async with self.slots:
            loop = asyncio.get_running_loop()
            fut = loop.run_in_executor(self.pool, _run, page, self.min_score)
            try:
                return await asyncio.wait_for(fut, self.timeout)
            except TimeoutError:
                return ("timeout", f"processing took longer than {self.timeout:.0f}s")
            except BrokenProcessPool as exc:
                return ("worker_crashed", str(exc))
