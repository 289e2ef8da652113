"""Pipeline step 100: skip pages whose document an earlier run already stored."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.items import PolicyPage
from pipelines.process import make_policy_id
from pipelines.steps.drops import Refused
from pipelines.storage.shared import from_settings
from pipelines.storage.state import StateStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        out = Path(crawler.settings.get("OUTPUT_DIR"))
        # a distributed run: stored by any node (Redis), this node's record beside its parts
        self.shared = from_settings(crawler.settings)
        # the output's record: everything earlier runs stored (nodes' records are folded
        # into it when they end); in a distributed run the run's own documents are in Redis
        self.state = StateStore(out / "state.sqlite")
        self.seen: set[str] = set()  # within this run, before anything is committed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PolicyPage):
            return item
        pid = make_policy_id(item.site, item.snapshot, item.source, item.content_digest)
        if (
            pid in self.seen
            or self.state.is_stored(pid)
            or (self.shared is not None and self.shared.is_stored(pid))
        ):
            raise Refused("already_stored", f"document {pid} is already in the dataset")
        self.seen.add(pid)
        return item

    def close_spider(self) -> None:
        self.state.close()
        if self.shared is not None:
            self.shared.close()
