"""Downloader middlewares that keep the crawl welcome: politeness and robots.txt.

``PolitenessMiddleware`` replaces Scrapy's RetryMiddleware. Every request belongs to an
*endpoint* — CDX queries, replay (``/web/``) fetches, or one live host — and each endpoint
has its own rate limit, its own exponential backoff and its own circuit breaker:

* rate: requests start at most every ``1/rate`` seconds (CDX 20 a minute, replay 5 a
  second, live sites 1 a second per host by default; loopback hosts are not throttled
  unless ``POLICYARCHIVE_THROTTLE_LOOPBACK`` is on, so tests stay fast);
* backoff: a 429, a 5xx, or a refused/reset/timed-out connection pauses the endpoint for
  ``Retry-After`` (seconds or HTTP-date) when the server sent one, else for
  ``base * 2**(n-1)`` seconds after the n-th failure in a row; the request is retried
  (``RETRY_TIMES``) once the pause is over;
* an archived error is not a failure: a replay answered with a 429 or 5xx *and* a
  ``Memento-Datetime`` is the capture's own status (the archive sends none when it
  throttles us), so it goes to the spider as it is, once;
* breaker: after ``POLICYARCHIVE_BREAKER_THRESHOLD`` failures in a row the endpoint pauses
  for the cool-down (doubling on each further trip) and the log says why; after
  ``POLICYARCHIVE_BREAKER_MAX_TRIPS`` trips without a success in between the run closes
  with finish reason ``circuit_breaker_open`` instead of hammering a server that said no.
  A rerun of the same command later resumes where it stopped.

``RobotsTxtMiddleware`` makes the robots.txt failure cases explicit (RFC 9309 §2.3.1):
4xx → allow all; 5xx, 429 or a network failure → disallow all for that host, and the
refused request fails with :class:`RobotsUnavailable` (``fetches`` outcome
``robots_unavailable``).
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.downloadermiddlewares.robotstxt import (
    RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware,
)
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import _load_objects
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.distributed.budget import SharedBudget

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CDX, REPLAY, LIVE = "cdx", "replay", "live"
_KIND_NAMES = {CDX: "CDX requests", REPLAY: "replay requests", LIVE: "requests"}
# archive clients name other endpoint classes in ``request.meta["archive_endpoint"]``
# (crawler/archive/sources.py); their rates come from POLICYARCHIVE_ARCHIVE_RATES
_KIND_NAMES |= {
    "cc_index": "Common Crawl index requests",
    "cc_data": "Common Crawl range requests",
    "timemap": "TimeMap requests",
    "memento": "memento requests",
}
_DNS_ERRORS = (CannotResolveHostError, DNSLookupError)  # not a server in trouble
_NUMBERS = {2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}


# -- pure helpers -----------------------------------------------------------------------
def endpoint_of(url: str, archive_request: bool) -> tuple[str, str]:
    """(kind, host) of a request: CDX index, archive replay, or a live host.

    ``archive_request``: the request comes from the archive client (it opts out of
    robots.txt, since the archive is not the site); only those count as CDX or replay.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if archive_request and parts.path.endswith(("/cdx/search/cdx", "/search/cdx")):
        return CDX, host
    if archive_request and "/web/" in parts.path:
        return REPLAY, host
    return LIVE, host


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent
    or unreadable. A date in the past means 0."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_loopback(host: str, overrides: Mapping[str, str] = {}) -> bool:
    """True for 127.0.0.0/8, ::1, localhost, and names POLICYARCHIVE_RESOLVE sends to loopback."""
    if host == "localhost":
        return True
    for pattern, ip in overrides.items():
        if fnmatch.fnmatchcase(host, pattern.lower()):
            host = ip
            break
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class BackoffPolicy:
    base: float = 2.0  # seconds after the first failure in a row
    cap: float = 300.0  # longest exponential pause
    threshold: int = 5  # failures in a row that trip the breaker
    cooldown: float = 120.0  # pause after a trip; doubles on each further trip
    max_trips: int = 3  # trips in a row (no success between) before the run closes
    retry_after_max: float = 900.0  # a longer Retry-After closes the run instead


