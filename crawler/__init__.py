"""policyarchive's Scrapy project: settings, spiders, middlewares and archive clients."""

from __future__ import annotations

import os

# pyarrow reads this when it first allocates; both doors (the console script and `scrapy
# crawl`) import this package first. Its default allocator (mimalloc) kept the buffers of
# every commit batch: the crawler process grew to ~340 MB over 2,000 documents, ~285 MB
# with the system allocator, whose freed pages malloc_trim returns (docs/throughput.md).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
