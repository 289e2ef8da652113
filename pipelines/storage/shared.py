"""The record of what a distributed run has stored, in Redis, shared by all its nodes.

On one node the record lives in ``<out>/state.sqlite`` (:mod:`pipelines.storage.state`).
Nodes of one run (``--redis URL --run NAME``) each keep their own SQLite record under
``<out>/nodes/<node>/`` for their own part files, and share this one:

* ``stored``: policy ids whose rows are committed, by any node: the dedupe step skips them,
  so a site taken over from a dead node never gets its committed documents twice;
* ``outcomes``: fetch-outcome keys already written to ``fetches``, so a site crawled again
  after a takeover adds no duplicate ``fetches`` rows;
* ``pending``: commits in flight (node + the commit's payload, written before any file is
  renamed into place). When a node dies mid-commit another node finishes or undoes its
  commit from the shared output, exactly as a single node's next start would;
* the site leases' ``queue``/``owner``/``done`` keys (:mod:`crawler.distributed.leases`): a
  site is done only in the same Redis transaction that records its rows as stored.

A synchronous client: the calls are one round trip each to a Redis beside the crawl (well
under a millisecond), made where the Parquet step already does synchronous file I/O.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines.storage.state import CommitPayload

logger = logging.getLogger(__name__)


def run_prefix(run: str) -> str:
    return f"policyarchive:{run}:"


def node_dir(out_dir: Path, node: str) -> Path:
    """Where one node of a distributed run keeps its lock and SQLite record."""
    return Path(out_dir) / "nodes" / node


def client_options() -> dict[str, Any]:
    """Reconnect through a Redis restart (with persistence on, nothing is lost): every call
    is retried with back-off for about half a minute; every script here is idempotent."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
    from redis.retry import Retry

    return {
        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.05), 25),
        "retry_on_error": [BusyLoadingError, ConnectionError, TimeoutError],
        "socket_connect_timeout": 5,
        "health_check_interval": 10,
    }


def from_settings(settings: Any) -> SharedRecord | None:
    """The run's shared record when the settings name a Redis (a distributed run)."""
    url = settings.get("POLICYARCHIVE_REDIS_URL")
    if not url:
        return None
    return SharedRecord(
        url, settings.get("POLICYARCHIVE_RUN_NAME"), settings.get("POLICYARCHIVE_NODE_ID")
    )


# KEYS: stored, outcomes, queue, owner, done, pending; ARGV: commit_id, n_pids, pids...,
# n_keys, keys..., sites...
_FINISH = """
local i = 2
local n = tonumber(ARGV[i])
for j = 1, n do redis.call('SADD', KEYS[1], ARGV[i + j]) end
i = i + n + 1
n = tonumber(ARGV[i])
for j = 1, n do redis.call('SADD', KEYS[2], ARGV[i + j]) end
i = i + n + 1
for j = i, #ARGV do
  redis.call('ZREM', KEYS[3], ARGV[j])
  redis.call('HDEL', KEYS[4], ARGV[j])
  redis.call('SADD', KEYS[5], ARGV[j])
end
redis.call('HDEL', KEYS[6], ARGV[1])
return 1
"""


class SharedRecord:
    def __init__(self, url: str, run: str, node: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, **client_options())
        self.redis.ping()  # fail at the start of the run, not at its first commit
        self.run, self.node = run, node
        p = run_prefix(run)
        self.k_stored, self.k_outcomes, self.k_pending = p + "stored", p + "outcomes", p + "pending"
        self.k_queue, self.k_owner, self.k_done = p + "queue", p + "owner", p + "done"
        self.k_nodes = p + "nodes"
        self._finish = self.redis.register_script(_FINISH)

    def is_stored(self, policy_id: str) -> bool:
        return bool(self.redis.sismember(self.k_stored, policy_id))

    def outcome_known(self, key: str) -> bool:
        return bool(self.redis.sismember(self.k_outcomes, key))

    def begin(self, payload: CommitPayload, sites: Iterable[str]) -> None:
        record = {"node": self.node, "payload": payload.to_json(), "sites": list(sites)}
        self.redis.hset(self.k_pending, payload.commit_id, json.dumps(record))

    def finish(self, payload: CommitPayload, sites: Iterable[str]) -> None:
        pids = [d.policy_id for d in payload.docs]
        keys = [o.key for o in payload.outcomes]
        self._finish(
            keys=[
                self.k_stored,
                self.k_outcomes,
                self.k_queue,
                self.k_owner,
                self.k_done,
                self.k_pending,
            ],
            args=[payload.commit_id, len(pids), *pids, len(keys), *keys, *sites],
        )

    def heartbeat(self) -> None:
        self.redis.hset(self.k_nodes, self.node, int(time.time() * 1000))

    def recover_dead(self, out_dir: Path, dead_after_s: float) -> tuple[int, int]:
        """Finish or undo the pending commits of nodes silent for ``dead_after_s``."""
        from pipelines.storage.parquet import fsync_dir, sha256_file

        pending = self.redis.hgetall(self.k_pending)
        if not pending:  # the usual case, asked before every lease: one round trip
            return 0, 0
        now_ms = int(time.time() * 1000)
        beats = {k.decode(): int(v) for k, v in self.redis.hgetall(self.k_nodes).items()}
        forward = back = 0
        for commit_id, raw in pending.items():
            record: dict[str, Any] = json.loads(raw)
            node = record["node"]
            if node == self.node or now_ms - beats.get(node, 0) < dead_after_s * 1000:
                continue  # ours (our own SQLite recovery handles it) or a node still alive
            payload = CommitPayload.from_json(record["payload"])
            ok = all(
                (out_dir / f.final).exists()
                and sha256_file(out_dir / f.final) == f.sha256
                or (out_dir / f.tmp).exists()
                and sha256_file(out_dir / f.tmp) == f.sha256
                for f in payload.files
            )
            if ok:
                for f in payload.files:
                    final = out_dir / f.final
                    if not final.exists():
                        (out_dir / f.tmp).replace(final)
                        fsync_dir(final.parent)
                self.finish(payload, record["sites"])
                forward += 1
            else:
                for f in payload.files:
                    (out_dir / f.final).unlink(missing_ok=True)
                    (out_dir / f.tmp).unlink(missing_ok=True)
                self.redis.hdel(self.k_pending, commit_id)
                back += 1
            logger.warning(
                "node %s died in commit %s: %s by node %s",
                node,
                commit_id.decode() if isinstance(commit_id, bytes) else commit_id,
                "completed" if ok else "undone",
                self.node,
            )
        return forward, back

    def close(self) -> None:
        self.redis.close()