@dataclass
class Verdict:
    pause: float  # seconds the endpoint now waits
    message: str  # why, for the log
    tripped: bool = False
    close_reason: str | None = None  # close the run with this finish reason


@dataclass
class Endpoint:
    """Rate limit, backoff and breaker state of one endpoint. Times are monotonic seconds."""

    kind: str
    host: str
    interval: float  # seconds between request starts; 0 = no limit
    next_start: float = 0.0
    paused_until: float = 0.0
    pause_reason: str = ""
    pause_logged: bool = True
    failures: int = 0  # in a row
    trips: int = 0  # in a row

    @property
    def name(self) -> str:
        return f"{_KIND_NAMES.get(self.kind, self.kind + ' requests')} to {self.host}"

    def reserve(self, now: float) -> float:
        """Book the next start time for one request; returns how long to wait for it."""
        start = max(now, self.next_start, self.paused_until)
        if self.interval > 0:
            self.next_start = start + self.interval
        return start - now

    def at_rest(self, now: float) -> bool:
        """Nothing to remember: a fresh Endpoint would behave exactly the same from now on."""
        return (
            self.failures == 0
            and self.trips == 0
            and self.next_start <= now
            and self.paused_until <= now
        )

    def succeeded(self) -> None:
        self.failures = 0
        self.trips = 0

    def failed(
        self, now: float, why: str, retry_after: float | None, policy: BackoffPolicy
    ) -> Verdict:
        """Record one failure; decide how long the endpoint pauses and whether to give up."""
        self.failures += 1
        if retry_after is not None and retry_after > policy.retry_after_max:
            return Verdict(
                retry_after,
                f"{self.host} answered {why} with Retry-After {retry_after:.0f} s, longer than "
                f"POLICYARCHIVE_RETRY_AFTER_MAX ({policy.retry_after_max:.0f} s); closing the "
                "run — rerun the same command later to resume",
                close_reason="retry_after_too_long",
            )
        if retry_after is not None:
            pause = retry_after
            message = f"{self.host} answered {why} with Retry-After {retry_after:.0f} s"
        else:
            pause = min(policy.cap, policy.base * 2 ** (self.failures - 1))
            message = f"{self.host} answered {why}; backing off"
        verdict = Verdict(pause, f"{message}; pausing {self.name} for {pause:.0f} s")
        if self.failures >= policy.threshold:
            times = _NUMBERS.get(self.failures, f"{self.failures} times")
            self.failures = 0
            self.trips += 1
            if self.trips > policy.max_trips:
                verdict.message = (
                    f"{self.name} failed {policy.threshold} times in a row, {self.trips} times "
                    f"over (last: {why}); closing the run instead of hammering — rerun the "
                    "same command later to resume"
                )
                verdict.close_reason = "circuit_breaker_open"
                return verdict
            cool = policy.cooldown * 2 ** (self.trips - 1)
            verdict.pause = max(pause, cool)
            verdict.tripped = True
            verdict.message = (
                f"{self.host} answered {why} {times} in a row; pausing {self.name} for "
                f"{verdict.pause:.0f} s (circuit breaker trip {self.trips}/{policy.max_trips})"
            )
        self.paused_until = max(self.paused_until, now + verdict.pause)
        self.pause_reason = verdict.message
        self.pause_logged = verdict.tripped  # trips are logged at once; say the rest on wait
        return verdict


