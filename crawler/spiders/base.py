"""What the live and wayback spiders share: argument checking, run ids, engine downloads."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.http import Response

from crawler.args import ArgumentError
from crawler.distributed.node import Node
from crawler.sites import SiteEntry, SitesFileError
from pipelines.process import parse_documents

logger = logging.getLogger(__name__)


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class PolicySpider(scrapy.Spider):
    """Base: arguments are validated in ``__init__`` so a bad one fails before any request."""

    args_model: Any = None

    def __init__(self, *a: Any, **kw: Any) -> None:
        run_id = kw.pop("run_id", None)
        documents = kw.pop("documents", None)
        super().__init__(*a, **kw)
        # document types to store (spider argument; else POLICYARCHIVE_DOCUMENTS)
        self.documents: tuple[str, ...] | None = None
        if documents:
            try:
                self.documents = parse_documents(documents)
            except ValueError as exc:
                raise UsageError(f"argument 'documents': {exc}") from exc
        try:
            self.args = self.args_model.from_kwargs(kw)
        except (ArgumentError, SitesFileError) as exc:
            raise UsageError(str(exc)) from exc
        self.run_id = run_id or new_run_id()
        self.run_args = self.args.as_dict()

    _node: Node | None | bool = False  # False: not looked at yet

    @property
    def node(self) -> Node | None:
        """This process's part in a distributed run (``--redis``), or None."""
        if self._node is False:
            self._node = Node.from_crawler(self.crawler)
        return self._node  # type: ignore[return-value]

    async def site_entries(self) -> AsyncIterator[SiteEntry]:
        """The sites to crawl: all of them, or in a distributed run those this node leases."""
        if self.node is None:
            for entry in self.args.sites:
                yield entry
            return
        async for entry in self.node.entries(self.args.sites):
            yield entry

    async def claim(self, site: str) -> bool:
        """False when another node crawls this site, or it is done (distributed runs)."""
        return self.node is None or await self.node.claim(site)

    def release(self, site: str) -> None:
        """The site is crawled to its end (distributed runs: this node may take another)."""
        if self.node is not None:
            self.node.release(site)

    async def download(self, request: Request) -> Response:
        """Fetch through the engine (downloader middlewares apply) from inside a callback."""
        assert self.crawler.engine is not None
        return await self.crawler.engine.download_async(request)
