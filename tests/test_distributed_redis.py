"""Site leases and the shared politeness budget, against a real redis-server."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest
import redis.asyncio as redis_asyncio  # noqa: E402

from crawler.distributed.budget import SharedBudget
from crawler.distributed.leases import SiteLeases
from tests.redis_server import RedisServer, redis_binary

if redis_binary() is None:
    # CI installs it through `make setup`: there a missing server is a failure, not a skip
    if os.environ.get("CI"):
        raise RuntimeError("redis-server is missing: `make setup` should have installed it")
    pytest.skip("redis-server not installed: run `make setup`", allow_module_level=True)


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as srv:
        yield srv


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


SITES = [f"site{i:03d}.example" for i in range(50)]


def test_sites_are_loaded_once_and_each_leased_by_one_node(server: RedisServer) -> None:
    async def go() -> tuple[list[str], list[str], bool, bool]:
        r = redis_asyncio.Redis.from_url(server.url)
        a = SiteLeases(r, "once", "node-a", ttl_s=60)
        b = SiteLeases(r, "once", "node-b", ttl_s=60)
        first = await a.load(SITES)
        second = await b.load(SITES[:3])  # a later node's sites file is not loaded again
        got_a, got_b = [], []
        while True:
            sa, sb = await asyncio.gather(a.acquire(7), b.acquire(5))
            if not sa and not sb:
                break
            got_a += sa
            got_b += sb
        await r.aclose()
        return got_a, got_b, first, second

    got_a, got_b, first, second = run(go())
    assert first and not second
    assert not set(got_a) & set(got_b)
    assert sorted(got_a + got_b) == sorted(SITES)
    assert got_a and got_b


def test_a_dead_nodes_sites_come_back_when_its_leases_run_out(server: RedisServer) -> None:
    async def go() -> tuple[list[str], list[str], list[str], int, object]:
        r = redis_asyncio.Redis.from_url(server.url)
        dead = SiteLeases(r, "takeover", "node-dead", ttl_s=0.3)
        alive = SiteLeases(r, "takeover", "node-alive", ttl_s=30)
        await dead.load(SITES[:10])
        held = await dead.acquire(4)
        await dead.done(held[0])  # committed before it died: never handed out again
        before = await alive.acquire(100)  # the other six
        await asyncio.sleep(0.5)  # node-dead never renews
        after = await alive.acquire(100)
        renewed_by_dead = await dead.renew(held[1:])  # too late: no longer its leases
        for site in before + after:
            await alive.done(site)
        progress = await alive.progress()
        await r.aclose()
        return held, before, after, renewed_by_dead, progress

    held, before, after, renewed_by_dead, progress = run(go())
    assert len(before) == 6 and not set(before) & set(held)
    assert sorted(after) == sorted(held[1:])  # taken over, except the committed one
    assert renewed_by_dead == 0
    assert progress.complete and progress.done == 10 and progress.total == 10


def test_renewal_keeps_a_lease_past_its_ttl(server: RedisServer) -> None:
    async def go() -> tuple[list[str], list[str]]:
        r = redis_asyncio.Redis.from_url(server.url)
        a = SiteLeases(r, "renew", "node-a", ttl_s=0.4)
        b = SiteLeases(r, "renew", "node-b", ttl_s=0.4)
        await a.load(SITES[:3])
        held = await a.acquire(2)
        for site in held:
            assert await a.claim(site)  # being crawled: the lease is renewed
        queued = await a.acquire(1)  # queued only: its request may be lost, so not renewed
        for _ in range(4):
            await asyncio.sleep(0.2)
            assert await a.renew(held) == 2
        stolen = await b.acquire(3)
        await r.aclose()
        return held, queued, stolen

    held, queued, stolen = run(go())
    assert len(held) == 2 and len(queued) == 1
    assert stolen == queued  # the queued site's lease ran out; the crawled ones did not


def test_a_site_is_crawled_by_one_node_at_a_time(server: RedisServer) -> None:
    async def go() -> list[object]:
        r = redis_asyncio.Redis.from_url(server.url)
        a = SiteLeases(r, "claim", "node-a", ttl_s=0.3)
        b = SiteLeases(r, "claim", "node-b", ttl_s=30)
        await a.load(["x.example", "y.example"])
        await a.acquire(2)  # a queued both requests; the shared scheduler gave x to b
        b_x = await b.claim("x.example")
        a_x = await a.claim("x.example")  # a duplicate request for x: b is crawling it
        a_owns = await a.owned(["x.example", "y.example"])
        await b.done("x.example")
        b_again = await b.claim("x.example")  # done: nobody crawls it again
        await a.claim("y.example")
        await asyncio.sleep(0.4)  # a died while crawling y: its lease runs out
        b_y = await b.claim("y.example")
        await r.aclose()
        return [b_x, a_x, a_owns, b_again, b_y]

    b_x, a_x, a_owns, b_again, b_y = run(go())
    assert b_x is True and a_x is False
    assert a_owns == {"y.example"}
    assert b_again is False
    assert b_y is True


def test_nodes_behind_one_address_share_one_schedule(server: RedisServer) -> None:
    async def go() -> list[float]:
        r1 = redis_asyncio.Redis.from_url(server.url)
        r2 = redis_asyncio.Redis.from_url(server.url)
        n1, n2 = SharedBudget(r1, "ip-1"), SharedBudget(r2, "ip-1")
        waits = []
        for node in (n1, n2, n1, n2):
            waits.append((await node.reserve("cdx", "archive.test", 0.5)).wait)
        other = await SharedBudget(r1, "ip-2").reserve("cdx", "archive.test", 0.5)
        await r1.aclose()
        await r2.aclose()
        return [*waits, other.wait]

    w = run(go())
    # four starts booked half a second apart however the two nodes interleave
    assert w[0] == pytest.approx(0, abs=0.05)
    for i in (1, 2, 3):
        assert w[i] - w[i - 1] == pytest.approx(0.5, abs=0.05)
    assert w[4] == pytest.approx(0, abs=0.05)  # another client address has its own budget


def test_a_pause_set_by_one_node_holds_the_others(server: RedisServer) -> None:
    async def go() -> tuple[float, str]:
        r = redis_asyncio.Redis.from_url(server.url)
        a, b = SharedBudget(r, "ip-p"), SharedBudget(r, "ip-p")
        await a.pause("replay", "archive.test", 2.0, "archive.test answered 429; backing off")
        res = await b.reserve("replay", "archive.test", 0.0)
        await r.aclose()
        return res.wait, res.paused_reason

    wait, reason = run(go())
    assert 1.8 <= wait <= 2.0
    assert "429" in reason


def test_leases_survive_a_redis_restart_with_persistence() -> None:
    with RedisServer() as srv:

        async def before() -> list[str]:
            r = redis_asyncio.Redis.from_url(srv.url)
            a = SiteLeases(r, "restart", "node-a", ttl_s=60)
            await a.load(SITES[:5])
            held = await a.acquire(2)
            await a.done(held[0])
            await r.aclose()
            return held

        held = run(before())
        srv.restart()
        t0 = time.monotonic()

        async def after() -> tuple[list[str], object]:
            r = redis_asyncio.Redis.from_url(srv.url)
            b = SiteLeases(r, "restart", "node-b", ttl_s=60)
            got = await b.acquire(10)
            progress = await b.progress()
            await r.aclose()
            return got, progress

        got, progress = run(after())
        assert time.monotonic() - t0 < 10
        # the done site stays done, node-a's live lease is still node-a's: three are left
        assert sorted(got) == sorted(set(SITES[:5]) - set(held))
        assert progress.total == 5 and progress.done == 1  # type: ignore[attr-defined]
