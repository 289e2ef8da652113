"""What became of a page a spider yielded, for spiders that search on after a refusal.

The processing pipeline says it with ``page_processed`` (pipelines/steps/process.py); Scrapy
says it with ``item_dropped``/``item_error`` (a step before refused the page) or
``item_scraped`` (through every step: nothing refused it). A spider registers a page before
it yields it (``expect``) and awaits the answer after (``refused``); it only waits when it has
something left to try, so a run whose first candidates are policies waits for nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from pipelines.items import PolicyPage
from pipelines.steps.process import page_processed

logger = logging.getLogger(__name__)

# refusals that say the page is no policy: the search goes on. Others (a timeout, a crashed
# worker, "already_stored") say nothing about the page: the search ends there, as before
SEARCH_ON = ("not_a_policy", "extract_")
OUTCOME_WAIT_S = 900.0  # a page's processing outcome; past this the search stops as before


def searches_on(reason: str | None) -> bool:
    """True when a refusal ``reason`` says the page is no policy (so its links are worth a try)."""
    return reason is not None and reason.startswith(SEARCH_ON)


class Outcomes:
    """Futures for the pages a spider waits on, settled by the crawler's signals."""

    def __init__(self, crawler: Crawler, name: str, wait_s: float = OUTCOME_WAIT_S) -> None:
        self.name = name  # the spider's, for the log
        self.wait_s = wait_s
        self._waiting: dict[int, asyncio.Future[bool]] = {}
        # the signal manager holds weak references: the spider keeps this object alive
        crawler.signals.connect(self._processed, signal=page_processed)
        crawler.signals.connect(self._dropped, signal=signals.item_dropped)
        crawler.signals.connect(self._dropped, signal=signals.item_error)
        crawler.signals.connect(self._scraped, signal=signals.item_scraped)

    def expect(self, page: PolicyPage) -> asyncio.Future[bool]:
        """Call before yielding ``page``: processing may finish before the spider resumes."""
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[id(page)] = fut
        return fut

    async def refused(self, page: PolicyPage, fut: asyncio.Future[bool]) -> bool:
        """True when processing refused ``page`` as no policy; False otherwise or past the wait."""
        try:
            return await asyncio.wait_for(fut, self.wait_s)
        except TimeoutError:
            self._waiting.pop(id(page), None)
            logger.warning("%s: no outcome for %s in %gs", self.name, page.policy_url, self.wait_s)
            return False

    def _settle(self, page: Any, refused: bool) -> None:
        fut = self._waiting.pop(id(page), None) if isinstance(page, PolicyPage) else None
        if fut is not None and not fut.done():
            fut.set_result(refused)

    def _processed(self, page: PolicyPage, reason: str | None, **kw: Any) -> None:
        self._settle(page, searches_on(reason))

    def _dropped(self, item: Any, exception: BaseException, **kw: Any) -> None:
        self._settle(item, searches_on(getattr(exception, "reason", None)))

    def _scraped(self, item: Any, **kw: Any) -> None:
        self._settle(item, False)  # through every pipeline as it is: nothing refused it
