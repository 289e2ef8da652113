"""One run on many nodes: what the nodes share through Redis.

* :mod:`crawler.distributed.leases`: the sites of a run, each leased by one node at a time;
  a lease that is not renewed expires, so the sites of a node that died are taken over;
* :mod:`crawler.distributed.budget`: politeness shared per archive endpoint and client
  address (a token bucket and a circuit breaker in Redis), so k nodes behind one IP ask an
  archive no faster than one node would.

Everything here talks to Redis with short atomic Lua scripts: no read-modify-write races
between nodes, and a node killed mid-call leaves nothing half done.
"""