# -- Scrapy glue --------------------------------------------------------------------------
class PolitenessMiddleware:
    """Per-endpoint rate limits, Retry-After, exponential backoff and a circuit breaker.

    Replaces ``scrapy.downloadermiddlewares.retry.RetryMiddleware`` (same RETRY_* settings).
    """

    LOG_WAIT_OVER = 5.0  # seconds: shorter waits are routine and not worth a log line
    SWEEP_AT = 1024  # endpoints held before idle ones are forgotten

    def __init__(self, crawler: Crawler, clock: Callable[[], float] = time.monotonic) -> None:
        s = crawler.settings
        if not s.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.clock = clock
        self.retry_http_codes = {int(x) for x in s.getlist("RETRY_HTTP_CODES")}
        self.retry_exceptions = tuple(_load_objects(s.getlist("RETRY_EXCEPTIONS")))
        self.rates = {
            CDX: s.getfloat("POLICYARCHIVE_CDX_PER_MINUTE") / 60.0,
            REPLAY: s.getfloat("POLICYARCHIVE_REPLAY_PER_SECOND"),
            LIVE: s.getfloat("POLICYARCHIVE_LIVE_PER_SECOND"),
        }
        self.archive_rates = {
            str(k): float(v) for k, v in s.getdict("POLICYARCHIVE_ARCHIVE_RATES").items()
        }
        self.host_rates = {
            str(h).lower(): {str(k): float(v) for k, v in dict(r).items()}
            for h, r in s.getdict("POLICYARCHIVE_HOST_RATES").items()
        }
        self.throttle_loopback = s.getbool("POLICYARCHIVE_THROTTLE_LOOPBACK")
        self.resolve = {k.lower(): v for k, v in s.getdict("POLICYARCHIVE_RESOLVE").items()}
        self.policy = BackoffPolicy(
            base=s.getfloat("POLICYARCHIVE_BACKOFF_BASE"),
            cap=s.getfloat("POLICYARCHIVE_BACKOFF_MAX"),
            threshold=s.getint("POLICYARCHIVE_BREAKER_THRESHOLD"),
            cooldown=s.getfloat("POLICYARCHIVE_BREAKER_COOLDOWN"),
            max_trips=s.getint("POLICYARCHIVE_BREAKER_MAX_TRIPS"),
            retry_after_max=s.getfloat("POLICYARCHIVE_RETRY_AFTER_MAX"),
        )
        self.endpoints: dict[tuple[str, str], Endpoint] = {}
        self._sweep_at = self.SWEEP_AT
        self.closing: str | None = None
        # a distributed run: the schedule and pauses are shared by every node behind one
        # client address (POLICYARCHIVE_CLIENT_ID), through Redis
        self.budget: SharedBudget | None = None
        if s.get("POLICYARCHIVE_REDIS_URL"):
            import redis.asyncio

            from crawler.distributed.node import async_client_options

            client = redis.asyncio.Redis.from_url(
                s.get("POLICYARCHIVE_REDIS_URL"), **async_client_options()
            )
            self.budget = SharedBudget(client, s.get("POLICYARCHIVE_CLIENT_ID") or "default")
        self._shared_pauses: set[Any] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessMiddleware:
        return cls(crawler)

    def endpoint(self, request: Request) -> Endpoint:
        archive = bool(request.meta.get("dont_obey_robotstxt"))
        kind, host = endpoint_of(request.url, archive)
        if archive and request.meta.get("archive_endpoint"):
            kind = str(request.meta["archive_endpoint"])
        ep = self.endpoints.get((kind, host))
        if ep is None:
            rate = self.rate_for(kind, host)
            if not self.throttle_loopback and is_loopback(host, self.resolve):
                rate = 0.0
            if len(self.endpoints) >= self._sweep_at:
                self._forget_idle()  # before adding: the new one is at rest until booked
            ep = Endpoint(kind, host, 1.0 / rate if rate > 0 else 0.0)
            self.endpoints[(kind, host)] = ep
        return ep

    def waiting(self) -> list[tuple[str, str, float]]:
        """Endpoints the crawl now waits on: (name, why, seconds left), longest first.

        A pause (back-off, Retry-After, circuit breaker) says its own reason; requests
        queued behind an endpoint's rate limit say the limit. The progress display reads it.
        """
        now = self.clock()
        found: list[tuple[str, str, float]] = []
        for ep in self.endpoints.values():
            if ep.paused_until > now:
                found.append((ep.name, ep.pause_reason, ep.paused_until - now))
            elif ep.interval > 0 and ep.next_start - now > ep.interval:
                # more than the next slot is booked: requests queue behind the limit
                per = (
                    f"{60 / ep.interval:.0f} a minute"
                    if ep.interval >= 1
                    else (f"{1 / ep.interval:.0f} a second")
                )
                found.append((ep.name, f"rate limit ({per})", ep.next_start - now))
        return sorted(found, key=lambda w: -w[2])[:3]

    def rate_for(self, kind: str, host: str) -> float:
        """Requests a second for one endpoint: a per-host rate (the host or a parent domain
        listed in POLICYARCHIVE_HOST_RATES) first, then the endpoint class's own."""
        for name, rates in self.host_rates.items():
            if kind in rates and (host == name or host.endswith("." + name)):
                return rates[kind]
        if kind in self.rates:
            return self.rates[kind]
        return self.archive_rates.get(kind, 1.0)

    def _forget_idle(self) -> None:
        # a live crawl meets each of thousands of hosts once: keep only endpoints that still
        # remember something (a booked start, a pause, failures), so memory stays flat
        now = self.clock()
        self.endpoints = {k: e for k, e in self.endpoints.items() if not e.at_rest(now)}
        self._sweep_at = max(self.SWEEP_AT, 2 * len(self.endpoints))

    async def process_request(self, request: Request) -> None:
        if urlparse_cached(request).scheme not in ("http", "https"):
            return  # data: start requests and the like
        ep = self.endpoint(request)
        self.stats.inc_value(f"policyarchive/politeness/requests/{ep.kind}")
        now = self.clock()
        wait = ep.reserve(now)
        if self.budget is not None:
            try:
                shared = await self.budget.reserve(ep.kind, ep.host, ep.interval)
            except Exception as exc:  # Redis away for good: this node's own limits still hold
                logger.warning("shared politeness budget unavailable: %s", exc)
            else:
                if shared.wait > wait:
                    wait = shared.wait
                    if shared.paused_reason and not ep.pause_logged:
                        ep.pause_reason, ep.pause_logged = shared.paused_reason, False
                        ep.paused_until = max(ep.paused_until, now + wait)
        if wait <= 0:
            return
        if wait >= self.LOG_WAIT_OVER and not ep.pause_logged and ep.paused_until > now:
            ep.pause_logged = True
            logger.info("waiting %.0f s before %s: %s", wait, ep.name, ep.pause_reason)
        self.stats.inc_value("policyarchive/politeness/waits")
        self.stats.inc_value("policyarchive/politeness/waited_seconds", round(wait, 3))
        until = now + wait
        while (left := until - self.clock()) > 0:
            if self.closing:
                raise IgnoreRequest(f"run closing ({self.closing}); {request.url} not sent")
            await sleep(min(left, 1.0))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if urlparse_cached(request).scheme not in ("http", "https"):
            return response
        ep = self.endpoint(request)
        # a CDN's 403 means "slow down" for the archive clients that say so
        cdn_403 = response.status == 403 and bool(request.meta.get("retry_on_403"))
        if response.status not in self.retry_http_codes and not cdn_403:
            if response.status < 500:
                ep.succeeded()
            return response
        if request.meta.get("dont_retry"):
            return response
        if ep.kind == REPLAY and response.headers.get(b"Memento-Datetime"):
            # a capture replayed with the status it was archived with (a site's own 429 or
            # 503 of 2015): the archive answered; there is nothing to back off from
            ep.succeeded()
            self.stats.inc_value("policyarchive/politeness/archived_error_status")
            return response
        why = f"HTTP {response.status}"
        retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
        if retry_after is not None:
            self.stats.inc_value("policyarchive/politeness/retry_after")
        if not self._failed(ep, why, retry_after):
            return response
        return self._retry(request, why) or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if not isinstance(exception, self.retry_exceptions) or request.meta.get("dont_retry"):
            return None
        if urlparse_cached(request).scheme not in ("http", "https"):
            return None
        why = type(exception).__name__
        if not isinstance(exception, _DNS_ERRORS) and not self._failed(
            self.endpoint(request), why, None
        ):
            return None
        return self._retry(request, exception)

    def _failed(self, ep: Endpoint, why: str, retry_after: float | None) -> bool:
        """Book a failure; False when the run is closing and the request must not be retried."""
        verdict = ep.failed(self.clock(), why, retry_after, self.policy)
        self.stats.inc_value(f"policyarchive/politeness/backoff/{ep.kind}")
        if self.budget is not None and verdict.pause > 0:
            # the other nodes behind this address hold off too
            task = asyncio.ensure_future(
                self.budget.pause(ep.kind, ep.host, verdict.pause, verdict.message)
            )
            self._shared_pauses.add(task)
            task.add_done_callback(self._shared_pauses.discard)
        if verdict.close_reason:
            self.stats.inc_value("policyarchive/politeness/breaker_closed")
            self.close(verdict.close_reason, verdict.message)
            return False
        if verdict.tripped:
            self.stats.inc_value("policyarchive/politeness/breaker_trips")
            logger.warning("%s", verdict.message)
        else:
            logger.debug("%s", verdict.message)
        return True

    def _retry(self, request: Request, reason: str | Exception) -> Request | None:
        assert self.crawler.spider is not None
        return get_retry_request(request, spider=self.crawler.spider, reason=reason)

    def close(self, reason: str, message: str) -> None:
        if self.closing:
            return
        self.closing = reason
        # the pipelines close before Scrapy records finish_reason; tell the manifest now
        self.stats.set_value("policyarchive/close_reason", reason)
        logger.error("%s", message)
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))


