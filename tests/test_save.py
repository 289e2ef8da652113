"""Save Page Now client: waybackpy's Save API, off the reactor, rate-limited."""

from __future__ import annotations

import asyncio

from crawler.save import SavePageNow, save_blocking
from tests.test_live_e2e import SaveStandIn


def test_saved_and_refused_outcomes() -> None:
    s = SaveStandIn()
    try:
        ok = save_blocking("http://www.alpha.example/privacy.html", s.endpoint, "policyarchive")
        assert ok.outcome == "saved"
        assert ok.archive_url == (
            "https://web.archive.org/web/20261122000000/http://www.alpha.example/privacy.html"
        )
        refused = save_blocking("http://refuse.example/", s.endpoint, "policyarchive")
        assert refused.outcome == "save_failed" and "TooManyRequests" in refused.detail
    finally:
        s.close()


def test_requests_are_spaced_by_the_rate_limit() -> None:
    s = SaveStandIn()
    try:
        spn = SavePageNow(s.endpoint, per_minute=240)  # one every 0.25 s

        async def three() -> None:
            await asyncio.gather(*(spn.save(f"http://site{i}.example/p") for i in range(3)))

        asyncio.run(three())
        assert len(s.paths) == 3
        # a lower bound only: the service never sees two requests closer than the interval
        gaps = [b - a for a, b in zip(s.arrivals, s.arrivals[1:], strict=False)]
        assert min(gaps) >= 0.25 - 0.01
    finally:
        s.close()
