"""Politeness shared by every node behind one client address: a rate and a breaker in Redis.

An archive limits a client address, not a process: two nodes behind one IP that each keep
the Internet Archive's 20 CDX requests a minute send 40, and earn the block. Here each
endpoint (kind + host, as :func:`crawler.middlewares.endpoint_of` names it) has, per client
address (``POLICYARCHIVE_CLIENT_ID``, default one budget for the whole run), one schedule of
request starts in Redis:

* ``reserve``: books the next start (virtual scheduling: start = max(now, next, paused);
  next = start + interval) and returns how long the caller waits for it, atomically, on
  Redis's own clock, so nodes with skewed clocks still share one schedule;
* ``pause``: an endpoint that answered 429/503 or tripped its breaker on one node is paused
  for every node until the same time, with the reason, which other nodes log and show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# KEYS: hash of the endpoint; ARGV: interval_ms → {wait_ms, paused_reason}
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
local start = math.max(now, nxt, paused)
local interval = tonumber(ARGV[1])
if interval > 0 then
  redis.call('HSET', KEYS[1], 'next', start + interval)
end
redis.call('PEXPIRE', KEYS[1], math.max(start - now + interval, 1000) + 3600000)
local reason = ''
if paused > now then reason = redis.call('HGET', KEYS[1], 'reason') or '' end
return {start - now, reason}
"""

# KEYS: hash of the endpoint; ARGV: pause_ms, reason → paused_until (ms, Redis clock)
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if untl > cur then
  redis.call('HSET', KEYS[1], 'paused_until', untl, 'reason', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) + 3600000)
end
return math.max(untl, cur)
"""


@dataclass(frozen=True)
class Reservation:
    wait: float  # seconds until this request may start
    paused_reason: str  # non-empty when the wait is a pause another node (or this one) set


class SharedBudget:
    """Request schedule per endpoint shared through Redis (a ``redis.asyncio.Redis``)."""

    def __init__(self, redis: object, client_id: str = "default") -> None:
        self.redis = redis
        self.prefix = f"policyarchive:budget:{client_id}:"
        self._reserve = redis.register_script(_RESERVE)  # type: ignore[attr-defined]
        self._pause = redis.register_script(_PAUSE)  # type: ignore[attr-defined]

    def key(self, kind: str, host: str) -> str:
        return f"{self.prefix}{kind}:{host}"

    async def reserve(self, kind: str, host: str, interval: float) -> Reservation:
        wait_ms, reason = await self._reserve(
            keys=[self.key(kind, host)], args=[int(interval * 1000)]
        )
        if isinstance(reason, bytes):
            reason = reason.decode()
        return Reservation(wait=int(wait_ms) / 1000, paused_reason=reason or "")

    async def pause(self, kind: str, host: str, seconds: float, reason: str) -> None:
        await self._pause(keys=[self.key(kind, host)], args=[int(seconds * 1000), reason])