class RobotsUnavailable(IgnoreRequest):
    """robots.txt could not be fetched (5xx, 429, network): RFC 9309 says disallow all.

    ``reason`` is ``robots_unavailable`` when the server answered with an error, or the
    network failure's own slug (``connection_refused``, ``dns_failure``, ``timeout``, ...)
    when the host could not be reached at all: that is the more useful thing to know.
    """

    def __init__(self, message: str, reason: str = "robots_unavailable") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class _Unavailable:
    why: str
    reason: str = "robots_unavailable"


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt handling with explicit failure rules (see the module docstring).

    Parsed robots.txt files are kept for the last ``MAX_HOSTS`` hosts only: Scrapy keeps one
    per host for the whole run (~1.5 KB each, 30 MB over 20,000 sites), and a live crawl is
    done with a host minutes after it met it. A host seen again later is asked again.
    """

    MAX_HOSTS = 4096

    async def robot_parser(self, request: Request) -> Any:
        # Scrapy's own, minus its ERROR log when robots.txt cannot be downloaded: that is
        # an expected outcome here (the host is treated as disallowed), not a crawl error
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            if len(self._parsers) >= self.MAX_HOSTS:
                self._forget_oldest()
            self._parsers[netloc] = Deferred()
            robotsreq = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                assert self.crawler.engine is not None
                resp = await self.crawler.engine.download_async(robotsreq)
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def _forget_oldest(self) -> None:
        # dicts keep insertion order: the hosts met first go first; pending fetches stay
        keep = self.MAX_HOSTS // 2
        drop = [n for n, p in self._parsers.items() if not isinstance(p, Deferred)]
        for netloc in drop[: max(0, len(self._parsers) - keep)]:
            del self._parsers[netloc]

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status >= 500 or status == 429:
            self._unavailable(netloc, f"HTTP {status}")
            return
        if 400 <= status < 500:  # no robots.txt (or none for us): everything is allowed
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._settle(netloc, None)
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        from crawler.failures import failure_reason

        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unavailable(netloc, f"{type(exc).__name__}: {exc}"[:300], failure_reason(exc))

    def _unavailable(self, netloc: str, why: str, reason: str = "robots_unavailable") -> None:
        self._stats.inc_value("policyarchive/robots_unavailable")
        logger.warning(
            "robots.txt of %s unavailable (%s): treating the host as disallowed (RFC 9309)",
            netloc,
            why,
        )
        self._settle(netloc, _Unavailable(why, reason))

    def _settle(self, netloc: str, parser: Any) -> None:
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if hasattr(pending, "callback"):
            pending.callback(parser)

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, _Unavailable):
            self._stats.inc_value("robotstxt/forbidden")
            raise RobotsUnavailable(
                f"robots.txt of {urlparse_cached(request).netloc} unavailable ({rp.why}); "
                "RFC 9309: treat as disallow-all",
                rp.reason,
            )
        super().process_request_2(rp, request)
