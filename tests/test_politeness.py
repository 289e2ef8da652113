"""Politeness: per-endpoint rate limits, Retry-After, backoff, circuit breaker, robots.txt.

The rules are pure (crawler/middlewares.py) and tested with a fake clock; the glue is tested
by live crawls against a local server on 127.0.0.1 that answers 429s, 503s and broken
robots.txt files, asserting what a user sees: datasets, log lines, exit status.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.middlewares import (
    CDX,
    LIVE,
    REPLAY,
    BackoffPolicy,
    Endpoint,
    endpoint_of,
    is_loopback,
    parse_retry_after,
)
from crawler.settings import (
    POLICYARCHIVE_CDX_PER_MINUTE,
    POLICYARCHIVE_REPLAY_PER_SECOND,
    RETRY_HTTP_CODES,
)
from tests.crawl import read, run_cli

POLICY = (
    "<html><head><title>Privacy Policy</title></head><body><h1>Privacy Policy</h1>"
    + "".join(
        f"<h2>Section {i}</h2><p>We collect personal information such as your name and email "
        "address when you register. We use cookies and share data with third parties for "
        "advertising. You may opt out and request deletion of your personal data at any time "
        "by contacting privacy@example.com. We retain data for two years.</p>"
        for i in range(8)
    )
    + "</body></html>"
)


# -- the rules --------------------------------------------------------------------------
def test_defaults_stay_below_the_internet_archive_limits() -> None:
    assert POLICYARCHIVE_CDX_PER_MINUTE < 30 and POLICYARCHIVE_REPLAY_PER_SECOND < 10
    assert {429, 500, 502, 503, 504}.issubset(RETRY_HTTP_CODES)


def test_endpoints_are_cdx_replay_or_live() -> None:
    ia = "https://web.archive.org"
    assert endpoint_of(f"{ia}/cdx/search/cdx?url=a.example", True) == (CDX, "web.archive.org")
    assert endpoint_of(f"{ia}/web/2009id_/http://a.example/", True) == (REPLAY, "web.archive.org")
    assert endpoint_of("http://a.example/web/page", False) == (LIVE, "a.example")
    assert endpoint_of("http://127.0.0.1:8080/search/cdx?url=x", True)[0] == CDX


def test_retry_after_as_seconds_and_as_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0.0  # already past
    assert parse_retry_after(b"soon") is None and parse_retry_after(None) is None


def test_rate_limit_spaces_request_starts() -> None:
    ep = Endpoint(CDX, "web.archive.org", interval=60 / 20)
    waits = [ep.reserve(now=100.0) for _ in range(4)]  # four requests arrive together
    assert waits == [0.0, 3.0, 6.0, 9.0]
    assert ep.reserve(now=200.0) == 0.0  # idle long enough: no wait
    assert Endpoint(LIVE, "127.0.0.1", interval=0).reserve(now=5.0) == 0.0


def test_backoff_doubles_honours_retry_after_and_trips_the_breaker() -> None:
    policy = BackoffPolicy(base=2, cap=300, threshold=5, cooldown=120, max_trips=2)
    ep = Endpoint(CDX, "web.archive.org", interval=3)
    pauses = [ep.failed(0.0, "HTTP 503", None, policy).pause for _ in range(4)]
    assert pauses == [2, 4, 8, 16]
    assert ep.reserve(now=1.0) == pytest.approx(15.0)  # everyone waits out the pause
    trip = ep.failed(0.0, "HTTP 429", None, policy)
    assert trip.tripped and trip.pause == 120 and trip.close_reason is None
    assert trip.message == (
        "web.archive.org answered HTTP 429 five times in a row; pausing CDX requests to "
        "web.archive.org for 120 s (circuit breaker trip 1/2)"
    )
    ep.succeeded()  # a success between trips starts the count again
    for _ in range(5):
        verdict = ep.failed(0.0, "HTTP 429", None, policy)
    assert verdict.tripped and verdict.pause == 120
    for _ in range(5):
        verdict = ep.failed(0.0, "HTTP 429", None, policy)
    assert verdict.pause == 240  # the second trip in a row doubles the cool-down
    for _ in range(5):
        verdict = ep.failed(0.0, "HTTP 429", None, policy)
    assert verdict.close_reason == "circuit_breaker_open"
    assert "closing the run instead of hammering" in verdict.message


def test_retry_after_beyond_the_maximum_closes_the_run() -> None:
    ep = Endpoint(REPLAY, "web.archive.org", interval=0.2)
    verdict = ep.failed(0.0, "HTTP 429", 3600.0, BackoffPolicy(retry_after_max=900))
    assert verdict.close_reason == "retry_after_too_long"
    assert "Retry-After 3600 s" in verdict.message
    ok = Endpoint(REPLAY, "web.archive.org", interval=0.2)
    assert ok.failed(0.0, "HTTP 429", 30.0, BackoffPolicy()).pause == 30.0


def test_idle_endpoints_are_forgotten_and_busy_ones_kept() -> None:
    """Thousands of live hosts must not each leave state behind, but forgetting one must
    never lose a booked start, a pause or a failure count."""
    from scrapy.http import Request
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import PolitenessMiddleware

    mw = PolitenessMiddleware(get_crawler(settings_dict={"POLICYARCHIVE_LIVE_PER_SECOND": 1.0}))
    now = [1000.0]
    mw.clock = lambda: now[0]
    failing = mw.endpoint(Request("http://failing.example/"))
    failing.failed(now[0], "HTTP 503", None, mw.policy)
    booked = mw.endpoint(Request("http://booked.example/"))
    assert booked.reserve(now[0]) == 0.0  # next start booked one second ahead
    for i in range(3 * mw.SWEEP_AT):
        mw.endpoint(Request(f"http://h{i}.example/privacy"))
        now[0] += 0.0001  # all within the booked second
    assert len(mw.endpoints) < 2 * mw.SWEEP_AT  # swept
    assert mw.endpoint(Request("http://failing.example/x")) is failing
    assert mw.endpoint(Request("http://booked.example/x")) is booked
    assert booked.reserve(now[0]) > 0  # still spaced: its booking was not forgotten
    assert Endpoint(LIVE, "a.example", 1.0).at_rest(0.0)
    assert not failing.at_rest(now[0] + 10_000)  # failures are remembered until a success


def test_robots_parsers_are_kept_for_recent_hosts_only() -> None:
    from scrapy.utils.test import get_crawler
    from twisted.internet.defer import Deferred

    from crawler.middlewares import RobotsTxtMiddleware

    mw = RobotsTxtMiddleware(get_crawler(settings_dict={"ROBOTSTXT_OBEY": True}))
    mw.MAX_HOSTS = 4
    pending: Deferred[None] = Deferred()
    mw._parsers.update({"a": None, "b": pending, "c": None, "d": None})
    mw._forget_oldest()
    assert list(mw._parsers) == ["b", "d"]  # a fetch under way is never dropped


def test_only_loopback_hosts_escape_throttling() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("www.a.example", {"*.example": "127.0.0.1"})
    assert not is_loopback("web.archive.org") and not is_loopback("10.0.0.1")


# -- the glue, against a misbehaving local server -----------------------------------------
class _Handler(BaseHTTPRequestHandler):
    hits: Counter[tuple[str, str]]
    lock: threading.Lock

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        host = (self.headers.get("Host") or "").split(":")[0]
        with self.lock:
            self.hits[(host, self.path)] += 1
            n = self.hits[(host, self.path)]
        name = host.split(".")[0]
        if self.path == "/robots.txt":
            if name == "robots500":
                return self._send(503, b"busy")
            return self._send(404, b"none")
        if name == "busy" and n <= 2:  # 429 twice, with Retry-After in both forms
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
            return self._send(429, b"slow down", {"Retry-After": "1" if n == 1 else when})
        if name == "flaky" and n == 1:
            return self._send(503, b"try later")
        if name == "down":
            return self._send(503, b"down")
        self._send(200, POLICY.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[tuple[int, Counter[tuple[str, str]]]]:
    handler = type("H", (_Handler,), {"hits": Counter(), "lock": threading.Lock()})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_address[1], handler.hits
    finally:
        srv.shutdown()
        srv.server_close()


def live(tmp_path: Path, port: int, hosts: list[str], *settings: str):  # noqa: ANN201
    sites = tmp_path / "sites.txt"
    sites.write_text("".join(f"{h}.example,http://{h}.example:{port}/privacy\n" for h in hosts))
    args = ["live", "--sites", str(sites), "--out", str(tmp_path / "out"), "--workers", "0"]
    args += ["--set", "POLICYARCHIVE_RESOLVE=" + json.dumps({"*.example": "127.0.0.1"})]
    args += ["--set", "POLICYARCHIVE_BACKOFF_BASE=0.2"]
    for s in settings:
        args += ["--set", s]
    return run_cli(*args)


def test_429_with_retry_after_and_503_are_waited_out_then_fetched(
    server: tuple[int, Counter], tmp_path: Path
) -> None:
    port, hits = server
    proc = live(tmp_path, port, ["busy", "flaky"], "POLICYARCHIVE_THROTTLE_LOOPBACK=True")
    assert proc.returncode == 0, proc.stderr[-3000:]
    policies = read(tmp_path / "out", "policies")
    assert sorted(policies.site) == ["busy.example", "flaky.example"]
    assert hits[("busy.example", "/privacy")] == 3  # 429, 429, then the page
    assert hits[("flaky.example", "/privacy")] == 2  # 503, then the page
    assert "'policyarchive/politeness/retry_after': 2" in proc.stderr
    # with throttling on, the local host was rate-limited like any live site
    assert "'policyarchive/politeness/waits'" in proc.stderr


def test_breaker_closes_the_run_and_says_why(server: tuple[int, Counter], tmp_path: Path) -> None:
    port, hits = server
    proc = live(
        tmp_path,
        port,
        ["down"],
        "RETRY_TIMES=20",
        "POLICYARCHIVE_BREAKER_THRESHOLD=3",
        "POLICYARCHIVE_BREAKER_COOLDOWN=0.2",
        "POLICYARCHIVE_BREAKER_MAX_TRIPS=1",
    )
    assert proc.returncode == 1
    assert "finish_reason=circuit_breaker_open" in proc.stderr
    assert "answered HTTP 503 three times in a row; pausing requests to down.example" in (
        proc.stderr
    )
    assert "closing the run instead of hammering" in proc.stderr
    assert hits[("down.example", "/privacy")] == 6  # two rounds of three, not 21 requests
    manifest = json.loads(next((tmp_path / "out" / "runs").glob("*.json")).read_text())
    assert manifest["status"] == "incomplete: circuit_breaker_open"


def test_robots_txt_failing_with_5xx_means_disallow_all(
    server: tuple[int, Counter], tmp_path: Path
) -> None:
    """RFC 9309 §2.3.1.4: an unreachable robots.txt (5xx) means complete disallow; a 404 allows."""
    port, hits = server
    proc = live(tmp_path, port, ["robots500", "open"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "out"
    assert list(read(out, "policies").site) == ["open.example"]
    assert hits[("robots500.example", "/privacy")] == 0  # never asked for the page
    fetches = read(out, "fetches")
    row = fetches[fetches.site == "robots500.example"].iloc[0]
    assert row.outcome == "robots_unavailable"
    assert "RFC 9309" in row.detail
    assert "robots.txt of robots500.example" in proc.stderr
