"""Ask the Internet Archive's Save Page Now to preserve policies a live crawl fetched.

waybackpy's Save API does blocking HTTP with ``requests``; it runs in a thread, never on
the reactor, and a shared limiter keeps us below the service's limit (about 15 a minute).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from waybackpy import WaybackMachineSaveAPI

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://web.archive.org/save/"


@dataclass
class SaveOutcome:
    url: str
    outcome: str  # "saved" or "save_failed"
    archive_url: str | None = None
    detail: str = ""


def save_blocking(url: str, endpoint: str, user_agent: str, max_tries: int = 2) -> SaveOutcome:
    """One Save Page Now request through waybackpy (blocking: call it from a thread)."""
    api = WaybackMachineSaveAPI(url, user_agent=user_agent, max_tries=max_tries)
    api.request_url = endpoint + api.url  # the endpoint is configurable for local stand-ins
    api.sleep = lambda tries: time.sleep(1)  # type: ignore[method-assign]  # bounded retries
    try:
        archived = api.save()
    except Exception as exc:  # waybackpy raises several types; all are an outcome, not a crash
        return SaveOutcome(url, "save_failed", detail=f"{type(exc).__name__}: {exc}"[:500])
    return SaveOutcome(
        url, "saved", archive_url=archived, detail="cached" if api.cached_save else ""
    )


class SavePageNow:
    """Rate-limited, thread-backed Save Page Now client for use inside async callbacks."""

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        per_minute: float = 12,
        user_agent: str = "policyarchive",
    ) -> None:
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.interval = 60.0 / per_minute
        self.user_agent = user_agent
        self._lock = asyncio.Lock()
        self._last = 0.0

    async def save(self, url: str) -> SaveOutcome:
        async with self._lock:  # one at a time, spaced by the interval
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                logger.info(
                    "save page now: waiting %.1fs (rate limit %.0f/min)", wait, 60 / self.interval
                )
                await asyncio.sleep(wait)
            self._last = time.monotonic()
            return await asyncio.to_thread(save_blocking, url, self.endpoint, self.user_agent)
