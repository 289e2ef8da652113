"""Pipeline step 200: the per-document work (extract → detect → clauses), in worker processes.

Extraction is CPU-bound; run inline it would stall the reactor and every download with it.
So documents go to a pool of worker processes (one per core by default), with:

* a real per-document time limit: a page still running after ``POLICYARCHIVE_DOC_TIMEOUT``
  seconds has its worker killed and replaced (pebble's ProcessPool), and the page gets a
  ``fetches`` row with reason ``timeout``. A worker that dies (segfault, ``os._exit``, the
  OOM killer) costs only its own page (``worker_crashed``); the pool starts a new one.
* bounded queues: at most ``2 × workers`` documents are in the pool at once (a semaphore);
  items beyond that wait here, and Scrapy's ``CONCURRENT_ITEMS`` stops each callback's
  output from running ahead of them. Each site's callback is a separate response, though,
  so with thousands of sites the waiting items could still grow: above a high-water mark
  the engine is paused (no new sites are started; downloads already under way finish) and
  it resumes once the pool has drained to its low-water mark.

``POLICYARCHIVE_WORKERS = 0`` runs the same code inline on the reactor thread (no time
limit is possible there: CPU-bound Python cannot be interrupted in-thread).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pebble import ProcessExpired, ProcessPool

from pipelines.items import Document, PolicyPage
from pipelines.process import (
    DEFAULT_DOCUMENTS,
    DEFAULT_PROCESSOR,
    ConfigError,
    Processed,
    check_processor,
    parse_documents,
    run_page,
    warm_up,
    worker_count,
)
from pipelines.steps.drops import Refused

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# sent once a page is processed: page, reason (None when it became a document), document_type
page_processed = object()

Outcome = Processed | tuple[str, str] | tuple[str, str, str | None]


@dataclass
class WorkerPool:
    """A process pool that turns every failure of one document into a reason.

    ``await pool.run(page)`` gives a :class:`Processed` or ``(reason, detail)``; it never
    raises for a bad document, so one page cannot stop a run.
    """

    workers: int
    timeout: float
    min_score: float
    processor: str = DEFAULT_PROCESSOR
    documents: tuple[str, ...] = DEFAULT_DOCUMENTS

    def __post_init__(self) -> None:
        # spawn: a forked child of a running reactor would inherit its sockets and threads
        self.pool = ProcessPool(
            max_workers=self.workers,
            initializer=warm_up,
            initargs=(self.processor,),
            context=multiprocessing.get_context("spawn"),
        )
        self.slots = asyncio.Semaphore(2 * self.workers)  # in the pool: running or next up

    async def run(self, page: PolicyPage) -> Outcome:
        async with self.slots:
            future = self.pool.schedule(
                run_page,
                args=(self.processor, page, self.min_score, self.documents),
                timeout=self.timeout,
            )
            try:
                return await asyncio.wrap_future(future)
            except TimeoutError:
                detail = f"processing took longer than {self.timeout:g}s; worker replaced"
                return ("timeout", detail)
            except ProcessExpired as exc:
                return ("worker_crashed", f"worker exited with code {exc.exitcode}")
            except CancelledError:
                return ("cancelled", "the run was stopped before this page was processed")
            except Exception as exc:  # a bug in the per-document code: say so, carry on
                logger.error(
                    "processing %s failed: %r\n%s",
                    page.policy_url,
                    exc,
                    getattr(exc, "traceback", ""),
                )
                return ("processing_error", f"{type(exc).__name__}: {exc}"[:500])

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=30)


def _documents(setting: object) -> tuple[str, ...]:
    try:
        return parse_documents(setting)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"POLICYARCHIVE_DOCUMENTS: {exc}") from None


class ProcessPipeline:
    def __init__(
        self,
        workers: int,
        timeout: float,
        min_score: float,
        crawler: Crawler,
        processor: str = DEFAULT_PROCESSOR,
        documents: tuple[str, ...] = DEFAULT_DOCUMENTS,
    ) -> None:
        self.documents = documents
        self.workers = workers
        self.timeout = timeout
        self.min_score = min_score
        self.processor = processor
        self.crawler = crawler
        self.stats = crawler.stats
        self.pool: WorkerPool | None = None
        # pages here (waiting + in the pool); the engine pauses above the high-water mark
        self.pending = 0
        self.high_water = max(8, 8 * workers)
        self.low_water = 2 * workers
        self.paused = False
        self.paused_at = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProcessPipeline:
        s = crawler.settings
        return cls(
            worker_count(s.get("POLICYARCHIVE_WORKERS")),
            s.getfloat("POLICYARCHIVE_DOC_TIMEOUT"),
            s.getfloat("POLICYARCHIVE_MIN_POLICY_SCORE"),
            crawler,
            check_processor(s.get("POLICYARCHIVE_PROCESSOR") or DEFAULT_PROCESSOR),
            getattr(crawler.spider, "documents", None)
            or _documents(s.get("POLICYARCHIVE_DOCUMENTS")),
        )

    def open_spider(self) -> None:
        if self.workers > 0:
            self.pool = WorkerPool(
                self.workers, self.timeout, self.min_score, self.processor, self.documents
            )
            logger.info(
                "extraction runs in %d worker processes (limit %gs per document)",
                self.workers,
                self.timeout,
            )
        else:
            logger.info("extraction runs inline on the reactor thread (POLICYARCHIVE_WORKERS=0)")

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PolicyPage):
            return item
        result = await self._process(item)
        if isinstance(result, tuple):
            reason, detail = result[0], result[1]
            document_type = result[2] if len(result) > 2 else None
            if reason == "worker_init_failed":  # the run cannot do its job: exit status 1
                logger.error("%s: %s (%s)", item.policy_url, reason, detail)
            elif reason in ("timeout", "worker_crashed"):
                logger.warning("%s: %s (%s)", item.policy_url, reason, detail)
            self._announce(item, document_type, reason)
            raise Refused(reason, detail, document_type)
        self._announce(item, result.policy.get("document_type"), None)
        self.stats.inc_value("policyarchive/documents")
        self.stats.inc_value("policyarchive/clauses", len(result.clauses))
        return Document(snapshot=item.snapshot, policy=result.policy, clauses=result.clauses)

    async def _process(self, page: PolicyPage) -> Outcome:
        if self.pool is None:
            try:
                return run_page(self.processor, page, self.min_score, self.documents)
            except Exception as exc:  # same contract as the pool: a reason, not a crash
                logger.exception("processing %s failed", page.policy_url)
                return ("processing_error", f"{type(exc).__name__}: {exc}"[:500])
        self.pending += 1
        if self.pending >= self.high_water and not self.paused:
            self._pause()
        try:
            return await self.pool.run(page)
        finally:
            self.pending -= 1
            if self.paused and self.pending <= self.low_water:
                self._unpause()

    def _announce(self, page: PolicyPage, document_type: str | None, reason: str | None) -> None:
        """Tell the spider what became of its page (``reason`` None: stored), so that
        discovery can go on after a refusal."""
        self.crawler.signals.send_catch_log(
            page_processed, page=page, reason=reason, document_type=document_type
        )

    # -- back-pressure on the download side -------------------------------------------
    def _pause(self) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        engine.pause()
        self.paused, self.paused_at = True, time.monotonic()
        self.stats.inc_value("policyarchive/backpressure/pauses")
        logger.debug("%d pages wait for extraction: not starting new requests", self.pending)

    def _unpause(self) -> None:
        engine = self.crawler.engine
        self.paused = False
        self.stats.inc_value(
            "policyarchive/backpressure/paused_s", round(time.monotonic() - self.paused_at, 3)
        )
        if engine is None:
            return
        engine.unpause()
        # wake the engine now rather than at its next 5-second heartbeat
        slot = getattr(engine, "_slot", None)
        if slot is not None and getattr(slot, "nextcall", None) is not None:
            slot.nextcall.schedule()
