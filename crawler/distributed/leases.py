"""Site leases: which node works on which site of a distributed run.

Keys of run ``R`` (prefix ``policyarchive:R:``):

* ``queue``: a sorted set of the sites not done yet, scored by the time (ms) their lease
  expires; 0 for a site never leased. A node takes the site with the lowest score if that
  score is in the past, and sets it to now + ttl.
* ``owner``: hash site → ``<node>|q`` (leased, its request queued) or ``<node>|p`` (being
  crawled by that node).
* ``done``: set of sites whose rows are committed.
* ``loaded``: set once, when the first node has put the sites in.
* ``nodes``: hash node → last heartbeat (ms), for the operator.

The lease, not a request queue, is what guarantees completion: a site is removed from
``queue`` only by :meth:`SiteLeases.done`, called after its rows are committed, so the
sites of a node killed at any moment come back when their leases run out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.storage.shared import run_prefix

logger = logging.getLogger(__name__)

# KEYS: queue, owner; ARGV: now_ms, ttl_ms, node, n → up to n sites leased to node
_ACQUIRE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, site in ipairs(due) do
  redis.call('ZADD', KEYS[1], until_ms, site)
  redis.call('HSET', KEYS[2], site, ARGV[3] .. '|q')
end
return due
"""

# KEYS: queue, owner; ARGV: now_ms, ttl_ms, node, site... → how many renewed (being crawled)
_RENEW = """
local n = 0
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
for i = 4, #ARGV do
  -- only sites this node is crawling: a queued request is lost with its node (kill -9),
  -- and its lease must then run out
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[3] .. '|p'
     and redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', until_ms, ARGV[i])
    n = n + 1
  end
end
return n
"""

# KEYS: queue, owner; ARGV: now_ms, ttl_ms, node, site → 1 when this node may crawl the site:
# not done, and nobody else is crawling it under a live lease (a site another node leased
# but has not started is fine to take)
_CLAIM = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[4])
if not score then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[4])
if owner and owner ~= ARGV[3] .. '|p' and string.sub(owner, -2) == '|p'
   and tonumber(score) > tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[3] .. '|p')
return 1
"""

# KEYS: queue, owner, done; ARGV: site → 1 when this call finished the site
_DONE = """
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
"""

# KEYS: loaded, queue; ARGV: sites... → 1 when this call loaded them
_LOAD = """
if redis.call('SETNX', KEYS[1], '1') == 0 then return 0 end
for i = 1, #ARGV, 500 do
  local args = {}
  for j = i, math.min(i + 499, #ARGV) do
    table.insert(args, 0)
    table.insert(args, ARGV[j])
  end
  redis.call('ZADD', KEYS[2], 'NX', unpack(args))
end
return 1
"""


@dataclass(frozen=True)
class RunProgress:
    total: int
    done: int
    leased: int  # held by a node right now

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


class SiteLeases:
    """The site queue of one distributed run (a ``redis.asyncio.Redis`` client)."""

    def __init__(self, redis: object, run: str, node: str, ttl_s: float = 120.0) -> None:
        self.redis = redis
        self.run = run
        self.node = node
        self.ttl_ms = int(ttl_s * 1000)
        p = run_prefix(run)  # the same keys the Parquet step marks done (storage/shared.py)
        self.k_queue, self.k_owner, self.k_done = p + "queue", p + "owner", p + "done"
        self.k_loaded, self.k_total, self.k_nodes = p + "loaded", p + "total", p + "nodes"
        self._acquire = redis.register_script(_ACQUIRE)  # type: ignore[attr-defined]
        self._renew = redis.register_script(_RENEW)  # type: ignore[attr-defined]
        self._done = redis.register_script(_DONE)  # type: ignore[attr-defined]
        self._claim = redis.register_script(_CLAIM)  # type: ignore[attr-defined]
        self._load = redis.register_script(_LOAD)  # type: ignore[attr-defined]

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    async def load(self, sites: Iterable[str]) -> bool:
        """Put the run's sites in once; later nodes (and reruns) find them there."""
        sites = list(dict.fromkeys(sites))
        if not sites:
            return False
        loaded = bool(await self._load(keys=[self.k_loaded, self.k_queue], args=sites))
        if loaded:
            await self.redis.set(self.k_total, len(sites))  # type: ignore[attr-defined]
            logger.info("run %s: %d sites put in Redis", self.run, len(sites))
        return loaded

    async def acquire(self, n: int = 1) -> list[str]:
        """Up to ``n`` sites nobody holds (never leased, or whose lease ran out)."""
        got = await self._acquire(
            keys=[self.k_queue, self.k_owner], args=[self.now_ms(), self.ttl_ms, self.node, n]
        )
        await self.redis.hset(self.k_nodes, self.node, self.now_ms())  # type: ignore[attr-defined]
        return [s.decode() if isinstance(s, bytes) else s for s in got]

    async def claim(self, site: str) -> bool:
        """Before crawling a site: take it over unless it is done or another node crawls it."""
        return bool(
            await self._claim(
                keys=[self.k_queue, self.k_owner],
                args=[self.now_ms(), self.ttl_ms, self.node, site],
            )
        )

    async def owned(self, sites: Iterable[str]) -> set[str]:
        """Which of ``sites`` this node still holds (another node may have claimed some)."""
        sites = list(sites)
        if not sites:
            return set()
        owners = await self.redis.hmget(self.k_owner, sites)  # type: ignore[attr-defined]
        mine = {f"{self.node}|q".encode(), f"{self.node}|p".encode()}
        return {s for s, o in zip(sites, owners, strict=True) if o in mine}

    async def renew(self, sites: Iterable[str]) -> int:
        sites = list(sites)
        if not sites:
            return 0
        return int(
            await self._renew(
                keys=[self.k_queue, self.k_owner],
                args=[self.now_ms(), self.ttl_ms, self.node, *sites],
            )
        )

    async def heartbeat(self) -> None:
        await self.redis.hset(self.k_nodes, self.node, self.now_ms())  # type: ignore[attr-defined]

    async def done(self, site: str) -> bool:
        return bool(await self._done(keys=[self.k_queue, self.k_owner, self.k_done], args=[site]))

    async def next_expiry_s(self) -> float | None:
        """Seconds until the earliest lease held by another node runs out (None: queue empty)."""
        first = await self.redis.zrange(self.k_queue, 0, 0, withscores=True)  # type: ignore[attr-defined]
        if not first:
            return None
        return max(0.0, (first[0][1] - self.now_ms()) / 1000)

    async def progress(self) -> RunProgress:
        total = int(await self.redis.get(self.k_total) or 0)  # type: ignore[attr-defined]
        done = int(await self.redis.scard(self.k_done))  # type: ignore[attr-defined]
        leased = int(await self.redis.zcount(self.k_queue, f"({self.now_ms()}", "+inf"))  # type: ignore[attr-defined]
        return RunProgress(total=total, done=done, leased=leased)
